"""Issue 11, the staff side: a session always has a host leader (service and database), a leader cannot be
booked twice (sessions, engagements, plans; also under concurrency on PostgreSQL), beat opens the rooms due
(idempotent), sites of any tier are connected and removed, and the session page and the workspace show each
role the buttons and links it may use."""

from __future__ import annotations

import threading
from datetime import date, time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from offices.services import _search_text
from scheduling.models import LeaderEngagement
from scheduling.services import engagements, plans
from sessions import services as session_services
from sessions import tasks as session_tasks
from sessions.models import ReceptionSession, SessionSite, SessionStatus
from sessions.services import SessionError
from tests.scheduling_helpers import future_session, local

BACKEND = "accounts.backends.PhoneOrEmailBackend"


@pytest.fixture
def people(office_tree, make_user):
    commune, province, central = office_tree["commune011"], office_tree["province01"], office_tree["central"]
    for office, name, unit in ((commune, "Điểm tiếp công dân xã Yên Phụ", "Xã Yên Phụ"),
                               (province, "Ban Tiếp công dân tỉnh Bắc Ninh", "Bắc Ninh"),
                               (central, "Trụ sở Tiếp công dân Trung ương", "Trung ương")):
        office.name, office.admin_unit_name = name, unit
        office.search_text = _search_text(name, unit)
        office.save()
    return {
        "commune": commune, "province": province, "central": central,
        "leader": make_user(Role.LEADER, commune, full_name="Chủ tịch Nguyễn Văn Hòa"),
        "officer": make_user(Role.RECEPTION_OFFICER, commune, full_name="Cán bộ Lê Thu Hà"),
        "secretary": make_user(Role.SECRETARY, commune, full_name="Thư ký Phạm Minh"),
        "admin": make_user(Role.OFFICE_ADMIN, commune, full_name="Quản trị Xã"),
        "province_leader": make_user(Role.LEADER, province, full_name="Lãnh đạo Tỉnh"),
        "province_secretary": make_user(Role.SECRETARY, province, full_name="Thư ký Tỉnh"),
        "central_leader": make_user(Role.LEADER, central, full_name="Lãnh đạo Trung ương"),
    }


def _adhoc(people, starts_at, hours=2, host="leader", **extra):
    return session_services.create_session(
        by=None, kind="adhoc", adhoc_reason="many_people", host_office=people["commune"], host=people[host],
        title=extra.pop("title", "Tiếp đột xuất"), starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours),
        slot_minutes=30, slot_capacity=2, **extra)


def _day(days=10) -> date:
    return timezone.localdate() + timedelta(days=days)


# --- the host leader is required ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_session_without_host_is_refused_by_the_service_and_by_the_database(people):
    starts = local(_day(), 9)
    with pytest.raises(SessionError) as refused:
        session_services.create_session(by=None, kind="regular", host_office=people["commune"], host=None,
                                        title="Không chủ trì", starts_at=starts, ends_at=starts + timedelta(hours=1))
    assert refused.value.code == "required" and refused.value.field == "host"
    with pytest.raises(SessionError) as refused:  # not a leader of the host office
        session_services.create_session(by=None, kind="regular", host_office=people["commune"],
                                        host=people["officer"], title="Cán bộ chủ trì", starts_at=starts,
                                        ends_at=starts + timedelta(hours=1))
    assert refused.value.code == "not_a_leader"
    with pytest.raises(IntegrityError), transaction.atomic():
        ReceptionSession.objects.create(kind="regular", host_office=people["commune"], host=None, title="x",
                                        starts_at=starts, ends_at=starts + timedelta(hours=1), slot_minutes=30,
                                        slot_capacity=1, registration_closes_at=starts)


# --- no double booking -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_leader_busy_with_a_session_or_an_engagement_is_refused_with_the_clash_named(people):
    first = _adhoc(people, local(_day(), 8), title="Đối thoại đông người")
    with pytest.raises(SessionError) as refused:
        _adhoc(people, local(_day(), 9))
    assert refused.value.code == "leader_busy" and refused.value.field == "host"
    assert "Đối thoại đông người" in refused.value.message and "Chủ tịch Nguyễn Văn Hòa" in refused.value.message
    # The same leader at another office's session is busy too (any office): here a connected provincial
    # session does not matter, only what the leader hosts. Right after the first one: free.
    _adhoc(people, local(_day(), 10), hours=1)
    # A cancelled session frees the time.
    session_services.cancel(first, None, reason="Đổi kế hoạch")
    _adhoc(people, local(_day(), 8), hours=1)
    # An engagement (lịch công tác) at that time.
    other_day = _day(11)
    engagements.create_engagement(by=None, leader=people["leader"], title="Họp Hội đồng nhân dân",
                                  starts_at=local(other_day, 14), ends_at=local(other_day, 16))
    with pytest.raises(SessionError) as refused:
        _adhoc(people, local(other_day, 15))
    assert refused.value.code == "leader_busy" and "Họp Hội đồng nhân dân" in refused.value.message
    assert LeaderEngagement.objects.count() == 1


@pytest.mark.django_db
def test_the_api_gets_the_same_refusal(people, client):
    _adhoc(people, local(_day(), 8))
    client.force_login(people["officer"], backend=BACKEND)
    response = client.post("/api/sessions/", {
        "kind": "regular", "host_office": people["commune"].code, "host": people["leader"].pk, "title": "Trùng",
        "starts_at": local(_day(), 9).isoformat(), "ends_at": local(_day(), 11).isoformat()},
        content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["host"][0]["code"] == "leader_busy"
    response = client.post("/api/sessions/", {
        "kind": "regular", "host_office": people["commune"].code, "title": "Không chủ trì",
        "starts_at": local(_day(), 14).isoformat(), "ends_at": local(_day(), 15).isoformat()},
        content_type="application/json")
    assert response.status_code == 400 and "host" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_the_thursday_plan_does_not_book_the_leader_twice(people, client):
    """The preset "Thứ Năm hằng tuần" on top of the leader's existing session: that Thursday is skipped and
    reported, on the workspace too."""
    today = timezone.localdate()
    thursday = today + timedelta(days=(3 - today.weekday()) % 7 + 7)
    existing = _adhoc(people, local(thursday, 8), hours=2, title="Tiếp đột xuất hôm thứ Năm")
    plan = plans.create_plan(by=None, office=people["commune"], leader=people["leader"],
                             title="Tiếp công dân định kỳ", rrule="FREQ=WEEKLY;BYDAY=TH", starts_on=today,
                             start_time=time(8), end_time=time(11, 30))
    report = plans.materialize(plan_ids=[plan.pk])
    assert report.created >= 1 and [(p, d) for p, d, _m in report.conflicts] == [(plan.pk, thursday)]
    assert not ReceptionSession.objects.filter(plan=plan, occurrence_date=thursday).exists()
    assert ReceptionSession.objects.filter(host=people["leader"], starts_at__date=thursday,
                                           status__in=["planned", "published", "open"]).count() == 1
    again = plans.materialize(plan_ids=[plan.pk])  # idempotent, still skipped
    assert again.created == 0 and len(again.conflicts) == 1
    client.force_login(people["leader"], backend=BACKEND)
    html = client.get(reverse("frontend:workspace")).content.decode()
    assert "plan-conflicts" in html and existing.title in html
    # Through the page: creating the plan shows the skipped day as a warning.
    plan2 = client.post(reverse("frontend:workspace"), {
        "office": people["commune"].code, "title": "Lịch thứ Năm thứ hai", "leader": people["leader"].pk,
        "rhythm": "FREQ=WEEKLY;BYDAY=TH", "starts_on": today.isoformat(), "start_time": "08:00",
        "end_time": "11:30", "holiday_rule": "next_working_day", "slot_minutes": 30, "slot_capacity": 2},
        follow=True)
    text = plan2.content.decode()
    assert "không tạo phiên" in text.lower()


def _create_in_thread(people, starts, results, barrier):
    try:
        barrier.wait()
        try:
            session = _adhoc(people, starts)
            results.append(session.pk)
        except SessionError as exc:
            results.append(exc.code)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_bookings_of_one_leader_create_one_session(people):
    assert connection.vendor == "postgresql"
    workers = 6
    barrier, results = threading.Barrier(workers), []
    threads = [threading.Thread(target=_create_in_thread, args=(people, local(_day(), 8 + (i % 2)), results, barrier))
               for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r for r in results if isinstance(r, str)) == ["leader_busy"] * (workers - 1)
    assert ReceptionSession.objects.filter(host=people["leader"]).count() == 1


# --- beat opens the rooms due --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_auto_open_is_idempotent_and_only_for_published_sessions_in_the_window(people, settings):
    settings.SESSION_AUTO_OPEN_MINUTES_BEFORE = 30
    now = timezone.now()
    due = future_session(people["commune"], days_ahead=3, host=people["leader"])
    not_yet = future_session(people["commune"], days_ahead=4, host=people["leader"])
    planned = future_session(people["commune"], days_ahead=5, host=people["leader"], publish=False)
    late = future_session(people["commune"], days_ahead=6, host=people["leader"])
    over = future_session(people["commune"], days_ahead=7, host=people["leader"])
    # Move them in time (the clock of the test is "now"): the service's own checks passed at creation.
    ReceptionSession.objects.filter(pk=due.pk).update(starts_at=now + timedelta(minutes=20),
                                                      ends_at=now + timedelta(hours=2))
    ReceptionSession.objects.filter(pk=not_yet.pk).update(starts_at=now + timedelta(minutes=45),
                                                          ends_at=now + timedelta(hours=2))
    ReceptionSession.objects.filter(pk=planned.pk).update(starts_at=now + timedelta(minutes=10),
                                                          ends_at=now + timedelta(hours=2))
    ReceptionSession.objects.filter(pk=late.pk).update(starts_at=now - timedelta(minutes=40),
                                                       ends_at=now + timedelta(minutes=20))
    ReceptionSession.objects.filter(pk=over.pk).update(starts_at=now - timedelta(hours=3),
                                                       ends_at=now - timedelta(minutes=1))
    assert session_tasks.auto_open_sessions() == 2
    assert session_tasks.auto_open_sessions() == 0  # twice: opened once
    status = dict(ReceptionSession.objects.values_list("pk", "status"))
    assert status[due.pk] == status[late.pk] == SessionStatus.OPEN
    assert status[not_yet.pk] == status[over.pk] == SessionStatus.PUBLISHED
    assert status[planned.pk] == SessionStatus.PLANNED
    assert due.events.filter(kind="opened", actor=None).count() == 1


def test_the_beat_schedule_runs_the_task_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["auto-open-sessions"]
    assert entry["task"] == "sessions.tasks.auto_open_sessions" and entry["schedule"] <= 60


# --- sites ---------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_sites_are_added_and_removed_until_the_session_is_held(people, make_user):
    session = future_session(people["commune"], host=people["leader"], days_ahead=3)
    session_services.add_site(session, people["officer"], people["central"], people["central_leader"])
    with pytest.raises(SessionError) as refused:  # the responsible is staff of that site
        session_services.add_site(session, people["officer"], people["province"], people["officer"])
    assert refused.value.code == "not_staff_of_site"
    with pytest.raises(SessionError) as refused:
        session_services.remove_site(session, people["officer"], people["commune"])
    assert refused.value.code == "host_site"
    with pytest.raises(SessionError) as refused:  # a secretary does not manage sessions
        session_services.remove_site(session, people["secretary"], people["central"])
    assert refused.value.code == "forbidden"
    session_services.remove_site(session, people["officer"], people["central"])
    assert not SessionSite.objects.filter(session=session, office=people["central"]).exists()
    session_services.add_site(session, people["officer"], people["province"])
    session_services.open_session(session, people["officer"], now=session.starts_at)
    session_services.close_session(session, people["leader"])
    with pytest.raises(SessionError) as refused:
        session_services.remove_site(session, people["officer"], people["province"])
    assert refused.value.code == "invalid_transition"
    assert [e.kind for e in session.events.order_by("pk")][:4] == ["created", "published", "site_added",
                                                                     "site_removed"]


# --- the pages ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_leader_creates_an_adhoc_session_connects_sites_and_publishes_it_from_pages(people, client):
    client.force_login(people["leader"], backend=BACKEND)
    create = reverse("frontend:workspace-session-create") + f"?office={people['commune'].code}"
    page = client.get(create)
    assert page.status_code == 200 and "Lý do tiếp đột xuất" in page.content.decode()
    day = _day(2)
    form = {"office": people["commune"].code, "kind": "adhoc", "title": "Tiếp đột xuất: đông người",
            "host": people["leader"].pk, "day": day.isoformat(), "start_time": "14:00", "end_time": "16:00",
            "slot_minutes": 30, "slot_capacity": 2}
    refused = client.post(create, form)  # no ground for an ad-hoc reception
    assert refused.status_code == 400 and "cần nêu lý do" in refused.content.decode()
    refused = client.post(create, {**form, "adhoc_reason": "many_people", "host": ""})
    assert refused.status_code == 400 and not ReceptionSession.objects.exists()
    response = client.post(create, {**form, "adhoc_reason": "many_people"})
    session = ReceptionSession.objects.get()
    url = reverse("frontend:workspace-session", args=[session.public_id])
    assert response.status_code == 302 and response["Location"] == url
    assert session.kind == "adhoc" and session.host == people["leader"] and session.status == "planned"
    busy = client.post(create, {**form, "adhoc_reason": "many_people", "start_time": "15:00", "end_time": "17:00"})
    assert busy.status_code == 400 and "bị trùng lịch" in busy.content.decode()

    # Site search without diacritics finds offices of every tier; pick one with its responsible staff.
    html = client.get(url + "?q=bac ninh").content.decode()
    assert "Ban Tiếp công dân tỉnh Bắc Ninh" in html
    response = client.post(reverse("frontend:workspace-session-add-site", args=[session.public_id]),
                           {"office": people["province"].code, "responsible": people["province_leader"].pk})
    assert response.status_code == 302
    response = client.post(reverse("frontend:workspace-session-add-site", args=[session.public_id]),
                           {"office": people["central"].code, "responsible": people["leader"].pk})
    assert response.status_code == 400  # not staff of the central office
    client.post(reverse("frontend:workspace-session-add-site", args=[session.public_id]),
                {"office": people["central"].code})
    assert set(session.sites.values_list("office__code", flat=True)) == {"X01001", "T01", "TW"}
    html = client.get(url + "?q=trung uong").content.decode()
    assert "Không tìm thấy cơ quan nào" in html  # already connected: not offered again
    client.post(reverse("frontend:workspace-session-remove-site", args=[session.public_id, "TW"]))
    assert not session.sites.filter(office__code="TW").exists()
    client.post(reverse("frontend:workspace-session-add-site", args=[session.public_id]), {"office": "TW"})

    # Publishing two days ahead is late: the page asks for the reason.
    publish = reverse("frontend:workspace-session-publish", args=[session.public_id])
    assert client.post(publish, {"reason": ""}).status_code == 400
    assert client.post(publish, {"reason": "Vụ việc đông người cần tiếp ngay"}).status_code == 302
    session.refresh_from_db()
    assert session.status == "published" and session.late_publication_reason

    # The connected sites' staff see it in their own workspace, with the room link.
    for who, office in (("province_leader", "T01"), ("central_leader", "TW")):
        client.force_login(people[who], backend=BACKEND)
        html = client.get(reverse("frontend:workspace") + f"?office={office}").content.decode()
        assert session.title in html and reverse("frontend:room", args=[session.public_id]) in html
        assert client.get(url).status_code == 200
        assert 'id="publish"' not in html


@pytest.mark.django_db
def test_each_role_sees_the_buttons_and_links_it_may_use(people, client):
    session = future_session(people["commune"], host=people["leader"], days_ahead=3,
                             sites=[(people["province"], None)])
    ReceptionSession.objects.filter(pk=session.pk).update(starts_at=timezone.now() + timedelta(minutes=20),
                                                          ends_at=timezone.now() + timedelta(hours=2))
    url = reverse("frontend:workspace-session", args=[session.public_id])
    room = reverse("frontend:room", args=[session.public_id])
    console = reverse("frontend:secretary-console", args=[session.public_id])
    minutes = reverse("frontend:minutes-editor", args=[session.public_id])

    def page(who):
        client.force_login(people[who], backend=BACKEND)
        return client.get(url).content.decode()

    html = page("officer")
    assert 'id="open-room"' in html and 'id="close-reception"' not in html and room in html
    html = page("secretary")
    assert 'id="open-room"' not in html and console in html and minutes in html and room not in html
    html = page("admin")
    assert 'id="open-room"' not in html and minutes not in html
    client.force_login(people["admin"], backend=BACKEND)
    assert client.post(reverse("frontend:workspace-session-open", args=[session.public_id])).status_code == 403
    # The officer opens the room.
    client.force_login(people["officer"], backend=BACKEND)
    assert client.post(reverse("frontend:workspace-session-open", args=[session.public_id])).status_code == 302
    session.refresh_from_db()
    assert session.status == "open"
    # Only the host leader ends the reception: the officer sees no button and is refused.
    html = page("officer")
    assert 'id="close-reception"' not in html
    assert client.post(reverse("frontend:workspace-session-close", args=[session.public_id])).status_code == 403
    html = page("leader")
    assert 'id="close-reception"' in html and "confirm(" in html
    assert client.post(reverse("frontend:workspace-session-close", args=[session.public_id])).status_code == 302
    session.refresh_from_db()
    assert session.status == "held"
    # The secretary's workspace lists the sessions of her office, with the console and the minutes.
    client.force_login(people["secretary"], backend=BACKEND)
    html = client.get(reverse("frontend:workspace")).content.decode()
    assert session.title in html and minutes in html and "Tạo lịch tiếp" not in html
    # A stranger (staff of another commune) may not see the page.
    client.force_login(people["central_leader"], backend=BACKEND)
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_the_secretary_reaches_the_console_from_her_workspace(people, client):
    session = future_session(people["commune"], host=people["leader"], days_ahead=3,
                             sites=[(people["province"], None)])
    session_services.open_session(session, people["officer"], now=session.starts_at)
    client.force_login(people["secretary"], backend=BACKEND)
    html = client.get(reverse("frontend:workspace")).content.decode()
    assert "Bạn chưa được giao" not in html
    assert reverse("frontend:secretary-console", args=[session.public_id]) in html
    assert 'name="rhythm"' not in html  # she does not schedule
    # The province's secretary sees it among her office's connected-site sessions, with the room.
    client.force_login(people["province_secretary"], backend=BACKEND)
    html = client.get(reverse("frontend:workspace")).content.decode()
    assert 'id="site-sessions"' in html and reverse("frontend:room", args=[session.public_id]) in html


@pytest.mark.django_db
def test_a_same_day_session_takes_registrations_until_shortly_before_it_starts(people):
    starts = timezone.now() + timedelta(minutes=40)
    session = _adhoc(people, starts)
    closes = starts - timedelta(minutes=session_services.SHORT_NOTICE_REGISTRATION_CLOSES_MINUTES)
    assert abs((session.registration_closes_at - closes).total_seconds()) < 1



@pytest.mark.django_db
def test_demo_leaders_of_the_connected_tiers_see_the_demo_session_and_its_room(client, settings, tmp_path):
    """``seed_demo``'s ad-hoc session (Ba Đình, with Hà Nội and the central office connected): tw.lanhdao and
    hn.lanhdao see it in their own workspace with the room link."""
    from django.core.management import call_command

    from accounts.models import User
    from offices.models import Office, OfficeKind, Tier

    settings.VAR_DIR = tmp_path
    central = Office.objects.create(code="TW", name="Trụ sở Tiếp công dân Trung ương", tier=Tier.CENTRAL,
                                    kind=OfficeKind.CENTRAL_RECEPTION_OFFICE, path="TW/")
    hanoi = Office.objects.create(code="T01", name="Ban Tiếp công dân Hà Nội", tier=Tier.PROVINCIAL,
                                  kind=OfficeKind.RECEPTION_BOARD, parent=central, path="TW/T01/")
    Office.objects.create(code="X00004", name="Điểm tiếp công dân phường Ba Đình", tier=Tier.COMMUNE,
                          kind=OfficeKind.RECEPTION_POINT, parent=hanoi, path="TW/T01/X00004/")
    call_command("seed_demo", stdout=open(tmp_path / "out.txt", "w"))  # noqa: SIM115
    adhoc = ReceptionSession.objects.get(kind="adhoc")
    assert adhoc.status == "published" and adhoc.host.username == "badinh.chutich"
    for username in ("tw.lanhdao", "hn.lanhdao"):
        client.force_login(User.objects.get(username=username), backend=BACKEND)
        html = client.get(reverse("frontend:workspace")).content.decode()
        assert adhoc.title in html and reverse("frontend:room", args=[adhoc.public_id]) in html, username


@pytest.mark.django_db
def test_postponing_by_an_hour_does_not_clash_with_the_session_it_replaces(people):
    session = session_services.publish(_adhoc(people, local(_day(), 8)), None, reason="Gấp")
    session_services.postpone(session, people["officer"], "Lãnh đạo bận họp", new_starts_at=local(_day(), 9))
    session.refresh_from_db()
    assert session.status == "postponed" and session.replaced_by.starts_at == local(_day(), 9)
    assert session.replaced_by.host == people["leader"] and session.replaced_by.status == "published"
