"""The public reception schedule (lịch tiếp công dân), a session's public page with the registration form,
and the citizen's own registrations. Server-rendered: every page works without JavaScript.

Views translate forms to service calls (``scheduling.services.registrations``); they never write models.
Public pages show sessions only, never registrations: a denunciation (tố cáo) and its denouncer stay secret.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role, User
from core.errors import DomainError
from core.text import fold
from offices.models import Office, Tier
from scheduling.links import make_join_token
from scheduling.models import ACTIVE_REGISTRATION_STATUSES, MatterKind, Registration, RegistrationStatus
from scheduling.services import registrations
from sessions.models import ReceptionSession, SessionSite, SessionSlot

PAGE_SIZE = 20
DEFAULT_RANGE_DAYS = 60
PAST_REGISTRATIONS_SHOWN = 50
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
# Filter dates outside these bounds are refused (far ends would overflow the time-zone arithmetic).
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2100, 12, 31)

# One plain-language line per kind of matter, shown under each choice of the registration form.
MATTER_HINTS = {
    MatterKind.COMPLAINT: gettext_lazy(
        "Đề nghị xem xét lại quyết định hoặc việc làm của cơ quan, cán bộ nhà nước mà bạn cho là sai và "
        "ảnh hưởng đến quyền lợi của bạn."),
    MatterKind.DENUNCIATION: gettext_lazy(
        "Báo cho cơ quan có thẩm quyền về việc làm trái pháp luật của cán bộ, cơ quan, tổ chức. "
        "Danh tính người tố cáo được giữ bí mật."),
    MatterKind.PETITION: gettext_lazy(
        "Đề xuất, góp ý với cơ quan nhà nước về chính sách, pháp luật hoặc công tác quản lý."),
    MatterKind.REPORT: gettext_lazy(
        "Cung cấp thông tin về một vấn đề, sự việc để cơ quan nhà nước biết và xem xét."),
}


def public_sessions():
    """Sessions the public may see: a public status and actually published once (a session postponed or
    cancelled while still planned was never announced, so it stays internal)."""
    return ReceptionSession.objects.public()


def _with_display_relations(qs):
    other_sites = SessionSite.objects.filter(is_host=False).select_related("office").order_by("office__path")
    return qs.select_related("host_office", "host", "replaced_by").prefetch_related(
        Prefetch("sites", queryset=other_sites, to_attr="other_sites"))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class ScheduleFilterForm(forms.Form):
    """The schedule's filters, read from the query string. Dates default to today → +60 days."""

    province = forms.ChoiceField(label=pgettext_lazy("filter label", "Tỉnh, thành phố"), required=False)
    commune = forms.CharField(label=gettext_lazy("Xã, phường, đặc khu (gõ không dấu cũng được)"), required=False,
                              max_length=100, widget=forms.TextInput(attrs={"type": "search"}))
    tier = forms.ChoiceField(label=gettext_lazy("Cấp tiếp"), required=False)
    leader = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args, provinces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", _("Tất cả tỉnh, thành phố"))] + [
            (o.admin_unit_code, o.admin_unit_name or o.name) for o in provinces]
        self.fields["tier"].choices = [("", _("Tất cả các cấp")), *Tier.choices]
        # "from" is a Python keyword: these two fields are added by name.
        self.fields["from"] = forms.DateField(label=_("Từ ngày"), required=False, input_formats=DATE_INPUT_FORMATS,
                                              widget=_DateInput())
        self.fields["to"] = forms.DateField(label=_("Đến ngày"), required=False, input_formats=DATE_INPUT_FORMATS,
                                            widget=_DateInput())
        self.order_fields(["province", "commune", "tier", "from", "to", "leader"])

    def clean(self):
        data = super().clean()
        for name in ("from", "to"):
            if data.get(name) and not EARLIEST_DATE <= data[name] <= LATEST_DATE:
                self.add_error(name, _("Chọn ngày từ năm %(a)s đến năm %(b)s.") % {
                    "a": EARLIEST_DATE.year, "b": LATEST_DATE.year})
        start, end = data.get("from"), data.get("to")
        if start and end and end < start:
            self.add_error("to", _("Ngày kết thúc phải từ ngày bắt đầu trở đi."))
        return data


def _filter_sessions(cd: dict, provinces: list[Office]):
    """The public sessions matching valid filters, in time order."""
    qs = public_sessions().filter(starts_at__gte=_day_start(cd["from"]),
                                  starts_at__lt=_day_start(cd["to"] + timedelta(days=1)))
    if cd.get("province"):
        province = next(p for p in provinces if p.admin_unit_code == cd["province"])
        in_province = SessionSite.objects.filter(session=OuterRef("pk"), office__path__startswith=province.path)
        qs = qs.filter(Q(host_office__path__startswith=province.path) | Exists(in_province))
    words = fold(cd.get("commune") or "").split()
    if words:
        host_match, site_match = Q(), SessionSite.objects.filter(session=OuterRef("pk"))
        for word in words:
            host_match &= Q(host_office__search_text__contains=word)
            site_match = site_match.filter(office__search_text__contains=word)
        qs = qs.filter(host_match | Exists(site_match))
    if cd.get("tier"):
        qs = qs.filter(host_office__tier=cd["tier"])
    if cd.get("leader"):
        qs = qs.filter(host_id=cd["leader"])
    return _with_display_relations(qs).order_by("starts_at", "pk")


def schedule(request):
    """Lịch tiếp công dân: published sessions of every tier, filtered by place, tier, dates and leader."""
    today = timezone.localdate()
    data = request.GET.copy()
    for key, default in (("from", today), ("to", today + timedelta(days=DEFAULT_RANGE_DAYS))):
        if not data.get(key):
            data[key] = default.isoformat()
    provinces = list(Office.objects.filter(tier=Tier.PROVINCIAL, is_active=True).exclude(admin_unit_code="")
                     .order_by("admin_unit_name", "code"))
    form = ScheduleFilterForm(data, provinces=provinces)
    sessions, province, leader = ReceptionSession.objects.none(), None, None
    if form.is_valid():
        cd = form.cleaned_data
        sessions = _filter_sessions(cd, provinces)
        province = next((p for p in provinces if p.admin_unit_code == cd.get("province")), None)
        if cd.get("leader"):
            # Only a leader's name is public; an id of anyone else shows nothing about them.
            leader = User.objects.filter(pk=cd["leader"], role_assignments__role=Role.LEADER).first()
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "frontend/schedule/list.html", {
        "form": form, "page": page, "province": province, "leader": leader,
    })


def _availability(slot: SessionSlot, now: datetime) -> dict:
    """What the public sees of a slot: seats left, waiting list, full, or past. Counts only, never who."""
    if slot.starts_at <= now:
        return {"state": "past", "free": 0}
    free = slot.capacity - slot.confirmed_count
    if free > 0:
        return {"state": "free", "free": free}
    if slot.waitlist_count < settings.WAITLIST_MAX_PER_SLOT:
        return {"state": "waitlist", "free": 0}
    return {"state": "full", "free": 0}


class _SlotRadioSelect(forms.RadioSelect):
    """Radio list of slots where the ones without room (not even on the waiting list) are disabled."""

    disabled_values: frozenset = frozenset()

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class RegistrationForm(forms.Form):
    """Đăng ký tiếp: slot, kind of matter, a short summary, the group's size and its representatives."""

    slot = forms.ChoiceField(label=gettext_lazy("Giờ tiếp"), widget=_SlotRadioSelect)
    matter_kind = forms.ChoiceField(label=gettext_lazy("Loại việc"), widget=forms.RadioSelect)
    matter_summary = forms.CharField(
        label=gettext_lazy("Tóm tắt nội dung"), max_length=registrations.MAX_SUMMARY,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Vài câu ngắn về việc bạn muốn trình bày. Nội dung chỉ cán bộ tiếp dân được xem."),
    )
    people_count = forms.IntegerField(label=gettext_lazy("Số người cùng đến"), min_value=1, initial=1,
                                      widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def __init__(self, *args, slot_rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        slot_field = self.fields["slot"]
        slot_field.choices = [(str(row["slot"].pk), self._slot_label(row)) for row in slot_rows]
        slot_field.widget.disabled_values = frozenset(
            str(row["slot"].pk) for row in slot_rows if row["state"] == "full")
        self.fields["matter_kind"].choices = [
            (value, format_html('<span class="choice-title">{}</span> <span class="choice-hint">{}</span>',
                                label, MATTER_HINTS[value]))
            for value, label in MatterKind.choices]
        self.fields["people_count"].max_value = settings.MAX_PEOPLE_PER_REGISTRATION
        self.fields["people_count"].widget.attrs["max"] = settings.MAX_PEOPLE_PER_REGISTRATION
        self.representative_names = []
        for n in range(1, settings.GROUP_CASE_REPRESENTATIVES_LARGE + 1):
            name = f"representative_{n}"
            self.fields[name] = forms.CharField(
                label=_("Họ và tên người đại diện %(n)s") % {"n": n}, required=False, max_length=255,
                widget=forms.TextInput(attrs={"autocomplete": "off",
                                              "aria-describedby": "representatives_helptext"}))
            self.representative_names.append(name)
        self.representatives_errors: list[str] = []

    @staticmethod
    def _slot_label(row) -> str:
        slot = row["slot"]
        starts, ends = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
        return f"{starts:%H:%M} – {ends:%H:%M} · {availability_text(row)}"

    def representative_fields(self):
        return [self[name] for name in self.representative_names]

    def representatives(self) -> list[dict]:
        names = (self.cleaned_data.get(name, "").strip() for name in self.representative_names)
        return [{"full_name": name} for name in names if name]

    def has_errors(self) -> bool:
        return bool(self.errors or self.representatives_errors)

    def add_domain_error(self, exc: DomainError) -> None:
        """Show a refusal from the services on the input it names (``exc.field``)."""
        if exc.field == "representatives":
            self.representatives_errors.append(exc.message)
            for name in self.representative_names:
                self.fields[name].widget.attrs.update({
                    "aria-invalid": "true", "aria-describedby": "representatives_helptext representatives_error"})
        elif exc.field in self.fields:
            self.add_error(exc.field, exc.message)
        else:
            self.add_error(None, exc.message)


def availability_text(row: dict) -> str:
    if row["state"] == "free":
        return ngettext("Còn %(n)s chỗ", "Còn %(n)s chỗ", row["free"]) % {"n": row["free"]}
    if row["state"] == "waitlist":
        return _("Hết chỗ — còn danh sách chờ")
    if row["state"] == "full":
        return _("Đã đầy")
    return _("Đã qua")


def _registered_message(registration: Registration) -> str:
    if registration.status == RegistrationStatus.WAITLISTED:
        position = registrations.waitlist_position(registration)
        return ngettext("Bạn đang ở vị trí %(n)s trong danh sách chờ.", "Bạn đang ở vị trí %(n)s trong danh sách chờ.",
                        position) % {"n": position}
    return _("Đăng ký thành công.")


@require_http_methods(["GET", "POST"])
def session_detail(request, public_id):
    """A public session: details, tentative content, sites, slots; the registration form for citizens."""
    session = get_object_or_404(_with_display_relations(public_sessions()), public_id=public_id)
    now = timezone.now()
    slot_rows = [{"slot": s, **_availability(s, now)} for s in session.slots.order_by("index")]
    for row in slot_rows:
        row["text"] = availability_text(row)
    future_rows = [row for row in slot_rows if row["state"] != "past"]
    registration_open = (session.status in registrations.REGISTRABLE_STATUSES
                         and session.registration_closes_at > now and bool(future_rows))
    user = request.user
    own = None
    if user.is_authenticated:
        own = Registration.objects.filter(session=session, citizen=user,
                                          status__in=ACTIVE_REGISTRATION_STATUSES).first()
    form = None
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not registration_open or own is not None:
            messages.error(request, _("Bạn đã đăng ký phiên tiếp này.") if own is not None
                           else _("Phiên tiếp này hiện không nhận đăng ký."))
            return redirect("frontend:session", public_id=session.public_id)
        form = RegistrationForm(request.POST, slot_rows=future_rows)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                registration = registrations.register(
                    citizen=user, slot_id=int(cd["slot"]), matter_kind=cd["matter_kind"],
                    matter_summary=cd["matter_summary"], people_count=cd["people_count"],
                    representatives=form.representatives(), now=now)
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                if registration.status == RegistrationStatus.WAITLISTED:
                    messages.warning(request, _registered_message(registration))
                else:
                    messages.success(request, _registered_message(registration))
                return redirect("frontend:my-registrations")
    elif user.is_authenticated and registration_open and own is None:
        form = RegistrationForm(slot_rows=future_rows)
    group_min, group_large = settings.GROUP_CASE_MIN_PEOPLE, settings.GROUP_CASE_LARGE_THRESHOLD
    return render(request, "frontend/schedule/session.html", {
        "session": session, "slot_rows": slot_rows, "registration_open": registration_open, "form": form,
        "own": own, "group_min": group_min, "group_large": group_large,
        "reps_small": registrations.representatives_required(group_large)[1],
        "reps_large": registrations.representatives_required(group_large + 1)[1],
    })


def countdown_text(starts_at: datetime, now: datetime) -> str:
    """The server-rendered countdown ("Còn 2 ngày, 3 giờ đến giờ tiếp của bạn."); countdown.js keeps it
    current in the browser with the same message (COUNTDOWN_TEMPLATE)."""
    if starts_at <= now:
        return str(COUNTDOWN_STARTED)
    return str(COUNTDOWN_TEMPLATE) % {"left": time_left(starts_at - now)}


def time_left(delta: timedelta) -> str:
    """"12 ngày 7 giờ", "3 giờ 20 phút", "5 phút": the two largest units (as countdown.js writes them)."""
    minutes = max(1, -(-int(delta.total_seconds()) // 60))
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    parts = []
    if days:
        parts.append(ngettext("%(n)s ngày", "%(n)s ngày", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)s giờ", "%(n)s giờ", hours) % {"n": hours})
    if mins and not days:
        parts.append(ngettext("%(n)s phút", "%(n)s phút", mins) % {"n": mins})
    return " ".join(parts[:2])


COUNTDOWN_TEMPLATE = gettext_lazy("Còn %(left)s đến giờ tiếp của bạn.")
COUNTDOWN_STARTED = gettext_lazy("Đã đến giờ tiếp của bạn.")


def _registration_row(registration: Registration, now: datetime) -> dict:
    active = registration.status in ACTIVE_REGISTRATION_STATUSES
    upcoming = registration.slot_ends_at > now
    live = registration.session.status in registrations.REGISTRABLE_STATUSES
    joinable = registration.status == RegistrationStatus.CONFIRMED and upcoming and live
    device_check = ""
    if joinable:
        device_check = "{}?{}#precheck".format(
            reverse("frontend:room", kwargs={"session": registration.session.public_id}),
            urlencode({"token": make_join_token(registration)}))
    return {
        "registration": registration,
        "position": registrations.waitlist_position(registration),
        # On the page the link is relative (same host as the page); messages (SMS, e-mail) carry the absolute one.
        "join_url": reverse("frontend:join", kwargs={"token": make_join_token(registration)}) if joinable else "",
        "device_check_url": device_check,
        "countdown": countdown_text(registration.slot_starts_at, now) if active and upcoming else "",
        "can_cancel": active and registration.slot_starts_at > now,
    }


@login_required
def my_registrations(request):
    """Đăng ký của tôi: the citizen's own registrations, the active upcoming ones first."""
    now = timezone.now()
    mine = Registration.objects.filter(citizen=request.user).select_related("session__host_office", "session__host",
                                                                         "session__replaced_by")
    upcoming = mine.filter(status__in=ACTIVE_REGISTRATION_STATUSES, slot_ends_at__gt=now)
    others = mine.exclude(pk__in=upcoming.values("pk"))
    return render(request, "frontend/schedule/my_registrations.html", {
        "now": now, "countdown_template": COUNTDOWN_TEMPLATE, "countdown_started": COUNTDOWN_STARTED,
        "upcoming": [_registration_row(r, now) for r in upcoming.order_by("slot_starts_at", "pk")],
        "others": [_registration_row(r, now)
                   for r in others.order_by("-slot_starts_at", "-pk")[:PAST_REGISTRATIONS_SHOWN]],
    })


@login_required
@require_POST
def cancel_registration(request, public_id):
    """Hủy đăng ký: only the citizen who registered, from their own page; the waiting list moves up."""
    registration = get_object_or_404(Registration.objects.select_related("session__host_office"),
                                     public_id=public_id)
    if registration.citizen_id != request.user.pk:
        raise PermissionDenied
    try:
        registrations.cancel(registration, request.user, (request.POST.get("reason") or "").strip()[:255])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã hủy đăng ký."))
    return redirect("frontend:my-registrations")
