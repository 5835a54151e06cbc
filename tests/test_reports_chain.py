"""Reports: drafting (beat and on demand), the submission chain with per-role permissions, frozen
snapshots, returns and resubmission, deadlines, overdue alerts sent once, ad-hoc reports on a case."""

from __future__ import annotations

from datetime import date

import pytest

from audit.models import AuditEntry
from audit.services import verify_chain
from cases import services as case_services
from core.errors import DomainError
from notifications.models import Notification
from offices.models import Office
from reports import services, tasks
from reports.models import Report, ReportStatus, ReportVersion
from tests.reports_helpers import build


@pytest.fixture
def scene(office_tree, make_user):
    return build(office_tree, make_user)


def _refused(fn, *args, code="forbidden", **kwargs):
    with pytest.raises(DomainError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code


def test_deadlines_are_working_days_after_the_cut_off_and_15_november(db, settings):
    from oversight import periods
    from workdays.calendar import working_days_after

    q1 = periods.parse("q1-2026")
    assert services.deadline_of("commune", "periodic", q1) == working_days_after(date(2026, 3, 14), 2)
    assert services.deadline_of("provincial", "periodic", q1) == working_days_after(date(2026, 3, 14), 5)
    settings.REPORT_DEADLINE_WORKING_DAYS = {"commune": 1, "provincial": 1, "central": 1}
    assert services.deadline_of("commune", "periodic", q1) == date(2026, 3, 16)  # 14 Mar is a Saturday
    kl = services.period_of("kl107", "kl107-2026")
    assert (kl.start, kl.end) == (date(2025, 12, 15), date(2026, 9, 14))
    assert services.deadline_of("provincial", "kl107", kl) == date(2026, 11, 15)
    _refused(services.period_of, "periodic", "q9-2026", code="invalid")


def test_beat_drafts_once_for_every_office(scene):
    first = tasks.draft_due_reports("2026-03-20")
    assert first["drafted"] == {"periodic:q1-2026": Office.objects.count()}
    again = tasks.draft_due_reports("2026-03-21")
    assert again["drafted"] == {"periodic:q1-2026": 0}
    assert Report.objects.filter(period_key="q1-2026").count() == Office.objects.count()
    # 15 Dec: Q4, 6-month? no — Q4 and the year end on 14 Dec; the KL-107 data (9 months) ended 14 Sep.
    later = tasks.draft_due_reports("2026-12-16")
    assert set(later["drafted"]) == {"periodic:q4-2026", "periodic:year-2026"}
    assert tasks.draft_reports("kl107", "kl107-2026") == Office.objects.count()


def test_the_chain_with_permissions_snapshot_return_and_resubmission(scene):
    tree = scene["office_tree"]
    commune = tree["commune011"]
    report = services.draft(commune, "periodic", "q1-2026")
    # Only the office's staff edit and prepare; only its head approves and submits.
    _refused(services.prepare, report, scene["officer_b"])
    _refused(services.prepare, report, scene["inspector_p"])
    report = services.edit(report, scene["officer_a"], assessment="Tình hình ổn định.", difficulties="Thiếu cán bộ.",
                           proposals="Bổ sung biên chế.")
    report = services.prepare(report, scene["officer_a"])
    assert report.status == ReportStatus.PREPARED and report.figures["total"]["received"] == 2
    _refused(services.edit, report, scene["officer_a"], assessment="", difficulties="", proposals="",
             code="invalid_state")
    _refused(services.approve, report, scene["officer_a"])
    _refused(services.approve, report, scene["leader_p"])  # the province's head is not this office's head
    _refused(services.submit, report, scene["leader_a"], code="invalid_state")  # approve first
    report = services.approve(report, scene["leader_a"])
    v1 = services.submit(report, scene["leader_a"])
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and v1.ordinal == 1
    assert v1.sha256 == services.digest(v1.snapshot) and len(v1.sha256) == 64
    assert v1.snapshot["figures"]["total"]["received"] == 2
    assert v1.snapshot["texts"]["assessment"] == "Tình hình ổn định."
    assert v1.snapshot["signer"]["name"] == "Chủ tịch Xã A"
    frozen = dict(v1.snapshot)

    # The data change afterwards: a new case received in Q1 at the commune. The snapshot does not.
    from tests.cases_helpers import make_case

    make_case(commune, by=scene["officer_a"], kind="complaint", received_on=date(2026, 2, 20))
    v1.refresh_from_db()
    assert v1.snapshot == frozen and services.digest(v1.snapshot) == v1.sha256

    # The tier above returns it (not the commune itself, not the other province).
    _refused(services.return_report, report, scene["officer_a"], reason="x")
    _refused(services.return_report, report, scene["officer_o"], reason="x")
    _refused(services.return_report, report, scene["leader_p"], reason="  ", code="required")
    report = services.return_report(report, scene["leader_p"], reason="Thiếu số liệu đoàn đông người.")
    assert report.status == ReportStatus.RETURNED
    v1.refresh_from_db()
    assert v1.return_reason == "Thiếu số liệu đoàn đông người." and v1.returned_by == scene["leader_p"]
    assert Notification.objects.filter(recipient=scene["officer_a"], kind="report.returned").count() == 1

    # Resubmission: a new version, the old one kept as it was.
    report = services.prepare(report, scene["officer_a"])
    report = services.approve(report, scene["leader_a"])
    v2 = services.submit(report, scene["leader_a"])
    assert v2.ordinal == 2 and v2.snapshot["figures"]["total"]["received"] == 3
    assert ReportVersion.objects.filter(report=report).count() == 2
    v1.refresh_from_db()
    assert v1.snapshot == frozen and v1.sha256 != v2.sha256
    actions = list(AuditEntry.objects.filter(target_type="reports.report", target_id=str(report.pk))
                   .values_list("action", flat=True))
    assert actions == ["reports.edit", "reports.prepare", "reports.approve", "reports.submit", "reports.return",
                       "reports.prepare", "reports.approve", "reports.submit"]
    submitted = AuditEntry.objects.filter(action="reports.submit").order_by("seq")
    assert [e.details["sha256"] for e in submitted] == [v1.sha256, v2.sha256]
    assert verify_chain()[1] == []


def test_overdue_reports_alert_the_office_and_the_tier_above_once(scene):
    tree = scene["office_tree"]
    services.draft_all("periodic", "q1-2026")
    done = services.draft(tree["commune012"], "periodic", "q1-2026")
    Report.objects.filter(pk=done.pk).update(status=ReportStatus.SUBMITTED)
    deadline = services.draft(tree["commune011"], "periodic", "q1-2026").deadline
    assert services.alert_overdue(deadline) == 0  # not yet past
    created = services.alert_overdue(date(2026, 4, 30))
    commune_a = Notification.objects.filter(kind="report.overdue", title__contains="Office X01001")
    recipients = set(commune_a.values_list("recipient__full_name", flat=True))
    assert recipients == {"Chủ tịch Xã A", "Cán bộ Xã A", "Chủ tịch Tỉnh Một", "Thanh tra Tỉnh Một"}
    assert not Notification.objects.filter(kind="report.overdue", title__contains="Office X01002").exists()
    assert created == Notification.objects.filter(kind="report.overdue").count() > 0
    assert services.alert_overdue(date(2026, 5, 1)) == 0  # exactly once
    assert tasks.draft_due_reports("2026-05-02")["alerts"] == 0


def test_tracker_shows_submitted_late_and_missing(scene):
    tree = scene["office_tree"]
    from django.utils import timezone

    a = services.draft(tree["commune011"], "periodic", "q1-2026")
    for step in (services.prepare,):
        a = step(a, scene["officer_a"])
    a = services.approve(a, scene["leader_a"])
    on_time = timezone.make_aware(timezone.datetime(2026, 3, 15, 10))
    services.submit(a, scene["leader_a"], now=on_time)
    rows = {r["office"].code: r for r in services.tracker(tree["province01"], "periodic", "q1-2026",
                                                          today=date(2026, 4, 1))}
    assert rows["X01001"]["state"] == "submitted"
    assert rows["X01002"]["state"] == "missing" and rows["X01002"]["overdue"] is True
    ReportVersion.objects.filter(report=a).update(submitted_at=timezone.make_aware(timezone.datetime(2026, 4, 1)))
    rows = {r["office"].code: r for r in services.tracker(tree["province01"], "periodic", "q1-2026",
                                                          today=date(2026, 4, 1))}
    assert rows["X01001"]["state"] == "late"


def test_adhoc_report_on_a_named_case_is_requested_and_answered(scene):
    case = scene["cases"][1]  # the denunciation at commune a
    _refused(services.request_adhoc, case, scene["officer_a"], request_text="Báo cáo", deadline=date(2099, 1, 1))
    report = services.request_adhoc(case, scene["inspector_p"], request_text="Báo cáo tiến độ xác minh.",
                                    deadline=date(2099, 1, 1))
    assert Notification.objects.filter(recipient=scene["officer_a"], kind="report.requested").exists()
    report = services.edit(report, scene["officer_a"], assessment="Đang xác minh, dự kiến kết luận tháng sau.",
                           difficulties="", proposals="")
    report = services.prepare(report, scene["officer_a"])
    report = services.approve(report, scene["leader_a"])
    version = services.submit(report, scene["leader_a"])
    assert version.snapshot["figures"]["case"]["number"] == case.number
    assert version.snapshot["figures"]["case"]["state"] == "verifying"
    assert version.snapshot["request"] == "Báo cáo tiến độ xác minh."
    case_services.conclude(case, scene["leader_a"], document_number="2/KL")
    version.refresh_from_db()
    assert version.snapshot["figures"]["case"]["state"] == "verifying"


def test_api_lists_reports_status_versions_and_the_tracker(scene, client):
    from tests.cases_helpers import login

    tree = scene["office_tree"]
    report = services.draft(tree["commune011"], "periodic", "q1-2026")
    report = services.prepare(report, scene["officer_a"])
    report = services.approve(report, scene["leader_a"])
    version = services.submit(report, scene["leader_a"])
    api = login(scene["inspector_p"])
    listing = api.get("/api/reports/?period=q1-2026").json()
    rows = listing["results"] if isinstance(listing, dict) else listing
    assert [(r["office"], r["status"], len(r["versions"])) for r in rows] == [("X01001", "submitted", 1)]
    snap = api.get(f"/api/reports/{report.pk}/versions/1/").json()
    assert snap["sha256"] == version.sha256 == services.digest(snap["snapshot"])
    assert snap["snapshot"]["figures"]["total"]["received"] == 2
    figures = api.get(f"/api/reports/{report.pk}/figures/").json()
    assert figures["total"]["carried_over"] == 1
    tracker = api.get("/api/reports/tracker/?office=T01&period=q1-2026").json()
    assert {r["office"]: r["state"] for r in tracker["rows"]}["X01002"] == "missing"
    assert api.get("/api/reports/tracker/?office=T01&period=zz").status_code == 400
    outsider = login(scene["officer_o"])
    assert outsider.get(f"/api/reports/{report.pk}/").status_code == 403
    assert outsider.get("/api/reports/tracker/?office=T01&period=q1-2026").status_code == 403
    rows = outsider.get("/api/reports/").json()
    assert (rows["results"] if isinstance(rows, dict) else rows) == []
    assert api.get("/api/reports/?kind=bogus").status_code == 400
    schema = api.get("/api/schema/?format=json").json()
    assert "/api/reports/" in schema["paths"] and "/api/reports/{id}/versions/{ordinal}/" in schema["paths"]
