"""Plans, materialisation, publication and registration rules, on PostgreSQL."""

import threading
from collections import Counter
from datetime import date, time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Role
from scheduling.models import HolidayRule, Registration, RegistrationStatus
from scheduling.services import plans, registrations
from scheduling.services.registrations import RegistrationError
from sessions import services as session_services
from sessions.models import ReceptionSession, SessionKind, SessionSlot, SessionStatus
from tests.scheduling_helpers import future_session, local

SUMMARY = "Đề nghị xem xét việc cấp giấy chứng nhận quyền sử dụng đất"


@pytest.fixture
def commune(office_tree):
    return office_tree["commune011"]


@pytest.fixture
def leader(make_user, commune):
    return make_user(Role.LEADER, commune, full_name="Chủ tịch Xã")


def make_plan(commune, leader, rrule="FREQ=MONTHLY;BYMONTHDAY=10,25", starts_on=date(2027, 1, 1), **extra):
    return plans.create_plan(by=leader, office=commune, leader=leader, title="Tiếp định kỳ", rrule=rrule,
                             starts_on=starts_on, start_time=time(8), end_time=time(11, 30), **extra)


# --- RRULE, holidays, legal minimum ---------------------------------------------------------------------

def test_rrule_across_a_month_boundary_and_tet_2027(commune, leader):
    plan = make_plan(commune, leader, rrule="FREQ=WEEKLY;BYDAY=TH")
    pairs = plans.occurrence_dates(plan, date(2027, 1, 25), date(2027, 2, 20))
    # Thursdays 28 Jan, 4 Feb (Tết: holidays 4–10 Feb → held Thu 11 Feb), 11 Feb (already taken → dropped),
    # 18 Feb. The month boundary is crossed between 28 Jan and 4 Feb.
    assert pairs == [(date(2027, 1, 28), date(2027, 1, 28)), (date(2027, 2, 4), date(2027, 2, 11)),
                     (date(2027, 2, 18), date(2027, 2, 18))]


def test_holiday_rules(commune, leader):
    on_the_10th = "FREQ=MONTHLY;BYMONTHDAY=10"
    nxt = make_plan(commune, leader, rrule=on_the_10th)
    prev = make_plan(commune, leader, rrule=on_the_10th, holiday_rule=HolidayRule.PREVIOUS_WORKING_DAY)
    skip = make_plan(commune, leader, rrule=on_the_10th, holiday_rule=HolidayRule.SKIP)
    feb = (date(2027, 2, 1), date(2027, 2, 28))  # 10 Feb 2027 is the 6th day of Tết
    assert plans.occurrence_dates(nxt, *feb) == [(date(2027, 2, 10), date(2027, 2, 11))]
    assert plans.occurrence_dates(prev, *feb) == [(date(2027, 2, 10), date(2027, 2, 3))]
    assert plans.occurrence_dates(skip, *feb) == []


def test_legal_minimum_warning_for_a_commune(commune, leader):
    once = make_plan(commune, leader, rrule="FREQ=MONTHLY;BYMONTHDAY=10")
    twice = make_plan(commune, leader, rrule="FREQ=MONTHLY;BYMONTHDAY=10,25")
    [warning] = plans.legal_minimum_warnings(once, today=date(2027, 1, 5))
    assert warning.code == "below_legal_minimum" and "2027-01" in warning.months and len(warning.months) == 12
    assert plans.legal_minimum_warnings(twice, today=date(2027, 1, 5)) == []


def test_legal_minimum_for_a_province_is_one_day(office_tree, make_user):
    province = office_tree["province01"]
    chairman = make_user(Role.LEADER, province)
    once = make_plan(province, chairman, rrule="FREQ=MONTHLY;BYMONTHDAY=15")
    assert plans.legal_minimum_warnings(once, today=date(2027, 1, 5)) == []


def test_skipped_holiday_occurrence_can_break_the_minimum(commune, leader):
    plan = make_plan(commune, leader, rrule="FREQ=MONTHLY;BYMONTHDAY=5,10", holiday_rule=HolidayRule.SKIP)
    [warning] = plans.legal_minimum_warnings(plan, today=date(2027, 1, 5))
    assert "2027-02" in warning.months  # 5 and 10 Feb 2027 both fall in Tết


@pytest.mark.parametrize("rrule", ["", "FREQ=HOURLY", "FREQ=MONTHLY;BYMONTHDAY=99", "nonsense",
                                   "FREQ=DAILY\nDTSTART:20270101", "FREQ=WEEKLY;BYDAY=XX"])
def test_invalid_rrule_is_refused_naming_the_field(commune, leader, rrule):
    with pytest.raises(plans.PlanError) as refused:
        make_plan(commune, leader, rrule=rrule)
    assert refused.value.field == "rrule"


def test_plan_leader_must_lead_the_office(commune, office_tree, make_user):
    outsider = make_user(Role.LEADER, office_tree["commune012"])
    with pytest.raises(session_services.SessionError) as refused:
        plans.create_plan(by=None, office=commune, leader=outsider, title="x", rrule="FREQ=WEEKLY",
                          starts_on=date(2027, 1, 1), start_time=time(8), end_time=time(9))
    assert refused.value.field == "leader"


# --- Materialisation and publication ----------------------------------------------------------------------

def test_materialising_twice_gives_the_same_sessions(commune, leader, office_tree):
    plan = make_plan(commune, leader, sites=[(office_tree["province01"], None)])
    first = plans.materialize(today=date(2027, 1, 1), days_ahead=60)
    snapshot = sorted(ReceptionSession.objects.values_list("pk", "occurrence_date", "starts_at"))
    second = plans.materialize(today=date(2027, 1, 1), days_ahead=60)
    assert (first.created, second.created, second.existing) == (4, 0, 4)
    assert sorted(ReceptionSession.objects.values_list("pk", "occurrence_date", "starts_at")) == snapshot
    session = ReceptionSession.objects.get(plan=plan, occurrence_date=date(2027, 1, 10))
    assert timezone.localtime(session.starts_at).date() == date(2027, 1, 11)  # Sunday → Monday
    assert session.kind == SessionKind.PERIODIC and session.status == SessionStatus.PLANNED
    assert {s.office.code for s in session.sites.all()} == {commune.code, "T01"}
    assert session.slots.count() == 7  # 8:00–11:30 in 30-minute slots


def test_two_materialisers_at_once_create_nothing_twice(commune, leader, transactional_db):
    make_plan(commune, leader)
    errors = []

    def run():
        try:
            plans.materialize(today=date(2027, 1, 1), days_ahead=90)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert ReceptionSession.objects.count() == 6


def test_publication_needs_five_working_days_or_a_reason(commune, leader):
    today = timezone.localdate()
    near = future_session(commune, days_ahead=3, publish=False)
    with pytest.raises(session_services.SessionError) as refused:
        session_services.publish(near, leader)
    assert refused.value.code == "late_publication_needs_reason"
    assert refused.value.field == "late_publication_reason"
    published = session_services.publish(near, leader, reason="Vụ việc đông người cần tiếp ngay")
    assert published.status == SessionStatus.PUBLISHED and published.late_publication_reason
    far = future_session(commune, days_ahead=30, publish=False)
    assert session_services.publication_is_timely(far)
    assert session_services.publish(far, leader).late_publication_reason == ""
    assert today  # the rule counts working days from today, holidays included (see workdays tests)


def test_auto_publication_meets_the_notice_period(commune, leader):
    today = timezone.localdate()
    make_plan(commune, leader, rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", starts_on=today)
    plans.materialize(days_ahead=40)
    published = plans.publish_due()
    assert published > 0
    for session in ReceptionSession.objects.filter(status=SessionStatus.PUBLISHED):
        assert session_services.publication_is_timely(session, now=session.published_at)
    assert plans.publish_due() == 0  # idempotent


def test_illegal_transitions_are_refused(commune, leader):
    session = future_session(commune)
    session_services.cancel(session, leader, reason="Lãnh đạo đi công tác đột xuất")
    for action in (lambda: session_services.publish(session, leader, reason="x"),
                   lambda: session_services.open_session(session, leader),
                   lambda: session_services.cancel(session, leader, reason="again")):
        with pytest.raises(session_services.SessionError) as refused:
            action()
        assert refused.value.code in {"invalid_transition", "outside_window"}


# --- Registration -------------------------------------------------------------------------------------

def register(citizen, slot, **extra):
    return registrations.register(citizen=citizen, slot_id=slot.pk, matter_kind=extra.pop("kind", "complaint"),
                                  matter_summary=extra.pop("summary", SUMMARY), **extra)


def test_capacity_then_waiting_list_then_refusal(commune, make_user, settings):
    settings.WAITLIST_MAX_PER_SLOT = 2
    slot = future_session(commune, slot_capacity=2).slots.first()
    results = [register(make_user(), slot) for _ in range(4)]
    assert [r.status for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [registrations.waitlist_position(r) for r in results[2:]] == [1, 2]
    with pytest.raises(RegistrationError) as refused:
        register(make_user(), slot)
    assert (refused.value.code, refused.value.field) == ("slot_full", "slot")
    slot.refresh_from_db()
    assert (slot.confirmed_count, slot.waitlist_count) == (2, 2)


def test_cancellation_promotes_the_first_waiting(commune, make_user):
    slot = future_session(commune, slot_capacity=1).slots.first()
    first, second, third = (register(make_user(), slot) for _ in range(3))
    registrations.cancel(first, first.citizen)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == RegistrationStatus.CONFIRMED and third.status == RegistrationStatus.WAITLISTED
    assert registrations.waitlist_position(third) == 1
    with pytest.raises(RegistrationError):
        registrations.cancel(second, third.citizen)  # not yours


def test_double_booking_and_repeat_registration_are_refused(commune, office_tree, make_user):
    citizen = make_user()
    a = future_session(commune)
    b = future_session(office_tree["commune012"])  # same day and hours, another commune
    register(citizen, a.slots.get(index=0))
    with pytest.raises(RegistrationError) as refused:
        register(citizen, b.slots.get(index=0))
    assert refused.value.code == "double_booking"
    with pytest.raises(RegistrationError) as refused:
        register(citizen, a.slots.get(index=2))
    assert refused.value.code == "already_registered"
    assert register(citizen, b.slots.get(index=2)).status == "confirmed"  # not overlapping


def test_registration_rules(commune, make_user, settings):
    citizen = make_user()
    session = future_session(commune)
    slot = session.slots.first()
    for extra, field in [({"kind": "gossip"}, "matter_kind"), ({"summary": "ngắn"}, "matter_summary"),
                         ({"people_count": 0}, "people_count"), ({"people_count": 6}, "representatives"),
                         ({"people_count": 12, "representatives": [{"full_name": f"R{i}"} for i in range(6)]},
                          "representatives")]:
        with pytest.raises(RegistrationError) as refused:
            register(citizen, slot, **extra)
        assert refused.value.field == field, extra
    group = register(citizen, slot, people_count=8, representatives=[{"full_name": "Nguyễn Văn Đại Diện"}])
    assert group.representatives == [{"full_name": "Nguyễn Văn Đại Diện", "phone": ""}]
    assert registrations.representatives_required(11) == (1, 5)
    closed = future_session(commune, days_ahead=25, registration_closes_at=timezone.now() + timedelta(minutes=1))
    with pytest.raises(RegistrationError) as refused:
        register(make_user(), closed.slots.first(), now=timezone.now() + timedelta(minutes=2))
    assert refused.value.code == "registration_closed"
    with pytest.raises(RegistrationError) as refused:
        register(make_user(), slot, now=slot.starts_at + timedelta(minutes=1))
    assert (refused.value.code, refused.value.field) == ("slot_in_past", "slot")
    unpublished = future_session(commune, days_ahead=40, publish=False)
    with pytest.raises(RegistrationError) as refused:
        register(make_user(), unpublished.slots.first())
    assert refused.value.code == "not_open"


def test_postponement_moves_registrations_and_cancellation_releases_them(commune, leader, make_user):
    session = future_session(commune, slot_capacity=1)
    slot0, slot1 = session.slots.get(index=0), session.slots.get(index=1)
    kept, waiting = register(make_user(), slot0), register(make_user(), slot0)
    other = register(make_user(), slot1)
    new_start = session.starts_at + timedelta(days=7)
    session_services.postpone(session, leader, reason="Trùng lịch họp khẩn của Tỉnh ủy", new_starts_at=new_start)
    session.refresh_from_db()
    replacement = session.replaced_by
    assert session.status == SessionStatus.POSTPONED and replacement.status == SessionStatus.PUBLISHED
    assert replacement.starts_at == new_start
    moved = Registration.objects.filter(session=replacement).order_by("created_at")
    assert [(r.citizen_id, r.status, r.slot.index) for r in moved] == [
        (kept.citizen_id, "confirmed", 0), (other.citizen_id, "confirmed", 1), (waiting.citizen_id, "waitlisted", 0)]
    assert not Registration.objects.filter(session=session, status__in=["confirmed", "waitlisted"]).exists()
    session_services.cancel(replacement, leader, reason="Bão số 3")
    assert not Registration.objects.filter(session=replacement, status__in=["confirmed", "waitlisted"]).exists()
    assert SessionSlot.objects.filter(session=replacement, confirmed_count__gt=0).count() == 0


# --- Concurrency on PostgreSQL ----------------------------------------------------------------------------

def run_concurrently(jobs, workers):
    """Run the callables at once from ``workers`` threads (each its own database connection)."""
    barrier = threading.Barrier(workers)
    results, lock = [], threading.Lock()
    chunks = [jobs[i::workers] for i in range(workers)]

    def worker(chunk):
        barrier.wait()
        try:
            for job in chunk:
                try:
                    outcome = job()
                except RegistrationError as exc:
                    outcome = exc.code
                with lock:
                    results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_attempts_on_a_slot_of_capacity_3(office_tree, make_user, settings):
    assert connection.vendor == "postgresql"
    settings.WAITLIST_MAX_PER_SLOT = 10
    slot = future_session(office_tree["commune011"], slot_capacity=3).slots.first()
    citizens = [make_user() for _ in range(200)]
    jobs = [lambda c=c: register(c, slot).status for c in citizens]
    outcomes = Counter(run_concurrently(jobs, workers=40))
    assert outcomes == {"confirmed": 3, "waitlisted": 10, "slot_full": 187}
    slot.refresh_from_db()
    assert (slot.confirmed_count, slot.waitlist_count) == (3, 10)
    assert Registration.objects.filter(slot=slot, status="confirmed").count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_citizens_simultaneous_overlapping_requests_one_wins(office_tree, make_user):
    rounds = 10
    a = future_session(office_tree["commune011"], slot_capacity=5)
    b = future_session(office_tree["commune012"], slot_capacity=5)
    for i in range(rounds):
        citizen = make_user()
        slot_a, slot_b = a.slots.get(index=i % 4), b.slots.get(index=i % 4)
        outcomes = run_concurrently([lambda c=citizen, s=slot_a: register(c, s).status,
                                     lambda c=citizen, s=slot_b: register(c, s).status], workers=2)
        assert sorted(outcomes) == ["confirmed", "double_booking"], outcomes
    assert Registration.objects.filter(status="confirmed").count() == rounds


@pytest.mark.django_db(transaction=True)
def test_the_database_itself_refuses_overlapping_confirmed_registrations(office_tree, make_user):
    """The exclusion constraint holds even for a write that skips the services layer."""
    citizen = make_user()
    a = future_session(office_tree["commune011"]).slots.first()
    b = future_session(office_tree["commune012"]).slots.first()
    register(citizen, a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(session=b.session, slot=b, citizen=citizen, status="confirmed",
                                    slot_starts_at=b.starts_at, slot_ends_at=b.ends_at, matter_kind="report",
                                    matter_summary=SUMMARY)
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionSlot.objects.filter(pk=a.pk).update(confirmed_count=5)  # above capacity


def test_local_helper():
    assert local(date(2027, 1, 1)).utcoffset() == timedelta(hours=7)
