"""The cases API and the secrecy of denouncers: encrypted at rest (fields and files, with key rotation), the
handler and the head see the identity (audited), everyone else gets the redaction, listings never carry it;
typed 4xx for bad input."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from audit.models import AuditEntry
from cases import access, services
from cases.models import Case, CaseDocument
from core import crypto
from notifications.models import Notification
from tests.cases_helpers import CITIZEN, COMPLAINT, DENOUNCER, SECRET, login, make_case, staff


@pytest.fixture
def people(office_tree, make_user):
    return staff(office_tree, make_user)


@pytest.fixture
def denunciation(office_tree, people):
    case = make_case(office_tree["commune011"], by=people["officer"], kind="denunciation")
    services.assign_handler(case, people["leader"], people["officer2"])
    case.refresh_from_db()
    return case


SECRETS = [SECRET, DENOUNCER["full_name"], DENOUNCER["address"], DENOUNCER["id_number"], DENOUNCER["contact"]]


def _contains_secret(text: str) -> bool:
    return any(secret in text for secret in SECRETS)


def test_identity_and_content_encrypted_in_db(denunciation):
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name, address, id_number, contact, id_number_index FROM cases_caseparty "
                       "WHERE case_id = %s", [denunciation.pk])
        rows = cursor.fetchall()
        cursor.execute("SELECT summary FROM cases_case WHERE id = %s", [denunciation.pk])
        [(summary,)] = cursor.fetchall()
    assert len(rows) == 1
    assert summary.startswith("fernet:") and SECRET not in summary
    for value in rows[0][:4]:
        assert value.startswith("fernet:")
    raw = json.dumps(rows, ensure_ascii=False) + summary
    assert not _contains_secret(raw)
    assert rows[0][4] == crypto.blind_index(DENOUNCER["id_number"])  # matching without the plaintext


def test_handler_sees_identity_and_is_audited(denunciation, people):
    handler = people["officer2"]
    response = login(handler).get(f"/api/cases/{denunciation.public_id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["identity_visible"] is True
    assert body["summary"] == SECRET
    [party] = body["parties"]
    assert party["redacted"] is False
    assert (party["full_name"], party["id_number"], party["address"]) == (
        DENOUNCER["full_name"], DENOUNCER["id_number"], DENOUNCER["address"])
    entry = AuditEntry.objects.get(action="cases.read_identity", actor=handler)
    assert entry.target_id == str(denunciation.pk) and entry.details["case"] == str(denunciation.public_id)
    # The head (leader) of the office may also see it.
    head = login(people["leader"]).get(f"/api/cases/{denunciation.public_id}/").json()
    assert head["parties"][0]["full_name"] == DENOUNCER["full_name"]
    assert AuditEntry.objects.filter(action="cases.read_identity", actor=people["leader"]).exists()
    # No audit entry anywhere holds a secret.
    details = json.dumps(list(AuditEntry.objects.values_list("details", flat=True)), ensure_ascii=False)
    assert not _contains_secret(details)


@pytest.mark.parametrize("who", ["officer", "secretary", "province_inspector", "central_inspector"])
def test_others_get_the_redaction(denunciation, people, who):
    user = people[who]
    response = login(user).get(f"/api/cases/{denunciation.public_id}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["identity_visible"] is False
    [party] = body["parties"]
    assert party["redacted"] is True and party["full_name"] == access.REDACTED
    assert body["summary"] == access.REDACTED_CONTENT
    assert not _contains_secret(response.content.decode())
    assert not AuditEntry.objects.filter(action="cases.read_identity", actor=user).exists()


def test_non_denunciation_identity_visible_to_staff(office_tree, people):
    case = make_case(office_tree["commune011"], by=people["officer"])
    body = login(people["officer2"]).get(f"/api/cases/{case.public_id}/").json()
    assert body["parties"][0]["full_name"] == CITIZEN["full_name"] and body["summary"] == COMPLAINT
    province = login(people["province_inspector"]).get(f"/api/cases/{case.public_id}/").json()
    assert province["parties"][0]["full_name"] == CITIZEN["full_name"]
    assert login(people["other_officer"]).get(f"/api/cases/{case.public_id}/").status_code == 403


def test_listings_never_contain_identity_or_denunciation_content(office_tree, denunciation, people):
    make_case(office_tree["commune011"], by=people["officer"])
    for who in ("officer2", "leader", "officer", "province_inspector", "central_inspector"):
        response = login(people[who]).get("/api/cases/")
        assert response.status_code == 200
        text = response.content.decode()
        assert not _contains_secret(text), who
        assert CITIZEN["full_name"] not in text and CITIZEN["id_number"] not in text
        rows = {row["kind"]: row for row in response.json()["results"]}
        assert rows["denunciation"]["summary"] is None
        assert rows["complaint"]["summary"] == COMPLAINT
    assert login(people["other_officer"]).get("/api/cases/").json()["results"] == []


def test_redacted_copy_for_verifiers(office_tree, people):
    summary = f"Bà {DENOUNCER['full_name']} tố cáo cán bộ địa chính nhận tiền."
    case = make_case(office_tree["commune011"], kind="denunciation", summary=summary)
    copy = access.redacted_copy(case)
    text = json.dumps(copy, default=str, ensure_ascii=False)
    assert DENOUNCER["full_name"] not in text and DENOUNCER["id_number"] not in text
    assert "cán bộ địa chính nhận tiền" in copy["summary"]
    assert copy["parties"][0]["redacted"] is True and copy["number"] == case.number


def test_denunciation_files_encrypted_and_rotated(denunciation, people, settings, tmp_path,
                                                  django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    content = f"Đơn tố cáo viết tay của {DENOUNCER['full_name']}".encode()
    document = services.add_document(denunciation, people["officer2"], content=content, name="don-to-cao.pdf",
                                     content_type="application/pdf")
    stored = (tmp_path / document.file.name).read_bytes()
    assert document.encrypted and stored.startswith(b"fernet:") and content not in stored
    assert "don-to-cao" not in document.file.name
    assert services.read_document(document, people["officer2"]) == content
    assert AuditEntry.objects.filter(action="cases.read_document", actor=people["officer2"]).exists()
    with pytest.raises(services.CaseError):
        services.read_document(document, people["officer"])  # same office, not the handler
    # A complaint's file is stored as it is.
    complaint = make_case(denunciation.office, by=people["officer"])
    plain = services.add_document(complaint, people["officer"], content=b"plain bytes")
    assert not plain.encrypted and (tmp_path / plain.file.name).read_bytes() == b"plain bytes"

    # Rotation: a new key first, the old one after it; re-encrypt fields and files; drop the old key.
    old = list(settings.FIELD_ENCRYPTION_KEYS) or [crypto._dev_key_file("field_encryption_key").decode()]
    new = Fernet.generate_key().decode()
    try:
        settings.FIELD_ENCRYPTION_KEYS = [new, *old]
        crypto.reset_keys_cache()
        call_command("rotate_field_keys", stdout=io.StringIO())
        # The old file is deleted once the new name is committed (the test runs inside a transaction).
        with django_capture_on_commit_callbacks(execute=True):
            call_command("rotate_case_files", stdout=io.StringIO())
        settings.FIELD_ENCRYPTION_KEYS = [new]
        crypto.reset_keys_cache()
        document = CaseDocument.objects.get(pk=document.pk)
        rotated = (tmp_path / document.file.name).read_bytes()
        assert rotated != stored and content not in rotated
        assert services.read_document(document, people["officer2"]) == content
        with pytest.raises(InvalidToken):
            Fernet(old[0].encode()).decrypt(rotated[len(b"fernet:"):])
        assert len(list(tmp_path.rglob("*.bin"))) == 2  # the old encrypted file was removed
    finally:
        crypto.reset_keys_cache()


def test_create_via_api_and_typed_errors(office_tree, people):
    client = login(people["officer"])
    payload = {"office": "X01001", "kind": "complaint", "field": "land", "summary": COMPLAINT,
               "parties": [CITIZEN], "received_on": "2026-03-02"}
    response = client.post("/api/cases/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "X01001-2026-0001" and body["state"] == "received"
    assert body["acceptance_due"] == "2026-03-12" and body["allowed_actions"] == ["classify"]

    def error(response, status):
        assert response.status_code == status, response.content
        return response.json()["error"]

    assert "kind" in error(client.post("/api/cases/", {**payload, "kind": "mixed"}, format="json"), 400)["fields"]
    assert "office" in error(client.post("/api/cases/", {**payload, "office": "NOPE"}, format="json"), 400)["fields"]
    e = error(client.post("/api/cases/", {**payload, "parties": []}, format="json"), 400)
    assert e["type"] == "required" and "parties" in e["fields"]
    e = error(client.post("/api/cases/", {**payload, "people_count": 0}, format="json"), 400)
    assert "people_count" in e["fields"]
    e = error(client.post("/api/cases/", {**payload, "previous_case": "00000000-0000-0000-0000-000000000000"},
                          format="json"), 400)
    assert e["type"] == "unknown_case"
    assert error(login(people["other_officer"]).post("/api/cases/", payload, format="json"), 403)["type"] == "forbidden"
    # An anonymous denunciation is accepted without parties.
    assert client.post("/api/cases/", {**payload, "kind": "denunciation", "parties": []},
                       format="json").status_code == 201

    public_id = body["public_id"]
    e = error(client.post(f"/api/cases/{public_id}/transition/", {"action": "accept"}, format="json"), 400)
    assert e["type"] == "not_classified" and "action" in e["fields"] and e["message"]
    assert "action" in error(client.post(f"/api/cases/{public_id}/transition/", {"action": "burn"},
                                         format="json"), 400)["fields"]
    assert client.post(f"/api/cases/{public_id}/transition/", {"action": "classify", "is_complex": True},
                       format="json").status_code == 200
    e = error(client.post(f"/api/cases/{public_id}/transition/", {"action": "end"}, format="json"), 400)
    assert e["type"] == "required" and "document_number" in e["fields"]
    e = error(client.post(f"/api/cases/{public_id}/transfer/", {"target_office": "T01"}, format="json"), 400)
    assert "document_number" in e["fields"]
    e = error(client.post(f"/api/cases/{public_id}/extend/", {"decision_number": "1/QĐ", "days": 10},
                          format="json"), 403)
    leader = login(people["leader"])
    e = error(leader.post(f"/api/cases/{public_id}/extend/", {"decision_number": "1/QĐ", "days": 10},
                          format="json"), 400)
    assert e["type"] == "not_denunciation"
    e = error(leader.post(f"/api/cases/{public_id}/extend/", {"decision_number": "1/QĐ", "days": "x"},
                          format="json"), 400)
    assert "days" in e["fields"]
    e = error(leader.post(f"/api/cases/{public_id}/assign/", {"handler": people["province_officer"].pk},
                          format="json"), 400)
    assert e["type"] == "invalid_handler"
    assert "handler" in error(leader.post(f"/api/cases/{public_id}/assign/", {"handler": 999999},
                                          format="json"), 400)["fields"]
    response = leader.post(f"/api/cases/{public_id}/assign/", {"handler": people["officer2"].pk}, format="json")
    assert response.status_code == 200 and response.json()["handler"] == people["officer2"].pk
    assert Notification.objects.filter(recipient=people["officer2"], kind="case.assigned").exists()
    response = leader.post(f"/api/cases/{public_id}/transition/", {"action": "accept"}, format="json")
    assert response.json()["state"] == "accepted" and response.json()["resolution_due"]
    error(client.get("/api/cases/00000000-0000-0000-0000-000000000000/"), 404)
    assert client.get("/api/cases/").status_code == 200
    assert error(client.get("/api/cases/?state=bogus"), 400)["fields"]["state"]
    assert error(client.get("/api/cases/?overdue=maybe"), 400)["fields"]["overdue"]


def test_inbox_filters(office_tree, people):
    commune = office_tree["commune011"]
    old = make_case(commune, by=people["officer"], received_on=date(2025, 1, 6))  # long overdue
    fresh = make_case(commune, by=people["officer"], kind="denunciation")
    client = login(people["officer"])
    ids = lambda r: {row["public_id"] for row in r.json()["results"]}  # noqa: E731
    assert ids(client.get("/api/cases/?overdue=true")) == {str(old.public_id)}
    assert ids(client.get("/api/cases/?overdue=false")) == {str(fresh.public_id)}
    assert ids(client.get("/api/cases/?kind=denunciation")) == {str(fresh.public_id)}
    assert ids(client.get("/api/cases/?state=received&office=X01001")) == {str(old.public_id), str(fresh.public_id)}
    assert client.get("/api/cases/?overdue=true").json()["results"][0]["is_overdue"] is True
    # The province's inspector sees the commune's cases; filtering by the province itself shows none.
    inspector = login(people["province_inspector"])
    assert len(inspector.get("/api/cases/").json()["results"]) == 2
    assert inspector.get("/api/cases/?office=T01").json()["results"] == []
    assert Case.objects.count() == 2


def test_schema_documents_the_cases_api(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/api/cases/", "/api/cases/{public_id}/", "/api/cases/{public_id}/transition/",
                 "/api/cases/{public_id}/transfer/", "/api/cases/{public_id}/extend/",
                 "/api/cases/{public_id}/assign/"):
        assert path in text


def test_events_on_commit_carry_no_secret(office_tree, people, django_capture_on_commit_callbacks):
    """Writes announce ``case.*`` to the office group after commit (real channel layer), with public_id,
    number, kind and state only."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from core.events import office_group

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(office_group(office_tree["commune011"].pk), channel)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case = make_case(office_tree["commune011"], by=people["officer"], kind="denunciation")
        services.classify(case, people["officer"])
    assert len(callbacks) == 2

    async def receive_two():  # one event loop for both reads (channels-redis buffers per loop)
        return [(await layer.receive(channel))["event"] for _ in range(2)]

    events = async_to_sync(receive_two)()
    assert [e["type"] for e in events] == ["case.created", "case.transition"]
    assert events[1]["payload"] == {"public_id": str(case.public_id), "number": case.number,
                                    "kind": "denunciation", "state": "classified"}
    assert not _contains_secret(json.dumps(events, ensure_ascii=False))
    async_to_sync(layer.group_discard)(office_group(office_tree["commune011"].pk), channel)
