"""Notification kinds and the categories people choose a channel for (docs/notifications.md).

A ``kind`` is a free dotted string chosen by the producer (``case.resolution.overdue``, ``task.overdue``…);
``category_of(kind)`` maps it to one of the categories below, which the preferences page lists.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    DEADLINE_WARNING = "deadline_warning", _("Sắp đến hạn")
    OVERDUE = "overdue", _("Quá hạn")
    ESCALATION = "escalation", _("Báo cáo cấp trên, theo dõi")
    TRANSFER_IN = "transfer_in", _("Đơn chuyển đến")
    ASSIGNMENT = "assignment", _("Phân công xử lý")
    TASK_DUE = "task_due", _("Nhiệm vụ đến hạn")
    REPORT_DUE = "report_due", _("Báo cáo đến hạn")
    MILESTONE = "milestone", _("Tiến độ vụ việc của tôi")
    OTHER = "other", _("Khác")


class Channel(models.TextChoices):
    INBOX = "inbox", _("Chỉ trong hộp thông báo")
    SMS = "sms", _("Tin nhắn SMS ngay")
    EMAIL = "email", _("Thư điện tử ngay")
    DIGEST = "digest", _("Gộp vào bản tin hằng ngày")


# What a person gets before choosing: the urgent by SMS, the rest by e-mail, escalations in the digest.
DEFAULT_CHANNEL = {
    Category.DEADLINE_WARNING: Channel.EMAIL,
    Category.OVERDUE: Channel.SMS,
    Category.ESCALATION: Channel.EMAIL,
    Category.TRANSFER_IN: Channel.EMAIL,
    Category.ASSIGNMENT: Channel.EMAIL,
    Category.TASK_DUE: Channel.EMAIL,
    Category.REPORT_DUE: Channel.EMAIL,
    Category.MILESTONE: Channel.SMS,
    Category.OTHER: Channel.INBOX,
}


def category_of(kind: str) -> str:
    """``case.acceptance.warning`` → deadline_warning; ``task.overdue`` → overdue; ``case.transfer_in`` →
    transfer_in; ``task.*`` → task_due; ``report.*`` → report_due; ``citizen.*`` → milestone."""
    kind = kind or ""
    if kind.startswith("citizen."):
        return Category.MILESTONE
    if kind.endswith(".overdue"):
        return Category.OVERDUE
    if kind.endswith(".warning") or kind.endswith(".due_soon"):
        return Category.TASK_DUE if kind.startswith("task.") else (
            Category.REPORT_DUE if kind.startswith("report.") else Category.DEADLINE_WARNING)
    if kind.endswith(".escalation") or kind.endswith(".flag"):
        return Category.ESCALATION
    if kind in ("case.transfer_in", "case.transferred_in") or kind.endswith(".transfer_in"):
        return Category.TRANSFER_IN
    if kind.endswith(".assigned"):
        return Category.ASSIGNMENT
    if kind.startswith("task."):
        return Category.TASK_DUE
    if kind.startswith("report."):
        return Category.REPORT_DUE
    return Category.OTHER
