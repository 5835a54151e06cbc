"""Minutes of a reception session (biên bản tiếp công dân), written live by the secretary (thư ký).

* ``Minutes``: one per session. Header (place, time, connected sites, participants and their roles), state
  draft → final; when final, the SHA-256 of its canonical form and the scan of the signed paper.
* ``CitizenSection``: one per citizen received: identity, statement, documents handed over (the receipt,
  form 02 — phiếu nhận đơn/tài liệu), the leader's answer and the notice of conclusions (thông báo kết
  luận), the citizen's confirmation and the case created from it (a loose link by public id).
* ``MinutesRevision``: every save, accepted, merged or refused as a conflict — the full history.
* ``MinutesAddendum``: after locking, the only way to correct (biên bản bổ sung).

Every write goes through ``minutes.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedJSONField, EncryptedTextField


class MinutesState(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    FINAL = "final", _("Đã khóa")


class ConfirmationWay(models.TextChoices):
    """How the citizen confirmed their section online (printed on the minutes)."""

    JOIN_LINK = "join_link", _("qua đường dẫn tham gia phiên tiếp")
    LOGIN = "login", _("sau khi đăng nhập tài khoản")


class Minutes(models.Model):
    """Biên bản của một phiên tiếp. ``versions`` maps each editable header field to its version (the
    number of saves of that field); sections carry their own."""

    session = models.ForeignKey("reception_sessions.ReceptionSession", verbose_name=_("phiên tiếp"),
                                on_delete=models.PROTECT, related_name="minutes")
    state = models.CharField(_("trạng thái"), max_length=8, choices=MinutesState.choices,
                             default=MinutesState.DRAFT)
    place = models.TextField(_("địa điểm"), blank=True, default="")
    started_at = models.DateTimeField(_("bắt đầu"), null=True, blank=True)
    ended_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    sites = models.JSONField(_("các điểm cầu"), default=list, blank=True)
    participants = models.JSONField(_("thành phần tham dự"), default=list, blank=True)
    notes = EncryptedTextField(_("diễn biến, ghi chú"), blank=True, default="")
    versions = models.JSONField(_("phiên bản từng mục"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("thời điểm cập nhật"), auto_now=True)
    finalized_at = models.DateTimeField(_("khóa lúc"), null=True, blank=True)
    finalized_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người khóa"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64, blank=True, default="")
    paper_scan = models.FileField(_("bản quét biên bản giấy"), upload_to="minutes/scans/%Y/%m/", blank=True)
    paper_scan_sha256 = models.CharField(_("mã băm SHA-256 của bản quét"), max_length=64, blank=True,
                                         default="")
    paper_scan_content_type = models.CharField(_("định dạng bản quét"), max_length=32, blank=True, default="")
    paper_scan_uploaded_at = models.DateTimeField(_("tải bản quét lên lúc"), null=True, blank=True)
    paper_scan_encrypted = models.BooleanField(_("bản quét đã mã hóa"), default=False, editable=False)
    paper_scan_uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL,
                                               verbose_name=_("người tải bản quét lên"), null=True,
                                               blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("biên bản tiếp công dân")
        verbose_name_plural = _("biên bản tiếp công dân")
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session"], name="minutes_one_per_session"),
            models.CheckConstraint(
                condition=Q(state="draft") | (Q(finalized_at__isnull=False) & ~Q(sha256="")),
                name="minutes_final_has_hash",
            ),
        ]

    def __str__(self):
        return f"minutes of {self.session_id} ({self.state})"


class CitizenSection(models.Model):
    """One citizen received in the session (phần ghi của một công dân). Personal data and content are
    encrypted at rest (a denouncer's identity and a denunciation's content are secret)."""

    minutes = models.ForeignKey(Minutes, verbose_name=_("biên bản"), on_delete=models.CASCADE,
                                related_name="sections")
    ordinal = models.PositiveSmallIntegerField(_("thứ tự"))
    registration = models.ForeignKey("scheduling.Registration", verbose_name=_("đăng ký tiếp"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="minutes_sections")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tài khoản công dân"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="minutes_sections",
                                help_text=_("Tài khoản công dân (để công dân xác nhận biên bản)."))
    citizen_name = EncryptedTextField(_("họ và tên công dân"), blank=True, default="")
    citizen_address = EncryptedTextField(_("địa chỉ"), blank=True, default="")
    identity_checked = models.BooleanField(_("đã kiểm tra giấy tờ tùy thân"), default=False)
    id_document_type = models.CharField(_("loại giấy tờ"), max_length=16, blank=True, default="")
    id_document_number = EncryptedTextField(_("số giấy tờ"), blank=True, default="")
    kind = models.CharField(_("loại việc"), max_length=16, blank=True, default="")
    people_count = models.PositiveSmallIntegerField(_("số người"), default=1)
    statement = EncryptedTextField(_("nội dung công dân trình bày"), blank=True, default="")
    documents_handed_over = EncryptedJSONField(_("tài liệu công dân cung cấp"), default=list, blank=True)
    leader_answer = EncryptedTextField(_("ý kiến trả lời của lãnh đạo"), blank=True, default="")
    conclusions = EncryptedTextField(_("thông báo kết luận"), blank=True, default="")
    versions = models.JSONField(_("phiên bản từng mục"), default=dict, blank=True)
    citizen_confirmed_at = models.DateTimeField(_("công dân xác nhận lúc"), null=True, blank=True)
    citizen_confirmed_via = models.CharField(_("công dân xác nhận qua"), max_length=16, blank=True, default="",
                                             choices=ConfirmationWay.choices)
    case_public_id = models.UUIDField(_("vụ việc"), null=True, blank=True, db_index=True)
    # The citizen is a denouncer: set once (recorded as a denunciation, or its case is or becomes one) and
    # never cleared (docs/secrecy.md). ``minutes.access.section_is_secret`` reads it.
    denouncer_secret = models.BooleanField(_("bảo mật người tố cáo"), default=False, editable=False)
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("phần ghi của công dân")
        verbose_name_plural = _("phần ghi của công dân")
        ordering = ["minutes", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "ordinal"], name="minutes_section_unique_ordinal"),
            models.UniqueConstraint(fields=["minutes", "registration"], condition=Q(registration__isnull=False),
                                    name="minutes_section_one_per_registration"),
            models.CheckConstraint(condition=Q(people_count__gte=1), name="minutes_section_people_positive"),
        ]

    def __str__(self):
        return f"section {self.ordinal} of minutes {self.minutes_id}"


class RevisionOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Đã lưu")
    MERGED = "merged", _("Đã gộp (xung đột)")
    CONFLICT = "conflict", _("Xung đột, không lưu")


class MinutesRevision(models.Model):
    """One save of one field. ``text`` is what the editor submitted (JSON for non-text fields); ``result``
    the stored value when it differs from the submission (a merge). ``version`` is the field's version
    after this save: per (minutes, section, field) the versions are 1, 2, 3, … in save order."""

    minutes = models.ForeignKey(Minutes, verbose_name=_("biên bản"), on_delete=models.CASCADE,
                                related_name="revisions")
    section = models.ForeignKey(CitizenSection, verbose_name=_("phần ghi của công dân"), null=True,
                                blank=True, on_delete=models.CASCADE, related_name="revisions")
    field = models.CharField(_("mục được sửa"), max_length=32)
    base_version = models.PositiveIntegerField(_("sửa từ phiên bản"))
    version = models.PositiveIntegerField(_("phiên bản"))
    outcome = models.CharField(_("kết quả"), max_length=8, choices=RevisionOutcome.choices)
    text = EncryptedTextField(_("nội dung gửi lên"), blank=True, default="")
    result = EncryptedTextField(_("nội dung được lưu"), blank=True, default="")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người sửa"), null=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("lần sửa biên bản")
        verbose_name_plural = _("lần sửa biên bản")
        ordering = ["minutes", "pk"]
        indexes = [models.Index(fields=["minutes", "section", "field", "version"])]

    def __str__(self):
        return f"{self.minutes_id}/{self.section_id or '-'}/{self.field} v{self.version} {self.outcome}"


class MinutesAddendum(models.Model):
    """Biên bản bổ sung: after the minutes are locked, corrections are appended, never edited in."""

    minutes = models.ForeignKey(Minutes, verbose_name=_("biên bản"), on_delete=models.CASCADE,
                                related_name="addenda")
    section = models.ForeignKey(CitizenSection, verbose_name=_("phần ghi của công dân"), null=True,
                                blank=True, on_delete=models.CASCADE, related_name="addenda")
    text = EncryptedTextField(_("nội dung bổ sung"))
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64,
                              help_text=_("SHA-256 của mã băm biên bản, nội dung bổ sung và thời điểm lập."))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người lập"), null=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("thời điểm"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("biên bản bổ sung")
        verbose_name_plural = _("biên bản bổ sung")
        ordering = ["minutes", "at", "pk"]

    def __str__(self):
        return f"addendum {self.pk} to minutes {self.minutes_id}"
