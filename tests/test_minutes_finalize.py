"""Locking the minutes: the SHA-256 of the canonical form verifies and breaks on a one-character change in
the database; after locking only addenda; the citizen's own confirmation; the paper scan; bad inputs are
typed 4xx errors."""

from __future__ import annotations

import hashlib
import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from audit.models import AuditEntry
from minutes import services
from minutes.models import CitizenSection, Minutes, MinutesAddendum, MinutesRevision
from tests.test_minutes_editing import login, minutes_setup

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _write(ctx):
    minutes, secretary = ctx["minutes"], ctx["secretary"]
    section = minutes.sections.get(ordinal=1)
    services.save_header_field(minutes, secretary, field="place", value="Trụ sở Tiếp công dân xã", base_version=0)
    services.save_section_field(section, secretary, field="leader_answer", value="Giao phòng địa chính xác minh.",
                                base_version=0)
    services.save_section_field(section, secretary, field="conclusions", value="Trả lời trong 10 ngày làm việc.",
                                base_version=0)
    services.save_section_field(section, secretary, field="documents_handed_over", base_version=0,
                                value=[{"title": "Đơn khiếu nại", "pages": 2, "condition": "bản chính"}])
    return minutes, section


@pytest.mark.django_db
def test_finalized_hash_verifies_and_one_character_in_the_db_breaks_it(office_tree, make_user):
    ctx = minutes_setup(office_tree, make_user)
    minutes, section = _write(ctx)
    assert not services.verify(minutes)  # a draft has nothing to verify
    minutes = services.finalize(minutes, ctx["host"])
    # The session is still open: no end time is invented (the documents print the real end once it is held).
    assert minutes.state == "final" and minutes.finalized_by == ctx["host"] and minutes.ended_at is None
    assert len(minutes.sha256) == 64 and services.verify(minutes)
    assert minutes.sha256 == hashlib.sha256(services.canonical_bytes(Minutes.objects.get(pk=minutes.pk))).hexdigest()
    assert AuditEntry.objects.filter(action="minutes.finalize", details__sha256=minutes.sha256).exists()
    api = login(ctx["secretary"])
    assert api.get(f"/api/minutes/{minutes.pk}/verify/").json() == {"sha256": minutes.sha256, "verified": True}
    assert api.get(f"/api/minutes/{minutes.pk}/").json()["verified"] is True

    # One character changed behind the application's back (raw SQL on a plain column).
    with connection.cursor() as cursor:
        cursor.execute("UPDATE minutes_minutes SET place = place || '.' WHERE id = %s", [minutes.pk])
    assert not services.verify(minutes)
    assert api.get(f"/api/minutes/{minutes.pk}/verify/").json()["verified"] is False
    with connection.cursor() as cursor:
        cursor.execute("UPDATE minutes_minutes SET place = left(place, -1) WHERE id = %s", [minutes.pk])
    assert services.verify(minutes)
    # …and in an encrypted column (the value re-encrypted, one character different).
    CitizenSection.objects.filter(pk=section.pk).update(conclusions="Trả lời trong 15 ngày làm việc.")
    assert not services.verify(minutes)
    CitizenSection.objects.filter(pk=section.pk).update(conclusions="Trả lời trong 10 ngày làm việc.")
    assert services.verify(minutes)
    # A document's condition in the receipt (JSON).
    CitizenSection.objects.filter(pk=section.pk).update(
        documents_handed_over=[{"title": "Đơn khiếu nại", "pages": 3, "condition": "bản chính"}])
    assert not services.verify(minutes)


@pytest.mark.django_db
def test_canonical_form_is_nfc_normalised(office_tree, make_user):
    ctx = minutes_setup(office_tree, make_user, citizens=1)
    minutes = ctx["minutes"]
    composed = "Trụ sở Tiếp công dân"
    services.save_header_field(minutes, ctx["secretary"], field="place", value=unicodedata.normalize("NFD", composed),
                               base_version=0)
    minutes = services.finalize(minutes, ctx["secretary"])
    nfd_hash = minutes.sha256
    Minutes.objects.filter(pk=minutes.pk).update(place=composed)  # same text, composed form
    assert services.verify(minutes) and services.compute_hash(Minutes.objects.get(pk=minutes.pk)) == nfd_hash
    assert composed.encode() in services.canonical_bytes(Minutes.objects.get(pk=minutes.pk))


@pytest.mark.django_db
def test_after_locking_only_addenda(office_tree, make_user):
    ctx = minutes_setup(office_tree, make_user)
    minutes, section = _write(ctx)
    api = login(ctx["secretary"])
    early = api.post(f"/api/minutes/{minutes.pk}/addenda/", {"text": "Bổ sung"}, format="json")
    assert early.status_code == 409 and early.json()["error"]["type"] == "minutes_not_final"
    assert api.post(f"/api/minutes/{minutes.pk}/finalize/").status_code == 200
    again = api.post(f"/api/minutes/{minutes.pk}/finalize/")
    assert again.status_code == 409 and again.json()["error"]["type"] == "minutes_locked"

    url = f"/api/minutes/{minutes.pk}/sections/{section.pk}/"
    for request in ({"field": "conclusions", "text": "Sửa sau khi khóa", "base_version": 1},
                    {"field": "people_count", "value": 3, "base_version": 0}):
        refused = api.patch(url, request, format="json")
        assert refused.status_code == 409 and refused.json()["error"]["type"] == "minutes_locked"
    walk_in = api.post(f"/api/minutes/{minutes.pk}/sections/", {"citizen_name": "Trần Thị B", "kind": "petition"},
                       format="json")
    assert walk_in.status_code == 409
    revisions = MinutesRevision.objects.filter(minutes=minutes).count()

    first = api.post(f"/api/minutes/{minutes.pk}/addenda/",
                     {"text": "Bổ sung: công dân nộp thêm 1 bản photo sổ đỏ.", "section": section.pk}, format="json")
    assert first.status_code == 201, first.content
    second = api.post(f"/api/minutes/{minutes.pk}/addenda/", {"text": "Đính chính giờ kết thúc: 10 giờ 30."},
                      format="json")
    assert second.status_code == 201
    assert MinutesRevision.objects.filter(minutes=minutes).count() == revisions
    body = api.get(f"/api/minutes/{minutes.pk}/").json()
    assert [a["section"] for a in body["addenda"]] == [section.pk, None] and body["verified"] is True
    # The addenda are chained to the minutes' hash: editing one is detected too.
    MinutesAddendum.objects.filter(pk=first.json()["id"]).update(text="Bổ sung: khác.")
    assert not services.verify(minutes)
    assert AuditEntry.objects.filter(action="minutes.addendum").count() == 2
    # Only editors of the host office add addenda.
    outsider = login(ctx["provincial"]).post(f"/api/minutes/{minutes.pk}/addenda/", {"text": "x"}, format="json")
    assert outsider.status_code == 403


@pytest.mark.django_db
def test_citizen_confirms_own_section_only_after_locking(office_tree, make_user):
    ctx = minutes_setup(office_tree, make_user)
    minutes, section = _write(ctx)
    own, other = login(ctx["citizens"][0]), login(ctx["citizens"][1])
    confirm = f"/api/minutes/{minutes.pk}/sections/{section.pk}/confirm/"
    early = own.post(confirm)
    assert early.status_code == 409 and early.json()["error"]["type"] == "minutes_not_final"
    assert own.get(f"/api/minutes/{minutes.pk}/sections/{section.pk}/").status_code == 409
    services.finalize(minutes, ctx["secretary"])

    assert other.post(confirm).status_code == 403
    assert login(ctx["secretary"]).post(confirm).status_code == 403
    assert login(ctx["host"]).post(confirm).status_code == 403
    done = own.post(confirm)
    assert done.status_code == 200 and done.json()["citizen_confirmed_at"]
    assert own.post(confirm).json()["citizen_confirmed_at"] == done.json()["citizen_confirmed_at"]
    assert AuditEntry.objects.filter(action="minutes.citizen_confirm").count() == 1
    mine = own.get(f"/api/minutes/{minutes.pk}/sections/{section.pk}/").json()
    assert mine["conclusions"] == "Trả lời trong 10 ngày làm việc." and mine["citizen_confirmed_at"]
    assert other.get(f"/api/minutes/{minutes.pk}/sections/{section.pk}/").status_code == 403
    # The confirmation is outside the hashed content: the lock still verifies.
    assert services.verify(minutes)
    # A walk-in without an account cannot be confirmed by anyone online.
    with pytest.raises(services.MinutesError):
        services.confirm_by_citizen(CitizenSection(pk=0, minutes=minutes), ctx["citizens"][0])


@pytest.mark.django_db
def test_paper_scan_upload(office_tree, make_user, settings):
    ctx = minutes_setup(office_tree, make_user, citizens=1)
    minutes = ctx["minutes"]
    api = login(ctx["secretary"])
    url = f"/api/minutes/{minutes.pk}/paper-scan/"
    draft = api.post(url, {"file": SimpleUploadedFile("bb.pdf", PDF, "application/pdf")}, format="multipart")
    assert draft.status_code == 409 and draft.json()["error"]["type"] == "minutes_not_final"
    services.finalize(minutes, ctx["secretary"])

    wrong_type = api.post(url, {"file": SimpleUploadedFile("bb.txt", b"hello", "text/plain")}, format="multipart")
    assert wrong_type.status_code == 400 and wrong_type.json()["error"]["type"] == "unsupported_file_type"
    assert wrong_type.json()["error"]["fields"]["file"][0]["code"] == "unsupported_file_type"
    disguised = api.post(url, {"file": SimpleUploadedFile("bb.png", PDF, "image/png")}, format="multipart")
    assert disguised.status_code == 400 and disguised.json()["error"]["type"] == "unsupported_file_type"
    missing = api.post(url, {}, format="multipart")
    assert missing.status_code == 400 and missing.json()["error"]["type"] == "required"
    settings.MINUTES_SCAN_MAX_BYTES = 1000
    big = api.post(url, {"file": SimpleUploadedFile("bb.png", PNG + b"\x00" * 1000, "image/png")},
                   format="multipart")
    assert big.status_code == 400 and big.json()["error"]["type"] == "file_too_large"
    del settings.MINUTES_SCAN_MAX_BYTES
    assert services.max_scan_bytes() == 20 * 1024 * 1024
    assert login(ctx["citizens"][0]).post(
        url, {"file": SimpleUploadedFile("bb.pdf", PDF, "application/pdf")}, format="multipart").status_code == 403

    ok = api.post(url, {"file": SimpleUploadedFile("bien-ban.pdf", PDF, "application/pdf")}, format="multipart")
    assert ok.status_code == 201, ok.content
    scan = ok.json()["paper_scan"]
    assert scan["sha256"] == hashlib.sha256(PDF).hexdigest() and scan["content_type"] == "application/pdf"
    minutes.refresh_from_db()
    with minutes.paper_scan.open("rb") as stored:  # encrypted at rest (issue 13), under a random name
        assert stored.read().startswith(b"fernet:") and minutes.paper_scan_encrypted
    assert "bien-ban" not in minutes.paper_scan.name
    download = api.get(url)
    assert download.status_code == 200 and download.content == PDF
    assert AuditEntry.objects.filter(action="minutes.read_paper_scan").count() == 1
    assert services.verify(minutes)


@pytest.mark.django_db
def test_bad_inputs_are_typed_errors(office_tree, make_user):
    ctx = minutes_setup(office_tree, make_user, citizens=1)
    minutes = ctx["minutes"]
    section = minutes.sections.get()
    api = login(ctx["secretary"])
    url = f"/api/minutes/{minutes.pk}/sections/{section.pk}/"

    def error(response, status, kind, field=None):
        assert response.status_code == status, response.content
        body = response.json()["error"]
        assert body["type"] == kind
        if field:
            assert field in body["fields"]

    error(api.patch(url, {"field": "secret_field", "text": "x", "base_version": 0}, format="json"), 400,
          "unknown_field", "field")
    error(api.patch(url, {"field": "citizen_confirmed_at", "value": "2026-01-01T00:00:00Z", "base_version": 0},
                    format="json"), 400, "unknown_field", "field")
    error(api.patch(f"/api/minutes/{minutes.pk}/", {"field": "statement", "text": "x", "base_version": 0},
                    format="json"), 400, "unknown_field")  # a section field on the header
    error(api.patch(url, {"field": "statement", "text": "x", "base_version": -1}, format="json"), 400,
          "invalid_version", "base_version")
    error(api.patch(url, {"field": "statement", "text": "x", "base_version": "1"}, format="json"), 400,
          "invalid_version")
    error(api.patch(url, {"field": "statement", "text": "x", "base_version": 7}, format="json"), 400,
          "version_ahead", "base_version")
    error(api.patch(url, {"field": "statement", "base_version": 0}, format="json"), 400, "required", "text")
    error(api.patch(url, {"field": "statement", "text": 42, "base_version": 0}, format="json"), 400, "invalid")
    limit = services.max_text_chars()
    assert limit == 50_000
    error(api.patch(url, {"field": "statement", "text": "a" * (limit + 1), "base_version": 0}, format="json"),
          400, "too_long", "statement")
    assert api.patch(url, {"field": "statement", "text": "a" * limit, "base_version": 0},
                     format="json").status_code == 200
    error(api.patch(url, {"field": "people_count", "value": 0, "base_version": 0}, format="json"), 400,
          "out_of_range")
    error(api.patch(url, {"field": "kind", "value": "gossip", "base_version": 0}, format="json"), 400,
          "invalid_choice")
    error(api.patch(url, {"field": "identity_checked", "value": "yes", "base_version": 0}, format="json"), 400,
          "invalid")
    error(api.patch(url, {"field": "documents_handed_over", "value": [{"pages": 2}], "base_version": 0},
                    format="json"), 400, "required", "documents_handed_over.0.title")
    error(api.patch(url, {"field": "documents_handed_over", "value": [{"title": "A", "owner": "x"}],
                          "base_version": 0}, format="json"), 400, "invalid")
    error(api.patch(f"/api/minutes/{minutes.pk}/", {"field": "ended_at", "value": "tomorrow", "base_version": 0},
                    format="json"), 400, "invalid")
    error(api.patch(url, ["statement"], format="json"), 400, "invalid")
    error(api.patch(f"/api/minutes/{minutes.pk}/sections/999999/", {"field": "statement", "text": "x",
                                                                    "base_version": 0}, format="json"),
          404, "not_found")
    error(api.get("/api/minutes/999999/"), 404, "not_found")
    error(api.get("/api/minutes/?session=not-a-uuid"), 400, "invalid")
    error(api.post(f"/api/minutes/{minutes.pk}/sections/", {"kind": "petition"}, format="json"), 400,
          "required", "citizen_name")
    error(api.post(f"/api/minutes/{minutes.pk}/addenda/", {"text": "x"}, format="json"), 409,
          "minutes_not_final")
    # Nothing refused reached the history.
    assert MinutesRevision.objects.filter(minutes=minutes).count() == 1


@pytest.mark.django_db
def test_key_rotation_reencrypts_the_minutes_and_the_hash_still_verifies(office_tree, make_user, settings):
    """``rotate_field_keys`` re-encrypts every encrypted field of the minutes — texts and the JSON list of
    documents handed over — and the finalized hash (over the plaintext) still verifies with the new key."""
    from cryptography.fernet import Fernet
    from django.core.management import call_command
    from django.db import connection

    from core import crypto
    from minutes import services
    from minutes.models import CitizenSection
    from tests.room_helpers import open_room

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    crypto.reset_keys_cache()
    try:
        room = open_room(office_tree, make_user)
        minutes = services.open_minutes(room["session"], room["secretary"])
        section = services.add_section(minutes, room["secretary"], citizen_name="Lý Thị Ánh", kind="denunciation",
                                       statement="Nội dung cần bảo mật")
        services.save_section_field(section, room["secretary"], field="documents_handed_over",
                                    value=[{"title": "Thư tay của bà Ánh", "pages": 1, "condition": "bản gốc"}],
                                    base_version=0)
        minutes = services.finalize(minutes, room["secretary"])
        settings.FIELD_ENCRYPTION_KEYS = [new, old]
        call_command("rotate_field_keys", stdout=open("/dev/null", "w"))
        settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is retired
        crypto.reset_keys_cache()
        stored = CitizenSection.objects.get(pk=section.pk)
        assert stored.documents_handed_over == [{"title": "Thư tay của bà Ánh", "pages": 1, "condition": "bản gốc"}]
        assert stored.citizen_name == "Lý Thị Ánh" and services.verify(stored.minutes)
        with connection.cursor() as cursor:
            cursor.execute("SELECT documents_handed_over FROM minutes_citizensection WHERE id = %s", [section.pk])
            raw = cursor.fetchone()[0]
        assert raw.startswith("fernet:") and "Ánh" not in raw
    finally:
        settings.FIELD_ENCRYPTION_KEYS = []
        crypto.reset_keys_cache()
