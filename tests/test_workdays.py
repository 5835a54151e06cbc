"""Working-day calendar (lịch ngày làm việc): holidays package + administrator overrides, services, API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from workdays import calendar as wd
from workdays.calendar import MAX_DAYS, WorkingCalendar
from workdays.models import CalendarOverride
from workdays.services import CalendarError, remove_override, set_override

Kind = CalendarOverride.Kind
TET_2027 = [date(2027, 2, d) for d in range(4, 11)]  # Thu 4 Feb – Wed 10 Feb 2027
PLAIN_WEDNESDAY = date(2027, 3, 10)
PLAIN_SATURDAY = date(2027, 3, 13)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    # The cache outlives each test's rolled-back transaction: start every test from the database.
    wd.invalidate_calendar_cache()
    yield
    wd.invalidate_calendar_cache()


@pytest.fixture
def cal():
    return WorkingCalendar()


def working_days_listed(start: date, end: date, cal: WorkingCalendar) -> list[date]:
    return [start + timedelta(days=i) for i in range(1, (end - start).days + 1)
            if cal.is_working_day(start + timedelta(days=i))]


# --- Pure calendar ---------------------------------------------------------------------------------------

def test_tet_2027_is_off_and_named(cal):
    assert not any(cal.is_working_day(d) for d in TET_2027)
    assert cal.is_working_day(date(2027, 2, 3)) and cal.is_working_day(date(2027, 2, 11))
    named = dict(cal.holidays_between(date(2027, 2, 1), date(2027, 2, 28)))
    assert sorted(named) == TET_2027
    assert named[date(2027, 2, 6)] == "Tết Nguyên Đán"


def test_one_working_day_after_the_eve_of_tet(cal):
    assert cal.working_days_after(date(2027, 2, 3), 1) == date(2027, 2, 11)


def test_ten_working_days_across_tet(cal):
    # Fri 29 Jan 2027 → Mon 1, Tue 2, Wed 3 Feb; Tết 4–10; Thu 11, Fri 12, Mon 15 … Fri 19 Feb.
    expected = [date(2027, 2, d) for d in (1, 2, 3, 11, 12, 15, 16, 17, 18, 19)]
    assert working_days_listed(date(2027, 1, 29), date(2027, 2, 19), cal) == expected
    assert cal.working_days_after(date(2027, 1, 29), 10) == date(2027, 2, 19)
    assert cal.count_working_days(date(2027, 1, 29), date(2027, 2, 19)) == 10


def test_calendar_days_deadline_on_a_holiday_moves(cal):
    assert cal.calendar_days_deadline(date(2027, 1, 27), 10) == date(2027, 2, 11)  # lands Sat 6 Feb (Tết)
    assert cal.calendar_days_deadline(date(2027, 3, 1), 9) == date(2027, 3, 10)  # a Wednesday: unchanged
    assert cal.calendar_days_deadline(date(2027, 3, 1), 5) == date(2027, 3, 8)  # Sat 6 Mar → Mon 8 Mar


def test_weekends_are_skipped(cal):
    assert cal.working_days_after(date(2027, 3, 5), 1) == date(2027, 3, 8)  # Fri → Mon
    assert cal.on_or_after(date(2027, 3, 6)) == date(2027, 3, 8)
    assert cal.on_or_after(date(2027, 3, 8)) == date(2027, 3, 8)
    assert cal.count_working_days(date(2027, 3, 7), date(2027, 3, 14)) == 5
    assert cal.count_working_days(date(2027, 3, 7), date(2027, 3, 7)) == 0


def test_package_make_up_saturday_and_substitute_days(cal):
    assert cal.is_working_day(date(2026, 8, 22))  # Saturday ngày làm bù
    assert cal.working_days_after(date(2026, 8, 21), 1) == date(2026, 8, 22)
    # Mon 31 Aug is the day off given for it, then National Day 1–2 Sep.
    assert not cal.is_working_day(date(2026, 8, 31))
    assert cal.working_days_after(date(2026, 8, 28), 1) == date(2026, 9, 3)


def test_overrides_take_precedence():
    cal = WorkingCalendar({PLAIN_WEDNESDAY: False, PLAIN_SATURDAY: True, date(2027, 2, 10): True})
    assert cal.working_days_after(date(2027, 3, 9), 1) == date(2027, 3, 11)
    assert cal.working_days_after(date(2027, 3, 12), 1) == PLAIN_SATURDAY
    assert cal.working_days_after(date(2027, 2, 3), 1) == date(2027, 2, 10)


def test_bounds(cal):
    assert cal.working_days_after(date(2027, 2, 6), 0) == date(2027, 2, 11)
    with pytest.raises(ValueError):
        cal.working_days_after(date(2027, 1, 1), -1)
    with pytest.raises(ValueError):
        cal.working_days_after(date(2027, 1, 1), MAX_DAYS + 1)
    with pytest.raises(ValueError):
        cal.calendar_days_deadline(date(2027, 1, 1), MAX_DAYS + 1)
    with pytest.raises(ValueError):
        cal.count_working_days(date(2027, 1, 2), date(2027, 1, 1))
    with pytest.raises(ValueError):
        cal.count_working_days(date(2000, 1, 1), date(2027, 1, 1))
    assert cal.working_days_after(date(2027, 1, 1), MAX_DAYS) > date(2040, 1, 1)


# --- Services and the cached database calendar ----------------------------------------------------------

@pytest.mark.django_db
def test_day_off_override_on_a_wednesday_is_skipped(django_capture_on_commit_callbacks, admin_user):
    assert wd.working_days_after(date(2027, 3, 9), 1) == PLAIN_WEDNESDAY  # primes the cache
    with django_capture_on_commit_callbacks(execute=True):
        override = set_override(PLAIN_WEDNESDAY, Kind.DAY_OFF, " Nghỉ bổ sung ", admin_user)
    assert (override.reason, override.created_by) == ("Nghỉ bổ sung", admin_user)
    assert not wd.is_working_day(PLAIN_WEDNESDAY)
    assert wd.working_days_after(date(2027, 3, 9), 1) == date(2027, 3, 11)
    assert wd.calendar_days_deadline(date(2027, 3, 1), 9) == date(2027, 3, 11)


@pytest.mark.django_db
def test_working_day_override_on_a_saturday_counts(django_capture_on_commit_callbacks):
    assert wd.on_or_after(PLAIN_SATURDAY) == date(2027, 3, 15)
    with django_capture_on_commit_callbacks(execute=True):
        set_override(PLAIN_SATURDAY, Kind.WORKING_DAY, "Làm bù", None)
    assert wd.on_or_after(PLAIN_SATURDAY) == PLAIN_SATURDAY
    assert wd.working_days_after(date(2027, 3, 12), 1) == PLAIN_SATURDAY


@pytest.mark.django_db
def test_cache_is_invalidated_on_commit_only(django_capture_on_commit_callbacks):
    assert wd.is_working_day(PLAIN_WEDNESDAY)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        set_override(PLAIN_WEDNESDAY, Kind.DAY_OFF, "Nghỉ", None)
    assert wd.is_working_day(PLAIN_WEDNESDAY)  # not committed yet: cached calendar unchanged
    assert len(callbacks) == 1
    callbacks[0]()
    assert not wd.is_working_day(PLAIN_WEDNESDAY)

    with django_capture_on_commit_callbacks(execute=True):
        assert remove_override(PLAIN_WEDNESDAY) is True
    assert wd.is_working_day(PLAIN_WEDNESDAY)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert remove_override(PLAIN_WEDNESDAY) is False
    assert callbacks == []


@pytest.mark.django_db
def test_set_override_updates_and_keeps_the_creator(admin_user, django_user_model):
    set_override(PLAIN_WEDNESDAY, Kind.DAY_OFF, "Lần 1", admin_user)
    other = django_user_model.objects.create_user("other", "password-123", full_name="Khác")
    set_override(PLAIN_WEDNESDAY, Kind.DAY_OFF, "Lần 2", other)
    override = CalendarOverride.objects.get()
    assert (override.reason, override.created_by) == ("Lần 2", admin_user)


@pytest.mark.django_db
@pytest.mark.parametrize(("day", "kind", "reason", "field"), [
    (PLAIN_WEDNESDAY, Kind.WORKING_DAY, "x", "date"),  # already a working day
    (date(2026, 8, 22), Kind.WORKING_DAY, "x", "date"),  # the package's own make-up Saturday
    (PLAIN_SATURDAY, Kind.DAY_OFF, "x", "date"),  # weekend
    (date(2027, 2, 6), Kind.DAY_OFF, "x", "date"),  # Tết
    (PLAIN_WEDNESDAY, "holiday", "x", "kind"),
    (PLAIN_WEDNESDAY, Kind.DAY_OFF, "  ", "reason"),
    (PLAIN_WEDNESDAY, Kind.DAY_OFF, "x" * 256, "reason"),
])
def test_service_refuses_redundant_or_invalid_overrides(day, kind, reason, field):
    with pytest.raises(CalendarError) as excinfo:
        set_override(day, kind, reason, None)
    assert isinstance(excinfo.value, ValueError)
    assert excinfo.value.field == field and excinfo.value.message
    assert not CalendarOverride.objects.exists()


# --- Admin ----------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_admin_saves_and_deletes_through_the_services(admin_client, admin_user, django_capture_on_commit_callbacks):
    assert wd.is_working_day(PLAIN_WEDNESDAY)
    url = reverse("admin:workdays_calendaroverride_add")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"date": "2027-03-10", "kind": Kind.DAY_OFF, "reason": "Nghỉ"})
    assert response.status_code == 302, response.content
    override = CalendarOverride.objects.get()
    assert override.created_by == admin_user
    assert not wd.is_working_day(PLAIN_WEDNESDAY)

    response = admin_client.post(url, {"date": "2027-03-13", "kind": Kind.DAY_OFF, "reason": "Nghỉ"})
    assert response.status_code == 200 and CalendarOverride.objects.count() == 1  # redundant: form error

    delete_url = reverse("admin:workdays_calendaroverride_delete", args=[override.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(delete_url, {"post": "yes"})
    assert response.status_code == 302
    assert not CalendarOverride.objects.exists()
    assert wd.is_working_day(PLAIN_WEDNESDAY)


# --- API ------------------------------------------------------------------------------------------------

@pytest.fixture
def api():
    return APIClient()


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "expected"), [
    ({"date": "2027-02-03", "days": 1}, {"date": "2027-02-11", "mode": "working"}),
    ({"date": "2027-01-29", "days": 10, "mode": "working"}, {"date": "2027-02-19", "mode": "working"}),
    ({"date": "2027-01-27", "days": 10, "mode": "calendar"}, {"date": "2027-02-11", "mode": "calendar"}),
    ({"date": "2027-02-06", "days": 0}, {"date": "2027-02-11", "mode": "working"}),
])
def test_api_add(api, query, expected):
    response = api.get("/api/workdays/add", query)
    assert response.status_code == 200, response.json()
    assert response.json() == {**expected, "start": query["date"], "days": query["days"]}


@pytest.mark.django_db
def test_api_add_sees_overrides(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        set_override(PLAIN_SATURDAY, Kind.WORKING_DAY, "Làm bù", None)
    response = api.get("/api/workdays/add", {"date": "2027-03-12", "days": 1})
    assert response.json()["date"] == "2027-03-13"


@pytest.mark.django_db
def test_api_year(api):
    set_override(PLAIN_SATURDAY, Kind.WORKING_DAY, "Làm bù", None)
    set_override(date(2028, 3, 8), Kind.DAY_OFF, "Năm khác", None)
    response = api.get("/api/workdays/year/2027")
    assert response.status_code == 200
    body = response.json()
    assert body["year"] == 2027
    assert {"date": "2027-02-06", "name": "Tết Nguyên Đán"} in body["holidays"]
    assert [h["date"] for h in body["holidays"]] == sorted(h["date"] for h in body["holidays"])
    assert body["overrides"] == [{"date": "2027-03-13", "kind": "working_day", "reason": "Làm bù"}]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "field"), [
    ({"days": 1}, "date"),
    ({"date": "2027-02-30", "days": 1}, "date"),
    ({"date": "03/02/2027", "days": 1}, "date"),
    ({"date": "1999-12-31", "days": 1}, "date"),
    ({"date": "2027-02-03"}, "days"),
    ({"date": "2027-02-03", "days": "abc"}, "days"),
    ({"date": "2027-02-03", "days": "1.5"}, "days"),
    ({"date": "2027-02-03", "days": -1}, "days"),
    ({"date": "2027-02-03", "days": MAX_DAYS + 1}, "days"),
    ({"date": "2027-02-03", "days": 1, "mode": "weekly"}, "mode"),
])
def test_api_add_rejects_bad_input(api, query, field):
    response = api.get("/api/workdays/add", query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert list(error["fields"]) == [field]
    assert error["fields"][field][0]["code"] and error["fields"][field][0]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("year", [1999, 2101])
def test_api_year_rejects_out_of_range(api, year):
    response = api.get(f"/api/workdays/year/{year}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "validation_error" and "year" in error["fields"]
