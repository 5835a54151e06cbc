"""The staff's session page (trang phiên tiếp) and the page creating a session (issue 11).

* ``/lam-viec/phien/tao-moi/?office=CODE`` — a leader or reception officer creates an ad-hoc session (with its
  legal ground), or a one-off regular or periodic one: time, slots and capacity, registration deadline, and
  the host leader (required; a leader already busy at that time is refused by ``sessions.services``).
* ``/lam-viec/phien/<uuid>/`` — everything about one session for its staff: facts, connected sites of any
  tier (office search without diacritics, the responsible staff member, remove until held), publish /
  postpone / cancel (the workspace's forms and rules), open the room (host and officers), end the reception
  (the host leader only) and the links each role may open (room, secretary's console, minutes).

Server-rendered, works without JavaScript; irreversible buttons ask ``window.confirm()`` when scripts run.
Views only translate forms to ``sessions.services`` calls.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role, User
from accounts.permissions import Action, can
from core.errors import DomainError
from frontend import office_picker
from frontend.views import search_offices
from frontend.workspace_views import (
    SESSION_FORMS,
    DomainForm,
    _aware,
    _date_field,
    _leaders_of,
    _managed_offices,
    _pick_office,
    _refused,
    _require_staff,
    _time_field,
    role_links,
    run_session_action,
)
from offices.models import Office
from sessions import services as session_services
from sessions.models import (
    LIVE_STATUSES,
    AdhocReason,
    ReceptionSession,
    SessionKind,
    SessionSite,
    SessionStatus,
)

MAX_SEARCH_RESULTS = 20
EVENT_LABELS = {
    "created": gettext_lazy("Tạo phiên"), "published": gettext_lazy("Công bố"), "postponed": gettext_lazy("Hoãn"),
    "cancelled": gettext_lazy("Hủy"), "opened": gettext_lazy("Mở phòng tiếp"),
    "held": gettext_lazy("Kết thúc buổi tiếp"), "site_added": gettext_lazy("Kết nối điểm cầu"),
    "site_removed": gettext_lazy("Bỏ điểm cầu"),
}
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self):
        super().__init__(format="%Y-%m-%dT%H:%M")


class SessionCreateForm(DomainForm):
    """Tạo phiên tiếp: the kind (ad-hoc with its ground, or one regular/periodic occurrence), the host
    leader, the time, the slots and the registration deadline."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Hình thức tiếp"), widget=forms.RadioSelect,
        choices=[(SessionKind.ADHOC, gettext_lazy("Đột xuất")),
                 (SessionKind.REGULAR, gettext_lazy("Thường xuyên (một buổi)")),
                 (SessionKind.PERIODIC, gettext_lazy("Định kỳ (một buổi ngoài lịch định kỳ)"))])
    adhoc_reason = forms.ChoiceField(
        label=gettext_lazy("Lý do tiếp đột xuất"), required=False, widget=forms.RadioSelect,
        choices=AdhocReason.choices,
        help_text=gettext_lazy("Bắt buộc khi tiếp đột xuất (Luật Tiếp công dân 2013, Điều 18)."))
    adhoc_note = forms.CharField(label=gettext_lazy("Ghi chú về vụ việc (không bắt buộc)"), required=False,
                                 max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    title = forms.CharField(label=gettext_lazy("Tiêu đề"), max_length=255)
    host = forms.ModelChoiceField(label=gettext_lazy("Lãnh đạo chủ trì"), queryset=User.objects.none(),
                                  empty_label=gettext_lazy("— Chọn lãnh đạo —"))
    day = _date_field(gettext_lazy("Ngày tiếp"))
    start_time = _time_field(gettext_lazy("Giờ bắt đầu"))
    end_time = _time_field(gettext_lazy("Giờ kết thúc"))
    slot_minutes = forms.IntegerField(label=gettext_lazy("Thời lượng mỗi lượt (phút)"), min_value=5, max_value=240)
    slot_capacity = forms.IntegerField(label=gettext_lazy("Số người mỗi lượt"), min_value=1, max_value=500)
    registration_closes_at = forms.DateTimeField(
        label=gettext_lazy("Hạn đăng ký (không bắt buộc)"), required=False, input_formats=DATETIME_INPUT_FORMATS,
        widget=DateTimeLocalInput(),
        help_text=gettext_lazy("Để trống: %(h)s giờ trước giờ bắt đầu; phiên gấp (trong ngày): đến %(m)s phút "
                               "trước giờ bắt đầu."))
    tentative_content = forms.CharField(label=gettext_lazy("Nội dung dự kiến (không bắt buộc)"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 3}))
    field_map = {"starts_at": "start_time", "ends_at": "end_time"}

    def __init__(self, *args, leaders=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = leaders if leaders is not None else User.objects.none()
        self.fields["host"].label_from_instance = lambda user: user.full_name
        help_text = self.fields["registration_closes_at"].help_text
        self.fields["registration_closes_at"].help_text = help_text % {
            "h": settings.REGISTRATION_CLOSES_HOURS_BEFORE,
            "m": session_services.SHORT_NOTICE_REGISTRATION_CLOSES_MINUTES}

    def clean(self):
        data = super().clean()
        if data.get("kind") == SessionKind.ADHOC and not data.get("adhoc_reason"):
            self.add_error("adhoc_reason", _("Tiếp đột xuất cần nêu lý do theo quy định."))
        return data


class SiteForm(DomainForm):
    """Kết nối điểm cầu: the office found by the search, and optionally its responsible staff member."""

    office = forms.CharField(max_length=32, widget=forms.HiddenInput)
    responsible = forms.ModelChoiceField(label=gettext_lazy("Cán bộ phụ trách điểm cầu"), required=False,
                                         queryset=User.objects.none(),
                                         empty_label=gettext_lazy("— Chưa chọn —"))
    field_map = {"sites": "responsible"}

    def __init__(self, *args, office=None, **kwargs):
        super().__init__(*args, **kwargs)
        if office is not None:
            self.fields["responsible"].queryset = staff_of(office)
        self.fields["responsible"].label_from_instance = lambda user: user.full_name


def staff_of(office: Office):
    return (User.objects.filter(is_active=True, role_assignments__office=office)
            .exclude(role_assignments__office=office, role_assignments__role=Role.INSPECTOR)
            .distinct().order_by("full_name", "pk"))


def session_url(session: ReceptionSession, anchor: str = "") -> str:
    return reverse("frontend:workspace-session", args=[session.public_id]) + (f"#{anchor}" if anchor else "")


def _load(public_id) -> ReceptionSession:
    return get_object_or_404(ReceptionSession.objects.select_related("host_office", "host", "replaced_by"),
                             public_id=public_id)


def _viewable(request, public_id) -> ReceptionSession:
    _require_staff(request.user)
    session = _load(public_id)
    if not can(request.user, Action.SESSION_VIEW, session):
        raise PermissionDenied
    return session


def _open_window(session: ReceptionSession):
    """(earliest manual opening, automatic opening)."""
    return (session.starts_at - timedelta(minutes=settings.SESSION_OPEN_EARLY_MINUTES),
            session.starts_at - timedelta(minutes=settings.SESSION_AUTO_OPEN_MINUTES_BEFORE))


def _render_session(request, session: ReceptionSession, *, failed=None, site_form=None, status=200):
    user, now = request.user, timezone.now()
    manage = can(user, Action.SESSION_MANAGE, session.host_office)
    sites = list(session.sites.select_related("office", "responsible").order_by("-is_host", "office__path"))
    q = (request.GET.get("q") or "").strip()[:100]
    results = []
    if manage and q and session.status in LIVE_STATUSES:
        connected = {site.office_id for site in sites}
        for office in search_offices(q).exclude(pk__in=connected)[:MAX_SEARCH_RESULTS]:
            form = site_form if site_form is not None and site_form.data.get("office") == office.code else None
            results.append({"office": office, "form": form or SiteForm(
                office=office, initial={"office": office.code}, auto_id=f"site-{office.code}-%s")})
    forms_ = {}
    for action, form_class in SESSION_FORMS.items():
        if failed and failed[0] == action:
            forms_[action] = failed[1]
        else:
            forms_[action] = form_class(auto_id=f"{action}-%s")
    timely = session_services.publication_is_timely(session, now)
    if not timely:
        reason = forms_["publish"].fields["reason"]
        reason.help_text = _("Đã quá hạn công bố trước %(n)s ngày làm việc — cần nêu lý do.") % {
            "n": settings.PUBLICATION_MIN_WORKING_DAYS}
        reason.widget.attrs["required"] = True
    earliest, automatic = _open_window(session)
    counts = session.slots.aggregate(registered=Sum("confirmed_count"), waitlisted=Sum("waitlist_count"))
    context = {
        "s": session, "sites": sites, "manage": manage, "q": q, "results": results, "searched": bool(q),
        "forms": forms_, "open_action": failed[0] if failed else "", "timely": timely,
        "links": role_links(user, session),
        "may_open": (session.status == SessionStatus.PUBLISHED and can(user, Action.SESSION_HOST, session.host_office)),
        "open_now": earliest <= now <= session.ends_at, "open_from": earliest, "auto_open_at": automatic,
        "may_close": session.status == SessionStatus.OPEN and can(user, Action.SESSION_CLOSE, session),
        "live": session.status in LIVE_STATUSES,
        "registered": counts["registered"] or 0, "waitlisted": counts["waitlisted"] or 0,
        "events": [{"event": e, "label": EVENT_LABELS.get(e.kind, e.kind)}
                   for e in session.events.select_related("actor").order_by("-at", "-pk")[:20]],
        "workspace_url": f"{reverse('frontend:workspace')}?office={session.host_office.code}",
    }
    return render(request, "frontend/workspace/session.html", context, status=status)


# --- pages -------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET"])
def session_page(request, public_id):
    return _render_session(request, _viewable(request, public_id))


@login_required
@require_http_methods(["GET", "POST"])
def create_session(request):
    """Tạo phiên tiếp at an office the user manages (``?office=CODE``, else their own)."""
    _require_staff(request.user)
    offices = _managed_offices(request.user)
    office = _pick_office(request, offices)
    if office is None:
        raise PermissionDenied
    leaders = _leaders_of(office)
    if request.method == "GET":
        ids = list(leaders.values_list("pk", flat=True))
        host = request.user.pk if request.user.pk in ids else (ids[0] if len(ids) == 1 else None)
        form = SessionCreateForm(leaders=leaders, initial={
            "kind": SessionKind.ADHOC, "title": _("Tiếp công dân đột xuất"), "host": host,
            "day": timezone.localdate(), "slot_minutes": settings.SLOT_MINUTES_DEFAULT,
            "slot_capacity": settings.SLOT_CAPACITY_DEFAULT})
        return _render_create(request, offices, office, form, leaders)
    form = SessionCreateForm(request.POST, leaders=leaders)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            session = session_services.create_session(
                by=request.user, kind=cd["kind"], host_office=office, host=cd["host"], title=cd["title"],
                starts_at=_aware(cd["day"], cd["start_time"]), ends_at=_aware(cd["day"], cd["end_time"]),
                adhoc_reason=cd["adhoc_reason"] if cd["kind"] == SessionKind.ADHOC else "",
                adhoc_note=cd["adhoc_note"], tentative_content=cd["tentative_content"],
                slot_minutes=cd["slot_minutes"], slot_capacity=cd["slot_capacity"],
                registration_closes_at=cd["registration_closes_at"])
        except DomainError as exc:
            _refused(request, exc, form)
        else:
            messages.success(request, _("Đã tạo phiên tiếp (dự kiến). Kết nối điểm cầu và công bố ở trang này."))
            return redirect(session_url(session))
    return _render_create(request, offices, office, form, leaders, status=400)


def _render_create(request, offices, office, form, leaders, status=200):
    return render(request, "frontend/workspace/session_create.html", {
        "offices": offices, "office": office, **office_picker.picker(request, offices, office), "form": form,
        "leaders": leaders,
    }, status=status)


def _managed(request, public_id) -> ReceptionSession:
    _require_staff(request.user)
    session = _load(public_id)
    if not can(request.user, Action.SESSION_MANAGE, session.host_office):
        raise PermissionDenied
    return session


@login_required
@require_POST
def add_site(request, public_id):
    session = _managed(request, public_id)
    code = (request.POST.get("office") or "").strip()[:32]
    office = Office.objects.filter(code=code, is_active=True).first()
    if office is None:
        raise Http404
    form = SiteForm(request.POST, office=office, auto_id=f"site-{office.code}-%s")
    if form.is_valid():
        try:
            session_services.add_site(session, request.user, office, form.cleaned_data["responsible"])
        except DomainError as exc:
            _refused(request, exc, form)
        else:
            messages.success(request, _("Đã kết nối điểm cầu %(office)s.") % {"office": office.name})
            return redirect(session_url(session, "sites"))
    else:
        messages.error(request, _("Chưa kết nối được điểm cầu. Vui lòng xem lại các ô được đánh dấu."))
    return _render_session(request, session, site_form=form, status=400)


@login_required
@require_POST
def remove_site(request, public_id, code):
    session = _managed(request, public_id)
    office = get_object_or_404(Office, code=code)
    if not SessionSite.objects.filter(session=session, office=office).exists():
        raise Http404
    try:
        session_services.remove_site(session, request.user, office)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Đã bỏ điểm cầu %(office)s.") % {"office": office.name})
    return redirect(session_url(session, "sites"))


@login_required
@require_POST
def session_action(request, public_id, action):
    """Công bố, hoãn, hủy from the session page (the workspace's forms and services)."""
    session = _managed(request, public_id)
    form = SESSION_FORMS[action](request.POST, auto_id=f"{action}-%s")
    if run_session_action(request, session, action, form):
        return redirect(session_url(session))
    return _render_session(request, _load(public_id), failed=(action, form), status=400)


@login_required
@require_POST
def open_room(request, public_id):
    """Mở phòng tiếp: the host or an officer of the host office (SESSION_HOST), in the opening window."""
    _require_staff(request.user)
    session = _load(public_id)
    if not can(request.user, Action.SESSION_HOST, session.host_office):
        raise PermissionDenied
    try:
        session_services.open_session(session, request.user)
    except DomainError as exc:
        _refused(request, exc)
        return redirect(session_url(session))
    messages.success(request, _("Đã mở phòng tiếp. Công dân đã đăng ký và các điểm cầu có thể vào phòng."))
    return redirect(session_url(session))


@login_required
@require_POST
def close_reception(request, public_id):
    """Kết thúc buổi tiếp: the host leader (SESSION_CLOSE); the room ends for everyone, the session is held."""
    _require_staff(request.user)
    session = _load(public_id)
    if not can(request.user, Action.SESSION_CLOSE, session):
        raise PermissionDenied
    try:
        session_services.close_session(session, request.user)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Đã kết thúc buổi tiếp. Phiên được ghi nhận là đã tổ chức."))
    return redirect(session_url(session))
