"""The report pages: the office's list (status, deadline) and drafting on demand, the report with its tables
and free text and the chain's buttons (prepare / approve and submit / return), the files, and the tier
above's submission tracker with drill-down. Views translate I/O; ``reports.services`` decides."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.models import RoleAssignment
from offices.models import Office
from oversight import access, periods
from reports import files, services
from reports.models import Report, ReportKind, ReportStatus

FORMATS = {"xlsx": files.doc.XLSX_CONTENT_TYPE, "pdf": files.doc.PDF_CONTENT_TYPE,
           "docx": files.doc.DOCX_CONTENT_TYPE}


def _period_choices(today):
    year = periods.report_year(today)
    choices = []
    for y in (year, year - 1):
        choices += [(p.key, str(p.label)) for p in periods.periods_of(y)]
        choices.append((f"kl107-{y}", _("Kết luận 107-KL/TW năm %(y)s") % {"y": y}))
    return choices


def _kind_of(period_key: str) -> str:
    return ReportKind.KL107 if period_key.startswith("kl107-") else ReportKind.PERIODIC


class DraftForm(forms.Form):
    office = forms.ChoiceField(label=gettext_lazy("Cơ quan"))
    period = forms.ChoiceField(label=gettext_lazy("Kỳ báo cáo"))

    def __init__(self, *args, offices, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].choices = [(o.code, o.name) for o in offices]
        self.fields["period"].choices = _period_choices(today)


class TextForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Số văn bản"), required=False, max_length=64,
                             help_text=gettext_lazy("Để trống: số được cấp khi gửi."))
    assessment = forms.CharField(label=gettext_lazy("Đánh giá, nhận xét"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 5}), max_length=services.MAX_TEXT)
    difficulties = forms.CharField(label=gettext_lazy("Khó khăn, vướng mắc"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 4}), max_length=services.MAX_TEXT)
    proposals = forms.CharField(label=gettext_lazy("Đề xuất, kiến nghị"), required=False,
                                widget=forms.Textarea(attrs={"rows": 4}), max_length=services.MAX_TEXT)


class AdhocForm(forms.Form):
    case_number = forms.CharField(label=gettext_lazy("Số vụ việc"), max_length=40)
    request_text = forms.CharField(label=gettext_lazy("Nội dung yêu cầu báo cáo"), max_length=5000,
                                   widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=gettext_lazy("Hạn báo cáo"), widget=forms.DateInput(attrs={"type": "date"}))


class ReturnForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Lý do trả lại"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)


def _preparer_offices(user):
    if user.is_superuser:
        return Office.objects.filter(is_active=True, parent__isnull=True)
    ids = RoleAssignment.objects.filter(user_id=user.pk, role__in=services.PREPARE_ROLES).values("office_id")
    return Office.objects.filter(pk__in=ids, is_active=True).order_by("path")


@login_required
@require_http_methods(["GET", "POST"])
def report_list(request):
    today = timezone.localdate()
    offices = list(_preparer_offices(request.user))
    form = DraftForm(request.POST or None, offices=offices, today=today)
    if request.method == "POST":
        if not offices:
            raise PermissionDenied
        if form.is_valid():
            office = next(o for o in offices if o.code == form.cleaned_data["office"])
            key = form.cleaned_data["period"]
            report = services.draft(office, _kind_of(key), key)
            return redirect("frontend:report", pk=report.pk)
    reports = (services.visible_reports(request.user).select_related("office", "case")
               .order_by("-period_end", "office__path", "kind")[:200])
    trackers = [o for o in access.overseen_offices(request.user).filter(children__isnull=False).distinct()
                .order_by("path")[:20]]
    rows = [{"report": r, "title": services.title(r), "overdue": r.deadline < today
             and r.status != ReportStatus.SUBMITTED} for r in reports]
    return render(request, "frontend/reports/list.html", {"rows": rows, "form": form if offices else None,
                                                          "trackers": trackers,
                                                          "current": periods.current(today)})


def _table_view(figures: dict) -> list[dict]:
    out = []
    for slug, title, headers, rows in files.tables(figures):
        out.append({"slug": slug, "title": title, "headers": headers, "rows": rows})
    return out


def _load(request, pk) -> Report:
    report = get_object_or_404(Report.objects.select_related("office", "office__parent", "case"), pk=pk)
    if not services.may_view(request.user, report):
        raise PermissionDenied
    return report


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request, pk):
    report = _load(request, pk)
    user = request.user
    text_form = TextForm(initial={"number": report.number, "assessment": report.assessment,
                                  "difficulties": report.difficulties, "proposals": report.proposals})
    return_form = ReturnForm()
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "save":
                text_form = TextForm(request.POST)
                if text_form.is_valid():
                    services.edit(report, user, **text_form.cleaned_data)
                    return redirect("frontend:report", pk=report.pk)
            elif action == "refresh":
                if not services.may_prepare(user, report):
                    raise PermissionDenied
                services.refresh(report)
                return redirect("frontend:report", pk=report.pk)
            elif action in ("prepare", "approve", "submit"):
                {"prepare": services.prepare, "approve": services.approve, "submit": services.submit}[action](
                    report, user)
                return redirect("frontend:report", pk=report.pk)
            elif action == "return":
                return_form = ReturnForm(request.POST)
                if return_form.is_valid():
                    services.return_report(report, user, reason=return_form.cleaned_data["reason"])
                    return redirect("frontend:report", pk=report.pk)
            else:
                return HttpResponse(_("Thao tác không hợp lệ."), status=400)
        except services.ReportError as exc:
            if exc.code == "forbidden":
                raise PermissionDenied(exc.message) from exc
            error = exc.message
        report.refresh_from_db()
    versions = list(report.versions.select_related("submitted_by", "returned_by").order_by("-ordinal"))
    latest = versions[0] if versions else None
    shown = latest.snapshot["figures"] if latest and report.status == ReportStatus.SUBMITTED else (
        report.figures or services.compute(report))
    context = {
        "report": report, "title": services.title(report), "versions": versions, "latest": latest,
        "tables": _table_view(shown) if report.kind != ReportKind.ADHOC else [],
        "adhoc": files.adhoc_lines(shown) if report.kind == ReportKind.ADHOC else [],
        "frozen": report.status == ReportStatus.SUBMITTED,
        "text_form": text_form, "return_form": return_form, "error": error,
        "may_edit": services.may_prepare(user, report) and report.status in services.EDITABLE,
        "may_prepare": services.may_prepare(user, report) and report.status in services.EDITABLE,
        "may_approve": services.may_approve(user, report) and report.status == ReportStatus.PREPARED,
        "may_submit": services.may_approve(user, report) and report.status == ReportStatus.APPROVED,
        "may_return": services.may_review(user, report.office) and report.status == ReportStatus.SUBMITTED,
        "overdue": report.deadline < timezone.localdate() and report.status != ReportStatus.SUBMITTED,
        "has_rows": bool(shown.get("rows")),
        "tracker_url": (reverse("frontend:report-tracker") + "?" + urlencode(
            {"office": report.office.code, "period": report.period_key}))
        if report.kind != ReportKind.ADHOC and report.office.children.exists() else "",
    }
    return render(request, "frontend/reports/detail.html", context)


@login_required
def report_file(request, pk, fmt):
    report = _load(request, pk)
    if fmt not in FORMATS:
        raise Http404
    version = None
    ordinal = request.GET.get("version", "")
    if ordinal:
        if not ordinal.isdigit():
            raise Http404
        version = get_object_or_404(report.versions, ordinal=int(ordinal))
    elif report.status == ReportStatus.SUBMITTED:
        version = report.versions.order_by("-ordinal").first()
    name = f"bao-cao-{report.office.code}-{report.period_key}" + (f"-v{version.ordinal}" if version else "-du-thao")
    if fmt == "xlsx":
        out = files.xlsx(report, version, all_offices=request.GET.get("all") == "1")
        return FileResponse(out, as_attachment=True, filename=f"{name}.xlsx", content_type=FORMATS[fmt])
    body = files.pdf(report, version) if fmt == "pdf" else files.docx(report, version)
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _tracker_office(request) -> Office:
    code = request.GET.get("office", "").strip()
    office = Office.objects.filter(code=code).first() if code else access.home_office(request.user)
    if office is None:
        raise Http404
    if not access.may_oversee(request.user, office):
        raise PermissionDenied
    return office


STATE_LABELS = {"submitted": gettext_lazy("Đã gửi đúng hạn"), "late": gettext_lazy("Gửi muộn"),
                "missing": gettext_lazy("Chưa gửi")}


@login_required
def tracker(request):
    today = timezone.localdate()
    office = _tracker_office(request)
    key = request.GET.get("period", "") or periods.current(today).key
    kind = _kind_of(key)
    try:
        services.period_of(kind, key)
    except services.ReportError as exc:
        raise Http404(exc.message) from exc
    rows = []
    for row in services.tracker(office, kind, key, today=today):
        child = row["office"]
        rows.append({**row, "label": STATE_LABELS[row["state"]],
                     "report_url": reverse("frontend:report", args=[row["report"].pk]) if row["report"] else "",
                     "drill_url": reverse("frontend:report-tracker") + "?" + urlencode(
                         {"office": child.code, "period": key}) if child.children.exists() else ""})
    counts = {state: sum(1 for r in rows if r["state"] == state) for state in STATE_LABELS}
    counts["overdue"] = sum(1 for r in rows if r["overdue"])
    own = Report.objects.filter(office=office, kind=kind, period_key=key).first()
    return render(request, "frontend/reports/tracker.html", {
        "office": office, "period_key": key, "period_label": _period_label(key), "rows": rows, "counts": counts,
        "choices": _period_choices(today), "own": own,
        "crumbs": [o for o in _breadcrumb(office) if access.may_oversee(request.user, o)],
    })


def _period_label(key: str) -> str:
    if key.startswith("kl107-"):
        return _("Kết luận 107-KL/TW năm %(y)s") % {"y": key.partition("-")[2]}
    return str(periods.parse(key).label)


def _breadcrumb(office):
    from oversight.services import breadcrumb

    return breadcrumb(office)


@login_required
def report_for_period(request):
    """The dashboard's link: the office's report of the period shown (made on demand by its staff)."""
    office = Office.objects.filter(code=request.GET.get("office", "").strip()).first()
    key = request.GET.get("period", "")
    if office is None or periods.parse(key) is None:
        raise Http404
    report = Report.objects.filter(office=office, kind=ReportKind.PERIODIC, period_key=key).first()
    probe = report or Report(office=office, kind=ReportKind.PERIODIC, period_key=key)
    if not services.may_view(request.user, probe):
        raise PermissionDenied
    if report is None:
        if not services.may_prepare(request.user, probe):
            return redirect(reverse("frontend:report-tracker") + "?" + urlencode({"office": office.code,
                                                                                  "period": key}))
        if request.method != "POST":
            return render(request, "frontend/reports/missing.html", {"office": office, "period_key": key,
                                                                     "period_label": _period_label(key)})
        report = services.draft(office, ReportKind.PERIODIC, key)
    return redirect("frontend:report", pk=report.pk)




@login_required
@require_http_methods(["GET", "POST"])
def adhoc_request(request):
    """The tier above asks a case's office for an ad-hoc report on the case (by its number)."""
    from cases.models import Case

    form = AdhocForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = Case.objects.select_related("office").filter(number=form.cleaned_data["case_number"].strip()).first()
        if case is None or not services.may_review(request.user, case.office):
            form.add_error("case_number", _("Không tìm thấy vụ việc thuộc cơ quan cấp dưới của bạn."))
        else:
            try:
                report = services.request_adhoc(case, request.user, request_text=form.cleaned_data["request_text"],
                                                deadline=form.cleaned_data["deadline"])
            except services.ReportError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect("frontend:report", pk=report.pk)
    return render(request, "frontend/reports/adhoc.html", {"form": form})
