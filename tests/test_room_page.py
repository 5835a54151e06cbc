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
