"""The REST API of plans, sessions, the public schedule and registrations, and the admin built on them:
happy paths, permissions, and bad input of each kind (each a typed 4xx naming its field)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from scheduling.models import ReceptionPlan, Registration
from scheduling.services import plans, registrations
from sessions import services as session_services
from sessions.models import ReceptionSession
from tests.scheduling_helpers import a_leader

SUMMARY = "Đề nghị giải quyết tranh chấp đất đai tại thôn 3."
SECRET = "NOI-DUNG-TO-CAO-BI-MAT ông cán bộ địa chính nhận hối lộ"


def at(days: int, hour: int = 8, minute: int = 0) -> datetime:
    """``days`` from today at ``hour:minute`` local time."""
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days), time(hour, minute)))


def login(user) -> APIClient:
    client = APIClient()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return client


def assert_field_error(response, status: int, field: str, code: str | None = None) -> None:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert field in error.get("fields", {}), error
    if code:
        assert error["fields"][field][0]["code"] == code, error
    assert error["fields"][field][0]["message"]


def make_session(office, *, days=20, hours=2, capacity=1, slot_minutes=60, publish=True, host=None, **extra):
    starts = at(days)
    session = session_services.create_session(
        by=None, kind=extra.pop("kind", "regular"), host_office=office, host=host or a_leader(office), title=extra.pop("title", "Tiếp dân"),
        starts_at=starts, ends_at=starts + timedelta(hours=hours), slot_minutes=slot_minutes, slot_capacity=capacity,
        **extra,
    )
    if publish:
        session = session_services.publish(session, None, reason="Kiểm thử")
    return session


@pytest.fixture
def staff(office_tree, make_user):
    """A leader and an officer of commune X01001, a leader of its sibling X01002, an officer of province T01."""
    return {
        "leader": make_user(Role.LEADER, office_tree["commune011"], full_name="Chủ tịch Xã Một"),
        "officer": make_user(Role.RECEPTION_OFFICER, office_tree["commune011"]),
        "other_leader": make_user(Role.LEADER, office_tree["commune012"]),
        "province_officer": make_user(Role.RECEPTION_OFFICER, office_tree["province01"]),
        "province_leader": make_user(Role.LEADER, office_tree["province01"], full_name="Chủ tịch Tỉnh Một"),
    }


def plan_body(leader, **overrides):
    body = {"office": "X01001", "leader": leader.pk, "title": "Tiếp định kỳ của Chủ tịch xã",
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=10", "starts_on": timezone.localdate().replace(day=1).isoformat(),
            "start_time": "08:00", "end_time": "11:00", "slot_minutes": 30, "slot_capacity": 2}
    return {**body, **overrides}


def session_body(leader, **overrides):
    body = {"kind": "adhoc", "host_office": "X01001", "host": leader.pk, "title": "Tiếp đột xuất vụ việc đông người",
            "starts_at": at(20).isoformat(), "ends_at": at(20, 11).isoformat(), "slot_minutes": 60,
            "slot_capacity": 1, "adhoc_reason": "many_people", "sites": [{"office": "T01", "responsible": None}]}
    return {**body, **overrides}


def register_body(slot_id, **overrides):
    return {"slot": slot_id, "matter_kind": "complaint", "matter_summary": SUMMARY, "people_count": 1,
            "representatives": [], **overrides}


# --- Plans ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_create_detail_warnings_and_deactivate(staff):
    api = login(staff["leader"])
    response = api.post("/api/plans", plan_body(staff["leader"]), format="json")
    assert response.status_code == 201, response.content
    plan = response.json()
    assert plan["office"]["code"] == "X01001" and plan["leader"]["id"] == staff["leader"].pk
    # A commune head receiving once a month is below the legal minimum of 2 days a month.
    assert [w["code"] for w in plan["warnings"]] == ["below_legal_minimum"]
    assert plan["warnings"][0]["months"]
    assert len(plan["occurrences"]) == 10
    first = plan["occurrences"][0]
    assert first["occurrence_date"].endswith("-10") and first["held_on"] >= first["occurrence_date"]

    twice = api.post("/api/plans", plan_body(staff["leader"], rrule="FREQ=MONTHLY;BYMONTHDAY=10,25",
                                             sites=[{"office": "T01", "responsible": None}]), format="json")
    assert twice.status_code == 201, twice.content
    detail = api.get(f"/api/plans/{twice.json()['id']}").json()
    assert detail["warnings"] == []
    assert [s["office"]["code"] for s in detail["sites"]] == ["T01"]

    listed = api.get("/api/plans").json()
    assert listed["count"] == 2
    assert login(staff["other_leader"]).get("/api/plans").json()["count"] == 0

    response = api.post(f"/api/plans/{plan['id']}/deactivate")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert not ReceptionPlan.objects.get(pk=plan["id"]).is_active


@pytest.mark.django_db
def test_plan_bad_input_names_the_field(staff, make_user):
    api = login(staff["leader"])
    assert_field_error(api.post("/api/plans", plan_body(staff["leader"], rrule="FREQ=SOMETIMES;BYDAY=XX"),
                                format="json"), 400, "rrule", "invalid_rrule")
    assert_field_error(api.post("/api/plans", plan_body(staff["leader"], rrule="FREQ=HOURLY"), format="json"),
                       400, "rrule", "invalid_rrule")
    assert_field_error(api.post("/api/plans", plan_body(staff["leader"], slot_capacity=0), format="json"),
                       400, "slot_capacity")
    # An unknown office is a validation error of the field, not a 404.
    assert_field_error(api.post("/api/plans", plan_body(staff["leader"], office="X99999"), format="json"),
                       400, "office", "unknown_office")
    assert_field_error(api.post("/api/plans", plan_body(staff["leader"], sites=[{"office": "NOPE"}]),
                                format="json"), 400, "sites.0.office", "unknown_office")
    assert_field_error(api.post("/api/plans", plan_body(staff["officer"]), format="json"), 400, "leader",
                       "not_a_leader")
    assert_field_error(api.post("/api/plans", plan_body(staff["leader"], end_time="07:00"), format="json"),
                       400, "end_time")
    assert not ReceptionPlan.objects.exists()
    # Someone else's office: refused.
    response = login(staff["other_leader"]).post("/api/plans", plan_body(staff["leader"]), format="json")
    assert response.status_code == 403 and response.json()["error"]["type"] == "forbidden"
    response = login(make_user()).post("/api/plans", plan_body(staff["leader"]), format="json")
    assert response.status_code == 403


# --- Sessions (staff) -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_session_create_detail_and_late_publication(staff, make_user):
    api = login(staff["officer"])
    response = api.post("/api/sessions/", session_body(staff["leader"], starts_at=at(2).isoformat(),
                                                       ends_at=at(2, 11).isoformat()), format="json")
    assert response.status_code == 201, response.content
    session = response.json()
    assert session["status"] == "planned" and session["kind"] == "adhoc"
    assert len(session["slots"]) == 3 and session["slots"][0]["confirmed_count"] == 0
    assert sorted((s["office"]["code"], s["is_host"]) for s in session["sites"]) == [("T01", False),
                                                                                   ("X01001", True)]
    assert session["events"][0]["kind"] == "created"
    assert session["publication_timely"] is False  # two days ahead: too late for the 5 working days
    url = f"/api/sessions/{session['public_id']}"

    assert_field_error(api.post(f"{url}/publish", {}, format="json"), 400, "late_publication_reason",
                       "late_publication_needs_reason")
    response = api.post(f"{url}/publish", {"reason": "Vụ việc phát sinh đột xuất"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "published" and body["late_publication_reason"] == "Vụ việc phát sinh đột xuất"
    assert body["publication_timely"] is False and [e["kind"] for e in body["events"]] == ["created", "published"]

    # Timely: no reason needed.
    timely = api.post("/api/sessions/", session_body(staff["leader"]), format="json").json()
    response = api.post(f"/api/sessions/{timely['public_id']}/publish", format="json")
    assert response.status_code == 200 and response.json()["publication_timely"] is True

    # A connected site's staff may view; a citizen may not; an unknown id is a typed 404.
    assert login(staff["province_officer"]).get(url).status_code == 200
    response = login(make_user()).get(url)
    assert response.status_code == 403 and response.json()["error"]["type"] == "forbidden"
    response = api.get("/api/sessions/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404 and response.json()["error"]["type"] == "not_found"


@pytest.mark.django_db
def test_session_permissions_and_bad_input(staff, make_user):
    citizen = make_user()
    response = login(citizen).post("/api/sessions/", session_body(staff["leader"]), format="json")
    assert response.status_code == 403 and response.json()["error"]["type"] == "forbidden"
    assert not ReceptionSession.objects.exists()

    session = make_session(staff["leader"].role_assignments.get().office, publish=False)
    response = login(staff["other_leader"]).post(f"/api/sessions/{session.public_id}/publish", format="json")
    assert response.status_code == 403, response.content
    session.refresh_from_db()
    assert session.status == "planned"

    api = login(staff["officer"])
    assert_field_error(api.post("/api/sessions/", session_body(staff["leader"], host_office="X99999"), format="json"),
                       400, "host_office", "unknown_office")
    assert_field_error(api.post("/api/sessions/", session_body(staff["leader"], slot_capacity=0), format="json"),
                       400, "slot_capacity")
    assert_field_error(api.post("/api/sessions/", session_body(staff["leader"], adhoc_reason=""), format="json"),
                       400, "adhoc_reason", "required")
    assert_field_error(api.post("/api/sessions/", session_body(staff["leader"], starts_at="tomorrow"),
                                format="json"), 400, "starts_at")
    assert_field_error(api.post("/api/sessions/", session_body(staff["leader"], kind="periodic"), format="json"),
                       400, "kind")
    assert_field_error(api.post("/api/sessions/", session_body(staff["leader"], starts_at=at(-1).isoformat(),
                                                               ends_at=at(-1, 11).isoformat()), format="json"),
                       400, "starts_at", "in_past")
    assert_field_error(api.post("/api/sessions/", session_body(staff["leader"], host=999999), format="json"),
                       400, "host", "unknown_user")
    assert ReceptionSession.objects.count() == 1  # only the one made above


@pytest.mark.django_db
def test_session_sites_open_close_and_cancel(staff):
    api = login(staff["officer"])
    soon = session_services.create_session(
        by=None, kind="regular", host_office=staff["officer"].role_assignments.get().office,
        host=staff["leader"], title="Tiếp thường xuyên", starts_at=timezone.now() + timedelta(minutes=30),
        ends_at=timezone.now() + timedelta(hours=2), slot_minutes=30, slot_capacity=1,
    )
    url = f"/api/sessions/{soon.public_id}"
    response = api.post(f"{url}/sites", {"office": "X01002"}, format="json")
    assert response.status_code == 201 and response.json()["office"]["code"] == "X01002"
    assert_field_error(api.post(f"{url}/sites", {"office": "ZZZ"}, format="json"), 400, "office", "unknown_office")
    assert api.post(f"{url}/publish", {"reason": "Lịch thường xuyên"}, format="json").status_code == 200
    response = api.post(f"{url}/open")
    assert response.status_code == 200 and response.json()["status"] == "open"
    # Ending the reception is the host leader's (SESSION_CLOSE, as the room's host.end), not the officer's.
    assert api.post(f"{url}/close").status_code == 403
    host_api = login(staff["leader"])
    response = host_api.post(f"{url}/close")
    assert response.status_code == 200 and response.json()["status"] == "held"
    assert_field_error(host_api.post(f"{url}/close"), 400, "status", "invalid_transition")

    later = make_session(soon.host_office)
    assert_field_error(api.post(f"/api/sessions/{later.public_id}/cancel", {"reason": " "}, format="json"),
                       400, "reason", "required")
    response = api.post(f"/api/sessions/{later.public_id}/cancel", {"reason": "Lãnh đạo đi công tác"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["status_reason"] == "Lãnh đạo đi công tác"


# --- Public schedule --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_public_schedule_filters_and_hides_planned(office_tree, staff, make_user):
    commune = make_session(office_tree["commune011"], days=20, host=staff["leader"], title="Xã 011")
    make_session(office_tree["province01"], days=25, host=staff["province_leader"], title="Tỉnh 01")
    other = make_session(office_tree["commune021"], days=30, title="Xã 021")
    make_session(office_tree["commune011"], days=22, publish=False, title="Dự kiến nội bộ")
    cancelled_before_publication = make_session(office_tree["commune011"], days=23, publish=False, title="Chưa công bố")
    session_services.cancel(cancelled_before_publication, None, reason="Trùng lịch")

    api = APIClient()  # anonymous

    def titles(query=""):
        response = api.get(f"/api/public/sessions{query}")
        assert response.status_code == 200, response.content
        return [item["title"] for item in response.json()["results"]]

    assert titles() == ["Xã 011", "Tỉnh 01", "Xã 021"]
    assert titles("?province=01") == ["Xã 011", "Tỉnh 01"]
    assert titles("?province=02") == ["Xã 021"]
    assert titles("?commune=01001") == ["Xã 011"]
    assert titles("?office=T01") == ["Tỉnh 01"]
    assert titles("?tier=provincial") == ["Tỉnh 01"]
    assert titles("?tier=commune&province=01") == ["Xã 011"]
    day = timezone.localdate()
    assert titles(f"?from={day + timedelta(days=25)}&to={day + timedelta(days=25)}") == ["Tỉnh 01"]
    assert titles(f"?from={day + timedelta(days=21)}") == ["Tỉnh 01", "Xã 021"]
    assert titles(f"?to={day + timedelta(days=20)}") == ["Xã 011"]
    assert titles(f"?leader={staff['leader'].pk}") == ["Xã 011"]

    item = api.get("/api/public/sessions?commune=01001").json()["results"][0]
    assert item["public_id"] == str(commune.public_id)
    assert item["host_office"] == {"code": "X01001", "name": "Office X01001", "tier": "commune"}
    assert item["host_name"] == "Chủ tịch Xã Một" and item["registration_open"] is True
    assert item["status_reason"] is None and item["replaced_by"] is None and item["published_at"]
    assert item["sites"] == [{"code": "X01001", "name": "Office X01001", "tier": "commune"}]

    # Bad filter values name their field.
    assert_field_error(api.get("/api/public/sessions?tier=x"), 400, "tier", "invalid_choice")
    assert_field_error(api.get("/api/public/sessions?from=notadate"), 400, "from")
    assert_field_error(api.get(f"/api/public/sessions?from={day + timedelta(days=3)}&to={day}"), 400, "from",
                       "invalid_range")
    assert_field_error(api.get("/api/public/sessions?province=1"), 400, "province")
    assert_field_error(api.get("/api/public/sessions?province=99"), 400, "province", "unknown_province")
    assert_field_error(api.get("/api/public/sessions?commune=99999"), 400, "commune", "unknown_commune")
    assert_field_error(api.get("/api/public/sessions?office=NOPE"), 400, "office", "unknown_office")
    assert_field_error(api.get("/api/public/sessions?leader=abc"), 400, "leader")

    # The public detail has slots' availability, never registrations; planned sessions are not found.
    citizen = make_user()
    registrations.register(citizen=citizen, slot_id=commune.slots.first().pk, matter_kind="complaint",
                           matter_summary=SUMMARY)
    detail = api.get(f"/api/public/sessions/{commune.public_id}").json()
    assert [(s["index"], s["capacity"], s["available"], s["waitlist_open"]) for s in detail["slots"]] == [
        (0, 1, 0, True), (1, 1, 1, False)]
    assert "registrations" not in detail and citizen.full_name not in str(detail)
    planned = ReceptionSession.objects.get(title="Dự kiến nội bộ")
    assert api.get(f"/api/public/sessions/{planned.public_id}").status_code == 404
    assert api.get(f"/api/public/sessions/{other.public_id}").status_code == 200


# --- Registrations ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_register_waitlist_cancel_promotes(office_tree, make_user):
    session = make_session(office_tree["commune011"], capacity=1)
    slot = session.slots.order_by("index").first()
    first, second = make_user(), make_user()
    a, b = login(first), login(second)

    response = a.post("/api/registrations", register_body(slot.pk), format="json")
    assert response.status_code == 201, response.content
    mine = response.json()
    assert mine["status"] == "confirmed" and mine["waitlist_position"] is None
    assert mine["session"]["public_id"] == str(session.public_id) and mine["slot"] == slot.pk
    assert mine["slot_starts_at"] and mine["join_url"].startswith("http")

    response = b.post("/api/registrations", register_body(slot.pk, matter_kind="petition"), format="json")
    assert response.status_code == 201, response.content
    waiting = response.json()
    assert waiting["status"] == "waitlisted" and waiting["waitlist_position"] == 1 and waiting["join_url"] is None

    # Nobody sees another citizen's registrations.
    assert [r["public_id"] for r in b.get("/api/registrations").json()["results"]] == [waiting["public_id"]]
    assert b.get(f"/api/registrations/{mine['public_id']}").status_code == 404
    response = b.post(f"/api/registrations/{mine['public_id']}/cancel", {}, format="json")
    assert response.status_code == 403 and response.json()["error"]["type"] == "forbidden"

    response = a.post(f"/api/registrations/{mine['public_id']}/cancel", {"reason": "Bận việc"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert response.json()["join_url"] is None
    promoted = b.get(f"/api/registrations/{waiting['public_id']}").json()
    assert promoted["status"] == "confirmed" and promoted["join_url"]
    assert_field_error(a.post(f"/api/registrations/{mine['public_id']}/cancel", {}, format="json"), 400, "status",
                       "not_active")


@pytest.mark.django_db
def test_registration_bad_input(office_tree, staff, make_user):
    api = login(make_user())
    session = make_session(office_tree["commune011"])
    slot = session.slots.first()
    assert_field_error(api.post("/api/registrations", register_body(999999), format="json"), 400, "slot")
    assert_field_error(api.post("/api/registrations", register_body("abc"), format="json"), 400, "slot")
    assert_field_error(api.post("/api/registrations", register_body(slot.pk, matter_summary="ngắn"), format="json"),
                       400, "matter_summary", "too_short")
    assert_field_error(api.post("/api/registrations", register_body(slot.pk, matter_kind="gossip"), format="json"),
                       400, "matter_kind", "invalid_choice")
    assert_field_error(api.post("/api/registrations", register_body(slot.pk, people_count=7), format="json"),
                       400, "representatives", "representatives_required")
    group = api.post("/api/registrations", register_body(
        slot.pk, people_count=7, representatives=[{"full_name": "Trần Văn Bình", "phone": "0912000111"}]),
        format="json")
    assert group.status_code == 201, group.content
    assert group.json()["representatives"] == [{"full_name": "Trần Văn Bình", "phone": "0912000111"}]

    # A slot that has already started.
    past_now = timezone.now() - timedelta(days=2)
    started = session_services.create_session(
        by=None, kind="regular", host_office=office_tree["commune012"], host=a_leader(office_tree["commune012"]),
        title="Đã bắt đầu",
        starts_at=timezone.now() - timedelta(minutes=30), ends_at=timezone.now() + timedelta(hours=1),
        slot_minutes=30, slot_capacity=2, now=past_now)
    session_services.publish(started, None, reason="Kiểm thử", now=past_now)
    assert_field_error(api.post("/api/registrations", register_body(started.slots.order_by("index").first().pk),
                                format="json"), 400, "slot", "slot_in_past")

    # Malformed JSON is a typed parse error; anonymous users cannot register.
    response = api.post("/api/registrations", data='{"slot": 1,', content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["type"] == "parse_error"
    response = APIClient().post("/api/registrations", register_body(slot.pk), format="json")
    assert response.status_code == 403 and response.json()["error"]["type"] == "not_authenticated"


@pytest.mark.django_db
def test_postpone_moves_registrations_to_the_replacement(office_tree, staff, make_user):
    session = make_session(office_tree["commune011"], host=staff["leader"])
    citizen = make_user()
    api = login(citizen)
    registered = api.post("/api/registrations", register_body(session.slots.order_by("index")[1].pk),
                          format="json").json()
    staff_api = login(staff["officer"])
    url = f"/api/sessions/{session.public_id}/postpone"
    assert_field_error(staff_api.post(url, {"reason": ""}, format="json"), 400, "reason", "required")
    assert login(citizen).post(url, {"reason": "x"}, format="json").status_code == 403

    assert_field_error(staff_api.post(url, {"reason": "Họp", "new_starts_at": at(-1).isoformat()}, format="json"),
                       400, "new_starts_at", "in_past")
    response = staff_api.post(url, {"reason": "Trùng kỳ họp Hội đồng nhân dân", "new_starts_at": at(27).isoformat()},
                              format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "postponed" and body["replaced_by"]
    replacement = ReceptionSession.objects.get(public_id=body["replaced_by"])
    assert replacement.status == "published" and replacement.starts_at == at(27)

    mine = {r["public_id"]: r for r in api.get("/api/registrations").json()["results"]}
    assert mine[registered["public_id"]]["status"] == "cancelled"
    moved = [r for r in mine.values() if r["session"]["public_id"] == str(replacement.public_id)]
    assert len(moved) == 1 and moved[0]["status"] == "confirmed" and moved[0]["slot_index"] == 1

    public = APIClient().get(f"/api/public/sessions/{session.public_id}").json()
    assert public["status"] == "postponed" and public["status_reason"] == "Trùng kỳ họp Hội đồng nhân dân"
    assert public["replaced_by"] == str(replacement.public_id) and public["registration_open"] is False


# --- Denunciations stay secret ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_denunciation_content_only_for_host_office_staff(office_tree, staff, make_user):
    session = make_session(office_tree["commune011"], host=staff["leader"], capacity=2)
    session_services.add_site(session, None, office_tree["province01"])
    denouncer = make_user(full_name="Người Tố Cáo Bí Mật")
    response = login(denouncer).post("/api/registrations", register_body(
        session.slots.first().pk, matter_kind="denunciation", matter_summary=SECRET), format="json")
    assert response.status_code == 201, response.content
    complainant = make_user(full_name="Người Khiếu Nại")
    registrations.register(citizen=complainant, slot_id=session.slots.first().pk, matter_kind="complaint",
                           matter_summary=SUMMARY)

    anonymous = APIClient()
    for url in ("/api/public/sessions", f"/api/public/sessions/{session.public_id}",
                "/api/public/sessions?commune=01001"):
        response = anonymous.get(url)
        assert response.status_code == 200
        text = response.content.decode()
        assert SECRET not in text and "Người Tố Cáo" not in text and SUMMARY not in text

    url = f"/api/sessions/{session.public_id}/registrations"
    for who in ("leader", "officer"):  # a listing never shows a denunciation, not even to the head
        rows = login(staff[who]).get(url).json()["results"]
        by_kind = {r["matter_kind"]: r for r in rows}
        assert by_kind["denunciation"]["identity_hidden"] is True and SECRET not in str(rows)
        assert by_kind["denunciation"]["citizen"] is None and "Người Tố Cáo" not in str(rows)
        assert by_kind["complaint"]["matter_summary"] == SUMMARY

    site_rows = login(staff["province_officer"]).get(url).json()["results"]
    by_kind = {r["matter_kind"]: r for r in site_rows}
    assert by_kind["denunciation"]["identity_hidden"] is True
    assert by_kind["denunciation"]["matter_summary"] is None and by_kind["denunciation"]["citizen"] is None
    assert by_kind["complaint"]["matter_summary"] == SUMMARY
    assert SECRET not in str(site_rows)

    assert login(denouncer).get(url).status_code == 403
    assert login(staff["other_leader"]).get(url).status_code == 403


# --- Admin ------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_for(make_user):
    from django.test import Client

    def make(user=None):
        user = user or make_user(is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
        return client

    return make


@pytest.mark.django_db
def test_admin_session_pages_and_publish_action(office_tree, staff, admin_client_for, make_user):
    timely = make_session(office_tree["commune011"], publish=False, title="Đúng hạn")
    late = make_session(office_tree["commune011"], days=1, publish=False, title="Muộn")
    registrations.register(citizen=make_user(), slot_id=make_session(office_tree["commune012"]).slots.first().pk,
                           matter_kind="denunciation", matter_summary=SECRET)
    client = admin_client_for()
    assert client.get("/admin/reception_sessions/receptionsession/").status_code == 200
    page = client.get(f"/admin/reception_sessions/receptionsession/{timely.pk}/change/")
    assert page.status_code == 200
    assert client.get("/admin/reception_sessions/receptionsession/add/").status_code == 403
    response = client.post("/admin/reception_sessions/receptionsession/", {
        "action": "publish_selected", "_selected_action": [timely.pk, late.pk], "index": 0}, follow=True)
    assert response.status_code == 200
    timely.refresh_from_db()
    late.refresh_from_db()
    assert timely.status == "published" and late.status == "planned"  # late needs a reason: refused
    text = response.content.decode()
    assert "Muộn" in text

    page = client.get("/admin/scheduling/registration/")
    assert page.status_code == 200 and SECRET not in page.content.decode()
    registration = Registration.objects.get(matter_kind="denunciation")
    page = client.get(f"/admin/scheduling/registration/{registration.pk}/change/")
    assert page.status_code == 200 and SECRET not in page.content.decode()
    assert client.get("/admin/scheduling/leaderengagement/").status_code == 200


@pytest.mark.django_db
def test_admin_plan_add_goes_through_the_service(office_tree, staff, admin_client_for):
    client = admin_client_for()
    first_of_month = timezone.localdate().replace(day=1)
    form = {
        "office": office_tree["commune011"].pk, "leader": staff["leader"].pk, "title": "Tiếp định kỳ",
        "rrule": "FREQ=MONTHLY;BYMONTHDAY=10", "starts_on": first_of_month.isoformat(), "ends_on": "",
        "start_time": "08:00", "end_time": "11:00", "holiday_rule": "next", "tentative_content": "",
        "slot_minutes": 30, "slot_capacity": 1,
        "sites-TOTAL_FORMS": 1, "sites-INITIAL_FORMS": 0, "sites-MIN_NUM_FORMS": 0, "sites-MAX_NUM_FORMS": 1000,
        "sites-0-office": office_tree["province01"].pk, "sites-0-responsible": "",
    }
    response = client.post("/admin/scheduling/receptionplan/add/", {**form, "rrule": "FREQ=NEVER"})
    assert response.status_code == 200 and not ReceptionPlan.objects.exists()  # the form shows the error
    response = client.post("/admin/scheduling/receptionplan/add/", form, follow=True)
    assert response.status_code == 200
    plan = ReceptionPlan.objects.get()
    assert plan.created_by is not None and [s.office.code for s in plan.sites.all()] == ["T01"]
    assert plans.legal_minimum_warnings(plan)
    assert any(m.level_tag == "warning" for m in response.context["messages"])

    change_url = f"/admin/scheduling/receptionplan/{plan.pk}/change/"
    assert client.get(change_url).status_code == 200
    response = client.post(change_url, {"title": "Tiếp định kỳ (sửa)", "tentative_content": "Đất đai",
                                        "is_active": "", "sites-TOTAL_FORMS": 1, "sites-INITIAL_FORMS": 1,
                                        "sites-MIN_NUM_FORMS": 0, "sites-MAX_NUM_FORMS": 1000,
                                        "sites-0-id": plan.sites.get().pk, "sites-0-plan": plan.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    plan.refresh_from_db()
    assert plan.title == "Tiếp định kỳ (sửa)" and plan.is_active is False and plan.rrule == "FREQ=MONTHLY;BYMONTHDAY=10"
