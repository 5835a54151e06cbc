"""In-app notifications (thông báo) to platform users: deadline warnings, alerts, escalations.

``dedupe_key`` is unique: the same notice is stored once however often its producer runs (the daily
deadline check, retried tasks). Bodies never contain a denouncer's identity or a denunciation's content.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người nhận"),
                                  on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("loại"), max_length=64)
    title = models.CharField(_("tiêu đề"), max_length=255)
    body = models.TextField(_("nội dung"), blank=True, default="")
    case = models.ForeignKey("cases.Case", verbose_name=_("vụ việc"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="notifications")
    dedupe_key = models.CharField(_("khóa chống trùng"), max_length=200, unique=True)
    # What the notice is about (any model) and where to open it: the inbox links to ``url``.
    target_type = models.CharField(_("loại đối tượng"), max_length=64, blank=True, default="")
    target_id = models.CharField(_("mã đối tượng"), max_length=64, blank=True, default="")
    url = models.CharField(_("đường dẫn"), max_length=300, blank=True, default="")
    # Set when the notice went out in a daily digest (its preference was "digest").
    digest = models.ForeignKey("notifications.Delivery", verbose_name=_("bản tin tổng hợp"), null=True,
                               blank=True, on_delete=models.SET_NULL, related_name="digested")
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.title

    @property
    def category(self) -> str:
        from notifications.kinds import category_of

        return category_of(self.kind)


class NotificationPreference(models.Model):
    """How one person wants one category of notices (notifications.kinds): inbox only, SMS, e-mail or the
    daily digest. No row = ``kinds.DEFAULT_CHANNEL``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người dùng"), on_delete=models.CASCADE,
                             related_name="notification_preferences")
    category = models.CharField(_("nhóm thông báo"), max_length=32)
    channel = models.CharField(_("kênh nhận"), max_length=8)

    class Meta:
        verbose_name = _("tùy chọn nhận thông báo")
        verbose_name_plural = _("tùy chọn nhận thông báo")
        constraints = [models.UniqueConstraint(fields=["user", "category"], name="notification_pref_unique")]

    def __str__(self):
        return f"{self.user_id}:{self.category}={self.channel}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("chờ gửi")
    SENDING = "sending", _("đang gửi")
    SENT = "sent", _("đã gửi")
    FAILED = "failed", _("lỗi")
    SKIPPED = "skipped", _("không có địa chỉ")


class Delivery(models.Model):
    """One message out (SMS or e-mail), stored with its text before it is sent. ``key`` is unique
    (``n:<notification>:<channel>``, ``digest:<user>:<day>``): whoever produces it twice gets the same row.
    A sender first CLAIMS the row (``pending`` → ``sending`` under ``SELECT … FOR UPDATE SKIP LOCKED``,
    committed) and only then sends; a retried or concurrent task finds it claimed or sent and sends nothing."""

    key = models.CharField(_("khóa chống gửi trùng"), max_length=120, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người nhận"), on_delete=models.CASCADE,
                             related_name="deliveries")
    notification = models.ForeignKey(Notification, verbose_name=_("thông báo"), null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("kênh gửi"), max_length=8)
    destination = models.CharField(_("nơi nhận"), max_length=254, blank=True, default="")
    subject = models.CharField(_("tiêu đề"), max_length=255, blank=True, default="")
    body = models.TextField(_("nội dung tin"), blank=True, default="")
    status = models.CharField(_("trạng thái"), max_length=8, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    error = models.CharField(_("thông báo lỗi"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("nhận gửi lúc"), null=True, blank=True)
    sent_at = models.DateTimeField(_("lúc gửi"), null=True, blank=True)

    class Meta:
        verbose_name = _("lượt gửi tin")
        verbose_name_plural = _("lượt gửi tin")
        ordering = ["pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(channel__in=["sms", "email"]), name="delivery_channel_valid"),
            models.CheckConstraint(condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                                   name="delivery_sent_has_time"),
        ]

    def __str__(self):
        return self.key
