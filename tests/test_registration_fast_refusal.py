"""Issue 18, a registration burst: a full slot whose waiting list is full too is refused from a cached flag
(scheduling/services/full_slots.py, scheduling/fast_refusal.py) with the normal path's exact answer, in at
most one SQL statement; every write that frees a place invalidates the flag when it commits.

Transactional tests: the flag is written and invalidated on commit, as in production (real PostgreSQL,
real Redis)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from scheduling.models import Registration, RegistrationStatus
from scheduling.services import full_slots
from sessions import services as session_services
from sessions.models import SessionSlot
from tests.test_scheduling_api import make_session, register_body

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "c" * 32


def citizen_client(user, **headers) -> APIClient:
    """A logged-in browser: session cookie, CSRF cookie and header, CSRF enforced as for real clients."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    client.cookies["csrftoken"] = CSRF
    client.credentials(HTTP_X_CSRFTOKEN=CSRF, **headers)
    return client


def post(client, slot_id, **overrides):
    return client.post("/api/registrations", register_body(slot_id, **overrides), format="json")


@pytest.fixture
def full_slot(office_tree, make_user, settings):
    """A slot of capacity 1 with a waiting list of 1, both taken: the registration that took the last place
    wrote the flag as it committed."""
    settings.WAITLIST_MAX_PER_SLOT = 1
    session = make_session(office_tree["commune011"], capacity=1)
    slot = session.slots.order_by("index").first()
    confirmed, waiting = make_user(), make_user()
    assert post(citizen_client(confirmed), slot.pk).json()["status"] == "confirmed"
    assert full_slots.current(slot.pk) is None  # the waiting list still has a place
    assert post(citizen_client(waiting), slot.pk).json()["status"] == "waitlisted"
    assert full_slots.current(slot.pk) is not None
    # A refusal down the normal path writes it too.
    cache.delete(f"regfull:{slot.pk}")
    refused = post(citizen_client(make_user()), slot.pk)
    assert refused.status_code == 400 and refused.json()["error"]["type"] == "slot_full"
    assert full_slots.current(slot.pk) is not None
    return {"session": session, "slot": slot, "confirmed": confirmed, "waiting": waiting}


def _same_answer(fast, normal):
    assert fast.status_code == normal.status_code
    assert fast.content == normal.content
    assert dict(fast.headers) == dict(normal.headers)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_full_slot_is_refused_from_the_flag_with_the_normal_answer(full_slot, make_user, language):
    slot = full_slot["slot"]
    client = citizen_client(make_user(), HTTP_ACCEPT_LANGUAGE=language)

    with CaptureQueriesContext(connection) as fast_queries:
        fast = post(client, slot.pk)
    assert fast.status_code == 400 and fast.json()["error"]["type"] == "slot_full"
    # The user's row and the citizen's registrations in one statement; nothing else (session from the cache).
    assert len(fast_queries) <= 1, [q["sql"] for q in fast_queries]

    cache.delete(f"regfull:{slot.pk}")  # the same request again, down the normal path
    with CaptureQueriesContext(connection) as normal_queries:
        normal = post(client, slot.pk)
    assert len(normal_queries) > 1  # the normal path really ran (and wrote the flag again)
    assert full_slots.current(slot.pk) is not None
    _same_answer(fast, normal)
    message = fast.json()["error"]["message"]
    assert fields_message(fast) == message
    assert ("full" in message) if language == "en" else ("đầy" in message)
    assert Registration.objects.filter(slot=slot).count() == 2


def fields_message(response):
    return response.json()["error"]["fields"]["slot"][0]["message"]


def test_a_cancellation_invalidates_the_flag_and_the_next_citizen_gets_a_place(full_slot, make_user):
    slot = full_slot["slot"]
    mine = Registration.objects.get(slot=slot, citizen=full_slot["confirmed"])
    response = citizen_client(full_slot["confirmed"]).post(f"/api/registrations/{mine.public_id}/cancel",
                                                           {"reason": "Bận"}, format="json")
    assert response.status_code == 200, response.content
    assert full_slots.current(slot.pk) is None

    # The waiting citizen moved up; the next one takes the freed place on the waiting list.
    response = post(citizen_client(make_user()), slot.pk)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "waitlisted"
    slot.refresh_from_db()
    assert (slot.confirmed_count, slot.waitlist_count) == (1, 1)
    assert Registration.objects.filter(slot=slot, status=RegistrationStatus.CONFIRMED).count() == slot.capacity

    # Full again: the registration above wrote a new flag, and the next citizen is answered from it.
    assert full_slots.current(slot.pk) is not None
    client = citizen_client(make_user())
    with CaptureQueriesContext(connection) as queries:
        assert post(client, slot.pk).json()["error"]["type"] == "slot_full"
    assert len(queries) <= 1, [q["sql"] for q in queries]


def test_a_waitlisted_cancellation_invalidates_the_flag(full_slot, make_user):
    slot = full_slot["slot"]
    waiting = Registration.objects.get(slot=slot, citizen=full_slot["waiting"])
    response = citizen_client(full_slot["waiting"]).post(f"/api/registrations/{waiting.public_id}/cancel", {},
                                                         format="json")
    assert response.status_code == 200, response.content
    assert full_slots.current(slot.pk) is None
    assert post(citizen_client(make_user()), slot.pk).json()["status"] == "waitlisted"


def test_a_session_status_change_invalidates_the_flag(full_slot, make_user):
    slot = full_slot["slot"]
    session_services.cancel(full_slot["session"], None, reason="Lãnh đạo đi công tác")
    assert full_slots.current(slot.pk) is None
    response = post(citizen_client(make_user()), slot.pk)
    assert response.status_code == 400 and response.json()["error"]["type"] == "not_open"


def test_a_flag_read_before_a_freeing_commit_never_counts(full_slot):
    """The generation protocol: a flag written from a read older than an invalidation is ignored, even when
    it is written after the invalidation (the race of a refusal and a cancellation)."""
    slot = SessionSlot.objects.select_related("session").get(pk=full_slot["slot"].pk)
    before = full_slots.generation(slot.pk)
    full_slots.invalidate([slot.pk])  # outside a transaction: at once, as after a cancellation's commit
    full_slots.mark_full(slot, before)
    assert full_slots.current(slot.pk) is None
    full_slots.mark_full(slot, full_slots.generation(slot.pk))
    assert full_slots.current(slot.pk) is not None


def test_other_requests_on_a_flagged_slot_get_the_normal_answers(full_slot, make_user, office_tree):
    slot = full_slot["slot"]

    # Anonymous: as before, not authenticated (nothing about the slot).
    response = APIClient().post("/api/registrations", register_body(slot.pk), format="json")
    assert response.status_code == 403 and response.json()["error"]["type"] == "not_authenticated"
    anonymous_with_cookie = APIClient(enforce_csrf_checks=True)
    anonymous_with_cookie.cookies["sessionid"] = "no-such-session"
    response = anonymous_with_cookie.post("/api/registrations", register_body(slot.pk), format="json")
    assert response.status_code == 403 and response.json()["error"]["type"] == "not_authenticated"

    # A citizen already registered for the session re-posting: the normal path's already_registered.
    response = post(citizen_client(full_slot["confirmed"]), slot.pk)
    assert response.status_code == 400 and response.json()["error"]["type"] == "already_registered"

    # A citizen with a confirmed booking overlapping the slot elsewhere: double_booking.
    elsewhere = make_session(office_tree["commune012"], capacity=5)  # the same day and hours
    busy = make_user()
    assert post(citizen_client(busy), elsewhere.slots.order_by("index").first().pk).status_code == 201
    response = post(citizen_client(busy), slot.pk)
    assert response.status_code == 400 and response.json()["error"]["type"] == "double_booking"

    # No CSRF token: DRF's CSRF refusal, as on the normal path.
    client = citizen_client(make_user())
    client.credentials()
    response = post(client, slot.pk)
    assert response.status_code == 403 and "CSRF" in response.json()["error"]["message"]

    # Bad input: the validation error, not slot_full.
    response = post(citizen_client(make_user()), slot.pk, matter_summary="ngắn")
    assert response.status_code == 400 and response.json()["error"]["fields"]["matter_summary"][0]["code"] == "too_short"

    # A session whose password changed since login is logged out: not authenticated.
    user = make_user()
    stale = citizen_client(user)
    user.set_password("An-other-pass-word-9")
    user.save()
    response = post(stale, slot.pk)
    assert response.status_code == 403 and response.json()["error"]["type"] == "not_authenticated"

    # An inactive citizen: not authenticated either.
    inactive = make_user()
    client = citizen_client(inactive)
    inactive.is_active = False
    inactive.save()
    response = post(client, slot.pk)
    assert response.status_code == 403 and response.json()["error"]["type"] == "not_authenticated"

    slot.refresh_from_db()
    assert (slot.confirmed_count, slot.waitlist_count) == (1, 1)
