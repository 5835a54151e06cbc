"""Notifications: every write of the notifications app (docs/notifications.md).

* ``notify(user_or_office, kind, obj, title=…, body=…, key=…)``: store an in-app notice per recipient once
  per key, push it on commit, and queue its SMS / e-mail ``Delivery`` by the recipient's preference;
* ``send_delivery(id)``: claim (``SELECT … FOR UPDATE SKIP LOCKED``, committed) then send one delivery —
  never twice, whoever retries; ``send_pending()`` (beat) sends what a lost task left;
* ``send_digests(day)``: the daily digest of the notices whose preference is "digest";
* ``mark_read`` / ``mark_all_read`` / ``set_preferences``: the inbox and preferences pages;
* ``send_sms`` / ``send_email`` / ``send_to`` / ``notify_user``: direct messages (OTP codes, reminders).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from notifications.sms import SMSMessage


def send_sms(to: str, body: str) -> None:
    backend = import_string(settings.SMS_BACKEND)()
    backend.send(SMSMessage(to=to, body=body, sender=settings.SMS_SENDER_NAME))


def send_email(to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def send_to(channel: str, destination: str, subject: str, body: str) -> None:
    """``channel`` is ``"phone"`` or ``"email"`` (accounts.models.Channel)."""
    if channel == "phone":
        send_sms(destination, body)
    elif channel == "email":
        send_email(destination, subject, body)
    else:
        raise ValueError(f"unknown channel {channel!r}")


def notify_user(user, subject: str, body: str) -> bool:
    """Reach a person by SMS when they have a phone, otherwise by e-mail. False when they have neither."""
    if user.phone:
        send_sms(user.phone, body)
        return True
    if user.email:
        send_email(user.email, subject, body)
        return True
    return False


KEY_MAX = 200


def _resolve_recipients(recipient, roles) -> list:
    """A user, an Office (its staff with ``roles``; default leaders and reception officers), or an iterable
    of either. Inactive users are dropped; each user once."""
    from accounts.models import Role, RoleAssignment
    from offices.models import Office

    if recipient is None:
        return []
    items = recipient if isinstance(recipient, (list, tuple, set, frozenset)) else [recipient]
    users: dict[int, object] = {}
    for item in items:
        if item is None:
            continue
        if isinstance(item, Office):
            wanted = set(roles or {Role.LEADER, Role.RECEPTION_OFFICER})
            for assignment in (RoleAssignment.objects.filter(office=item, role__in=wanted, user__is_active=True)
                               .select_related("user").order_by("user_id")):
                users.setdefault(assignment.user_id, assignment.user)
        elif getattr(item, "pk", None) is not None and getattr(item, "is_active", True):
            users.setdefault(item.pk, item)
    return list(users.values())


def object_url(obj) -> str:
    """Where the inbox links for ``obj``: a case's page, or the object's ``get_absolute_url``."""
    if obj is None:
        return ""
    from cases.models import Case

    if isinstance(obj, Case):
        from django.urls import reverse

        return reverse("frontend:case-detail", args=[obj.public_id])
    getter = getattr(obj, "get_absolute_url", None)
    try:
        return getter() if callable(getter) else ""
    except Exception:  # an object without a page: the notice stays, without a link
        return ""


def _case_of(obj):
    from cases.models import Case

    if isinstance(obj, Case):
        return obj
    case = getattr(obj, "case", None)
    return case if isinstance(case, Case) else None


def channel_for(user, kind: str) -> str:
    from notifications.kinds import DEFAULT_CHANNEL, category_of
    from notifications.models import NotificationPreference

    category = category_of(kind)
    chosen = (NotificationPreference.objects.filter(user=user, category=category)
              .values_list("channel", flat=True).first())
    return chosen or DEFAULT_CHANNEL.get(category, "inbox")


def _destination(user, channel: str) -> str:
    return (user.phone if channel == "sms" else user.email) or ""


def _queue(notification, user, channel: str) -> None:
    """The notice's SMS or e-mail, stored now and sent after commit (unique key: once)."""
    from django.db import transaction

    from notifications.models import Delivery, DeliveryStatus

    destination = _destination(user, channel)
    status = DeliveryStatus.PENDING if destination else DeliveryStatus.SKIPPED
    body = notification.body or notification.title
    if channel == "email" and notification.url:
        from django.conf import settings

        body = f"{body}\n\n{settings.PUBLIC_BASE_URL.rstrip('/')}{notification.url}"
    delivery, created = Delivery.objects.get_or_create(
        key=f"n:{notification.pk}:{channel}",
        defaults={"user": user, "notification": notification, "channel": channel, "destination": destination,
                  "subject": notification.title[:255], "body": body, "status": status})
    if created and status == DeliveryStatus.PENDING:
        transaction.on_commit(lambda: _enqueue(delivery.pk))


def _enqueue(delivery_id: int) -> None:
    from notifications import tasks

    try:
        tasks.deliver.delay(delivery_id)
    except Exception:  # broker down: the beat sweep (send_pending) sends it
        import logging

        logging.getLogger(__name__).warning("delivery %s not queued; the sweep will send it", delivery_id)


def notify(recipient, kind: str, obj=None, *legacy, title: str = "", body: str = "", key: str = "",
           url: str | None = None, roles=None, case=None, channel: str | None = None, dedupe_key: str = ""):
    """THE entry point for notices (docs/notifications.md).

    ``recipient``: a user, an ``offices.Office`` (its staff with ``roles``, default leaders and reception
    officers) or a list of them. ``kind``: a dotted producer string (``task.overdue``; its category is
    ``notifications.kinds.category_of``). ``obj``: what it is about (a Case, a task…): the inbox links to
    its page. ``key``: what makes it the same notice (the recipient is appended), so producing it again —
    a retried task, a daily check — stores and sends nothing more; default ``<kind>:<obj>``. ``channel``
    forces SMS/e-mail/inbox regardless of preferences (citizens' milestones).

    Returns the list of notifications created now (empty when all already existed).

    Callers keep secrets out of ``title``/``body``: never a denouncer's identity nor a denunciation's
    content — numbers, kinds, offices and dates only.

    Legacy form (before issue 16): ``notify(user, kind, title, body, dedupe_key, case=None)`` returns
    ``(notification, created)``."""
    if isinstance(obj, str):  # the legacy positional form
        legacy_title, legacy_body, legacy_key = obj, (legacy[0] if legacy else body), (
            legacy[1] if len(legacy) > 1 else dedupe_key)
        created = _notify_one(recipient, kind, case, title=legacy_title, body=legacy_body, key=legacy_key,
                              url=None, case=case, channel=channel, exact_key=True)
        return created
    base = key or dedupe_key or f"{kind}:{obj._meta.label_lower if obj is not None else ''}:{getattr(obj, 'pk', '')}"
    made = []
    for user in _resolve_recipients(recipient, roles):
        notification, created = _notify_one(user, kind, obj, title=title, body=body, key=f"{base}:{user.pk}",
                                            url=url, case=case, channel=channel)
        if created:
            made.append(notification)
    return made


def _notify_one(user, kind, obj, *, title, body, key, url, case, channel, exact_key=False):
    from django.db import IntegrityError, transaction

    from core.events import send_event_on_commit, user_group
    from notifications.models import Notification

    key = key[:KEY_MAX]
    case = case if case is not None else _case_of(obj)
    defaults = {"recipient": user, "kind": kind[:64], "title": str(title)[:255], "body": str(body),
                "case": case, "url": (url if url is not None else object_url(obj if obj is not None else case))[:300],
                "target_type": obj._meta.label_lower if obj is not None else "",
                "target_id": str(obj.pk) if obj is not None else ""}
    try:
        with transaction.atomic():
            notification, created = Notification.objects.get_or_create(dedupe_key=key, defaults=defaults)
            if created:
                chosen = channel or channel_for(user, kind)
                if chosen in ("sms", "email"):
                    _queue(notification, user, chosen)
    except IntegrityError:  # a concurrent producer stored it first
        return Notification.objects.get(dedupe_key=key), False
    if created:
        send_event_on_commit(user_group(user.pk), "notification.new", {
            "id": notification.pk, "kind": notification.kind, "title": notification.title,
            "case": str(case.public_id) if case is not None else None,
        })
    return notification, created


# --- sending: exactly once -------------------------------------------------------------------------------

MAX_ATTEMPTS = 5


def _claim(delivery_id: int | None = None, exclude=()):
    """Claim one pending delivery (a given one, or the oldest): ``pending`` → ``sending`` committed under
    ``FOR UPDATE SKIP LOCKED``. None when it is taken, sent, or being sent by someone else."""
    from django.db import transaction
    from django.utils import timezone

    from notifications.models import Delivery, DeliveryStatus

    with transaction.atomic():
        rows = Delivery.objects.select_for_update(skip_locked=True).filter(status=DeliveryStatus.PENDING)
        rows = rows.filter(pk=delivery_id) if delivery_id is not None else rows.exclude(pk__in=exclude).order_by("pk")
        delivery = rows.first()
        if delivery is None:
            return None
        delivery.status, delivery.claimed_at = DeliveryStatus.SENDING, timezone.now()
        delivery.attempts += 1
        delivery.save(update_fields=["status", "claimed_at", "attempts"])
    return delivery


def send_delivery(delivery_id: int | None = None, *, exclude=(), claimed: list | None = None) -> bool:
    """Send one delivery if this caller wins the claim. True when it was sent now. A send that raises puts
    it back to ``pending`` (retried by the task or the sweep; ``failed`` after MAX_ATTEMPTS); a process that
    dies between the claim and the send leaves it ``sending`` — never sent twice (docs/notifications.md)."""
    from django.utils import timezone

    from notifications.models import Delivery, DeliveryStatus

    delivery = _claim(delivery_id, exclude)
    if delivery is None:
        return False
    if claimed is not None:
        claimed.append(delivery.pk)
    try:
        send_to("phone" if delivery.channel == "sms" else "email", delivery.destination, delivery.subject,
                delivery.body)
    except Exception as exc:
        status = DeliveryStatus.FAILED if delivery.attempts >= MAX_ATTEMPTS else DeliveryStatus.PENDING
        Delivery.objects.filter(pk=delivery.pk).update(status=status, error=type(exc).__name__[:255])
        raise
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT, sent_at=timezone.now(), error="")
    return True


def send_pending(limit: int = 500) -> int:
    """The sweep (beat): send deliveries whose task was lost, each at most once per sweep. Returns how many
    were sent."""
    sent, tried = 0, []
    for _i in range(limit):
        try:
            if not send_delivery(exclude=tried, claimed=tried):
                break
        except Exception:  # counted as an attempt; the next sweep tries again
            continue
        sent += 1
    return sent


# --- the daily digest -----------------------------------------------------------------------------------


def _digest_text(notifications) -> str:
    from django.utils import timezone
    from django.utils.translation import gettext as _

    lines = [_("Thông báo trong ngày (%(n)s):") % {"n": len(notifications)}]
    for n in notifications:
        lines.append(f"- {timezone.localtime(n.created_at):%d/%m %H:%M} {n.title}")
    return "\n".join(lines)


def send_digests(day=None) -> int:
    """Daily (beat): for each person with undigested notices whose preference is "digest", one e-mail (or
    SMS when they have no e-mail) listing them, keyed ``digest:<user>:<day>`` — a rerun the same day adds
    nothing; the notices are tied to the digest in the same transaction. Returns the digests queued."""
    from django.db import transaction
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from notifications.models import Delivery, DeliveryStatus, Notification

    day = day or timezone.localdate()
    queued = 0
    user_ids = (Notification.objects.filter(digest__isnull=True, read_at__isnull=True)
                .values_list("recipient_id", flat=True).distinct())
    for user_id in sorted(set(user_ids)):
        with transaction.atomic():
            candidates = list(Notification.objects.select_for_update(skip_locked=True, of=("self",))
                              .filter(recipient_id=user_id, digest__isnull=True, read_at__isnull=True)
                              .select_related("recipient").order_by("created_at", "pk"))
            if not candidates:
                continue
            user = candidates[0].recipient
            chosen = [n for n in candidates if channel_for(user, n.kind) == "digest"]
            if not chosen or not user.is_active:
                continue
            channel = "email" if user.email else "sms"
            destination = _destination(user, channel)
            delivery, created = Delivery.objects.get_or_create(
                key=f"digest:{user.pk}:{day.isoformat()}",
                defaults={"user": user, "channel": channel, "destination": destination,
                          "subject": _("Bản tin thông báo hằng ngày %(d)s") % {"d": day.strftime("%d/%m/%Y")},
                          "body": _digest_text(chosen),
                          "status": DeliveryStatus.PENDING if destination else DeliveryStatus.SKIPPED})
            if not created:
                continue
            Notification.objects.filter(pk__in=[n.pk for n in chosen]).update(digest=delivery)
            if delivery.status == DeliveryStatus.PENDING:
                transaction.on_commit(lambda pk=delivery.pk: _enqueue(pk))
            queued += 1
    return queued


# --- the inbox and preferences ---------------------------------------------------------------------------


def mark_read(user, notification_id: int) -> bool:
    from django.utils import timezone

    from notifications.models import Notification

    return bool(Notification.objects.filter(pk=notification_id, recipient=user, read_at__isnull=True)
                .update(read_at=timezone.now()))


def mark_all_read(user) -> int:
    from django.utils import timezone

    from notifications.models import Notification

    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def unread_count(user) -> int:
    from notifications.models import Notification

    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def preferences(user) -> dict[str, str]:
    from notifications.kinds import DEFAULT_CHANNEL, Category
    from notifications.models import NotificationPreference

    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("category", "channel"))
    return {c.value: chosen.get(c.value, DEFAULT_CHANNEL[c]) for c in Category}


def set_preferences(user, choices: dict[str, str]) -> None:
    """``{category: channel}``; unknown categories or channels are a typed error."""
    from django.db import transaction
    from django.utils.translation import gettext as _

    from core.errors import DomainError
    from notifications.kinds import Category, Channel
    from notifications.models import NotificationPreference

    for category, channel in choices.items():
        if category not in Category.values:
            raise DomainError(_("Loại thông báo không hợp lệ."), "invalid_choice", category)
        if channel not in Channel.values:
            raise DomainError(_("Cách nhận thông báo không hợp lệ."), "invalid_choice", category)
    with transaction.atomic():
        for category, channel in choices.items():
            NotificationPreference.objects.update_or_create(user=user, category=category,
                                                            defaults={"channel": channel})
