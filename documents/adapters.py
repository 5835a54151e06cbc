"""From models to the plain data the renderers take (documents/forms.py): minutes and their sections
(minutes app), the cases linked to them (cases app), the reception log of an office over a period.

Secrecy: the renderers redact any minutes section or log row of a denunciation by themselves; the notice
of conclusions and the receipt (one citizen each) are built here with the identity and content of a
denunciation replaced by ``REDACTED_TEXT``, so no export of the platform ever carries a denouncer's
identity or a denunciation's content (docs/documents.md, "Secrecy").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time

from django.utils import timezone

from accounts.models import IdDocumentType
from cases.models import Case
from cases.workflow import CaseState
from documents.forms import (
    REDACTED_TEXT,
    Addendum,
    CitizenInfo,
    HandedDocument,
    MinutesDoc,
    MinutesSection,
    NoticeOfConclusionsDoc,
    Participant,
    ReceiptDoc,
    ReceptionLogRow,
    Signer,
)
from minutes import services as minutes_services
from minutes.access import section_is_secret
from minutes.models import CitizenSection, Minutes, MinutesState

ROLE_NAMES = {"leader": "Lãnh đạo", "host": "Chủ trì", "site_responsible": "Phụ trách điểm cầu", "reception_officer": "Cán bộ tiếp công dân",
              "officer": "Cán bộ tiếp công dân", "secretary": "Thư ký", "inspector": "Thanh tra",
              "office_admin": "Quản trị", "citizen": "Công dân"}
ID_NAMES = dict(IdDocumentType.choices)


def _id_document(section: CitizenSection) -> str:
    if not section.id_document_number:
        return ""
    return f"{ID_NAMES.get(section.id_document_type, section.id_document_type or '')} {section.id_document_number}".strip()


def _documents(items) -> tuple[HandedDocument, ...]:
    return tuple(HandedDocument(title=str(i.get("title", "")), pages=i.get("pages"), condition=str(i.get("condition", "")))
                 for i in items or [])


def _host(minutes: Minutes) -> Signer | None:
    host = minutes.session.host
    return Signer(name=host.full_name, title="Chủ trì") if host else None


def _period(minutes: Minutes) -> tuple[datetime, datetime]:
    """Start and end as printed: what the secretary typed (a saved version of the field) wins; otherwise the
    reception's real times (minutes.services.reception_period: the session's close, the first admission),
    the planned end only when the session was not held."""
    period = minutes_services.reception_period(minutes.session)
    versions = minutes.versions or {}
    started = minutes.started_at if versions.get("started_at") and minutes.started_at else period.started_at
    ended = minutes.ended_at if versions.get("ended_at") and minutes.ended_at else period.ended_at
    return started, ended


def minutes_doc(minutes: Minutes) -> MinutesDoc:
    session = minutes.session
    office = session.host_office
    started_at, ended_at = _period(minutes)
    names = minutes_services.site_names(minutes)
    sections = list(minutes.sections.order_by("ordinal", "pk"))
    # Free text outside the sections may tell a denunciation: redacted in every export when the minutes hold
    # a denouncer's section (docs/secrecy.md).
    secret = any(section_is_secret(s) for s in sections)
    return MinutesDoc(
        office_name=office.name, parent_office_name=office.parent.name if office.parent_id else "",
        session_title=session.title, place=minutes.place or office.address or office.name,
        started_at=started_at, ended_at=ended_at,
        connected_sites=tuple(s.get("name") or names.get(s.get("office", ""), "") for s in minutes.sites or []),
        participants=tuple(Participant(name=p.get("name", ""), role=ROLE_NAMES.get(p.get("role"), p.get("role") or ""),
                                       site=names.get(p.get("site") or "", p.get("site") or ""))
                           for p in minutes.participants or []),
        sections=tuple(
            MinutesSection(citizen_name=s.citizen_name, id_document=_id_document(s), statement=s.statement,
                           documents=_documents(s.documents_handed_over), leader_answer=s.leader_answer,
                           conclusions=s.conclusions, kind=s.kind, confirmed_at=s.citizen_confirmed_at,
                           confirmed_via=s.citizen_confirmed_via, redacted=section_is_secret(s))
            for s in sections),
        receiver=_host(minutes) and Signer(name=session.host.full_name, title="Lãnh đạo chủ trì"),
        paper_signed=bool(minutes.paper_scan),
        finalized_sha256=minutes.sha256 if minutes.state == MinutesState.FINAL else "",
        addenda=tuple(Addendum(created_at=a.at, author=a.by.full_name if a.by_id else "",
                               text=REDACTED_TEXT if secret else a.text, sha256=a.sha256)
                      for a in minutes.addenda.select_related("by").order_by("at", "pk")),
        number=f"{minutes.pk}/BB-TCD", host=_host(minutes),
        secretary=Signer(name=minutes.finalized_by.full_name, title="Thư ký") if minutes.finalized_by_id else None,
    )


def _citizen(section: CitizenSection) -> CitizenInfo:
    if section_is_secret(section):
        return CitizenInfo(name=REDACTED_TEXT, address=REDACTED_TEXT, id_document=REDACTED_TEXT)
    return CitizenInfo(name=section.citizen_name, address=section.citizen_address, id_document=_id_document(section))


def _local_date(value: datetime | None) -> date:
    return timezone.localtime(value or timezone.now()).date()


def notice_doc(section: CitizenSection) -> NoticeOfConclusionsDoc:
    minutes = section.minutes
    office = minutes.session.host_office
    secret = section_is_secret(section)
    conclusions = [line for line in (section.conclusions or "").splitlines() if line.strip()]
    return NoticeOfConclusionsDoc(
        office_name=office.name, parent_office_name=office.parent.name if office.parent_id else "",
        number=f"{minutes.pk}-{section.ordinal}/TB-TCD", date=_local_date(minutes.finalized_at),
        citizen=_citizen(section), content_summary=REDACTED_TEXT if secret else section.statement,
        conclusions=(REDACTED_TEXT,) if secret else tuple(conclusions),
        signer=_host(minutes) or Signer(name=""), place=office.admin_unit_name or "",
        reception_date=_local_date(minutes.started_at or minutes.session.starts_at),
    )


def receipt_doc(section: CitizenSection) -> ReceiptDoc:
    minutes = section.minutes
    office = minutes.session.host_office
    documents = _documents(section.documents_handed_over)
    if section_is_secret(section):
        documents = tuple(HandedDocument(title=REDACTED_TEXT, pages=d.pages, condition=d.condition) for d in documents)
    receiver = minutes.finalized_by or minutes.session.host
    return ReceiptDoc(
        office_name=office.name, parent_office_name=office.parent.name if office.parent_id else "",
        date=_local_date(minutes.started_at or minutes.session.starts_at), citizen=_citizen(section),
        documents=documents, receiver=Signer(name=receiver.full_name if receiver else ""),
        place=office.admin_unit_name or "", number=f"{minutes.pk}-{section.ordinal}/BN")


def _handling(case: Case | None) -> dict:
    if case is None:
        return {}
    values = {"accepted": case.state in (CaseState.ACCEPTED, CaseState.VERIFYING, CaseState.CONCLUDED)
              or case.accepted_on is not None}
    if case.state == CaseState.GUIDED:
        values.update(guidance_body=case.guided_to_body, guidance_document_number=case.guidance_document_number)
    if case.state == CaseState.TRANSFERRED:
        values.update(transfer_body=case.transfer_to_office.name if case.transfer_to_office_id else "",
                      transfer_document_number=case.transfer_document_number)
    values["follow_up"] = f"{case.number}: {case.get_state_display()}"
    return values


def reception_log_rows(office, date_from: date, date_to: date) -> Iterator[ReceptionLogRow]:
    """One row per citizen received in the office's sessions between the dates (inclusive), in order,
    with the handling of the case opened from it. Streams: sections are read in chunks."""
    start = timezone.make_aware(datetime.combine(date_from, time.min))
    end = timezone.make_aware(datetime.combine(date_to, time.max))
    sections = (CitizenSection.objects
                .filter(minutes__session__host_office=office, minutes__session__starts_at__range=(start, end))
                .select_related("minutes__session").order_by("minutes__session__starts_at", "minutes_id", "ordinal", "pk"))
    ordinal = 0
    batch: list[CitizenSection] = []

    def rows(chunk):
        nonlocal ordinal
        cases = {c.public_id: c for c in Case.objects.filter(public_id__in=[s.case_public_id for s in chunk if s.case_public_id])
                 .select_related("transfer_to_office")}
        for s in chunk:
            ordinal += 1
            yield ReceptionLogRow(
                ordinal=ordinal, received_on=_local_date(s.minutes.started_at or s.minutes.session.starts_at),
                citizen_name=s.citizen_name, citizen_address=s.citizen_address, id_document=_id_document(s), summary=s.statement, kind=s.kind,
                redacted=section_is_secret(s), people_count=s.people_count, notes="", **_handling(cases.get(s.case_public_id)))

    for section in sections.iterator(chunk_size=500):
        batch.append(section)
        if len(batch) == 500:
            yield from rows(batch)
            batch = []
    if batch:
        yield from rows(batch)
