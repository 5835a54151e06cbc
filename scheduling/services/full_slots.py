"""The "slot and waiting list are full" flag (issue 18): a registration burst's refused majority answered
from the cache, before DRF, the user row and the registration queries (``scheduling.fast_refusal``).

Two cache keys per slot (Django's cache: Redis in production, shared by every process):

* ``regfull:<slot>``: written by ``registrations.register`` whenever it finds the slot itself full — slot
  and waiting list both at their limit while the session takes registrations. It holds what the reader
  needs to repeat the slot-level checks in the normal path's order (session, start, deadline, the waiting
  list's limit) and the *generation* read before the slot was read. It lives ``REGISTRATION_FULL_FLAG_SECONDS``
  (10 s): a backstop only.
* ``regfull-gen:<slot>``: the slot's generation, a random token replaced (``invalidate``) after the commit
  of every write that could free a place or change the answer: a cancellation (and the promotion it
  brings), the release of a session's registrations, any change of the session's status.

A flag counts only while its generation equals the slot's current one. ``register`` reads the generation
*before* its ``SELECT`` of the slot: a write committed before that read is seen by the ``SELECT``; a write
committed after it replaces the generation once committed, so the flag written from the older read never
counts. Flags are therefore never stale by more than a failed invalidation (cache down at that moment),
and then for at most the flag's lifetime. Counts only grow while a slot is full (every shrinking write
invalidates), so a flag that counts describes the slot as it is.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

GENERATION_SECONDS = 24 * 3600  # far longer than any flag, and than any transaction between read and write


def _flag_key(slot_id: int) -> str:
    return f"regfull:{slot_id}"


def _generation_key(slot_id: int) -> str:
    return f"regfull-gen:{slot_id}"


@dataclass(frozen=True)
class FullSlot:
    """What the flag holds: the slot's session and times, and the waiting list's limit it was full at."""

    generation: str | None
    session_id: int
    starts_at: datetime
    ends_at: datetime
    registration_closes_at: datetime
    waitlist_max: int


def generation(slot_id: int) -> str | None:
    """The slot's generation now (read before the slot is read). ``None``: none yet (or the cache failed —
    a flag written then is not trusted after any invalidation either)."""
    try:
        return cache.get(_generation_key(slot_id))
    except Exception:  # the cache is an optimisation: never a reason to fail a registration
        log.warning("full-slot flag: cannot read the generation of slot %s", slot_id, exc_info=True)
        return None


def mark_full(slot, generation_read: str | None) -> None:
    """Record that ``slot`` (with its session loaded) was full at ``generation_read``. Inside a
    transaction, written only once it commits (a rolled-back state is never announced)."""
    flag = FullSlot(generation=generation_read, session_id=slot.session_id, starts_at=slot.starts_at,
                    ends_at=slot.ends_at, registration_closes_at=slot.session.registration_closes_at,
                    waitlist_max=settings.WAITLIST_MAX_PER_SLOT)

    def write():
        try:
            cache.set(_flag_key(slot.pk), flag, timeout=settings.REGISTRATION_FULL_FLAG_SECONDS)
        except Exception:
            log.warning("full-slot flag: cannot write the flag of slot %s", slot.pk, exc_info=True)

    transaction.on_commit(write)


def current(slot_id: int) -> FullSlot | None:
    """The slot's flag when it counts (its generation is the slot's current one), else ``None``. One cache
    round trip."""
    try:
        values = cache.get_many([_flag_key(slot_id), _generation_key(slot_id)])
    except Exception:
        log.warning("full-slot flag: cannot read the flag of slot %s", slot_id, exc_info=True)
        return None
    flag = values.get(_flag_key(slot_id))
    if not isinstance(flag, FullSlot) or flag.generation != values.get(_generation_key(slot_id)):
        return None
    return flag


def invalidate(slot_ids) -> None:
    """After the current transaction commits (at once outside one): give the slots a new generation, so
    that no flag written from an earlier read counts any more."""
    ids = sorted(set(slot_ids))
    if not ids:
        return

    def write():
        token = secrets.token_hex(8)
        try:
            cache.set_many({_generation_key(i): token for i in ids}, timeout=GENERATION_SECONDS)
        except Exception:
            # The flags already written expire after REGISTRATION_FULL_FLAG_SECONDS (the backstop).
            log.error("full-slot flag: cannot invalidate slots %s", ids, exc_info=True)

    transaction.on_commit(write)


def invalidate_session(session_id: int) -> None:
    """``invalidate`` every slot of a session (its status changed, or its registrations were released)."""
    from sessions.models import SessionSlot

    invalidate(SessionSlot.objects.filter(session_id=session_id).values_list("pk", flat=True))
