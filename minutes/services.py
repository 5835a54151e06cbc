"""Every write to minutes (biên bản tiếp công dân) goes through here.

* :func:`open_minutes` creates the minutes of a session (idempotent) from the session and the live room,
  with one section per citizen received; :func:`add_section` adds a walk-in.
* :func:`save_header_field` / :func:`save_section_field`: the editor's autosave, with per-field optimistic
  versions (rules in docs/minutes.md, "Autosave"): a stale save never loses text.
* :func:`finalize` locks the minutes and stores the SHA-256 of their canonical form; :func:`verify`
  recomputes it. After locking only :func:`add_addendum` corrects; :func:`confirm_by_citizen` and
  :func:`attach_paper_scan` complete the record; :func:`link_case` / :func:`section_case_prefill` are the
  hooks for the cases app.

Each write is in one transaction with its audit entry (``audit.services.record``, never the text) and
announces itself on commit to the host office's event group.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import IdDocumentType
from audit.services import record
from core.errors import DomainError
from core.events import office_group, send_event_on_commit
from minutes import access
from minutes.models import (
    CitizenSection,
    ConfirmationWay,
    Minutes,
    MinutesAddendum,
    MinutesRevision,
    MinutesState,
    RevisionOutcome,
)
from scheduling.models import MatterKind, Registration, RegistrationStatus
from sessions.models import ReceptionSession, SessionStatus

CANONICAL_FORMAT = "tcd.minutes/1"
SCAN_CONTENT_TYPES = {"application/pdf": (b"%PDF-", ".pdf"), "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
                      "image/png": (b"\x89PNG\r\n\x1a\n", ".png")}
MAX_LIST_ITEMS = 200
# Sessions whose minutes may be opened: not before publication, not for one that will not take place.
MINUTES_SESSION_STATUSES = (SessionStatus.PUBLISHED, SessionStatus.OPEN, SessionStatus.HELD)
# Room roles that are staff (header participants); citizens are recorded in their sections.
ROOM_STAFF_ROLES = ("host", "leader", "officer", "secretary", "inspector")


class MinutesError(DomainError):
    pass


class MinutesStateError(MinutesError):
    """The minutes are in the wrong state for this action (locked, or not yet locked): 409."""

    status_code = 409


def max_text_chars() -> int:
    return int(getattr(settings, "MINUTES_MAX_TEXT_CHARS", 50_000))


def max_scan_bytes() -> int:
    return int(getattr(settings, "MINUTES_SCAN_MAX_BYTES", 20 * 1024 * 1024))


# --- Field specifications ------------------------------------------------------------------------------

def _invalid(field: str, message: str | None = None, code: str = "invalid") -> MinutesError:
    return MinutesError(message or _("Giá trị không hợp lệ."), code, field)


def _text(value, field):
    if not isinstance(value, str):
        raise _invalid(field, _("Nội dung phải là văn bản."))
    if len(value) > max_text_chars():
        raise MinutesError(_("Nội dung quá dài (tối đa %(n)s ký tự).") % {"n": max_text_chars()}, "too_long", field)
    if "\x00" in value:
        raise _invalid(field)
    return value


def _short(limit: int) -> Callable:
    def parse(value, field):
        if not isinstance(value, str) or "\x00" in value:
            raise _invalid(field, _("Nội dung phải là văn bản."))
        value = value.strip()
        if len(value) > limit:
            raise MinutesError(_("Nội dung quá dài (tối đa %(n)s ký tự).") % {"n": limit}, "too_long", field)
        return value
    return parse


def _choice(choices) -> Callable:
    def parse(value, field):
        if value not in ("", *choices):
            raise _invalid(field, _("Lựa chọn không hợp lệ."), "invalid_choice")
        return value
    return parse


def _bool(value, field):
    if not isinstance(value, bool):
        raise _invalid(field, _("Giá trị phải là đúng/sai."))
    return value


def _people(value, field):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise _invalid(field, _("Số người từ 1 đến 10000."), "out_of_range")
    return value


def _datetime(value, field):
    if value is None or value == "":
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise _invalid(field, _("Thời gian không hợp lệ (ISO 8601)."))
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _items(keys: dict[str, Callable], required: str) -> Callable:
    """A list of small objects (documents handed over, participants): known keys only, ``required`` set."""
    def parse(value, field):
        if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
            raise _invalid(field, _("Danh sách không hợp lệ (tối đa %(n)s mục).") % {"n": MAX_LIST_ITEMS})
        items = []
        for index, item in enumerate(value):
            name = f"{field}.{index}"
            if not isinstance(item, dict) or set(item) - set(keys):
                raise _invalid(name)
            clean = {key: parse_key(item.get(key), f"{name}.{key}") for key, parse_key in keys.items()}
            if not clean[required]:
                raise MinutesError(_("Thiếu thông tin bắt buộc."), "required", f"{name}.{required}")
            items.append(clean)
        return items
    return parse


def _opt_str(limit: int) -> Callable:
    def parse(value, field):
        return "" if value is None else _short(limit)(value, field)
    return parse


def _opt_int(value, field):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        raise _invalid(field, _("Số trang không hợp lệ."), "out_of_range")
    return value


DOCUMENT_KEYS = {"title": _opt_str(500), "pages": _opt_int, "condition": _opt_str(255)}


def _opt_user_id(value, field):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _invalid(field)
    return value


PARTICIPANT_KEYS = {"name": _opt_str(255), "role": _opt_str(32), "site": _opt_str(32), "user_id": _opt_user_id}


@dataclass(frozen=True)
class FieldSpec:
    kind: str  # "text": merged on conflict; "list": union on conflict; "scalar": refused on conflict
    parse: Callable[[Any, str], Any]


HEADER_FIELDS: dict[str, FieldSpec] = {
    "place": FieldSpec("text", _text),
    "notes": FieldSpec("text", _text),
    "started_at": FieldSpec("scalar", _datetime),
    "ended_at": FieldSpec("scalar", _datetime),
    "participants": FieldSpec("list", _items(PARTICIPANT_KEYS, "name")),
}
SECTION_FIELDS: dict[str, FieldSpec] = {
    "statement": FieldSpec("text", _text),
    "leader_answer": FieldSpec("text", _text),
    "conclusions": FieldSpec("text", _text),
    "citizen_name": FieldSpec("scalar", _short(255)),
    "citizen_address": FieldSpec("scalar", _short(500)),
    "identity_checked": FieldSpec("scalar", _bool),
    "id_document_type": FieldSpec("scalar", _choice(IdDocumentType.values)),
    "id_document_number": FieldSpec("scalar", _short(32)),
    "kind": FieldSpec("scalar", _choice(MatterKind.values)),
    "people_count": FieldSpec("scalar", _people),
    "documents_handed_over": FieldSpec("list", _items(DOCUMENT_KEYS, "title")),
}


def dump(value) -> Any:
    """A field value as JSON data (what the API returns and revisions store)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _serialize(value) -> str:
    value = dump(value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def merge_text(current: str, submitted: str, author: str, base_version: int) -> str:
    """The deterministic merge of a stale save of a text field; nothing is lost. If one text contains the
    other, the longer one is kept. Otherwise the two are compared line by line: every current line stays in
    place, and each run of submitted lines the current text lacks is inserted where it belongs, inside a
    visible conflict block (``<<<<<<< …`` / ``>>>>>>> …``) that the editors resolve by a normal save."""
    if submitted in current:
        return current
    if current in submitted:
        return submitted
    with translation.override(settings.LANGUAGE_CODE):
        head = "<<<<<<< " + _("XUNG ĐỘT: bản lưu đồng thời của %(name)s (sửa từ phiên bản %(v)s)") % {
            "name": author, "v": base_version}
        tail = ">>>>>>> " + _("HẾT XUNG ĐỘT")
    ours, theirs = current.split("\n"), submitted.split("\n")
    merged: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, ours, theirs, autojunk=False).get_opcodes():
        merged.extend(ours[i1:i2])  # equal, delete, replace: the stored lines stay
        added = theirs[j1:j2]
        if tag in ("insert", "replace") and any(line.strip() for line in added):
            merged.extend([head, *added, tail])
    return "\n".join(merged)


def merge_list(current: list, submitted: list) -> list:
    return list(current) + [item for item in submitted if item not in current]


# --- Helpers -------------------------------------------------------------------------------------------

def _require_edit(by, session) -> None:
    if not access.may_edit(by, session):
        raise MinutesError(_("Bạn không có quyền ghi biên bản của phiên tiếp này."), "forbidden")


def _lock_minutes(minutes_id: int) -> Minutes:
    minutes = (Minutes.objects.select_for_update(of=("self",)).select_related("session__host_office")
               .filter(pk=minutes_id).first())
    if minutes is None:
        raise MinutesError(_("Không tìm thấy biên bản."), "not_found")
    return minutes


def _require_draft(minutes: Minutes) -> None:
    if minutes.state != MinutesState.DRAFT:
        raise MinutesStateError(_("Biên bản đã khóa: chỉ có thể lập biên bản bổ sung."), "minutes_locked")


def _announce(minutes: Minutes, event_type: str, **payload) -> None:
    send_event_on_commit(office_group(minutes.session.host_office_id), event_type,
                         {"minutes": minutes.pk, "session": str(minutes.session.public_id), **payload})


def _room_participants(session: ReceptionSession) -> dict:
    from signaling.models import Room  # signaling sits beside us; only its stored state is read

    room = Room.objects.filter(session=session).only("state").first()
    return dict((room.state or {}).get("participants", {})) if room is not None else {}


def _header_participants(session: ReceptionSession, room: dict) -> list[dict]:
    """Staff taking part: the host, each site's responsible person, and staff who were in the room."""
    people: list[dict] = []
    seen: set[int] = set()

    def add(user_id, name, role, site):
        if user_id in seen:
            return
        seen.add(user_id)
        people.append({"user_id": user_id, "name": name or "", "role": role, "site": site or ""})

    if session.host_id:
        add(session.host_id, session.host.full_name, "host", session.host_office.code)
    for site in session.sites.all():
        if site.responsible_id:
            add(site.responsible_id, site.responsible.full_name, "site_responsible", site.office.code)
    for pid in sorted(room):
        p = room[pid]
        if p.get("role") in ROOM_STAFF_ROLES and p.get("status") not in ("refused", "removed"):
            add(p.get("user_id"), p.get("name"), p.get("role"), p.get("site"))
    return people


def _sites(session: ReceptionSession) -> list[dict]:
    sites = sorted(session.sites.all(), key=lambda s: (not s.is_host, s.office.path))
    return [{"office": s.office.code, "name": s.office.name, "tier": s.office.tier, "is_host": s.is_host}
            for s in sites]


def _next_ordinal(minutes: Minutes) -> int:
    return (minutes.sections.aggregate(m=Max("ordinal"))["m"] or 0) + 1


def _section_from_registration(minutes: Minutes, registration: Registration, ordinal: int,
                               room: dict) -> CitizenSection:
    citizen = registration.citizen
    profile = getattr(citizen, "citizen_profile", None)
    identity = next((p.get("identity") for p in room.values() if p.get("user_id") == citizen.pk
                     and p.get("role") == "citizen"), None)
    return CitizenSection.objects.create(
        minutes=minutes, ordinal=ordinal, registration=registration, citizen=citizen,
        citizen_name=citizen.full_name, citizen_address=profile.address if profile else "",
        identity_checked=identity == "matched",
        id_document_type=profile.id_document_type if profile else "",
        id_document_number=profile.id_document_number if profile else "",
        kind=registration.matter_kind, people_count=registration.people_count,
        statement=registration.matter_summary,
    )


def _sync(minutes: Minutes, session: ReceptionSession) -> int:
    """Bring a draft up to date with the session and the room: new staff participants and sites are added,
    and a section for each citizen received (attended, or admitted in the room) who has none yet. Nothing
    an editor wrote is changed. Returns the number of sections added."""
    room = _room_participants(session)
    known = {p.get("user_id") for p in minutes.participants}
    new_people = [p for p in _header_participants(session, room) if p["user_id"] not in known]
    known_sites = {s["office"] for s in minutes.sites}
    new_sites = [s for s in _sites(session) if s["office"] not in known_sites]
    if new_people or new_sites:
        minutes.participants = list(minutes.participants) + new_people
        minutes.sites = list(minutes.sites) + new_sites
        minutes.save(update_fields=["participants", "sites", "updated_at"])
    admitted = [p.get("user_id") for p in room.values()
                if p.get("role") == "citizen" and p.get("status") == "admitted" and p.get("user_id")]
    registrations = (Registration.objects.filter(session=session)
                     .filter(Q(status=RegistrationStatus.ATTENDED)
                             | Q(status=RegistrationStatus.CONFIRMED, citizen_id__in=admitted))
                     .exclude(minutes_sections__minutes=minutes)
                     .select_related("citizen__citizen_profile").order_by("slot_starts_at", "created_at", "pk"))
    ordinal, added = _next_ordinal(minutes), 0
    for registration in registrations:
        _section_from_registration(minutes, registration, ordinal, room)
        ordinal, added = ordinal + 1, added + 1
    return added


# --- Opening and sections ------------------------------------------------------------------------------

def open_minutes(session: ReceptionSession, by, request=None) -> Minutes:
    """The minutes of ``session``, created on first call (idempotent): header from the session (place =
    the host office, start time, connected sites, host and site staff) and the room (staff present), one
    section per citizen received. Calling again on a draft adds citizens and staff who arrived since."""
    with transaction.atomic():
        session = (ReceptionSession.objects.select_for_update(of=("self",))
                   .select_related("host_office", "host").get(pk=session.pk))
        if by is not None:  # None: the system itself (e.g. when the session opens)
            _require_edit(by, session)
        minutes = Minutes.objects.filter(session=session).first()
        created = minutes is None
        if created:
            if session.status not in MINUTES_SESSION_STATUSES:
                raise MinutesError(_("Phiên tiếp này không diễn ra: không lập biên bản."), "session_not_held",
                                   "session")
            office = session.host_office
            minutes = Minutes.objects.create(
                session=session, created_by=by, started_at=session.starts_at,
                place=", ".join(part for part in (office.name, office.address) if part),
            )
        minutes.session = session
        added = _sync(minutes, session) if minutes.state == MinutesState.DRAFT else 0
        if created:
            record(actor=by, action="minutes.open", obj=minutes, request=request,
                   details={"session": str(session.public_id), "sections": added})
            _announce(minutes, "minutes.opened")
        elif added:
            record(actor=by, action="minutes.sync", obj=minutes, request=request, details={"sections": added})
            _announce(minutes, "minutes.updated", field="sections", version=None)
    return minutes


def add_section(minutes: Minutes, by, *, citizen_name: str, kind: str = "", citizen=None,
                registration: Registration | None = None, citizen_address: str = "", id_document_type: str = "",
                id_document_number: str = "", people_count: int = 1, statement: str = "",
                request=None) -> CitizenSection:
    """A section for a citizen not (yet) in the minutes: a walk-in (no registration), or a registration of
    this session. ``citizen`` (their account, if any) is who may later confirm it."""
    if registration is not None:
        citizen = registration.citizen
        citizen_name = citizen_name or citizen.full_name
        kind = kind or registration.matter_kind
    values = {
        "citizen_name": SECTION_FIELDS["citizen_name"].parse(citizen_name, "citizen_name"),
        "citizen_address": SECTION_FIELDS["citizen_address"].parse(citizen_address, "citizen_address"),
        "kind": SECTION_FIELDS["kind"].parse(kind, "kind"),
        "id_document_type": SECTION_FIELDS["id_document_type"].parse(id_document_type, "id_document_type"),
        "id_document_number": SECTION_FIELDS["id_document_number"].parse(id_document_number,
                                                                         "id_document_number"),
        "people_count": SECTION_FIELDS["people_count"].parse(people_count, "people_count"),
        "statement": SECTION_FIELDS["statement"].parse(statement, "statement"),
    }
    if not values["citizen_name"]:
        raise MinutesError(_("Nhập họ và tên công dân."), "required", "citizen_name")
    with transaction.atomic():
        minutes = _lock_minutes(minutes.pk)
        _require_edit(by, minutes.session)
        _require_draft(minutes)
        if registration is not None:
            if registration.session_id != minutes.session_id:
                raise MinutesError(_("Đăng ký không thuộc phiên tiếp này."), "invalid", "registration")
            if minutes.sections.filter(registration=registration).exists():
                raise MinutesError(_("Công dân này đã có trong biên bản."), "duplicate", "registration")
        if citizen is not None and (citizen.role_assignments.exists() or not citizen.is_active):
            raise MinutesError(_("Tài khoản không phải của công dân."), "invalid", "citizen")
        secret = values["kind"] == "denunciation" or (registration is not None and registration.is_secret)
        section = CitizenSection.objects.create(minutes=minutes, ordinal=_next_ordinal(minutes),
                                                registration=registration, citizen=citizen,
                                                denouncer_secret=secret, **values)
        record(actor=by, action="minutes.add_section", obj=section, request=request,
               details={"minutes": minutes.pk, "ordinal": section.ordinal,
                        "registration": registration.pk if registration else None})
        _announce(minutes, "minutes.updated", section=section.pk, field="sections", version=None)
    return section


# --- Autosave ------------------------------------------------------------------------------------------

@dataclass
class SaveResult:
    field: str
    version: int
    outcome: str  # RevisionOutcome: accepted, merged (stale text/list save, both kept), conflict (refused)
    value: Any  # the stored value after the save (JSON data)
    submitted: Any
    revision_id: int
    section_id: int | None = None


def _check_request(specs: dict[str, FieldSpec], field, value, base_version) -> tuple[FieldSpec, Any]:
    if not isinstance(field, str) or field not in specs:
        raise MinutesError(_("Trường không tồn tại hoặc không được sửa: %(f)s.") % {"f": str(field)[:40]},
                           "unknown_field", "field")
    if isinstance(base_version, bool) or not isinstance(base_version, int) or base_version < 0:
        raise MinutesError(_("Phiên bản gốc phải là số nguyên không âm."), "invalid_version", "base_version")
    spec = specs[field]
    return spec, spec.parse(value, field)


def _save(minutes_id: int, section_id: int | None, by, field, value, base_version, request) -> SaveResult:
    spec, parsed = _check_request(SECTION_FIELDS if section_id else HEADER_FIELDS, field, value, base_version)
    with transaction.atomic():
        # The minutes row is the lock for every save of these minutes (and for finalize): saves are
        # serialised, so a field's version can neither be skipped nor reused.
        minutes = _lock_minutes(minutes_id)
        _require_edit(by, minutes.session)
        _require_draft(minutes)
        target: Minutes | CitizenSection = minutes
        if section_id is not None:
            target = CitizenSection.objects.select_for_update().filter(pk=section_id, minutes=minutes).first()
            if target is None:
                raise MinutesError(_("Không tìm thấy phần ghi của công dân."), "not_found")
        current_version = int(target.versions.get(field, 0))
        if base_version > current_version:
            raise MinutesError(_("Phiên bản gốc lớn hơn phiên bản hiện tại."), "version_ahead", "base_version")
        current = getattr(target, field)
        if base_version == current_version or dump(current) == dump(parsed):
            stored, outcome = parsed, RevisionOutcome.ACCEPTED
        elif spec.kind == "text":
            stored, outcome = merge_text(current, parsed, by.full_name or by.get_username(), base_version), \
                RevisionOutcome.MERGED
        elif spec.kind == "list":
            stored, outcome = merge_list(current, parsed), RevisionOutcome.MERGED
        else:
            stored, outcome = current, RevisionOutcome.CONFLICT
        version = current_version + 1
        target.versions = {**target.versions, field: version}
        setattr(target, field, stored)
        update_fields = [field, "versions"] + (["updated_at"] if section_id is None else [])
        if section_id is not None and field == "kind" and stored == "denunciation" and not target.denouncer_secret:
            target.denouncer_secret = True  # set once, never cleared (docs/secrecy.md)
            update_fields.append("denouncer_secret")
            _mark_case_secret(target)
        target.save(update_fields=update_fields)
        if section_id is not None:
            Minutes.objects.filter(pk=minutes.pk).update(updated_at=timezone.now())
        revision = MinutesRevision.objects.create(
            minutes=minutes, section_id=section_id, field=field, base_version=base_version, version=version,
            outcome=outcome, text=_serialize(parsed),
            result="" if dump(stored) == dump(parsed) else _serialize(stored), by=by,
        )
        record(actor=by, action="minutes.save", obj=target, request=request,
               details={"minutes": minutes.pk, "section": section_id, "field": field, "version": version,
                        "base_version": base_version, "outcome": outcome})
        _announce(minutes, "minutes.updated", section=section_id, field=field, version=version, outcome=outcome)
    return SaveResult(field=field, version=version, outcome=outcome, value=dump(stored), submitted=dump(parsed),
                      revision_id=revision.pk, section_id=section_id)


def save_header_field(minutes: Minutes | int, by, *, field: str, value, base_version: int,
                      request=None) -> SaveResult:
    """Autosave one header field (place, notes, started_at, ended_at, participants)."""
    return _save(getattr(minutes, "pk", minutes), None, by, field, value, base_version, request)


def save_section_field(section: CitizenSection | int, by, *, field: str, value, base_version: int,
                       request=None) -> SaveResult:
    """Autosave one field of a citizen's section (statement, documents, answer, conclusions, identity…)."""
    if isinstance(section, int):
        section = CitizenSection.objects.filter(pk=section).only("pk", "minutes_id").first()
        if section is None:
            raise MinutesError(_("Không tìm thấy phần ghi của công dân."), "not_found")
    return _save(section.minutes_id, section.pk, by, field, value, base_version, request)


# --- Finalize and verify -------------------------------------------------------------------------------

def _nfc(value):
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    return value


def canonical_form(minutes: Minutes) -> dict:
    """What the hash covers: everything the minutes say, in a fixed structure (sections by ordinal). The
    citizen's later confirmation, the case link, the paper scan and addenda are outside (they come after
    locking and carry their own audit entries / hashes)."""
    def when(value):
        return dump(value) if value is not None else None

    sections = []
    for s in minutes.sections.select_related("registration").order_by("ordinal"):
        sections.append({
            "ordinal": s.ordinal, "registration": str(s.registration.public_id) if s.registration_id else None,
            "citizen": s.citizen_id, "citizen_name": s.citizen_name, "citizen_address": s.citizen_address,
            "identity_checked": s.identity_checked, "id_document_type": s.id_document_type,
            "id_document_number": s.id_document_number, "kind": s.kind, "people_count": s.people_count,
            "statement": s.statement, "documents_handed_over": s.documents_handed_over,
            "leader_answer": s.leader_answer, "conclusions": s.conclusions,
        })
    return _nfc({
        "format": CANONICAL_FORMAT, "minutes": minutes.pk, "session": str(minutes.session.public_id),
        "host_office": minutes.session.host_office.code, "place": minutes.place,
        "started_at": when(minutes.started_at), "ended_at": when(minutes.ended_at), "sites": minutes.sites,
        "participants": minutes.participants, "notes": minutes.notes, "sections": sections,
        "finalized_at": when(minutes.finalized_at), "finalized_by": minutes.finalized_by_id,
    })


def canonical_bytes(minutes: Minutes) -> bytes:
    return json.dumps(canonical_form(minutes), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def compute_hash(minutes: Minutes) -> str:
    return hashlib.sha256(canonical_bytes(minutes)).hexdigest()


def _addendum_hash(previous: str, addendum: MinutesAddendum) -> str:
    body = json.dumps(_nfc({"previous": previous, "minutes": addendum.minutes_id, "section": addendum.section_id,
                            "at": dump(addendum.at), "by": addendum.by_id, "text": addendum.text}),
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def site_names(minutes: Minutes) -> dict[str, str]:
    """Office code → name for the sites and participants of the minutes (participants carry the code of
    their site; documents and pages print the name)."""
    from offices.models import Office

    names = {s.get("office", ""): s.get("name", "") for s in minutes.sites or [] if s.get("office")}
    missing = {p.get("site") for p in minutes.participants or [] if p.get("site") and p.get("site") not in names}
    if missing:
        names.update(Office.objects.filter(code__in=missing).values_list("code", "name"))
    return names


@dataclass(frozen=True)
class ReceptionPeriod:
    started_at: datetime
    ended_at: datetime
    held: bool  # False: the session was not (yet) closed, ``ended_at`` is the planned end


def reception_period(session: ReceptionSession) -> ReceptionPeriod:
    """When the reception really took place, from the session's history and the room's facts:

    * end: when the session was closed (its "held" event; the room's "ended" record if the history has
      none); the planned end only when the session was not held;
    * start: the planned start, or the first admission of a citizen when the leader began earlier; if the
      session ended before its planned start, when it was opened (the start never follows the end)."""
    from signaling.models import RoomRecord  # signaling sits beside us; its facts are only read here

    events = session.events.all()
    held_at = events.filter(to_status=SessionStatus.HELD).order_by("at").values_list("at", flat=True).first()
    opened_at = events.filter(to_status=SessionStatus.OPEN).order_by("at").values_list("at", flat=True).first()
    records = RoomRecord.objects.filter(room__session=session)
    if held_at is None and session.status == SessionStatus.HELD:
        held_at = records.filter(kind="ended").order_by("at").values_list("at", flat=True).first()
    admitted_at = records.filter(kind="admitted").order_by("at").values_list("at", flat=True).first()
    ended = held_at or session.ends_at
    started = min(session.starts_at, admitted_at) if admitted_at else session.starts_at
    if started > ended:
        started = min(t for t in (opened_at, admitted_at, ended) if t is not None)
    return ReceptionPeriod(started_at=started, ended_at=ended, held=held_at is not None)


def verify(minutes: Minutes) -> bool:
    """Recompute from the database: True if the locked minutes and their addenda chain are unchanged."""
    minutes = Minutes.objects.select_related("session__host_office").filter(pk=minutes.pk).first()
    if minutes is None or minutes.state != MinutesState.FINAL or not minutes.sha256:
        return False
    if compute_hash(minutes) != minutes.sha256:
        return False
    previous = minutes.sha256
    for addendum in minutes.addenda.order_by("at", "pk"):
        if _addendum_hash(previous, addendum) != addendum.sha256:
            return False
        previous = addendum.sha256
    return True


def finalize(minutes: Minutes, by, request=None) -> Minutes:
    """Lock the minutes (khóa biên bản): the SHA-256 of the canonical form is stored, and from now on only
    addenda correct them. The end time is not invented: when the session is already held it defaults to
    the real end (:func:`reception_period`); otherwise it stays empty (what the secretary typed counts) and
    the documents print the real end once the session is closed."""
    with transaction.atomic():
        minutes = _lock_minutes(minutes.pk)
        _require_edit(by, minutes.session)
        _require_draft(minutes)
        now = timezone.now()
        if minutes.ended_at is None and minutes.session.status == SessionStatus.HELD:
            minutes.ended_at = reception_period(minutes.session).ended_at
        minutes.state, minutes.finalized_at, minutes.finalized_by = MinutesState.FINAL, now, by
        minutes.sha256 = compute_hash(minutes)
        minutes.save(update_fields=["ended_at", "state", "finalized_at", "finalized_by", "sha256", "updated_at"])
        record(actor=by, action="minutes.finalize", obj=minutes, request=request,
               details={"sha256": minutes.sha256, "sections": minutes.sections.count()})
        _announce(minutes, "minutes.finalized", sha256=minutes.sha256)
    return minutes


def add_addendum(minutes: Minutes, by, text: str, section: CitizenSection | None = None,
                 request=None) -> MinutesAddendum:
    """Biên bản bổ sung: the one correction possible after locking, chained to the minutes' hash."""
    text = _text(text, "text").strip()
    if not text:
        raise MinutesError(_("Nhập nội dung bổ sung."), "required", "text")
    with transaction.atomic():
        minutes = _lock_minutes(minutes.pk)
        _require_edit(by, minutes.session)
        if minutes.state != MinutesState.FINAL:
            raise MinutesStateError(_("Biên bản chưa khóa: hãy sửa trực tiếp."), "minutes_not_final")
        if section is not None and section.minutes_id != minutes.pk:
            raise MinutesError(_("Phần ghi không thuộc biên bản này."), "invalid", "section")
        last = minutes.addenda.order_by("-at", "-pk").first()
        addendum = MinutesAddendum(minutes=minutes, section=section, text=text, by=by, at=timezone.now())
        addendum.sha256 = _addendum_hash(last.sha256 if last else minutes.sha256, addendum)
        addendum.save()
        record(actor=by, action="minutes.addendum", obj=minutes, request=request,
               details={"addendum": addendum.pk, "section": section.pk if section else None})
        _announce(minutes, "minutes.addendum", addendum=addendum.pk)
    return addendum


def confirm_by_citizen(section: CitizenSection, citizen_user, request=None,
                       via: str = ConfirmationWay.LOGIN) -> CitizenSection:
    """The citizen confirms their part of the locked minutes ("Tôi xác nhận biên bản"): once, timestamped,
    only the section's own citizen, with the way they came (``via``: their join link or their login; both
    are printed on the minutes). A second call returns the first confirmation unchanged."""
    if via not in ConfirmationWay.values:
        raise MinutesError(_("Cách xác nhận không hợp lệ."), "invalid", "via")
    with transaction.atomic():
        minutes = _lock_minutes(section.minutes_id)
        section = CitizenSection.objects.select_for_update().filter(pk=section.pk, minutes=minutes).first()
        if section is None:
            raise MinutesError(_("Không tìm thấy phần ghi của công dân."), "not_found")
        if not access.is_section_citizen(citizen_user, section):
            raise MinutesError(_("Chỉ công dân được ghi trong phần này mới có thể xác nhận."), "forbidden")
        if minutes.state != MinutesState.FINAL:
            raise MinutesStateError(_("Biên bản chưa khóa: chưa thể xác nhận."), "minutes_not_final")
        if section.citizen_confirmed_at is None:
            section.citizen_confirmed_at, section.citizen_confirmed_via = timezone.now(), via
            section.save(update_fields=["citizen_confirmed_at", "citizen_confirmed_via"])
            # A denouncer is not named in the trail's label (the audit views are not entitled to know them).
            record(actor=citizen_user, action="minutes.citizen_confirm", obj=section, request=request,
                   details={"minutes": minutes.pk, "section": section.pk, "via": via},
                   actor_label="citizen" if access.section_is_secret(section) else None)
            _announce(minutes, "minutes.confirmed", section=section.pk)
    return section


def attach_paper_scan(minutes: Minutes, by, upload, request=None) -> Minutes:
    """Store the scan of the signed (or fingerprinted) paper minutes: PDF, JPEG or PNG, at most
    MINUTES_SCAN_MAX_BYTES; the declared type must match the file's first bytes. A new upload replaces the
    reference (the audit keeps both hashes)."""
    if upload is None:
        raise MinutesError(_("Chọn tệp bản quét."), "required", "file")
    if upload.size is None or upload.size > max_scan_bytes():
        raise MinutesError(_("Tệp quá lớn (tối đa %(mb)s MB).") % {"mb": max_scan_bytes() // (1024 * 1024)},
                           "file_too_large", "file")
    if upload.size == 0:
        raise MinutesError(_("Tệp rỗng."), "empty_file", "file")
    content_type = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    magic, extension = SCAN_CONTENT_TYPES.get(content_type, (None, None))
    upload.seek(0)
    head = upload.read(len(magic) if magic else 0)
    if magic is None or head != magic:
        raise MinutesError(_("Chỉ nhận tệp PDF, JPEG hoặc PNG."), "unsupported_file_type", "file")
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    from django.core.files.base import ContentFile

    from cases import filecrypto

    # The signed paper carries every citizen's identity and what they said: encrypted at rest like case
    # files, under a random name.
    sealed = ContentFile(filecrypto.encrypt_bytes(upload.read()))
    with transaction.atomic():
        minutes = _lock_minutes(minutes.pk)
        _require_edit(by, minutes.session)
        if minutes.state != MinutesState.FINAL:
            raise MinutesStateError(_("Chỉ tải bản quét sau khi biên bản đã khóa."), "minutes_not_final")
        previous = minutes.paper_scan_sha256
        minutes.paper_scan.save(f"{uuid.uuid4().hex}.bin", sealed, save=False)
        minutes.paper_scan_encrypted = True
        minutes.paper_scan_sha256, minutes.paper_scan_content_type = digest.hexdigest(), content_type
        minutes.paper_scan_uploaded_at, minutes.paper_scan_uploaded_by = timezone.now(), by
        minutes.save(update_fields=["paper_scan", "paper_scan_sha256", "paper_scan_content_type",
                                    "paper_scan_uploaded_at", "paper_scan_uploaded_by", "paper_scan_encrypted",
                                    "updated_at"])
        record(actor=by, action="minutes.paper_scan", obj=minutes, request=request,
               details={"sha256": minutes.paper_scan_sha256, "previous": previous or None,
                        "size": upload.size, "content_type": content_type})
        _announce(minutes, "minutes.paper_scan")
    return minutes


def read_paper_scan(minutes: Minutes, user, request=None) -> bytes:
    """The scan's bytes for ``user``: staff of the host office; when the minutes hold a denouncer's section,
    only those the secrecy rule lets see every such section (``access.may_see_free_text``). Every read is
    audited (``minutes.read_paper_scan``)."""
    from cases import filecrypto

    if not access.may_view(user, minutes.session) or not access.may_see_free_text(user, minutes):
        raise MinutesError(_("Bạn không có quyền xem bản quét biên bản này."), "forbidden")
    with minutes.paper_scan.open("rb") as handle:
        blob = handle.read()
    if minutes.paper_scan_encrypted:
        blob = filecrypto.decrypt_bytes(blob)
    record(actor=user, action="minutes.read_paper_scan", obj=minutes, request=request,
           details={"minutes": minutes.pk, "sha256": minutes.paper_scan_sha256})
    return blob


# --- Hooks for the cases app ---------------------------------------------------------------------------

def section_case_prefill(section: CitizenSection) -> dict:
    """What ``cases.services.create_case_from_registration(registration, by, **overrides)`` needs to open a
    case from a citizen's section ("chuyển thành vụ việc"). Holds personal data: never log it."""
    return {
        "registration_id": section.registration_id,
        "kind": section.kind,
        "summary": section.statement,
        "people_count": section.people_count,
        "citizen_id": section.citizen_id,
        "citizen_name": section.citizen_name,
        "citizen_address": section.citizen_address,
        "id_document_type": section.id_document_type,
        "id_document_number": section.id_document_number,
        "minutes_id": section.minutes_id,
        "section_id": section.pk,
    }


def _mark_case_secret(section: CitizenSection) -> None:
    if section.case_public_id:
        from cases import services as case_services
        from cases.models import Case

        case = Case.objects.filter(public_id=section.case_public_id).first()
        if case is not None:
            case_services.mark_secret(case)


def link_case(section: CitizenSection, case_public_id, by=None, request=None) -> CitizenSection:
    """Remember the case created from this section (a loose link: no foreign key across apps). Allowed
    after locking (it is not part of the hashed content). ``by`` None: the system (the cases service)."""
    try:
        case_public_id = uuid.UUID(str(case_public_id))
    except ValueError:
        raise MinutesError(_("Mã vụ việc không hợp lệ."), "invalid", "case_public_id") from None
    with transaction.atomic():
        minutes = _lock_minutes(section.minutes_id)
        if by is not None:
            _require_edit(by, minutes.session)
        section = CitizenSection.objects.select_for_update().get(pk=section.pk)
        if section.case_public_id not in (None, case_public_id):
            raise MinutesError(_("Phần ghi này đã gắn với một vụ việc khác."), "already_linked", "case_public_id")
        if section.case_public_id is None:
            section.case_public_id = case_public_id
            section.save(update_fields=["case_public_id"])
            from cases.models import Case

            case = Case.objects.filter(public_id=case_public_id).first()
            if case is not None and (case.is_secret or access.section_is_secret(section)):
                from cases import services as case_services

                case_services.mark_secret(case)  # the section, the case and its lineage keep the secret
            record(actor=by, action="minutes.link_case", obj=section, request=request,
                   details={"minutes": minutes.pk, "case": str(case_public_id)})
            _announce(minutes, "minutes.updated", section=section.pk, field="case_public_id", version=None)
    return section


def create_case_from_section(section: CitizenSection, by, request=None):
    """One click: the citizen's section becomes a pre-filled case of the host office (``cases``), linked both
    ways (the case keeps the session and registration; the section keeps the case's public id). What the
    secretary wrote wins over the registration: kind, the statement as the summary, the people count and
    the identity checked at the reception. Refused when the section already has a case."""
    from cases import services as case_services
    from cases.models import CaseSource

    with transaction.atomic():
        minutes = _lock_minutes(section.minutes_id)
        _require_edit(by, minutes.session)
        section = CitizenSection.objects.select_for_update(of=("self",)).select_related(
            "registration", "citizen").get(pk=section.pk)
        if section.case_public_id is not None:
            raise MinutesError(_("Phần ghi này đã được chuyển thành vụ việc."), "already_linked")
        if not section.kind:
            raise MinutesError(_("Hãy chọn loại việc trước khi tạo vụ việc."), "required", "kind")
        prefill = section_case_prefill(section)
        identity = {"full_name": prefill["citizen_name"], "address": prefill["citizen_address"],
                    "id_number": prefill["id_document_number"]}
        values = {"kind": prefill["kind"], "summary": prefill["summary"] or "", "people_count": prefill["people_count"]}
        if section.registration_id:
            case = case_services.create_case_from_registration(section.registration, by, identity=identity,
                                                               request=request, **values)
        else:
            session = minutes.session
            party = {**identity, "user": section.citizen,
                     "contact": (section.citizen.phone or section.citizen.email or "") if section.citizen_id else ""}
            case = case_services.create_case(
                by=by, office=session.host_office, source=CaseSource.SESSION, session=session,
                parties=[party], received_on=timezone.localtime(minutes.started_at or session.starts_at).date(),
                request=request, **values)
        link_case(section, case.public_id, by=by, request=request)
    return case
