"""The case API beyond the workflow: files (a denunciation's encrypted at rest, read only by the handler and
the head, audited), splitting a mixed matter, linking a repeated case, the verifiers' redacted copy — and
the OpenAPI schema generated without a warning."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from audit.models import AuditEntry
from cases.models import Case, CaseDocument
from tests.cases_helpers import DENOUNCER, login, make_case, staff

PNG = b"\x89PNG\r\n\x1a\n" + b"handwriting of the denouncer " * 20


@pytest.fixture
def people(office_tree, make_user):
    return staff(office_tree, make_user)


@pytest.fixture
def denunciation(office_tree, people):
    from cases import services

    case = make_case(office_tree["commune011"], by=people["officer"], kind="denunciation")
    services.assign_handler(case, people["leader"], people["officer2"])
    return Case.objects.get(pk=case.pk)


def upload(client, case, data=PNG, name="to-cao.png", content_type="image/png"):
    return client.post(f"/api/cases/{case.public_id}/documents/",
                       {"file": SimpleUploadedFile(name, data, content_type=content_type)}, format="multipart")


@pytest.mark.django_db
def test_a_denunciation_file_is_encrypted_and_read_only_by_the_handler_and_the_head(denunciation, people):
    response = upload(login(people["officer2"]), denunciation)
    assert response.status_code == 201, response.content
    assert response.json()["encrypted"] is True
    document = CaseDocument.objects.get(public_id=response.json()["id"])
    with document.file.open("rb") as handle:
        stored = handle.read()
    assert b"handwriting" not in stored and not stored.startswith(b"\x89PNG")  # ciphertext at rest
    url = f"/api/cases/{denunciation.public_id}/documents/{document.public_id}/"
    for who in ("officer2", "leader"):  # the handler and the head
        download = login(people[who]).get(url)
        assert download.status_code == 200 and download.content == PNG
        assert "to-cao" not in download["Content-Disposition"]  # the original name is not exposed
    assert AuditEntry.objects.filter(action="cases.read_document").count() == 2
    for who in ("officer", "secretary", "province_inspector"):  # same office without the assignment, and above
        assert login(people[who]).get(url).status_code in (403, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("data, name, content_type, code", [
    (b"%PDF-1.7 fake", "a.exe", "application/x-msdownload", "unsupported_type"),
    (b"MZ not a png", "a.png", "image/png", "unsupported_type"),
])
def test_bad_uploads_are_typed_errors(denunciation, people, data, name, content_type, code):
    response = upload(login(people["officer2"]), denunciation, data, name, content_type)
    assert response.status_code == 400 and response.json()["error"]["type"] == code


@pytest.mark.django_db
def test_an_upload_without_a_file_or_by_a_reader_is_refused(denunciation, people):
    response = login(people["officer2"]).post(f"/api/cases/{denunciation.public_id}/documents/", {}, format="multipart")
    assert response.status_code == 400 and response.json()["error"]["type"] == "required"
    assert upload(login(people["province_inspector"]), denunciation).status_code == 403


@pytest.mark.django_db
def test_split_a_mixed_matter_and_link_a_repeated_case(office_tree, people):
    commune = office_tree["commune011"]
    mixed = make_case(commune, by=people["officer"], kind="complaint", summary="Khiếu nại và kiến nghị về đường.")
    client = login(people["officer"])
    response = client.post(f"/api/cases/{mixed.public_id}/split/", {"parts": [
        {"kind": "complaint", "summary": "Khiếu nại bồi thường.", "field": "land"},
        {"kind": "petition", "summary": "Kiến nghị sửa đường.", "field": "other"}]}, format="json")
    assert response.status_code == 200, response.content
    parts = response.json()["cases"]
    assert [p["kind"] for p in parts] == ["complaint", "petition"] and parts[0]["id"] == str(mixed.public_id)
    assert Case.objects.get(public_id=parts[1]["id"]).split_from_id == mixed.pk
    bad = client.post(f"/api/cases/{mixed.public_id}/split/", {"parts": "nope"}, format="json")
    assert bad.status_code == 400

    earlier = make_case(commune, by=people["officer"], kind="complaint")
    response = client.post(f"/api/cases/{mixed.public_id}/link-previous/", {"previous": str(earlier.public_id)},
                           format="json")
    assert response.status_code == 200, response.content
    assert Case.objects.get(pk=mixed.pk).previous_case_id == earlier.pk
    bad = client.post(f"/api/cases/{mixed.public_id}/link-previous/", {"previous": "not-a-uuid"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid"


@pytest.mark.django_db
def test_the_verifiers_copy_has_no_identity(denunciation, people):
    response = login(people["officer2"]).get(f"/api/cases/{denunciation.public_id}/redacted-copy/")
    assert response.status_code == 200
    text = response.content.decode()
    for secret in (DENOUNCER["full_name"], DENOUNCER["address"], DENOUNCER["id_number"], DENOUNCER["contact"]):
        assert secret not in text
    assert "cán bộ địa chính" in text  # the content is for the verifiers; the identity is not
    assert AuditEntry.objects.filter(action="cases.redacted_copy").exists()
    assert login(people["province_inspector"]).get(
        f"/api/cases/{denunciation.public_id}/redacted-copy/").status_code == 403


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--file", str(tmp_path / "schema.yml"), "--fail-on-warn", "--validate")
    schema = (tmp_path / "schema.yml").read_text()
    for path in ("/api/cases/{public_id}/documents/", "/api/cases/{public_id}/split/", "/api/minutes/{id}/",
                 "/api/documents/reception-log.{fmt}"):
        assert path in schema, path
