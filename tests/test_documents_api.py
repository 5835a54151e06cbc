"""The official outputs through the API, from real minutes and cases: the secretary's minutes of a session
with a complaint (names with diacritics), a case opened from the section and transferred, exported as PDF,
DOCX and XLSX; permissions and bad parameters are typed errors; each export is audited."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role
from audit.models import AuditEntry
from cases import services as case_services
from documents.forms import RECEPTION_LOG_HEADERS
from minutes import services as minutes_services
from tests.cases_helpers import login as client_for
from tests.room_helpers import open_room
from tests.test_secrecy_e2e import docx_text, pdf_text

CITIZEN = "Nguyễn Thị Hường"
ADDRESS = "Thôn Đồng Xuân, xã Yên Phụ"
STATEMENT = "Đề nghị xem xét lại việc bồi thường đất ở của gia đình bà Hường."


@pytest.fixture
def held(office_tree, make_user):
    """Locked minutes of a commune session with one complaint section, turned into a case and transferred to
    the province."""
    room = open_room(office_tree, make_user)
    minutes = minutes_services.open_minutes(room["session"], room["secretary"])
    section = minutes_services.add_section(minutes, room["secretary"], citizen_name=CITIZEN, kind="complaint",
                                           citizen_address=ADDRESS, id_document_type="cccd",
                                           id_document_number="001190012345", statement=STATEMENT)
    for field, value in (("leader_answer", "Ủy ban xã sẽ kiểm tra hồ sơ đo đạc."),
                         ("conclusions", "Giao cán bộ địa chính xác minh trong 10 ngày làm việc."),
                         ("documents_handed_over", [{"title": "Đơn khiếu nại", "pages": 3, "condition": "bản gốc"}])):
        minutes_services.save_section_field(section, room["secretary"], field=field, value=value, base_version=0)
    case = minutes_services.create_case_from_section(section, room["secretary"])
    case_services.classify(case, room["host"], kind="complaint", field="land")
    case_services.transfer(case, room["host"], target_office=office_tree["province01"], document_number="15/CV-UBND")
    minutes_services.finalize(minutes, room["secretary"])
    return {**room, "minutes": minutes, "section": section, "case": case}


@pytest.mark.django_db
def test_minutes_notice_and_receipt_render_the_vietnamese_text(held):
    leader, mid, sid = held["host"], held["minutes"].pk, held["section"].pk
    client = client_for(leader)
    pdf = client.get(f"/api/documents/minutes/{mid}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''" in pdf["Content-Disposition"]
    text = pdf_text(pdf.content)
    assert CITIZEN in text and "Đề nghị xem xét lại việc bồi thường" in text and held["minutes"].sha256[:16] in text.replace("\n", "")
    docx = client.get(f"/api/documents/minutes/{mid}.docx")
    assert docx.status_code == 200 and CITIZEN in docx_text(docx.content)
    notice = client.get(f"/api/documents/minutes/{mid}/sections/{sid}/notice.pdf")
    assert "Giao cán bộ địa chính xác minh" in pdf_text(notice.content)
    assert CITIZEN in docx_text(client.get(f"/api/documents/minutes/{mid}/sections/{sid}/notice.docx").content)
    receipt = pdf_text(client.get(f"/api/documents/minutes/{mid}/sections/{sid}/receipt.pdf").content)
    assert CITIZEN in receipt and "Đơn khiếu nại" in receipt
    assert AuditEntry.objects.filter(action="documents.export", actor=leader).count() == 5


@pytest.mark.django_db
def test_the_reception_log_has_the_twelve_columns_and_the_handling(held, office_tree):
    client = client_for(held["host"])
    day = timezone.localdate()
    query = f"office={office_tree['commune011'].code}&from={day}&to={day + timedelta(days=30)}"
    response = client.get(f"/api/documents/reception-log.xlsx?{query}")
    assert response.status_code == 200 and response.streaming
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = [tuple(cell for cell in row) for row in sheet.iter_rows(values_only=True)]
    header_index = next(i for i, row in enumerate(rows) if row[:1] == (RECEPTION_LOG_HEADERS[0],))
    assert tuple(rows[header_index][:12]) == RECEPTION_LOG_HEADERS and len(RECEPTION_LOG_HEADERS) == 12
    data = [row for row in rows[header_index + 1:] if isinstance(row[0], int)]
    assert len(data) == 1
    row = data[0]
    assert CITIZEN in row[2] and "001190012345" in row[3] and "Khiếu nại" in row[5]
    assert "15/CV-UBND" in row[9] and held["case"].number in row[10]  # transferred, and its follow-up
    pdf = client.get(f"/api/documents/reception-log.pdf?{query}")
    assert pdf.status_code == 200 and CITIZEN in pdf_text(pdf.content)


@pytest.mark.django_db
@pytest.mark.parametrize("query, code", [
    ("office=NOPE&from=2026-01-01&to=2026-02-01", "not_found"),
    ("office=X01001&from=2026-13-01&to=2026-02-01", "invalid"),
    ("office=X01001&from=2026-03-01&to=2026-02-01", "invalid"),
    ("office=X01001&from=2000-01-01&to=2026-02-01", "invalid"),
])
def test_bad_reception_log_requests_are_typed_errors(held, query, code):
    response = client_for(held["host"]).get(f"/api/documents/reception-log.xlsx?{query}")
    assert response.status_code in (400, 404) and response.json()["error"]["type"] == code


@pytest.mark.django_db
def test_exports_need_the_right_office(held, office_tree, make_user):
    outsider = make_user(Role.RECEPTION_OFFICER, office_tree["commune021"])
    client = client_for(outsider)
    assert client.get(f"/api/documents/minutes/{held['minutes'].pk}.pdf").status_code == 403
    day = timezone.localdate()
    response = client.get(f"/api/documents/reception-log.xlsx?office=X01001&from={day}&to={day}")
    assert response.status_code == 403
    # An inspector of the province sees the log of a commune beneath it.
    inspector = make_user(Role.INSPECTOR, office_tree["province01"])
    assert client_for(inspector).get(f"/api/documents/reception-log.xlsx?office=X01001&from={day}&to={day}").status_code == 200
    assert client_for(held["host"]).get(f"/api/documents/minutes/{held['minutes'].pk}/sections/"
                                        f"{held['section'].pk}/receipt.docx").status_code == 400
