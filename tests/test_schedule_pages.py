"""The server-rendered public schedule, session pages, registration form and "my registrations"."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from core.text import fold
from offices.models import Office, OfficeKind, Tier
from scheduling.models import Registration, RegistrationStatus
from scheduling.services import registrations
from sessions import services as session_services
from tests.scheduling_helpers import a_leader

SCHEDULE, MINE = "/lich-tiep/", "/cua-toi/dang-ky/"
SUMMARY = "Đề nghị xem xét lại quyết định thu hồi đất của gia đình tôi."


def at(days: int, hour: int = 8) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days), time(hour)))


def session_url(session) -> str:
    return f"{SCHEDULE}{session.public_id}/"


@pytest.fixture
def places(db):
    """A small real-looking directory: central → Hà Nội (Phường Ba Đình) and TP Hồ Chí Minh (Phường Sài Gòn)."""

    def make(code, name, tier, kind, parent=None, unit_code="", unit_name=""):
        return Office.objects.create(
            code=code, name=name, tier=tier, kind=kind, parent=parent, path=(parent.path if parent else "") + code + "/",
            admin_unit_code=unit_code, admin_unit_name=unit_name, search_text=fold(f"{name} {unit_name}"))

    central = make("TW", "Trụ sở Tiếp công dân Trung ương", Tier.CENTRAL, OfficeKind.CENTRAL_RECEPTION_OFFICE)
    hanoi = make("T01", "Ban Tiếp công dân thành phố Hà Nội", Tier.PROVINCIAL, OfficeKind.RECEPTION_BOARD, central,
                 "01", "Thành phố Hà Nội")
    hcm = make("T79", "Ban Tiếp công dân Thành phố Hồ Chí Minh", Tier.PROVINCIAL, OfficeKind.RECEPTION_BOARD,
               central, "79", "Thành phố Hồ Chí Minh")
    ba_dinh = make("X00004", "Điểm tiếp công dân phường Ba Đình", Tier.COMMUNE, OfficeKind.RECEPTION_POINT, hanoi,
                   "00004", "Phường Ba Đình, Thành phố Hà Nội")
    sai_gon = make("X26734", "Điểm tiếp công dân phường Sài Gòn", Tier.COMMUNE, OfficeKind.RECEPTION_POINT, hcm,
                   "26734", "Phường Sài Gòn, Thành phố Hồ Chí Minh")
    return {"central": central, "hanoi": hanoi, "hcm": hcm, "ba_dinh": ba_dinh, "sai_gon": sai_gon}


@pytest.fixture
def make_session(places):
    def make(office, title, *, host=None, kind="regular", days=12, hours=1, capacity=2, publish=True, sites=(),
             **extra):
        if kind == "adhoc":
            extra.setdefault("adhoc_reason", "many_people")
        session = session_services.create_session(
            by=None, kind=kind, host_office=office, host=host or a_leader(office), title=title, starts_at=at(days),
            ends_at=at(days) + timedelta(hours=hours), slot_minutes=30, slot_capacity=capacity,
            sites=[(o, None) for o in sites], **extra)
        return session_services.publish(session, None, reason="test") if publish else session

    return make


def form_data(slot, **overrides):
    data = {"slot": str(slot.pk), "matter_kind": "complaint", "matter_summary": SUMMARY, "people_count": "1"}
    data.update(overrides)
    return data


def register(citizen, slot, **kwargs):
    kwargs.setdefault("matter_kind", "complaint")
    kwargs.setdefault("matter_summary", SUMMARY)
    return registrations.register(citizen=citizen, slot_id=slot.pk, **kwargs)


def text(response) -> str:
    return response.content.decode()


def test_schedule_lists_published_sessions_not_planned(client, places, make_user, make_session):
    leader = make_user(Role.LEADER, places["ba_dinh"], full_name="Trần Văn Chủ Tịch")
    make_session(places["ba_dinh"], "Tiếp công dân định kỳ tháng", host=leader, kind="adhoc",
                 sites=[places["hanoi"]])
    make_session(places["ba_dinh"], "Phiên nội bộ chưa công bố", publish=False)
    response = client.get(SCHEDULE)
    assert response.status_code == 200
    page = text(response)
    assert "Tiếp công dân định kỳ tháng" in page
    assert "Phiên nội bộ chưa công bố" not in page
    assert at(12).strftime("%d/%m/%Y") + " 08:00" in page
    assert "Trần Văn Chủ Tịch" in page and "Đột xuất" in page and "Đã công bố" in page
    assert "Ban Tiếp công dân thành phố Hà Nội" in page  # the connected site
    assert "/ical/offices/X00004.ics" in page


def test_province_tier_and_accent_free_commune_filters(client, places, make_session):
    make_session(places["ba_dinh"], "Tiếp dân phường Ba Đình")
    make_session(places["sai_gon"], "Tiếp dân phường Sài Gòn")
    make_session(places["hanoi"], "Tiếp dân thành phố có điểm cầu Ba Đình", sites=[places["ba_dinh"]], days=13)

    page = text(client.get(SCHEDULE, {"province": "01"}))
    assert "Tiếp dân phường Ba Đình" in page and "Tiếp dân thành phố có điểm cầu" in page
    assert "Tiếp dân phường Sài Gòn" not in page
    assert 'value="01" selected' in page and "Thành phố Hồ Chí Minh" in page  # provinces by admin unit
    assert "/ical/offices/T01.ics" in page

    page = text(client.get(SCHEDULE, {"commune": "ba dinh"}))  # no accents typed
    assert "Tiếp dân phường Ba Đình" in page and "Tiếp dân thành phố có điểm cầu" in page
    assert "Tiếp dân phường Sài Gòn" not in page

    page = text(client.get(SCHEDULE, {"commune": "SAI GON", "tier": "commune"}))
    assert "Tiếp dân phường Sài Gòn" in page and "Ba Đình" not in page.split("results-heading")[1]

    page = text(client.get(SCHEDULE, {"tier": "provincial"}))
    assert "Tiếp dân thành phố có điểm cầu" in page and "Tiếp dân phường Ba Đình" not in page

    # The date range: a session beyond the default 60 days appears only when asked for.
    make_session(places["ba_dinh"], "Tiếp dân cuối năm", days=90)
    assert "Tiếp dân cuối năm" not in text(client.get(SCHEDULE))
    later = (timezone.localdate() + timedelta(days=100)).isoformat()
    assert "Tiếp dân cuối năm" in text(client.get(SCHEDULE, {"to": later}))


def test_leader_filter_shows_only_a_leaders_name(client, places, make_user, make_session):
    leader = make_user(Role.LEADER, places["ba_dinh"], full_name="Lê Thị Lãnh Đạo")
    make_session(places["ba_dinh"], "Phiên của lãnh đạo", host=leader)
    make_session(places["sai_gon"], "Phiên của cán bộ")
    page = text(client.get(SCHEDULE, {"leader": leader.pk}))
    assert "Phiên của lãnh đạo" in page and "Phiên của cán bộ" not in page
    assert "Đang xem lịch tiếp của lãnh đạo Lê Thị Lãnh Đạo" in page
    citizen = make_user(full_name="Công Dân Bí Mật")
    page = text(client.get(SCHEDULE, {"leader": citizen.pk}))
    assert "Công Dân Bí Mật" not in page


def test_postponed_and_cancelled_sessions_show_their_public_reason(client, places, make_session):
    postponed = make_session(places["ba_dinh"], "Phiên sẽ hoãn")
    postponed = session_services.postpone(postponed, None, reason="Lãnh đạo họp khẩn cấp với Trung ương",
                                          new_starts_at=at(20))
    cancelled = make_session(places["ba_dinh"], "Phiên sẽ hủy", days=14)
    session_services.cancel(cancelled, None, reason="Trùng lịch bầu cử")
    page = text(client.get(SCHEDULE))
    assert "Hoãn" in page and "Lãnh đạo họp khẩn cấp với Trung ương" in page
    assert session_url(postponed.replaced_by) in page
    assert "Trùng lịch bầu cử" in page and "Lý do hủy:" in page
    detail = text(client.get(session_url(postponed)))
    assert "Lãnh đạo họp khẩn cấp với Trung ương" in detail and session_url(postponed.replaced_by) in detail
    assert "không nhận đăng ký" in detail and 'name="matter_summary"' not in detail


def test_planned_session_page_is_not_found(client, places, make_session):
    planned = make_session(places["ba_dinh"], "Phiên dự kiến", publish=False)
    assert client.get(session_url(planned)).status_code == 404


def test_session_page_shows_slot_availability(client, places, make_user, make_session, settings):
    settings.WAITLIST_MAX_PER_SLOT = 1
    session = make_session(places["ba_dinh"], "Phiên có lượt", capacity=2, hours=2,
                           tentative_content="Tiếp công dân về đất đai")
    slot0, slot1, slot2, _ = session.slots.order_by("index")
    register(make_user(), slot0)
    for citizen in (make_user(), make_user(), make_user()):  # two seats, then the one place on the waiting list
        register(citizen, slot1)
    register(make_user(), slot2)
    register(make_user(), slot2)
    page = text(client.get(session_url(session)))
    assert "Tiếp công dân về đất đai" in page
    assert "08:00 – 08:30" in page and "Còn 1 chỗ" in page  # slot 0
    assert "Đã đầy" in page  # slot 1: seats and waiting list full
    assert "Hết chỗ — còn danh sách chờ" in page  # slot 2
    assert "Còn 2 chỗ" in page  # slot 3
    assert "Người Dùng" not in page  # nobody's name


def test_anonymous_user_sees_login_link_not_the_form(client, places, make_session):
    session = make_session(places["ba_dinh"], "Phiên công khai")
    page = text(client.get(session_url(session)))
    assert "Đăng nhập để đăng ký" in page
    assert f"/dang-nhap/?next=/lich-tiep/{session.public_id}/" in page
    assert 'name="matter_summary"' not in page
    response = client.post(session_url(session), form_data(session.slots.first()))
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/?next=")
    assert not Registration.objects.exists()


def test_citizen_registers_through_the_form(client, places, make_user, make_session):
    session = make_session(places["ba_dinh"], "Phiên đăng ký")
    citizen = make_user()
    client.force_login(citizen)
    page = text(client.get(session_url(session)))
    assert 'name="matter_summary"' in page and 'name="representative_5"' in page
    assert "Bắt buộc khi đoàn từ 5 người trở lên" in page
    assert 'for="id_matter_summary"' in page and 'aria-describedby="id_matter_summary_helptext"' in page
    slot = session.slots.order_by("index")[1]
    response = client.post(session_url(session), form_data(slot))
    assert response.status_code == 302 and response["Location"] == MINE
    registration = Registration.objects.get()
    assert registration.citizen == citizen and registration.slot == slot
    assert registration.status == RegistrationStatus.CONFIRMED
    page = text(client.get(MINE))
    assert "Đăng ký thành công" in page and "Phiên đăng ký" in page and "Đã xác nhận" in page
    assert "08:30" in page and "/tham-gia/" in page  # the join link
    # Back on the session page: already registered, no second form.
    page = text(client.get(session_url(session)))
    assert "Bạn đã đăng ký phiên này" in page and 'name="matter_summary"' not in page


def test_second_citizen_on_a_full_slot_is_waitlisted(client, places, make_user, make_session):
    session = make_session(places["ba_dinh"], "Phiên một chỗ", capacity=1)
    slot = session.slots.order_by("index").first()
    register(make_user(), slot)
    second = make_user()
    client.force_login(second)
    assert "Hết chỗ — còn danh sách chờ" in text(client.get(session_url(session)))
    response = client.post(session_url(session), form_data(slot), follow=True)
    assert response.redirect_chain[-1][0] == MINE
    page = text(response)
    assert "Bạn đang ở vị trí 1 trong danh sách chờ" in page
    assert "Vị trí 1 trong danh sách chờ" in page
    assert Registration.objects.get(citizen=second).status == RegistrationStatus.WAITLISTED


def test_group_of_six_needs_a_representative(client, places, make_user, make_session):
    session = make_session(places["ba_dinh"], "Phiên đông người")
    client.force_login(make_user())
    slot = session.slots.first()
    response = client.post(session_url(session), form_data(slot, people_count="6"))
    assert response.status_code == 200
    page = text(response)
    assert 'id="representatives_error"' in page
    assert "Đoàn 6 người cử từ 1 đến 2 người đại diện." in page.split('id="representatives_error"')[1][:200]
    assert 'aria-describedby="representatives_helptext representatives_error"' in page
    assert SUMMARY in page  # what was typed is kept
    assert not Registration.objects.exists()
    response = client.post(session_url(session), form_data(slot, people_count="6",
                                                           representative_1="Nguyễn Văn Đại Diện"))
    assert response.status_code == 302
    assert Registration.objects.get().representatives == [{"full_name": "Nguyễn Văn Đại Diện", "phone": ""}]


def test_form_errors_are_shown_on_their_fields(client, places, make_user, make_session):
    session = make_session(places["ba_dinh"], "Phiên kiểm tra lỗi")
    client.force_login(make_user())
    response = client.post(session_url(session), form_data(session.slots.first(), matter_summary="ngắn",
                                                           matter_kind="gossip"))
    assert response.status_code == 200
    page = text(response)
    assert 'id="id_matter_kind_error"' in page and 'aria-describedby="id_matter_kind_error"' in page
    response = client.post(session_url(session), form_data(session.slots.first(), matter_summary="quá ngắn"))
    page = text(response)
    assert 'id="id_matter_summary_error"' in page and "ít nhất 10 ký tự" in page
    assert 'aria-invalid="true"' in page
    assert not Registration.objects.exists()


def test_closed_registration_shows_no_form(client, places, make_user, make_session):
    session = make_session(places["ba_dinh"], "Phiên hết hạn", registration_closes_at=timezone.now())
    client.force_login(make_user())
    page = text(client.get(session_url(session)))
    assert "Phiên tiếp này hiện không nhận đăng ký." in page and 'name="matter_summary"' not in page
    response = client.post(session_url(session), form_data(session.slots.first()), follow=True)
    assert "Phiên tiếp này hiện không nhận đăng ký." in text(response)
    assert not Registration.objects.exists()


def test_cancel_by_owner_only(client, places, make_user, make_session):
    session = make_session(places["ba_dinh"], "Phiên hủy đăng ký")
    owner, other = make_user(), make_user()
    registration = register(owner, session.slots.first())
    url = f"{MINE}{registration.public_id}/huy/"

    client.force_login(other)
    assert client.post(url, {"reason": "không phải của tôi"}).status_code == 403
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CONFIRMED
    assert "Phiên hủy đăng ký" not in text(client.get(MINE))  # never someone else's registrations

    client.force_login(owner)
    assert client.get(url).status_code == 405
    page = text(client.get(MINE))
    assert f'action="{url}"' in page and "csrfmiddlewaretoken" in page
    response = client.post(url, {"reason": "Đã giải quyết xong"}, follow=True)
    assert response.redirect_chain[-1][0] == MINE and "Đã hủy đăng ký." in text(response)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED and registration.cancel_reason == "Đã giải quyết xong"
    response = client.post(url, follow=True)  # a second time: the service's refusal, as a message
    assert "Đăng ký này không còn hiệu lực." in text(response)


def test_my_registrations_requires_login(client, db):
    response = client.get(MINE)
    assert response.status_code == 302 and response["Location"] == "/dang-nhap/?next=/cua-toi/dang-ky/"


def test_denunciation_summary_never_appears_on_public_pages(client, places, make_user, make_session):
    session = make_session(places["ba_dinh"], "Phiên có tố cáo")
    denouncer = make_user(full_name="Phạm Người Tố Cáo")
    secret = "Cán bộ địa chính nhận hối lộ MẬT-7731 để cấp sổ đỏ sai quy định"
    client.force_login(denouncer)
    response = client.post(session_url(session), form_data(session.slots.first(), matter_kind="denunciation",
                                                           matter_summary=secret))
    assert response.status_code == 302
    assert Registration.objects.get().matter_summary == secret
    assert "MẬT-7731" not in text(client.get(MINE))
    for viewer in (None, make_user()):
        client.logout()
        if viewer:
            client.force_login(viewer)
        for url in (SCHEDULE, session_url(session), SCHEDULE + "?commune=ba+dinh"):
            page = text(client.get(url))
            assert "MẬT-7731" not in page and "Phạm Người Tố Cáo" not in page


def test_bad_filter_values_answer_200_with_an_error(client, places, make_session):
    make_session(places["ba_dinh"], "Phiên có thật")
    response = client.get(SCHEDULE, {"from": "garbage", "tier": "x"})
    assert response.status_code == 200
    page = text(response)
    assert "Bộ lọc chưa hợp lệ" in page and "Phiên có thật" not in page
    assert 'id="id_from_error"' in page and 'id="id_tier_error"' in page
    for query in ({"province": "zz"}, {"leader": "abc"}, {"to": "2020-13-45"}, {"page": "zzz", "from": "x"},
                  {"from": "2030-02-01", "to": "2030-01-01"}, {"commune": "x" * 500},
                  {"from": "0001-01-01", "to": "9999-12-31"}, {"leader": "9" * 30}):
        response = client.get(SCHEDULE, query)
        assert response.status_code == 200, query
        assert "Bộ lọc chưa hợp lệ" in text(response), query
    assert client.get(SCHEDULE, {"page": "zzz"}).status_code == 200


def test_pages_render_in_english(client, places, make_user, make_session):
    session = make_session(places["ba_dinh"], "Phiên tiếng Anh")
    for url in ("/en/lich-tiep/", f"/en/lich-tiep/{session.public_id}/"):
        response = client.get(url)
        assert response.status_code == 200 and 'lang="en"' in text(response)
        assert "Phiên tiếng Anh" in text(response)
    client.force_login(make_user())
    response = client.get("/en/cua-toi/dang-ky/")
    assert response.status_code == 200 and 'lang="en"' in text(response)


def test_schedule_is_paginated(client, places, make_session):
    for n in range(21):
        make_session(places["ba_dinh"], f"Phiên số {n:02d}", days=12 + n)
    page = text(client.get(SCHEDULE))
    assert "Phiên số 19" in page and "Phiên số 20" not in page and "1 / 2" in page
    assert "Phiên số 20" in text(client.get(SCHEDULE, {"page": 2}))
