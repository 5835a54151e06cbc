"""The audit trail (nhật ký truy vết): an append-only log of every write to cases and minutes and every
read of a secret field, chained by hashes.

The trail is ``AUDIT_CHAIN_LANES`` independent chains ("lanes"). An entry goes to the lane of its target
(a hash of ``target_type:target_id``), so every entry about one case, one session or one registration is in
one chain, in order. Each entry stores ``prev_hash`` (the previous entry's ``entry_hash`` in its lane, or 64
zeros for the first) and ``entry_hash`` = SHA-256 of its canonical content including ``prev_hash`` and its
per-lane ``seq``. Editing an entry changes its hash; deleting one breaks the link of the next; deleting the
last ones leaves the lane's head pointing past the end; ``manage.py verify_audit_chain`` walks every lane.
Appends to one lane are serialised by locking that lane's ``AuditHead`` row (PostgreSQL ``SELECT … FOR
UPDATE``): writes about different things no longer queue behind one row on a reception morning.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64


class AuditHead(models.Model):
    """One row per lane (its primary key is the lane's number): the hash and sequence number of the lane's
    last entry. Locked by every append to that lane."""

    last_seq = models.BigIntegerField(_("số thứ tự cuối"), default=0)
    last_hash = models.CharField(_("mã băm cuối"), max_length=64, default=GENESIS)

    class Meta:
        verbose_name = _("đầu chuỗi nhật ký")
        verbose_name_plural = _("đầu chuỗi nhật ký")
        constraints = [models.CheckConstraint(condition=models.Q(pk__gte=1), name="audit_head_lane_number")]

    def __str__(self):
        return f"audit lane {self.pk} head #{self.last_seq}"


class AuditEntry(models.Model):
    lane = models.PositiveSmallIntegerField(_("chuỗi"), default=1)
    seq = models.BigIntegerField(_("số thứ tự trong chuỗi"))
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
        ordering = ["pk"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        constraints = [models.UniqueConstraint(fields=["lane", "seq"], name="audit_entry_lane_seq")]

    def __str__(self):
        return f"{self.lane}#{self.seq} {self.action} {self.target_type}:{self.target_id}"
