"""Appending to and verifying the audit trail (audit/models.py). Callers: ``record(...)`` inside their
own transaction, so the entry exists exactly when the write it describes does.

``details`` must never hold a secret: not a denouncer's identity, not a denunciation's content — only
ids, field *names*, states and counts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.models import GENESIS, AuditEntry, AuditHead


def client_ip(request) -> str | None:
    """The caller's address. Behind the platform's reverse proxy ``REMOTE_ADDR`` is set by Daphne's
    ``--proxy-headers`` handling; we never trust a raw ``X-Forwarded-For`` here."""
    if request is None:
        return None
    meta = getattr(request, "META", None)
    if meta is not None:
        return meta.get("REMOTE_ADDR") or None
    client = (getattr(request, "scope", None) or {}).get("client")  # a Channels consumer
    return client[0] if client else None


def _canonical(entry: AuditEntry) -> bytes:
    body = {
        "seq": entry.seq, "at": entry.at.isoformat(), "actor": entry.actor_id, "actor_label": entry.actor_label,
        "action": entry.action, "target_type": entry.target_type, "target_id": entry.target_id,
        "ip": entry.ip, "details": entry.details, "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def lane_of(target_type: str, target_id: str) -> int:
    """The lane (1 … ``AUDIT_CHAIN_LANES``) of a target: the same target, the same lane, always."""
    digest = hashlib.sha256(f"{target_type}:{target_id}".encode()).digest()
    return 1 + int.from_bytes(digest[:8], "big") % settings.AUDIT_CHAIN_LANES


def record(*, actor=None, action: str, obj=None, target_type: str = "", target_id: str | int = "",
           ip: str | None = None, request=None, details: dict | None = None,
           actor_label: str | None = None) -> AuditEntry:
    """Append one entry. ``obj`` (a model instance) fills ``target_type``/``target_id``; ``request`` fills
    ``ip`` and, when ``actor`` is not given, the actor."""
    if obj is not None:
        target_type = target_type or obj._meta.label_lower
        target_id = target_id or obj.pk
    if request is not None:
        ip = ip or client_ip(request)
        user = getattr(request, "user", None)
        if actor is None and user is not None and user.is_authenticated:
            actor = user
    target_id = str(target_id)
    lane = lane_of(target_type, target_id)
    # Hand-written SQL (issue 18: room decisions append on the hot path of a live room): lock the lane's head,
    # then insert the entry and move the head in one statement. No savepoint: an error here fails the
    # caller's transaction as a whole, which is what every caller wants (the entry exists exactly when the
    # write it describes does).
    if connection.vendor != "postgresql":
        return _record_orm(lane, actor, actor_label, action, target_type, target_id, ip, details)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_HEAD_SQL, [lane])
        head = cursor.fetchone()
        if head is None:  # the lane's first entry: create its head (two creators: one waits, then reads it)
            cursor.execute(_NEW_HEAD_SQL, [lane, 0, GENESIS])
            cursor.execute(_HEAD_SQL, [lane])
            head = cursor.fetchone()
        last_seq, last_hash = head
        entry = _next_entry(lane, last_seq, last_hash, actor, actor_label, action, target_type, target_id, ip,
                            details)
        values = [field.get_db_prep_save(getattr(entry, field.attname), connection) for field in _ENTRY_FIELDS]
        cursor.execute(_APPEND_SQL, [entry.seq, entry.entry_hash, lane, *values])
        entry.pk = cursor.fetchone()[0]
        entry._state.adding, entry._state.db = False, connection.alias
    return entry


def _next_entry(lane, last_seq, last_hash, actor, actor_label, action, target_type, target_id, ip,
                details) -> AuditEntry:
    """The entry that follows the lane's head (``last_seq``, ``last_hash``), hashed, not yet saved."""
    entry = AuditEntry(
        lane=lane, seq=last_seq + 1, at=timezone.now(), actor=actor,
        actor_label=(actor_label or (actor.get_username() if actor is not None else "system"))[:150],
        action=action, target_type=target_type, target_id=target_id, ip=ip,
        details=json.loads(json.dumps(details or {}, default=str)), prev_hash=last_hash,
    )
    entry.entry_hash = entry_hash(entry)
    return entry


def _record_orm(lane, actor, actor_label, action, target_type, target_id, ip, details) -> AuditEntry:
    """The same append through the ORM, for databases other than PostgreSQL (the SQLite embedded default of
    ``make run``, where the hand-written statements' ``FOR UPDATE`` and data-modifying CTE do not exist)."""
    with transaction.atomic(savepoint=False):
        head = AuditHead.objects.select_for_update().filter(pk=lane).first()
        if head is None:
            AuditHead.objects.bulk_create([AuditHead(pk=lane)], ignore_conflicts=True)
            head = AuditHead.objects.select_for_update().get(pk=lane)
        entry = _next_entry(lane, head.last_seq, head.last_hash, actor, actor_label, action, target_type,
                            target_id, ip, details)
        entry.save()
        head.last_seq, head.last_hash = entry.seq, entry.entry_hash
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


_ENTRY_FIELDS = [AuditEntry._meta.get_field(name) for name in (
    "lane", "seq", "at", "actor", "actor_label", "action", "target_type", "target_id", "ip", "details", "prev_hash",
    "entry_hash")]
_HEAD_SQL = f'SELECT last_seq, last_hash FROM "{AuditHead._meta.db_table}" WHERE id = %s FOR UPDATE'
_NEW_HEAD_SQL = (f'INSERT INTO "{AuditHead._meta.db_table}" (id, last_seq, last_hash) VALUES (%s, %s, %s) '
                 "ON CONFLICT DO NOTHING")
_APPEND_SQL = (f'WITH head AS (UPDATE "{AuditHead._meta.db_table}" SET last_seq = %s, last_hash = %s WHERE id = %s) '
               f'INSERT INTO "{AuditEntry._meta.db_table}" ({", ".join(f.column for f in _ENTRY_FIELDS)}) '
               f'VALUES ({", ".join(["%s"] * len(_ENTRY_FIELDS))}) RETURNING id')


@dataclass
class ChainBreak:
    lane: int
    seq: int
    reason: str


def verify_chain(batch_size: int = 2000) -> tuple[int, list[ChainBreak]]:
    """Walk every lane: (entries checked, breaks found). A break is an entry whose stored hash does not
    match its content (edited), whose ``prev_hash`` is not the previous entry's hash in its lane, a gap in
    a lane's ``seq`` (deleted), or a lane's head that does not match its last entry (the tail deleted).
    Entries are read in insertion order (``pk``), which is each lane's ``seq`` order: a lane's appends are
    serialised by its head's lock."""
    breaks: list[ChainBreak] = []
    expected: dict[int, tuple[str, int]] = {}  # lane → (the next entry's prev_hash, its seq)
    checked, last_pk = 0, 0
    while True:
        batch = list(AuditEntry.objects.filter(pk__gt=last_pk).order_by("pk")[:batch_size])
        if not batch:
            break
        for entry in batch:
            expected_prev, expected_seq = expected.get(entry.lane, (GENESIS, 1))
            if entry.seq != expected_seq:
                breaks.append(ChainBreak(entry.lane, entry.seq, f"missing entries {expected_seq}..{entry.seq - 1}"))
            if entry.prev_hash != expected_prev:
                breaks.append(ChainBreak(entry.lane, entry.seq, "does not follow the previous entry"))
            if entry_hash(entry) != entry.entry_hash:
                breaks.append(ChainBreak(entry.lane, entry.seq, "content changed after it was written"))
            expected[entry.lane] = (entry.entry_hash, entry.seq + 1)
            checked += 1
        last_pk = batch[-1].pk
    for head in AuditHead.objects.order_by("pk"):
        expected_prev, expected_seq = expected.get(head.pk, (GENESIS, 1))
        if head.last_seq != expected_seq - 1 or head.last_hash != expected_prev:
            breaks.append(ChainBreak(head.pk, head.last_seq, "the last entries were removed"))
    return checked, breaks
