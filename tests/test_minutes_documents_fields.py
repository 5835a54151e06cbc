"""Issue 11, item 11: the minutes PDF/DOCX print the reception's real end (the session's close, not the time
the minutes were locked nor the planned end), the connected sites and the participants' sites by name, the
signature blocks of the citizen and the receiver for each citizen, the citizen's online confirmation (time
and way), and the page count of each document handed over (validated in the editor)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from documents.render import vn_time
from minutes import services as minutes_services
from minutes.models import CitizenSection
from offices.models import Office
from sessions import services as session_services
from sessions.models import SessionEvent, SessionStatus
from signaling.models import Room, RoomRecord
from tests.cases_helpers import login
from tests.room_helpers import join_token, open_room
from tests.test_secrecy_e2e import docx_text, pdf_text

COMMUNE_NAME = "Ủy ban nhân dân xã Yên Phụ"
PROVINCE_NAME = "Ban Tiếp công dân tỉnh Bắc Ninh"


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def locked(office_tree, make_user):
    """Minutes locked while the session is still open (the real end is not known yet), with one citizen
    section (from a registration) that lists two documents with their page counts."""
    Office.objects.filter(pk=office_tree["commune011"].pk).update(name=COMMUNE_NAME)
    Office.objects.filter(pk=office_tree["province01"].pk).update(name=PROVINCE_NAME)
    room = open_room(office_tree, make_user)
    session, secretary = room["session"], room["secretary"]
    minutes = minutes_services.open_minutes(session, secretary)
    section = minutes_services.add_section(minutes, secretary, citizen_name="", registration=room["registrations"][0])
    minutes_services.save_section_field(section, secretary, field="documents_handed_over", base_version=0, value=[
        {"title": "Đơn khiếu nại", "pages": 3, "condition": "bản chính"},
        {"title": "Quyết định thu hồi đất", "pages": 12, "condition": "bản sao"}])
    minutes = minutes_services.finalize(minutes, secretary)
    return {**room, "minutes": minutes, "section": section}


def _close(ctx, *, opened_at, held_at, admitted_at=None):
    """The host ends the reception; the history's times are then set to known values."""
    session = ctx["session"]
    session_services.close_session(session, ctx["host"])
    SessionEvent.objects.filter(session=session, to_status=SessionStatus.OPEN).update(at=opened_at)
    SessionEvent.objects.filter(session=session, to_status=SessionStatus.HELD).update(at=held_at)
    RoomRecord.objects.filter(room__session=session, kind="ended").update(at=held_at)
    if admitted_at is not None:
        room, _created = Room.objects.get_or_create(session=session)
        RoomRecord.objects.create(room=room, kind="admitted", data={}, subject=ctx["citizens"][0])
        RoomRecord.objects.filter(room__session=session, kind="admitted").update(at=admitted_at)


def _documents(ctx):
    client = login(ctx["host"])
    mid = ctx["minutes"].pk
    pdf = client.get(f"/api/documents/minutes/{mid}.pdf")
    docx = client.get(f"/api/documents/minutes/{mid}.docx")
    assert pdf.status_code == 200 and docx.status_code == 200
    return _flat(pdf_text(pdf.content)), _flat(docx_text(docx.content))


@pytest.mark.django_db
def test_the_end_is_when_the_session_was_closed_not_when_the_minutes_were_locked(locked):
    session = locked["session"]
    assert locked["minutes"].ended_at is None  # locked while open: no end invented
    # Opened an hour early and closed 33 minutes before the planned start (the reported "16:00 → 15:27").
    opened_at, held_at = session.starts_at - timedelta(minutes=60), session.starts_at - timedelta(minutes=33)
    _close(locked, opened_at=opened_at, held_at=held_at)
    period = minutes_services.reception_period(session)
    assert period.held and period.ended_at == held_at and period.started_at == opened_at
    for text in _documents(locked):
        assert f"Thời gian kết thúc: {vn_time(held_at)}" in text
        assert f"Thời gian bắt đầu: {vn_time(opened_at)}" in text
        assert vn_time(session.starts_at) not in text and vn_time(session.ends_at) not in text


@pytest.mark.django_db
def test_an_overrun_prints_the_real_end_and_an_early_admission_the_real_start(locked):
    session = locked["session"]
    admitted_at, held_at = session.starts_at - timedelta(minutes=10), session.ends_at + timedelta(minutes=42)
    _close(locked, opened_at=session.starts_at - timedelta(minutes=30), held_at=held_at, admitted_at=admitted_at)
    for text in _documents(locked):
        assert f"Thời gian bắt đầu: {vn_time(admitted_at)}" in text
        assert f"Thời gian kết thúc: {vn_time(held_at)}" in text


@pytest.mark.django_db
def test_a_session_not_held_prints_the_planned_end(locked):
    session = locked["session"]
    period = minutes_services.reception_period(session)
    assert not period.held and period.ended_at == session.ends_at and period.started_at == session.starts_at
    pdf, docx = _documents(locked)
    assert f"Thời gian kết thúc: {vn_time(session.ends_at)}" in pdf and f"Thời gian kết thúc: {vn_time(session.ends_at)}" in docx


@pytest.mark.django_db
def test_what_the_secretary_typed_wins_over_the_history(office_tree, make_user):
    room = open_room(office_tree, make_user)
    minutes = minutes_services.open_minutes(room["session"], room["secretary"])
    typed = room["session"].starts_at + timedelta(minutes=75)
    minutes_services.save_header_field(minutes, room["secretary"], field="ended_at", value=typed.isoformat(),
                                       base_version=0)
    minutes = minutes_services.finalize(minutes, room["secretary"])
    session_services.close_session(room["session"], room["host"])
    pdf = _flat(pdf_text(login(room["host"]).get(f"/api/documents/minutes/{minutes.pk}.pdf").content))
    assert f"Thời gian kết thúc: {vn_time(typed)}" in pdf


@pytest.mark.django_db
def test_sites_and_participants_are_named_not_coded(locked, office_tree):
    _close(locked, opened_at=locked["session"].starts_at, held_at=locked["session"].ends_at)
    for text in _documents(locked):
        assert f"Các điểm cầu kết nối: {COMMUNE_NAME}; {PROVINCE_NAME}." in text
        assert COMMUNE_NAME in text.split("THÀNH PHẦN THAM DỰ")[1]  # the host's site column
        for office in ("commune011", "province01"):
            assert office_tree[office].code not in text


@pytest.mark.django_db
def test_signature_blocks_and_the_join_link_confirmation_are_printed(locked):
    minutes, section = locked["minutes"], locked["section"]
    token = join_token(locked["registrations"][0])
    anonymous = login(locked["citizens"][0]).__class__()  # a browser with only the join link
    response = anonymous.post(f"/api/minutes/{minutes.pk}/sections/{section.pk}/confirm/?token={token}")
    assert response.status_code == 200 and response.json()["citizen_confirmed_via"] == "join_link"
    confirmed_at = CitizenSection.objects.get(pk=section.pk).citizen_confirmed_at
    _close(locked, opened_at=locked["session"].starts_at, held_at=locked["session"].ends_at)
    for text in _documents(locked):
        part = text.split("II. NỘI DUNG TIẾP CÔNG DÂN")[1]
        assert "CÔNG DÂN (Ký, ghi rõ họ tên hoặc điểm chỉ)" in part
        assert "NGƯỜI TIẾP CÔNG DÂN" in part and "(Ký, ghi rõ họ tên)" in part
        assert "Công Dân 0" in part and "Chủ tịch Xã" in part  # the citizen's and the receiver's names
        assert (f"Công dân đã xác nhận biên bản trực tuyến lúc {vn_time(confirmed_at)}, "
                "qua đường dẫn tham gia phiên tiếp.") in text
        assert "NGƯỜI GHI BIÊN BẢN" in text and "NGƯỜI CHỦ TRÌ" in text


@pytest.mark.django_db
def test_a_login_confirmation_and_an_unconfirmed_section_say_so(locked):
    minutes, section = locked["minutes"], locked["section"]
    pdf, docx = _documents(locked)
    assert "Công dân chưa xác nhận biên bản trực tuyến." in pdf and "Công dân chưa xác nhận biên bản trực tuyến." in docx
    response = login(locked["citizens"][0]).post(f"/api/minutes/{minutes.pk}/sections/{section.pk}/confirm/")
    assert response.status_code == 200 and response.json()["citizen_confirmed_via"] == "login"
    for text in _documents(locked):
        assert "sau khi đăng nhập tài khoản." in text


@pytest.mark.django_db
def test_page_counts_of_the_documents_handed_over(locked):
    for text in _documents(locked):
        assert "Số trang" in text
        assert "Đơn khiếu nại 3 bản chính" in text or "Đơn khiếu nại\n3" in text or "Đơn khiếu nại 3" in text
        assert "Quyết định thu hồi đất 12 bản sao" in text or "Quyết định thu hồi đất 12" in text


@pytest.mark.django_db
def test_the_editor_refuses_a_page_count_that_is_not_a_number(office_tree, make_user):
    room = open_room(office_tree, make_user)
    minutes = minutes_services.open_minutes(room["session"], room["secretary"])
    section = minutes_services.add_section(minutes, room["secretary"], citizen_name="Lê Văn Tám")
    client = login(room["secretary"])
    url = reverse("frontend:minutes-editor", args=[room["session"].public_id])
    field = f"f:{section.pk}:documents_handed_over"
    page = client.post(url, {field: "Đơn khiếu nại; ba trang; bản chính", f"v:{section.pk}:documents_handed_over": "0"},
                       follow=True)
    assert page.status_code == 200
    assert "Dòng 1: số trang phải là một số nguyên" in page.content.decode()
    assert CitizenSection.objects.get(pk=section.pk).documents_handed_over == []
    client.post(url, {field: "Đơn khiếu nại; 4; bản chính", f"v:{section.pk}:documents_handed_over": "0"})
    assert CitizenSection.objects.get(pk=section.pk).documents_handed_over == [
        {"title": "Đơn khiếu nại", "pages": 4, "condition": "bản chính"}]
    # The API refuses too (zero pages, or text), with a typed error.
    api = login(room["secretary"])
    for pages in (0, "ba"):
        response = api.patch(f"/api/minutes/{minutes.pk}/sections/{section.pk}/",
                             {"field": "documents_handed_over", "base_version": 1,
                              "value": [{"title": "Đơn", "pages": pages}]}, format="json")
        assert response.status_code == 400 and response.json()["error"]["fields"]


@pytest.mark.django_db
def test_the_case_link_in_the_editor_opens_the_case_page(office_tree, make_user):
    room = open_room(office_tree, make_user)
    minutes = minutes_services.open_minutes(room["session"], room["secretary"])
    section = minutes_services.add_section(minutes, room["secretary"], citizen_name="Lê Văn Tám", kind="complaint",
                                           citizen_address="Thôn Đông, xã Yên Phụ", id_document_type="cccd",
                                           id_document_number="001190012345", statement="Khiếu nại việc thu hồi đất.")
    case = minutes_services.create_case_from_section(section, room["secretary"])
    page = login(room["secretary"]).get(reverse("frontend:minutes-editor", args=[room["session"].public_id]))
    html = page.content.decode()
    case_url = reverse("frontend:case-detail", args=[case.public_id])
    assert f'href="{case_url}" data-case-link' in html and "/api/cases/" not in html
