"""A hand-counted scene for the reports tests: province T01 (own rows + communes X01001 "a" and X01002 "b")
and province T02, with cases, transitions and sessions placed at fixed moments around the Q1/Q2 2026
boundary (15 Mar) and the 15 Dec cut-off. The expected figures are written out in tests/test_reports.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from accounts.models import Role
from cases import services as case_services
from cases.models import Case, CaseTransition
from cases.workflow import FINAL_STATES
from minutes.models import CitizenSection, Minutes
from sessions.models import ReceptionSession
from tests.cases_helpers import make_case

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MARKER_NAME = "Trần Thị Bí Mật"  # a denouncer's name (tests.cases_helpers.DENOUNCER)
MARKER_SUMMARY = "NOI-DUNG-TO-CAO-BI-MAT"


def at(y, m, d, hh=9, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def _stamp(case, to_state, moment):
    """Move a transition to a past moment, and the case's marks copied from it (cases.services._history)."""
    CaseTransition.objects.filter(case=case, to_state=to_state).update(at=moment)
    if to_state in FINAL_STATES:
        Case.objects.filter(pk=case.pk).update(closed_at=moment)
    if CaseTransition.objects.filter(case=case, to_state=to_state, from_state="classified").exists():
        Case.objects.filter(pk=case.pk).update(decided_at=moment)


def _session(office, host, kind, status, starts, **extra):
    return ReceptionSession.objects.create(
        host_office=office, host=host, kind=kind, status=status, title="Phiên", starts_at=starts,
        ends_at=starts + timedelta(hours=2), slot_minutes=15, slot_capacity=1, registration_closes_at=starts,
        **extra)


def build(office_tree, make_user) -> dict:
    a, b, p = office_tree["commune011"], office_tree["commune012"], office_tree["province01"]
    o = office_tree["commune021"]
    u = {
        "leader_a": make_user(Role.LEADER, a, full_name="Chủ tịch Xã A"),
        "officer_a": make_user(Role.RECEPTION_OFFICER, a, full_name="Cán bộ Xã A"),
        "officer_b": make_user(Role.RECEPTION_OFFICER, b, full_name="Cán bộ Xã B"),
        "deputy_b": make_user(full_name="Phó Chủ tịch Xã B"),  # no leader role at b: hosts "delegated"
        "leader_p": make_user(Role.LEADER, p, full_name="Chủ tịch Tỉnh Một"),
        "officer_p": make_user(Role.RECEPTION_OFFICER, p, full_name="Cán bộ Tỉnh Một"),
        "inspector_p": make_user(Role.INSPECTOR, p, full_name="Thanh tra Tỉnh Một"),
        "officer_o": make_user(Role.RECEPTION_OFFICER, o, full_name="Cán bộ Xã Khác"),
        "central_inspector": make_user(Role.INSPECTOR, office_tree["central"], full_name="Thanh tra TW"),
    }
    oa, ob, op = u["officer_a"], u["officer_b"], u["officer_p"]

    # 1. a: complaint (land), received 14 Dec 2025 — the last day of Q4 2025 — accepted 20 Dec, concluded
    #    10 Jan 2026, due 1 Feb: carried over into Q1 2026, resolved on time in Q1.
    c1 = make_case(a, by=oa, kind="complaint", field="land", received_on=date(2025, 12, 14))
    for step in ("classify", "accept"):
        c1 = case_services.transition(c1, oa, step)
    c1 = case_services.conclude(c1, u["leader_a"], document_number="1/QĐ")
    _stamp(c1, "received", at(2025, 12, 14)), _stamp(c1, "classified", at(2025, 12, 20)),
    _stamp(c1, "accepted", at(2025, 12, 20, 10)), _stamp(c1, "concluded", at(2026, 1, 10))
    Case.objects.filter(pk=c1.pk).update(concluded_on=date(2026, 1, 10), resolution_due=date(2026, 2, 1))
    # 2. a: denunciation, received 15 Dec 2025 (first day of Q1), accepted 16 Dec, still verifying.
    c2 = make_case(a, by=oa, kind="denunciation", received_on=date(2025, 12, 15))
    for step in ("classify", "accept", "start_verifying"):
        c2 = case_services.transition(c2, oa, step)
    _stamp(c2, "classified", at(2025, 12, 16)), _stamp(c2, "accepted", at(2025, 12, 16, 10))
    _stamp(c2, "verifying", at(2025, 12, 17))
    # 3. b: petition (policy), received 14 Mar 2026 (last day of Q1), classified, guided 15 Mar 00:30.
    c3 = make_case(b, by=ob, kind="petition", field="policy_benefits", received_on=date(2026, 3, 14))
    c3 = case_services.transition(c3, ob, "classify")
    c3 = case_services.transition(c3, ob, "guide", guided_to_body="Tòa án nhân dân")
    _stamp(c3, "classified", at(2026, 3, 14, 16)), _stamp(c3, "guided", at(2026, 3, 15, 0, 30))
    # 4. b: complaint, received 15 Mar 2026 (first day of Q2), filed 20 Mar.
    c4 = make_case(b, by=ob, kind="complaint", received_on=date(2026, 3, 15))
    c4 = case_services.transition(c4, ob, "classify")
    c4 = case_services.transition(c4, ob, "file")
    _stamp(c4, "classified", at(2026, 3, 16)), _stamp(c4, "filed", at(2026, 3, 20))
    # 5. p: report (phản ánh, justice), received 5 Jan 2026, transferred 6 Jan to a commune of province 02.
    c5 = make_case(p, by=op, kind="report", field="justice", received_on=date(2026, 1, 5))
    c5 = case_services.transition(c5, op, "classify")
    received_at_o = case_services.transfer(c5, op, target_office=o, document_number="CV-5/UBND")
    _stamp(c5, "classified", at(2026, 1, 5, 15)), _stamp(c5, "transferred", at(2026, 1, 6))
    # 6. a: complaint, received 1 Feb 2026, accepted 2 Feb, concluded 20 Apr though due 1 Apr: late in Q2.
    c6 = make_case(a, by=oa, kind="complaint", received_on=date(2026, 2, 1))
    for step in ("classify", "accept"):
        c6 = case_services.transition(c6, oa, step)
    c6 = case_services.conclude(c6, u["leader_a"], document_number="6/QĐ")
    _stamp(c6, "classified", at(2026, 2, 2)), _stamp(c6, "accepted", at(2026, 2, 2, 10))
    _stamp(c6, "concluded", at(2026, 4, 20))
    Case.objects.filter(pk=c6.pk).update(concluded_on=date(2026, 4, 20), resolution_due=date(2026, 4, 1))
    # 7. o (province 02): complaint received 1 Jan 2026, still received. Only the central roll-up sees it.
    c7 = make_case(o, by=u["officer_o"], kind="complaint", received_on=date(2026, 1, 1))
    # The case created at o by the transfer of #5 is received today: outside every 2026 Q1/Q2 figure.
    Case.objects.filter(pk=received_at_o.pk).update(received_on=date(2026, 12, 1))
    c5.refresh_from_db()

    # Sessions (Q1 2026 unless said).
    la = u["leader_a"]
    for starts in (at(2026, 1, 15, 9), at(2026, 1, 15, 14), at(2026, 2, 15, 9)):
        _session(a, la, "periodic", "held", starts)
    s_a = ReceptionSession.objects.get(host_office=a, starts_at=at(2026, 1, 15, 9))
    _session(b, u["deputy_b"], "periodic", "held", at(2026, 2, 10))  # delegated
    s_b = _session(b, ob, "regular", "held", at(2026, 3, 1))
    _session(b, ob, "regular", "cancelled", at(2026, 3, 2))  # never counted
    _session(p, u["leader_p"], "adhoc", "held", at(2026, 3, 14, 22), adhoc_reason="many_people")  # last hour of Q1
    _session(p, u["leader_p"], "adhoc", "held", at(2026, 3, 15, 0, 0), adhoc_reason="many_people")  # Q2
    # Receptions: sections of the minutes (people 1 and a group of 6 at a; 2 at b's regular session).
    m_a = Minutes.objects.create(session=s_a)
    CitizenSection.objects.create(minutes=m_a, ordinal=1, kind="complaint", people_count=1)
    CitizenSection.objects.create(minutes=m_a, ordinal=2, kind="denunciation", people_count=6)
    m_b = Minutes.objects.create(session=s_b)
    CitizenSection.objects.create(minutes=m_b, ordinal=1, kind="petition", people_count=2)
    return {**u, "office_tree": office_tree, "cases": [c1, c2, c3, c4, c5, c6, c7]}
