"""The directory of reception offices across the three tiers (central, provincial, commune)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    CENTRAL = "central", _("Trung ương")
    PROVINCIAL = "provincial", _("Tỉnh")
    COMMUNE = "commune", _("Xã")


class OfficeKind(models.TextChoices):
    CENTRAL_RECEPTION_OFFICE = "central_reception_office", _("Trụ sở Tiếp công dân Trung ương")
    RECEPTION_BOARD = "reception_board", _("Ban Tiếp công dân")
    RECEPTION_POINT = "reception_point", _("Điểm tiếp công dân")
    PEOPLES_COMMITTEE = "peoples_committee", _("Ủy ban nhân dân")
    CENTRAL_AGENCY = "central_agency", _("Cơ quan trung ương")
    DEPARTMENT = "department", _("Sở, ban, ngành")


class Office(models.Model):
    """A reception office (cơ quan / điểm tiếp công dân) or an agency under one.

    ``code`` is the stable identity (``TW`` for the Central Citizen Reception Office, ``T01`` for a province's
    reception board, ``X00004`` for a commune's reception point, generated codes for added agencies).
    ``path`` is the materialised chain of codes from the root (``TW/T01/X00004/``): "the offices beneath"
    is ``path__startswith``. Codes never change, so paths stay valid.
    """

    code = models.CharField(_("mã"), max_length=32, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    tier = models.CharField(_("cấp"), max_length=16, choices=Tier.choices)
    kind = models.CharField(_("loại"), max_length=32, choices=OfficeKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("cơ quan cấp trên"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("đường dẫn phân cấp"), max_length=255, unique=True, editable=False)
    admin_unit_code = models.CharField(
        _("mã đơn vị hành chính"), max_length=8, blank=True, default="",
        help_text=_("Mã tỉnh (2 chữ số) hoặc mã xã (5 chữ số) theo danh mục đơn vị hành chính."),
    )
    admin_unit_name = models.CharField(_("đơn vị hành chính"), max_length=255, blank=True, default="")
    address = models.CharField(_("địa chỉ"), max_length=500, blank=True, default="")
    is_remote_area = models.BooleanField(
        _("vùng sâu, vùng xa"), default=False,
        help_text=_("Vùng sâu, vùng xa, đi lại khó khăn: thời hạn giải quyết dài hơn."),
    )
    phone = models.CharField(_("điện thoại"), max_length=32, blank=True, default="")
    email = models.EmailField(_("thư điện tử"), blank=True, default="")
    reception_place = models.CharField(
        _("nơi tiếp công dân"), max_length=500, blank=True, default="",
        help_text=_("Nơi công dân đến khi được tiếp trực tiếp, nếu khác địa chỉ cơ quan."))
    reception_hours = models.TextField(
        _("thời gian tiếp công dân"), max_length=1000, blank=True, default="",
        help_text=_("Ví dụ: Sáng thứ Hai đến thứ Sáu, 7 giờ 30 – 11 giờ 30; lãnh đạo tiếp định kỳ ngày 15 hằng tháng."))
    search_text = models.CharField(_("chuỗi tìm kiếm"), max_length=600, blank=True, default="",
                                   editable=False, db_index=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("thời điểm cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("cơ quan tiếp công dân")
        verbose_name_plural = _("cơ quan tiếp công dân")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=False) | Q(tier="central"), name="office_root_is_central"
            ),
            models.UniqueConstraint(
                fields=["kind", "admin_unit_code"], condition=~Q(admin_unit_code=""),
                name="office_unique_kind_per_admin_unit",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def is_within(self, other: Office) -> bool:
        """True when ``self`` is ``other`` or lies beneath it."""
        return self.path.startswith(other.path)


class OfficeNotice(models.Model):
    """A short notice posted by staff to colleagues of one office (e.g. on a reception day: "the central
    site is connected"). Delivered live to the office's staff over the event stream."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="notices", verbose_name=_("cơ quan"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("người viết"))
    text = models.CharField(_("nội dung"), max_length=1000)
    created_at = models.DateTimeField(_("lúc đăng"), auto_now_add=True)

    class Meta:
        verbose_name = _("thông báo nội bộ của cơ quan")
        verbose_name_plural = _("thông báo nội bộ của cơ quan")
        ordering = ["-created_at"]

    def __str__(self):
        return self.text[:60]
