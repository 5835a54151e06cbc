"""Issue 11, item 10: the reception log (form 03) from a staff page with a period picker, the office's contact
details and reception hours (edited by its administrator, shown on its public page), the favicon."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role
from audit.models import AuditEntry
from documents.forms import RECEPTION_LOG_HEADERS
from minutes import services as minutes_services
from offices.models import Office
from oversight import periods
from tests.cases_helpers import login
from tests.room_helpers import open_room
from tests.test_secrecy_e2e import pdf_text

URL = "/lam-viec/so-tiep-cong-dan/"
CITIZEN = "Đặng Thị Hồng Nhung"


@pytest.fixture
def received(office_tree, make_user):
    """A commune session (open) whose minutes have one citizen section."""
    room = open_room(office_tree, make_user)
    minutes = minutes_services.open_minutes(room["session"], room["secretary"])
    minutes_services.add_section(minutes, room["secretary"], citizen_name=CITIZEN, kind="complaint",
                                 statement="Khiếu nại việc cấp giấy chứng nhận quyền sử dụng đất.")
    return room


def _period_query(room, **extra):
    day = timezone.localtime(room["session"].starts_at).date()
    return {"from": (day - timedelta(days=1)).isoformat(), "to": (day + timedelta(days=1)).isoformat(),
            "period": "custom", "format": "xlsx", **extra}


@pytest.mark.django_db
def test_the_page_offers_the_form_and_the_staff_navigation_links_it(received):
    client = login(received["secretary"])
    page = client.get(URL)
    html = page.content.decode()
    assert page.status_code == 200 and 'id="reception-log-form"' in html
    assert 'data-nav="reception-log"' in html  # in the staff navigation
    current = periods.current(timezone.localdate())
    assert f'value="{current.key}" selected' in html  # the current report period is preselected
    assert 'name="from"' in html and 'name="to"' in html and 'value="pdf"' in html
    workspace = client.get(reverse("frontend:workspace")).content.decode()
    assert 'data-link="reception-log"' in workspace


@pytest.mark.django_db
def test_download_xlsx_and_pdf_for_a_period(received, office_tree):
    client = login(received["secretary"])
    response = client.get(URL, _period_query(received))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row[:1] == (RECEPTION_LOG_HEADERS[0],))
    assert any(CITIZEN in str(row[2]) for row in rows[header + 1:] if isinstance(row[0], int))
    pdf = client.get(URL, _period_query(received, format="pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert CITIZEN in " ".join(pdf_text(pdf.content).split())
    audits = AuditEntry.objects.filter(action="documents.export", actor=received["secretary"])
    assert sorted(a.details["document"] for a in audits) == ["reception_log.pdf", "reception_log.xlsx"]
    # A named report period works too (no dates typed).
    named = client.get(URL, {"period": periods.current(timezone.localdate()).key, "format": "xlsx"})
    assert named.status_code == 200 and named.streaming


@pytest.mark.django_db
@pytest.mark.parametrize("query, message", [
    ({"period": "custom", "from": "2026-13-01", "to": "2026-02-01"}, "Nhập một ngày hợp lệ"),
    ({"period": "custom", "from": "2026-03-01", "to": "2026-02-01"}, "Ngày kết thúc phải sau"),
    ({"period": "custom", "from": "", "to": ""}, "Chọn một kỳ báo cáo"),
    ({"period": "custom", "from": "2000-01-01", "to": "2026-02-01"}, "tối đa 10 năm"),
    ({"period": "q9-2026"}, "Hãy chọn một lựa chọn hợp lệ"),
    ({"period": "custom", "from": "2026-01-01", "to": "2026-02-01", "format": "exe"}, "Hãy chọn một lựa chọn hợp lệ"),
])
def test_bad_dates_are_form_errors_never_a_500(received, query, message):
    response = login(received["secretary"]).get(URL, {"format": "xlsx", **query})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'id="reception-log-form"' in html


@pytest.mark.django_db
def test_a_pdf_too_long_says_to_take_the_xlsx(received, settings):
    settings.DOCUMENTS_LOG_PDF_MAX_ROWS = 0
    response = login(received["secretary"]).get(URL, _period_query(received, format="pdf"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "quá dài để in PDF" in html and "Excel" in html and 'role="alert"' in html


@pytest.mark.django_db
def test_a_citizen_and_another_office_are_refused(received, office_tree, make_user):
    citizen = login(received["citizens"][0])
    assert citizen.get(URL).status_code == 403
    assert citizen.get(URL, _period_query(received, office=office_tree["commune011"].code)).status_code == 403
    outsider = login(make_user(Role.RECEPTION_OFFICER, office_tree["commune021"]))
    refused = outsider.get(URL, _period_query(received, office=office_tree["commune011"].code))
    assert refused.status_code == 400 and "Bạn không có quyền xem sổ tiếp công dân của cơ quan này" in refused.content.decode()
    assert not AuditEntry.objects.filter(action="documents.export").exists()
    # An inspector of the province picks one of the offices beneath it.
    inspector = login(make_user(Role.INSPECTOR, office_tree["province01"]))
    page = inspector.get(URL).content.decode()
    assert 'name="office"' in page and office_tree["commune011"].code in page
    assert inspector.get(URL, _period_query(received, office=office_tree["commune011"].code)).status_code == 200
    anonymous = login(received["secretary"]).__class__().get(URL)
    assert anonymous.status_code == 302


# --- The office's contact details --------------------------------------------------------------------------

CONTACT = {"address": "Số 25 Liễu Giai, Ba Đình", "phone": "024 3000 0003", "email": "tiepdan@example.vn",
           "reception_place": "Phòng tiếp công dân, tầng 1",
           "reception_hours": "Sáng thứ Hai đến thứ Sáu, 7 giờ 30 – 11 giờ 30\nChủ tịch tiếp sáng thứ Năm"}


@pytest.mark.django_db
def test_the_office_admin_edits_the_contact_and_the_public_page_shows_it(office_tree, make_user):
    commune = office_tree["commune011"]
    admin = make_user(Role.OFFICE_ADMIN, commune)
    client = login(admin)
    office_page = client.get(reverse("frontend:office", args=[commune.code])).content.decode()
    edit_url = reverse("frontend:office-contact", args=[commune.code])
    assert edit_url in office_page and "Chưa cập nhật" in office_page
    assert client.get(edit_url).status_code == 200
    response = client.post(edit_url, CONTACT)
    assert response.status_code == 302
    office = Office.objects.get(pk=commune.pk)
    assert office.reception_hours == CONTACT["reception_hours"] and office.phone == "024 3000 0003"
    entry = AuditEntry.objects.get(action="office.contact")
    assert entry.actor == admin and entry.details["changes"]["phone"] == {"from": "", "to": "024 3000 0003"}
    public = login(make_user()).get(reverse("frontend:office", args=[commune.code])).content.decode()
    for text in ("Số 25 Liễu Giai, Ba Đình", "024 3000 0003", "Phòng tiếp công dân, tầng 1",
                 "Sáng thứ Hai đến thứ Sáu, 7 giờ 30 – 11 giờ 30<br>Chủ tịch tiếp sáng thứ Năm", "tiepdan@example.vn"):
        assert text in public
    assert edit_url not in public  # a citizen has no edit link


@pytest.mark.django_db
def test_bad_contact_values_are_form_errors(office_tree, make_user):
    commune = office_tree["commune011"]
    client = login(make_user(Role.OFFICE_ADMIN, commune))
    url = reverse("frontend:office-contact", args=[commune.code])
    for field, value in (("phone", "gọi tôi"), ("email", "not-an-email"), ("reception_hours", "x" * 1001)):
        response = client.post(url, {**CONTACT, field: value})
        assert response.status_code == 400 and 'role="alert"' in response.content.decode(), field
    assert Office.objects.get(pk=commune.pk).phone == ""


@pytest.mark.django_db
def test_only_the_office_admin_may_edit_the_contact(office_tree, make_user):
    commune = office_tree["commune011"]
    url = reverse("frontend:office-contact", args=[commune.code])
    for role, office in ((Role.LEADER, commune), (Role.SECRETARY, commune), (Role.INSPECTOR, office_tree["province01"]),
                         (Role.OFFICE_ADMIN, office_tree["commune021"])):
        client = login(make_user(role, office))
        assert client.get(url).status_code == 403, role
        assert client.post(url, CONTACT).status_code == 403, role
        assert url not in client.get(reverse("frontend:office", args=[commune.code])).content.decode()
    assert login(make_user()).post(url, CONTACT).status_code == 403  # a citizen
    assert Office.objects.get(pk=commune.pk).phone == ""
    # The province's administrator covers the communes beneath it.
    assert login(make_user(Role.OFFICE_ADMIN, office_tree["province01"])).post(url, CONTACT).status_code == 302


# --- Favicon -------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_favicon_is_linked_and_favicon_ico_is_answered(client):
    home = client.get("/").content.decode()
    assert 'rel="icon"' in home and "frontend/favicon.svg" in home
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("frontend/favicon.svg")
    path = finders.find("frontend/favicon.svg")
    assert path and open(path, encoding="utf-8").read().startswith("<svg")


@pytest.mark.django_db
def test_seed_demo_fills_the_demo_offices_contact(office_tree):
    from core.management.commands.seed_demo import Command
    from offices.models import OfficeKind, Tier

    province = office_tree["province01"]
    Office.objects.create(code="X00004", name="Điểm tiếp công dân phường Ba Đình", tier=Tier.COMMUNE,
                          kind=OfficeKind.RECEPTION_POINT, parent=province, path=province.path + "X00004/")
    Command()._demo_contacts()
    commune = Office.objects.get(code="X00004")
    assert commune.phone and commune.address and "thứ Năm" in commune.reception_hours
    assert "\n" in Office.objects.get(code="T01").reception_hours and Office.objects.get(code="TW").address
