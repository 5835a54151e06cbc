"""The transfer letter (phiếu chuyển đơn) of a case transferred to a body outside the platform, built from the
case and rendered by ``documents.render``. A denunciation's letter never names the denouncer nor tells the
content (``TransferLetterDoc.visible``), whoever asks for it."""

from __future__ import annotations

from accounts.models import Role
from audit.services import record
from cases import access as case_access
from core.errors import DomainError
from documents import render
from documents.forms import Signer, TransferLetterDoc
from followup.models import IncomingLetter


def letter_doc(case) -> TransferLetterDoc:
    parties = list(case.parties.all())
    leaders = case.office.role_assignments.filter(role=Role.LEADER).select_related("user").order_by("pk")
    head = leaders.first()
    letter = IncomingLetter.objects.filter(case=case).first()
    source_line = ""
    if letter is not None:
        source_line = letter.get_source_display()
        if letter.sender_body:
            source_line += f" ({letter.sender_body}"
            if letter.their_number:
                source_line += f", văn bản số {letter.their_number}"
            if letter.their_date:
                source_line += f" ngày {letter.their_date.strftime('%d/%m/%Y')}"
            source_line += ")"
    return TransferLetterDoc(
        office_name=case.office.name, number=case.transfer_document_number,
        date=case.updated_at.date(), recipient=case.transfer_to_body or getattr(case.transfer_to_office, "name", ""),
        petition_kind=case.kind, received_on=case.received_on,
        petitioner=", ".join(p.full_name for p in parties) or "(không ghi tên)",
        address=parties[0].address if parties else "", content_summary=case.summary,
        signer=Signer(name=head.user.full_name if head else "", title="Thủ trưởng cơ quan"),
        source_line=source_line, place=getattr(case.office, "admin_unit_name", "") or "",
        parent_office_name=case.office.parent.name if case.office.parent_id else "",
        redacted=case.is_secret)


def export_letter(case, user, fmt: str, request=None) -> tuple[bytes, str]:
    """The letter as PDF or DOCX for whoever may write the case; audited ``documents.export``."""
    if fmt not in ("pdf", "docx"):
        raise DomainError("Định dạng không hợp lệ.", "invalid_choice", "format")
    if not case_access.may_write(user, case):
        raise DomainError("Bạn không có quyền xuất văn bản của vụ việc này.", "forbidden")
    if case.state != "transferred" or not case.transfer_to_body:
        raise DomainError("Vụ việc không chuyển đơn ra ngoài hệ thống.", "not_transferred_outside")
    doc = letter_doc(case)
    data = render.transfer_letter_pdf(doc) if fmt == "pdf" else render.transfer_letter_docx(doc)
    record(actor=user, action="documents.export", obj=case, request=request,
           details={"document": f"transfer_letter.{fmt}", "case": str(case.public_id)})
    content_type = render.PDF_CONTENT_TYPE if fmt == "pdf" else render.DOCX_CONTENT_TYPE
    return data, content_type
