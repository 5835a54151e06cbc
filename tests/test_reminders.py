"""Reminders, change notices and no-shows, driven by the beat tasks under a fake clock (time-machine)."""

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from scheduling import tasks
from scheduling.models import Registration, RegistrationStatus
from scheduling.services import registrations
from sessions import services as session_services
from tests.scheduling_helpers import future_session

SUMMARY = "Kiến nghị về việc sửa chữa đường liên thôn bị sạt lở"


@pytest.fixture
def booked(office_tree, make_user):
    """Two citizens with phones confirmed on the first slot of a session 10 days ahead."""
    session = future_session(office_tree["commune011"], slot_capacity=2)
    slot = session.slots.get(index=0)
    regs = [registrations.register(citizen=make_user(phone=f"+8491200000{i}"), slot_id=slot.pk,
                                   matter_kind="petition", matter_summary=SUMMARY) for i in range(2)]
    return session, slot, regs


def sent_to(outbox, phone):
    return [m.body for m in outbox if m.to == phone]


def test_each_reminder_goes_out_exactly_once(booked, sms_outbox, client):
    session, slot, (reg, _other) = booked
    phone = reg.citizen.phone
    with time_machine.travel(slot.starts_at - timedelta(hours=25), tick=False):
        tasks.send_due_reminders()
        assert sent_to(sms_outbox, phone) == []
    with time_machine.travel(slot.starts_at - timedelta(hours=23), tick=False):
        tasks.send_due_reminders()
        tasks.send_due_reminders()  # beat may fire twice, or two workers run it
    early = sent_to(sms_outbox, phone)
    assert len(early) == 1 and "Nhắc lịch" in early[0]
    with time_machine.travel(slot.starts_at - timedelta(minutes=50), tick=False):
        tasks.send_due_reminders()
        tasks.send_due_reminders()
    messages = sent_to(sms_outbox, phone)
    assert len(messages) == 2 and "Sắp đến lượt" in messages[1]
    with time_machine.travel(slot.starts_at + timedelta(minutes=5), tick=False):
        tasks.send_due_reminders()
    assert len(sent_to(sms_outbox, phone)) == 2
    # The message carries a working join link to this registration.
    link = re.search(r"https?://\S+", messages[0]).group(0)
    page = client.get(link.split("8000", 1)[-1] if "8000" in link else link)
    assert page.status_code == 200 and session.title in page.content.decode()


def test_after_an_outage_only_the_useful_reminder_goes_out(booked, sms_outbox):
    """The worker was down from 25 h before the slot until 40 minutes before: one message, not two, not 60."""
    _session, slot, regs = booked
    with time_machine.travel(slot.starts_at - timedelta(minutes=40), tick=False):
        report = tasks.send_due_reminders()
        tasks.send_due_reminders()
    assert report == {"sent_24h": 0, "sent_1h": 2, "passed_over": 2}
    for reg in regs:
        assert len(sent_to(sms_outbox, reg.citizen.phone)) == 1
        reg.refresh_from_db()
        assert reg.reminder_24h_at and not reg.reminder_24h_sent and reg.reminder_1h_at


def test_an_outage_past_the_slot_sends_nothing(booked, sms_outbox):
    _session, slot, _regs = booked
    with time_machine.travel(slot.ends_at + timedelta(minutes=1), tick=False):
        report = tasks.send_due_reminders()
    assert report["sent_24h"] == report["sent_1h"] == 0 and not sms_outbox


def test_cancelled_and_waitlisted_registrations_get_no_reminder(booked, sms_outbox, make_user):
    _session, slot, (reg, other) = booked
    waiting = registrations.register(citizen=make_user(phone="+84912000009"), slot_id=slot.pk,
                                     matter_kind="report", matter_summary=SUMMARY)
    assert waiting.status == "waitlisted"
    registrations.cancel(reg, reg.citizen)  # promotes the waiting citizen
    with time_machine.travel(slot.starts_at - timedelta(hours=23), tick=False):
        tasks.send_due_reminders()
    assert sent_to(sms_outbox, reg.citizen.phone) == []
    assert len(sent_to(sms_outbox, other.citizen.phone)) == 1
    assert len([m for m in sent_to(sms_outbox, "+84912000009") if "Nhắc lịch" in m]) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(office_tree, make_user, sms_outbox):
    session = future_session(office_tree["commune011"], slot_capacity=20)
    slot = session.slots.get(index=0)
    for i in range(20):
        registrations.register(citizen=make_user(phone=f"+849130000{i:02d}"), slot_id=slot.pk,
                               matter_kind="report", matter_summary=SUMMARY)
    barrier = threading.Barrier(3)

    def worker():
        barrier.wait()
        try:
            tasks.send_due_reminders()
        finally:
            connection.close()

    with time_machine.travel(slot.starts_at - timedelta(hours=20), tick=False):
        threads = [threading.Thread(target=worker) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(sms_outbox) == 20 and len({m.to for m in sms_outbox}) == 20


@pytest.mark.django_db(transaction=True)
def test_cancellation_notice_once_per_change(booked, sms_outbox, make_user, office_tree):
    session, _slot, regs = booked
    leader = make_user("leader", office_tree["commune011"])
    session_services.cancel(session, leader, reason="Mưa lũ, đường vào xã bị chia cắt")
    tasks.notify_session_change(session.pk)  # already ran on commit; a second run sends nothing
    for reg in regs:
        [notice] = sent_to(sms_outbox, reg.citizen.phone)
        assert "hủy" in notice and "Mưa lũ" in notice


def test_no_shows_marked_once_after_the_session(booked, office_tree, make_user):
    session, slot, (absent, present) = booked
    host = make_user("leader", office_tree["commune011"])
    with time_machine.travel(slot.starts_at + timedelta(minutes=5), tick=False):
        session_services.open_session(session, host)
        registrations.mark_attended(present, host)
    with time_machine.travel(session.ends_at + timedelta(minutes=10), tick=False):
        assert tasks.mark_no_shows() == 0  # still within the grace period
    with time_machine.travel(session.ends_at + timedelta(hours=1), tick=False):
        assert tasks.mark_no_shows() == 1
        assert tasks.mark_no_shows() == 0
    assert Registration.objects.get(pk=absent.pk).status == RegistrationStatus.NO_SHOW
    assert Registration.objects.get(pk=present.pk).status == RegistrationStatus.ATTENDED
