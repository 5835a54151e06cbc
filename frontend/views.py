"""Server-rendered pages: they work without JavaScript. Views translate forms to service calls."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services as account_services
from core.errors import DomainError
from core.text import fold
from frontend.forms import LoginForm, SignupForm, VerifyForm
from offices.models import Office, Tier


def home(request):
    provinces = Office.objects.filter(tier=Tier.PROVINCIAL, is_active=True).order_by("admin_unit_name", "name")
    return render(request, "frontend/home.html", {"provinces": provinces})


def search_offices(q: str):
    """Active offices whose folded name and administrative unit contain every word of ``q`` (typed with or
    without diacritics: "bac ninh" finds "Bắc Ninh"); without words, the central and provincial offices.
    ``Office.search_text`` is ``core.text.fold(name + admin unit)``, stored by ``offices.services``."""
    qs = Office.objects.filter(is_active=True).select_related("parent")
    words = fold(q).split()
    for word in words:
        qs = qs.filter(search_text__contains=word)
    if not words:
        qs = qs.filter(tier__in=[Tier.CENTRAL, Tier.PROVINCIAL])
    return qs.order_by("path")


def office_directory(request):
    q = (request.GET.get("q") or "").strip()[:100]
    page = Paginator(search_offices(q), 30).get_page(request.GET.get("page"))
    return render(request, "frontend/offices.html", {"page": page, "q": q})


UPCOMING_SESSIONS_SHOWN = 10


def office_detail(request, code):
    """An office's public page: its details, its coming public sessions (hosted there or with a connected
    site there), and the offices beneath it."""
    from django.db.models import Exists, OuterRef, Q

    from sessions.models import ReceptionSession, SessionSite

    office = get_object_or_404(Office.objects.select_related("parent"), code=code, is_active=True)
    children = office.children.filter(is_active=True).order_by("name")
    site_here = SessionSite.objects.filter(session=OuterRef("pk"), office=office)
    upcoming = (ReceptionSession.objects.public().filter(Q(host_office=office) | Exists(site_here),
                                                         ends_at__gt=timezone.now())
                .select_related("host_office", "host").order_by("starts_at", "pk")[:UPCOMING_SESSIONS_SHOWN])
    if office.tier == Tier.PROVINCIAL and office.admin_unit_code:
        schedule_query = {"province": office.admin_unit_code}
    elif office.tier == Tier.COMMUNE:
        schedule_query = {"commune": office.admin_unit_name.split(",")[0] if office.admin_unit_name else office.name}
    else:
        schedule_query = {"tier": office.tier}
    from accounts.permissions import Action, can

    return render(request, "frontend/office_detail.html", {
        "office": office, "children": children, "upcoming": list(upcoming),
        "may_edit_contact": can(request.user, Action.OFFICE_CHANGE, office),
        "schedule_url": f"{reverse('frontend:schedule')}?{urlencode(schedule_query)}"})


def _form_error(form, exc: DomainError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pending = account_services.start_signup(**form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            request.session["signup_token"] = pending.token
            return redirect("frontend:signup-verify")
    return render(request, "frontend/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def signup_verify(request):
    token = request.session.get("signup_token")
    if not token:
        return redirect("frontend:signup")
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.verify_signup(token, form.cleaned_data["code"])
        except DomainError as exc:
            _form_error(form, exc)
            if exc.code in {"code_expired", "too_many_attempts", "unknown_signup"}:
                request.session.pop("signup_token", None)
        else:
            request.session.pop("signup_token", None)
            login(request, user, backend="accounts.backends.PhoneOrEmailBackend")
            messages.success(request, _("Đã tạo tài khoản. Bạn đã đăng nhập và có thể đăng ký lịch tiếp công dân."))
            return redirect("frontend:home")
    return render(request, "frontend/signup_verify.html", {"form": form})


@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["identifier"],
                            password=form.cleaned_data["password"])
        if user is None:
            form.add_error("password", _("Sai tên đăng nhập (số điện thoại, thư điện tử) hoặc mật khẩu."))
        else:
            login(request, user)
            return redirect(_safe_next(request) or "frontend:home")
    return render(request, "frontend/login.html", {"form": form, "next": _safe_next(request)})


def _safe_next(request) -> str | None:
    """The page to return to after login, if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return None


@require_POST
def logout_view(request):
    logout(request)
    return redirect("frontend:home")


def join(request, token):
    """Where a reminder's join link lands. The live room arrives with the signaling work; until then this
    page confirms the registration the link belongs to."""
    from django.core import signing

    from scheduling.links import read_join_token
    from scheduling.models import Registration

    registration = None
    try:
        payload = read_join_token(token)
        registration = (Registration.objects.select_related("session__host_office")
                        .filter(public_id=payload["r"], join_nonce=payload["n"]).first())
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        registration = None
    status = 200 if registration else 404
    countdown = ""
    if registration is not None and registration.slot_ends_at > timezone.now():
        from frontend.schedule_views import countdown_text

        countdown = countdown_text(registration.slot_starts_at, timezone.now())
    opening = room_opening(registration.session) if registration is not None else None
    return render(request, "frontend/join.html", {"registration": registration, "token": token,
                                                  "countdown": countdown, "opening": opening}, status=status)


def room_opening(reception, now=None) -> dict:
    """When the room of ``reception`` opens, in words, for a citizen who arrives early (issue 11): the room
    opens by itself ``SESSION_AUTO_OPEN_MINUTES_BEFORE`` minutes before the start (Celery beat), or earlier
    by the host's button. ``state``: ``open``, ``waiting`` (not open yet), ``ended`` (held) or ``off``
    (postponed/cancelled). ``poll_seconds``: how long the page waits before asking again (the sooner the
    opening, the more often: 60 s when more than 10 minutes away, else 10 s; never while open or over)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone as tz

    from frontend.schedule_views import time_left
    from sessions.models import SessionStatus

    now = now or tz.now()
    opens_at = reception.starts_at - timedelta(minutes=settings.SESSION_AUTO_OPEN_MINUTES_BEFORE)
    status = reception.status
    data = {"status": status, "opens_at": opens_at.isoformat(), "starts_at": reception.starts_at.isoformat(),
            "open": status == SessionStatus.OPEN, "poll_seconds": None}
    if status == SessionStatus.OPEN:
        return {**data, "state": "open", "message": _("Phòng tiếp đang mở.")}
    if status == SessionStatus.HELD:
        return {**data, "state": "ended", "message": _("Buổi tiếp đã kết thúc.")}
    if status in (SessionStatus.POSTPONED, SessionStatus.CANCELLED):
        return {**data, "state": "off", "message": _("Buổi tiếp đã hoãn hoặc bị hủy: phòng tiếp không mở.")}
    at = tz.localtime(opens_at).strftime("%H:%M")
    if opens_at > now:
        if tz.localdate(opens_at) == tz.localdate(now):
            message = _("Phòng mở lúc %(time)s, còn %(left)s.") % {"time": at, "left": time_left(opens_at - now)}
        else:
            message = _("Phòng mở lúc %(time)s ngày %(day)s, còn %(left)s.") % {
                "time": at, "day": tz.localtime(opens_at).strftime("%d/%m/%Y"), "left": time_left(opens_at - now)}
        poll = 60 if opens_at - now > timedelta(minutes=10) else 10
    else:
        message = _("Phòng sắp mở (dự kiến lúc %(time)s): xin chờ trong giây lát.") % {"time": at}
        poll = 10
    return {**data, "state": "waiting", "message": message, "poll_seconds": poll}


def room_status(request, session):
    """``GET /phong/<id>/trang-thai/`` (and ``/en/…``): the room's opening as JSON, for a page waiting for
    the room to open (room.js polls it every ``poll_seconds``). Public facts of a public session only;
    cached by browsers and proxies for 5 seconds."""
    from django.http import JsonResponse
    from django.utils.cache import patch_cache_control

    from sessions.models import ReceptionSession

    reception = get_object_or_404(ReceptionSession.objects.public(), public_id=session)
    response = JsonResponse(room_opening(reception), json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=5)
    return response


def _media_expected() -> bool:
    """Can a media server hear this room at all? With a shared channel layer (Redis) separate media workers
    can; with the in-process layer only the embedded worker inside this web process can (``MEDIA_EMBEDDED``,
    the default without REDIS_URL; docs/media.md). Without either the page says so at once."""
    from django.conf import settings

    return settings.MEDIA_EMBEDDED or "InMemoryChannelLayer" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]


def room(request, session):
    """The live room page (frontend/static/frontend/room.js speaks docs/protocol.md). Staff come with
    their login; a citizen with the join link's token (``?token=``): the join link page leads here. Who
    may enter is decided by the room socket, not by this page; the page only needs the session to exist.
    Before the room opens the page says when it opens and enters by itself once it is open."""
    from accounts.permissions import ROOM_ACTIONS
    from sessions.models import ReceptionSession

    reception = get_object_or_404(ReceptionSession.objects.public().select_related("host_office"), public_id=session)
    token = request.GET.get("token", "")[:500]
    sites = {reception.host_office.code: reception.host_office.name}
    sites.update({site.office.code: site.office.name for site in reception.sites.select_related("office")})
    labels = {
        "waiting": _("Bạn đang chờ cán bộ mời vào phòng. Thứ tự của bạn: %(n)s"),
        "admitted": _("Bạn đã được mời vào phòng tiếp."),
        "refused": _("Cán bộ tiếp không tiếp nhận lượt này."),
        "removed": _("Bạn đã được mời ra khỏi phòng."),
        "ended": _("Buổi tiếp đã kết thúc."),
        "reconnecting": _("Mất kết nối, đang kết nối lại…"),
        "connecting": _("Đang kết nối…"),
        "recording": _("Đang ghi hình"),
        "admit": _("Mời vào"),
        "refuse": _("Từ chối"),
        "mute": _("Tắt tiếng"),
        "unmute": _("Đề nghị bật tiếng"),
        "stop_video": _("Tắt hình"),
        "remove": _("Mời ra"),
        "give_floor": _("Cho phát biểu"),
        "citizen": _("Công dân"),
        "you": _("bạn"),
        "mic_off": _("micrô tắt"),
        "error": _("Có lỗi: %(message)s"),
        "no_devices": _("Không dùng được camera hoặc micrô. Bạn vẫn có thể nghe và xem."),
        "minutes_statement": _("Nội dung bạn trình bày"),
        "minutes_documents": _("Tài liệu bạn đã nộp"),
        "minutes_pages": _("%(n)s trang"),
        "minutes_answer": _("Ý kiến trả lời của lãnh đạo"),
        "minutes_conclusions": _("Thông báo kết luận"),
        "minutes_confirm": _("Tôi xác nhận biên bản"),
        "minutes_confirmed": _("Bạn đã xác nhận biên bản lúc %(at)s."),
        "ground_placeholder": _("— Chọn căn cứ từ chối —"),
        "ground_required": _("Hãy chọn căn cứ từ chối trước khi bấm Từ chối."),
        "confirm_refuse": _("Từ chối tiếp %(name)s với căn cứ: %(ground)s? Không thể hoàn tác."),
        "confirm_remove": _("Mời %(name)s ra khỏi phòng? Người này không thể vào lại buổi tiếp này."),
        "confirm_end": _("Kết thúc buổi tiếp cho mọi người? Phòng sẽ đóng và phiên được ghi là đã tổ chức."),
        "media_none": _("Hệ thống này chưa có máy chủ hình ảnh và âm thanh, nên bạn chưa nghe, chưa thấy người khác "
                        "(và họ chưa nghe, chưa thấy bạn). Phòng vẫn hoạt động: hãy trao đổi bằng tin nhắn bên dưới."),
        "media_waiting": _("Chưa kết nối được máy chủ hình ảnh và âm thanh: bạn chưa nghe, chưa thấy người khác. Hệ thống "
                           "đang thử lại; trong lúc chờ, hãy trao đổi bằng tin nhắn bên dưới."),
        "muted_by_host": _("Cán bộ chủ trì đã tắt micrô của bạn."),
        "video_stopped_by_host": _("Cán bộ chủ trì đã tắt hình của bạn."),
        "announce_waiting": _("%(name)s đang chờ trong phòng chờ."),
        "announce_admitted": _("%(name)s đã vào phòng."),
        "announce_muted": _("Đã tắt micrô của %(name)s."),
        "announce_left": _("%(name)s đã rời phòng."),
        "unmute_requested": _("%(by)s đề nghị bạn bật micrô. Micrô của bạn vẫn tắt cho đến khi bạn bấm “Bật micrô”."),
        "mic_on": _("Bật micrô"),
        "mic_turn_off": _("Tắt micrô"),
        "mic_is_off": _("Micrô của bạn đang tắt."),
        "mic_is_on": _("Micrô của bạn đang bật."),
        "roles": {"host": _("Chủ trì"), "leader": _("Lãnh đạo"), "officer": _("Cán bộ tiếp công dân"),
                  "secretary": _("Thư ký"), "inspector": _("Thanh tra"), "citizen": _("Công dân")},
        "grounds": {
            "intoxicated_or_mentally_ill": _("Say rượu, mắc bệnh tâm thần hoặc không làm chủ được hành vi"),
            "threats_or_insults": _("Đe dọa, xúc phạm, vi phạm nội quy nơi tiếp công dân"),
            "settled_case_prolonged": _("Vụ việc đã được giải quyết đúng, cố tình kéo dài"),
        },
        "sites": sites,
        # Which room role may send which host command: the server's own table (accounts.permissions), so the
        # page shows exactly the buttons the room will accept.
        "may": {command: sorted(roles) for command, roles in ROOM_ACTIONS.items()},
        "media_wait_seconds": MEDIA_WAIT_SECONDS,
        # Weak lines (docs/media.md): what the media server decided for this person's line, in plain words.
        "line_floor": _("Đường truyền yếu: chỉ giữ hình người đang phát biểu, tạm tắt hình những người khác để giữ tiếng."),
        "line_audio": _("Đường truyền yếu: tạm tắt hình để giữ tiếng."),
        "line_full": _("Đường truyền đã ổn định lại: hình ảnh đã trở lại."),
        "uplink_weak": _("Đường truyền của bạn yếu: tạm ngừng gửi hình để giữ tiếng nói."),
        "uplink_good": _("Đường truyền của bạn đã ổn định lại: đang gửi hình trở lại."),
        "line_weak_of": _("đường truyền yếu"),
        # What the browser publishes (RTCRtpSender.setParameters): settings MEDIA_VIDEO_*.
        "video_max_kbps": settings.MEDIA_VIDEO_MAX_KBPS,
        "video_max_fps": settings.MEDIA_VIDEO_MAX_FPS,
        "video_phone_scale": settings.MEDIA_VIDEO_PHONE_SCALE,
    }
    opening = room_opening(reception)
    return render(request, "frontend/room.html", {"reception": reception, "token": token, "labels": labels,
                                                  "opening": opening, "media_expected": _media_expected()})


# After admission, how long the room page waits for the media server's ``media.ready`` before it says that
# sound and picture are not available (it keeps waiting and clears the notice when media arrives).
MEDIA_WAIT_SECONDS = 12


def rules(request):
    """The reception rules (nội quy tiếp công dân): public. Numbers come from the settings they live in."""
    from django.conf import settings

    from scheduling.services.registrations import representatives_required

    large = settings.GROUP_CASE_LARGE_THRESHOLD
    return render(request, "frontend/rules.html", {
        "notify_days": getattr(settings, "CASE_CITIZEN_NOTICE_WORKING_DAYS", 10),
        "group_min": settings.GROUP_CASE_MIN_PEOPLE, "group_large": large,
        "reps_small": representatives_required(large)[1], "reps_large": representatives_required(large + 1)[1],
    })
