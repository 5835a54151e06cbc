"""The case register (sổ / hồ sơ vụ việc): a petition or a matter raised in a session, classified and handled
through its legal workflow (cases.workflow) with computed deadlines (cases.deadlines).

Secrets: a denunciation's content (``Case.summary``) and every party's identity (``CaseParty``) are
encrypted at rest (``EncryptedTextField``); files of a denunciation are encrypted before storage
(``cases.filecrypto``). Who may read them is decided in ``cases.access`` only. Every write goes through
``cases.services``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cases.workflow import CaseState
from core.crypto import EncryptedTextField
from scheduling.models import MatterKind


class CaseField(models.TextChoices):
    LAND = "land", _("Đất đai")
    COMPENSATION = "compensation_site_clearance", _("Bồi thường, giải phóng mặt bằng")
    CONSTRUCTION = "construction_order", _("Trật tự xây dựng")
    POLICY = "policy_benefits", _("Chế độ, chính sách")
    JUSTICE = "justice", _("Tư pháp")
    OTHER = "other", _("Khác")


class CaseSource(models.TextChoices):
    SESSION = "session", _("Tiếp công dân")
    PAPER = "paper", _("Đơn gửi trực tiếp / qua bưu chính")
    TRANSFER = "transfer", _("Cơ quan khác chuyển đến")


class CaseQuerySet(models.QuerySet):
    def open(self):
        from cases.workflow import OPEN_STATES

        return self.filter(state__in=OPEN_STATES)

    def watch_list(self):
        """Cases whose handling was ended by written notice (chấm dứt thụ lý): the upper tiers watch them."""
        return self.filter(state=CaseState.ENDED)

    def overdue(self, today):
        return self.filter(
            Q(state__in=[CaseState.RECEIVED, CaseState.CLASSIFIED])
            & (Q(citizen_notice_due__lt=today) | Q(acceptance_due__lt=today))
            | Q(state__in=[CaseState.ACCEPTED, CaseState.VERIFYING], resolution_due__lt=today)
        )


class Case(models.Model):
    public_id = models.UUIDField(_("mã định danh công khai"), default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("số vụ việc"), max_length=40, unique=True)
    kind = models.CharField(_("loại việc"), max_length=16, choices=MatterKind.choices)
    field = models.CharField(_("lĩnh vực"), max_length=32, choices=CaseField.choices, default=CaseField.OTHER)
    summary = EncryptedTextField(_("tóm tắt nội dung"))
    people_count = models.PositiveIntegerField(_("số người"), default=1)
    is_group = models.BooleanField(_("đông người"), default=False)
    office = models.ForeignKey("offices.Office", verbose_name=_("cơ quan thụ lý"), on_delete=models.PROTECT,
                               related_name="cases")
    source = models.CharField(_("nguồn"), max_length=16, choices=CaseSource.choices, default=CaseSource.PAPER)
    session = models.ForeignKey("reception_sessions.ReceptionSession", verbose_name=_("phiên tiếp công dân"),
                                null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    registration = models.ForeignKey("scheduling.Registration", verbose_name=_("đăng ký tiếp"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="cases")
    split_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="split_parts", verbose_name=_("tách từ vụ việc"))
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người xử lý"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="handled_cases")
    state = models.CharField(_("trạng thái"), max_length=16, choices=CaseState.choices,
                             default=CaseState.RECEIVED)
    received_on = models.DateField(_("ngày nhận"))
    accepted_on = models.DateField(_("ngày thụ lý"), null=True, blank=True)
    concluded_on = models.DateField(_("ngày kết luận"), null=True, blank=True)
    is_complex = models.BooleanField(_("phức tạp"), default=False)
    is_second_time = models.BooleanField(_("khiếu nại lần hai"), default=False)
    previous_case = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="repeats", verbose_name=_("vụ việc trước (tiếp khiếu, tiếp tố)"))
    transferred_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="transfers", verbose_name=_("chuyển đến từ vụ việc"))
    transfer_to_office = models.ForeignKey("offices.Office", null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+", verbose_name=_("chuyển đến cơ quan"))
    transfer_document_number = models.CharField(_("số văn bản chuyển đơn"), max_length=64, blank=True, default="")
    # A competent body that is not on the platform (free text): the transfer letter goes by post (issue 16).
    transfer_to_body = models.CharField(_("chuyển đến cơ quan ngoài hệ thống"), max_length=255, blank=True,
                                        default="")
    guided_to_body = models.CharField(_("hướng dẫn đến cơ quan"), max_length=255, blank=True, default="")
    guidance_document_number = models.CharField(_("số văn bản hướng dẫn"), max_length=64, blank=True, default="")
    end_document_number = models.CharField(_("số thông báo chấm dứt thụ lý"), max_length=64, blank=True,
                                           default="")
    conclusion_document_number = models.CharField(_("số văn bản kết luận"), max_length=64, blank=True, default="")
    filed_until = models.DateField(_("lưu đến ngày"), null=True, blank=True)
    citizen_notice_due = models.DateField(_("hạn thông báo cho công dân"), null=True, blank=True)
    acceptance_due = models.DateField(_("hạn thụ lý"), null=True, blank=True)
    resolution_due = models.DateField(_("hạn giải quyết"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("đã báo cấp trên lúc"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    # Copied from the transition history when it is written (cases.services._history), never changed after:
    # when the case entered a final state, and when and how it left "classified" (the decision). The report
    # figures "as of a cut-off" read them in one scan instead of joining the transitions (docs/reports.md).
    closed_at = models.DateTimeField(_("kết thúc xử lý lúc"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("quyết định hướng xử lý lúc"), null=True, blank=True, editable=False)
    decision = models.CharField(_("hướng xử lý"), max_length=16, blank=True, default="", editable=False)
    # The parties are denouncers: set once when the case is or becomes a denunciation (or descends from, or is
    # linked to, such a case) and NEVER cleared — reclassification, split, transfer and linking keep it
    # (docs/secrecy.md). ``cases.access.is_secret`` reads it.
    denouncer_secret = models.BooleanField(_("bảo mật người tố cáo"), default=False, editable=False)
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("thời điểm cập nhật"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("vụ việc")
        verbose_name_plural = _("vụ việc")
        ordering = ["-received_on", "-pk"]
        indexes = [
            models.Index(fields=["office", "state"]),
            models.Index(fields=["state", "resolution_due"]),
            models.Index(fields=["handler", "state"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(people_count__gte=1), name="case_people_positive"),
            models.CheckConstraint(
                condition=~Q(state="transferred")
                | ((Q(transfer_to_office__isnull=False) | ~Q(transfer_to_body=""))
                   & ~Q(transfer_document_number="")),
                name="case_transfer_needs_target_and_document"),
            models.CheckConstraint(condition=~Q(state="ended") | ~Q(end_document_number=""),
                                   name="case_ended_needs_document"),
            models.CheckConstraint(condition=~Q(state="guided") | ~Q(guided_to_body=""),
                                   name="case_guided_needs_body"),
            models.CheckConstraint(condition=~Q(state="filed") | Q(filed_until__isnull=False),
                                   name="case_filed_needs_until"),
            models.CheckConstraint(condition=Q(previous_case__isnull=True) | ~Q(previous_case=F("pk")),
                                   name="case_previous_not_self"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_denunciation(self) -> bool:
        return self.kind == MatterKind.DENUNCIATION

    @property
    def is_secret(self) -> bool:
        """Its parties are denouncers (now or ever): the secrecy rule applies (cases.access)."""
        return self.denouncer_secret or self.kind == MatterKind.DENUNCIATION

    @property
    def is_open(self) -> bool:
        from cases.workflow import OPEN_STATES

        return self.state in OPEN_STATES


class CaseCounter(models.Model):
    """The last number given per office and year (locked while numbering)."""

    office = models.ForeignKey("offices.Office", verbose_name=_("cơ quan"), on_delete=models.CASCADE,
                               related_name="+")
    year = models.PositiveSmallIntegerField(_("năm"))
    last = models.PositiveIntegerField(_("số cuối đã cấp"), default=0)

    class Meta:
        verbose_name = _("bộ đếm số vụ việc")
        verbose_name_plural = _("bộ đếm số vụ việc")
        constraints = [models.UniqueConstraint(fields=["office", "year"], name="case_counter_unique")]

    def __str__(self):
        return f"{self.office_id}/{self.year}: {self.last}"


class CaseParty(models.Model):
    """A citizen of the case. For a denunciation this IS the secret identity (Law on Denunciation 2018,
    art. 9 and 56): every identifying field is encrypted; matching uses ``id_number_index``."""

    case = models.ForeignKey(Case, verbose_name=_("vụ việc"), on_delete=models.CASCADE,
                             related_name="parties")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tài khoản công dân"), null=True,
                             blank=True, on_delete=models.PROTECT, related_name="+")
    full_name = EncryptedTextField(_("họ và tên"), blank=True, default="")
    address = EncryptedTextField(_("địa chỉ"), blank=True, default="")
    id_number = EncryptedTextField(_("số giấy tờ"), blank=True, default="")
    contact = EncryptedTextField(_("liên hệ"), blank=True, default="")
    id_number_index = models.CharField(_("chỉ mục tra cứu số giấy tờ"), max_length=64, blank=True, default="",
                                       db_index=True, editable=False)
    is_representative = models.BooleanField(_("người đại diện"), default=False)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("công dân của vụ việc")
        verbose_name_plural = _("công dân của vụ việc")
        ordering = ["order", "pk"]

    def __str__(self):
        return f"{self.case_id}#{self.order}"


class CaseTransition(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("vụ việc"), on_delete=models.CASCADE,
                             related_name="transitions")
    from_state = models.CharField(_("trạng thái trước"), max_length=16, blank=True, default="")
    to_state = models.CharField(_("trạng thái sau"), max_length=16)
    action = models.CharField(_("thao tác"), max_length=32, default="")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người thực hiện"), null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)
    # free text: may tell a denunciation's content
    note = EncryptedTextField(_("ghi chú"), blank=True, default="")
    document_number = models.CharField(_("số văn bản"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("bước xử lý vụ việc")
        verbose_name_plural = _("bước xử lý vụ việc")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.case_id}: {self.from_state} → {self.to_state}"


class DeadlineExtension(models.Model):
    """A written decision extending a denunciation's resolution (gia hạn giải quyết tố cáo)."""

    case = models.ForeignKey(Case, verbose_name=_("vụ việc"), on_delete=models.CASCADE,
                             related_name="extensions")
    ordinal = models.PositiveSmallIntegerField(_("lần gia hạn"))
    decision_number = models.CharField(_("số quyết định"), max_length=64)
    decided_on = models.DateField(_("ngày quyết định"))
    days = models.PositiveSmallIntegerField(_("số ngày gia hạn"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người ghi nhận"),
                           on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("gia hạn giải quyết")
        verbose_name_plural = _("gia hạn giải quyết")
        ordering = ["ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["case", "ordinal"], name="case_extension_ordinal_unique"),
            models.CheckConstraint(condition=Q(ordinal__gte=1), name="case_extension_ordinal_positive"),
            models.CheckConstraint(condition=Q(days__gte=1), name="case_extension_days_positive"),
        ]

    def __str__(self):
        return f"{self.case_id} #{self.ordinal} +{self.days}"


def case_document_path(instance, filename):
    # Never the original name (it may identify a denouncer): a random name under the case's uuid.
    return f"cases/{instance.case.public_id}/{uuid.uuid4().hex}.bin"


class CaseDocument(models.Model):
    """A file of the case. For a denunciation the stored bytes are Fernet-encrypted (``encrypted``)."""

    public_id = models.UUIDField(_("mã định danh công khai"), default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, verbose_name=_("vụ việc"), on_delete=models.CASCADE,
                             related_name="documents")
    file = models.FileField(_("tệp"), upload_to=case_document_path, max_length=255)
    original_name = EncryptedTextField(_("tên tệp gốc"), blank=True, default="")
    content_type = models.CharField(_("định dạng tệp"), max_length=100, blank=True, default="")
    size = models.PositiveIntegerField(_("dung lượng (byte)"), default=0)
    encrypted = models.BooleanField(_("đã mã hóa"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người tải lên"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("tài liệu của vụ việc")
        verbose_name_plural = _("tài liệu của vụ việc")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return str(self.public_id)  # never the original name


class CaseAlert(models.Model):
    """A deadline alert already sent (idempotency of the daily check)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("vụ việc"))
    kind = models.CharField(_("loại cảnh báo"), max_length=40)
    due_date = models.DateField(_("hạn"))
    created_at = models.DateTimeField(_("lúc gửi"), auto_now_add=True)

    class Meta:
        verbose_name = _("cảnh báo hạn giải quyết")
        verbose_name_plural = _("cảnh báo hạn giải quyết")
        constraints = [models.UniqueConstraint(fields=["case", "kind", "due_date"], name="case_alert_unique")]

    def __str__(self):
        return f"{self.case_id} {self.kind} {self.due_date}"
