"""The staff's scheduling workspace (lịch làm việc): a leader's or reception officer's page to lay down the
periodic reception plan (lịch tiếp định kỳ), publish, postpone or cancel the office's sessions, and keep the
leader's other engagements (lịch công tác khác) off the reception days. Server-rendered: every page works
without JavaScript.

Views translate forms to service calls (``scheduling.services.plans``, ``sessions.services``,
``scheduling.services.engagements``); they never write models. A refusal (``DomainError``) is shown as a
message and on the input it names; ``forbidden`` becomes a 403.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role, User
from accounts.permissions import Action, can, has_role_at, is_staff_member, offices_for
from core.errors import DomainError
from frontend import office_picker
from minutes import access as minutes_access
from offices.models import Office, Tier
from scheduling import recurrence
from scheduling.models import HolidayRule, LeaderEngagement, ReceptionPlan
from scheduling.services import engagements, plans
from sessions import services as session_services
from sessions.models import ReceptionSession, SessionStatus
from signaling.services import room_role_for

SESSIONS_DAYS_AHEAD = 60
CALENDAR_DAYS_AHEAD = 90
MAX_SESSIONS_SHOWN = 200
MAX_ENGAGEMENTS_SHOWN = 200
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S"]
ACTIONABLE = (SessionStatus.PLANNED, SessionStatus.PUBLISHED)
# Roles that enter a session's room from a site (signaling.services.room_role_for).

def _refused(request, exc: DomainError, form=None) -> None:
    """A service refused: "forbidden" is a 403; anything else goes on the form's field and in a message."""
    if exc.code == "forbidden":
        raise PermissionDenied from exc
    if form is not None:
        form.add_domain_error(exc)
    messages.error(request, exc.message)


def describe_rrule(rrule: str) -> str:
    """The plan's rhythm in Vietnamese words (``scheduling.recurrence``); a rule without words there reads
    "Theo quy tắc lặp riêng" — never the raw RRULE on a staff page."""
    return recurrence.describe(rrule) or _("Theo quy tắc lặp riêng (xem chi tiết trong trang quản trị)")


# --- forms -------------------------------------------------------------------------------------------------

class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self):
        super().__init__(format="%H:%M")


def _date_field(label, required=True):
    return forms.DateField(label=label, required=required, input_formats=DATE_INPUT_FORMATS, widget=DateInput())


def _time_field(label, required=True):
    return forms.TimeField(label=label, required=required, input_formats=TIME_INPUT_FORMATS, widget=TimeInput())


class DomainForm(forms.Form):
    """A form that shows a service refusal on the input it names (``field_map`` renames service fields)."""

    field_map: dict[str, str] = {}

    def add_domain_error(self, exc: DomainError) -> None:
        name = self.field_map.get(exc.field, exc.field)
        self.add_error(name if name in self.fields else None, exc.message)


CUSTOM_RHYTHM = "custom"
RHYTHMS = [
    ("FREQ=MONTHLY;BYMONTHDAY=10,25", gettext_lazy("Ngày 10 và 25 hằng tháng")),
    ("FREQ=WEEKLY;BYDAY=TH", gettext_lazy("Thứ Năm hằng tuần")),
    ("FREQ=MONTHLY;BYMONTHDAY=15", gettext_lazy("Ngày 15 hằng tháng")),
    (CUSTOM_RHYTHM, gettext_lazy("Khác: nhập quy tắc lặp (RRULE) bên dưới")),
]


class PlanForm(DomainForm):
    """Tạo lịch tiếp định kỳ: who, the rhythm (a preset or an RFC 5545 RRULE), the hours and the slots."""

    title = forms.CharField(label=gettext_lazy("Tiêu đề"), max_length=255)
    leader = forms.ModelChoiceField(label=gettext_lazy("Lãnh đạo chủ trì"), queryset=User.objects.none(),
                                    empty_label=gettext_lazy("— Chọn lãnh đạo —"))
    rhythm = forms.ChoiceField(label=gettext_lazy("Nhịp tiếp"), choices=RHYTHMS, widget=forms.RadioSelect)
    rrule = forms.CharField(
        label=gettext_lazy("Quy tắc lặp (RRULE)"), required=False, max_length=500,
        help_text=gettext_lazy("Chỉ khi chọn \"Khác\". Ví dụ: FREQ=MONTHLY;BYMONTHDAY=5,20 hoặc "
                               "FREQ=WEEKLY;BYDAY=TU."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    starts_on = _date_field(gettext_lazy("Áp dụng từ ngày"))
    ends_on = _date_field(gettext_lazy("Đến ngày (không bắt buộc)"), required=False)
    start_time = _time_field(gettext_lazy("Giờ bắt đầu"))
    end_time = _time_field(gettext_lazy("Giờ kết thúc"))
    holiday_rule = forms.ChoiceField(label=gettext_lazy("Khi trùng ngày nghỉ"), choices=HolidayRule.choices)
    slot_minutes = forms.IntegerField(label=gettext_lazy("Thời lượng mỗi lượt (phút)"), min_value=5, max_value=240)
    slot_capacity = forms.IntegerField(label=gettext_lazy("Số người mỗi lượt"), min_value=1, max_value=500)
    tentative_content = forms.CharField(label=gettext_lazy("Nội dung dự kiến (không bắt buộc)"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, leaders=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders if leaders is not None else User.objects.none()
        self.fields["leader"].label_from_instance = lambda user: user.full_name

    def clean(self):
        data = super().clean()
        if data.get("rhythm") == CUSTOM_RHYTHM:
            if not (data.get("rrule") or "").strip():
                self.add_error("rrule", _("Nhập quy tắc lặp, hoặc chọn một nhịp tiếp có sẵn."))
        elif data.get("rhythm"):
            data["rrule"] = data["rhythm"]
        return data


class PublishForm(DomainForm):
    reason = forms.CharField(label=gettext_lazy("Lý do công bố muộn"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    field_map = {"late_publication_reason": "reason"}


class PostponeForm(DomainForm):
    reason = forms.CharField(label=gettext_lazy("Lý do hoãn (công khai)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    new_date = _date_field(gettext_lazy("Ngày tiếp mới (không bắt buộc)"), required=False)
    new_time = _time_field(gettext_lazy("Giờ bắt đầu mới (mặc định giữ giờ cũ)"), required=False)
    field_map = {"new_starts_at": "new_date", "starts_at": "new_date", "ends_at": "new_date",
                 "registration_closes_at": "new_date"}

    def clean(self):
        data = super().clean()
        if data.get("new_time") and not data.get("new_date"):
            self.add_error("new_date", _("Chọn ngày tiếp mới."))
        return data


class CancelForm(DomainForm):
    reason = forms.CharField(label=gettext_lazy("Lý do hủy (công khai)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class EngagementForm(DomainForm):
    """Thêm lịch công tác khác: a title and a period within one day."""

    title = forms.CharField(label=gettext_lazy("Nội dung công tác"), max_length=engagements.MAX_TITLE)
    day = _date_field(gettext_lazy("Ngày"))
    start_time = _time_field(gettext_lazy("Từ giờ"))
    end_time = _time_field(gettext_lazy("Đến giờ"))
    field_map = {"starts_at": "day", "ends_at": "end_time"}


class IcalImportForm(DomainForm):
    file = forms.FileField(label=gettext_lazy("Tệp lịch iCalendar (.ics)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}))


# --- helpers -----------------------------------------------------------------------------------------------

def _require_staff(user) -> None:
    """The workspace is for staff: anyone holding a role at an office (or a superuser)."""
    if not (is_staff_member(user) or (user.is_superuser and user.is_active)):
        raise PermissionDenied


def _aware(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


def _managed_offices(user):
    return offices_for(user, Action.SESSION_MANAGE).filter(is_active=True).order_by("path")


def _workspace_offices(user):
    """The offices whose workspace the user opens: those whose sessions they manage, and those where they
    are the secretary (she follows the sessions and writes their minutes; she does not schedule)."""
    if user.is_superuser and user.is_active:
        return _managed_offices(user)
    managed = _managed_offices(user).values("pk")
    return (Office.objects.filter(is_active=True)
            .filter(Q(pk__in=managed) | Q(role_assignments__user=user, role_assignments__role=Role.SECRETARY))
            .distinct().order_by("path"))


def _leaders_of(office: Office):
    return (User.objects.filter(is_active=True, role_assignments__office=office, role_assignments__role=Role.LEADER)
            .distinct().order_by("full_name", "pk"))


def _pick_office(request, offices) -> Office | None:
    """The office asked for (``?office=CODE``), else the first one where the user holds a role directly."""
    code = (request.POST.get("office") or request.GET.get("office") or "").strip()
    if code:
        office = offices.filter(code=code).first()
        if office is None:
            if Office.objects.filter(code=code).exists():
                raise PermissionDenied
            raise Http404
        return office
    return offices.filter(role_assignments__user=request.user).first() or offices.first()


def role_links(user, session: ReceptionSession) -> dict:
    """Which of the session's pages this person may open, by role: leaders and officers (of the host office
    or of a connected site) the room; the host office's secretary the secretary's console (the room beside
    the minutes) and the minutes; a connected site's secretary the room (the minutes are the host office's).
    Minutes editors (leader, officer of the host office) also get the minutes."""
    live = session.status in (SessionStatus.PUBLISHED, SessionStatus.OPEN)
    sites = [site.office for site in session.sites.all()]
    in_room = room_role_for(user, session) is not None  # the room socket's own rule
    editor = minutes_access.may_edit(user, session)
    secretary = has_role_at(user, session.host_office, {Role.SECRETARY})
    runs_room = session.host_id == user.pk or any(
        has_role_at(user, office, {Role.LEADER, Role.RECEPTION_OFFICER, Role.OFFICE_ADMIN}) for office in sites)
    console = live and editor and (secretary or getattr(user, "is_superuser", False))
    return {
        "room": live and in_room and (runs_room or not console),
        "console": console,
        "minutes": editor and session.status in (SessionStatus.PUBLISHED, SessionStatus.OPEN, SessionStatus.HELD),
        "is_secretary": secretary,
    }


def _workspace_url(office: Office, anchor: str = "") -> str:
    return f"{reverse('frontend:workspace')}?office={office.code}" + (f"#{anchor}" if anchor else "")


def _session_rows(office: Office, now: datetime, failed=None, user=None, manage=True) -> list[dict]:
    """The office's sessions of the next SESSIONS_DAYS_AHEAD days, each with its action forms (the one that
    just failed, ``failed = (session_pk, action, form)``, is shown bound with its errors)."""
    sessions = (ReceptionSession.objects
                .filter(host_office=office, ends_at__gt=now, starts_at__lt=now + timedelta(days=SESSIONS_DAYS_AHEAD))
                .select_related("host", "plan", "replaced_by", "host_office").prefetch_related("sites__office")
                .annotate(registered=Sum("slots__confirmed_count"), waitlisted=Sum("slots__waitlist_count"))
                .order_by("starts_at", "pk")[:MAX_SESSIONS_SHOWN])
    rows = []
    for session in sessions:
        row = {"session": session, "open": "", "actionable": manage and session.status in ACTIONABLE,
               "manage": manage, "timely": session_services.publication_is_timely(session, now),
               "links": role_links(user, session) if user is not None else {}}
        for action, form_class in SESSION_FORMS.items():
            if failed and failed[0] == session.pk and failed[1] == action:
                row[f"{action}_form"], row["open"] = failed[2], action
            else:
                row[f"{action}_form"] = form_class(auto_id=f"{action}-{session.pk}-%s")
        if not row["timely"]:
            reason = row["publish_form"].fields["reason"]
            reason.help_text = _("Đã quá hạn công bố trước %(n)s ngày làm việc — cần nêu lý do.") % {
                "n": settings.PUBLICATION_MIN_WORKING_DAYS}
            reason.widget.attrs["required"] = True
        rows.append(row)
    return rows


def _site_sessions(office: Office, now: datetime, user=None) -> list:
    """Sessions of other offices in which this office is a connected site (điểm cầu): its staff join them
    from here. Today's first. Each with the links the user may open."""
    sessions = list(ReceptionSession.objects
                .filter(sites__office=office, sites__is_host=False, ends_at__gt=now,
                        starts_at__lt=now + timedelta(days=SESSIONS_DAYS_AHEAD),
                        status__in=[SessionStatus.PUBLISHED, SessionStatus.OPEN])
                .exclude(host_office=office).select_related("host_office", "host").prefetch_related("sites__office")
                .order_by("starts_at", "pk").distinct()[:MAX_SESSIONS_SHOWN])
    for session in sessions:
        session.links = role_links(user, session) if user is not None else {}
    return sessions


def _plan_rows(office: Office, user) -> list[dict]:
    today = timezone.localdate()
    rows = []
    for plan in ReceptionPlan.objects.filter(office=office, is_active=True).select_related("leader", "office") \
            .order_by("starts_on", "pk"):
        rows.append({
            "plan": plan, "rule": describe_rrule(plan.rrule),
            "warnings": plans.legal_minimum_warnings(plan, today=today),
            "skipped": plans.skipped_occurrences(plan, today=today),
            "can_calendar": can(user, Action.ENGAGEMENT_MANAGE, plan.leader),
        })
    return rows


def _plan_form_initial(office: Office, leaders, user) -> dict:
    ids = list(leaders.values_list("pk", flat=True))
    leader = user.pk if user.pk in ids else (ids[0] if len(ids) == 1 else None)
    return {
        "title": _("Tiếp công dân định kỳ"), "leader": leader,
        "rhythm": RHYTHMS[0][0] if office.tier == Tier.COMMUNE else RHYTHMS[2][0],
        "starts_on": timezone.localdate(), "start_time": time(8), "end_time": time(11, 30),
        "holiday_rule": HolidayRule.NEXT_WORKING_DAY, "slot_minutes": settings.SLOT_MINUTES_DEFAULT,
        "slot_capacity": settings.SLOT_CAPACITY_DEFAULT,
    }


def _render_workspace(request, offices, office: Office | None, *, plan_form=None, failed=None, status=200):
    context = {"offices": offices, "office": office, **office_picker.picker(request, offices, office)}
    user = request.user
    if office is not None:
        manage = can(user, Action.SESSION_MANAGE, office)
        leaders = _leaders_of(office)
        if plan_form is None:
            plan_form = PlanForm(leaders=leaders, initial=_plan_form_initial(office, leaders, user))
        now = timezone.now()
        context.update({
            "manage": manage,
            "plans": _plan_rows(office, user) if manage else [],
            "rows": _session_rows(office, now, failed, user=user, manage=manage),
            "site_sessions": _site_sessions(office, now, user=user),
            "plan_form": plan_form,
            "leaders": [{"user": leader, "can_calendar": can(user, Action.ENGAGEMENT_MANAGE, leader)}
                        for leader in leaders],
            "days_ahead": SESSIONS_DAYS_AHEAD,
            "min_working_days": settings.PUBLICATION_MIN_WORKING_DAYS,
        })
    context["own_calendar"] = engagements.is_leader(user)
    return render(request, "frontend/workspace/workspace.html", context, status=status)


# --- the workspace -----------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def workspace(request):
    """Lịch làm việc: the office's periodic plans (with the legal-minimum warning), its sessions of the next
    60 days with publish/postpone/cancel, and the form creating a periodic plan (POST)."""
    _require_staff(request.user)
    offices = _workspace_offices(request.user)
    office = _pick_office(request, offices)
    if request.method == "GET":
        return _render_workspace(request, offices, office)
    if office is None or not can(request.user, Action.SESSION_MANAGE, office):
        raise PermissionDenied

    leaders = _leaders_of(office)
    form = PlanForm(request.POST, leaders=leaders)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            plan = plans.create_plan(
                by=request.user, office=office, leader=cd["leader"], title=cd["title"], rrule=cd["rrule"],
                starts_on=cd["starts_on"], ends_on=cd["ends_on"], start_time=cd["start_time"],
                end_time=cd["end_time"], holiday_rule=cd["holiday_rule"], slot_minutes=cd["slot_minutes"],
                slot_capacity=cd["slot_capacity"], tentative_content=cd["tentative_content"])
        except DomainError as exc:
            _refused(request, exc, form)
        else:
            report = plans.materialize(plan_ids=[plan.pk])
            messages.success(request, ngettext(
                "Đã tạo lịch tiếp định kỳ \"%(title)s\" và %(n)s phiên tiếp dự kiến.",
                "Đã tạo lịch tiếp định kỳ \"%(title)s\" và %(n)s phiên tiếp dự kiến.",
                report.created) % {"title": plan.title, "n": report.created})
            for _plan, _day, conflict in report.conflicts:
                messages.warning(request, conflict)
            for warning in plans.legal_minimum_warnings(plan):
                messages.warning(request, warning.message)
            return redirect(_workspace_url(office, "plans"))
    return _render_workspace(request, offices, office, plan_form=form, status=400)


@login_required
@require_POST
def deactivate_plan(request, plan_id):
    """Ngừng áp dụng a plan: no new sessions; those already created stay (cancel them one by one)."""
    _require_staff(request.user)
    plan = get_object_or_404(ReceptionPlan.objects.select_related("office"), pk=plan_id, is_active=True)
    if not can(request.user, Action.SESSION_MANAGE, plan.office):
        raise PermissionDenied
    try:
        plans.deactivate_plan(plan, request.user)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Đã ngừng áp dụng lịch tiếp \"%(title)s\". Các phiên đã tạo vẫn giữ nguyên; "
                                    "hủy từng phiên nếu cần.") % {"title": plan.title})
    return redirect(_workspace_url(plan.office, "plans"))


def _publish(session, user, cd) -> str:
    session_services.publish(session, user, reason=cd["reason"])
    return _("Đã công bố phiên tiếp.")


def _postpone(session, user, cd) -> str:
    new_starts_at = None
    if cd.get("new_date"):
        moment = cd.get("new_time") or timezone.localtime(session.starts_at).time()
        new_starts_at = _aware(cd["new_date"], moment)
    session_services.postpone(session, user, cd["reason"], new_starts_at=new_starts_at)
    return _("Đã hoãn phiên tiếp.")


def _cancel(session, user, cd) -> str:
    session_services.cancel(session, user, cd["reason"])
    return _("Đã hủy phiên tiếp.")


SESSION_FORMS = {"publish": PublishForm, "postpone": PostponeForm, "cancel": CancelForm}
SESSION_ACTIONS = {"publish": _publish, "postpone": _postpone, "cancel": _cancel}


def run_session_action(request, session, action: str, form) -> bool:
    """Công bố, hoãn or hủy with a bound form: True when done (a success message is queued); otherwise
    the refusal is on the form and in a message. Shared by the workspace and the session page."""
    if not form.is_valid():
        messages.error(request, _("Chưa thực hiện được. Vui lòng xem lại các ô được đánh dấu."))
        return False
    try:
        done = SESSION_ACTIONS[action](session, request.user, form.cleaned_data)
    except DomainError as exc:
        _refused(request, exc, form)
        return False
    messages.success(request, done)
    return True


@login_required
@require_POST
def session_action(request, public_id, action):
    """Công bố, hoãn or hủy one session of an office the user manages; on a refusal the workspace is shown
    again with the form's errors."""
    _require_staff(request.user)
    session = get_object_or_404(ReceptionSession.objects.select_related("host_office"), public_id=public_id)
    office = session.host_office
    if not can(request.user, Action.SESSION_MANAGE, office):
        raise PermissionDenied
    form = SESSION_FORMS[action](request.POST, auto_id=f"{action}-{session.pk}-%s")
    if run_session_action(request, session, action, form):
        return redirect(_workspace_url(office, f"s-{session.public_id}"))
    return _render_workspace(request, _workspace_offices(request.user), office,
                             failed=(session.pk, action, form), status=400)


# --- a leader's calendar -----------------------------------------------------------------------------------

def _calendar_leader(request, leader_id) -> User:
    _require_staff(request.user)
    leader = get_object_or_404(User.objects.filter(role_assignments__role=Role.LEADER).distinct(), pk=leader_id)
    if not can(request.user, Action.ENGAGEMENT_MANAGE, leader):
        raise PermissionDenied
    return leader


def _calendar_url(leader: User) -> str:
    return reverse("frontend:leader-calendar", args=[leader.pk])


def _render_calendar(request, leader: User, *, form=None, ical_form=None, report=None, status=200):
    today, now = timezone.localdate(), timezone.now()
    end = today + timedelta(days=CALENDAR_DAYS_AHEAD)
    days = sorted(engagements.reception_days(leader, today, end, include_plans=True))
    upcoming = (LeaderEngagement.objects.filter(leader=leader, ends_at__gt=now)
                .order_by("starts_at", "pk")[:MAX_ENGAGEMENTS_SHOWN])
    return render(request, "frontend/workspace/leader_calendar.html", {
        "leader": leader, "reception_days": days, "engagements": upcoming,
        "conflicts": engagements.conflicts(leader, today, end),
        "form": form or EngagementForm(), "ical_form": ical_form or IcalImportForm(), "report": report,
        "days_ahead": CALENDAR_DAYS_AHEAD,
        "offices": Office.objects.filter(role_assignments__user=leader, role_assignments__role=Role.LEADER)
        .distinct().order_by("path"),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def leader_calendar(request, leader_id):
    """Lịch công tác của lãnh đạo: reception days, other engagements (added here, never on a reception
    day), the iCal import, and the engagements entered before a plan that now clash with it."""
    leader = _calendar_leader(request, leader_id)
    if request.method == "GET":
        return _render_calendar(request, leader)
    form = EngagementForm(request.POST)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            engagements.create_engagement(by=request.user, leader=leader, title=cd["title"],
                                          starts_at=_aware(cd["day"], cd["start_time"]),
                                          ends_at=_aware(cd["day"], cd["end_time"]))
        except DomainError as exc:
            _refused(request, exc, form)
        else:
            messages.success(request, _("Đã thêm lịch công tác."))
            return redirect(_calendar_url(leader) + "#engagements")
    return _render_calendar(request, leader, form=form, status=400)


@login_required
@require_POST
def import_ical(request, leader_id):
    """Nhập lịch công tác từ tệp iCalendar: shows how many were created, updated, refused and skipped."""
    leader = _calendar_leader(request, leader_id)
    form = IcalImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_calendar(request, leader, ical_form=form, status=400)
    data = form.cleaned_data["file"].read(engagements.MAX_ICAL_BYTES + 1)
    try:
        report = engagements.import_ical(by=request.user, leader=leader, data=data)
    except DomainError as exc:
        _refused(request, exc, form)
        return _render_calendar(request, leader, ical_form=form, status=400)
    return _render_calendar(request, leader, report=report)


@login_required
@require_POST
def delete_engagement(request, leader_id, engagement_id):
    leader = _calendar_leader(request, leader_id)
    engagement = get_object_or_404(LeaderEngagement, pk=engagement_id, leader=leader)
    try:
        engagements.delete_engagement(request.user, engagement)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Đã xóa lịch công tác \"%(title)s\".") % {"title": engagement.title})
    return redirect(_calendar_url(leader) + "#engagements")
