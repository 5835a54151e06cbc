"""Deadlines of cases: complaint resolution (remote, complex, second time), denunciation extensions, the
10-working-day citizen notice across Tết 2027, and the daily check (warning, overdue alert, escalation,
flags) on a fake clock, idempotent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from audit.models import AuditEntry
from cases import deadlines, services, tasks
from cases.models import CaseAlert, DeadlineExtension
from core.errors import DomainError
from notifications.models import Notification
from tests.cases_helpers import DENOUNCER, SECRET, make_case, staff
from workdays.calendar import WorkingCalendar

CAL = WorkingCalendar()


def test_pure_complaint_limits():
    accepted = date(2026, 3, 2)  # Monday
    due = lambda **kw: deadlines.resolution_due("complaint", accepted, cal=CAL, **kw)  # noqa: E731
    assert due() == date(2026, 4, 1)  # 30 days
    assert due(complex_=True) == date(2026, 4, 16)  # 45
    assert due(remote=True) == date(2026, 4, 16)  # 45
    # 60 days end on Fri 1 May 2026 (Labour Day, after 30 April): moved past the weekend to Mon 4 May.
    assert due(remote=True, complex_=True) == date(2026, 5, 4)
    assert deadlines.resolution_days("complaint", second_time=True) == 45
    assert deadlines.resolution_days("complaint", second_time=True, complex_=True) == 60
    assert deadlines.resolution_days("complaint", second_time=True, remote=True) == 60
    assert deadlines.resolution_days("complaint", second_time=True, remote=True, complex_=True) == 70
    assert deadlines.resolution_days("denunciation", extension_days=[30, 20]) == 80
    assert deadlines.resolution_days("petition") is None
    assert deadlines.acceptance_due("complaint", date(2026, 3, 2), cal=CAL) == date(2026, 3, 12)
    assert deadlines.acceptance_due("denunciation", date(2026, 3, 2), cal=CAL) is None
    assert deadlines.filed_until(date(2028, 2, 29)) == date(2029, 2, 28)


def test_settings_override_limits(settings):
    settings.CASE_COMPLAINT_RESOLUTION_DAYS = {"first": 20}
    settings.CASE_CITIZEN_NOTICE_WORKING_DAYS = 5
    assert deadlines.resolution_days("complaint") == 20
    assert deadlines.resolution_days("complaint", complex_=True) == 45
    assert deadlines.citizen_notice_due(date(2026, 3, 2), cal=CAL) == date(2026, 3, 9)


def test_citizen_notice_across_tet_2027(office_tree, make_user):
    """Tết Nguyên Đán 2027 (Lunar New Year: Saturday 6 Feb 2027). The calendar's days off run from Thu 4 Feb
    (29 Tết) to Wed 10 Feb (Mùng năm). A reception on Monday 1 Feb 2027 counts its 10 working days as
    Tue 2, Wed 3, [4–10 off], Thu 11, Fri 12, Mon 15, Tue 16, Wed 17, Thu 18, Fri 19, Mon 22 Feb:
    the citizen must be told how the matter is handled by Monday 22 February 2027."""
    assert [CAL.is_working_day(date(2027, 2, d)) for d in range(3, 12)] == [
        True, False, False, False, False, False, False, False, True]
    case = make_case(office_tree["commune011"], received_on=date(2027, 2, 1))
    assert case.citizen_notice_due == date(2027, 2, 22)
    # The 10 days to accept the complaint (calendar days) end on Thu 11 Feb 2027, the first day back.
    assert case.acceptance_due == date(2027, 2, 11)


def test_remote_commune_first_time_complaint(office_tree, make_user):
    people = staff(office_tree, make_user)
    commune = office_tree["commune011"]
    commune.is_remote_area = True
    commune.save()
    plain = make_case(commune, by=people["officer"], received_on=date(2026, 2, 23))
    plain = services.accept(services.classify(plain, people["officer"]), people["officer"], today=date(2026, 3, 2))
    assert plain.resolution_due == date(2026, 4, 16)  # remote: 45 days
    hard = make_case(commune, by=people["officer"], received_on=date(2026, 2, 23))
    hard = services.classify(hard, people["officer"], is_complex=True)
    hard = services.accept(hard, people["officer"], today=date(2026, 3, 2))
    assert hard.resolution_due == date(2026, 5, 4)  # remote complex: 60 days, moved past 1 May + weekend
    # The same complaint in a commune that is not remote: 30 days.
    near = make_case(office_tree["commune012"], received_on=date(2026, 2, 23))
    near = services.accept(services.classify(near, None), None, today=date(2026, 3, 2))
    assert near.resolution_due == date(2026, 4, 1)


def test_denunciation_two_extensions_third_refused(office_tree, make_user):
    people = staff(office_tree, make_user)
    leader, officer = people["leader"], people["officer"]
    case = make_case(office_tree["commune011"], by=officer, kind="denunciation", received_on=date(2026, 6, 1))
    with pytest.raises(DomainError) as caught:  # not yet being resolved
        services.extend_deadline(case, "01/QĐ-GH", 30, leader)
    assert caught.value.code == "not_in_resolution"
    case = services.accept(services.classify(case, officer), officer, today=date(2026, 6, 1))
    assert case.resolution_due == date(2026, 7, 1)  # 30 days
    with pytest.raises(DomainError) as caught:  # the head decides, not an officer
        services.extend_deadline(case, "01/QĐ-GH", 30, officer)
    assert caught.value.code == "forbidden"
    with pytest.raises(DomainError) as caught:
        services.extend_deadline(case, "01/QĐ-GH", 31, leader)
    assert (caught.value.code, caught.value.field) == ("out_of_range", "days")
    with pytest.raises(DomainError) as caught:
        services.extend_deadline(case, "  ", 10, leader)
    assert caught.value.field == "decision_number"

    services.extend_deadline(case, "01/QĐ-GH", 30, leader, decided_on=date(2026, 6, 25))
    case.refresh_from_db()
    assert case.resolution_due == date(2026, 7, 31)  # 60 days
    services.extend_deadline(case, "02/QĐ-GH", 30, leader, decided_on=date(2026, 7, 25))
    case.refresh_from_db()
    # 90 days end on Sun 30 Aug 2026; Mon 31 Aug (day off in exchange for Sat 22 Aug) and 1–2 Sep (National
    # Day) are off: the deadline is Thu 3 Sep 2026.
    assert case.resolution_due == date(2026, 9, 3)
    with pytest.raises(DomainError) as caught:
        services.extend_deadline(case, "03/QĐ-GH", 10, leader)
    assert caught.value.code == "too_many_extensions"
    assert list(DeadlineExtension.objects.filter(case=case).values_list("ordinal", "decision_number", "days")) == [
        (1, "01/QĐ-GH", 30), (2, "02/QĐ-GH", 30)]
    complaint = services.accept(services.classify(make_case(office_tree["commune011"]), None), None)
    with pytest.raises(DomainError) as caught:
        services.extend_deadline(complaint, "04/QĐ", 10, leader)
    assert caught.value.code == "not_denunciation"


def _notes(user, kind=None):
    qs = Notification.objects.filter(recipient=user)
    return qs.filter(kind=kind) if kind else qs


def test_daily_check_warning_overdue_escalation_idempotent(office_tree, make_user):
    people = staff(office_tree, make_user)
    leader, officer, handler = people["leader"], people["officer"], people["officer2"]
    inspector = people["province_inspector"]
    case = make_case(office_tree["commune011"], by=officer, kind="denunciation", received_on=date(2026, 6, 1))
    case = services.accept(services.classify(case, officer), officer, today=date(2026, 6, 1))
    services.assign_handler(case, leader, handler)
    due = case.resolution_due
    assert due == date(2026, 7, 1)
    warn = deadlines.warning_date(due, CAL)
    assert warn == date(2026, 6, 26)  # 3 working days before Wed 1 July: Fri 26 June

    def run(day):
        return tasks.check_case_deadlines(today=day)

    assert run(warn - timedelta(days=1))["warnings"] == 0
    assert run(warn)["warnings"] == 1
    assert run(warn)["warnings"] == 0  # idempotent
    assert _notes(handler, "case.resolution.warning").count() == 1
    assert not _notes(leader, "case.resolution.warning").exists()

    overdue_day = due + timedelta(days=1)
    first = run(overdue_day)
    assert first["overdue"] == 2  # the handler and the leader
    assert run(overdue_day)["overdue"] == 0
    assert _notes(handler, "case.resolution.overdue").count() == 1
    assert _notes(leader, "case.resolution.overdue").count() == 1
    assert not _notes(inspector).exists()

    escalation_day = due + timedelta(days=deadlines.escalation_delay_days())
    assert run(escalation_day - timedelta(days=1))["escalations"] == 0
    # Through Celery (eager in tests), with the fake clock as an ISO date.
    result = tasks.check_case_deadlines.delay(today=escalation_day.isoformat()).get()
    assert result["escalations"] == 1
    assert run(escalation_day)["escalations"] == 0
    assert _notes(inspector, "case.resolution.escalation").count() == 1
    assert not _notes(people["central_inspector"]).exists()  # only the tier directly above
    case.refresh_from_db()
    assert case.escalated_at is not None
    assert AuditEntry.objects.filter(action="cases.escalate", target_id=str(case.pk)).count() == 1

    total = Notification.objects.count()
    for day in (warn, overdue_day, escalation_day, escalation_day + timedelta(days=3)):
        run(day)
    assert Notification.objects.count() == total  # nothing twice
    assert CaseAlert.objects.filter(case=case).count() == 3
    # Nothing secret in any notification about the denunciation.
    for note in Notification.objects.all():
        text = note.title + note.body
        assert case.number in text
        assert SECRET not in text and DENOUNCER["full_name"] not in text and DENOUNCER["id_number"] not in text

    # An extension moves the deadline: its alerts are new ones (new due date).
    services.extend_deadline(case, "01/QĐ-GH", 30, leader)
    case.refresh_from_db()
    assert run(deadlines.warning_date(case.resolution_due, CAL))["warnings"] == 1


def test_daily_check_unassigned_and_flags(office_tree, make_user):
    people = staff(office_tree, make_user)
    officer = people["officer"]
    group = make_case(office_tree["commune011"], by=officer, people_count=12, received_on=date(2026, 6, 1))
    assert group.is_group
    first = make_case(office_tree["commune011"], by=officer, received_on=date(2026, 3, 2))
    repeat = make_case(office_tree["commune011"], by=officer, received_on=date(2026, 6, 1), previous_case=first)
    # Closed cases are not checked.
    services.file(services.classify(first, officer), officer)

    counts = tasks.check_case_deadlines(today=date(2026, 6, 2))
    assert counts["flags"] == 2
    inspector = people["province_inspector"]
    assert _notes(inspector, "case.group.flag").get().case_id == group.pk
    assert _notes(inspector, "case.repeated.flag").get().case_id == repeat.pk
    assert tasks.check_case_deadlines(today=date(2026, 6, 2))["flags"] == 0

    # No handler: the office's leaders and officers get the warning of the acceptance deadline (10 days from
    # 1 June: Thu 11 June; warning 3 working days before: Mon 8 June).
    assert group.acceptance_due == date(2026, 6, 11)
    counts = tasks.check_case_deadlines(today=date(2026, 6, 8))
    assert _notes(officer, "case.acceptance.warning").count() == 2  # the group case and the repeated one
    assert _notes(people["leader"], "case.acceptance.warning").count() == 2
    assert not _notes(people["secretary"]).exists()
