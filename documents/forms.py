"""Plain data for the official outputs (văn bản, biểu mẫu). The renderers in ``documents.render`` take
these dataclasses, never models: the adapters from ``cases`` / ``minutes`` models are written elsewhere.

Forms covered:

* ``MinutesDoc`` – biên bản tiếp công dân (minutes of a reception session);
* ``NoticeOfConclusionsDoc`` – thông báo kết luận (notice of conclusions of the head);
* ``ReceiptDoc`` – giấy biên nhận, mẫu số 02 (receipt of documents handed over);
* ``ReceptionLogRow`` – one row of the sổ tiếp công dân, mẫu số 03, Thông tư 04/2021/TT-TTCP.

Secrecy of denouncers (Luật Tố cáo 2018, điều 9 và 56): a ``ReceptionLogRow`` (or a ``MinutesSection``)
that is ``redacted`` or whose kind is a denunciation (tố cáo) is shown with ``REDACTED_TEXT`` in every
identifying or content column. The renderers call ``public_cells()`` / ``visible()`` themselves; the caller
cannot opt out by leaving the real values in the fields.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

REDACTED_TEXT = "[Được giữ bí mật]"

# Kinds of petition (phân loại đơn). Codes as in the cases app; any other string is shown as given.
KIND_LABELS: dict[str, str] = {
    "complaint": "Khiếu nại",
    "denunciation": "Tố cáo",
    "petition": "Kiến nghị",
    "report": "Phản ánh",
    "mixed": "Nhiều nội dung",
}
DENUNCIATION = "denunciation"

# How a citizen confirmed the locked minutes online (minutes.models.ConfirmationWay), as printed.
CONFIRMATION_WAYS: dict[str, str] = {
    "join_link": "qua đường dẫn tham gia phiên tiếp",
    "login": "sau khi đăng nhập tài khoản",
}

# THE 12 columns of the sổ tiếp công dân (mẫu số 03, Thông tư 04/2021/TT-TTCP): (Vietnamese header, English).
# Columns 8–10 are the three outcomes grouped under "Hướng xử lý" in the printed form.
RECEPTION_LOG_COLUMNS: tuple[tuple[str, str], ...] = (
    ("STT", "Ordinal"),
    ("Ngày tiếp", "Date of reception"),
    ("Họ tên, địa chỉ", "Name and address"),
    ("Số CCCD/Hộ chiếu hoặc giấy tờ tùy thân", "ID document (CCCD / passport / other)"),
    ("Tóm tắt nội dung vụ việc", "Summary of the content"),
    ("Phân loại vụ việc/Số người", "Classification / number of people"),
    ("Cơ quan đã giải quyết", "Bodies that already handled it"),
    ("Thụ lý để giải quyết", "Accepted for resolution"),
    ("Trả lại đơn và hướng dẫn (cơ quan, số văn bản hướng dẫn)", "Returned with guidance (body, guidance document no.)"),
    ("Chuyển đơn (cơ quan có thẩm quyền, số văn bản chuyển)", "Transferred (competent body, transfer document no.)"),
    ("Theo dõi kết quả giải quyết", "Follow-up of the result"),
    ("Ghi chú", "Notes"),
)
RECEPTION_LOG_HEADERS: tuple[str, ...] = tuple(vi for vi, _en in RECEPTION_LOG_COLUMNS)
HANDLING_GROUP_HEADER = "Hướng xử lý"  # spans columns 8–10 in the PDF
HANDLING_COLUMNS = (7, 8, 9)  # 0-based indices of the columns under HANDLING_GROUP_HEADER
REDACTED_COLUMNS = (2, 3, 4)  # name and address, ID document, summary of the content


@dataclass(frozen=True)
class HandedDocument:
    """A document handed over by the citizen (tài liệu, bằng chứng): listed in the receipt and the minutes."""

    title: str
    pages: int | None = None
    condition: str = ""  # tình trạng: "bản gốc", "bản sao công chứng", "bản photo"...


@dataclass(frozen=True)
class Signer:
    """Who signs a document (name, function)."""

    name: str
    title: str = ""  # chức vụ, e.g. "Chủ tịch Ủy ban nhân dân"


@dataclass(frozen=True)
class Participant:
    name: str
    role: str  # vai trò: "Chủ trì", "Cán bộ tiếp công dân", "Thư ký", "Công dân"...
    site: str = ""  # điểm cầu


@dataclass(frozen=True)
class MinutesSection:
    """One case in the minutes: the citizen, what they said, what they handed over, the leader's answer."""

    citizen_name: str
    id_document: str = ""
    statement: str = ""
    documents: tuple[HandedDocument, ...] = ()
    leader_answer: str = ""
    conclusions: str = ""
    kind: str = ""  # a KIND_LABELS code; a denunciation is always redacted
    redacted: bool = False
    confirmed_at: datetime | None = None  # the citizen's online confirmation of the locked minutes
    confirmed_via: str = ""  # a CONFIRMATION_WAYS code: "join_link", "login" ("" = not confirmed online)

    @property
    def is_redacted(self) -> bool:
        return self.redacted or self.kind == DENUNCIATION

    def visible(self) -> MinutesSection:
        """The section as it may be printed: every free text replaced when redacted (a denunciation's
        content identifies the denouncer as much as the name does)."""
        if not self.is_redacted:
            return self
        return replace(
            self, citizen_name=REDACTED_TEXT, id_document=REDACTED_TEXT, statement=REDACTED_TEXT,
            documents=tuple(replace(d, title=REDACTED_TEXT) for d in self.documents),
            leader_answer=REDACTED_TEXT, conclusions=REDACTED_TEXT)


@dataclass(frozen=True)
class Addendum:
    """A note added after the minutes were finalized (bổ sung biên bản); the original is never edited."""

    created_at: datetime
    author: str
    text: str
    sha256: str = ""


@dataclass(frozen=True)
class MinutesDoc:
    """Biên bản tiếp công dân (minutes of one reception session)."""

    office_name: str
    session_title: str
    place: str
    started_at: datetime
    ended_at: datetime | None = None
    connected_sites: tuple[str, ...] = ()
    participants: tuple[Participant, ...] = ()
    sections: tuple[MinutesSection, ...] = ()
    finalized_sha256: str = ""
    addenda: tuple[Addendum, ...] = ()
    number: str = ""  # số biên bản, if any
    parent_office_name: str = ""  # cơ quan chủ quản, printed above the office name
    host: Signer | None = None  # người chủ trì
    secretary: Signer | None = None  # thư ký / người ghi biên bản
    receiver: Signer | None = None  # người tiếp công dân, who signs beside each citizen (default: the host)
    paper_signed: bool = False  # the signed (or fingerprinted) paper minutes were scanned and stored


@dataclass(frozen=True)
class CitizenInfo:
    name: str
    address: str = ""
    id_document: str = ""  # "CCCD số 001203004567, cấp ngày ..."


@dataclass(frozen=True)
class NoticeOfConclusionsDoc:
    """Thông báo kết luận của người đứng đầu về việc tiếp công dân."""

    office_name: str
    number: str
    date: date
    citizen: CitizenInfo
    content_summary: str
    conclusions: tuple[str, ...]
    signer: Signer
    place: str = ""  # địa danh in "…, ngày … tháng … năm …"
    parent_office_name: str = ""
    reception_date: date | None = None  # the day the citizen was received
    recipients: tuple[str, ...] = ()  # nơi nhận


@dataclass(frozen=True)
class ReceiptDoc:
    """Giấy biên nhận thông tin, tài liệu, bằng chứng (mẫu số 02)."""

    office_name: str
    date: date
    citizen: CitizenInfo
    documents: tuple[HandedDocument, ...]
    receiver: Signer
    place: str = ""
    number: str = ""
    parent_office_name: str = ""


@dataclass(frozen=True)
class ReceptionLogRow:
    """One row of the sổ tiếp công dân (mẫu số 03). ``public_cells()`` gives the 12 printed cells."""

    ordinal: int
    received_on: date
    citizen_name: str
    citizen_address: str = ""
    id_document: str = ""
    summary: str = ""
    kind: str = ""  # a KIND_LABELS code (or a label)
    people_count: int = 1
    previously_handled_by: str = ""
    accepted: bool = False  # thụ lý để giải quyết
    guidance_body: str = ""  # trả lại đơn và hướng dẫn: cơ quan
    guidance_document_number: str = ""
    transfer_body: str = ""  # chuyển đơn: cơ quan có thẩm quyền
    transfer_document_number: str = ""
    follow_up: str = ""
    notes: str = ""
    redacted: bool = False

    @property
    def is_redacted(self) -> bool:
        return self.redacted or self.kind == DENUNCIATION

    def public_cells(self) -> tuple:
        """The 12 cells, in RECEPTION_LOG_COLUMNS order, with the redaction applied. Cell 1 is the date
        (a ``date``), cell 0 an int, the rest strings."""
        if self.is_redacted:
            name_address, id_doc, summary = REDACTED_TEXT, REDACTED_TEXT, REDACTED_TEXT
        else:
            name_address = ", ".join(p for p in (self.citizen_name, self.citizen_address) if p)
            id_doc, summary = self.id_document, self.summary
        kind = KIND_LABELS.get(self.kind, self.kind)
        classification = f"{kind}/{self.people_count} người" if kind else f"{self.people_count} người"
        guidance = _join(self.guidance_body, self.guidance_document_number, "Số VB")
        transfer = _join(self.transfer_body, self.transfer_document_number, "Số VB")
        return (
            self.ordinal, self.received_on, name_address, id_doc, summary, classification,
            self.previously_handled_by, "Thụ lý" if self.accepted else "", guidance, transfer,
            self.follow_up, self.notes,
        )


def _join(body: str, number: str, number_label: str) -> str:
    if body and number:
        return f"{body}; {number_label}: {number}"
    if number:
        return f"{number_label}: {number}"
    return body


@dataclass(frozen=True)
class TransferLetterDoc:
    """Phiếu / văn bản chuyển đơn to a competent body outside the platform (issue 16). For a denunciation
    ``redacted`` hides the denouncer and the content (sent in a sealed enclosure, Law on Denunciation 2018,
    art. 9 and 56)."""

    office_name: str
    number: str  # the transfer document's number
    date: date
    recipient: str  # the competent body (free text)
    petition_kind: str  # kind code (KIND_LABELS)
    received_on: date
    petitioner: str  # name(s) of the petitioner(s)
    address: str
    content_summary: str
    signer: Signer
    source_line: str = ""  # how the letter reached the office (post, the press, …, their number and date)
    place: str = ""
    parent_office_name: str = ""
    redacted: bool = False

    def visible(self) -> TransferLetterDoc:
        if self.redacted or self.petition_kind == DENUNCIATION:
            return replace(self, petitioner=REDACTED_TEXT, address="", content_summary=REDACTED_TEXT, redacted=True)
        return self
