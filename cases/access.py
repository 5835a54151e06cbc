"""Who may see and change a case, and who may see a denouncer's identity. THE permission module of cases
(``accounts.permissions`` covers offices and sessions; the case rules live here and nowhere else).

* view: staff of the case's office (any role), inspectors and office administrators of an office above it
  (their scope covers the offices beneath), and the assigned handler;
* write (classify, accept, transfer…): leaders and reception officers of the case's office, and the handler;
* create: leaders, reception officers and secretaries of the office (the secretary records the minutes);
* assign a handler: leaders and reception officers of the office; of a SECRET case (its parties are
  denouncers) only the head (leader role) of the office; extend a denunciation's deadline: the leader;
* a denouncer's identity and a denunciation's content (Law on Denunciation 2018, art. 9 and 56): THE rule
  ``accounts.permissions.may_see_denouncer`` — the assigned handler and the head of the case's own office.
  Not inspectors above, not other officers, not a superuser. A case is secret while ``Case.is_secret``:
  a denunciation now or ever (``denouncer_secret`` is set once and kept through reclassification, split,
  transfer and linking). Every clear read is audited (``cases.read_identity``). For cases that never
  involved a denouncer, whoever may view the case sees its parties.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import STAFF_ROLES, has_role_at, may_see_denouncer, offices_for
from core.text import scrub_variants

REDACTED = "[Đã ẩn danh tính người tố cáo]"
REDACTED_CONTENT = "[Nội dung tố cáo được bảo mật]"

WRITER_ROLES = frozenset({Role.LEADER, Role.RECEPTION_OFFICER})
CREATOR_ROLES = frozenset({Role.LEADER, Role.RECEPTION_OFFICER, Role.SECRETARY})


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _superuser(user) -> bool:
    return _active(user) and getattr(user, "is_superuser", False)


def is_handler(user, case) -> bool:
    return _active(user) and case.handler_id is not None and case.handler_id == user.pk


def may_view(user, case) -> bool:
    if not _active(user):
        return False
    return _superuser(user) or is_handler(user, case) or has_role_at(user, case.office, STAFF_ROLES)


def may_write(user, case) -> bool:
    if not _active(user):
        return False
    return _superuser(user) or is_handler(user, case) or has_role_at(user, case.office, WRITER_ROLES)


def may_create(user, office) -> bool:
    return _superuser(user) or has_role_at(user, office, CREATOR_ROLES)


def may_assign(user, case) -> bool:
    """Assigning the handler of a secret case (a denunciation, now or ever) is the head's act only: whoever
    is assigned will see the denouncer. Other cases: leaders and reception officers (and a superuser)."""
    if is_secret(case):
        return has_role_at(user, case.office, {Role.LEADER})
    return _superuser(user) or has_role_at(user, case.office, WRITER_ROLES)


def may_extend(user, case) -> bool:
    return _superuser(user) or has_role_at(user, case.office, {Role.LEADER})


def may_handle(user, office) -> bool:
    """Can ``user`` be assigned as the handler of a case of ``office``? Its leaders and reception officers."""
    return has_role_at(user, office, WRITER_ROLES)


def is_secret(case) -> bool:
    """The case's parties are denouncers (a denunciation now or ever, see ``Case.denouncer_secret``)."""
    return bool(case.denouncer_secret or case.is_denunciation)


def may_see_identity(user, case) -> bool:
    """A denouncer's identity (and a denunciation's content, history notes, files): THE rule
    (``accounts.permissions.may_see_denouncer``) with the case's office and handler."""
    if not _active(user):
        return False
    if is_secret(case):
        return may_see_denouncer(user, office=case.office, handler_ids=[case.handler_id])
    return may_view(user, case)


def may_see_summary(user, case) -> bool:
    return may_see_identity(user, case)


def may_make_redacted_copy(user, case) -> bool:
    """The verifiers' copy of a secret case: only its handler makes it (he knows what to scrub and answers for
    it); of another case: whoever may write it."""
    if is_secret(case):
        return is_handler(user, case)
    return may_write(user, case)


def transition_note(user, case, transition) -> str:
    """A history note as ``user`` may read it: free text, so a secret case's notes follow the rule."""
    if not transition.note or may_see_identity(user, case):
        return transition.note
    return _(REDACTED_CONTENT)


def visible_cases(user, queryset: QuerySet | None = None) -> QuerySet:
    """The cases ``user`` may view (their inbox): cases of offices in their scope, plus those they handle."""
    from cases.models import Case

    queryset = Case.objects.all() if queryset is None else queryset
    if not _active(user):
        return queryset.none()
    if _superuser(user):
        return queryset
    return queryset.filter(Q(office__in=offices_for(user)) | Q(handler=user))


def clear_party(party) -> dict:
    return {"id": party.pk, "order": party.order, "is_representative": party.is_representative,
            "redacted": False, "full_name": party.full_name, "address": party.address,
            "id_number": party.id_number, "contact": party.contact,
            "user": party.user_id}


def redacted_party(party) -> dict:
    return {"id": party.pk, "order": party.order, "is_representative": party.is_representative,
            "redacted": True, "full_name": _(REDACTED), "address": "", "id_number": "", "contact": "",
            "user": None}


def party_view(case, party, user, request=None) -> dict:
    """The party as ``user`` may see it: the clear identity (the read is audited) or the redaction."""
    from audit.services import record

    if not may_see_identity(user, case):
        return redacted_party(party)
    record(actor=user, action="cases.read_identity", obj=case, request=request,
           details={"case": str(case.public_id), "party": party.pk, "kind": case.kind})
    return clear_party(party)


def _scrub(text: str, parties) -> str:
    """Remove the parties' identifying values from free text (a summary may name the denouncer), in every
    spelling: any case, with or without diacritics, any spacing or punctuation inside a phone or ID number
    (``core.text.scrub_variants``)."""
    values = [value for party in parties for value in (party.full_name, party.address, party.id_number, party.contact)]
    return scrub_variants(text, values, _(REDACTED))


def redacted_copy(case) -> dict:
    """The whole file for verifiers (tổ xác minh): content, history, extensions and documents, with the
    identity of every party removed (and scrubbed from the summary)."""
    parties = list(case.parties.all())
    return {
        "public_id": str(case.public_id), "number": case.number, "kind": case.kind, "field": case.field,
        "state": case.state, "office": case.office.code, "people_count": case.people_count,
        "is_group": case.is_group, "is_complex": case.is_complex, "is_second_time": case.is_second_time,
        "received_on": case.received_on, "accepted_on": case.accepted_on,
        "resolution_due": case.resolution_due,
        "summary": _scrub(case.summary, parties),
        "parties": [redacted_party(p) for p in parties],
        "transitions": [{"from": t.from_state, "to": t.to_state, "at": t.at.isoformat(),
                         "document_number": t.document_number, "note": _scrub(t.note, parties)}
                        for t in case.transitions.all()],
        "extensions": [{"ordinal": e.ordinal, "decision_number": e.decision_number, "days": e.days,
                        "decided_on": e.decided_on} for e in case.extensions.all()],
        "documents": [{"id": str(d.public_id), "content_type": d.content_type, "size": d.size}
                      for d in case.documents.all()],
    }
