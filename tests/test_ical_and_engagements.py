"""Public iCalendar feeds, and leaders' other engagements: no other meeting on a reception day
(shared/DOMAIN.md, "Kinds of reception"), iCalendar import, conflicts with plans created later."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from icalendar import Calendar
from rest_framework.test import APIClient

from accounts.models import Role
from scheduling import ical
from scheduling.models import LeaderEngagement
from scheduling.services import engagements, plans, registrations
from scheduling.services.engagements import EngagementError
from sessions import services as sessions
from workdays import calendar as workdays

pytestmark = pytest.mark.django_db

TITLE = "Tiếp công dân định kỳ của Chủ tịch UBND xã"


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def unfolded(body: bytes) -> str:
    """The feed's text with RFC 5545 line folding and escapes undone, for "never contains" checks."""
    text = body.decode().replace("\r\n ", "")
    return text.replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n")


def make_plan(office, leader, by, *, sites=()):
    plan = plans.create_plan(by=by, office=office, leader=leader, title=TITLE, rrule="FREQ=WEEKLY;BYDAY=TU",
                             starts_on=timezone.localdate(), start_time=time(8), end_time=time(11, 30),
                             tentative_content="Giải quyết kiến nghị về đất đai", sites=list(sites))
    plans.materialize(today=timezone.localdate(), days_ahead=40, plan_ids=[plan.pk])
    return plan


def publish(session, by):
    return sessions.publish(session, by, reason="Công bố muộn do điều chỉnh kế hoạch công tác")


@pytest.fixture
def world(office_tree, make_user):
    commune = office_tree["commune011"]
    leader = make_user(Role.LEADER, commune, full_name="Lê Văn Chủ Tịch")
    officer = make_user(Role.RECEPTION_OFFICER, commune)
    plan = make_plan(commune, leader, officer, sites=[(office_tree["province01"], None)])
    future = [s for s in plan.sessions.order_by("starts_at") if s.starts_at > timezone.now() + timedelta(days=3)]
    assert len(future) >= 3
    return {"office": commune, "province": office_tree["province01"], "leader": leader, "officer": officer,
            "plan": plan, "sessions": future, "tree": office_tree}


def free_day_after(leader, day: date) -> date:
    """The first day after ``day`` that is not a reception day of the leader (plans included)."""
    day += timedelta(days=1)
    while engagements.reception_days(leader, day, day, include_plans=True):
        day += timedelta(days=1)
    return day


def ics(*events: str) -> bytes:
    body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"
    return body.encode()


def vevent(*lines: str) -> str:
    return "BEGIN:VEVENT\r\n" + "".join(f"{line}\r\n" for line in lines) + "END:VEVENT\r\n"


def stamp(day: date, hour: int) -> str:
    return f"{day:%Y%m%d}T{hour:02d}0000"


# --- feeds -----------------------------------------------------------------------------------------------

def test_office_feed_lists_public_sessions_with_stable_uids(world):
    first, second, planned = world["sessions"][:3]
    first, second = publish(first, world["officer"]), publish(second, world["officer"])
    body = ical.office_feed(world["office"])
    again = ical.office_feed(world["office"])
    assert body == again  # byte-stable when nothing changed

    calendar = Calendar.from_ical(body)
    assert str(calendar["PRODID"]) == "-//Tiep cong dan truc tuyen//VI"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Ho_Chi_Minh"
    assert world["office"].name in str(calendar["X-WR-CALNAME"])
    events = {str(e["UID"]): e for e in calendar.events}
    assert set(events) == {f"{first.public_id}@tiepcongdan", f"{second.public_id}@tiepcongdan"}
    assert f"{planned.public_id}@tiepcongdan" not in events  # a planned session is internal

    event = events[f"{first.public_id}@tiepcongdan"]
    assert event.start == first.starts_at and event.start.utcoffset() == timedelta(0)
    assert event.end == first.ends_at
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == first.sequence == 1
    assert event["DTSTAMP"].dt == first.updated_at.replace(microsecond=0)
    assert str(event["SUMMARY"]) == TITLE
    assert str(event["LOCATION"]) == world["office"].name
    assert str(event["URL"]) == f"http://127.0.0.1:8000/lich-tiep/{first.public_id}/"
    description = str(event["DESCRIPTION"])
    assert "Giải quyết kiến nghị về đất đai" in description
    assert "Lê Văn Chủ Tịch" in description and world["province"].name in description

    # The connected site's feed and the leader's feed show the same events under the same UIDs.
    for feed in (ical.office_feed(world["province"]), ical.leader_feed(world["leader"])):
        assert {str(e["UID"]) for e in Calendar.from_ical(feed).events} == set(events)
    assert Calendar.from_ical(ical.office_feed(world["tree"]["commune012"])).events == []


def test_cancellation_and_postponement_keep_uid_and_raise_sequence(world):
    officer = world["officer"]
    cancelled, postponed = (publish(s, officer) for s in world["sessions"][:2])
    before = {str(e["UID"]): e for e in Calendar.from_ical(ical.office_feed(world["office"])).events}

    sessions.cancel(cancelled, officer, reason="Lãnh đạo họp đột xuất của Tỉnh ủy")
    new_start = local(free_day_after(world["leader"], timezone.localdate(postponed.starts_at)), 14)
    postponed = sessions.postpone(postponed, officer, reason="Trùng lịch tiếp của tỉnh", new_starts_at=new_start)
    after = {str(e["UID"]): e for e in Calendar.from_ical(ical.office_feed(world["office"])).events}

    uid = f"{cancelled.public_id}@tiepcongdan"
    assert str(after[uid]["STATUS"]) == "CANCELLED"
    assert int(after[uid]["SEQUENCE"]) > int(before[uid]["SEQUENCE"])
    assert "Lãnh đạo họp đột xuất của Tỉnh ủy" in str(after[uid]["DESCRIPTION"])

    uid = f"{postponed.public_id}@tiepcongdan"
    assert str(after[uid]["STATUS"]) == "CANCELLED"
    assert int(after[uid]["SEQUENCE"]) > int(before[uid]["SEQUENCE"])
    description = str(after[uid]["DESCRIPTION"])
    assert "Trùng lịch tiếp của tỉnh" in description
    assert timezone.localtime(new_start).strftime("%d/%m/%Y %H:%M") in description
    replacement = f"{postponed.replaced_by.public_id}@tiepcongdan"
    assert str(after[replacement]["STATUS"]) == "CONFIRMED"
    assert after[replacement].start == new_start


def test_feed_never_shows_registrations_or_denouncers(world, make_user):
    session = publish(world["sessions"][0], world["officer"])
    citizen = make_user(full_name="Trần Thị Tốgiác", phone="0912345678")
    summary = "Tố cáo cán bộ địa chính Phạm Văn Nhận nhận tiền của dân để cấp sổ đỏ"
    registrations.register(citizen=citizen, slot_id=session.slots.first().pk, matter_kind="denunciation",
                           matter_summary=summary)
    client = APIClient()
    for body in (ical.office_feed(world["office"]), ical.leader_feed(world["leader"]),
                 client.get(f"/ical/offices/{world['office'].code}.ics").content):
        text = unfolded(body)
        assert str(session.public_id) in text
        for secret in (summary, "Phạm Văn Nhận", "Trần Thị Tốgiác", "0912345678", citizen.username):
            assert secret not in text


def test_feed_endpoints(world, make_user):
    publish(world["sessions"][0], world["officer"])
    client = APIClient()
    response = client.get(f"/ical/offices/{world['office'].code}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert response["Cache-Control"] == "public, max-age=300"
    etag = response["ETag"]
    assert len(Calendar.from_ical(response.content).events) == 1
    assert client.get(f"/ical/offices/{world['office'].code}.ics")["ETag"] == etag  # same body, same tag
    not_modified = client.get(f"/ical/offices/{world['office'].code}.ics", HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified["ETag"] == etag

    leader_feed = client.get(f"/ical/leaders/{world['leader'].pk}.ics")
    assert leader_feed.status_code == 200 and len(Calendar.from_ical(leader_feed.content).events) == 1
    assert client.get("/ical/offices/NOPE.ics").status_code == 404
    assert client.get(f"/ical/leaders/{world['officer'].pk}.ics").status_code == 404  # holds no leader role
    assert client.get(f"/ical/leaders/{make_user().pk}.ics").status_code == 404
    assert client.get("/ical/leaders/999999.ics").status_code == 404
    assert client.post(f"/ical/offices/{world['office'].code}.ics").status_code == 405


# --- engagements -----------------------------------------------------------------------------------------

def test_no_engagement_on_a_reception_day(world):
    leader, session = world["leader"], world["sessions"][0]
    day = timezone.localdate(session.starts_at)
    with pytest.raises(EngagementError) as refused:
        engagements.create_engagement(by=leader, leader=leader, title="Họp Ban Thường vụ",
                                      starts_at=local(day, 14), ends_at=local(day, 16))
    assert refused.value.code == "reception_day_conflict" and refused.value.field == "starts_at"
    assert day.strftime("%d/%m/%Y") in refused.value.message
    with pytest.raises(EngagementError, match=day.strftime("%d/%m/%Y")):  # a trip spanning the day
        engagements.create_engagement(by=leader, leader=leader, title="Đi công tác tỉnh",
                                      starts_at=local(day - timedelta(days=1), 8), ends_at=local(day + timedelta(days=1), 17))

    other = free_day_after(leader, day)
    accepted = engagements.create_engagement(by=leader, leader=leader, title="Họp giao ban",
                                             starts_at=local(other, 8), ends_at=local(other, 10))
    assert accepted.pk and accepted.source == "manual"
    # Ending at midnight does not touch the reception day.
    engagements.create_engagement(by=leader, leader=leader, title="Tiếp khách buổi tối",
                                  starts_at=local(day - timedelta(days=1), 19), ends_at=local(day, 0))
    assert engagements.reception_days(leader, day, day) == {day}

    # A cancelled session frees its day.
    sessions.cancel(session, world["officer"], reason="Lãnh đạo đi công tác")
    assert engagements.reception_days(leader, day, day) == set()
    engagements.create_engagement(by=leader, leader=leader, title="Họp Ban Thường vụ",
                                  starts_at=local(day, 14), ends_at=local(day, 16))


def test_plan_days_beyond_the_materialised_horizon_are_reception_days_too(world):
    leader, plan = world["leader"], world["plan"]
    today = timezone.localdate()
    pairs = plans.occurrence_dates(plan, today + timedelta(days=60), today + timedelta(days=90))
    held = pairs[0][1]
    assert not plan.sessions.filter(occurrence_date=pairs[0][0]).exists()
    assert engagements.reception_days(leader, held, held) == set()
    assert engagements.reception_days(leader, held, held, include_plans=True) == {held}
    with pytest.raises(EngagementError) as refused:
        engagements.create_engagement(by=leader, leader=leader, title="Hội nghị", starts_at=local(held, 8),
                                      ends_at=local(held, 11))
    assert refused.value.code == "reception_day_conflict"


def test_engagement_validation_permissions_and_external_uid(world, make_user):
    leader, officer, office = world["leader"], world["officer"], world["office"]
    day = free_day_after(leader, timezone.localdate() + timedelta(days=2))
    ok = {"leader": leader, "title": "Họp", "starts_at": local(day, 8), "ends_at": local(day, 9)}
    for change, code, field in (
        ({"title": "  "}, "required", "title"),
        ({"title": "x" * 256}, "too_long", "title"),
        ({"ends_at": local(day, 8)}, "invalid_range", "ends_at"),
        ({"ends_at": local(day + timedelta(days=15), 9)}, "too_long", "ends_at"),
    ):
        with pytest.raises(EngagementError) as refused:
            engagements.create_engagement(by=leader, **{**ok, **change})
        assert (refused.value.code, refused.value.field) == (code, field)

    outsider = make_user(Role.RECEPTION_OFFICER, world["tree"]["commune012"])
    for by in (make_user(), outsider, make_user(Role.SECRETARY, office)):
        with pytest.raises(EngagementError) as refused:
            engagements.create_engagement(by=by, **ok)
        assert refused.value.code == "forbidden"
    with pytest.raises(EngagementError) as refused:
        engagements.create_engagement(by=None, **{**ok, "leader": officer})
    assert refused.value.code == "not_a_leader"

    first = engagements.create_engagement(by=officer, external_uid="ext-1", **ok)
    admin = make_user(Role.OFFICE_ADMIN, world["tree"]["province01"])  # administrator above the commune
    second = engagements.create_engagement(by=admin, external_uid="ext-1", **{**ok, "title": "Họp (dời giờ)"})
    assert first.pk == second.pk and LeaderEngagement.objects.filter(leader=leader).count() == 1
    assert LeaderEngagement.objects.get(pk=first.pk).title == "Họp (dời giờ)"
    with pytest.raises(EngagementError):
        engagements.delete_engagement(outsider, second)
    engagements.delete_engagement(officer, second)
    assert not LeaderEngagement.objects.exists()


def test_import_ical_refuses_reception_days_skips_cancelled_and_updates_by_uid(world):
    leader = world["leader"]
    day = timezone.localdate(world["sessions"][0].starts_at)
    other = free_day_after(leader, day)
    data = ics(
        vevent("UID:on-reception-day@example", f"DTSTART;TZID=Asia/Ho_Chi_Minh:{stamp(day, 14)}",
               f"DTEND;TZID=Asia/Ho_Chi_Minh:{stamp(day, 16)}", "SUMMARY:Họp Tỉnh ủy", f"DTSTAMP:{stamp(day, 1)}Z"),
        # 01:00–03:00 UTC is 08:00–10:00 in Hà Nội.
        vevent("UID:normal@example", f"DTSTART:{stamp(other, 1)}Z", f"DTEND:{stamp(other, 3)}Z",
               "SUMMARY:Làm việc với Sở Tài nguyên", f"DTSTAMP:{stamp(day, 1)}Z"),
        vevent("UID:cancelled@example", f"DTSTART:{stamp(other, 5)}Z", f"DTEND:{stamp(other, 6)}Z",
               "SUMMARY:Hội thảo", "STATUS:CANCELLED", f"DTSTAMP:{stamp(day, 1)}Z"),
    )
    report = engagements.import_ical(by=leader, leader=leader, data=data)
    assert (report.created, report.updated, report.skipped) == (1, 0, 1)
    assert [(r["uid"], r["code"]) for r in report.refused] == [("on-reception-day@example", "reception_day_conflict")]
    assert report.refused[0]["summary"] == "Họp Tỉnh ủy" and day.strftime("%d/%m/%Y") in report.refused[0]["reason"]
    imported = LeaderEngagement.objects.get(leader=leader)
    assert (imported.external_uid, imported.source, imported.title) == ("normal@example", "ical",
                                                                          "Làm việc với Sở Tài nguyên")
    assert imported.starts_at == local(other, 8) and imported.ends_at == local(other, 10)

    again = engagements.import_ical(by=leader, leader=leader, data=data)
    assert (again.created, again.updated, len(again.refused), again.skipped) == (0, 1, 1, 1)
    assert LeaderEngagement.objects.filter(leader=leader).count() == 1

    # Cancelled in the source calendar later: the imported engagement goes away.
    gone = engagements.import_ical(by=leader, leader=leader, data=ics(
        vevent("UID:normal@example", f"DTSTART:{stamp(other, 1)}Z", f"DTEND:{stamp(other, 3)}Z",
               "SUMMARY:Làm việc với Sở Tài nguyên", "STATUS:CANCELLED")))
    assert (gone.skipped, gone.removed) == (1, 1) and not LeaderEngagement.objects.exists()


def test_import_ical_all_day_duration_missing_uid_recurring_and_broken_events(world):
    leader = world["leader"]
    day = timezone.localdate(world["sessions"][0].starts_at)
    other = free_day_after(leader, day)
    data = ics(
        vevent("UID:all-day", f"DTSTART;VALUE=DATE:{other:%Y%m%d}",
               f"DTEND;VALUE=DATE:{other + timedelta(days=1):%Y%m%d}", "SUMMARY:Nghỉ phép"),
        vevent(f"DTSTART:{stamp(other, 13)}", "DURATION:PT90M", "SUMMARY:Không có UID"),  # floating = local
        vevent("UID:weekly", f"DTSTART:{stamp(other, 9)}Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY", "SUMMARY:Giao ban"),
        vevent("UID:all-day-reception", f"DTSTART;VALUE=DATE:{day:%Y%m%d}", "SUMMARY:Hội nghị"),
        vevent("UID:no-start", "SUMMARY:Thiếu giờ"),
        vevent("UID:backwards", f"DTSTART:{stamp(other, 10)}Z", f"DTEND:{stamp(other, 9)}Z", "SUMMARY:Ngược"),
    )
    report = engagements.import_ical(by=world["officer"], leader=leader, data=data)
    assert (report.created, report.updated, report.skipped) == (2, 0, 1)
    assert {r["uid"]: r["code"] for r in report.refused} == {
        "all-day-reception": "reception_day_conflict", "no-start": "invalid_event", "backwards": "invalid_range"}
    all_day = LeaderEngagement.objects.get(external_uid="all-day")
    assert (all_day.starts_at, all_day.ends_at) == (local(other, 0), local(other + timedelta(days=1), 0))
    no_uid = LeaderEngagement.objects.get(title="Không có UID")
    assert no_uid.external_uid.startswith("noid-")
    assert (no_uid.starts_at, no_uid.ends_at) == (local(other, 13), local(other, 14, 30))
    assert engagements.import_ical(by=None, leader=leader, data=data).created == 0  # the derived UID is stable

    twice = ics(*[vevent("UID:twice", f"DTSTART:{stamp(other, h)}Z", "DURATION:PT1H", f"SUMMARY:Lần {h}")
                  for h in (1, 3)])
    report = engagements.import_ical(by=None, leader=leader, data=twice)
    assert (report.created, report.updated) == (1, 1)  # the same UID twice in a file: the last one wins
    assert LeaderEngagement.objects.get(external_uid="twice").title == "Lần 3"


@pytest.mark.parametrize("data, code", [
    (b"this is not a calendar", "invalid_ical"),
    (b"", "invalid_ical"),
    (b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n", "invalid_ical"),
    (b"BEGIN:VCALENDAR\r\n" + b"X-PAD:" + b"a" * (1024 * 1024) + b"\r\nEND:VCALENDAR\r\n", "too_large"),
    (ics(*[vevent(f"UID:{n}", "DTSTART:20300101T010000Z", "DURATION:PT1H") for n in range(2001)]), "too_large"),
], ids=["text", "empty", "bare-event", "over-1MB", "over-2000-events"])
def test_import_ical_refuses_the_whole_file(world, data, code):
    with pytest.raises(EngagementError) as refused:
        engagements.import_ical(by=world["leader"], leader=world["leader"], data=data)
    assert (refused.value.code, refused.value.field) == (code, "file")


def test_conflicts_flag_engagements_entered_before_the_plan(office_tree, make_user):
    office = office_tree["commune021"]
    leader = make_user(Role.LEADER, office)
    officer = make_user(Role.RECEPTION_OFFICER, office)
    tuesday = timezone.localdate() + timedelta(days=2)
    while tuesday.weekday() != 1 or not workdays.is_working_day(tuesday):
        tuesday += timedelta(days=1)
    early = engagements.create_engagement(by=leader, leader=leader, title="Đi công tác Hà Nội",
                                          starts_at=local(tuesday - timedelta(days=1), 8),
                                          ends_at=local(tuesday, 17))
    assert engagements.conflicts(leader, timezone.localdate(), tuesday + timedelta(days=30)) == []

    plan = make_plan(office, leader, officer)
    session = plan.sessions.get(occurrence_date=tuesday)
    found = engagements.conflicts(leader, timezone.localdate(), timezone.localdate() + timedelta(days=90))
    assert found == [{"engagement_id": early.pk, "title": "Đi công tác Hà Nội", "starts_at": early.starts_at,
                      "ends_at": early.ends_at, "reception_date": tuesday, "session_public_id": session.public_id}]

    client = APIClient()
    client.force_authenticate(officer)
    response = client.get(f"/api/leaders/{leader.pk}/conflicts")
    assert response.status_code == 200
    assert [(c["engagement_id"], c["reception_date"], c["session_public_id"]) for c in response.json()] == [
        (early.pk, tuesday.isoformat(), str(session.public_id))]

    sessions.cancel(session, officer, reason="Lãnh đạo đi công tác Hà Nội")
    assert engagements.conflicts(leader, timezone.localdate(), tuesday + timedelta(days=1)) == []


# --- API -------------------------------------------------------------------------------------------------

def test_engagement_api(world, make_user):
    leader, officer = world["leader"], world["officer"]
    day = timezone.localdate(world["sessions"][0].starts_at)
    other = free_day_after(leader, day)
    client = APIClient()
    client.force_authenticate(officer)
    base = f"/api/leaders/{leader.pk}"

    refused = client.post(f"{base}/engagements", {"title": "Họp", "starts_at": local(day, 14).isoformat(),
                                                  "ends_at": local(day, 15).isoformat()}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "reception_day_conflict"
    assert refused.json()["error"]["fields"]["starts_at"][0]["code"] == "reception_day_conflict"

    created = client.post(f"{base}/engagements", {"title": "Họp", "starts_at": local(other, 14).isoformat(),
                                                  "ends_at": local(other, 15).isoformat()}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    listed = client.get(f"{base}/engagements", {"from": other.isoformat(), "to": other.isoformat()})
    assert [e["id"] for e in listed.json()] == [pk]
    assert client.get(f"{base}/engagements", {"from": (other + timedelta(days=1)).isoformat()}).json() == []
    bad_window = client.get(f"{base}/engagements", {"from": "2030-01-10", "to": "2030-01-01"})
    assert bad_window.status_code == 400 and "to" in bad_window.json()["error"]["fields"]
    missing = client.post(f"{base}/engagements", {"title": "Họp"}, format="json")
    assert set(missing.json()["error"]["fields"]) == {"starts_at", "ends_at"}

    days = client.get(f"{base}/reception-days", {"from": day.isoformat(), "to": other.isoformat()})
    assert days.status_code == 200 and day.isoformat() in days.json()["days"]
    assert other.isoformat() not in days.json()["days"]

    not_ical = client.post(f"{base}/engagements/import",
                           {"file": SimpleUploadedFile("a.ics", b"%PDF-1.4 not a calendar")}, format="multipart")
    assert not_ical.status_code == 400
    assert not_ical.json()["error"]["fields"]["file"][0]["code"] == "invalid_ical"
    no_file = client.post(f"{base}/engagements/import", {}, format="multipart")
    assert no_file.status_code == 400 and "file" in no_file.json()["error"]["fields"]
    data = ics(vevent("UID:api-1", f"DTSTART:{stamp(other, 9)}", f"DTEND:{stamp(other, 10)}", "SUMMARY:Tiếp đoàn"))
    imported = client.post(f"{base}/engagements/import",
                           {"file": SimpleUploadedFile("lich.ics", data, content_type="text/calendar")},
                           format="multipart")
    assert imported.status_code == 200
    assert imported.json() == {"created": 1, "updated": 0, "refused": [], "skipped": 0, "removed": 0}

    assert client.delete(f"{base}/engagements/{pk}").status_code == 204
    assert client.delete(f"{base}/engagements/{pk}").status_code == 404
    assert LeaderEngagement.objects.filter(leader=leader).count() == 1

    # The leader manages their own calendar; a citizen or another office's officer may not; unknown → 404.
    client.force_authenticate(leader)
    assert client.get(f"{base}/engagements").status_code == 200
    for outsider in (make_user(), make_user(Role.RECEPTION_OFFICER, world["tree"]["commune012"])):
        client.force_authenticate(outsider)
        for response in (client.get(f"{base}/engagements"), client.get(f"{base}/conflicts"),
                         client.get(f"{base}/reception-days"),
                         client.post(f"{base}/engagements", {"title": "x"}, format="json"),
                         client.post(f"{base}/engagements/import", {}, format="multipart"),
                         client.delete(f"{base}/engagements/{pk}")):
            assert response.status_code == 403
            assert response.json()["error"]["type"] == "forbidden"
    client.force_authenticate(officer)
    assert client.get("/api/leaders/999999/engagements").status_code == 404
    assert client.get(f"/api/leaders/{officer.pk}/engagements").status_code == 404  # not a leader
    client.force_authenticate(None)
    assert client.get(f"{base}/engagements").status_code in (401, 403)


def test_import_ical_takes_2000_events(world):
    leader = world["leader"]
    start = timezone.localdate() + timedelta(days=400)  # beyond every session; plan days are refused
    data = ics(*[vevent(f"UID:bulk-{n}", f"DTSTART:{stamp(start + timedelta(days=n // 4), 1 + 2 * (n % 4))}Z",
                        "DURATION:PT1H", f"SUMMARY:Việc {n}") for n in range(2000)])
    report = engagements.import_ical(by=leader, leader=leader, data=data)
    assert report.created + len(report.refused) == 2000
    assert {r["code"] for r in report.refused} == {"reception_day_conflict"}  # the plan's Tuesdays
    assert LeaderEngagement.objects.filter(leader=leader).count() == report.created
