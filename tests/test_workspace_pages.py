"""The staff's scheduling workspace (server-rendered): periodic plans with the legal-minimum warning,
publishing / postponing / cancelling sessions, and a leader's calendar of other engagements."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role
from frontend.workspace_views import describe_rrule
from scheduling.models import LeaderEngagement, ReceptionPlan
from scheduling.services import engagements, plans
from sessions.models import SessionStatus
from tests.scheduling_helpers import future_session
from workdays import calendar as workdays

pytestmark = pytest.mark.django_db

WS = "/lam-viec/lich/"
BELOW_MINIMUM = "dưới mức tối thiểu"
WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def text(response) -> str:
    return response.content.decode()


def calendar_url(leader) -> str:
    return f"/lam-viec/lanh-dao/{leader.pk}/"


def action_url(session, action: str) -> str:
    return f"/lam-viec/phien/{session.public_id}/{action}/"


def local(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def make_plan(office, leader, rrule: str, *, title="Tiếp công dân định kỳ của Chủ tịch UBND xã"):
    plan = plans.create_plan(by=leader, office=office, leader=leader, title=title, rrule=rrule,
                             starts_on=timezone.localdate(), start_time=time(8), end_time=time(11, 30))
    plans.materialize(plan_ids=[plan.pk])
    return plan


def working_day_from(day: date) -> date:
    cal = workdays.get_calendar()
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return day


def free_day_after(leader, day: date) -> date:
    """The first working day after ``day`` that is not a reception day of the leader."""
    day = working_day_from(day + timedelta(days=1))
    while engagements.reception_days(leader, day, day, include_plans=True):
        day = working_day_from(day + timedelta(days=1))
    return day


@pytest.fixture
def commune(office_tree):
    return office_tree["commune011"]


@pytest.fixture
def leader(commune, make_user):
    return make_user(Role.LEADER, commune, full_name="Lê Văn Chủ Tịch")


def plan_data(office, leader, **overrides):
    data = {"office": office.code, "title": "Tiếp công dân định kỳ", "leader": str(leader.pk),
            "rhythm": "FREQ=MONTHLY;BYMONTHDAY=15", "rrule": "", "starts_on": timezone.localdate().isoformat(),
            "start_time": "08:00", "end_time": "11:30", "holiday_rule": "next", "slot_minutes": "30",
            "slot_capacity": "1", "tentative_content": ""}
    data.update(overrides)
    return data


# --- describe_rrule ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rrule", "expected"), [
    ("FREQ=MONTHLY;BYMONTHDAY=10,25", "Ngày 10 và 25 hằng tháng"),
    ("FREQ=MONTHLY;BYMONTHDAY=15", "Ngày 15 hằng tháng"),
    ("FREQ=WEEKLY;BYDAY=TH", "Thứ Năm hằng tuần"),
    ("FREQ=WEEKLY;BYDAY=TH,MO", "Thứ Hai và Thứ Năm hằng tuần"),
    ("FREQ=MONTHLY;BYDAY=1MO", "Thứ Hai đầu tiên hằng tháng"),
    ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1;BYSETPOS=1", "Theo quy tắc lặp riêng (xem chi tiết trong trang quản trị)"),
], ids=["10-25", "15", "thursday", "two-days", "first-monday", "no-words"])
def test_describe_rrule(rrule, expected):
    assert describe_rrule(rrule) == expected


# --- plans -------------------------------------------------------------------------------------------------

def test_leader_sees_the_legal_minimum_warning_for_a_once_a_month_plan(client, commune, leader):
    make_plan(commune, leader, "FREQ=MONTHLY;BYMONTHDAY=10", title="Tiếp một lần mỗi tháng")
    client.force_login(leader)
    response = client.get(WS)
    assert response.status_code == 200
    body = text(response)
    assert "Tiếp một lần mỗi tháng" in body and "Ngày 10 hằng tháng" in body
    assert 'role="alert"' in body and BELOW_MINIMUM in body
    assert "Lê Văn Chủ Tịch" in body and f'href="{calendar_url(leader)}"' in body


def test_no_warning_for_two_days_a_month(client, commune, leader):
    make_plan(commune, leader, "FREQ=MONTHLY;BYMONTHDAY=10,25", title="Tiếp hai lần mỗi tháng")
    client.force_login(leader)
    body = text(client.get(WS))
    assert "Tiếp hai lần mỗi tháng" in body and "Ngày 10 và 25 hằng tháng" in body
    assert BELOW_MINIMUM not in body


def test_creating_a_plan_creates_its_sessions_and_warns(client, commune, leader):
    client.force_login(leader)
    response = client.post(WS, plan_data(commune, leader), follow=True)
    assert response.status_code == 200
    plan = ReceptionPlan.objects.get(office=commune)
    assert plan.rrule == "FREQ=MONTHLY;BYMONTHDAY=15" and plan.leader == leader and plan.created_by == leader
    assert plan.sessions.filter(status=SessionStatus.PLANNED).exists()
    body = text(response)
    assert "Đã tạo lịch tiếp định kỳ" in body
    assert body.count(BELOW_MINIMUM) >= 2  # the message, and the alert on the plan


def test_custom_rrule(client, commune, leader):
    client.force_login(leader)
    response = client.post(WS, plan_data(commune, leader, rhythm="custom", rrule="FREQ=MONTHLY;BYMONTHDAY=5,20"))
    assert response.status_code == 302
    assert ReceptionPlan.objects.get(office=commune).rrule == "FREQ=MONTHLY;BYMONTHDAY=5,20"


def test_invalid_custom_rrule_shows_the_error_on_the_field(client, commune, leader):
    client.force_login(leader)
    response = client.post(WS, plan_data(commune, leader, rhythm="custom", rrule="FREQ=MONTHLY;BYMONTHDAY=99"))
    assert response.status_code == 400
    body = text(response)
    assert 'id="id_rrule_error"' in body and "Quy tắc lặp không cho ngày nào" in body
    assert not ReceptionPlan.objects.exists()
    # The custom rhythm without a rule is refused by the form itself.
    response = client.post(WS, plan_data(commune, leader, rhythm="custom", rrule=""))
    assert response.status_code == 400 and 'id="id_rrule_error"' in text(response)
    assert not ReceptionPlan.objects.exists()


def test_service_refusal_on_end_time(client, commune, leader):
    client.force_login(leader)
    response = client.post(WS, plan_data(commune, leader, start_time="11:00", end_time="09:00"))
    assert response.status_code == 400
    assert 'id="id_end_time_error"' in text(response) and "Giờ kết thúc phải sau giờ bắt đầu" in text(response)
    assert not ReceptionPlan.objects.exists()


def test_deactivate_plan(client, commune, leader):
    plan = make_plan(commune, leader, "FREQ=WEEKLY;BYDAY=TH")
    client.force_login(leader)
    response = client.post(f"/lam-viec/lich-dinh-ky/{plan.pk}/ngung/")
    assert response.status_code == 302
    plan.refresh_from_db()
    assert not plan.is_active


# --- sessions ----------------------------------------------------------------------------------------------

def test_late_publication_needs_a_reason(client, commune, leader, make_user):
    officer = make_user(Role.RECEPTION_OFFICER, commune)
    session = future_session(commune, days_ahead=2, publish=False, host=leader, title="Phiên tiếp gấp")
    client.force_login(officer)
    body = text(client.get(WS))
    assert "Phiên tiếp gấp" in body and "Đã quá hạn công bố trước 5 ngày làm việc" in body

    response = client.post(action_url(session, "cong-bo"), {"reason": ""})
    assert response.status_code == 400
    assert "công bố muộn cần nêu lý do" in text(response)
    assert f'id="publish-{session.pk}-reason_error"' in text(response)
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED

    response = client.post(action_url(session, "cong-bo"), {"reason": "Điều chỉnh kế hoạch công tác"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.PUBLISHED
    assert session.late_publication_reason == "Điều chỉnh kế hoạch công tác"


def test_timely_publication_needs_no_reason(client, commune, leader):
    session = future_session(commune, days_ahead=30, publish=False, host=leader)
    client.force_login(leader)
    assert client.post(action_url(session, "cong-bo"), {}).status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.PUBLISHED and session.late_publication_reason == ""


def test_cancel_with_reason(client, commune, leader):
    session = future_session(commune, days_ahead=20, host=leader)
    client.force_login(leader)
    response = client.post(action_url(session, "huy"), {"reason": ""})
    assert response.status_code == 400
    session.refresh_from_db()
    assert session.status == SessionStatus.PUBLISHED

    response = client.post(action_url(session, "huy"), {"reason": "Lãnh đạo đi công tác đột xuất"}, follow=True)
    assert "Đã hủy phiên tiếp" in text(response)
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED and session.status_reason == "Lãnh đạo đi công tác đột xuất"


def test_postpone_to_a_new_date(client, commune, leader):
    session = future_session(commune, days_ahead=20, host=leader)
    new_day = timezone.localdate() + timedelta(days=27)
    client.force_login(leader)
    response = client.post(action_url(session, "hoan"), {"reason": "Trùng kỳ họp HĐND", "new_date": new_day.isoformat(),
                                                         "new_time": "14:00"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.POSTPONED
    assert timezone.localtime(session.replaced_by.starts_at) == local(new_day, 14)


def test_citizen_and_anonymous_are_refused(client, commune, leader, make_user):
    session = future_session(commune, days_ahead=20, host=leader)
    assert client.get(WS).status_code == 302  # to the login page
    client.force_login(make_user())
    assert client.get(WS).status_code == 403
    assert client.get(calendar_url(leader)).status_code == 403
    assert client.post(action_url(session, "huy"), {"reason": "x"}).status_code == 403
    session.refresh_from_db()
    assert session.status == SessionStatus.PUBLISHED


def test_leader_of_another_commune_cannot_act(client, office_tree, commune, leader, make_user):
    other = make_user(Role.LEADER, office_tree["commune012"])
    published = future_session(commune, days_ahead=20, host=leader)
    planned = future_session(commune, days_ahead=25, publish=False, host=leader)
    client.force_login(other)
    assert client.post(action_url(published, "huy"), {"reason": "x"}).status_code == 403
    assert client.post(action_url(planned, "cong-bo"), {"reason": "x"}).status_code == 403
    assert client.post(action_url(published, "hoan"), {"reason": "x"}).status_code == 403
    assert client.get(f"{WS}?office={commune.code}").status_code == 403
    assert client.post(WS, plan_data(commune, leader)).status_code == 403
    assert client.get(calendar_url(leader)).status_code == 403
    published.refresh_from_db()
    planned.refresh_from_db()
    assert (published.status, planned.status) == (SessionStatus.PUBLISHED, SessionStatus.PLANNED)
    assert not ReceptionPlan.objects.exists()
    # Their own page shows their own office only.
    body = text(client.get(WS))
    assert office_tree["commune012"].name in body and str(published.public_id) not in body


def test_provincial_admin_picks_an_office(client, office_tree, commune, leader, make_user):
    admin = make_user(Role.OFFICE_ADMIN, office_tree["province01"])
    make_plan(commune, leader, "FREQ=WEEKLY;BYDAY=TH", title="Lịch của xã X01001")
    client.force_login(admin)
    body = text(client.get(WS))
    assert 'name="office"' in body and f'value="{commune.code}"' in body
    assert "Lịch của xã X01001" not in body  # the default is the province, where the role is held
    body = text(client.get(f"{WS}?office={commune.code}"))
    assert "Lịch của xã X01001" in body
    assert f'href="{calendar_url(leader)}"' in body  # an admin above manages the leader's calendar


def test_nav_link_only_for_staff(client, leader, make_user):
    client.force_login(make_user())
    assert 'href="/lam-viec/lich/"' not in text(client.get("/"))
    client.force_login(leader)
    assert 'href="/lam-viec/lich/"' in text(client.get("/"))


def test_pages_render_in_english(client, commune, leader):
    make_plan(commune, leader, "FREQ=MONTHLY;BYMONTHDAY=10")
    client.force_login(leader)
    assert client.get(f"/en{WS}").status_code == 200
    assert client.get(f"/en{calendar_url(leader)}").status_code == 200


# --- a leader's calendar -----------------------------------------------------------------------------------

@pytest.fixture
def thursday_plan(commune, leader):
    return make_plan(commune, leader, "FREQ=WEEKLY;BYDAY=TH")


def engagement_data(day: date, **overrides):
    data = {"title": "Họp Ban Thường vụ", "day": day.isoformat(), "start_time": "14:00", "end_time": "16:00"}
    data.update(overrides)
    return data


def test_engagement_refused_on_a_reception_day_and_accepted_on_another(client, leader, thursday_plan):
    today = timezone.localdate()
    reception_day = min(engagements.reception_days(leader, today + timedelta(days=7), today + timedelta(days=40),
                                                   include_plans=True))
    client.force_login(leader)
    body = text(client.get(calendar_url(leader)))
    assert reception_day.strftime("%d/%m/%Y") in body
    assert f'href="/ical/leaders/{leader.pk}.ics"' in body

    response = client.post(calendar_url(leader), engagement_data(reception_day))
    assert response.status_code == 400
    assert "ngày tiếp công dân định kỳ" in text(response) and 'id="id_day_error"' in text(response)
    assert not LeaderEngagement.objects.exists()

    free = free_day_after(leader, reception_day)
    response = client.post(calendar_url(leader), engagement_data(free), follow=True)
    assert "Đã thêm lịch công tác" in text(response) and "Họp Ban Thường vụ" in text(response)
    engagement = LeaderEngagement.objects.get(leader=leader)
    assert timezone.localtime(engagement.starts_at) == local(free, 14)

    response = client.post(f"{calendar_url(leader)}cong-tac/{engagement.pk}/xoa/")
    assert response.status_code == 302 and not LeaderEngagement.objects.exists()


def test_ical_import_reports_counts(client, leader, thursday_plan):
    today = timezone.localdate()
    reception_day = min(engagements.reception_days(leader, today + timedelta(days=7), today + timedelta(days=40),
                                                   include_plans=True))
    free = free_day_after(leader, reception_day)

    def vevent(uid, summary, day):
        return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{summary}\r\nDTSTART:{day:%Y%m%d}T090000\r\n"
                f"DTEND:{day:%Y%m%d}T110000\r\nEND:VEVENT\r\n")

    body = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + vevent("a@test", "Hội nghị tỉnh", free)
            + vevent("b@test", "Làm việc với Sở", reception_day) + "END:VCALENDAR\r\n").encode()
    client.force_login(leader)
    upload = SimpleUploadedFile("lich.ics", body, content_type="text/calendar")
    response = client.post(f"{calendar_url(leader)}nhap-ical/", {"file": upload})
    assert response.status_code == 200
    page = text(response)
    assert "Thêm mới: 1" in page and "Từ chối: 1" in page and "Cập nhật: 0" in page
    assert "Làm việc với Sở" in page and "ngày tiếp công dân định kỳ" in page
    assert LeaderEngagement.objects.filter(leader=leader).count() == 1

    broken = SimpleUploadedFile("lich.ics", b"not a calendar", content_type="text/calendar")
    response = client.post(f"{calendar_url(leader)}nhap-ical/", {"file": broken})
    assert response.status_code == 400 and 'id="id_file_error"' in text(response)


def test_conflicts_alert_lists_an_engagement_entered_before_the_plan(client, commune, leader):
    day = working_day_from(timezone.localdate() + timedelta(days=10))
    engagements.create_engagement(by=leader, leader=leader, title="Hội nghị trực tuyến toàn tỉnh",
                                  starts_at=local(day, 14), ends_at=local(day, 16))
    make_plan(commune, leader, f"FREQ=WEEKLY;BYDAY={WEEKDAY_CODES[day.weekday()]}")
    client.force_login(leader)
    body = text(client.get(calendar_url(leader)))
    assert "Lịch công tác trùng ngày tiếp công dân" in body
    assert "Hội nghị trực tuyến toàn tỉnh" in body and day.strftime("%d/%m/%Y") in body


def test_calendar_of_a_non_leader_is_not_found(client, commune, make_user):
    officer = make_user(Role.RECEPTION_OFFICER, commune)
    client.force_login(officer)
    assert client.get(calendar_url(officer)).status_code == 404


def test_officer_manages_the_leaders_calendar(client, commune, leader, make_user):
    officer = make_user(Role.RECEPTION_OFFICER, commune)
    client.force_login(officer)
    assert client.get(calendar_url(leader)).status_code == 200
    other_leader = make_user(Role.LEADER, commune)
    client.force_login(other_leader)
    assert client.get(calendar_url(leader)).status_code == 403


# --- the office picker (issue 17) --------------------------------------------------------------------------

def test_a_few_offices_give_a_drop_down(client, office_tree, make_user):
    admin = make_user(Role.OFFICE_ADMIN, office_tree["province01"])
    client.force_login(admin)
    body = text(client.get(WS))
    assert '<select id="office-picker" name="office">' in body and 'name="office_q"' not in body


def test_many_offices_give_a_search_instead_of_a_list(client, office_tree, make_user, settings):
    from core.text import fold

    settings.OFFICE_PICKER_LIST_MAX = 3  # the tree has 7 offices; the real superuser has 3,356
    office_tree["commune012"].__class__.objects.filter(pk=office_tree["commune012"].pk).update(
        name="Điểm tiếp công dân phường Kinh Bắc", search_text=fold("Điểm tiếp công dân phường Kinh Bắc Bắc Ninh"))
    superuser = make_user(full_name="Quản trị hệ thống", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    body = text(client.get(WS))
    assert 'name="office_q"' in body and 'type="search"' in body and "<select id=\"office-picker\"" not in body
    assert "Bạn có quyền ở 7 cơ quan" in body
    body = text(client.get(WS, {"office_q": "kinh bac"}))
    assert "Cơ quan tìm thấy" in body
    assert f'href="/lam-viec/lich/?office={office_tree["commune012"].code}"' in body
    assert f'?office={office_tree["commune011"].code}"' not in body
    body = text(client.get(WS, {"office_q": "khong co dau"}))
    assert "Không tìm thấy cơ quan nào." in body
