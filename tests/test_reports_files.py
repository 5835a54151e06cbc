"""Reports: the XLSX, PDF and DOCX files open and hold the figures; no identity or summary in any report,
table or file (marker names of a denouncer and of a denunciation's content)."""

from __future__ import annotations

import io
import json

import pypdf
import pytest
from docx import Document
from openpyxl import load_workbook

from reports import files, services
from tests.reports_helpers import MARKER_NAME, MARKER_SUMMARY, build


@pytest.fixture
def scene(office_tree, make_user):
    return build(office_tree, make_user)


def _submitted(scene, office_key="province01", leader="leader_p", officer="officer_p"):
    report = services.draft(scene["office_tree"][office_key], "periodic", "q1-2026")
    report = services.edit(report, scene[officer], assessment="Đánh giá chung tốt.", difficulties="Thiếu người.",
                           proposals="Tăng cường tập huấn.", number="12/BC-UBND")
    report = services.prepare(report, scene[officer])
    report = services.approve(report, scene[leader])
    return report, services.submit(report, scene[leader])


def _pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())  # table cells wrap their words


def test_xlsx_has_one_sheet_per_table_with_numbers_as_numbers(scene):
    report, version = _submitted(scene)
    workbook = load_workbook(files.xlsx(report, version))
    assert workbook.sheetnames == ["tiep-cong-dan", "lanh-dao-tiep", "tiep-nhan-don", "linh-vuc", "ket-qua-xu-ly"]
    sheet = workbook["tiep-nhan-don"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:5] == ("Cơ quan, đơn vị", "Đơn kỳ trước chuyển sang", "Đơn tiếp nhận trong kỳ",
                           "Tổng số đơn phải xử lý", "Đơn đủ điều kiện xử lý")
    by_name = {row[0]: row[1:] for row in rows[3:]}
    assert list(by_name) == ["Office X01001", "Office X01002", "Office T01 (trực tiếp)", "Tổng cộng"]
    assert by_name["Office X01001"][:4] == (1, 2, 3, 3)
    assert by_name["Tổng cộng"][:4] == (1, 4, 5, 4) and isinstance(by_name["Tổng cộng"][1], int)
    days = {row[0]: row[1:] for row in list(workbook["lanh-dao-tiep"].iter_rows(values_only=True))[3:]}
    assert days["Tổng cộng"] == (9, 2, 1, 2)


def test_central_xlsx_lists_every_office_on_request(scene):
    tree = scene["office_tree"]
    report = services.draft(tree["central"], "periodic", "q1-2026")
    rows = list(load_workbook(files.xlsx(report))["tiep-nhan-don"].iter_rows(values_only=True))[3:]
    assert [r[0] for r in rows] == ["Office T01", "Office T02", "Office TW (trực tiếp)", "Tổng cộng"]
    assert rows[-1][2] == 5
    rows = list(load_workbook(files.xlsx(report, all_offices=True))["tiep-nhan-don"].iter_rows(values_only=True))[3:]
    assert len(rows) == 8 and rows[-1][2] == 5
    assert {r[0]: r[2] for r in rows}["Office X01001"] == 2


def test_pdf_and_docx_are_the_official_document_with_the_figures(scene):
    report, version = _submitted(scene)
    text = _pdf_text(files.pdf(report, version))
    for needle in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "OFFICE T01", "Số: 12/BC-UBND", "BÁO CÁO",
                   "Quý I năm 2026", "Đơn tiếp nhận trong kỳ", "Office X01001", "Tổng cộng", "THỦ TRƯỞNG CƠ QUAN",
                   "Chủ tịch Tỉnh Một", "Đánh giá chung tốt.", "Tăng cường tập huấn."):
        assert needle in text, needle
    assert "Office T01 (trực tiếp) 0 1 1 1" in text  # own row: carried, received, to handle, eligible
    document = Document(io.BytesIO(files.docx(report, version)))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    flat = "\n".join("\t".join(row) for row in cells)
    assert "Số: 12/BC-UBND" in flat and "OFFICE T01" in flat and "Chủ tịch Tỉnh Một" in flat
    assert "Đánh giá chung tốt." in paragraphs and "Quý I năm 2026" in paragraphs
    receipt_rows = [row for row in cells if row and row[0] == "Tổng cộng" and len(row) == 9]
    assert ["Tổng cộng", "1", "4", "5", "4", "1", "1", "1", "1"] in receipt_rows


def test_no_identity_or_summary_in_any_report_table_or_file(scene):
    """The scene holds a denunciation whose party is MARKER_NAME and whose content is MARKER_SUMMARY; a
    section of the minutes was a denunciation. Reports count them and never describe them."""
    report, version = _submitted(scene, "commune011", "leader_a", "officer_a")
    assert version.snapshot["figures"]["total"]["kind_denunciation"] == 1
    adhoc = services.request_adhoc(scene["cases"][1], scene["inspector_p"], request_text="Báo cáo tiến độ",
                                   deadline=__import__("datetime").date(2099, 1, 1))
    adhoc = services.prepare(adhoc, scene["officer_a"])
    adhoc = services.approve(adhoc, scene["leader_a"])
    adhoc_version = services.submit(adhoc, scene["leader_a"])
    outputs = []
    for rep, ver in ((report, version), (adhoc, adhoc_version)):
        outputs.append(json.dumps(ver.snapshot, ensure_ascii=False))
        outputs.append(_pdf_text(files.pdf(rep, ver)))
        document = Document(io.BytesIO(files.docx(rep, ver)))
        outputs.append("\n".join(p.text for p in document.paragraphs)
                       + "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells))
        workbook = load_workbook(files.xlsx(rep, ver))
        outputs.append("\n".join(str(v) for ws in workbook for row in ws.iter_rows(values_only=True) for v in row))
    for text in outputs:
        assert MARKER_NAME not in text and MARKER_SUMMARY not in text
        assert "001190099999" not in text  # the denouncer's ID number
