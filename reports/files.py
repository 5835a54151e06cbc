"""The report's files: XLSX (one sheet per table, numbers as numbers, openpyxl write-only, streamed to a
temporary file), and the official document as PDF (WeasyPrint) and DOCX (python-docx) with the office's
header, number, date and the head's signature block. Fixed Vietnamese wording (the form of Nghị định
30/2020/NĐ-CP), not translated with the UI language. Counts only: no identity, no summary.

A roll-up prints one row per office directly below, the office's own row, and the total; the XLSX can add
every office of the subtree (``all_offices``: the central roll-up's communes on request).
"""

from __future__ import annotations

import tempfile
from datetime import date

from django.utils import timezone

from documents import render as doc
from oversight import periods
from reports import indicators
from reports.models import Report, ReportKind, ReportVersion

KIND_TITLES = {ReportKind.PERIODIC: "BÁO CÁO", ReportKind.KL107: "BÁO CÁO", ReportKind.ADHOC: "BÁO CÁO"}
TOTAL = "Tổng cộng"
STATE_NAMES = {"received": "Đã tiếp nhận", "classified": "Đã phân loại", "accepted": "Đã thụ lý",
               "verifying": "Đang xác minh", "concluded": "Đã kết luận", "guided": "Đã hướng dẫn, trả lại đơn",
               "transferred": "Đã chuyển đơn", "filed": "Lưu đơn", "ended": "Chấm dứt thụ lý"}
KIND_NAMES = {"complaint": "Khiếu nại", "denunciation": "Tố cáo", "petition": "Kiến nghị", "report": "Phản ánh"}


def _vi(label) -> str:
    """The Vietnamese source text of a lazy label (files are always in Vietnamese)."""
    from django.utils.translation import override

    with override("vi"):
        return str(label)


def subject(kind: str, period_key: str, case_number: str = "") -> str:
    if kind == ReportKind.ADHOC:
        return f"Báo cáo đột xuất về vụ việc số {case_number}"
    if kind == ReportKind.KL107:
        year = period_key.partition("-")[2]
        return f"Kết quả thực hiện Kết luận số 107-KL/TW năm {year} về công tác tiếp công dân, giải quyết khiếu nại, tố cáo"
    period = periods.parse(period_key)
    return (f"Công tác tiếp công dân, xử lý đơn, giải quyết khiếu nại, tố cáo {_vi(period.label)} "
            f"(số liệu từ {period.start:%d/%m/%Y} đến {period.end:%d/%m/%Y})")


def content(report: Report, version: ReportVersion | None = None) -> dict:
    """What the files print: from the version's frozen snapshot, or (a draft) from the live figures."""
    if version is not None:
        snap = version.snapshot
        figures, texts, number = snap["figures"], snap["texts"], snap["number"]
        signer, issued = snap["signer"]["name"], date.fromisoformat(snap["submitted_at"][:10])
        draft = False
    else:
        figures = report.figures or {}
        if not figures:
            from reports.services import compute

            figures = compute(report)
        texts = {"assessment": report.assessment, "difficulties": report.difficulties,
                 "proposals": report.proposals}
        number, signer, issued, draft = report.number, "", timezone.localdate(), True
    office = report.office
    return {"office": office.name, "parent": office.parent.name if office.parent_id else "",
            "number": number, "issued": issued, "draft": draft, "signer": signer,
            "subject": subject(report.kind, report.period_key, report.case.number if report.case_id else ""),
            "request": report.request_text, "texts": texts, "figures": figures, "kind": report.kind}


def table_rows(figures: dict, keys: list[str], *, all_offices: bool = False) -> list[list]:
    """[[name, n, n, …], …]: each office below, the office's own row (when it has rows below), the total."""
    if all_offices and figures.get("offices"):
        rows = [[o["name"], *[o["figures"][k] for k in keys]] for o in figures["offices"]]
    else:
        rows = [[r["name"], *[r["figures"][k] for k in keys]] for r in figures["rows"]]
        if rows:
            rows.append([f"{figures['office']['name']} (trực tiếp)", *[figures["own"][k] for k in keys]])
    rows.append([TOTAL, *[figures["total"][k] for k in keys]])
    return rows


def tables(figures: dict, *, all_offices: bool = False) -> list[tuple[str, str, list[str], list[list]]]:
    """(slug, title, headers, rows) of every table."""
    found = []
    for slug, title, columns in indicators.TABLES:
        keys = [k for k, _label in columns]
        headers = ["Cơ quan, đơn vị", *[_vi(label) for _k, label in columns]]
        found.append((slug, _vi(title), headers, table_rows(figures, keys, all_offices=all_offices)))
    return found


def adhoc_lines(figures: dict) -> list[str]:
    case = figures["case"]
    return [f"Số vụ việc: {case['number']}", f"Loại việc: {KIND_NAMES.get(case['kind'], case['kind'])}",
            f"Trạng thái: {STATE_NAMES.get(case['state'], case['state'])}",
            f"Ngày tiếp nhận: {date.fromisoformat(case['received_on']):%d/%m/%Y}",
            f"Hạn giải quyết: {date.fromisoformat(case['resolution_due']):%d/%m/%Y}" if case["resolution_due"]
            else "Hạn giải quyết: chưa xác định",
            f"Số người: {case['people_count']}"]


SECTIONS = (("assessment", "Đánh giá, nhận xét"), ("difficulties", "Khó khăn, vướng mắc"),
            ("proposals", "Đề xuất, kiến nghị"))


# --- XLSX --------------------------------------------------------------------------------------------------


def xlsx(report: Report, version: ReportVersion | None = None, *, all_offices: bool = False):
    """A temporary file (rewound) holding the workbook: write-only, rows streamed as written."""
    from openpyxl import Workbook

    data = content(report, version)
    if all_offices and data["figures"].get("rows") is not None and "offices" not in data["figures"]:
        from reports.services import compute

        data["figures"] = compute(report, all_offices=True)
    workbook = Workbook(write_only=True)
    if data["kind"] == ReportKind.ADHOC:
        sheet = workbook.create_sheet("Vu viec")
        sheet.append([data["subject"]])
        for line in adhoc_lines(data["figures"]):
            label, _sep, value = line.partition(": ")
            sheet.append([label, value])
    else:
        for slug, title, headers, rows in tables(data["figures"], all_offices=all_offices):
            sheet = workbook.create_sheet(slug[:31])
            sheet.append([title])
            sheet.append([f"{data['office']} — {data['subject']}"])
            sheet.append(headers)
            for row in rows:
                sheet.append([doc.clean(row[0]), *row[1:]])  # numbers stay numbers
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(out)
    out.seek(0)
    return out


# --- PDF and DOCX --------------------------------------------------------------------------------------------


def _header(data: dict) -> dict:
    return doc._header(data["office"], data["parent"], data["number"], "", data["issued"])


def pdf(report: Report, version: ReportVersion | None = None) -> bytes:
    data = content(report, version)
    context = {"title": "BÁO CÁO", "header": _header(data), "data": data,
               "sections": [(title, data["texts"].get(key, "")) for key, title in SECTIONS]}
    if data["kind"] == ReportKind.ADHOC:
        context["adhoc"] = adhoc_lines(data["figures"])
    else:
        context["tables"] = tables(data["figures"])
    return doc._pdf("reports/report.html", context)


def docx(report: Report, version: ReportVersion | None = None) -> bytes:
    data = content(report, version)
    document = doc._new_docx()
    doc._docx_header(document, _header(data))
    if data["draft"]:
        doc._para(document, "DỰ THẢO", align="center", bold=True)
    doc._para(document, "BÁO CÁO", align="center", bold=True, size=14)
    doc._para(document, data["subject"], align="center", bold=True)
    if data["request"]:
        doc._para(document, f"Thực hiện yêu cầu: {data['request']}", align="justify")
    doc._para(document, "I. SỐ LIỆU", bold=True)
    if data["kind"] == ReportKind.ADHOC:
        for line in adhoc_lines(data["figures"]):
            doc._para(document, line)
    else:
        for _slug, title, headers, rows in tables(data["figures"]):
            doc._para(document, title, bold=True)
            doc._docx_table(document, headers, [[row[0], *[str(v) for v in row[1:]]] for row in rows])
    for n, (key, title) in enumerate(SECTIONS, start=2):
        doc._para(document, f"{'I' * n if n < 4 else 'IV'}. {title.upper()}", bold=True)
        doc._para(document, data["texts"].get(key, "") or "…", align="justify")
    signer = {"name": data["signer"] or "", "title": ""}
    doc._docx_signatures(document, [("THỦ TRƯỞNG CƠ QUAN", signer)], ["(Ký, ghi rõ họ tên, đóng dấu)"])
    return doc._docx_bytes(document)
