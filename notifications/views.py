"""The notification pages (docs/notifications.md): the inbox (list, mark read, mark all read, open the
object), and the preferences (a channel per category, the daily digest). Only the signed-in recipient
sees or changes their own notices; anybody else's id is a 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from notifications import services
from notifications.kinds import Category, Channel
from notifications.models import Notification

PAGE_SIZE = 30


@login_required
@require_http_methods(["GET"])
def inbox(request):
    unread_only = request.GET.get("chua-doc") == "1"
    rows = Notification.objects.filter(recipient=request.user).select_related("case")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {
        "page": page, "unread": services.unread_count(request.user), "unread_only": unread_only,
    })


def _own(request, pk: int) -> Notification:
    notification = Notification.objects.filter(pk=pk, recipient=request.user).first()
    if notification is None:
        raise Http404
    return notification


@login_required
@require_http_methods(["GET"])
def open_notification(request, pk: int):
    """Mark read and go to the object's page (a local URL only)."""
    notification = _own(request, pk)
    services.mark_read(request.user, notification.pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_read(request, pk: int):
    notification = _own(request, pk)
    services.mark_read(request.user, notification.pk)
    messages.success(request, _("Đã đánh dấu là đã đọc."))
    return redirect(reverse("notifications:inbox") + f"#n{notification.pk}")


@login_required
@require_POST
def mark_all_read(request):
    count = services.mark_all_read(request.user)
    messages.success(request, _("Đã đánh dấu %(n)s thông báo là đã đọc.") % {"n": count})
    return redirect("notifications:inbox")


class PreferencesForm(forms.Form):
    def __init__(self, *args, initial_channels: dict[str, str], staff: bool, **kwargs):
        super().__init__(*args, **kwargs)
        for category in Category:
            if category == Category.MILESTONE and staff:
                continue
            if category != Category.MILESTONE and not staff:
                continue
            self.fields[category.value] = forms.ChoiceField(
                label=category.label, choices=Channel.choices, initial=initial_channels[category.value],
                widget=forms.RadioSelect)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    from accounts.permissions import is_staff_member

    staff = is_staff_member(request.user)
    form = PreferencesForm(request.POST or None, initial_channels=services.preferences(request.user), staff=staff)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.set_preferences(request.user, form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Đã lưu cách nhận thông báo."))
                return redirect("notifications:preferences")
        messages.error(request, _("Chưa lưu được. Vui lòng xem lại các ô được đánh dấu."))
        status = 400
    return render(request, "notifications/preferences.html", {
        "form": form, "has_phone": bool(request.user.phone), "has_email": bool(request.user.email),
    }, status=status)
