"""The inspectors' dashboard (``/giam-sat/``) and the public results of complaint resolution
(``/cong-khai/ket-qua-giai-quyet/``). Server-rendered: every number is in a table, the period selector is a
GET form and drill-down is a link; oversight.js only adds charts drawn from ``/api/oversight/stats/``.

Views translate I/O: ``oversight.services`` computes (counts only) and decides who may see what.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import CaseField
from cases.workflow import CaseState
from frontend.period_fields import CUSTOM, add_period_fields
from offices.models import Office, OfficeKind, Tier
from oversight import access, services
from scheduling.models import MatterKind
from sessions.models import SessionKind, SessionStatus

PUBLIC_PAGE_SIZE = 20


class PeriodForm(forms.Form):
    office = forms.CharField(required=False, widget=forms.HiddenInput)
    period = forms.ChoiceField(label=gettext_lazy("Kỳ báo cáo"), required=False)
    # "from" and "to" (the API's names too) are keywords: added in __init__.

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        add_period_fields(self, today)

    def clean(self):
        data = super().clean()
        if data.get("period") not in ("", CUSTOM):  # a named period: the dates are not used
            data["from"] = data["to"] = None
        elif bool(data.get("from")) != bool(data.get("to")):
            missing = "to" if data.get("from") else "from"
            self.add_error(missing, _("Cần cả ngày bắt đầu và ngày kết thúc."))
        elif data.get("period") == CUSTOM and not data.get("from"):
            self.add_error("from", _("Nhập ngày bắt đầu và ngày kết thúc của khoảng thời gian tự chọn."))
        return data


def _labels() -> dict:
    """Display names of the keys the API returns (the charts' labels come from here, translated)."""
    return {
        "kinds": {k: str(label) for k, label in MatterKind.choices},
        "states": {s: str(label) for s, label in CaseState.choices},
        "session_kinds": {k: str(label) for k, label in SessionKind.choices},
        "session_statuses": {s: str(label) for s, label in SessionStatus.choices},
        "held": _("Đã tiếp"), "required": _("Phải tiếp theo quy định"),
        "leaders_chart": _("Ngày tiếp định kỳ của lãnh đạo: đã tiếp so với quy định"),
        "cases_chart": _("Vụ việc theo loại và trạng thái"),
        "watch_chart": _("Vụ việc cần theo dõi"),
        "watch": {"overdue": _("Quá hạn (hiện nay)"), "overdue_group": _("Đông người quá hạn"),
                  "group": _("Đông người"), "repeated": _("Tiếp khiếu, tiếp tố"),
                  "transferred_in": _("Nhận chuyển đến"), "transferred_out": _("Chuyển đi")},
        "chart_failed": _("Không tải được biểu đồ; số liệu đầy đủ có trong các bảng."),
        "see_table": _("Số liệu chi tiết trong bảng"),
    }


def _inbox_link(code: str) -> str:
    return reverse("frontend:case-inbox") + "?" + urlencode({"overdue": 1, "office": code})


@login_required
def dashboard(request):
    today = timezone.localdate()
    data = request.GET.copy() if request.GET else None
    if data is not None and not data.get("period") and (data.get("from") or data.get("to")):
        data["period"] = CUSTOM  # links carry only the dates of a custom range
    form = PeriodForm(data, today=today)
    params = {}
    if form.is_bound and form.is_valid():
        params = form.cleaned_data
    elif form.is_bound:
        params = {"office": request.GET.get("office", "")}
    try:
        office, period = services.resolve(
            request.user, office_code=(params.get("office") or "").strip(),
            period_key="" if params.get("period") == CUSTOM else params.get("period") or "",
            start=params.get("from"), end=params.get("to"), today=today)
    except services.OversightError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from exc
        if exc.code == "not_found":
            raise Http404(exc.message) from exc
        if exc.field in ("from", "to", "period"):
            form.add_error(exc.field, exc.message)
        office, period = services.resolve(request.user, office_code=(params.get("office") or "").strip(),
                                          today=today)
    stats = services.office_stats(office, period, today=today)
    if not form.is_bound:
        form = PeriodForm(initial={"office": office.code, "period": period.key}, today=today)
    period_query = {"period": period.key} if period.key else {"from": period.start.isoformat(),
                                                              "to": period.end.isoformat()}
    overseen = set(access.overseen_offices(request.user).filter(path__in=[
        o.path for o in services.breadcrumb(office)]).values_list("code", flat=True))
    crumbs = [{"office": o, "link": o.code in overseen and o.pk != office.pk} for o in services.breadcrumb(office)]
    # A leader sees their own office only: a child office is a link only where its dashboard would open.
    open_children = set(access.overseen_offices(request.user).filter(
        code__in=[child["code"] for child in stats["children"]]).values_list("code", flat=True))
    children = [{**child, "url": "?" + urlencode({"office": child["code"], **period_query})
                 if child["code"] in open_children else "",
                 "inbox": _inbox_link(child["code"])} for child in stats["children"]]
    matrix = [{"kind": k, "label": label, "counts": [stats["case_matrix"][k][s] for s in CaseState.values],
               "total": stats["totals"]["cases"]["by_kind"][k]} for k, label in MatterKind.choices]
    totals = stats["totals"]
    return render(request, "frontend/oversight/dashboard.html", {
        "form": form, "office": office, "period": period, "stats": stats, "totals": totals, "own": stats["own"],
        "crumbs": crumbs, "children": children, "matrix": matrix,
        "states": CaseState.choices, "state_totals": [totals["cases"]["by_state"][s] for s in CaseState.values],
        "session_kinds": [(label, totals["sessions"]["by_kind"][k]) for k, label in SessionKind.choices],
        "session_statuses": [(label, totals["sessions"]["by_status"][s]) for s, label in SessionStatus.choices],
        "inbox_url": _inbox_link(office.code),
        "api_url": reverse("api-oversight-stats") + "?" + urlencode({"office": office.code, **period_query}),
        "labels": _labels(), "tier_commune": Tier.COMMUNE,
    })


# --- Public results ------------------------------------------------------------------------------------


class PublicResultsForm(forms.Form):
    province = forms.ChoiceField(label=gettext_lazy("Tỉnh, thành phố"), required=False)
    commune = forms.ChoiceField(label=gettext_lazy("Xã, phường, đặc khu"), required=False)

    def __init__(self, *args, provinces=(), communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", _("Tất cả tỉnh, thành phố"))] + [(o.code, o.name) for o in provinces]
        self.fields["commune"].choices = [("", _("Tất cả xã, phường trong tỉnh"))] + [
            (o.code, o.name) for o in communes]
        if not communes:
            self.fields["commune"].help_text = _("Chọn tỉnh, thành phố rồi bấm Xem để chọn xã, phường.")


def public_results(request):
    provinces = list(Office.objects.filter(tier=Tier.PROVINCIAL, kind=OfficeKind.RECEPTION_BOARD, is_active=True)
                     .order_by("name"))
    by_code = {p.code: p for p in provinces}
    province = by_code.get(request.GET.get("province", ""))
    communes = list(Office.objects.filter(parent=province, tier=Tier.COMMUNE, is_active=True).order_by("name")
                    ) if province else []
    form = PublicResultsForm(request.GET or None, provinces=provinces, communes=communes)
    scope = None
    if form.is_bound and form.is_valid():
        commune = next((c for c in communes if c.code == form.cleaned_data["commune"]), None)
        scope = commune or province
    page = Paginator(services.public_results(scope), PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))
    fields = dict(CaseField.choices)
    page.object_list = list(page.object_list)
    for row in page.object_list:
        row["field_label"] = fields.get(row["field"], row["field"])
    return render(request, "frontend/oversight/public_results.html", {
        "form": form, "page": page, "scope": scope,
    })
