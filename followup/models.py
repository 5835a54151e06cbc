"""Following a case beyond its register entry (issue 16): letters from every source (đơn thư), assignment
plans (kế hoạch giao việc: tasks, progress reports), transfers that keep the sender following (giao với thời
hạn báo cáo), dialogues for group/complex cases, the execution of a final decision, and the head's decision
to destroy a filed petition after its keeping period.

The case itself stays in ``cases``; this app only points at it. Every write goes through
``followup.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField


class LetterSource(models.TextChoices):
    POST = "post", _("Qua bưu chính")
    OFFICE = "office", _("Nộp trực tiếp tại cơ quan")
    UPPER_BODY = "upper_body", _("Cơ quan cấp trên chuyển đến")
    DEPUTIES = "deputies", _("Đại biểu Quốc hội, Hội đồng nhân dân chuyển đến")
    PRESS = "press", _("Cơ quan báo chí chuyển đến")
    AGENCY = "agency", _("Cơ quan, tổ chức khác chuyển đến")


# Sources that are a body forwarding the letter: their name, document number and date are asked for.
FORWARDED_SOURCES = frozenset({LetterSource.UPPER_BODY, LetterSource.DEPUTIES, LetterSource.PRESS,
                               LetterSource.AGENCY})


class IncomingLetter(models.Model):
    """How a petition reached the office (đơn thư): the source and, when a body forwarded it, that body's
    name, document number and date. One per case registered from a letter."""

    case = models.OneToOneField("cases.Case", verbose_name=_("vụ việc"), on_delete=models.CASCADE,
                                related_name="letter")
    source = models.CharField(_("nguồn đơn"), max_length=16, choices=LetterSource.choices)
    sender_body = models.CharField(_("cơ quan chuyển đến"), max_length=255, blank=True, default="")
    their_number = models.CharField(_("số văn bản của nơi gửi"), max_length=64, blank=True, default="")
    their_date = models.DateField(_("ngày văn bản của nơi gửi"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("đơn thư")
        verbose_name_plural = _("đơn thư")
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=["post", "office"]) | ~Q(sender_body=""),
                name="letter_forwarded_needs_sender"),
        ]

    def __str__(self):
        return f"{self.case_id} ({self.source})"


class TaskPurpose(models.TextChoices):
    PLAN = "plan", _("Kế hoạch giải quyết")
    EXECUTION = "execution", _("Thi hành quyết định")


class TaskState(models.TextChoices):
    OPEN = "open", _("Đang thực hiện")
    DONE = "done", _("Đã hoàn thành")
    NOT_DONE = "not_done", _("Không hoàn thành")


class CaseTask(models.Model):
    """One line of a case's assignment plan (rõ nội dung, rõ thời gian, rõ trách nhiệm, rõ kết quả), or of the
    follow-up of a final decision's execution (who must do what by when). The responsible is a person, or an
    office (any office, another one included), or a body outside the platform (free text, execution only)."""

    case = models.ForeignKey("cases.Case", verbose_name=_("vụ việc"), on_delete=models.CASCADE,
                             related_name="tasks")
    purpose = models.CharField(_("loại"), max_length=16, choices=TaskPurpose.choices, default=TaskPurpose.PLAN)
    content = EncryptedTextField(_("nội dung công việc"))  # may tell a denunciation's content
    responsible_office = models.ForeignKey("offices.Office", null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+", verbose_name=_("đơn vị chịu trách nhiệm"))
    responsible_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="case_tasks", verbose_name=_("người chịu trách nhiệm"))
    responsible_text = models.CharField(_("cơ quan, người phải thực hiện"), max_length=255, blank=True, default="")
    deadline = models.DateField(_("thời hạn"))
    expected_result = EncryptedTextField(_("kết quả cần đạt"), blank=True, default="")
    state = models.CharField(_("trạng thái"), max_length=16, choices=TaskState.choices, default=TaskState.OPEN)
    closed_at = models.DateTimeField(_("kết thúc nhiệm vụ lúc"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("nhiệm vụ")
        verbose_name_plural = _("nhiệm vụ")
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["state", "deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(responsible_office__isnull=False) | Q(responsible_user__isnull=False)
                | ~Q(responsible_text=""), name="task_has_responsible"),
            models.CheckConstraint(condition=Q(state="open") | Q(closed_at__isnull=False),
                                   name="task_closed_has_time"),
        ]

    def __str__(self):
        return f"{self.case_id} task {self.pk}"

    def is_overdue(self, today) -> bool:
        return self.state == TaskState.OPEN and self.deadline < today


class TaskReport(models.Model):
    """A progress report on a task (báo cáo tiến độ); the last one may close it (done / not done)."""

    task = models.ForeignKey(CaseTask, verbose_name=_("nhiệm vụ"), on_delete=models.CASCADE,
                             related_name="reports")
    text = EncryptedTextField(_("nội dung báo cáo"))
    outcome = models.CharField(_("kết quả"), max_length=16, choices=TaskState.choices, default=TaskState.OPEN)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người báo cáo"),
                           on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("báo cáo tiến độ")
        verbose_name_plural = _("báo cáo tiến độ")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.task_id} report {self.pk}"


class TransferFollowUp(models.Model):
    """A head assigns a case to another office with a reporting deadline (giao xử lý, yêu cầu báo cáo): the
    sender's case is transferred as usual, and the receiving office owes the sender a report by ``report_due``."""

    sender_case = models.OneToOneField("cases.Case", verbose_name=_("vụ việc của nơi giao"),
                                       on_delete=models.CASCADE, related_name="assignment_out")
    received_case = models.OneToOneField("cases.Case", verbose_name=_("vụ việc của nơi nhận"),
                                         on_delete=models.CASCADE, related_name="assignment_in")
    report_due = models.DateField(_("hạn báo cáo"))
    report = EncryptedTextField(_("báo cáo kết quả"), blank=True, default="")
    reported_at = models.DateTimeField(_("báo cáo lúc"), null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người báo cáo"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("giao xử lý có thời hạn báo cáo")
        verbose_name_plural = _("giao xử lý có thời hạn báo cáo")

    def __str__(self):
        return f"{self.sender_case_id} → {self.received_case_id}"


class DialogueLink(models.Model):
    """A dialogue session (đối thoại) held for existing case(s): the session is an ordinary reception session
    (``sessions.services.create_session``), linked here to each case it is about."""

    session = models.ForeignKey("reception_sessions.ReceptionSession", verbose_name=_("phiên đối thoại"),
                                on_delete=models.CASCADE, related_name="dialogue_links")
    case = models.ForeignKey("cases.Case", verbose_name=_("vụ việc"), on_delete=models.CASCADE,
                             related_name="dialogue_links")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("đối thoại về vụ việc")
        verbose_name_plural = _("đối thoại về vụ việc")
        constraints = [models.UniqueConstraint(fields=["session", "case"], name="dialogue_link_unique")]

    def __str__(self):
        return f"{self.session_id} ↔ {self.case_id}"


class ExecutionOutcome(models.TextChoices):
    EXECUTED = "executed", _("Đã thi hành xong")
    NOT_EXECUTED = "not_executed", _("Không thi hành được")
    REOPENED = "reopened", _("Công dân khiếu nại tiếp")


class ExecutionRecord(models.Model):
    """The end of the follow-up of a final decision's execution (theo dõi thi hành quyết định)."""

    case = models.OneToOneField("cases.Case", verbose_name=_("vụ việc"), on_delete=models.CASCADE,
                                related_name="execution")
    outcome = models.CharField(_("kết quả thi hành"), max_length=16, choices=ExecutionOutcome.choices)
    note = EncryptedTextField(_("ghi chú"), blank=True, default="")
    reopened_case = models.ForeignKey("cases.Case", verbose_name=_("vụ việc khiếu nại tiếp"), null=True,
                                      blank=True, on_delete=models.PROTECT, related_name="+")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người kết thúc theo dõi"),
                                  on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("kết thúc theo dõi lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("kết quả theo dõi thi hành")
        verbose_name_plural = _("kết quả theo dõi thi hành")
        constraints = [models.CheckConstraint(condition=~Q(outcome="reopened") | Q(reopened_case__isnull=False),
                                              name="execution_reopened_has_case")]

    def __str__(self):
        return f"{self.case_id}: {self.outcome}"


class DestructionDecision(models.Model):
    """The head's decision on a filed petition once its keeping period (``Case.filed_until``) is over: destroy
    it, or keep it longer. The register row stays; on destruction the stored files are deleted."""

    case = models.ForeignKey("cases.Case", verbose_name=_("vụ việc"), on_delete=models.CASCADE,
                             related_name="destruction_decisions")
    destroy = models.BooleanField(_("tiêu hủy"))
    decision_number = models.CharField(_("số quyết định"), max_length=64)
    decided_on = models.DateField(_("ngày quyết định"))
    keep_until = models.DateField(_("tiếp tục lưu đến"), null=True, blank=True)
    files_deleted = models.PositiveIntegerField(_("số tệp đã xóa"), default=0)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người ghi nhận"),
                           on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("quyết định tiêu hủy đơn")
        verbose_name_plural = _("quyết định tiêu hủy đơn")
        constraints = [models.CheckConstraint(condition=Q(destroy=True) | Q(keep_until__isnull=False),
                                              name="destruction_keep_has_date")]

    def __str__(self):
        return f"{self.case_id}: {'destroy' if self.destroy else 'keep'}"
