"""Builders for scheduling tests: sessions in the future, published, with slots."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from sessions import services as session_services


def a_leader(office, full_name="Lãnh Đạo Chủ Trì"):
    """A new leader of ``office`` (every session has a host; a fresh one per session keeps tests that build
    several sessions at the same time clear of the leader's double-booking rule)."""
    import uuid

    from accounts.models import Role, User
    from accounts.services import grant_role

    user = User.objects.create(username=f"leader-{uuid.uuid4().hex[:12]}", full_name=full_name)
    grant_role(None, user, office, Role.LEADER)
    return user


def local(day, hour=8, minute=0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def future_session(office, *, days_ahead=20, hours=2, slot_minutes=30, slot_capacity=1, kind="regular",
                   publish=True, host=None, start_hour=8, **extra):
    day = timezone.localdate() + timedelta(days=days_ahead)
    starts = local(day, start_hour)
    session = session_services.create_session(
        by=None, kind=kind, host_office=office, host=host or a_leader(office), title=extra.pop("title", "Tiếp công dân"),
        starts_at=starts, ends_at=starts + timedelta(hours=hours), slot_minutes=slot_minutes,
        slot_capacity=slot_capacity, adhoc_reason=extra.pop("adhoc_reason", "many_people" if kind == "adhoc" else ""),
        **extra,
    )
    if publish:
        session = session_services.publish(session, None, reason="Kiểm thử")
    return session
