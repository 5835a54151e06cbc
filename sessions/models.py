"""Reception sessions (phiên tiếp công dân): one occurrence of a reception, its connected sites (điểm cầu),
its registration slots and its history."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class SessionKind(models.TextChoices):
    PERIODIC = "periodic", _("Định kỳ")
    ADHOC = "adhoc", _("Đột xuất")
    REGULAR = "regular", _("Thường xuyên")


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Dự kiến")
    PUBLISHED = "published", _("Đã công bố")
    OPEN = "open", _("Đang diễn ra")
    HELD = "held", _("Đã tổ chức")
    POSTPONED = "postponed", _("Hoãn")
    CANCELLED = "cancelled", _("Hủy")


# Statuses the public may see (a planned session is still internal).
PUBLIC_STATUSES = (SessionStatus.PUBLISHED, SessionStatus.OPEN, SessionStatus.HELD, SessionStatus.POSTPONED,
                   SessionStatus.CANCELLED)
# Statuses in which a session still happens (counts for conflicts, reminders, registration).
LIVE_STATUSES = (SessionStatus.PLANNED, SessionStatus.PUBLISHED, SessionStatus.OPEN)


class AdhocReason(models.TextChoices):
    """Grounds for an ad-hoc reception (tiếp đột xuất), shared/DOMAIN.md "Kinds of reception"."""

    MANY_PEOPLE = "many_people", _("Vụ việc đông người")
    SEVERAL_AGENCIES = "several_agencies", _("Liên quan trách nhiệm của nhiều cơ quan")
    DIVERGING_OPINIONS = "diverging_opinions", _("Các cơ quan còn ý kiến khác nhau")
    SERIOUS_HARM_RISK = "serious_harm_risk", _("Có nguy cơ gây thiệt hại nghiêm trọng về tính mạng, tài sản, an ninh, trật tự")


class ReceptionSessionQuerySet(models.QuerySet):
    def public(self):
        """What the public may see: sessions that were published (a session postponed or cancelled
        while still planned never became public, and stays so)."""
        return self.filter(status__in=PUBLIC_STATUSES, published_at__isnull=False)


class ReceptionSession(models.Model):
    """One reception occurrence. ``public_id`` is the stable identity outside (URLs, iCal UID);
    ``sequence`` grows with every public change (iCal SEQUENCE, reminder re-sends)."""

    public_id = models.UUIDField(_("mã định danh công khai"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("hình thức"), max_length=16, choices=SessionKind.choices)
    status = models.CharField(_("trạng thái"), max_length=16, choices=SessionStatus.choices,
                              default=SessionStatus.PLANNED)
    host_office = models.ForeignKey("offices.Office", verbose_name=_("cơ quan chủ trì"), on_delete=models.PROTECT,
                                    related_name="hosted_sessions")
    # Required (issue 11): without a host nobody has the host's controls in the room.
    host = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("lãnh đạo chủ trì"),
                             on_delete=models.PROTECT, related_name="hosted_sessions")
    plan = models.ForeignKey("scheduling.ReceptionPlan", verbose_name=_("lịch tiếp định kỳ"), null=True,
                             blank=True, on_delete=models.PROTECT, related_name="sessions")
    occurrence_date = models.DateField(_("ngày theo lịch định kỳ"),
        null=True, blank=True, help_text=_("Ngày theo lịch định kỳ trước khi dời do ngày nghỉ (khóa định danh)."),
    )
    title = models.CharField(_("tiêu đề"), max_length=255)
    tentative_content = models.TextField(_("nội dung dự kiến"), blank=True, default="")
    starts_at = models.DateTimeField(_("bắt đầu"))
    ends_at = models.DateTimeField(_("kết thúc"))
    adhoc_reason = models.CharField(_("lý do tiếp đột xuất"), max_length=32, choices=AdhocReason.choices,
                                    blank=True, default="")
    adhoc_note = models.TextField(_("ghi chú"), blank=True, default="")
    slot_minutes = models.PositiveSmallIntegerField(_("thời lượng mỗi lượt (phút)"))
    slot_capacity = models.PositiveSmallIntegerField(_("số người mỗi lượt"))
    registration_closes_at = models.DateTimeField(_("hạn đăng ký"))
    published_at = models.DateTimeField(_("ngày công bố"), null=True, blank=True)
    late_publication_reason = models.TextField(_("lý do công bố muộn"), blank=True, default="")
    status_reason = models.TextField(_("lý do hoãn/hủy"), blank=True, default="")
    replaced_by = models.ForeignKey("self", verbose_name=_("được thay bằng phiên"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="replaces")
    sequence = models.PositiveIntegerField(_("số lần thay đổi đã công bố"), default=0)
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("thời điểm cập nhật"), auto_now=True)

    objects = ReceptionSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("phiên tiếp công dân")
        verbose_name_plural = _("phiên tiếp công dân")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["host_office", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["host", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"),
            models.CheckConstraint(condition=Q(slot_capacity__gte=1), name="session_slot_capacity_positive"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="session_slot_minutes_min"),
            models.CheckConstraint(condition=~Q(kind="adhoc") | ~Q(adhoc_reason=""), name="session_adhoc_has_reason"),
            models.CheckConstraint(condition=~Q(kind="periodic") | Q(host__isnull=False),
                                   name="session_periodic_has_host"),
            models.UniqueConstraint(fields=["plan", "occurrence_date"], condition=Q(plan__isnull=False),
                                    name="session_unique_plan_occurrence"),
        ]

    def __str__(self):
        return f"{self.title} ({self.starts_at:%Y-%m-%d %H:%M})"


class SessionSite(models.Model):
    """A connected site (điểm cầu) of a session, with the staff member responsible for it there."""

    session = models.ForeignKey(ReceptionSession, verbose_name=_("phiên tiếp công dân"),
                                on_delete=models.CASCADE, related_name="sites")
    office = models.ForeignKey("offices.Office", verbose_name=_("cơ quan"), on_delete=models.PROTECT,
                               related_name="session_sites")
    is_host = models.BooleanField(_("điểm cầu chủ trì"), default=False)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người phụ trách"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="responsible_sites")

    class Meta:
        verbose_name = _("điểm cầu")
        verbose_name_plural = _("điểm cầu")
        constraints = [
            models.UniqueConstraint(fields=["session", "office"], name="site_unique_office_per_session"),
            models.UniqueConstraint(fields=["session"], condition=Q(is_host=True), name="site_one_host_per_session"),
        ]

    def __str__(self):
        return f"{self.office} @ {self.session_id}"


class SessionSlot(models.Model):
    """A registration slot: a time window of a session with its capacity. ``confirmed_count`` is kept in the
    same transaction as the registrations it counts, and the database refuses it above ``capacity``."""

    session = models.ForeignKey(ReceptionSession, verbose_name=_("phiên tiếp công dân"),
                                on_delete=models.CASCADE, related_name="slots")
    index = models.PositiveSmallIntegerField(_("thứ tự"))
    starts_at = models.DateTimeField(_("bắt đầu"))
    ends_at = models.DateTimeField(_("kết thúc"))
    capacity = models.PositiveSmallIntegerField(_("số chỗ"))
    confirmed_count = models.PositiveSmallIntegerField(_("số người đã xác nhận"), default=0)
    waitlist_count = models.PositiveSmallIntegerField(_("số người trong danh sách chờ"), default=0)

    class Meta:
        verbose_name = _("lượt tiếp")
        verbose_name_plural = _("lượt tiếp")
        ordering = ["session", "index"]
        constraints = [
            models.UniqueConstraint(fields=["session", "index"], name="slot_unique_index"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_positive"),
            models.CheckConstraint(condition=Q(confirmed_count__lte=F("capacity")), name="slot_not_overbooked"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.session_id}#{self.index} {self.starts_at:%H:%M}"


class SessionEvent(models.Model):
    """The session's history: every change, who made it, and why."""

    session = models.ForeignKey(ReceptionSession, verbose_name=_("phiên tiếp công dân"),
                                on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người thực hiện"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("loại sự kiện"), max_length=32)
    from_status = models.CharField(_("trạng thái trước"), max_length=16, blank=True, default="")
    to_status = models.CharField(_("trạng thái sau"), max_length=16, blank=True, default="")
    data = models.JSONField(_("dữ liệu"), default=dict, blank=True)

    class Meta:
        verbose_name = _("lịch sử phiên tiếp")
        verbose_name_plural = _("lịch sử phiên tiếp")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.kind} {self.from_status}→{self.to_status}"
