"""The audit trail (nhật ký truy vết): an append-only log of every write to cases and minutes and every
read of a secret field, chained by hashes.

Each entry stores ``prev_hash`` (the previous entry's ``entry_hash``, or 64 zeros for the first) and
``entry_hash`` = SHA-256 of its canonical content including ``prev_hash``. Editing an entry changes its
hash; deleting one breaks the link of the next; ``manage.py verify_audit_chain`` walks the chain and
reports the first break. Appends are serialised by locking the single ``AuditHead`` row, so the chain stays
linear under concurrent writers (PostgreSQL ``SELECT … FOR UPDATE``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64


class AuditHead(models.Model):
    """One row: the hash and sequence number of the last entry. Locked by every append."""

    last_seq = models.BigIntegerField(_("số thứ tự cuối"), default=0)
    last_hash = models.CharField(_("mã băm cuối"), max_length=64, default=GENESIS)

    class Meta:
        verbose_name = _("đầu chuỗi nhật ký")
        verbose_name_plural = _("đầu chuỗi nhật ký")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="audit_head_single_row")]

    def __str__(self):
        return f"audit head #{self.last_seq}"


class AuditEntry(models.Model):
    seq = models.BigIntegerField(_("số thứ tự"), unique=True)
    at = models.DateTimeField(_("thời điểm"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("người thực hiện"))
    # kept if the user is renamed
    actor_label = models.CharField(_("tên người thực hiện khi ghi"), max_length=150, blank=True, default="")
    action = models.CharField(_("hành động"), max_length=64)
    target_type = models.CharField(_("loại đối tượng"), max_length=64, blank=True, default="")
    target_id = models.CharField(_("mã đối tượng"), max_length=64, blank=True, default="")
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    details = models.JSONField(_("chi tiết"), default=dict, blank=True)
    prev_hash = models.CharField(_("mã băm của mục trước"), max_length=64)
    entry_hash = models.CharField(_("mã băm của mục"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("mục nhật ký kiểm toán")
        verbose_name_plural = _("nhật ký kiểm toán")
        ordering = ["seq"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"
