"""Renderers of the official outputs: PDF (WeasyPrint, Django templates), DOCX (python-docx) and the
reception log as a streamed XLSX (openpyxl write-only).

Every renderer takes the plain dataclasses of ``documents.forms`` and returns ``bytes`` (or writes to a
file object). The wording of the forms is the fixed Vietnamese of the circulars and of Nghị định
30/2020/NĐ-CP (thể thức văn bản): it is not translated with the UI language.

Secrecy of denouncers is enforced here, not by the caller: rows and minutes sections are printed only
through ``ReceptionLogRow.public_cells()`` / ``MinutesSection.visible()``.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from documents.forms import (
    CONFIRMATION_WAYS,
    HANDLING_COLUMNS,
    HANDLING_GROUP_HEADER,
    KIND_LABELS,
    RECEPTION_LOG_COLUMNS,
    RECEPTION_LOG_HEADERS,
    CitizenInfo,
    MinutesDoc,
    NoticeOfConclusionsDoc,
    ReceiptDoc,
    ReceptionLogRow,
    Signer,
    TransferLetterDoc,
)

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {
    ("normal", "normal"): "DejaVuSerif.ttf",
    ("bold", "normal"): "DejaVuSerif-Bold.ttf",
    ("normal", "italic"): "DejaVuSerif-Italic.ttf",
}
PDF_FONT_FAMILY = "TCD Serif"  # a private family name: the PDF can only use the vendored files
DOCX_FONT = "Times New Roman"
DOCX_FONT_SIZE_PT = 13

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_CONTENT_TYPE = "application/pdf"

# Rows of the XLSX sheet (1-based): title, office, period, blank, the 12 headers, the column numbers.
XLSX_HEADER_ROW = 5
XLSX_FIRST_DATA_ROW = 7


class DocumentError(DomainError):
    pass


# --- text helpers -------------------------------------------------------------------------------------

# Characters XML 1.0 cannot hold (python-docx and openpyxl refuse them); input text is user-provided.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(value) -> str:
    """Text as it may go into any output: ``None`` → "", control characters dropped."""
    if value is None:
        return ""
    return _XML_ILLEGAL.sub("", str(value))


def vn_date(d: date) -> str:
    """"ngày 05 tháng 3 năm 2026": the day below 10 and the months 1 and 2 take a leading zero
    (Nghị định 30/2020/NĐ-CP, Phụ lục I)."""
    day = f"{d.day:02d}"
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"ngày {day} tháng {month} năm {d.year}"


def date_line(place: str, d: date) -> str:
    """The place-and-date line under the motto: "Hà Nội, ngày 05 tháng 3 năm 2026"."""
    place = clean(place)
    return f"{place}, {vn_date(d)}" if place else vn_date(d).capitalize()


def _local(dt: datetime) -> datetime:
    return timezone.localtime(dt) if timezone.is_aware(dt) else dt


def vn_time(dt: datetime) -> str:
    """"08 giờ 30 phút, ngày 05 tháng 3 năm 2026" in the server time zone (Asia/Ho_Chi_Minh)."""
    dt = _local(dt)
    return f"{dt.hour:02d} giờ {dt.minute:02d} phút, {vn_date(dt.date())}"


def short_date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _signer(s: Signer | None) -> dict | None:
    return {"name": clean(s.name), "title": clean(s.title)} if s else None


def _citizen(c: CitizenInfo) -> dict:
    return {"name": clean(c.name), "address": clean(c.address), "id_document": clean(c.id_document)}


def _documents(docs) -> list[dict]:
    return [{"title": clean(d.title), "pages": d.pages if d.pages is not None else "", "condition": clean(d.condition)}
            for d in docs]


# --- PDF (WeasyPrint) ---------------------------------------------------------------------------------

def _font_faces() -> list[dict]:
    return [{"url": (FONTS_DIR / name).as_uri(), "weight": weight, "style": style}
            for (weight, style), name in FONT_FILES.items()]


def _url_fetcher():
    """WeasyPrint may read the vendored fonts and nothing else: no network (SSRF), no other file."""
    from weasyprint.urls import URLFetcher

    fonts_dir = FONTS_DIR

    class FontsOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith("file:"):
                raise ValueError(f"refused URL {url!r}")
            from urllib.request import url2pathname

            path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
            if path.parent != fonts_dir or not path.is_file():
                raise ValueError(f"refused URL {url!r}")
            return super().fetch(path.as_uri(), headers)

    return FontsOnlyFetcher(allowed_protocols=("file",), fail_on_errors=True)


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, {**context, "font_faces": _font_faces(), "font_family": PDF_FONT_FAMILY,
                                        "national_name": NATIONAL_NAME, "national_motto": NATIONAL_MOTTO})
    return HTML(string=html, base_url=FONTS_DIR.as_uri() + "/", url_fetcher=_url_fetcher()).write_pdf()


def _header(office_name: str, parent_office_name: str = "", number: str = "", place: str = "",
            on: date | None = None) -> dict:
    return {
        "parent_office": clean(parent_office_name).upper(),
        "office": clean(office_name).upper(),
        "office_name": clean(office_name),
        "number": clean(number),
        "date_line": date_line(place, on) if on else "",
    }


def _minutes_context(doc: MinutesDoc) -> dict:
    started = _local(doc.started_at)
    sections = []
    for s in doc.sections:
        v = s.visible()
        sections.append({
            "citizen_name": clean(v.citizen_name), "id_document": clean(v.id_document),
            "statement": clean(v.statement), "documents": _documents(v.documents),
            "leader_answer": clean(v.leader_answer), "conclusions": clean(v.conclusions),
            "redacted": s.is_redacted, "confirmation": _confirmation(s, doc.paper_signed),
        })
    receiver = _signer(doc.receiver or doc.host)
    return {
        "title": "BIÊN BẢN TIẾP CÔNG DÂN",
        "header": _header(doc.office_name, doc.parent_office_name, doc.number, "", None),
        "session_title": clean(doc.session_title),
        "place": clean(doc.place),
        "started": vn_time(started),
        "ended": vn_time(doc.ended_at) if doc.ended_at else "",
        "sites": [clean(s) for s in doc.connected_sites],
        "participants": [{"name": clean(p.name), "role": clean(p.role), "site": clean(p.site)} for p in doc.participants],
        "sections": sections,
        "sha256": clean(doc.finalized_sha256),
        "addenda": [{"at": vn_time(a.created_at), "author": clean(a.author), "text": clean(a.text),
                     "sha256": clean(a.sha256)} for a in doc.addenda],
        "host": _signer(doc.host),
        "secretary": _signer(doc.secretary),
        "receiver": receiver or {"name": "", "title": ""},
        "citizen_sign_label": CITIZEN_SIGN_LABEL, "receiver_sign_label": RECEIVER_SIGN_LABEL,
        "citizen_sign_hint": CITIZEN_SIGN_HINT, "sign_hint": SIGN_HINT,
    }


# The signature blocks of each citizen's part (DOMAIN.md, "What a reception records": the signatures or
# fingerprints of the citizen and the receiver).
CITIZEN_SIGN_LABEL = "CÔNG DÂN"
CITIZEN_SIGN_HINT = "(Ký, ghi rõ họ tên hoặc điểm chỉ)"
RECEIVER_SIGN_LABEL = "NGƯỜI TIẾP CÔNG DÂN"
SIGN_HINT = "(Ký, ghi rõ họ tên)"


def _confirmation(section, paper_signed: bool) -> str:
    """The line under the citizen's signature block: the online confirmation (time and way) if any."""
    if section.confirmed_at is not None:
        way = CONFIRMATION_WAYS.get(section.confirmed_via, clean(section.confirmed_via))
        text = f"Công dân đã xác nhận biên bản trực tuyến lúc {vn_time(section.confirmed_at)}"
        return f"{text}, {way}." if way else f"{text}."
    if paper_signed:
        return "Công dân ký trên biên bản giấy (bản quét đã được lưu)."
    return "Công dân chưa xác nhận biên bản trực tuyến."


def minutes_pdf(doc: MinutesDoc) -> bytes:
    """Biên bản tiếp công dân, A4 portrait."""
    return _pdf("documents/minutes.html", _minutes_context(doc))


def _notice_context(doc: NoticeOfConclusionsDoc) -> dict:
    return {
        "title": "THÔNG BÁO",
        "subtitle": "Kết luận của người đứng đầu về việc tiếp công dân",
        "header": _header(doc.office_name, doc.parent_office_name, doc.number, doc.place, doc.date),
        "citizen": _citizen(doc.citizen),
        "reception_date": vn_date(doc.reception_date) if doc.reception_date else "",
        "content_summary": clean(doc.content_summary),
        "conclusions": [clean(c) for c in doc.conclusions],
        "signer": _signer(doc.signer),
        "recipients": [clean(r) for r in doc.recipients],
    }


def notice_of_conclusions_pdf(doc: NoticeOfConclusionsDoc) -> bytes:
    """Thông báo kết luận, A4 portrait."""
    return _pdf("documents/notice.html", _notice_context(doc))


def receipt_pdf(doc: ReceiptDoc) -> bytes:
    """Giấy biên nhận (mẫu số 02), A4 portrait: two signature blocks (citizen, receiver)."""
    return _pdf("documents/receipt.html", {
        "title": "GIẤY BIÊN NHẬN",
        "subtitle": "Thông tin, tài liệu, bằng chứng",
        "header": _header(doc.office_name, doc.parent_office_name, doc.number, doc.place, doc.date),
        "at": vn_date(doc.date),
        "citizen": _citizen(doc.citizen),
        "documents": _documents(doc.documents),
        "receiver": _signer(doc.receiver),
    })


def _transfer_letter_context(doc: TransferLetterDoc) -> dict:
    v = doc.visible()
    kind = KIND_LABELS.get(v.petition_kind, clean(v.petition_kind)).lower()
    body = [f"Ngày {vn_date(v.received_on).removeprefix('ngày ')}, {clean(v.office_name)} nhận được đơn {kind} "
            f"của ông/bà {clean(v.petitioner)}" + (f", địa chỉ: {clean(v.address)}" if v.address else "") + "."]
    if v.source_line:
        body.append(f"Nguồn đơn: {clean(v.source_line)}.")
    body.append(f"Nội dung đơn: {clean(v.content_summary)}")
    if v.redacted:
        body.append("Thông tin về người tố cáo và nội dung tố cáo được giữ bí mật theo Điều 9 và Điều 56 Luật Tố cáo "
                    "năm 2018; đơn được gửi kèm trong phong bì niêm phong.")
    body.append(f"Căn cứ quy định của pháp luật, {clean(v.office_name)} chuyển đơn đến {clean(v.recipient)} để xem "
                "xét, giải quyết theo thẩm quyền và thông báo kết quả cho người gửi đơn theo quy định.")
    return {
        "title": "PHIẾU CHUYỂN ĐƠN",
        "subtitle": f"V/v chuyển đơn {kind}",
        "header": _header(v.office_name, v.parent_office_name, v.number, v.place, v.date),
        "recipient": clean(v.recipient),
        "body": body,
        "signer": _signer(v.signer),
        "recipients": [clean(v.recipient), "Người gửi đơn (để biết)" if not v.redacted else "Lưu hồ sơ", "Lưu: VT"],
    }


def transfer_letter_pdf(doc: TransferLetterDoc) -> bytes:
    """Phiếu chuyển đơn to a body outside the platform, A4 portrait."""
    return _pdf("documents/transfer_letter.html", _transfer_letter_context(doc))


def transfer_letter_docx(doc: TransferLetterDoc) -> bytes:
    """Phiếu chuyển đơn as DOCX (Times New Roman 13 pt, A4)."""
    c = _transfer_letter_context(doc)
    document = _new_docx()
    document.core_properties.title = c["title"]
    _docx_header(document, c["header"])
    _para(document, c["title"], align="center", bold=True, size=14, space_after=0)
    _para(document, c["subtitle"], align="center", bold=True)
    _para(document, f"Kính gửi: {c['recipient']}", align="center")
    for line in c["body"]:
        _para(document, line, align="justify")
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    _cell_text(left, [("Nơi nhận:", {"bold": True, "italic": True})] + [(f"- {r};", {}) for r in c["recipients"]],
               align="left")
    s = c["signer"]
    _cell_text(right, [(s["title"].upper(), {"bold": True}), ("", {}), ("", {}), ("", {}), (s["name"], {"bold": True})])
    return _docx_bytes(document)


def _max_pdf_rows() -> int:
    return int(getattr(settings, "DOCUMENTS_LOG_PDF_MAX_ROWS", 5000))


def reception_log_pdf(rows: Iterable[ReceptionLogRow], *, office_name: str = "", date_from: date | None = None,
                      date_to: date | None = None) -> bytes:
    """Sổ tiếp công dân (mẫu số 03), A4 landscape table. A PDF is laid out in memory: more than
    ``DOCUMENTS_LOG_PDF_MAX_ROWS`` rows are refused (typed 4xx); the XLSX has no such limit."""
    limit = _max_pdf_rows()
    cells = []
    for row in rows:
        if len(cells) >= limit:
            raise DocumentError(
                _("Sổ tiếp công dân quá dài để in PDF (tối đa %(n)s dòng); hãy thu hẹp khoảng thời gian hoặc "
                  "xuất Excel.") % {"n": limit}, "too_many_rows")
        c = row.public_cells()
        cells.append([str(c[0]), short_date(c[1]), *(clean(x) for x in c[2:])])
    headers = list(RECEPTION_LOG_HEADERS)
    return _pdf("documents/reception_log.html", {
        "title": "SỔ TIẾP CÔNG DÂN",
        "office": clean(office_name).upper(),
        "period": _period(date_from, date_to),
        "headers_before": headers[:HANDLING_COLUMNS[0]],
        "handling_group": HANDLING_GROUP_HEADER,
        "handling_headers": headers[HANDLING_COLUMNS[0]:HANDLING_COLUMNS[-1] + 1],
        "headers_after": headers[HANDLING_COLUMNS[-1] + 1:],
        "numbers": [f"({i})" for i in range(1, len(headers) + 1)],
        "rows": cells,
    })


def _period(date_from: date | None, date_to: date | None) -> str:
    if date_from and date_to:
        return f"Từ ngày {short_date(date_from)} đến ngày {short_date(date_to)}"
    if date_from:
        return f"Từ ngày {short_date(date_from)}"
    if date_to:
        return f"Đến ngày {short_date(date_to)}"
    return ""


# --- DOCX (python-docx) -------------------------------------------------------------------------------

_RPR_ORDER = (
    "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline", "shadow",
    "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern",
    "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em",
    "lang", "eastAsianLayout", "specVanish", "oMath",
)  # CT_RPr child order (ECMA-376): Word rejects a file whose run properties are out of order


def _rpr_set(rpr, name: str, value: str) -> None:
    """Set ``w:<name> w:val=value`` in a run-properties element, inserted at its schema position."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = rpr.find(qn(f"w:{name}"))
    if el is None:
        el = OxmlElement(f"w:{name}")
        rank = _RPR_ORDER.index(name)
        after = [c for c in rpr if c.tag.startswith("{") and c.tag.split("}")[1] in _RPR_ORDER
                 and _RPR_ORDER.index(c.tag.split("}")[1]) > rank]
        if after:
            after[0].addprevious(el)
        else:
            rpr.append(el)
    el.set(qn("w:val"), value)


def _docx_fonts(rpr, size_pt: float | None = None) -> None:
    """Times New Roman for every script (ascii, hAnsi, eastAsia, cs), the complex-script size and the
    language vi-VN, so Word does not fall back to another font for Vietnamese letters."""
    from docx.oxml.ns import qn

    fonts = rpr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)  # a theme font would override the explicit names
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), DOCX_FONT)
    if size_pt:
        _rpr_set(rpr, "sz", str(int(size_pt * 2)))
        _rpr_set(rpr, "szCs", str(int(size_pt * 2)))
    _rpr_set(rpr, "lang", "vi-VN")


def _new_docx():
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(20)
    normal = document.styles["Normal"]
    _docx_fonts(normal.element.get_or_add_rPr(), DOCX_FONT_SIZE_PT)
    normal.paragraph_format.space_after = Pt(4)
    # document defaults too (tables, headers and footers inherit from them)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr_default = defaults.find(qn("w:rPrDefault"))
        if rpr_default is not None and rpr_default.find(qn("w:rPr")) is not None:
            _docx_fonts(rpr_default.find(qn("w:rPr")), DOCX_FONT_SIZE_PT)
    return document


def _run(paragraph, text: str, *, bold=False, italic=False, underline=False, size: float | None = None):
    run = paragraph.add_run(clean(text))
    run.bold, run.italic, run.underline = bold or None, italic or None, underline or None
    _docx_fonts(run._element.get_or_add_rPr(), size)
    return run


def _para(container, text: str = "", *, align=None, bold=False, italic=False, size=None, space_after=None):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = container.add_paragraph()
    if align:
        p.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                       "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
    if space_after is not None:
        p.paragraph_format.space_after = Pt(space_after)
    if text:
        _run(p, text, bold=bold, italic=italic, size=size)
    return p


def _cell_text(cell, lines: list[tuple[str, dict]], align="center"):
    first = True
    for text, fmt in lines:
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        p.alignment = WD_ALIGN_PARAGRAPH.CENTER if align == "center" else WD_ALIGN_PARAGRAPH.LEFT
        p.paragraph_format.space_after = 0
        _run(p, text, **fmt)


def _docx_header(document, header: dict) -> None:
    """Quốc hiệu, tiêu ngữ and the issuing office side by side (a borderless two-column table)."""
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left_lines = []
    if header["parent_office"]:
        left_lines.append((header["parent_office"], {}))
    left_lines.append((header["office"], {"bold": True}))
    if header["number"]:
        left_lines.append((f"Số: {header['number']}", {}))
    _cell_text(left, left_lines)
    _cell_text(right, [(NATIONAL_NAME, {"bold": True}), (NATIONAL_MOTTO, {"bold": True, "underline": True})])
    if header["date_line"]:
        _para(document, header["date_line"], align="right", italic=True)


def _docx_signatures(document, blocks: list[tuple[str, dict | None]], hints: list[str] | None = None) -> None:
    hints = hints or ["(Ký, ghi rõ họ tên)"] * len(blocks)
    blocks = [(label, s, hint) for (label, s), hint in zip(blocks, hints, strict=True) if s is not None]
    if not blocks:
        return
    table = document.add_table(rows=1, cols=len(blocks))
    for cell, (label, s, hint) in zip(table.rows[0].cells, blocks, strict=True):
        lines = [(label, {"bold": True})]
        if s.get("title"):
            lines.append((s["title"], {"bold": True}))
        lines += [(hint, {"italic": True}), ("", {}), ("", {}), ("", {}), (s["name"], {"bold": True})]
        _cell_text(cell, lines)


def _docx_table(document, headers: list[str], rows: list[list[str]]):
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _cell_text(cell, [(text, {"bold": True})])
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            _cell_text(cell, [(str(text), {})], align="left")
    return table


def _docx_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def minutes_docx(doc: MinutesDoc) -> bytes:
    """Biên bản tiếp công dân as DOCX (Times New Roman 13 pt, A4)."""
    c = _minutes_context(doc)
    document = _new_docx()
    document.core_properties.title = c["title"]
    _docx_header(document, c["header"])
    _para(document, c["title"], align="center", bold=True, size=14)
    _para(document, c["session_title"], align="center", bold=True)
    _para(document, f"Thời gian bắt đầu: {c['started']}.")
    if c["ended"]:
        _para(document, f"Thời gian kết thúc: {c['ended']}.")
    _para(document, f"Địa điểm: {c['place']}.")
    if c["sites"]:
        _para(document, "Các điểm cầu kết nối: " + "; ".join(c["sites"]) + ".")
    _para(document, "I. THÀNH PHẦN THAM DỰ", bold=True)
    _docx_table(document, ["STT", "Họ và tên", "Vai trò", "Điểm cầu"],
                [[str(i), p["name"], p["role"], p["site"]] for i, p in enumerate(c["participants"], 1)])
    _para(document, "II. NỘI DUNG TIẾP CÔNG DÂN", bold=True)
    for i, s in enumerate(c["sections"], 1):
        _para(document, f"{i}. Công dân: {s['citizen_name']}", bold=True)
        if s["id_document"]:
            _para(document, f"Giấy tờ tùy thân: {s['id_document']}")
        _para(document, f"Nội dung trình bày: {s['statement']}", align="justify")
        if s["documents"]:
            _para(document, "Thông tin, tài liệu, bằng chứng công dân cung cấp:")
            _docx_table(document, ["STT", "Tên tài liệu", "Số trang", "Tình trạng"],
                        [[str(j), d["title"], str(d["pages"]), d["condition"]] for j, d in enumerate(s["documents"], 1)])
        _para(document, f"Ý kiến trả lời của người chủ trì: {s['leader_answer']}", align="justify")
        _para(document, f"Kết luận: {s['conclusions']}", align="justify")
        _docx_signatures(document, [(c["citizen_sign_label"], {"name": s["citizen_name"], "title": ""}),
                                    (c["receiver_sign_label"], c["receiver"])],
                         hints=[c["citizen_sign_hint"], c["sign_hint"]])
        _para(document, s["confirmation"], italic=True, size=11)
    if c["addenda"]:
        _para(document, "III. NỘI DUNG BỔ SUNG SAU KHI KHÓA BIÊN BẢN", bold=True)
        for a in c["addenda"]:
            _para(document, f"{a['at']} – {a['author']}: {a['text']}", align="justify")
    _docx_signatures(document, [("NGƯỜI GHI BIÊN BẢN", c["secretary"]), ("NGƯỜI CHỦ TRÌ", c["host"])])
    if c["sha256"]:
        _para(document, f"Mã kiểm tra (SHA-256) của biên bản đã khóa: {c['sha256']}", italic=True, size=9)
    return _docx_bytes(document)


def notice_of_conclusions_docx(doc: NoticeOfConclusionsDoc) -> bytes:
    """Thông báo kết luận as DOCX (Times New Roman 13 pt, A4)."""
    c = _notice_context(doc)
    document = _new_docx()
    document.core_properties.title = c["title"]
    _docx_header(document, c["header"])
    _para(document, c["title"], align="center", bold=True, size=14, space_after=0)
    _para(document, c["subtitle"], align="center", bold=True)
    received = f" {c['reception_date']}" if c["reception_date"] else ""
    _para(document, f"{c['header']['office_name']} đã tiếp công dân{received}:", align="justify")
    citizen = c["citizen"]
    _para(document, f"Ông/Bà: {citizen['name']}")
    if citizen["address"]:
        _para(document, f"Địa chỉ: {citizen['address']}")
    if citizen["id_document"]:
        _para(document, f"Giấy tờ tùy thân: {citizen['id_document']}")
    _para(document, f"Nội dung: {c['content_summary']}", align="justify")
    _para(document, "Kết luận:", bold=True)
    for i, text in enumerate(c["conclusions"], 1):
        _para(document, f"{i}. {text}", align="justify")
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    _cell_text(left, [("Nơi nhận:", {"bold": True, "italic": True})] + [(f"- {r};", {}) for r in c["recipients"]],
               align="left")
    s = c["signer"]
    _cell_text(right, [(s["title"].upper(), {"bold": True}), ("", {}), ("", {}), ("", {}), (s["name"], {"bold": True})])
    return _docx_bytes(document)


# --- XLSX (openpyxl write-only, streamed) -------------------------------------------------------------

_XLSX_WIDTHS = (6, 12, 30, 20, 40, 16, 20, 12, 28, 28, 24, 16)


def _text_cell(ws, value, style=None):
    """A string cell that is always text: openpyxl would store "=…" as a live formula (formula
    injection from user-provided text)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value if value != "" else None)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    if style:
        for k, v in style.items():
            setattr(cell, k, v)
    return cell


def reception_log_xlsx(rows: Iterable[ReceptionLogRow], out: IO[bytes] | str | Path, *, office_name: str = "",
                       date_from: date | None = None, date_to: date | None = None) -> int:
    """Write the sổ tiếp công dân (mẫu số 03) to ``out`` (a binary file object opened for writing, or a
    path) and return the number of rows written. openpyxl's write-only mode streams each row to a temporary
    XML file as it comes, so ``rows`` may be a generator of any length: memory stays flat."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("So tiep cong dan")
    for i, width in enumerate(_XLSX_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.print_title_rows = f"{XLSX_HEADER_ROW}:{XLSX_HEADER_ROW + 1}"
    ws.freeze_panes = f"A{XLSX_FIRST_DATA_ROW}"
    last = get_column_letter(len(RECEPTION_LOG_HEADERS))
    for r in (1, 2, 3):
        ws.merged_cells.add(f"A{r}:{last}{r}")

    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([_text_cell(ws, "SỔ TIẾP CÔNG DÂN", {"font": Font(bold=True, size=14), "alignment": center})])
    ws.append([_text_cell(ws, clean(office_name).upper(), {"font": Font(bold=True), "alignment": center})])
    ws.append([_text_cell(ws, _period(date_from, date_to), {"font": Font(italic=True), "alignment": center})])
    ws.append([])
    header_style = {"font": Font(bold=True), "alignment": center, "border": box}
    ws.append([_text_cell(ws, h, header_style) for h in RECEPTION_LOG_HEADERS])
    ws.append([_text_cell(ws, f"({i})", {"font": Font(italic=True), "alignment": center, "border": box})
               for i in range(1, len(RECEPTION_LOG_HEADERS) + 1)])

    from openpyxl.cell import WriteOnlyCell

    count = 0
    for row in rows:
        c = row.public_cells()
        day = WriteOnlyCell(ws, value=c[1])
        day.number_format = "DD/MM/YYYY"
        values = [c[0], day]
        for text in c[2:]:
            text = clean(text)
            values.append(None if not text else _text_cell(ws, text) if text.startswith("=") else text)
        ws.append(values)
        count += 1
    wb.save(out)
    return count


def reception_log_xlsx_file(rows: Iterable[ReceptionLogRow], *, spool_bytes: int = 8 * 1024 * 1024,
                            **header) -> tempfile.SpooledTemporaryFile:
    """The XLSX built into a SpooledTemporaryFile (in memory up to ``spool_bytes``, then on disk),
    rewound and ready to stream (``documents.views.file_response`` → ``FileResponse``). Built eagerly, so a
    failure is raised before any response header is sent. The caller (or FileResponse) closes it."""
    spool = tempfile.SpooledTemporaryFile(max_size=spool_bytes, mode="w+b")
    try:
        reception_log_xlsx(rows, spool, **header)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


def iter_file(f: IO[bytes], chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """Chunks of an open file, closing it at the end (for a StreamingHttpResponse)."""
    try:
        while chunk := f.read(chunk_size):
            yield chunk
    finally:
        f.close()


__all__ = [
    "DocumentError", "RECEPTION_LOG_COLUMNS", "XLSX_HEADER_ROW", "XLSX_FIRST_DATA_ROW",
    "minutes_pdf", "notice_of_conclusions_pdf", "receipt_pdf", "reception_log_pdf",
    "minutes_docx", "notice_of_conclusions_docx",
    "reception_log_xlsx", "reception_log_xlsx_file", "iter_file",
]
