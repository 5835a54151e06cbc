"""Issue 16, item 1: notifications people see and receive (docs/notifications.md).

notify() to a user or an office, once per key; SMS / e-mail deliveries sent exactly once whoever retries
(the Celery task run again, the sweep, concurrent senders, a gateway failure then a retry); preferences
(inbox only, SMS, e-mail, the daily digest); the inbox pages per role; citizens' milestones by SMS
without revealing a denouncer to anyone else."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection

from accounts.models import Role
from cases import services as case_services
from notifications import services, tasks
from notifications.models import Delivery, Notification
from tests.cases_helpers import DENOUNCER, make_case, staff


@pytest.fixture
def people(office_tree, make_user):
    return staff(office_tree, make_user)


def _with_contacts(user, phone=None, email=None):
    user.phone, user.email = phone, email
    user.save(update_fields=["phone", "email"])
    return user


def test_notify_an_office_reaches_its_leaders_and_officers_once(db, office_tree, people):
    case = make_case(office_tree["commune011"], by=people["officer"])
    made = services.notify(office_tree["commune011"], "task.overdue", case, title="Nhiệm vụ quá hạn",
                           body="Vụ việc " + case.number, key="t1")
    got = {n.recipient_id for n in made}
    assert got == {people["leader"].pk, people["officer"].pk, people["officer2"].pk}
    assert people["secretary"].pk not in got and people["province_inspector"].pk not in got
    assert all(n.url == f"/lam-viec/vu-viec/{case.public_id}/" and n.case_id == case.pk for n in made)
    assert services.notify(office_tree["commune011"], "task.overdue", case, title="x", key="t1") == []
    # inspectors when asked for
    made = services.notify(office_tree["province01"], "report.due_soon", None, title="Báo cáo", key="r1",
                           roles={Role.INSPECTOR})
    assert [n.recipient_id for n in made] == [people["province_inspector"].pk]


def test_legacy_form_still_works(db, people):
    n, created = services.notify(people["officer"], "case.assigned", "Tiêu đề", "Nội dung", "legacy-1")
    assert created and n.title == "Tiêu đề" and n.body == "Nội dung"
    n2, created2 = services.notify(people["officer"], "case.assigned", "Tiêu đề", "Nội dung", "legacy-1")
    assert not created2 and n2.pk == n.pk


def test_sms_delivery_is_sent_exactly_once_when_the_task_is_retried(db, people, sms_outbox,
                                                                    django_capture_on_commit_callbacks):
    officer = _with_contacts(people["officer"], phone="0912345678")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(officer, "case.resolution.overdue", None, title="Quá hạn giải quyết vụ việc X", key="k")
    delivery = Delivery.objects.get()
    assert delivery.channel == "sms" and delivery.status == "sent" and delivery.attempts == 1
    assert [m.to for m in sms_outbox] == ["0912345678"]
    # Celery retries the same task (acks_late redelivery), beat's sweep runs, the producer runs again:
    assert tasks.deliver.apply(args=[delivery.pk]).get() is False
    assert tasks.send_pending.apply().get() == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(officer, "case.resolution.overdue", None, title="Quá hạn giải quyết vụ việc X", key="k")
    assert len(sms_outbox) == 1 and Delivery.objects.count() == 1


class FlakyGateway:
    calls = 0

    def send(self, message):
        from notifications import sms

        FlakyGateway.calls += 1
        if FlakyGateway.calls == 1:
            raise ConnectionError("gateway down")
        sms.outbox.append(message)


def test_a_failed_send_is_retried_and_sent_once(db, people, sms_outbox, settings):
    settings.SMS_BACKEND = "tests.test_notifications.FlakyGateway"
    FlakyGateway.calls = 0
    officer = _with_contacts(people["officer"], phone="0912345679")
    services.notify(officer, "task.overdue", None, title="Nhiệm vụ quá hạn", key="flaky")
    delivery = Delivery.objects.get()
    with pytest.raises(ConnectionError):
        services.send_delivery(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.error == "ConnectionError" and not sms_outbox
    assert services.send_delivery(delivery.pk) is True
    assert services.send_delivery(delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2 and len(sms_outbox) == 1


def test_a_claimed_delivery_is_never_sent_again(db, people, sms_outbox):
    """A worker that died after claiming (status 'sending') is not resent by a retry or the sweep."""
    officer = _with_contacts(people["officer"], phone="0912345670")
    services.notify(officer, "task.overdue", None, title="Nhiệm vụ quá hạn", key="died")
    delivery = Delivery.objects.get()
    claimed = services._claim(delivery.pk)
    assert claimed is not None and claimed.status == "sending"
    assert services.send_delivery(delivery.pk) is False and services.send_pending() == 0 and not sms_outbox


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_send_once(office_tree, make_user, sms_outbox):
    officer = make_user(Role.RECEPTION_OFFICER, office_tree["commune011"], phone="0912000999")
    services.notify(officer, "task.overdue", None, title="Nhiệm vụ quá hạn", key="race")
    delivery = Delivery.objects.get()  # sent at commit by the (eager) task: put it back to pending
    assert len(sms_outbox) == 1
    Delivery.objects.update(status="pending", sent_at=None)
    sms_outbox.clear()
    barrier, results = threading.Barrier(6), []

    def worker():
        try:
            barrier.wait(timeout=30)
            results.append(services.send_delivery(delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [False] * 5 + [True]
    assert len(sms_outbox) == 1


def test_preferences_choose_the_channel(db, people, sms_outbox, django_capture_on_commit_callbacks):
    leader = _with_contacts(people["leader"], phone="0913000001", email="leader@example.vn")
    services.set_preferences(leader, {"overdue": "inbox", "deadline_warning": "email", "task_due": "sms"})
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(leader, "case.resolution.overdue", None, title="Quá hạn", key="a")
        services.notify(leader, "case.acceptance.warning", None, title="Sắp đến hạn thụ lý", body="Vụ việc 1",
                        key="b")
        services.notify(leader, "task.assigned_to_you", None, title="Nhiệm vụ mới", key="c")
    assert Notification.objects.filter(recipient=leader).count() == 3
    assert [m.subject for m in mail.outbox] == ["Sắp đến hạn thụ lý"] and mail.outbox[0].to == ["leader@example.vn"]
    assert [m.body for m in sms_outbox] == ["Nhiệm vụ mới"]
    from core.errors import DomainError

    with pytest.raises(DomainError):
        services.set_preferences(leader, {"overdue": "pigeon"})


def test_daily_digest_once_per_day(db, people, django_capture_on_commit_callbacks):
    from datetime import date

    leader = _with_contacts(people["leader"], email="digest@example.vn")
    services.set_preferences(leader, {"escalation": "digest", "overdue": "digest"})
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(leader, "case.resolution.escalation", None, title="Báo cáo cấp trên: vụ việc 7", key="d1")
        services.notify(leader, "case.resolution.overdue", None, title="Quá hạn vụ việc 8", key="d2")
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_digests(date(2026, 12, 3)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_daily_digests.apply(args=["2026-12-03"]).get() == 0
    assert len(mail.outbox) == 1
    assert "vụ việc 7" in mail.outbox[0].body and "vụ việc 8" in mail.outbox[0].body
    assert Notification.objects.filter(recipient=leader, digest__isnull=True).count() == 0
    # the next day: only what is new
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(leader, "case.resolution.overdue", None, title="Quá hạn vụ việc 9", key="d3")
        assert services.send_digests(date(2026, 12, 4)) == 1
    assert len(mail.outbox) == 2 and "vụ việc 7" not in mail.outbox[1].body and "vụ việc 9" in mail.outbox[1].body


# --- pages ---------------------------------------------------------------------------------------------------


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return client


def test_inbox_pages_per_role(db, office_tree, people):
    case = make_case(office_tree["commune011"], by=people["officer"])
    mine = services.notify(people["officer"], "case.acceptance.warning", case, title="Sắp đến hạn thụ lý",
                           key="p1")[0]
    theirs = services.notify(people["leader"], "case.acceptance.warning", case, title="Của lãnh đạo", key="p1")[0]
    officer = _client(people["officer"])
    page = officer.get("/thong-bao/")
    html = page.content.decode()
    assert page.status_code == 200 and "Sắp đến hạn thụ lý" in html and "Của lãnh đạo" not in html
    assert 'class="nav-badge" data-unread="1"' in html  # the staff navigation's badge
    # another's notice: 404 to open or mark
    assert officer.get(f"/thong-bao/{theirs.pk}/").status_code == 404
    assert officer.post(f"/thong-bao/{theirs.pk}/da-doc/").status_code == 404
    assert officer.get(f"/thong-bao/{mine.pk}/da-doc/").status_code == 405
    # open = mark read + go to the case
    response = officer.get(f"/thong-bao/{mine.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/lam-viec/vu-viec/{case.public_id}/"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert "nav-badge" not in officer.get("/thong-bao/").content.decode()
    # mark all read (the leader)
    leader = _client(people["leader"])
    assert leader.post("/thong-bao/da-doc-het/").status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is not None
    # anonymous: to the login page
    from django.test import Client

    assert Client().get("/thong-bao/").status_code == 302


def test_preferences_page(db, people):
    client = _client(people["officer"])
    page = client.get("/thong-bao/cai-dat/")
    assert page.status_code == 200 and 'name="overdue"' in page.content.decode()
    assert 'name="milestone"' not in page.content.decode()  # a citizen's category, not staff's
    data = {c: "inbox" for c in services.preferences(people["officer"]) if c != "milestone"}
    data["overdue"] = "digest"
    assert client.post("/thong-bao/cai-dat/", data).status_code == 302
    assert services.preferences(people["officer"])["overdue"] == "digest"
    assert client.post("/thong-bao/cai-dat/", {**data, "overdue": "nope"}).status_code == 400
    assert services.preferences(people["officer"])["overdue"] == "digest"


# --- citizens' milestones --------------------------------------------------------------------------------------


def test_citizen_gets_sms_for_own_case_milestones(db, office_tree, people, make_user, sms_outbox,
                                                  django_capture_on_commit_callbacks):
    citizen = make_user(phone="0987111222", full_name="Nguyễn Văn Công")
    case = make_case(office_tree["commune011"], by=people["officer"],
                     parties=[{"user": citizen, "full_name": "Nguyễn Văn Công", "id_number": "001085000001"}])
    case_services.classify(case, people["officer"])
    with django_capture_on_commit_callbacks(execute=True):
        case_services.accept(case, people["officer"], document_number="TL-1")
    with django_capture_on_commit_callbacks(execute=True):
        case_services.conclude(case, people["leader"], document_number="KL-1")
    assert [m.to for m in sms_outbox] == ["0987111222", "0987111222"]
    assert "thụ lý" in sms_outbox[0].body and case.number in sms_outbox[0].body
    assert "kết quả" in sms_outbox[1].body
    kinds = set(Notification.objects.filter(recipient=citizen).values_list("kind", flat=True))
    assert kinds == {"citizen.case.accept", "citizen.case.conclude"}


def test_transfer_notifies_receiving_staff_and_only_the_denouncer_herself(
        db, office_tree, people, make_user, sms_outbox, django_capture_on_commit_callbacks):
    denouncer = make_user(phone="0987333444", full_name=DENOUNCER["full_name"])
    bystander = make_user(phone="0987555666", full_name="Người Khác")  # a citizen of the office, not a party
    case = make_case(office_tree["commune011"], by=people["officer"], kind="denunciation",
                     parties=[{**DENOUNCER, "user": denouncer}])
    province_officer = _with_contacts(people["province_officer"], phone="0913999888")
    case_services.classify(case, people["officer"])
    with django_capture_on_commit_callbacks(execute=True):
        received = case_services.transfer(case, people["officer"], target_office=office_tree["province01"],
                                          document_number="CV-9")
    to_staff = Notification.objects.filter(kind="case.transfer_in")
    assert {n.recipient_id for n in to_staff} == {people["province_officer"].pk, people["province_leader"].pk}
    assert all(n.case_id == received.pk for n in to_staff)
    assert [m.to for m in sms_outbox if m.to != province_officer.phone] == ["0987333444"]
    assert bystander.phone not in [m.to for m in sms_outbox]
    for message in sms_outbox:
        assert DENOUNCER["full_name"] not in message.body and DENOUNCER["id_number"] not in message.body
    for n in Notification.objects.all():
        text = n.title + n.body
        assert DENOUNCER["full_name"] not in text and "NOI-DUNG-TO-CAO" not in text
    for d in Delivery.objects.all():
        assert DENOUNCER["full_name"] not in d.body


def test_a_citizen_sees_own_milestones_in_the_inbox(db, office_tree, people, make_user,
                                                    django_capture_on_commit_callbacks):
    citizen = make_user(phone="0987111333", full_name="Nguyễn Văn Công")
    other = make_user(phone="0987111444", full_name="Người Khác")
    case = make_case(office_tree["commune011"], by=people["officer"],
                     parties=[{"user": citizen, "full_name": "Nguyễn Văn Công", "id_number": "001085000002"}])
    case_services.classify(case, people["officer"])
    with django_capture_on_commit_callbacks(execute=True):
        case_services.accept(case, people["officer"], document_number="TL-2")
    html = _client(citizen).get("/cua-toi/vu-viec/").content.decode()
    assert 'data-nav="notifications"' in html and 'data-unread="1"' in html  # in "Của tôi"
    inbox = _client(citizen).get("/thong-bao/").content.decode()
    assert f"Đơn số {case.number} đã được thụ lý" in inbox
    assert "Đơn số" not in _client(other).get("/thong-bao/").content.decode()
    prefs = _client(citizen).get("/thong-bao/cai-dat/").content.decode()
    assert 'name="milestone"' in prefs and 'name="overdue"' not in prefs
    notice = Notification.objects.get(recipient=citizen)
    assert _client(citizen).get(f"/thong-bao/{notice.pk}/")["Location"] == "/cua-toi/vu-viec/"


def test_the_sweep_sends_what_a_lost_task_left_and_tries_a_failing_one_once(db, people, sms_outbox, settings):
    settings.SMS_BACKEND = "tests.test_notifications.FlakyGateway"
    FlakyGateway.calls = 0
    a = _with_contacts(people["officer"], phone="0912000001")
    b = _with_contacts(people["officer2"], phone="0912000002")
    services.notify(a, "task.overdue", None, title="Một", key="s1")  # no commit in this test: no task ran
    services.notify(b, "task.overdue", None, title="Hai", key="s2")
    assert Delivery.objects.filter(status="pending").count() == 2
    assert services.send_pending() == 1  # the first send fails once (FlakyGateway), the second goes
    first = Delivery.objects.get(key__endswith=":sms", user=a)
    assert first.status == "pending" and first.attempts == 1
    assert services.send_pending() == 1 and services.send_pending() == 0
    assert sorted(m.body for m in sms_outbox) == ["Hai", "Một"]
