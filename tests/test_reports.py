"""Reports: the indicators against a hand-counted scene (tests/reports_helpers.py), the roll-up, the Q1/Q2
boundary and the 15 Dec cut-off, reproducibility, and a constant number of queries."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services as case_services
from offices.models import Office
from oversight import periods
from reports import indicators
from tests.reports_helpers import build


@pytest.fixture
def scene(office_tree, make_user):
    return build(office_tree, make_user)


def _nonzero(figures):
    return {k: v for k, v in figures.items() if v}


Q1_A = {"sessions_periodic": 3, "receptions": 2, "receptions_periodic": 2, "people": 7, "group_delegations": 1,
        "group_people": 6, "head_days_required": 6, "head_days_in_person": 2, "heads_below_minimum": 1,
        "carried_over": 1, "received": 2, "to_handle": 3, "eligible": 3, "kind_complaint": 1,
        "kind_denunciation": 1, "field_other": 2, "outcome_accepted": 3, "resolved_on_time": 1, "open_at_cutoff": 2}
Q1_B = {"sessions_periodic": 1, "sessions_regular": 1, "receptions": 1, "receptions_regular": 1, "people": 2,
        "head_days_delegated": 1, "received": 1, "to_handle": 1, "kind_petition": 1, "field_policy_benefits": 1,
        "open_at_cutoff": 1}
Q1_P_OWN = {"sessions_adhoc": 1, "head_days_required": 3, "heads_below_minimum": 1, "received": 1, "to_handle": 1,
            "eligible": 1, "kind_report": 1, "field_justice": 1, "outcome_transferred": 1}


def test_q1_figures_of_a_province_are_its_own_plus_its_communes(scene):
    result = indicators.rollup(scene["office_tree"]["province01"], periods.parse("q1-2026"))
    rows = {row["code"]: _nonzero(row["figures"]) for row in result["rows"]}
    assert rows == {"X01001": Q1_A, "X01002": Q1_B}
    assert _nonzero(result["own"]) == Q1_P_OWN
    expected_total = {}
    for part in (Q1_A, Q1_B, Q1_P_OWN):
        for key, value in part.items():
            expected_total[key] = expected_total.get(key, 0) + value
    assert _nonzero(result["total"]) == expected_total
    # Hand totals, written out: 6 sessions, 3 receptions of 9 people, 9 days required and 2 held in person.
    total = result["total"]
    assert (total["sessions_regular"], total["sessions_periodic"], total["sessions_adhoc"]) == (1, 4, 1)
    assert (total["receptions"], total["people"], total["group_delegations"]) == (3, 9, 1)
    assert (total["head_days_required"], total["head_days_in_person"], total["head_days_delegated"]) == (9, 2, 1)
    assert (total["carried_over"], total["received"], total["to_handle"], total["eligible"]) == (1, 4, 5, 4)
    assert (total["outcome_accepted"], total["outcome_transferred"], total["outcome_guided"]) == (3, 1, 0)
    assert (total["resolved_on_time"], total["resolved_late"], total["open_at_cutoff"]) == (1, 0, 3)


def test_q2_carries_over_what_was_open_at_the_q1_cut_off(scene):
    province = scene["office_tree"]["province01"]
    q1 = indicators.rollup(province, periods.parse("q1-2026"))["total"]
    q2 = indicators.rollup(province, periods.parse("q2-2026"))["total"]
    assert q2["carried_over"] == q1["open_at_cutoff"] == 3
    # The petition classified on 14 Mar and guided at 00:30 on 15 Mar is a Q2 outcome.
    assert _nonzero(q2) == {"sessions_adhoc": 1, "head_days_required": 9, "heads_below_minimum": 2,
                            "carried_over": 3, "received": 1, "to_handle": 4, "kind_complaint": 1, "field_other": 1,
                            "outcome_guided": 1, "outcome_filed": 1, "eligible": 1, "resolved_late": 1,
                            "open_at_cutoff": 1}


def test_the_15_december_cut_off(scene):
    """Received on 14 Dec 2025: Q4 2025 (and year 2025); on 15 Dec 2025: Q1 and year 2026."""
    province = scene["office_tree"]["province01"]
    q4 = indicators.rollup(province, periods.parse("q4-2025"))["total"]
    assert (q4["received"], q4["kind_complaint"], q4["field_land"], q4["open_at_cutoff"]) == (1, 1, 1, 1)
    assert q4["kind_denunciation"] == 0 and q4["outcome_accepted"] == 0  # accepted on 20 Dec: next year
    year = indicators.rollup(province, periods.parse("year-2026"))["total"]
    assert (year["carried_over"], year["received"], year["kind_denunciation"]) == (1, 5, 1)
    assert year["resolved_on_time"] == 1 and year["resolved_late"] == 1
    assert year["outcome_accepted"] == 3 and year["outcome_guided"] == year["outcome_filed"] == 1


def test_central_rolls_up_every_province(scene):
    tree = scene["office_tree"]
    result = indicators.rollup(tree["central"], periods.parse("q1-2026"), all_offices=True)
    rows = {row["code"]: row["figures"] for row in result["rows"]}
    province01 = indicators.rollup(tree["province01"], periods.parse("q1-2026"))["total"]
    assert rows["T01"] == province01
    assert rows["T02"]["received"] == 1 and rows["T02"]["open_at_cutoff"] == 1
    for key in indicators.KEYS:
        assert result["total"][key] == result["own"][key] + sum(r[key] for r in rows.values())
    assert result["total"]["received"] == 5
    every = {o["code"]: o["figures"]["received"] for o in result["offices"]}
    assert every == {"TW": 0, "T01": 1, "X01001": 2, "X01002": 1, "T02": 0, "X02001": 1, "X02002": 0}


def test_figures_are_reproducible_after_the_data_change(scene):
    province = scene["office_tree"]["province01"]
    before = indicators.rollup(province, periods.parse("q1-2026"))
    c2 = scene["cases"][1]
    case_services.conclude(c2, scene["leader_a"], document_number="2/KL")  # today, long after Q1
    assert indicators.rollup(province, periods.parse("q1-2026")) == before


def test_query_count_does_not_grow_with_offices(scene):
    tree = scene["office_tree"]
    period = periods.parse("q1-2026")
    with CaptureQueriesContext(connection) as small:
        indicators.rollup(tree["central"], period)
    province = tree["province02"]
    for n in range(20):
        Office.objects.create(code=f"X0299{n:02d}", name=f"Xã {n}", tier="commune", kind="reception_point",
                              parent=province, path=f"{province.path}X0299{n:02d}/")
    with CaptureQueriesContext(connection) as large:
        result = indicators.rollup(tree["central"], period, all_offices=True)
    assert len(result["offices"]) == 27
    assert len(large.captured_queries) == len(small.captured_queries) <= 12
    with CaptureQueriesContext(connection) as commune:
        indicators.rollup(tree["commune011"], period)
    assert len(commune.captured_queries) == len(small.captured_queries)


def test_q1_2026_period_bounds_are_the_circulars():
    assert periods.parse("q1-2026").start == date(2025, 12, 15)


def test_case_marks_are_copied_from_the_transition_history(scene):
    """Case.closed_at / decided_at / decision equal what the history says (the migration's backfill too)."""
    from django.db import connection

    from cases.models import Case, CaseTransition
    from cases.workflow import FINAL_STATES

    marks = {c.pk: (c.closed_at, c.decided_at, c.decision) for c in Case.objects.all()}
    for case in Case.objects.all():
        closing = CaseTransition.objects.filter(case=case, to_state__in=FINAL_STATES).order_by("at").first()
        decision = CaseTransition.objects.filter(case=case, from_state="classified").order_by("at").first()
        assert marks[case.pk] == (closing.at if closing else None, decision.at if decision else None,
                                  decision.to_state if decision else "")
    import importlib

    migration = importlib.import_module("cases.migrations.0005_case_closed_decided_marks")
    for backfill in (migration.BACKFILL, migration.BACKFILL_POSTGRESQL):
        Case.objects.update(closed_at=None, decided_at=None, decision="")
        with connection.cursor() as cursor:
            for sql in backfill:
                cursor.execute(sql)
        assert {c.pk: (c.closed_at, c.decided_at, c.decision) for c in Case.objects.all()} == marks
