"""Official outputs (documents app): PDF (WeasyPrint), DOCX (python-docx), streamed XLSX (openpyxl).

Checks on the real files: text extracted with pypdf keeps Vietnamese diacritics, the fonts are embedded, the
12 columns of form 03 have their exact headers, and a denunciation is redacted in every output even when the
caller passed the real identity."""

from __future__ import annotations

import html
import io
import tracemalloc
import unicodedata
import zipfile
from datetime import UTC, date, datetime

import docx
import openpyxl
import pypdf
import pytest
from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from documents import render
from documents.forms import (
    RECEPTION_LOG_COLUMNS,
    RECEPTION_LOG_HEADERS,
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
from documents.views import content_disposition, file_response

HUONG = "Nguyễn Thị Hường"
VIET = "Đặng Quốc Việt"
NGU = "Trần Văn Ngữ"
# A denouncer: their identity and the content must never reach an output.
DENOUNCER = "Lương Thế Khải"
DENOUNCER_ADDRESS = "Số 17 ngõ Quỳnh, phường Bạch Mai"
DENOUNCER_ID = "CCCD 038095007788"
DENUNCIATION = "Tố cáo ông Hoàng Bá Lộc nhận hối lộ khi cấp phép xây dựng"

EXPECTED_HEADERS = [
    "STT",
    "Ngày tiếp",
    "Họ tên, địa chỉ",
    "Số CCCD/Hộ chiếu hoặc giấy tờ tùy thân",
    "Tóm tắt nội dung vụ việc",
    "Phân loại vụ việc/Số người",
    "Cơ quan đã giải quyết",
    "Thụ lý để giải quyết",
    "Trả lại đơn và hướng dẫn (cơ quan, số văn bản hướng dẫn)",
    "Chuyển đơn (cơ quan có thẩm quyền, số văn bản chuyển)",
    "Theo dõi kết quả giải quyết",
    "Ghi chú",
]


def minutes_doc(**overrides) -> MinutesDoc:
    data = dict(
        office_name="Ủy ban nhân dân xã Tân Phú",
        parent_office_name="Ủy ban nhân dân tỉnh Đồng Nai",
        session_title="Phiên tiếp công dân định kỳ tháng 3 năm 2026",
        place="Trụ sở Ủy ban nhân dân xã Tân Phú",
        started_at=datetime(2026, 3, 5, 1, 30, tzinfo=UTC),
        ended_at=datetime(2026, 3, 5, 4, 0, tzinfo=UTC),
        connected_sites=("Điểm cầu xã Tân Phú", "Điểm cầu tỉnh Đồng Nai"),
        participants=(
            Participant(VIET, "Chủ trì", "Điểm cầu xã Tân Phú"),
            Participant("Lê Thu Trang", "Thư ký", "Điểm cầu xã Tân Phú"),
            Participant(HUONG, "Công dân", "Điểm cầu xã Tân Phú"),
        ),
        sections=(
            MinutesSection(
                HUONG, "CCCD 001203004567", "Đề nghị cấp giấy chứng nhận quyền sử dụng đất cho thửa 112.",
                (HandedDocument("Đơn kiến nghị", 3, "Bản gốc"), HandedDocument("Trích lục bản đồ", 1, "Bản sao")),
                "Giao công chức địa chính kiểm tra hồ sơ.", "Trả lời công dân trong 10 ngày làm việc.",
                kind="petition"),
            MinutesSection(NGU, "CCCD 075088001234", "Khiếu nại mức bồi thường giải phóng mặt bằng.",
                           (), "Đã tiếp nhận.", "Thụ lý giải quyết lần đầu.", kind="complaint"),
        ),
        finalized_sha256="9f" * 32,
        addenda=(Addendum(datetime(2026, 3, 6, 2, 0, tzinfo=UTC), "Lê Thu Trang", "Bổ sung số trang."),),
        host=Signer(VIET, "Chủ tịch Ủy ban nhân dân xã"),
        secretary=Signer("Lê Thu Trang", "Công chức Văn phòng - Thống kê"),
    )
    data.update(overrides)
    return MinutesDoc(**data)


def notice_doc() -> NoticeOfConclusionsDoc:
    return NoticeOfConclusionsDoc(
        office_name="Ủy ban nhân dân tỉnh Đồng Nai", number="15/TB-UBND", date=date(2026, 3, 9),
        citizen=CitizenInfo(NGU, "Ấp 3, xã Tân Phú, tỉnh Đồng Nai", "CCCD 075088001234"),
        content_summary="Khiếu nại về mức bồi thường, hỗ trợ khi Nhà nước thu hồi đất.",
        conclusions=("Giao Sở Nông nghiệp và Môi trường kiểm tra, báo cáo trước ngày 25/3/2026.",
                     f"Ông {VIET} trực tiếp trả lời công dân {HUONG} về việc cấp giấy chứng nhận."),
        signer=Signer(VIET, "Chủ tịch"), place="Đồng Nai", reception_date=date(2026, 3, 5),
        recipients=(f"Ông {NGU}", "Lưu: VT"))


def receipt_doc() -> ReceiptDoc:
    return ReceiptDoc(
        office_name="Ủy ban nhân dân xã Tân Phú", date=date(2026, 1, 5), number="02/BN-TCD", place="Tân Phú",
        citizen=CitizenInfo(HUONG, "Ấp 1, xã Tân Phú", "CCCD 001203004567"),
        documents=(HandedDocument("Đơn đề nghị", 2, "Bản gốc"), HandedDocument("Giấy chứng nhận quyền sử dụng đất", 4,
                                                                               "Bản sao chứng thực")),
        receiver=Signer(VIET, "Cán bộ tiếp công dân"))


def log_rows() -> list[ReceptionLogRow]:
    return [
        ReceptionLogRow(1, date(2026, 3, 2), HUONG, "Ấp 1, xã Tân Phú", "CCCD 001203004567",
                        "Kiến nghị cấp giấy chứng nhận quyền sử dụng đất", "petition", 1, "", accepted=True),
        # A denunciation whose caller "forgot" to blank the identity and did not even set redacted.
        ReceptionLogRow(2, date(2026, 3, 3), DENOUNCER, DENOUNCER_ADDRESS, DENOUNCER_ID, DENUNCIATION,
                        "denunciation", 1, "Thanh tra tỉnh", transfer_body="Thanh tra tỉnh Đồng Nai",
                        transfer_document_number="45/CV-TCD"),
        ReceptionLogRow(3, date(2026, 3, 4), NGU, "Ấp 3, xã Tân Phú", "CCCD 075088001234",
                        "Khiếu nại mức bồi thường", "complaint", 12, "UBND xã", guidance_body="Tòa án nhân dân khu vực 2",
                        guidance_document_number="12/HD-TCD", follow_up="Đã trả lời", notes=f"Đại diện: {VIET}"),
    ]


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))


def flat(text: str) -> str:
    """Extracted text with line breaks joined (table cells wrap names)."""
    return " ".join(text.split())


def squeeze(text: str) -> str:
    """Without any whitespace: narrow table cells wrap anywhere, even after a hyphen."""
    return "".join(text.split())


def assert_fonts_embedded(data: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(data))
    seen = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            # our private family name: the text can only have been set with the vendored DejaVu files
            assert f"+{render.PDF_FONT_FAMILY.replace(' ', '-')}" in font["/BaseFont"], font["/BaseFont"]
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, "TrueType font program not embedded"
            assert len(descriptor["/FontFile2"].get_object().get_data()) > 1000
            assert "/ToUnicode" in font
            seen.add(font["/BaseFont"].split("+", 1)[1])
    assert any(name.endswith("Serif") for name in seen) and any("Bold" in name for name in seen)


# --- PDF ---------------------------------------------------------------------------------------------

def test_minutes_pdf_keeps_diacritics_and_embeds_fonts():
    data = render.minutes_pdf(minutes_doc())
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in (HUONG, VIET, NGU, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "BIÊN BẢN TIẾP CÔNG DÂN", "Điểm cầu tỉnh Đồng Nai", "Trích lục bản đồ",
                     "08 giờ 30 phút, ngày 05 tháng 3 năm 2026",  # UTC 01:30 shown in Asia/Ho_Chi_Minh
                     "Bổ sung số trang.", "9f" * 32):
        assert expected in flat(text), expected
    assert_fonts_embedded(data)
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    assert [round(float(v) / 72 * 25.4) for v in page.mediabox[2:]] == [210, 297]  # A4 portrait


def test_notice_pdf_keeps_diacritics_and_embeds_fonts():
    data = render.notice_of_conclusions_pdf(notice_doc())
    text = flat(pdf_text(data))
    for expected in (NGU, VIET, HUONG, "Số: 15/TB-UBND", "Đồng Nai, ngày 09 tháng 3 năm 2026", "THÔNG BÁO",
                     "Sở Nông nghiệp và Môi trường", "Nơi nhận:"):
        assert expected in text, expected
    assert_fonts_embedded(data)


def test_receipt_pdf_keeps_diacritics_and_embeds_fonts():
    data = render.receipt_pdf(receipt_doc())
    text = flat(pdf_text(data))
    for expected in (HUONG, VIET, "GIẤY BIÊN NHẬN", "ngày 05 tháng 01 năm 2026", "Giấy chứng nhận quyền sử dụng đất",
                     "Bản sao chứng thực", "NGƯỜI NỘP", "NGƯỜI NHẬN"):
        assert expected in text, expected
    assert_fonts_embedded(data)


def test_reception_log_pdf_is_landscape_with_names_and_redacts_denunciation():
    data = render.reception_log_pdf(log_rows(), office_name="Ủy ban nhân dân xã Tân Phú",
                                    date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    text = pdf_text(data)
    assert HUONG in flat(text) and NGU in flat(text) and VIET in flat(text)
    for expected in (*EXPECTED_HEADERS, "SỔ TIẾP CÔNG DÂN", "Từ ngày 01/03/2026 đến ngày 31/03/2026", "Hướng xử lý",
                     "Tòa án nhân dân khu vực 2; Số VB: 12/HD-TCD", "Thanh tra tỉnh Đồng Nai; Số VB: 45/CV-TCD",
                     REDACTED_TEXT):
        assert squeeze(expected) in squeeze(text), expected
    # The denouncer's identity and the content are absent, even split over lines or across cells.
    for secret in (DENOUNCER, DENOUNCER_ADDRESS, DENOUNCER_ID, DENUNCIATION, "Hoàng Bá Lộc", "038095007788"):
        assert squeeze(secret) not in squeeze(text), secret
    assert_fonts_embedded(data)
    width, height = (float(v) for v in pypdf.PdfReader(io.BytesIO(data)).pages[0].mediabox[2:])
    assert width > height  # A4 landscape


def test_minutes_redact_a_denunciation_section():
    section = MinutesSection(DENOUNCER, DENOUNCER_ID, DENUNCIATION, (HandedDocument("Ảnh chụp biên lai Hoàng Bá Lộc", 2),),
                             "Chuyển Thanh tra xác minh.", "Giữ bí mật người tố cáo Lương Thế Khải.", kind="denunciation")
    doc = minutes_doc(sections=(minutes_doc().sections[0], section))
    pdf = squeeze(pdf_text(render.minutes_pdf(doc)))
    docx_text = squeeze(docx_all_text(docx.Document(io.BytesIO(render.minutes_docx(doc)))))
    for text in (pdf, docx_text):
        assert squeeze(HUONG) in text and squeeze(REDACTED_TEXT) in text
        for secret in (DENOUNCER, DENOUNCER_ID, DENUNCIATION, "Hoàng Bá Lộc", "Chuyển Thanh tra xác minh"):
            assert squeeze(secret) not in text, secret


def test_log_pdf_refuses_too_many_rows_with_a_typed_error(settings):
    settings.DOCUMENTS_LOG_PDF_MAX_ROWS = 2
    with pytest.raises(render.DocumentError) as refused:
        render.reception_log_pdf(iter(log_rows()))
    assert refused.value.code == "too_many_rows" and refused.value.status_code == 400


def test_pdf_fetcher_reads_only_the_vendored_fonts():
    fetcher = render._url_fetcher()
    font = (render.FONTS_DIR / "DejaVuSerif.ttf").as_uri()
    assert fetcher(font).read(4) == b"\x00\x01\x00\x00"
    for url in ("http://127.0.0.1:1/x.css", "https://example.org/a.png", "file:///etc/passwd",
                (render.FONTS_DIR / ".." / "render.py").as_uri(), "data:text/plain,hello"):
        with pytest.raises(ValueError):
            fetcher(url)


def test_user_text_is_escaped_not_interpreted():
    evil = MinutesSection('<img src="http://127.0.0.1:1/track.png"> Vũ Thị Ánh</p><h1>X', "", "a\x00b\x1fc")
    text = flat(pdf_text(render.minutes_pdf(minutes_doc(sections=(evil,)))))
    assert '<img src="http://127.0.0.1:1/track.png"> Vũ Thị Ánh</p><h1>X' in text
    # DOCX (XML) cannot hold control characters: dropped, not a crash
    assert "abc" in docx_all_text(docx.Document(io.BytesIO(render.minutes_docx(minutes_doc(sections=(evil,))))))


def test_pdf_output_is_deterministic():
    assert render.receipt_pdf(receipt_doc()) == render.receipt_pdf(receipt_doc())


def test_vietnamese_date_zero_padding():
    assert render.vn_date(date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert render.vn_date(date(2026, 2, 28)) == "ngày 28 tháng 02 năm 2026"
    assert render.vn_date(date(2026, 11, 9)) == "ngày 09 tháng 11 năm 2026"
    assert render.date_line("Hà Nội", date(2026, 3, 15)) == "Hà Nội, ngày 15 tháng 3 năm 2026"


# --- DOCX --------------------------------------------------------------------------------------------

def docx_all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.append(cell.text)
    return unicodedata.normalize("NFC", "\n".join(parts))


def assert_docx_fonts(data: bytes) -> None:
    from docx.oxml.ns import qn

    document = docx.Document(io.BytesIO(data))
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size.pt == 13
    runs = [r for p in document.paragraphs for r in p.runs]
    runs += [r for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert runs
    for run in runs:
        fonts = run._element.rPr.rFonts
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            assert fonts.get(qn(attr)) == "Times New Roman", attr
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = z.read("word/styles.xml").decode()
    assert "asciiTheme" not in styles.split("</w:docDefaults>")[0]  # no theme font overriding the defaults


def test_minutes_docx_opens_with_names_and_fonts():
    data = render.minutes_docx(minutes_doc())
    text = docx_all_text(docx.Document(io.BytesIO(data)))
    for expected in (HUONG, VIET, NGU, "BIÊN BẢN TIẾP CÔNG DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", "Trích lục bản đồ", "9f" * 32):
        assert expected in text, expected
    assert_docx_fonts(data)


def test_notice_docx_opens_with_names_and_fonts():
    data = render.notice_of_conclusions_docx(notice_doc())
    text = docx_all_text(docx.Document(io.BytesIO(data)))
    for expected in (NGU, VIET, HUONG, "THÔNG BÁO", "Số: 15/TB-UBND", "Đồng Nai, ngày 09 tháng 3 năm 2026",
                     "Ủy ban nhân dân tỉnh Đồng Nai đã tiếp công dân ngày 05 tháng 3 năm 2026"):
        assert expected in text, expected
    assert_docx_fonts(data)


# --- XLSX --------------------------------------------------------------------------------------------

def xlsx_bytes(rows, **header) -> bytes:
    out = io.BytesIO()
    render.reception_log_xlsx(rows, out, **header)
    return out.getvalue()


def test_reception_log_xlsx_has_the_twelve_columns_of_form_03():
    assert list(RECEPTION_LOG_HEADERS) == EXPECTED_HEADERS and len(RECEPTION_LOG_COLUMNS) == 12
    data = xlsx_bytes(iter(log_rows()), office_name="Ủy ban nhân dân xã Tân Phú", date_from=date(2026, 3, 1),
                      date_to=date(2026, 3, 31))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws.cell(1, 1).value == "SỔ TIẾP CÔNG DÂN"
    assert ws.cell(2, 1).value == "ỦY BAN NHÂN DÂN XÃ TÂN PHÚ"
    assert ws.cell(3, 1).value == "Từ ngày 01/03/2026 đến ngày 31/03/2026"
    header = [c.value for c in ws[render.XLSX_HEADER_ROW]]
    assert header == EXPECTED_HEADERS
    assert [c.value for c in ws[render.XLSX_HEADER_ROW + 1]] == [f"({i})" for i in range(1, 13)]
    data_rows = list(ws.iter_rows(min_row=render.XLSX_FIRST_DATA_ROW, values_only=True))
    assert len(data_rows) == 3 and all(len(r) == 12 for r in data_rows)
    first, _, third = data_rows
    assert first[0] == 1 and first[1].date() == date(2026, 3, 2)
    assert ws.cell(render.XLSX_FIRST_DATA_ROW, 2).number_format == "DD/MM/YYYY"
    assert first[2] == f"{HUONG}, Ấp 1, xã Tân Phú" and first[5] == "Kiến nghị/1 người" and first[7] == "Thụ lý"
    assert third[5] == "Khiếu nại/12 người" and third[8] == "Tòa án nhân dân khu vực 2; Số VB: 12/HD-TCD"
    assert third[11] == f"Đại diện: {VIET}"
    assert ws.freeze_panes == f"A{render.XLSX_FIRST_DATA_ROW}"


def test_reception_log_xlsx_redacts_denunciation_and_flagged_rows():
    flagged = ReceptionLogRow(4, date(2026, 3, 5), "Hồ Thị Bích Nguyệt", "Tổ 5, phường Hòa Khánh", "CCCD 048190001122",
                              "Nội dung cần bảo mật theo yêu cầu", "report", 1, redacted=True)
    data = xlsx_bytes([*log_rows(), flagged])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(min_row=render.XLSX_FIRST_DATA_ROW, values_only=True))
    denunciation, flagged_row = rows[1], rows[3]
    for row in (denunciation, flagged_row):
        assert row[2:5] == (REDACTED_TEXT,) * 3
    assert denunciation[5] == "Tố cáo/1 người"  # classification and handling stay (statistics need them)
    assert denunciation[9] == "Thanh tra tỉnh Đồng Nai; Số VB: 45/CV-TCD"
    # absent from every part of the package, uncompressed, character references (&#7901;) decoded
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        contents = html.unescape("".join(z.read(name).decode("utf-8") for name in z.namelist()))
    assert HUONG in contents  # the check below would catch a leak
    for secret in (DENOUNCER, DENOUNCER_ADDRESS, DENOUNCER_ID, DENUNCIATION, "Hồ Thị Bích Nguyệt", "048190001122"):
        assert secret not in contents, secret


def test_reception_log_xlsx_never_writes_a_formula():
    row = ReceptionLogRow(1, date(2026, 3, 2), '=HYPERLINK("http://evil.example","Bấm")', "", "", "=1+1\x07", "complaint")
    data = xlsx_bytes([row])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = list(ws.iter_rows(min_row=render.XLSX_FIRST_DATA_ROW))[0]
    assert cells[2].value == '=HYPERLINK("http://evil.example","Bấm")' and cells[2].data_type == "s"
    assert cells[4].value == "=1+1" and cells[4].data_type == "s"  # control character dropped
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


def _generated_rows(n: int):
    for i in range(1, n + 1):
        yield ReceptionLogRow(i, date(2026, 1, 1 + i % 28), f"Phạm Thị Ngọc Ánh {i}", f"Số {i}, xã Tân Phú",
                              f"CCCD {10**11 + i}", "Khiếu nại về bồi thường giải phóng mặt bằng",
                              ("complaint", "denunciation")[i % 2], 1 + i % 7, "UBND xã", i % 3 == 0)


def _peak_while_exporting(n: int) -> tuple[int, int]:
    out = io.BytesIO()  # the output itself grows; measure Python allocations of the export minus the output
    tracemalloc.start()
    try:
        count = render.reception_log_xlsx(_generated_rows(n), out)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return count, peak - len(out.getvalue())


def test_reception_log_xlsx_streams_rows_in_flat_memory():
    small_count, small_peak = _peak_while_exporting(1_000)
    big_count, big_peak = _peak_while_exporting(10_000)
    assert (small_count, big_count) == (1_000, 10_000)
    # ten times the rows, (almost) the same peak: rows are written as they come, never all held
    assert big_peak < small_peak * 1.5 + 512 * 1024, (small_peak, big_peak)


def test_xlsx_spooled_file_streams_through_file_response():
    spool = render.reception_log_xlsx_file(iter(log_rows()), spool_bytes=1024, office_name="UBND xã Tân Phú")
    response = file_response(spool, "Sổ tiếp công dân tháng 3.xlsx", render.XLSX_CONTENT_TYPE)
    assert isinstance(response, FileResponse) and response.streaming
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    assert [c.value for c in ws[render.XLSX_HEADER_ROW]] == EXPECTED_HEADERS
    response.close()
    assert spool.closed


# --- file_response -----------------------------------------------------------------------------------

def test_file_response_sets_an_rfc5987_utf8_filename():
    response = file_response(b"%PDF-1.7", "Biên bản Đặng Quốc Việt.pdf", render.PDF_CONTENT_TYPE)
    assert isinstance(response, HttpResponse) and response.content == b"%PDF-1.7"
    assert response["Content-Type"] == "application/pdf" and response["Content-Length"] == "8"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Bien ban Dang Quoc Viet.pdf\"; "
        "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20%C4%90%E1%BA%B7ng%20Qu%E1%BB%91c%20Vi%E1%BB%87t.pdf")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_file_response_neutralises_hostile_filenames_and_streams_iterables():
    header = content_disposition('../../etc/"x"\r\nSet-Cookie: a=b;.pdf', inline=True)
    assert header.startswith("inline; filename=\"")
    assert "\r" not in header and "\n" not in header and "/" not in header.split("filename*=")[0]
    assert header.count('"') == 2
    streamed = file_response(iter([b"a", b"b"]), "log.xlsx", render.XLSX_CONTENT_TYPE)
    assert isinstance(streamed, StreamingHttpResponse) and b"".join(streamed.streaming_content) == b"ab"
    with pytest.raises(TypeError):
        file_response(42, "x.pdf", render.PDF_CONTENT_TYPE)
