"""Issue 16, item 7: the audit trail covers every write. Sessions, registrations, role grants, office
changes and the host's decisions in the room join cases, minutes and documents in the hash chain; each
write below leaves its chained entry, the chain verifies, and no entry names a denouncer."""

from __future__ import annotations

import json
from datetime import time, timedelta

from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role
from audit.models import AuditEntry
from audit.services import verify_chain
from offices import services as office_services
from offices.models import OfficeKind
from scheduling.services import plans as plan_services
from scheduling.services import registrations
from sessions import services as session_services
from signaling import services as room_services
from signaling.protocol.frames import parse_client_frame
from tests.room_helpers import SUMMARY, open_room
from tests.scheduling_helpers import future_session


def _entries(action: str, **filters):
    return list(AuditEntry.objects.filter(action=action, **filters).order_by("seq"))


def _chained():
    checked, breaks = verify_chain()
    assert checked == AuditEntry.objects.count() and breaks == []


def test_session_writes_are_chained(db, office_tree, make_user):
    commune, province = office_tree["commune011"], office_tree["province01"]
    leader = make_user(Role.LEADER, commune)
    session = future_session(commune, host=leader, publish=False)
    session_services.add_site(session, None, province)
    session_services.remove_site(session, None, province)
    session = session_services.publish(session, None, reason="Kiểm thử")
    session_services.cancel(session, None, reason="Lãnh đạo đi công tác")
    actions = [e.action for e in AuditEntry.objects.filter(target_type="reception_sessions.receptionsession",
                                                           target_id=str(session.pk)).order_by("seq")]
    assert actions == ["sessions.created", "sessions.site_added", "sessions.site_removed", "sessions.published",
                       "sessions.cancelled"]
    cancelled = _entries("sessions.cancelled")[0]
    assert cancelled.details["from"] == "published" and cancelled.details["to"] == "cancelled"
    _chained()


def test_postponed_session_with_a_new_time_is_chained(db, office_tree, make_user):
    commune = office_tree["commune011"]
    leader = make_user(Role.LEADER, commune)
    session = future_session(commune, host=leader)
    new_start = session.starts_at + timedelta(days=7)
    session_services.postpone(session, None, reason="Mưa bão", new_starts_at=new_start)
    assert _entries("sessions.postponed", target_id=str(session.pk))
    assert len(_entries("sessions.created")) == 2
    _chained()


def test_plan_writes_and_materialisation_are_chained(db, office_tree, make_user):
    commune = office_tree["commune011"]
    leader = make_user(Role.LEADER, commune)
    plan = plan_services.create_plan(by=None, office=commune, leader=leader, title="Tiếp định kỳ",
                                     rrule="FREQ=WEEKLY;BYDAY=TH", starts_on=timezone.localdate(),
                                     start_time=time(8), end_time=time(11))
    plan_services.update_plan(plan, None, title="Tiếp định kỳ thứ Năm")
    report = plan_services.materialize(today=timezone.localdate())
    plan_services.deactivate_plan(plan, None)
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="plans.")] == [
        "plans.create", "plans.update", "plans.deactivate"]
    batch = _entries("sessions.materialized")
    assert len(batch) == 1 and batch[0].details["sessions"] == report.created > 0
    _chained()


def test_registration_writes_are_chained_and_a_denouncer_is_not_named(db, office_tree, make_user):
    commune = office_tree["commune011"]
    leader = make_user(Role.LEADER, commune)
    session = future_session(commune, host=leader, slot_capacity=1)
    slot = session.slots.first()
    first, second = make_user(full_name="Công Dân Một"), make_user(full_name="Người Tố Cáo")
    r1 = registrations.register(citizen=first, slot_id=slot.pk, matter_kind="complaint", matter_summary=SUMMARY)
    r2 = registrations.register(citizen=second, slot_id=slot.pk, matter_kind="denunciation",
                                matter_summary="NOI-DUNG-TO-CAO cán bộ nhận hối lộ")
    registrations.cancel(r1, first, reason="Bận việc")  # r2 moves up
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="registrations.")] == [
        "registrations.register", "registrations.register", "registrations.cancel", "registrations.promote"]
    denouncer_entries = AuditEntry.objects.filter(target_id=str(r2.pk), target_type="scheduling.registration")
    assert denouncer_entries.count() == 2
    register_entry = denouncer_entries.get(action="registrations.register")
    assert register_entry.actor_label == "citizen"  # never the denouncer's login
    for entry in AuditEntry.objects.all():
        text = json.dumps(entry.details, ensure_ascii=False) + entry.actor_label
        assert "NOI-DUNG-TO-CAO" not in text and "Người Tố Cáo" not in text and second.username not in text
    # the session's cancellation releases what is left, as one entry
    session_services.cancel(session, None, reason="Hủy")
    released = _entries("registrations.release_all")
    assert len(released) == 1 and released[0].details["registrations"] == [r2.pk]
    _chained()


def test_attendance_and_no_shows_are_chained(db, office_tree, make_user):
    room = open_room(office_tree, make_user, citizens=2)
    registrations.mark_attended(room["registrations"][0], room["host"], now=room["session"].starts_at)
    assert _entries("registrations.attended", target_id=str(room["registrations"][0].pk))
    session_services.close_session(room["session"], room["host"])
    count = registrations.mark_no_shows(now=room["session"].ends_at + timedelta(hours=2))
    assert count == 1
    no_shows = _entries("registrations.no_shows")
    assert no_shows[0].details["registrations"] == [room["registrations"][1].pk]
    assert registrations.mark_no_shows(now=room["session"].ends_at + timedelta(hours=3)) == 0
    assert len(_entries("registrations.no_shows")) == 1
    _chained()


def test_role_grants_and_revocations_are_chained(db, office_tree, make_user):
    commune = office_tree["commune011"]
    admin = make_user(Role.OFFICE_ADMIN, office_tree["province01"])
    user = make_user()
    assignment = account_services.grant_role(admin, user, commune, Role.RECEPTION_OFFICER)
    account_services.grant_role(admin, user, commune, Role.RECEPTION_OFFICER)  # already held: no write
    assignment_pk = assignment.pk
    account_services.revoke_role(admin, assignment)
    grants = _entries("accounts.grant_role", details__user=user.pk)
    assert len(grants) == 1 and grants[0].actor_id == admin.pk
    assert grants[0].details == {"user": user.pk, "office": commune.code, "role": "reception_officer"}
    revokes = _entries("accounts.revoke_role")
    assert len(revokes) == 1 and revokes[0].target_id == str(assignment_pk) and revokes[0].actor_id == admin.pk
    _chained()


def test_office_changes_are_chained(db, office_tree, make_user):
    province = office_tree["province01"]
    admin = make_user(Role.OFFICE_ADMIN, province)
    officer = make_user(Role.RECEPTION_OFFICER, province)
    agency = office_services.create_office(parent=province, name="Sở Tài nguyên và Môi trường",
                                           kind=OfficeKind.DEPARTMENT, by_user=admin)
    office_services.update_contact(admin, agency, phone="0222 3812 345")
    office_services.post_notice(officer, province, "Họp giao ban lúc 14 giờ.")
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="offices.")] == [
        "offices.create", "offices.notice"]
    assert _entries("office.contact")  # audited before issue 16
    created = _entries("offices.create")[0]
    assert created.target_id == str(agency.pk) and created.actor_id == admin.pk
    _chained()


def test_room_decisions_are_chained(db, office_tree, make_user):
    room = open_room(office_tree, make_user, citizens=2)
    session, host = room["session"], room["host"]
    now = session.starts_at
    host_entry = room_services.resolve_entry(str(session.public_id), host, now=now)
    room_services.join(host_entry)
    citizens = [room_services.resolve_entry(str(session.public_id), c, now=now) for c in room["citizens"]]
    for entry in citizens:
        room_services.join(entry)
    room_services.handle(host_entry, parse_client_frame(json.dumps(
        {"type": "host.admit", "id": "a1", "participant": citizens[0].pid})))
    room_services.handle(host_entry, parse_client_frame(json.dumps(
        {"type": "host.refuse", "id": "r1", "participant": citizens[1].pid, "ground": "intoxicated_or_mentally_ill",
         "note": "GHI-CHU-RIENG"})))
    session_services.close_session(session, host)
    admitted = _entries("room.admitted")
    assert len(admitted) == 1 and admitted[0].actor_id == host.pk and admitted[0].details["pid"] == citizens[0].pid
    refused = _entries("room.refused")
    assert len(refused) == 1 and refused[0].details["ground"] == "intoxicated_or_mentally_ill"
    assert "GHI-CHU-RIENG" not in json.dumps(refused[0].details)
    assert _entries("room.ended") and _entries("sessions.held")
    assert not AuditEntry.objects.filter(action="room.joined").exists()  # presence is not a decision
    _chained()


def test_signup_is_chained(db, sms_outbox, django_capture_on_commit_callbacks):
    import re

    with django_capture_on_commit_callbacks(execute=True):
        pending = account_services.start_signup("0912777888", "S3cure-pass-word", "Công Dân Mới")
    code = re.search(r"\b(\d{6})\b", sms_outbox[-1].body).group(1)
    user = account_services.verify_signup(pending.token, code)
    entry = _entries("accounts.signup")[0]
    assert entry.actor_id == user.pk and entry.target_id == str(user.pk) and entry.details == {"channel": "phone"}
    _chained()
