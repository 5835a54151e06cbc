"""Public iCalendar feeds (RFC 5545) of the reception schedule: one per office, one per leader.

The law requires the heads' reception schedule to be public (shared/DOMAIN.md, "What must be public"), and
a change (postponement, cancellation) is public too. A feed holds only public sessions and what the public
page of a session shows: never registrations, citizens or their matters.

Regenerating a feed with nothing changed gives the same bytes: the UID is the session's ``public_id``,
DTSTAMP its ``updated_at`` and SEQUENCE its ``sequence`` (bumped by every public change), so calendar
clients update an event in place instead of duplicating it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from sessions.models import PUBLIC_STATUSES, ReceptionSession, SessionKind, SessionSite, SessionStatus

PRODID = "-//Tiep cong dan truc tuyen//VI"
FEED_TIMEZONE = "Asia/Ho_Chi_Minh"
PAST_DAYS = 90
FUTURE_DAYS = 365
UID_DOMAIN = "tiepcongdan"

ICAL_STATUS = {
    SessionStatus.PUBLISHED: "CONFIRMED",
    SessionStatus.OPEN: "CONFIRMED",
    SessionStatus.HELD: "CONFIRMED",
    SessionStatus.POSTPONED: "CANCELLED",  # this occurrence will not take place; the replacement is its own event
    SessionStatus.CANCELLED: "CANCELLED",
}


def session_url(session: ReceptionSession) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/lich-tiep/{session.public_id}/"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _description(session: ReceptionSession) -> str:
    lines = [_("Hình thức: %(kind)s") % {"kind": SessionKind(session.kind).label}]
    if session.tentative_content.strip():
        lines.append(_("Nội dung dự kiến: %(content)s") % {"content": session.tentative_content.strip()})
    if session.host_id:
        lines.append(_("Lãnh đạo chủ trì: %(name)s") % {"name": session.host.full_name})
    sites = [site.office.name for site in session.sites.all() if not site.is_host]
    if sites:
        lines.append(_("Điểm cầu kết nối: %(sites)s") % {"sites": ", ".join(sorted(sites))})
    if session.status in (SessionStatus.POSTPONED, SessionStatus.CANCELLED):
        label = _("Đã hoãn") if session.status == SessionStatus.POSTPONED else _("Đã hủy")
        reason = session.status_reason.strip()
        lines.append(f"{label}. " + (_("Lý do: %(reason)s") % {"reason": reason} if reason else ""))
        replacement = session.replaced_by
        if replacement is not None and replacement.status in PUBLIC_STATUSES:
            lines.append(_("Thời gian mới: %(start)s – %(end)s") % {
                "start": _local(replacement.starts_at),
                "end": timezone.localtime(replacement.ends_at).strftime("%H:%M")})
            lines.append(_("Xem phiên thay thế: %(url)s") % {"url": session_url(replacement)})
    return "\n".join(line.rstrip() for line in lines)


def _event(session: ReceptionSession) -> Event:
    event = Event()
    event.add("uid", f"{session.public_id}@{UID_DOMAIN}")
    event.add("sequence", session.sequence)
    event.add("dtstamp", _utc(session.updated_at))
    event.add("last-modified", _utc(session.updated_at))
    event.add("dtstart", _utc(session.starts_at))
    event.add("dtend", _utc(session.ends_at))
    event.add("summary", session.title)
    event.add("description", _description(session))
    event.add("location", session.host_office.name)
    event.add("status", ICAL_STATUS[session.status])
    event.add("url", session_url(session))
    return event


def _window(queryset, now: datetime | None = None):
    now = now or timezone.now()
    return (queryset.public().filter(starts_at__gte=now - timedelta(days=PAST_DAYS),
                            starts_at__lt=now + timedelta(days=FUTURE_DAYS))
            .select_related("host", "host_office", "replaced_by")
            .prefetch_related("sites__office")
            .order_by("starts_at", "pk"))


def _calendar(name: str, sessions) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", FEED_TIMEZONE)
    for session in sessions:
        calendar.add_component(_event(session))
    return calendar.to_ical()


def office_feed(office, now: datetime | None = None) -> bytes:
    """Public sessions hosted by ``office`` or connecting it as a site, from 90 days ago to a year ahead."""
    connected = SessionSite.objects.filter(office=office).values("session_id")
    sessions = _window(ReceptionSession.objects.filter(Q(host_office=office) | Q(pk__in=connected)), now)
    return _calendar(_("Lịch tiếp công dân – %(office)s") % {"office": office.name}, sessions)


def leader_feed(leader, now: datetime | None = None) -> bytes:
    """Public sessions hosted by ``leader``, from 90 days ago to a year ahead."""
    sessions = _window(ReceptionSession.objects.filter(host=leader), now)
    return _calendar(_("Lịch tiếp công dân của %(name)s") % {"name": leader.full_name}, sessions)
