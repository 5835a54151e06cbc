"""Sổ tiếp công dân (mẫu số 03) for staff: ``/lam-viec/so-tiep-cong-dan/``.

A GET form: the office (when the user may export several), a report period (oversight.periods) or two
dates, and the format; a valid form downloads the file. Who may export, the period's limits, the audit entry
and the rendering are ``documents.services.export_reception_log`` — the same as the API. Bad input is a form
error, a PDF too long for one file a message that suggests the XLSX, never a 500.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from core.errors import DomainError
from documents import services
from documents.api import reception_log_response
from frontend.period_fields import add_period_fields
from offices.models import Office
from oversight import periods

# Beyond this many offices in scope (an inspector of a province or of the centre) the office is typed as a
# code instead of picked from a list.
MAX_OFFICE_CHOICES = 300


class ReceptionLogForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Kỳ báo cáo"), required=False)
    format = forms.ChoiceField(label=gettext_lazy("Định dạng"), widget=forms.RadioSelect, initial="xlsx",
                               choices=[("xlsx", gettext_lazy("Excel (XLSX) — mọi độ dài")),
                                        ("pdf", gettext_lazy("PDF — để in, tối đa vài nghìn dòng"))])

    def __init__(self, *args, offices, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.offices = offices
        count = offices.count()
        if count > MAX_OFFICE_CHOICES:
            self.fields["office"] = forms.CharField(
                label=gettext_lazy("Mã cơ quan"), max_length=32,
                help_text=gettext_lazy("Ví dụ: T01 (ban tiếp công dân tỉnh) hoặc X00004 (điểm tiếp công dân xã). "
                                       "Mã có trong trang của cơ quan."))
        else:
            # A list to pick from; checked by clean_office (the same refusal as a typed code).
            widget = (forms.HiddenInput() if count == 1
                      else forms.Select(choices=[(o.code, f"{o.name} ({o.code})") for o in offices]))
            self.fields["office"] = forms.CharField(label=gettext_lazy("Cơ quan"), max_length=32, widget=widget)
        add_period_fields(self, today, with_dates_in_labels=True)
        self.order_fields(["office", "period", "from", "to", "format"])

    def clean_office(self):
        code = (self.cleaned_data.get("office") or "").strip().upper()
        office = self.offices.filter(code=code).first()
        if office is None:
            if Office.objects.filter(code=code).exists():
                raise forms.ValidationError(_("Bạn không có quyền xem sổ tiếp công dân của cơ quan này."))
            raise forms.ValidationError(_("Không tìm thấy cơ quan."))
        return office

    def clean(self):
        data = super().clean()
        named = periods.parse(data.get("period") or "")
        if named is not None:
            data["from"], data["to"] = named.start, named.end
        elif not data.get("from") or not data.get("to"):
            for field in ("from", "to"):
                if not data.get(field) and field not in self.errors:
                    self.add_error(field, _("Chọn một kỳ báo cáo, hoặc nhập cả ngày bắt đầu và ngày kết thúc."))
        elif data["to"] < data["from"]:
            self.add_error("to", _("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."))
        elif (data["to"] - data["from"]).days > services.MAX_LOG_DAYS:
            self.add_error("to", _("Khoảng thời gian tối đa 10 năm."))
        return data


@login_required
@require_GET
def reception_log(request):
    offices = services.reception_log_offices(request.user)
    if not offices.exists():
        raise PermissionDenied
    today = timezone.localdate()
    submitted = "format" in request.GET
    data = request.GET.copy()
    if submitted and not data.get("office") and offices.count() == 1:
        data["office"] = offices.first().code  # one office: nothing to pick
    form = ReceptionLogForm(data if submitted else None, offices=offices, today=today,
                            initial={"period": periods.current(today).key, "format": "xlsx",
                                     "office": request.GET.get("office") or offices.first().code})
    error = ""
    if submitted and form.is_valid():
        data = form.cleaned_data
        try:
            export = services.export_reception_log(request.user, data["office"], data["from"], data["to"],
                                                   data["format"], request=request)
            return reception_log_response(export)
        except DomainError as exc:
            error = exc.message  # too_many_rows: the message says to take the XLSX
    status = 400 if submitted and (form.errors or error) else 200
    return render(request, "frontend/workspace/reception_log.html",
                  {"form": form, "error": error, "single_office": offices.count() == 1 and offices.first()},
                  status=status)
