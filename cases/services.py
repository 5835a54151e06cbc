"""Every write to cases goes through here: creation (by hand, from a registration, by transfer, by split),
the workflow moves (cases.workflow decides, this module writes), handler assignment, denunciation
extensions, links to earlier cases, documents, and the daily deadline check.

Each write runs in ``transaction.atomic()`` with the case row locked (``select_for_update``), appends a
``CaseTransition`` where the state changes, records an audit entry (ids, states and document numbers only:
never an identity or a denunciation's content) and announces ``case.*`` to the office's event group on
commit (payload: public_id, number, kind, state).

``by=None`` is the system itself (no permission check), e.g. the minutes helper acting for staff.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, RoleAssignment
from audit.services import record
from cases import access, deadlines, filecrypto, workflow
from cases.models import (
    Case,
    CaseAlert,
    CaseCounter,
    CaseDocument,
    CaseField,
    CaseParty,
    CaseSource,
    CaseTransition,
    DeadlineExtension,
)
from cases.workflow import FINAL_STATES, CaseState, WorkflowError
from core.crypto import blind_index
from core.errors import DomainError
from core.events import office_group, send_event_on_commit
from offices.models import Office
from scheduling.models import MatterKind, Registration

logger = logging.getLogger(__name__)

MAX_SUMMARY = 20_000
MAX_PARTIES = 500
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
PARTY_FIELDS = ("full_name", "address", "id_number", "contact")


class CaseError(DomainError):
    pass


# --- helpers --------------------------------------------------------------------------------------------


def _today(today: date | None = None) -> date:
    return today or timezone.localdate()


def _require(ok: bool, message: str | None = None) -> None:
    if not ok:
        raise CaseError(message or _("Bạn không có quyền thực hiện thao tác này với vụ việc."), "forbidden")


def _lock(case: Case) -> Case:
    locked = Case.objects.select_for_update(of=("self",)).select_related("office", "handler").filter(
        pk=case.pk).first()
    if locked is None:
        raise CaseError(_("Không tìm thấy vụ việc."), "not_found")
    return locked


def event_payload(case: Case) -> dict:
    return {"public_id": str(case.public_id), "number": case.number, "kind": case.kind, "state": case.state}


def _announce(case: Case, event: str) -> None:
    send_event_on_commit(office_group(case.office_id), f"case.{event}", event_payload(case))


def _audit(by, verb: str, case: Case, request=None, **details) -> None:
    record(actor=by, action=f"cases.{verb}", obj=case, request=request,
           details={"case": str(case.public_id), "number": case.number, **details})


def _history(case: Case, by, from_state: str, action: str, note: str = "", document_number: str = "") -> None:
    transition = CaseTransition.objects.create(case=case, from_state=from_state, to_state=case.state, action=action,
                                               by=by, note=(note or "").strip(),
                                               document_number=(document_number or "").strip())
    # The moments the reports count from (Case.closed_at, decided_at, decision), set once.
    marks = {}
    if case.state in FINAL_STATES and case.closed_at is None:
        marks["closed_at"] = transition.at
    if from_state == CaseState.CLASSIFIED and case.decided_at is None:
        marks["decided_at"], marks["decision"] = transition.at, case.state
    if marks:
        Case.objects.filter(pk=case.pk).update(**marks)
        for name, value in marks.items():
            setattr(case, name, value)


def mark_secret(case: Case) -> None:
    """The case's parties are denouncers: set ``denouncer_secret`` (never cleared) on the case, on every case
    of the same people (split parts, transfers, repeats, both ways), on its registration and on the minutes
    sections it was opened from. Called when a case is or becomes a denunciation."""
    from django.apps import apps

    seen: set[int] = set()
    todo = [case.pk]
    while todo:
        pk = todo.pop()
        if pk in seen:
            continue
        seen.add(pk)
        related = Case.objects.filter(Q(pk=pk) | Q(split_from_id=pk) | Q(transferred_from_id=pk) | Q(previous_case_id=pk)
                                      | Q(split_parts__pk=pk) | Q(transfers__pk=pk) | Q(repeats__pk=pk))
        todo.extend(p for p in related.values_list("pk", flat=True) if p not in seen)
    Case.objects.filter(pk__in=seen, denouncer_secret=False).update(denouncer_secret=True)
    case.denouncer_secret = True
    lineage = Case.objects.filter(pk__in=seen)
    Registration.objects.filter(pk__in=lineage.exclude(registration=None).values("registration_id")).update(
        denouncer_secret=True)
    section_model = apps.get_model("minutes", "CitizenSection")  # minutes depends on cases, not the reverse
    section_model.objects.filter(case_public_id__in=lineage.values("public_id")).update(denouncer_secret=True)
    for document in CaseDocument.objects.filter(case__in=lineage, encrypted=False):
        seal_document(document)


def seal_document(document: CaseDocument) -> None:
    """Encrypt a file stored in clear (uploaded before its case became secret): new file, row repointed,
    old file deleted on commit."""
    storage = document.file.storage
    old_name = document.file.name
    with storage.open(old_name, "rb") as handle:
        sealed = filecrypto.encrypt_bytes(handle.read())
    new_name = storage.save(case_path(document), ContentFile(sealed))
    CaseDocument.objects.filter(pk=document.pk).update(file=new_name, encrypted=True)
    transaction.on_commit(lambda: storage.delete(old_name))


def _keep_secret(case: Case) -> None:
    if case.is_denunciation or case.denouncer_secret:
        mark_secret(case)


def next_number(office: Office, year: int) -> str:
    """``<office code>-<year>-<NNNN>``, unique per office and year (the counter row is locked)."""
    counter, _created = CaseCounter.objects.get_or_create(office=office, year=year)
    counter = CaseCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last = F("last") + 1
    counter.save(update_fields=["last"])
    counter.refresh_from_db(fields=["last"])
    return f"{office.code}-{year}-{counter.last:04d}"


def refresh_deadlines(case: Case) -> None:
    """Recompute the stored deadlines from the case's dates and flags (no save)."""
    remote = bool(case.office.is_remote_area)
    case.citizen_notice_due = deadlines.citizen_notice_due(case.received_on)
    case.acceptance_due = deadlines.acceptance_due(case.kind, case.received_on)
    extension_days = list(case.extensions.values_list("days", flat=True)) if case.pk else []
    case.resolution_due = deadlines.resolution_due(
        case.kind, case.accepted_on, second_time=case.is_second_time, remote=remote, complex_=case.is_complex,
        extension_days=extension_days)


def _clean_text(value, field: str, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise CaseError(_("Giá trị không hợp lệ."), "invalid", field)
    value = value.strip()
    if required and not value:
        raise CaseError(_("Trường này là bắt buộc."), "required", field)
    if len(value) > max_length:
        raise CaseError(_("Quá dài (tối đa %(n)s ký tự).") % {"n": max_length}, "max_length", field)
    return value


def _clean_parties(parties) -> list[dict]:
    if parties is None:
        return []
    if not isinstance(parties, list | tuple) or len(parties) > MAX_PARTIES:
        raise CaseError(_("Danh sách công dân không hợp lệ."), "invalid", "parties")
    cleaned = []
    for party in parties:
        if not isinstance(party, dict):
            raise CaseError(_("Danh sách công dân không hợp lệ."), "invalid", "parties")
        row = {name: _clean_text(party.get(name), "parties", 500) for name in PARTY_FIELDS}
        if not row["full_name"]:
            raise CaseError(_("Mỗi công dân cần họ và tên."), "required", "parties")
        row["is_representative"] = bool(party.get("is_representative", False))
        row["user"] = party.get("user")
        cleaned.append(row)
    return cleaned


def _add_parties(case: Case, parties: list[dict]) -> None:
    CaseParty.objects.bulk_create([
        CaseParty(case=case, user=p.get("user"), full_name=p["full_name"], address=p["address"],
                  id_number=p["id_number"], contact=p["contact"],
                  id_number_index=blind_index(p["id_number"]) if p["id_number"] else "",
                  is_representative=p["is_representative"], order=i)
        for i, p in enumerate(parties)
    ])


def _copy_parties(source: Case, target: Case) -> None:
    _add_parties(target, [{"user": p.user, "full_name": p.full_name, "address": p.address,
                           "id_number": p.id_number, "contact": p.contact,
                           "is_representative": p.is_representative} for p in source.parties.all()])


def _group_threshold() -> int:
    return getattr(settings, "GROUP_CASE_MIN_PEOPLE", 5)


# --- creation -------------------------------------------------------------------------------------------


@transaction.atomic
def create_case(*, by, office: Office, kind: str, summary: str, field: str = CaseField.OTHER,
                people_count: int = 1, is_group: bool | None = None, source: str = CaseSource.PAPER,
                session=None, registration=None, parties=None, received_on: date | None = None,
                is_complex: bool = False, is_second_time: bool = False, previous_case: Case | None = None,
                handler=None, transferred_from: Case | None = None, split_from: Case | None = None,
                request=None, today: date | None = None) -> Case:
    """Register a case (vào sổ) at ``office`` in state ``received``; its deadlines are computed at once.
    An anonymous denunciation may have no party; every other kind names at least one citizen."""
    if by is not None:
        _require(access.may_create(by, office))
    if not isinstance(office, Office) or not office.is_active:
        raise CaseError(_("Cơ quan không hợp lệ."), "invalid", "office")
    if kind not in MatterKind.values:
        raise CaseError(_("Loại việc không hợp lệ."), "invalid_choice", "kind")
    if field not in CaseField.values:
        raise CaseError(_("Lĩnh vực không hợp lệ."), "invalid_choice", "field")
    if source not in CaseSource.values:
        raise CaseError(_("Nguồn đơn không hợp lệ."), "invalid_choice", "source")
    summary = _clean_text(summary, "summary", MAX_SUMMARY, required=True)
    if isinstance(people_count, bool) or not isinstance(people_count, int) or not 1 <= people_count <= 100_000:
        raise CaseError(_("Số người phải từ 1 trở lên."), "invalid", "people_count")
    cleaned = _clean_parties(parties)
    if not cleaned and kind != MatterKind.DENUNCIATION and transferred_from is None and split_from is None:
        raise CaseError(_("Cần ít nhất một công dân (chỉ đơn tố cáo nặc danh được để trống)."), "required",
                        "parties")
    received_on = received_on or _today(today)
    if handler is not None and not access.may_handle(handler, office):
        raise CaseError(_("Người xử lý phải là lãnh đạo hoặc cán bộ tiếp công dân của cơ quan."), "invalid_handler",
                        "handler")
    if previous_case is not None:
        _check_previous(None, previous_case, kind, by)
    case = Case(
        number=next_number(office, received_on.year), kind=kind, field=field, summary=summary,
        people_count=people_count, is_group=(people_count >= _group_threshold()) if is_group is None else is_group,
        office=office, source=source, session=session, registration=registration, handler=handler,
        state=CaseState.RECEIVED, received_on=received_on, is_complex=bool(is_complex),
        is_second_time=bool(is_second_time), previous_case=previous_case, transferred_from=transferred_from,
        split_from=split_from, created_by=by,
    )
    refresh_deadlines(case)
    case.save()
    if transferred_from is not None or split_from is not None:
        if cleaned:
            _add_parties(case, cleaned)
        else:
            _copy_parties(transferred_from or split_from, case)
    else:
        _add_parties(case, cleaned)
    if kind == MatterKind.DENUNCIATION or any(c is not None and c.is_secret
                                               for c in (transferred_from, split_from, previous_case)):
        mark_secret(case)
    _history(case, by, "", "create")
    _audit(by, "create", case, request, kind=kind, state=case.state, source=source, office=office.code,
           parties=case.parties.count())
    _announce(case, "created")
    return case


def _citizen_party(user) -> dict:
    profile = getattr(user, "citizen_profile", None)
    return {"user": user, "full_name": user.full_name or user.get_username(),
            "address": getattr(profile, "address", "") or "",
            "id_number": getattr(profile, "id_document_number", "") or "",
            "contact": user.phone or user.email or ""}


def create_case_from_registration(registration, by, *, identity: dict | None = None, **overrides) -> Case:
    """A case pre-filled from a citizen's registration (đăng ký tiếp): the host office, the matter's kind and
    summary, people count, the citizen (name, address, ID document) and the group's representatives. Any
    keyword of :func:`create_case` may be overridden; ``identity`` (``full_name``, ``address``,
    ``id_number``, ``contact``) replaces the registered citizen's details it gives — the identity checked at
    the reception."""
    session = registration.session
    citizen = registration.citizen
    is_group = registration.people_count >= _group_threshold()
    main = {**_citizen_party(citizen), **{k: v for k, v in (identity or {}).items() if v}, "is_representative": is_group}
    parties = [main]
    for rep in registration.representatives or []:
        name = str(rep.get("full_name", "")).strip()
        if name and name not in (citizen.full_name, main["full_name"]):
            parties.append({"full_name": name, "contact": str(rep.get("phone", "")), "is_representative": True})
    values = {
        "office": session.host_office, "kind": registration.matter_kind, "summary": registration.matter_summary,
        "people_count": registration.people_count, "is_group": is_group, "source": CaseSource.SESSION,
        "session": session, "registration": registration, "parties": parties,
        "received_on": timezone.localtime(session.starts_at).date(),
    }
    values.update(overrides)
    return create_case(by=by, **values)


# --- workflow -------------------------------------------------------------------------------------------


def _move(case: Case, by, action: str, *, request=None, note: str = "", document_number: str = "",
          data: dict | None = None, today: date | None = None, check=None, apply=None) -> Case:
    """Lock, check permission and the pure workflow, apply ``apply(case)``, save, record and announce."""
    note = _clean_text(note, "note", 2000)
    document_number = _clean_text(document_number, "document_number", 64)
    with transaction.atomic():
        case = _lock(case)
        if by is not None:
            _require(access.may_write(by, case))
        from_state = case.state
        case.state = workflow.plan(from_state, action, {**(data or {}), "document_number": document_number})
        if check is not None:
            check(case)
        if apply is not None:
            apply(case)
        case.save()
        _history(case, by, from_state, action, note, document_number)
        _audit(by, "transition", case, request, action=action, **{"from": from_state, "to": case.state},
               document_number=document_number)
        _announce(case, "transition")
        from notifications.milestones import case_moved

        case_moved(case, action)
    return case


def classify(case: Case, by, *, kind: str | None = None, field: str | None = None, is_complex: bool | None = None,
             is_second_time: bool | None = None, note: str = "", request=None) -> Case:
    """Phân loại đơn: confirm (or correct) the kind and field; deadlines follow the corrected kind."""
    if kind is not None and kind not in MatterKind.values:
        raise CaseError(_("Loại việc không hợp lệ."), "invalid_choice", "kind")
    if field is not None and field not in CaseField.values:
        raise CaseError(_("Lĩnh vực không hợp lệ."), "invalid_choice", "field")

    def apply(c):
        if kind is not None:
            c.kind = kind
        if field is not None:
            c.field = field
        if is_complex is not None:
            c.is_complex = bool(is_complex)
        if is_second_time is not None:
            c.is_second_time = bool(is_second_time)
        refresh_deadlines(c)
        _keep_secret(c)

    return _move(case, by, "classify", note=note, request=request, apply=apply)


def accept(case: Case, by, *, note: str = "", document_number: str = "", is_complex: bool | None = None,
           today: date | None = None, request=None) -> Case:
    """Thụ lý: the resolution deadline starts on the acceptance day."""
    def apply(c):
        c.accepted_on = _today(today)
        if is_complex is not None:
            c.is_complex = bool(is_complex)
        refresh_deadlines(c)

    return _move(case, by, "accept", note=note, document_number=document_number, request=request, apply=apply)


def start_verifying(case: Case, by, *, note: str = "", request=None) -> Case:
    return _move(case, by, "start_verifying", note=note, request=request)


def conclude(case: Case, by, *, document_number: str = "", note: str = "", today: date | None = None,
             request=None) -> Case:
    """Kết luận / quyết định giải quyết."""
    def apply(c):
        c.concluded_on = _today(today)
        c.conclusion_document_number = (document_number or "").strip()

    return _move(case, by, "conclude", note=note, document_number=document_number, request=request, apply=apply)


def guide(case: Case, by, *, guided_to_body: str, guidance_document_number: str = "", note: str = "",
          request=None) -> Case:
    """Hướng dẫn công dân đến cơ quan có thẩm quyền, trả lại đơn."""
    body = _clean_text(guided_to_body, "guided_to_body", 255)
    number = _clean_text(guidance_document_number, "guidance_document_number", 64)

    def apply(c):
        c.guided_to_body, c.guidance_document_number = body, number

    return _move(case, by, "guide", note=note, document_number=number, request=request,
                 data={"guided_to_body": body}, apply=apply)


def file(case: Case, by, *, note: str = "", today: date | None = None, request=None) -> Case:
    """Lưu đơn (ineligible): kept until ``filed_until``, then the head decides on destruction."""
    def apply(c):
        c.filed_until = deadlines.filed_until(_today(today))

    return _move(case, by, "file", note=note, request=request, apply=apply)


def end_handling(case: Case, by, *, document_number: str, note: str = "", request=None) -> Case:
    """Thông báo chấm dứt thụ lý: the case stays on the watch list (``Case.objects.watch_list()``)."""
    def apply(c):
        c.end_document_number = (document_number or "").strip()

    return _move(case, by, "end", note=note, document_number=document_number, request=request, apply=apply)


def transfer(case: Case, by, *, target_office: Office, document_number: str, note: str = "",
             today: date | None = None, request=None) -> Case:
    """Chuyển đơn to a competent office of any tier: the sender's case becomes ``transferred`` and a NEW case
    (state ``received``, source ``transfer``, ``transferred_from`` = the sender's) appears in the receiving
    office's inbox with the parties and summary copied. Returns the NEW case; the sender follows its state
    through ``case.transfers``."""
    if target_office is not None and (not isinstance(target_office, Office) or not target_office.is_active):
        raise CaseError(_("Cơ quan nhận đơn không hợp lệ."), "invalid", "target_office")

    def check(c):
        if target_office.pk == c.office_id:
            raise CaseError(_("Không thể chuyển đơn cho chính cơ quan đang xử lý."), "same_office", "target_office")

    def apply(c):
        c.transfer_to_office = target_office
        c.transfer_document_number = (document_number or "").strip()

    with transaction.atomic():
        sender = _move(case, by, "transfer", note=note, document_number=document_number, request=request,
                       data={"target_office": target_office}, check=check, apply=apply)
        received = create_case(
            by=None, office=target_office, kind=sender.kind, summary=sender.summary, field=sender.field,
            people_count=sender.people_count, is_group=sender.is_group, source=CaseSource.TRANSFER,
            received_on=_today(today), is_complex=sender.is_complex, is_second_time=sender.is_second_time,
            previous_case=None, transferred_from=sender, request=request,
        )
        if sender.previous_case_id:  # keep the "repeated" flag visible to the receiving office
            Case.objects.filter(pk=received.pk).update(previous_case_id=sender.previous_case_id)
            received.previous_case_id = sender.previous_case_id
        from notifications.milestones import case_transferred

        case_transferred(sender, received)
    return received


def transfer_outside(case: Case, by, *, body: str, document_number: str, note: str = "",
                     request=None) -> Case:
    """Chuyển đơn to a competent body that is NOT on the platform (free text, e.g. a court, a ministry's
    department): the case becomes ``transferred`` with ``transfer_to_body``; no case opens anywhere, the
    transfer letter (documents app) goes by post."""
    body = _clean_text(body, "transfer_to_body", 255, required=True)

    def apply(c):
        c.transfer_to_body = body
        c.transfer_document_number = (document_number or "").strip()

    return _move(case, by, "transfer", note=note, document_number=document_number, request=request,
                 data={"target_body": body}, apply=apply)


def transition(case: Case, by, action: str, *, request=None, today: date | None = None, **data) -> Case:
    """Dispatch an action name (API) to its service. Unknown actions and missing inputs are typed errors."""
    workflow.target_of(action)
    note = data.get("note", "")
    if action == "classify":
        return classify(case, by, kind=data.get("kind"), field=data.get("field"), is_complex=data.get("is_complex"),
                        is_second_time=data.get("is_second_time"), note=note, request=request)
    if action == "accept":
        return accept(case, by, note=note, document_number=data.get("document_number", ""),
                      is_complex=data.get("is_complex"), today=today, request=request)
    if action == "start_verifying":
        return start_verifying(case, by, note=note, request=request)
    if action == "conclude":
        return conclude(case, by, document_number=data.get("document_number", ""), note=note, today=today,
                        request=request)
    if action == "guide":
        return guide(case, by, guided_to_body=data.get("guided_to_body", ""),
                     guidance_document_number=data.get("guidance_document_number", ""), note=note, request=request)
    if action == "file":
        return file(case, by, note=note, today=today, request=request)
    if action == "end":
        return end_handling(case, by, document_number=data.get("document_number", ""), note=note, request=request)
    # transfer
    transfer(case, by, target_office=data.get("target_office"), document_number=data.get("document_number", ""),
             note=note, today=today, request=request)
    case.refresh_from_db()
    return case


# --- other writes ---------------------------------------------------------------------------------------


@transaction.atomic
def assign_handler(case: Case, by, handler, *, request=None) -> Case:
    case = _lock(case)
    if by is not None:
        _require(access.may_assign(by, case))
    if handler is None or not access.may_handle(handler, case.office):
        raise CaseError(_("Người xử lý phải là lãnh đạo hoặc cán bộ tiếp công dân của cơ quan."), "invalid_handler",
                        "handler")
    if not case.is_open:
        raise CaseError(_("Vụ việc đã kết thúc, không phân công người xử lý."), "final_state", "handler")
    previous = case.handler_id
    case.handler = handler
    case.save(update_fields=["handler", "updated_at"])
    _audit(by, "assign", case, request, handler=handler.pk, previous_handler=previous)
    _announce(case, "assigned")
    from notifications.services import notify

    notify(handler, "case.assigned", _("Bạn được phân công xử lý vụ việc %(n)s") % {"n": case.number},
           _("Vụ việc %(n)s (%(k)s) được phân công cho bạn.") % {"n": case.number, "k": case.get_kind_display()},
           f"case:{case.pk}:assigned:{handler.pk}:{timezone.now().isoformat()}", case=case)
    return case


@transaction.atomic
def extend_deadline(case: Case, decision_number: str, days: int, by, *, decided_on: date | None = None,
                    request=None) -> DeadlineExtension:
    """Gia hạn giải quyết tố cáo: denunciations only, at most CASE_DENUNCIATION_MAX_EXTENSIONS (2), each at
    most CASE_DENUNCIATION_EXTENSION_MAX_DAYS (30) days, each a written decision."""
    case = _lock(case)
    if by is not None:
        _require(access.may_extend(by, case), _("Chỉ người đứng đầu cơ quan quyết định gia hạn."))
    if not case.is_denunciation:
        raise CaseError(_("Chỉ gia hạn giải quyết đối với tố cáo."), "not_denunciation", "case")
    if case.state not in (CaseState.ACCEPTED, CaseState.VERIFYING):
        raise CaseError(_("Chỉ gia hạn khi tố cáo đang được giải quyết."), "not_in_resolution", "case")
    decision_number = _clean_text(decision_number, "decision_number", 64, required=True)
    limit = deadlines.denunciation_extension_max_days()
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= limit:
        raise CaseError(_("Mỗi lần gia hạn từ 1 đến %(n)s ngày.") % {"n": limit}, "out_of_range", "days")
    count = case.extensions.count()
    if count >= deadlines.denunciation_max_extensions():
        raise CaseError(_("Tố cáo chỉ được gia hạn tối đa %(n)s lần.") % {"n": deadlines.denunciation_max_extensions()},
                        "too_many_extensions", "days")
    extension = DeadlineExtension.objects.create(case=case, ordinal=count + 1, decision_number=decision_number,
                                                 decided_on=decided_on or timezone.localdate(), days=days, by=by)
    refresh_deadlines(case)
    case.save(update_fields=["resolution_due", "updated_at"])
    _audit(by, "extend", case, request, ordinal=extension.ordinal, days=days, decision_number=decision_number,
           resolution_due=case.resolution_due)
    _announce(case, "extended")
    return extension


def _check_previous(case: Case | None, previous: Case, kind: str, by) -> None:
    if not isinstance(previous, Case):
        raise CaseError(_("Vụ việc trước không hợp lệ."), "invalid", "previous_case")
    if case is not None and previous.pk == case.pk:
        raise CaseError(_("Không thể liên kết vụ việc với chính nó."), "self_link", "previous_case")
    if previous.kind != kind:
        raise CaseError(_("Vụ việc trước phải cùng loại việc."), "kind_mismatch", "previous_case")
    if by is not None and not access.may_view(by, previous):
        raise CaseError(_("Bạn không có quyền xem vụ việc trước."), "forbidden", "previous_case")
    seen, cursor = set(), previous
    while cursor is not None:  # no cycles through earlier links
        if case is not None and cursor.pk == case.pk:
            raise CaseError(_("Liên kết tạo vòng lặp."), "cycle", "previous_case")
        if cursor.pk in seen:
            break
        seen.add(cursor.pk)
        cursor = cursor.previous_case


@transaction.atomic
def link_previous(case: Case, previous: Case, by, *, request=None) -> Case:
    """Tiếp khiếu / tiếp tố: link a repeated complaint or denunciation (or a second-time complaint) to the
    earlier case. Upper tiers watch such cases (flagged by the daily check)."""
    case = _lock(case)
    if by is not None:
        _require(access.may_write(by, case))
    _check_previous(case, previous, case.kind, by)
    case.previous_case = previous
    case.save(update_fields=["previous_case", "updated_at"])
    if case.is_secret or previous.is_secret:
        mark_secret(case)
    _audit(by, "link_previous", case, request, previous=str(previous.public_id))
    _announce(case, "linked")
    return case


@transaction.atomic
def split_case(case: Case, parts, by=None, *, request=None) -> list[Case]:
    """Tách đơn: a mixed matter becomes one case per part. The original takes the first part (kind, summary,
    field); each further part is a NEW case (same office, parties, dates, session) with ``split_from`` =
    the original. Allowed before any outcome (received, classified). Returns all the parts."""
    case = _lock(case)
    if by is not None:
        _require(access.may_write(by, case))
    if case.state not in workflow.SPLITTABLE_STATES:
        raise WorkflowError(_("Chỉ tách vụ việc trước khi quyết định xử lý."), "not_splittable", "parts")
    cleaned = workflow.validate_split_parts(parts, MatterKind.values, CaseField.values)
    if case.is_secret or any(part["kind"] == MatterKind.DENUNCIATION for part in cleaned):
        mark_secret(case)  # the same people in every part: all of them keep the secret
    first, rest = cleaned[0], cleaned[1:]
    case.kind, case.summary, case.field = first["kind"], first["summary"], first["field"]
    refresh_deadlines(case)
    case.save()
    siblings = [case]
    for part in rest:
        sibling = create_case(
            by=None, office=case.office, kind=part["kind"], summary=part["summary"], field=part["field"],
            people_count=case.people_count, is_group=case.is_group, source=case.source, session=case.session,
            registration=case.registration, received_on=case.received_on, is_complex=case.is_complex,
            handler=case.handler, split_from=case, request=request)
        siblings.append(sibling)
    _audit(by, "split", case, request, parts=[str(c.public_id) for c in siblings])
    _announce(case, "split")
    return siblings


# --- documents ------------------------------------------------------------------------------------------


@transaction.atomic
def add_document(case: Case, by, *, content: bytes, name: str = "", content_type: str = "",
                 request=None) -> CaseDocument:
    """Store a file of the case; a denunciation's file is encrypted before it reaches the storage."""
    if by is not None:
        _require(access.may_write(by, case))
    if not isinstance(content, bytes | bytearray) or not content:
        raise CaseError(_("Tệp rỗng hoặc không hợp lệ."), "invalid", "file")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise CaseError(_("Tệp quá lớn."), "too_large", "file")
    stored = filecrypto.encrypt_bytes(bytes(content)) if case.is_secret else bytes(content)
    document = CaseDocument(case=case, original_name=(name or "")[:255], content_type=(content_type or "")[:100],
                            size=len(content), encrypted=case.is_secret, uploaded_by=by)
    document.file.save("upload.bin", ContentFile(stored), save=False)
    document.save()
    _audit(by, "add_document", case, request, document=str(document.public_id), size=len(content),
           sha256=hashlib.sha256(content).hexdigest())
    return document


def read_document(document: CaseDocument, user, *, request=None) -> bytes:
    """The file's plaintext. A denunciation's files (handwriting, names) only for the handler and the head;
    every such read is audited."""
    case = document.case
    if user is not None:
        _require(access.may_view(user, case))
        if case.is_secret:
            _require(access.may_see_identity(user, case))
    with document.file.open("rb") as handle:
        blob = handle.read()
    if document.encrypted:
        blob = filecrypto.decrypt_bytes(blob)
    if document.encrypted or case.is_secret:
        record(actor=user, action="cases.read_document", obj=case, request=request,
               details={"case": str(case.public_id), "document": str(document.public_id)})
    return blob


def rotate_document(document: CaseDocument) -> bool:
    """Re-encrypt one encrypted file with the current first key: write the new file, point the row at it,
    then delete the old one (an interruption leaves at worst an orphan file, never a lost one)."""
    if not document.encrypted:
        return False
    storage = document.file.storage
    old_name = document.file.name
    with storage.open(old_name, "rb") as handle:
        rotated = filecrypto.rotate_bytes(handle.read())
    new_name = storage.save(case_path(document), ContentFile(rotated))
    with transaction.atomic():
        CaseDocument.objects.filter(pk=document.pk).update(file=new_name)
    transaction.on_commit(lambda: storage.delete(old_name))
    document.file.name = new_name
    return True


def case_path(document: CaseDocument) -> str:
    from cases.models import case_document_path

    return case_document_path(document, "")


# --- the daily deadline check ---------------------------------------------------------------------------

DEADLINE_LABELS = {
    "citizen_notice": gettext_lazy("thông báo cho công dân"),
    "acceptance": gettext_lazy("thụ lý"),
    "resolution": gettext_lazy("giải quyết"),
}


def _tracked_deadlines(case: Case) -> list[tuple[str, date]]:
    """The deadlines that still bind an open case in its state."""
    tracked = []
    if case.state in (CaseState.RECEIVED, CaseState.CLASSIFIED):
        if case.citizen_notice_due:
            tracked.append(("citizen_notice", case.citizen_notice_due))
        if case.acceptance_due:
            tracked.append(("acceptance", case.acceptance_due))
    elif case.state in (CaseState.ACCEPTED, CaseState.VERIFYING) and case.resolution_due:
        tracked.append(("resolution", case.resolution_due))
    return tracked


def _users_with_role(office: Office | None, roles) -> list:
    if office is None:
        return []
    ids = (RoleAssignment.objects.filter(office=office, role__in=list(roles), user__is_active=True)
           .values_list("user_id", flat=True).distinct())
    from accounts.models import User

    return list(User.objects.filter(pk__in=list(ids)).order_by("pk"))


def _upper_inspectors(case: Case) -> list:
    """Inspectors of the tier above (the office's parent); at the top, the office's own inspectors."""
    upper = case.office.parent or case.office
    return _users_with_role(upper, {Role.INSPECTOR})


def _claim(case: Case, kind: str, due: date) -> bool:
    """Record the alert once (unique case, kind, due date): False when it was already sent."""
    _alert, created = CaseAlert.objects.get_or_create(case=case, kind=kind, due_date=due)
    return created


def _send(users, case: Case, kind: str, due: date, title: str, body: str) -> int:
    from notifications.services import notify

    sent = 0
    for user in {u.pk: u for u in users if u is not None}.values():
        _n, created = notify(user, kind, title, body, f"case:{case.pk}:{kind}:{due.isoformat()}:{user.pk}", case=case)
        sent += created
    return sent


def _text(case: Case, template: str, **extra) -> str:
    # Number, kind, office and dates only: never a party's identity nor the content.
    return template % {"number": case.number, "kind": case.get_kind_display(), "office": case.office.name, **extra}


def _check_case(case: Case, today: date, counts: dict) -> None:
    handler_or_staff = [case.handler] if case.handler else _users_with_role(
        case.office, {Role.LEADER, Role.RECEPTION_OFFICER})
    leaders = _users_with_role(case.office, {Role.LEADER})
    for name, due in _tracked_deadlines(case):
        stage = deadlines.phase(due, today)
        if stage is None:
            continue
        label = DEADLINE_LABELS[name]
        if stage == "warning" and _claim(case, f"{name}.warning", due):
            counts["warnings"] += _send(
                handler_or_staff, case, f"case.{name}.warning",
                due, _text(case, _("Sắp đến hạn %(what)s vụ việc %(number)s"), what=label),
                _text(case, _("Vụ việc %(number)s (%(kind)s) tại %(office)s đến hạn %(what)s ngày %(due)s."),
                      what=label, due=due.strftime("%d/%m/%Y")))
        if stage in ("overdue", "escalation") and _claim(case, f"{name}.overdue", due):
            counts["overdue"] += _send(
                [*handler_or_staff, *leaders], case, f"case.{name}.overdue", due,
                _text(case, _("Quá hạn %(what)s vụ việc %(number)s"), what=label),
                _text(case, _("Vụ việc %(number)s (%(kind)s) tại %(office)s đã quá hạn %(what)s (hạn %(due)s)."),
                      what=label, due=due.strftime("%d/%m/%Y")))
        if stage == "escalation" and name in ("acceptance", "resolution") and _claim(case, f"{name}.escalation", due):
            counts["escalations"] += _send(
                _upper_inspectors(case), case, f"case.{name}.escalation", due,
                _text(case, _("Báo cáo cấp trên: vụ việc %(number)s quá hạn %(what)s"), what=label),
                _text(case, _("Vụ việc %(number)s (%(kind)s) tại %(office)s quá hạn %(what)s từ ngày %(due)s, "
                              "chưa được giải quyết."), what=label, due=due.strftime("%d/%m/%Y")))
            if case.escalated_at is None:
                case.escalated_at = timezone.now()
                Case.objects.filter(pk=case.pk, escalated_at__isnull=True).update(escalated_at=case.escalated_at)
                _audit(None, "escalate", case, None, deadline=name, due=due)
    for flag, applies, template in (
        ("group", case.is_group, _("Vụ việc đông người %(number)s (%(kind)s, %(people)s người) tại %(office)s.")),
        ("repeated", case.previous_case_id is not None,
         _("Vụ việc %(number)s (%(kind)s) tại %(office)s là đơn tiếp khiếu, tiếp tố.")),
    ):
        if applies and _claim(case, f"{flag}.flag", case.received_on):
            counts["flags"] += _send(
                _upper_inspectors(case), case, f"case.{flag}.flag", case.received_on,
                _text(case, _("Theo dõi vụ việc %(number)s"), people=case.people_count),
                _text(case, template, people=case.people_count))


def check_deadlines(today: date | None = None) -> dict:
    """For each open case: warn (the handler, or the office's leaders and officers when none is assigned)
    CASE_DEADLINE_WARNING_WORKING_DAYS working days before each deadline; alert the handler AND the
    office's leaders when it passes; CASE_ESCALATION_DELAY_DAYS later, notify the inspectors of the tier
    above; flag group and repeated cases to the tier above once. Idempotent: each alert is claimed in
    ``CaseAlert`` (unique case, kind, due date) in the same transaction as its notifications."""
    today = _today(today)
    counts = {"cases": 0, "warnings": 0, "overdue": 0, "escalations": 0, "flags": 0}
    for pk in Case.objects.open().order_by("pk").values_list("pk", flat=True).iterator():
        with transaction.atomic():
            case = (Case.objects.select_for_update(of=("self",)).select_related("office__parent", "handler")
                    .filter(pk=pk).first())
            if case is None or not case.is_open:
                continue
            counts["cases"] += 1
            _check_case(case, today, counts)
    return counts
