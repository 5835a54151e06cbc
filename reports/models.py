"""Reports (báo cáo) of an office to the tier above: periodic (quarter, 6 and 9 months, year), the yearly
report on Conclusion 107-KL/TW, and ad-hoc reports on a named case. Every write goes through
``reports.services``; a submission freezes a ``ReportVersion`` (snapshot + SHA-256), never changed after.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    PERIODIC = "periodic", _("Định kỳ")
    KL107 = "kl107", _("Kết luận 107-KL/TW")
    ADHOC = "adhoc", _("Đột xuất")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    PREPARED = "prepared", _("Đã trình")
    APPROVED = "approved", _("Đã duyệt")
    SUBMITTED = "submitted", _("Đã gửi")
    RETURNED = "returned", _("Bị trả lại")


class Report(models.Model):
    office = models.ForeignKey("offices.Office", verbose_name=_("cơ quan báo cáo"), on_delete=models.PROTECT,
                               related_name="reports")
    kind = models.CharField(_("loại báo cáo"), max_length=16, choices=ReportKind.choices)
    period_key = models.CharField(_("kỳ báo cáo"), max_length=16, blank=True, default="")
    period_start = models.DateField(_("từ ngày"))
    period_end = models.DateField(_("đến ngày (chốt số liệu)"))
    deadline = models.DateField(_("hạn gửi"))
    status = models.CharField(_("trạng thái"), max_length=16, choices=ReportStatus.choices,
                              default=ReportStatus.DRAFT)
    number = models.CharField(_("số văn bản"), max_length=64, blank=True, default="")
    # Ad-hoc: the case asked about (never its summary or parties), who asked and what.
    case = models.ForeignKey("cases.Case", verbose_name=_("vụ việc"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người yêu cầu"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    request_text = models.TextField(_("nội dung yêu cầu"), blank=True, default="")
    assessment = models.TextField(_("đánh giá, nhận xét"), blank=True, default="")
    difficulties = models.TextField(_("khó khăn, vướng mắc"), blank=True, default="")
    proposals = models.TextField(_("đề xuất, kiến nghị"), blank=True, default="")
    figures = models.JSONField(_("số liệu"), default=dict, blank=True)  # the draft's last computed figures
    figures_at = models.DateTimeField(_("tính số liệu lúc"), null=True, blank=True)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người lập"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người duyệt"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("thời điểm cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("báo cáo")
        verbose_name_plural = _("báo cáo")
        ordering = ["-period_end", "office__path", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["office", "kind", "period_key"], condition=~Q(kind="adhoc"),
                                    name="report_one_per_office_kind_period"),
            models.CheckConstraint(condition=~Q(kind="adhoc") | Q(case__isnull=False), name="report_adhoc_has_case"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="report_period_order"),
        ]
        indexes = [models.Index(fields=["kind", "period_key", "status"])]

    def __str__(self):
        return f"{self.office_id} {self.kind} {self.period_key}"


class ReportVersion(models.Model):
    """One submission: the frozen snapshot (figures, texts, signer) and the SHA-256 of its canonical form."""

    report = models.ForeignKey(Report, verbose_name=_("báo cáo"), on_delete=models.PROTECT,
                               related_name="versions")
    ordinal = models.PositiveSmallIntegerField(_("lần gửi"))
    snapshot = models.JSONField(_("nội dung đã chốt"))
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người gửi"),
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("gửi lúc"))
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người trả lại"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    returned_at = models.DateTimeField(_("trả lại lúc"), null=True, blank=True)
    return_reason = models.TextField(_("lý do trả lại"), blank=True, default="")

    class Meta:
        verbose_name = _("phiên bản báo cáo")
        verbose_name_plural = _("phiên bản báo cáo")
        ordering = ["report", "ordinal"]
        constraints = [models.UniqueConstraint(fields=["report", "ordinal"], name="report_version_unique")]

    def __str__(self):
        return f"{self.report_id} v{self.ordinal}"
