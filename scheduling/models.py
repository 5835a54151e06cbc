"""Scheduling: periodic reception plans (lịch tiếp định kỳ), leaders' other engagements, and citizens'
registrations (đăng ký tiếp) for session slots."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField


class HolidayRule(models.TextChoices):
    NEXT_WORKING_DAY = "next", _("Dời sang ngày làm việc kế tiếp")
    PREVIOUS_WORKING_DAY = "previous", _("Dời về ngày làm việc liền trước")
    SKIP = "skip", _("Bỏ buổi tiếp đó")


class ReceptionPlan(models.Model):
    """A head's periodic reception as an RFC 5545 recurrence rule, e.g. ``FREQ=MONTHLY;BYMONTHDAY=10,25``
    from 8:00 to 11:30. Sessions are materialised from it a few weeks ahead."""

    office = models.ForeignKey("offices.Office", verbose_name=_("cơ quan"), on_delete=models.PROTECT,
                               related_name="reception_plans")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người đứng đầu"), on_delete=models.PROTECT,
                               related_name="reception_plans")
    title = models.CharField(_("tiêu đề"), max_length=255)
    rrule = models.CharField(_("quy tắc lặp (RRULE)"), max_length=500)
    starts_on = models.DateField(_("áp dụng từ ngày"))
    ends_on = models.DateField(_("đến ngày"), null=True, blank=True)
    start_time = models.TimeField(_("giờ bắt đầu"))
    end_time = models.TimeField(_("giờ kết thúc"))
    holiday_rule = models.CharField(_("khi trùng ngày nghỉ"), max_length=16, choices=HolidayRule.choices,
                                    default=HolidayRule.NEXT_WORKING_DAY)
    tentative_content = models.TextField(_("nội dung dự kiến"), blank=True, default="")
    slot_minutes = models.PositiveSmallIntegerField(_("thời lượng mỗi lượt (phút)"), default=30)
    slot_capacity = models.PositiveSmallIntegerField(_("số người mỗi lượt"), default=1)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("thời điểm cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("lịch tiếp định kỳ")
        verbose_name_plural = _("lịch tiếp định kỳ")
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="plan_ends_after_start"),
            models.CheckConstraint(condition=Q(slot_capacity__gte=1), name="plan_slot_capacity_positive"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="plan_slot_minutes_min"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                                   name="plan_ends_on_after_starts_on"),
        ]

    def __str__(self):
        return self.title


class PlanSite(models.Model):
    """A site (điểm cầu) connected to every session of the plan, besides the host office."""

    plan = models.ForeignKey(ReceptionPlan, verbose_name=_("lịch tiếp định kỳ"), on_delete=models.CASCADE,
                             related_name="sites")
    office = models.ForeignKey("offices.Office", verbose_name=_("cơ quan"), on_delete=models.PROTECT,
                               related_name="+")
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người phụ trách"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("điểm cầu của lịch tiếp")
        verbose_name_plural = _("điểm cầu của lịch tiếp")
        constraints = [models.UniqueConstraint(fields=["plan", "office"], name="plan_site_unique")]

    def __str__(self):
        return f"{self.office} ({self.plan_id})"


class EngagementSource(models.TextChoices):
    MANUAL = "manual", _("Nhập tay")
    ICAL = "ical", _("Nhập từ iCal")


class LeaderEngagement(models.Model):
    """Another engagement in a leader's calendar. None may fall on a periodic reception day."""

    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("lãnh đạo"), on_delete=models.CASCADE,
                               related_name="engagements")
    title = models.CharField(_("nội dung"), max_length=255)
    starts_at = models.DateTimeField(_("bắt đầu"))
    ends_at = models.DateTimeField(_("kết thúc"))
    source = models.CharField(_("nguồn"), max_length=8, choices=EngagementSource.choices,
                              default=EngagementSource.MANUAL)
    external_uid = models.CharField(_("mã lịch bên ngoài (UID)"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("lịch công tác khác")
        verbose_name_plural = _("lịch công tác khác")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["leader", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="engagement_ends_after_start"),
            models.UniqueConstraint(fields=["leader", "external_uid"], condition=~Q(external_uid=""),
                                    name="engagement_unique_external_uid"),
        ]

    def __str__(self):
        return self.title


class MatterKind(models.TextChoices):
    COMPLAINT = "complaint", _("Khiếu nại")
    DENUNCIATION = "denunciation", _("Tố cáo")
    PETITION = "petition", _("Kiến nghị")
    REPORT = "report", _("Phản ánh")


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Đã xác nhận")
    WAITLISTED = "waitlisted", _("Danh sách chờ")
    CANCELLED = "cancelled", _("Đã hủy")
    ATTENDED = "attended", _("Đã tham dự")
    NO_SHOW = "no_show", _("Vắng mặt")


ACTIVE_REGISTRATION_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


def new_join_nonce() -> str:
    return secrets.token_urlsafe(12)


class Registration(models.Model):
    """A citizen's registration for a slot of a session.

    Double booking is refused by the services layer under a row lock on the citizen, and on PostgreSQL also
    by an exclusion constraint (``registration_no_overlap``: one citizen, overlapping confirmed slots).
    ``slot_starts_at``/``slot_ends_at`` copy the slot's window for that constraint.
    """

    public_id = models.UUIDField(_("mã định danh công khai"), default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey("reception_sessions.ReceptionSession", verbose_name=_("phiên tiếp công dân"),
                                on_delete=models.PROTECT, related_name="registrations")
    slot = models.ForeignKey("reception_sessions.SessionSlot", verbose_name=_("lượt tiếp"),
                             on_delete=models.PROTECT, related_name="registrations")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("công dân"),
                                on_delete=models.PROTECT, related_name="registrations")
    status = models.CharField(_("trạng thái"), max_length=16, choices=RegistrationStatus.choices)
    slot_starts_at = models.DateTimeField(_("lượt tiếp bắt đầu"))
    slot_ends_at = models.DateTimeField(_("lượt tiếp kết thúc"))
    matter_kind = models.CharField(_("loại việc"), max_length=16, choices=MatterKind.choices)
    matter_summary = EncryptedTextField(_("tóm tắt nội dung"))
    people_count = models.PositiveSmallIntegerField(_("số người"), default=1)
    representatives = models.JSONField(_("người đại diện"), default=list, blank=True)
    cancel_reason = models.CharField(_("lý do hủy"), max_length=255, blank=True, default="")
    join_nonce = models.CharField(_("mã tham gia"), max_length=32, default=new_join_nonce)
    created_at = models.DateTimeField(_("đăng ký lúc"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("xác nhận lúc"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("hủy lúc"), null=True, blank=True)
    attended_at = models.DateTimeField(_("tham dự lúc"), null=True, blank=True)
    # When each reminder was dealt with (sent, or passed over because its time had gone by); NULL = not yet.
    reminder_24h_at = models.DateTimeField(_("nhắc trước 24 giờ lúc"), null=True, blank=True)
    reminder_24h_sent = models.BooleanField(_("đã gửi nhắc trước 24 giờ"), default=False)
    reminder_1h_at = models.DateTimeField(_("nhắc trước 1 giờ lúc"), null=True, blank=True)
    notified_sequence = models.PositiveIntegerField(_("lần thay đổi đã báo cho công dân"), default=0)
    # The citizen is a denouncer for this matter: set once (registered as a denunciation, or a case opened from
    # it is or becomes one) and never cleared (docs/secrecy.md).
    denouncer_secret = models.BooleanField(_("bảo mật người tố cáo"), default=False, editable=False)

    class Meta:
        verbose_name = _("đăng ký tiếp")
        verbose_name_plural = _("đăng ký tiếp")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["status", "slot_starts_at"]),
            models.Index(fields=["slot", "status", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["session", "citizen"],
                                    condition=Q(status__in=["confirmed", "waitlisted"]),
                                    name="registration_one_active_per_session"),
            models.CheckConstraint(condition=Q(people_count__gte=1), name="registration_people_positive"),
            models.CheckConstraint(condition=Q(slot_ends_at__gt=F("slot_starts_at")),
                                   name="registration_slot_window"),
        ]

    def __str__(self):
        return f"{self.citizen_id} → {self.session_id}#{self.slot_id} ({self.status})"

    @property
    def is_secret(self) -> bool:
        return self.denouncer_secret or self.matter_kind == MatterKind.DENUNCIATION
