"""The office administrator's page for the office's public contact details:
``/lam-viec/co-quan/<code>/lien-he/`` (address, phone, e-mail, reception place and hours, shown on the office's
public page). The write is ``offices.services.update_contact`` (permission ``office.change``, audit entry).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.permissions import Action, can
from core.errors import DomainError
from offices import services
from offices.models import Office


class OfficeContactForm(forms.Form):
    address = forms.CharField(label=gettext_lazy("Địa chỉ"), max_length=500, required=False)
    phone = forms.CharField(label=gettext_lazy("Điện thoại"), max_length=32, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    email = forms.CharField(label=gettext_lazy("Thư điện tử"), max_length=254, required=False,
                            widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    reception_place = forms.CharField(
        label=gettext_lazy("Nơi tiếp công dân"), max_length=500, required=False,
        help_text=gettext_lazy("Nơi công dân đến khi được tiếp trực tiếp, nếu khác địa chỉ cơ quan."))
    reception_hours = forms.CharField(
        label=gettext_lazy("Thời gian tiếp công dân"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Mỗi dòng một ý. Ví dụ: Sáng thứ Hai đến thứ Sáu, 7 giờ 30 – 11 giờ 30."))


@login_required
@require_http_methods(["GET", "POST"])
def office_contact(request, code):
    office = get_object_or_404(Office, code=code, is_active=True)
    if not can(request.user, Action.OFFICE_CHANGE, office):
        raise PermissionDenied
    initial = {name: getattr(office, name) for name in services.CONTACT_FIELDS}
    form = OfficeContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_contact(request.user, office, request=request, **form.cleaned_data)
            messages.success(request, _("Đã lưu thông tin liên hệ của cơ quan."))
            return redirect(reverse("frontend:office", args=[office.code]))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(request, "frontend/workspace/office_contact.html", {"office": office, "form": form},
                  status=400 if form.errors else 200)
