"""The audit trail's hash chain: appends link, and an edited, deleted or truncated entry is detected by
``manage.py verify_audit_chain``. Concurrent appends on PostgreSQL stay one linear chain."""

from __future__ import annotations

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import AuditEntry
from audit.services import record, verify_chain


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
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, 81))
