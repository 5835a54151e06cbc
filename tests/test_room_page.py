"""The live room page and the join link page that leads to it (rendering; the page's behaviour is
tested in a real browser in tests/test_room_browser.py)."""

import json
import uuid

import pytest
from django.urls import reverse

from tests.room_helpers import join_token, open_room

pytestmark = [pytest.mark.django_db]


def test_the_room_page_carries_the_session_the_token_and_translated_labels(client, office_tree, make_user):
    room = open_room(office_tree, make_user)
    token = join_token(room["registrations"][0])
    response = client.get(reverse("frontend:room", args=[room["session"].public_id]), {"token": token})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-session="{room["session"].public_id}"' in html and f'data-token="{token}"' in html
    assert "frontend/room.js" in html and "Buổi tiếp công dân có thể được ghi hình" in html
    labels = json.loads(html.split('id="room-labels" type="application/json">')[1].split("</script>")[0])
    assert set(labels["grounds"]) == {"intoxicated_or_mentally_ill", "threats_or_insults", "settled_case_prolonged"}
    english = client.get("/en" + reverse("frontend:room", args=[room["session"].public_id]))
    assert english.status_code == 200 and "Citizen receptions may be recorded" in english.content.decode()


def test_an_unknown_session_is_404_and_a_hostile_token_is_escaped(client, office_tree, make_user):
    assert client.get(reverse("frontend:room", args=[uuid.uuid4()])).status_code == 404
    room = open_room(office_tree, make_user)
    response = client.get(reverse("frontend:room", args=[room["session"].public_id]), {"token": '"><script>x'})
    assert response.status_code == 200 and '"><script>x' not in response.content.decode()


def test_the_join_link_page_leads_to_the_room(client, office_tree, make_user):
    room = open_room(office_tree, make_user)
    token = join_token(room["registrations"][0])
    html = client.get(reverse("frontend:join", args=[token])).content.decode()
    assert reverse("frontend:room", args=[room["session"].public_id]) + "?token=" in html


# --- Issue 11: the citizen who arrives early; the page and the server agree on host buttons ---------------

def _published(office_tree, make_user, **extra):
    from accounts.models import Role
    from tests.scheduling_helpers import future_session

    leader = make_user(Role.LEADER, office_tree["commune011"])
    return future_session(office_tree["commune011"], host=leader, kind="periodic", days_ahead=8, **extra)


def test_an_early_citizen_sees_when_the_room_opens_in_words(client, office_tree, make_user, settings):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    settings.SESSION_AUTO_OPEN_MINUTES_BEFORE = 30
    session = _published(office_tree, make_user)
    status_url = reverse("frontend:room-status", args=[session.public_id])
    opens = session.starts_at - timedelta(minutes=30)
    with time_machine.travel(opens - timedelta(minutes=12), tick=False):
        html = client.get(reverse("frontend:room", args=[session.public_id])).content.decode()
        at = timezone.localtime(opens).strftime("%H:%M")
        assert f"Phòng mở lúc {at}, còn 12 phút." in html
        assert 'data-opening="waiting"' in html and 'data-poll="60"' in html  # > 10 minutes away
        assert 'id="enter" class="primary" disabled' in html
        assert '<meta http-equiv="refresh" content="60">' in html  # without JavaScript: the page reloads
        status = client.get(reverse("frontend:room-status", args=[session.public_id]))
        assert status.json()["open"] is False and status.json()["state"] == "waiting"
        assert status.json()["poll_seconds"] == 60 and "max-age=5" in status["Cache-Control"]
        english = client.get("/en" + status_url).json()
        assert english["message"] == f"The room opens at {at}, in 12 minutes."
    with time_machine.travel(opens - timedelta(minutes=5), tick=False):
        assert client.get(status_url).json()["poll_seconds"] == 10
    with time_machine.travel(opens + timedelta(minutes=2), tick=False):  # beat not there yet: keep asking
        info = client.get(status_url).json()
        assert info["state"] == "waiting" and info["poll_seconds"] == 10 and "sắp mở" in info["message"]
    # Once open, the status says so (the page then enters by itself).
    from sessions import services as session_services

    session_services.open_session(session, session.host, now=session.starts_at)
    with time_machine.travel(opens + timedelta(minutes=1), tick=False):
        info = client.get(status_url).json()
    assert info["open"] is True and info["state"] == "open" and info["poll_seconds"] is None


def test_the_join_link_page_says_when_the_room_opens(client, office_tree, make_user):
    from scheduling.services import registrations

    session = _published(office_tree, make_user)
    citizen = make_user(full_name="Công Dân Sớm")
    registration = registrations.register(citizen=citizen, slot_id=session.slots.first().pk,
                                          matter_kind="complaint", matter_summary="Khiếu nại về đất đai ở xã")
    html = client.get(reverse("frontend:join", args=[join_token(registration)])).content.decode()
    assert "Phòng mở lúc" in html and "frontend/join.js" in html and 'id="join-opening"' in html
    assert reverse("frontend:room-status", args=[session.public_id]) in html


def test_the_page_gets_the_servers_permission_table_and_a_ground_placeholder(client, office_tree, make_user):
    from accounts.permissions import ROOM_ACTIONS

    room = open_room(office_tree, make_user)
    html = client.get(reverse("frontend:room", args=[room["session"].public_id])).content.decode()
    labels = json.loads(html.split('id="room-labels" type="application/json">')[1].split("</script>")[0])
    assert labels["may"] == {command: sorted(roles) for command, roles in ROOM_ACTIONS.items()}
    assert labels["may"]["host.end"] == ["host"]  # an officer gets no "Kết thúc buổi tiếp" button
    assert labels["ground_placeholder"] and labels["confirm_end"] and labels["confirm_refuse"]
    assert labels["sites"][office_tree["commune011"].code] == office_tree["commune011"].name
    assert 'data-opening="open"' in html


def test_the_page_knows_when_no_media_server_can_exist(client, office_tree, make_user, settings):
    room = open_room(office_tree, make_user)
    url = reverse("frontend:room", args=[room["session"].public_id])
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.MEDIA_EMBEDDED = False
    assert 'data-media="none"' in client.get(url).content.decode()
    settings.MEDIA_EMBEDDED = True  # the embedded default (make run): the worker runs inside the web process
    assert 'data-media="expected"' in client.get(url).content.decode()
    settings.MEDIA_EMBEDDED = False
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}}
    assert 'data-media="expected"' in client.get(url).content.decode()
