"""The audit trail's hash chain: appends link, and an edited, deleted or truncated entry is detected by
``manage.py verify_audit_chain``. Concurrent appends on PostgreSQL stay one linear chain."""

from __future__ import annotations

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import AuditEntry
from audit.services import lane_of, record, verify_chain


@pytest.mark.django_db
def test_entries_chain_and_the_check_passes(make_user):
    user = make_user()
    first = record(actor=user, action="case.create", target_type="cases.case", target_id=1, ip="10.0.0.1")
    second = record(actor=None, action="case.read_secret", target_type="cases.case", target_id=1,
                    details={"fields": ["name"]})
    assert second.prev_hash == first.entry_hash and second.seq == first.seq + 1
    assert verify_chain() == (2, [])
    call_command("verify_audit_chain")


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", ["delete_middle", "edit", "delete_last"])
def test_tampering_is_detected(make_user, tamper):
    user = make_user()
    entries = [record(actor=user, action="minutes.save", target_id=i, details={"v": i}) for i in range(5)]
    if tamper == "delete_middle":
        AuditEntry.objects.filter(pk=entries[2].pk).delete()
    elif tamper == "edit":
        AuditEntry.objects.filter(pk=entries[1].pk).update(details={"v": 99})
    else:
        AuditEntry.objects.filter(pk=entries[-1].pk).delete()
    checked, breaks = verify_chain()
    assert breaks, tamper
    with pytest.raises(CommandError):
        call_command("verify_audit_chain")


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_stay_one_chain(make_user):
    assert connection.vendor == "postgresql"
    user = make_user()
    errors: list[BaseException] = []

    def append(n):
        try:
            for i in range(10):
                record(actor=user, action="minutes.save", target_id=n, details={"i": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert verify_chain() == (80, [])
    by_lane: dict[int, list[int]] = {}
    for lane, seq in AuditEntry.objects.order_by("pk").values_list("lane", "seq"):
        by_lane.setdefault(lane, []).append(seq)
    assert len(by_lane) > 1  # eight targets, 64 lanes
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_lane.values())


def _targets_in_two_lanes():
    first = lane_of("minutes.minutes", "1")
    other = next(str(n) for n in range(2, 500) if lane_of("minutes.minutes", str(n)) != first)
    return "1", other


@pytest.mark.django_db
def test_one_target_one_lane_in_order(make_user):
    user = make_user()
    one, other = _targets_in_two_lanes()
    a1 = record(actor=user, action="minutes.save", target_type="minutes.minutes", target_id=one)
    b1 = record(actor=user, action="minutes.save", target_type="minutes.minutes", target_id=other)
    a2 = record(actor=user, action="minutes.save", target_type="minutes.minutes", target_id=one)
    assert a1.lane == a2.lane != b1.lane
    assert (a2.seq, a2.prev_hash) == (a1.seq + 1, a1.entry_hash)
    AuditEntry.objects.filter(pk=b1.pk).delete()  # the only entry of its lane: the lane's head tells
    checked, breaks = verify_chain()
    assert [(b.lane, b.reason) for b in breaks] == [(b1.lane, "the last entries were removed")]


@pytest.mark.django_db(transaction=True)
def test_writes_about_different_things_do_not_wait_for_each_other(make_user):
    """A transaction holding one lane (a write not yet committed) does not block an append to another lane;
    the second connection would fail on its lock timeout if it waited."""
    from django.db import transaction

    assert connection.vendor == "postgresql"
    user = make_user()
    one, other = _targets_in_two_lanes()
    record(actor=user, action="minutes.save", target_type="minutes.minutes", target_id=one)
    record(actor=user, action="minutes.save", target_type="minutes.minutes", target_id=other)
    holding, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_lane():
        try:
            with transaction.atomic():
                record(actor=user, action="minutes.save", target_type="minutes.minutes", target_id=one)
                holding.set()
                done.wait(60)
        finally:
            connection.close()

    def append_other_lane():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '10s'")
                record(actor=user, action="minutes.save", target_type="minutes.minutes", target_id=other)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lane)
    holder.start()
    assert holding.wait(60)
    second = threading.Thread(target=append_other_lane)
    second.start()
    second.join(60)
    done.set()
    holder.join(60)
    assert not errors
    assert verify_chain() == (4, [])
