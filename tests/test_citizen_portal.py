"""The citizen portal without JavaScript (Django's test client): finding an office or a schedule by typing a
place with or without diacritics, registering a group with its representatives through the page, "my
registrations" with the join link, the device check and the countdown, the navigation by role, the rules
page, and every main page in Vietnamese by default and in English under /en/."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from scheduling.models import Registration, RegistrationStatus
from tests.test_accessibility import SUMMARY, build_portal, portal_pages


@pytest.fixture
def portal(make_user):
    return build_portal(make_user)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def nav_links(html: str) -> set[str]:
    return set(re.findall(r'data-nav="([\w-]+)"', html))


# --- Finding an office and its schedule ----------------------------------------------------------------

@pytest.mark.parametrize("typed", ["bac ninh", "Bắc Ninh", "BAC  NINH", "bắc ninh"])
def test_directory_search_ignores_diacritics_and_case(client, portal, typed):
    html = text(client.get("/co-quan/", {"q": typed}))
    assert "Ban Tiếp công dân tỉnh Bắc Ninh" in html
    assert "Điểm tiếp công dân phường Kinh Bắc" in html  # communes of the province match too
    assert "Hà Nội" not in html.split('id="results"')[1]
    assert "2 kết quả" in html


def test_directory_search_by_commune_without_diacritics(client, portal):
    html = text(client.get("/co-quan/", {"q": "kinh bac"}))
    assert "Điểm tiếp công dân phường Kinh Bắc" in html and "Ban Tiếp công dân tỉnh Bắc Ninh" not in html
    assert "Không tìm thấy cơ quan nào" in text(client.get("/co-quan/", {"q": "xyz khong co"}))


def test_home_search_leads_to_the_directory(client, portal):
    html = text(client.get("/"))
    assert 'action="/co-quan/"' in html and 'name="q"' in html
    assert 'aria-describedby="q-hint"' in html and '<ol class="steps">' in html


def test_schedule_filters_by_commune_without_diacritics_and_by_province(client, portal):
    title = "Lãnh đạo phường Kinh Bắc tiếp công dân định kỳ"
    assert title in text(client.get("/lich-tiep/", {"commune": "kinh bac", "to": ""}))
    assert title in text(client.get("/lich-tiep/", {"commune": "KINH BẮC"}))
    assert title not in text(client.get("/lich-tiep/", {"commune": "ba dinh"}))
    assert title in text(client.get("/lich-tiep/", {"province": "24"}))
    assert title not in text(client.get("/lich-tiep/", {"province": "01"}))


def test_office_page_shows_its_coming_sessions_and_links_to_its_schedule(client, portal):
    html = text(client.get(f"/co-quan/{portal['kinh_bac'].code}/"))
    assert "Lãnh đạo phường Kinh Bắc tiếp công dân định kỳ" in html
    assert "/lich-tiep/?commune=Ph%C6%B0%E1%BB%9Dng+Kinh+B%E1%BA%AFc" in html
    # The province's page lists the session too: it is a connected site.
    html = text(client.get(f"/co-quan/{portal['bac_ninh'].code}/"))
    assert "Lãnh đạo phường Kinh Bắc tiếp công dân định kỳ" in html and "/lich-tiep/?province=24" in html
    assert "điểm cầu tại cơ quan này" in html


# --- Registering and "my registrations" ----------------------------------------------------------------

def test_group_registration_with_representatives_through_the_page(client, portal, make_user):
    session = portal["open"]
    citizen = make_user(full_name="Phạm Văn Nhóm")
    client.force_login(citizen)
    url = f"/lich-tiep/{session.public_id}/"
    html = text(client.get(url))
    assert 'name="people_count"' in html and 'name="representative_1"' in html and 'name="matter_kind"' in html
    slot = session.slots.order_by("index").first()
    data = {"slot": str(slot.pk), "matter_kind": "petition", "matter_summary": SUMMARY, "people_count": "12",
            "representative_1": "Nguyễn Văn A", "representative_2": "Trần Thị B", "representative_3": "Lê Văn C"}
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == "/cua-toi/dang-ky/"
    registration = Registration.objects.get(citizen=citizen)
    assert registration.people_count == 12 and registration.matter_kind == "petition"
    assert [r["full_name"] for r in registration.representatives] == ["Nguyễn Văn A", "Trần Thị B", "Lê Văn C"]
    html = text(client.get("/cua-toi/dang-ky/"))
    assert "Nguyễn Văn A" in html and "Lê Văn C" in html and "<dd>12</dd>" in html


def test_my_registrations_shows_join_link_device_check_and_countdown(client, portal):
    client.force_login(portal["citizen"])
    html = text(client.get("/cua-toi/dang-ky/"))
    registration, session = portal["registration"], portal["registered"]
    assert registration.status == RegistrationStatus.CONFIRMED
    assert "/tham-gia/" in html and "Vào phòng tiếp trực tuyến" in html
    device_check = re.search(rf'href="(/phong/{session.public_id}/\?token=[^"#]+#precheck)"', html)
    assert device_check, "the device-check link opens the room's pre-join screen with the join token"
    # The countdown: rendered by the server, kept current by countdown.js (the page works without it).
    assert re.search(r'<p class="countdown" data-countdown="\d{4}-\d\d-\d\dT[^"]+"><span class="countdown-text">'
                     r"Còn 1\d ngày( \d+ giờ)? đến giờ tiếp của bạn\.</span></p>", html), html
    assert 'data-template="Còn %(left)s đến giờ tiếp của bạn."' in html and "data-server-now=" in html
    assert "/static/frontend/countdown.js" in html
    assert 'href="/cua-toi/vu-viec/"' in html  # my cases
    # The pre-join page the link leads to answers.
    assert text(client.get(device_check.group(1).replace("&amp;", "&")))


def test_join_page_shows_the_steps_and_the_countdown(client, portal):
    html = text(client.get(f"/tham-gia/{portal['token']}/"))
    assert '<ol class="steps">' in html and "Còn 1" in html and "/noi-quy/#giay-to" in html
    assert f"/phong/{portal['registered'].public_id}/?token=" in html
    assert client.get("/tham-gia/not-a-token/").status_code == 404


def test_signup_and_login_are_clear(client, db):
    html = text(client.get("/dang-ky/"))
    assert "Bước 1 trên 2" in html and 'autocomplete="new-password"' in html
    assert 'aria-describedby="id_identifier_helptext"' in html and 'href="/dang-nhap/"' in html
    html = text(client.get("/dang-nhap/"))
    assert 'autocomplete="current-password"' in html and 'href="/dang-ky/"' in html
    # Staff sign in with a username: the label says so (issue 17).
    assert "Số điện thoại, thư điện tử hoặc tên đăng nhập" in html and "Cán bộ: tên đăng nhập được cấp" in html
    response = client.post("/dang-nhap/", {"identifier": "", "password": ""})
    assert 'id="id_identifier_error" role="alert"' in text(response)
    assert 'aria-describedby="id_identifier_helptext id_identifier_error"' in text(response)


def test_the_one_time_code_page_ends_with_account_created(client, transactional_db):
    from django.core import mail

    response = client.post("/dang-ky/", {"full_name": "Nguyễn Thị Mai", "identifier": "mai@example.com",
                                          "password": "Ngay-mai-troi-nang-7"})
    assert response.status_code == 302 and response["Location"] == "/dang-ky/xac-minh/"
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    response = client.post("/dang-ky/xac-minh/", {"code": code}, follow=True)
    html = text(response)
    assert response.redirect_chain[-1][0] == "/"
    assert 'role="status"' in html and "Đã tạo tài khoản. Bạn đã đăng nhập" in html
    assert response.context["user"].is_authenticated


# --- Navigation by role --------------------------------------------------------------------------------

PUBLIC = {"schedule", "offices", "rules", "public-results"}


def test_navigation_for_anonymous_visitors(client, portal):
    html = text(client.get("/"))
    assert nav_links(html) == PUBLIC | {"login", "signup"}
    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    assert '<details class="menu">' in html and "<summary>" in html
    assert 'name="language"' in html  # the Vietnamese/English switch stays


def test_navigation_for_a_citizen(client, portal):
    client.force_login(portal["citizen"])
    html = text(client.get("/cua-toi/dang-ky/"))
    assert nav_links(html) == PUBLIC | {"my-registrations", "my-cases", "notifications"}
    assert 'href="/cua-toi/dang-ky/" data-nav="my-registrations" aria-current="page"' in html
    assert "Đăng xuất" in html


@pytest.mark.parametrize("role, oversight", [
    (Role.RECEPTION_OFFICER, False), (Role.SECRETARY, False), (Role.LEADER, True), (Role.INSPECTOR, True),
    (Role.OFFICE_ADMIN, True),
])
def test_navigation_for_staff(client, portal, make_user, role, oversight):
    client.force_login(make_user(role, portal["kinh_bac"]))
    links = nav_links(text(client.get("/noi-quy/")))
    expected = PUBLIC | {"workspace", "notifications", "case-inbox", "reception-log", "reports"} | (
        {"oversight"} if oversight else set())
    assert links == expected


# --- Public pages and languages ------------------------------------------------------------------------

def test_rules_page_states_rights_duties_documents_refusal_grounds_and_secrecy(client, db, settings):
    settings.GROUP_CASE_REPRESENTATIVES_LARGE = 4
    html = text(client.get("/noi-quy/"))
    for heading in ("Quyền của công dân", "Nghĩa vụ của công dân", "Giấy tờ cần mang theo",
                    "Các trường hợp bị từ chối tiếp", "Giữ bí mật cho người tố cáo"):
        assert heading in html
    assert "say rượu" in html and "đe dọa, xúc phạm" in html and "cố tình kéo dài" in html
    assert "cử tối đa 4 người đại diện" in html  # numbers come from the settings
    assert "10 ngày làm việc" in html


def test_main_pages_answer_in_vietnamese_and_in_english(client, portal):
    client.force_login(portal["citizen"])
    for name, path, _signed_in in portal_pages(portal):
        html = text(client.get(path))
        assert '<html lang="vi"' in html, name
        english = text(client.get("/en" + path))
        assert '<html lang="en"' in english, name
        if name != "public-results" or "Citizen reception offices" in english:
            assert "Citizen reception offices" in english, name  # the navigation is translated
