"""Every write of the reports app: drafting, editing, the submission chain (prepare → approve → submit →
return → resubmit), ad-hoc requests, and overdue alerts. Views, API and tasks only call these.

Roles (accounts.models.Role):
* prepare / edit: reception officer, secretary, office administrator or leader OF the office;
* approve and submit: a leader (the head) of the office;
* return: a leader of the parent office, or an inspector / office administrator of any office above;
* request an ad-hoc report on a case: the same people as "return", for the case's office.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, RoleAssignment
from accounts.permissions import has_role_at
from audit.services import record
from core.errors import DomainError
from offices.models import Office, Tier
from oversight import periods
from oversight.periods import Period
from reports import indicators
from reports.models import Report, ReportKind, ReportStatus, ReportVersion

PREPARE_ROLES = (Role.RECEPTION_OFFICER, Role.SECRETARY, Role.OFFICE_ADMIN, Role.LEADER)
HEAD_ROLES = (Role.LEADER,)
ABOVE_ROLES = (Role.LEADER, Role.INSPECTOR, Role.OFFICE_ADMIN)
EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)


class ReportError(DomainError):
    """A refused report action."""


# --- periods and deadlines -------------------------------------------------------------------------------


def period_of(kind: str, period_key: str) -> Period:
    """The data period of a periodic report (``q1-2026``) or of the KL-107 report (``kl107-2026``: the
    period kind ``REPORT_KL107_PERIOD_KIND`` of that year)."""
    if kind == ReportKind.KL107:
        prefix, _sep, year = period_key.partition("-")
        if prefix != "kl107" or not year.isdigit():
            raise ReportError(_("Kỳ báo cáo không hợp lệ."), "invalid", "period")
        return periods.period(settings.REPORT_KL107_PERIOD_KIND, int(year))
    found = periods.parse(period_key)
    if found is None:
        raise ReportError(_("Kỳ báo cáo không hợp lệ."), "invalid", "period")
    return found


def deadline_of(office_tier: str, kind: str, period: Period) -> date:
    """Periodic: N working days after the cut-off (N per tier, settings.REPORT_DEADLINE_WORKING_DAYS);
    KL-107: the fixed day of the year (settings.REPORT_KL107_DUE, 15 November)."""
    from workdays.calendar import working_days_after

    if kind == ReportKind.KL107:
        month, day = settings.REPORT_KL107_DUE
        return date(periods.report_year(period.end), month, day)
    return working_days_after(period.end, settings.REPORT_DEADLINE_WORKING_DAYS[office_tier])


# --- drafting --------------------------------------------------------------------------------------------


def draft(office: Office, kind: str, period_key: str) -> Report:
    """The office's report for the period, made once (idempotent)."""
    period = period_of(kind, period_key)
    report, _created = Report.objects.get_or_create(
        office=office, kind=kind, period_key=period_key,
        defaults={"period_start": period.start, "period_end": period.end,
                  "deadline": deadline_of(office.tier, kind, period)})
    return report


def draft_all(kind: str, period_key: str) -> int:
    """A draft for every active office (one INSERT … ON CONFLICT DO NOTHING): idempotent, constant
    query count. Returns how many were created."""
    period = period_of(kind, period_key)
    deadlines = {tier: deadline_of(tier, kind, period) for tier in Tier.values}
    before = Report.objects.filter(kind=kind, period_key=period_key).count()
    Report.objects.bulk_create(
        [Report(office_id=pk, kind=kind, period_key=period_key, period_start=period.start, period_end=period.end,
                deadline=deadlines[tier])
         for pk, tier in Office.objects.filter(is_active=True).values_list("pk", "tier")],
        ignore_conflicts=True, batch_size=2000)
    return Report.objects.filter(kind=kind, period_key=period_key).count() - before


def due_drafts(today: date) -> list[tuple[str, str]]:
    """(kind, period key) whose cut-off has passed within the last ``REPORT_DRAFT_LOOKBACK_DAYS`` days."""
    found = []
    for year in (periods.report_year(today) - 1, periods.report_year(today)):
        for period in periods.periods_of(year):
            if 0 < (today - period.end).days <= settings.REPORT_DRAFT_LOOKBACK_DAYS:
                found.append((ReportKind.PERIODIC, period.key))
        kl = period_of(ReportKind.KL107, f"kl107-{year}")
        if 0 < (today - kl.end).days <= settings.REPORT_DRAFT_LOOKBACK_DAYS:
            found.append((ReportKind.KL107, f"kl107-{year}"))
    return found


def compute(report: Report, *, all_offices: bool = False) -> dict:
    """The figures of the report from the data as of its cut-off (rolled up over the office's subtree)."""
    if report.kind == ReportKind.ADHOC:
        return adhoc_figures(report)
    return indicators.rollup(report.office, Period(report.period_key, report.period_start, report.period_end),
                             all_offices=all_offices)


def adhoc_figures(report: Report) -> dict:
    """What an ad-hoc report states about its case: number, kind, field, state and dates. Never the
    summary, never a party."""
    case = report.case
    return {"case": {"number": case.number, "kind": case.kind, "field": case.field, "state": case.state,
                     "received_on": case.received_on.isoformat(),
                     "resolution_due": case.resolution_due.isoformat() if case.resolution_due else None,
                     "concluded_on": case.concluded_on.isoformat() if case.concluded_on else None,
                     "people_count": case.people_count, "is_group": case.is_group}}


def refresh(report: Report) -> Report:
    report.figures = compute(report)
    report.figures_at = timezone.now()
    report.save(update_fields=["figures", "figures_at", "updated_at"])
    return report


# --- permissions -----------------------------------------------------------------------------------------


def _exactly(user, office: Office, roles) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return has_role_at(user, office, roles) and RoleAssignment.objects.filter(
        user_id=user.pk, office=office, role__in=roles).exists()


def may_prepare(user, report: Report) -> bool:
    return _exactly(user, report.office, PREPARE_ROLES)


def may_approve(user, report: Report) -> bool:
    return _exactly(user, report.office, HEAD_ROLES)


def may_review(user, office: Office) -> bool:
    """The tier above ``office``: a leader of its parent, or an inspector / office administrator above."""
    parent = office.parent
    if parent is None:
        return False
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return _exactly(user, parent, (Role.LEADER,)) or has_role_at(user, parent, (Role.INSPECTOR, Role.OFFICE_ADMIN))


def may_view(user, report: Report) -> bool:
    from oversight.access import may_oversee

    return (may_prepare(user, report) or may_review(user, report.office)
            or may_oversee(user, report.office))


def _require(allowed: bool) -> None:
    if not allowed:
        raise ReportError(_("Bạn không có quyền thực hiện thao tác này với báo cáo."), "forbidden")


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update(of=("self",)).select_related("office", "case").get(pk=report.pk)


def _status(report: Report, *allowed) -> None:
    if report.status not in allowed:
        raise ReportError(_("Báo cáo đang ở trạng thái “%(s)s”, không thể thực hiện thao tác này.")
                          % {"s": report.get_status_display()}, "invalid_state", "status")


def _audit(user, verb: str, report: Report, **details) -> None:
    record(actor=user, action=f"reports.{verb}", obj=report,
           details={"office": report.office.code, "kind": report.kind, "period": report.period_key, **details})


# --- the chain -------------------------------------------------------------------------------------------


MAX_TEXT = 20_000


@transaction.atomic
def edit(report: Report, user, *, assessment: str, difficulties: str, proposals: str, number: str = "") -> Report:
    report = _locked(report)
    _require(may_prepare(user, report))
    _status(report, *EDITABLE)
    for name, value in (("assessment", assessment), ("difficulties", difficulties), ("proposals", proposals)):
        if len(value or "") > MAX_TEXT:
            raise ReportError(_("Nội dung quá dài."), "too_long", name)
    if len(number or "") > 64:
        raise ReportError(_("Số văn bản quá dài."), "too_long", "number")
    report.assessment, report.difficulties, report.proposals = (assessment or "").strip(), \
        (difficulties or "").strip(), (proposals or "").strip()
    report.number = (number or "").strip()
    report.save()
    _audit(user, "edit", report)
    return report


@transaction.atomic
def prepare(report: Report, user) -> Report:
    report = _locked(report)
    _require(may_prepare(user, report))
    _status(report, *EDITABLE)
    report.figures = compute(report)
    report.figures_at = timezone.now()
    report.status = ReportStatus.PREPARED
    report.prepared_by = user
    report.save()
    _audit(user, "prepare", report)
    return report


@transaction.atomic
def approve(report: Report, user) -> Report:
    report = _locked(report)
    _require(may_approve(user, report))
    _status(report, ReportStatus.PREPARED)
    report.status = ReportStatus.APPROVED
    report.approved_by = user
    report.save()
    _audit(user, "approve", report)
    return report


def canonical(snapshot: dict) -> bytes:
    return json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def digest(snapshot: dict) -> str:
    return hashlib.sha256(canonical(snapshot)).hexdigest()


@transaction.atomic
def submit(report: Report, user, *, now=None) -> ReportVersion:
    """Freeze the report as a new version: figures recomputed as of the cut-off, texts, signer."""
    report = _locked(report)
    _require(may_approve(user, report))
    _status(report, ReportStatus.APPROVED)
    now = now or timezone.now()
    ordinal = report.versions.count() + 1
    if not report.number:
        report.number = f"{ordinal:02d}/BC-{report.office.code}"
    figures = compute(report)
    snapshot = {
        "schema": 1,
        "office": {"code": report.office.code, "name": report.office.name, "tier": report.office.tier},
        "kind": report.kind, "period_key": report.period_key,
        "period": {"from": report.period_start.isoformat(), "to": report.period_end.isoformat()},
        "deadline": report.deadline.isoformat(), "number": report.number, "version": ordinal,
        "submitted_at": now.isoformat(), "request": report.request_text,
        "texts": {"assessment": report.assessment, "difficulties": report.difficulties,
                  "proposals": report.proposals},
        "signer": {"name": user.full_name or user.get_username()},
        "figures": figures,
    }
    version = ReportVersion.objects.create(report=report, ordinal=ordinal, snapshot=snapshot,
                                           sha256=digest(snapshot), submitted_by=user, submitted_at=now)
    report.figures, report.figures_at = figures, now
    report.status = ReportStatus.SUBMITTED
    report.save()
    _audit(user, "submit", report, version=ordinal, sha256=version.sha256)
    return version


@transaction.atomic
def return_report(report: Report, user, *, reason: str) -> Report:
    report = _locked(report)
    _require(may_review(user, report.office))
    _status(report, ReportStatus.SUBMITTED)
    reason = (reason or "").strip()
    if not reason:
        raise ReportError(_("Cần nêu lý do trả lại."), "required", "reason")
    if len(reason) > 2000:
        raise ReportError(_("Lý do quá dài."), "too_long", "reason")
    version = report.versions.order_by("-ordinal").first()
    version.returned_by, version.returned_at, version.return_reason = user, timezone.now(), reason
    version.save(update_fields=["returned_by", "returned_at", "return_reason"])
    report.status = ReportStatus.RETURNED
    report.save()
    _audit(user, "return", report, version=version.ordinal)
    for recipient in _staff(report.office, PREPARE_ROLES):
        _notify(recipient, "report.returned", _("Báo cáo bị trả lại: %(r)s") % {"r": title(report)}, reason,
                f"report-returned:{report.pk}:{version.ordinal}:{recipient.pk}")
    return report


@transaction.atomic
def request_adhoc(case, user, *, request_text: str, deadline: date) -> Report:
    """The tier above asks the case's office for an ad-hoc report on the case."""
    _require(may_review(user, case.office))
    text = (request_text or "").strip()
    if not text:
        raise ReportError(_("Cần nêu nội dung yêu cầu báo cáo."), "required", "request_text")
    today = timezone.localdate()
    if deadline < today:
        raise ReportError(_("Hạn báo cáo phải từ hôm nay trở đi."), "invalid", "deadline")
    report = Report.objects.create(office=case.office, kind=ReportKind.ADHOC, case=case, requested_by=user,
                                   request_text=text[:5000], period_start=case.received_on, period_end=today,
                                   deadline=deadline, period_key=f"vv-{case.pk}")
    _audit(user, "request_adhoc", report, case=case.number)
    for recipient in _staff(case.office, PREPARE_ROLES):
        _notify(recipient, "report.requested", _("Yêu cầu báo cáo đột xuất: vụ việc %(n)s") % {"n": case.number},
                _("Hạn báo cáo: %(d)s") % {"d": deadline.strftime("%d/%m/%Y")},
                f"report-requested:{report.pk}:{recipient.pk}")
    return report


# --- overdue ---------------------------------------------------------------------------------------------


def _staff(office: Office | None, roles):
    from accounts.models import User

    if office is None:
        return User.objects.none()
    return User.objects.filter(is_active=True, role_assignments__office=office,
                               role_assignments__role__in=roles).distinct().order_by("pk")


def _notify(user, kind, title_text, body, key):
    from notifications.services import notify

    return notify(user, kind, title_text, body, key)


def title(report: Report) -> str:
    if report.kind == ReportKind.ADHOC:
        return _("Báo cáo đột xuất vụ việc %(n)s — %(o)s") % {"n": report.case.number, "o": report.office.name}
    if report.kind == ReportKind.KL107:
        return _("Báo cáo thực hiện Kết luận 107-KL/TW năm %(y)s — %(o)s") % {
            "y": report.period_key.partition("-")[2], "o": report.office.name}
    return _("Báo cáo %(p)s — %(o)s") % {"p": periods.parse(report.period_key).label, "o": report.office.name}


def alert_overdue(today: date | None = None) -> int:
    """Alert once (per report, recipient and deadline) the office's staff and the tier above about every
    report past its deadline and not submitted. Returns the number of new notifications."""
    today = today or timezone.localdate()
    created = 0
    overdue = (Report.objects.filter(deadline__lt=today).exclude(status=ReportStatus.SUBMITTED)
               .select_related("office", "office__parent", "case"))
    for report in overdue.iterator():
        name = title(report)
        recipients = list(_staff(report.office, PREPARE_ROLES)) + list(_staff(report.office.parent, ABOVE_ROLES))
        for user in recipients:
            _n, new = _notify(user, "report.overdue", _("Báo cáo quá hạn: %(r)s") % {"r": name},
                              _("Hạn gửi %(d)s đã qua, báo cáo chưa được gửi.") % {
                                  "d": report.deadline.strftime("%d/%m/%Y")},
                              f"report-overdue:{report.pk}:{report.deadline.isoformat()}:{user.pk}")
            created += new
    return created


# --- the tracker of the tier above -----------------------------------------------------------------------


def tracker(parent: Office, kind: str, period_key: str, *, today: date | None = None) -> list[dict]:
    """One row per direct child of ``parent``: its report's status for the period — ``submitted`` (on
    time), ``late`` (submitted after the deadline), ``missing`` (not submitted; ``overdue`` when the
    deadline has passed). Two queries whatever the number of children."""
    from django.db.models import Min

    today = today or timezone.localdate()
    children = list(Office.objects.filter(parent=parent, is_active=True).order_by("path"))
    reports = {r.office_id: r for r in Report.objects.filter(office__parent=parent, kind=kind, period_key=period_key)
               .annotate(first_submitted=Min("versions__submitted_at"))}
    rows = []
    for child in children:
        report = reports.get(child.pk)
        row = {"office": child, "report": report, "deadline": report.deadline if report else None,
               "submitted_at": None, "state": "missing", "overdue": False}
        if report is not None and report.first_submitted is not None:
            row["submitted_at"] = report.first_submitted
            on_time = timezone.localtime(report.first_submitted).date() <= report.deadline
            row["state"] = "submitted" if on_time else "late"
        if report is not None and row["state"] == "missing":
            row["overdue"] = report.deadline < today
        elif report is None:
            period = period_of(kind, period_key)
            row["deadline"] = deadline_of(child.tier, kind, period)
            row["overdue"] = row["deadline"] < today
        rows.append(row)
    return rows


def visible_reports(user):
    """Reports of offices where the user is staff, and of offices the user oversees."""
    from oversight.access import overseen_offices

    if getattr(user, "is_superuser", False) and user.is_active:
        return Report.objects.all()
    own = RoleAssignment.objects.filter(user_id=user.pk).values("office_id")
    return Report.objects.filter(Q(office_id__in=own) | Q(office__in=overseen_offices(user)))
