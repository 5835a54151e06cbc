"""Issue 13: denouncer secrecy by construction — the attacks of the probe, replayed.

A citizen with a unique name, CCCD, phone and address is received; the secretary records a PETITION; the
case opened from it is later classified a DENUNCIATION. Then every role of the office, the tier above, a
connected site, the superuser and the anonymous public try every API, page, export (text extracted from
PDF/DOCX/XLSX), admin page, revision, paper scan and log line: the markers appear only for the entitled
(the head of the office and the handler the head assigned). Ordinary writes (self-assignment,
reclassification, split, transfer) do not unmask the denouncer.
"""

from __future__ import annotations

import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from accounts.models import Role, User
from accounts.services import set_identity_document
from audit.models import AuditEntry
from cases.models import Case
from minutes.models import CitizenSection
from scheduling.services import registrations
from tests.cases_helpers import login as client_for
from tests.room_helpers import open_room
from tests.test_secrecy_e2e import content_of

NAME = "ZYXWVU SECRETNAME"
ID_NUMBER = "079777888999"
PHONE = "0911222333"
ADDRESS = "Số 99 ngõ Markerstreet"
CONTENT = "NOIDUNGMAT-8642 chủ tịch nhận tiền"
NOTE = "GHICHUMAT-1357 theo lời ZYXWVU SECRETNAME"
MARKERS = ("SECRETNAME", ID_NUMBER, "Markerstreet", "NOIDUNGMAT-8642", "GHICHUMAT-1357", "911222333")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def leaks(text: str) -> list[str]:
    return [m for m in MARKERS if m.lower() in text.lower()]


@pytest.fixture
def world(office_tree, make_user):
    room = open_room(office_tree, make_user)
    commune, province = office_tree["commune011"], office_tree["province01"]
    people = {
        "head": room["host"], "officer": room["officer"], "secretary": room["secretary"],
        "officer2": make_user(Role.RECEPTION_OFFICER, commune, full_name="Cán bộ Hai"),
        "inspector": make_user(Role.INSPECTOR, commune, full_name="Thanh tra Xã"),
        "office_admin": make_user(Role.OFFICE_ADMIN, commune, full_name="Quản trị Xã"),
        "province_leader": room["provincial"],  # also the leader of the connected site
        "province_inspector": make_user(Role.INSPECTOR, province, full_name="Thanh tra Tỉnh"),
        "province_admin": make_user(Role.OFFICE_ADMIN, province, full_name="Quản trị Tỉnh"),
        "site_officer": make_user(Role.RECEPTION_OFFICER, province, full_name="Cán bộ Điểm cầu"),
        "root": User.objects.create_superuser("root", "Root-pass-12345", full_name="Siêu Quản Trị"),
    }
    citizen = make_user(full_name=NAME, phone="+84911222333")
    set_identity_document(citizen, "cccd", ID_NUMBER, ADDRESS)
    session = room["session"]
    slot = session.slots.first()
    slot.capacity = 5
    slot.save()
    registration = registrations.register(citizen=citizen, slot_id=slot.pk, matter_kind="petition",
                                          matter_summary=CONTENT)
    return {"room": room, "session": session, "people": people, "citizen": citizen, "registration": registration,
            "office_tree": office_tree}


def _received_and_classified(world):
    """The secretary records a petition section, opens a case from it; the case is classified a
    denunciation; the head assigns the officer as handler; the minutes get notes and are locked."""
    p, session = world["people"], world["session"]
    secretary = client_for(p["secretary"])
    minutes = secretary.post("/api/minutes/", {"session": str(session.public_id)}, format="json").json()
    mid = minutes["id"]
    section = CitizenSection.objects.filter(minutes_id=mid, registration=world["registration"]).first()
    if section is None:
        response = secretary.post(f"/api/minutes/{mid}/sections/", {
            "registration": str(world["registration"].public_id), "citizen_name": NAME}, format="json")
        assert response.status_code == 201, response.content
        section = CitizenSection.objects.get(pk=response.json()["id"])
    for field, value in (("citizen_address", ADDRESS), ("id_document_number", ID_NUMBER),
                         ("statement", CONTENT), ("id_document_type", "cccd")):
        response = secretary.patch(f"/api/minutes/{mid}/sections/{section.pk}/",
                                   {"field": field, "value": value, "base_version": 0}, format="json")
        assert response.status_code == 200, response.content
    response = secretary.patch(f"/api/minutes/{mid}/", {"field": "notes", "text": NOTE, "base_version": 0},
                               format="json")
    assert response.status_code == 200, response.content
    created = secretary.post(f"/api/minutes/{mid}/sections/{section.pk}/case/")
    assert created.status_code == 201, created.content
    case = Case.objects.get(public_id=created.json()["case"])
    assert case.kind == "petition" and not case.is_secret
    # The officer classifies it as a denunciation, with a history note naming the denouncer.
    officer = client_for(p["officer"])
    response = officer.post(f"/api/cases/{case.public_id}/transition/",
                            {"action": "classify", "kind": "denunciation", "note": NOTE}, format="json")
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    section.refresh_from_db()
    assert case.denouncer_secret and section.denouncer_secret
    world["registration"].refresh_from_db()
    assert world["registration"].denouncer_secret
    # Leak 1: assigning a handler of a denunciation is the head's act only.
    for who in ("officer", "officer2", "root", "province_leader"):
        response = client_for(p[who]).post(f"/api/cases/{case.public_id}/assign/", {"handler": p[who].pk},
                                           format="json")
        assert response.status_code in (403, 404), (who, response.status_code)
    response = client_for(p["head"]).post(f"/api/cases/{case.public_id}/assign/", {"handler": p["officer"].pk},
                                          format="json")
    assert response.status_code == 200, response.content
    response = secretary.post(f"/api/minutes/{mid}/finalize/")
    assert response.status_code == 200, response.content
    response = secretary.post(f"/api/minutes/{mid}/addenda/", {"text": f"Bổ sung: {NOTE}"}, format="json")
    assert response.status_code == 201, response.content
    scan = secretary.post(f"/api/minutes/{mid}/paper-scan/",
                          {"file": SimpleUploadedFile("bien-ban.pdf", PDF, content_type="application/pdf")},
                          format="multipart")
    assert scan.status_code == 201, scan.content
    return case, mid, section


UNENTITLED = ("officer2", "secretary", "inspector", "office_admin", "province_leader", "province_inspector",
              "province_admin", "site_officer", "root")
ENTITLED = ("head", "officer")  # the head, and the handler the head assigned


@pytest.mark.django_db
def test_every_role_every_output_after_a_petition_becomes_a_denunciation(world, caplog):
    caplog.set_level(logging.DEBUG)
    case, mid, section = _received_and_classified(world)
    p, session = world["people"], world["session"]
    sid = section.pk
    urls = [
        f"/api/cases/{case.public_id}/", "/api/cases/", f"/api/minutes/{mid}/",
        f"/api/minutes/{mid}/sections/{sid}/", f"/api/minutes/{mid}/revisions/",
        f"/api/minutes/?session={session.public_id}", f"/api/sessions/{session.public_id}/registrations",
        f"/api/documents/minutes/{mid}.pdf", f"/api/documents/minutes/{mid}.docx",
        f"/api/documents/minutes/{mid}/sections/{sid}/notice.pdf",
        f"/api/documents/minutes/{mid}/sections/{sid}/notice.docx",
        f"/api/documents/minutes/{mid}/sections/{sid}/receipt.pdf",
        f"/api/cases/{case.public_id}/redacted-copy/",
        f"/lam-viec/vu-viec/{case.public_id}/", f"/lam-viec/phien/{session.public_id}/bien-ban/",
        f"/lam-viec/phien/{session.public_id}/ban-thu-ky/", "/lam-viec/vu-viec/", "/lam-viec/lich/",
    ]
    office = world["office_tree"]["commune011"].code
    urls += [f"/api/documents/reception-log.{fmt}?office={office}&from=2020-01-01&to=2035-12-31"
             for fmt in ("xlsx", "pdf")]
    seen: dict[str, list[str]] = {}
    for who in UNENTITLED + ENTITLED:
        client = client_for(p[who])
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, (who, url, response.status_code)
            if response.status_code == 200:
                found = leaks(content_of(response))
                if found:
                    seen.setdefault(who, []).append(f"{url}: {found}")
    for who in UNENTITLED:
        assert who not in seen, f"{who} sees the denouncer: {seen.get(who)}"
    # The entitled do see it: the head and the handler on the case file, the head in the minutes (audited).
    for who in ENTITLED:
        detail = client_for(p[who]).get(f"/api/cases/{case.public_id}/").content.decode()
        assert NAME in detail and "GHICHUMAT-1357" in detail
    head_minutes = client_for(p["head"]).get(f"/api/minutes/{mid}/").content.decode()
    assert NAME in head_minutes and "GHICHUMAT-1357" in head_minutes
    assert AuditEntry.objects.filter(action="minutes.read_identity", actor=p["head"]).exists()
    # Revisions: unaudited reads are gone; the secretary after locking gets redactions.
    revisions = client_for(p["secretary"]).get(f"/api/minutes/{mid}/revisions/").json()["results"]
    assert revisions and all(r["redacted"] for r in revisions if r["section"] == sid or r["field"] == "notes")
    assert AuditEntry.objects.filter(action="minutes.read_revisions", actor=p["secretary"]).exists()
    # The paper scan: only the entitled, audited; stored encrypted.
    assert client_for(p["secretary"]).get(f"/api/minutes/{mid}/paper-scan/").status_code == 403
    assert client_for(p["head"]).get(f"/api/minutes/{mid}/paper-scan/").content == PDF
    assert AuditEntry.objects.filter(action="minutes.read_paper_scan", actor=p["head"]).count() == 1
    # The public: nothing at all.
    anonymous = Client()
    for url in urls + ["/", "/lich-tiep/", f"/lich-tiep/{session.public_id}/", "/api/public/sessions"]:
        response = anonymous.get(url)
        assert response.status_code < 500 and not leaks(content_of(response)), url
    # Django admin, as the superuser: the case's party inline and the audit admin name no denouncer.
    admin = Client()
    admin.force_login(p["root"], backend="accounts.backends.PhoneOrEmailBackend")
    client_for(world["citizen"]).post(f"/api/minutes/{mid}/sections/{sid}/confirm/")
    assert AuditEntry.objects.filter(action="minutes.citizen_confirm").exists()
    for url in (f"/admin/cases/case/{case.pk}/change/", "/admin/audit/auditentry/",
                f"/admin/audit/auditentry/{AuditEntry.objects.get(action='minutes.citizen_confirm').pk}/change/",
                "/admin/scheduling/registration/", f"/admin/scheduling/registration/{world['registration'].pk}/change/"):
        response = admin.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert not leaks(response.content.decode()), (url, leaks(response.content.decode()))
    # Logs: no marker, no phone number, no token.
    log = "\n".join(record.getMessage() for record in caplog.records)
    assert not leaks(log)
    # At rest: the notes, the history note, the registration's summary and the address are ciphertext.
    with connection.cursor() as cursor:
        for table in ("minutes_minutes", "cases_casetransition", "scheduling_registration", "accounts_citizenprofile",
                      "minutes_minutesaddendum", "minutes_minutesrevision", "audit_auditentry"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            raw = str(cursor.fetchall())
            assert not [m for m in ("GHICHUMAT-1357", "NOIDUNGMAT-8642", "Markerstreet", "SECRETNAME")
                        if m in raw], table


@pytest.mark.django_db
def test_reclassification_split_transfer_and_link_keep_the_secret(world):
    case, _mid, _section = _received_and_classified(world)
    p = world["people"]
    officer = client_for(p["officer"])  # the handler: may write, may see
    # Reclassify back to a complaint... (accept first is not needed: a split happens before acceptance)
    parts = {"parts": [{"kind": "complaint", "summary": CONTENT, "field": "other"},
                       {"kind": "petition", "summary": f"Kiến nghị {CONTENT}", "field": "other"}]}
    response = officer.post(f"/api/cases/{case.public_id}/split/", parts, format="json")
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.kind == "complaint" and case.is_secret
    sibling = Case.objects.get(split_from=case)
    assert sibling.is_secret
    target = world["office_tree"]["commune012"]
    response = officer.post(f"/api/cases/{case.public_id}/transfer/",
                            {"target_office": target.code, "document_number": "12/CV"}, format="json")
    assert response.status_code == 200, response.content
    received = Case.objects.get(transferred_from=case)
    assert received.is_secret
    for who in UNENTITLED:
        for c in (case, sibling):
            response = client_for(p[who]).get(f"/api/cases/{c.public_id}/")
            if response.status_code == 200:
                assert not leaks(response.content.decode()), (who, c.number)
    # The receiving office: its officer does not see the identity; the assign there is its head's act.
    other_officer = world["people"]["officer2"].__class__.objects.create(username="xo", full_name="Cán bộ xã khác")
    from accounts.services import grant_role

    grant_role(None, other_officer, target, Role.RECEPTION_OFFICER)
    response = client_for(other_officer).get(f"/api/cases/{received.public_id}/")
    assert response.status_code == 200 and not leaks(response.content.decode())
    assert client_for(other_officer).post(f"/api/cases/{received.public_id}/assign/",
                                          {"handler": other_officer.pk}, format="json").status_code == 403


@pytest.mark.django_db
def test_redacted_copy_only_by_the_handler_and_scrubs_every_spelling(world):
    case, _mid, _section = _received_and_classified(world)
    p = world["people"]
    case.summary = f"Ông zyxwvu  secretname, đt 0911.222.333 (+84 911 222 333), CCCD 079 777 888 999. {CONTENT}"
    case.save(update_fields=["summary"])
    for who in ("head", "officer2", "secretary", "root"):
        assert client_for(p[who]).get(f"/api/cases/{case.public_id}/redacted-copy/").status_code == 403, who
    response = client_for(p["officer"]).get(f"/api/cases/{case.public_id}/redacted-copy/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "NOIDUNGMAT-8642" in text  # the content stays for the verifiers
    assert not [m for m in ("secretname", "0911", "911 222", "079 777") if m in text.lower()], text


def test_scrub_variants_unit():
    from core.text import scrub_variants

    out = scrub_variants("ZYXWVU SECRETNAME, đt 0911.222.333; Zyxwvu-Secretname; +84 911 222 333; Số 99 NGÕ MARKERSTREET",
                         ["zyxwvu secretname", "0911222333", "số 99 ngõ markerstreet"], "[X]")
    assert "secretname" not in out.lower() and "911" not in out and "markerstreet" not in out.lower(), out


def test_logs_never_carry_tokens_or_phones():
    from core.logsafety import RedactingAccessLogGenerator, redact

    line = redact("GET /ws/sessions/abc/?token=eyJhbGciOi.sig:xyz&x=1 sms to +84911222333 link "
                  "https://a.vn/tham-gia/AbC123:sig/ phone 0911 222 333")
    assert "eyJhbGciOi" not in line and "AbC123" not in line and "911222333" not in line and "911 222" not in line
    stream = io.StringIO()
    from datetime import datetime

    RedactingAccessLogGenerator(stream).write_entry("1.2.3.4", datetime.now(), "GET /api/ice?token=SECRET123", 200, 5)
    assert "SECRET123" not in stream.getvalue() and "token=[redacted]" in stream.getvalue()


def test_console_sms_logs_no_phone_and_no_token(settings, caplog, tmp_path):
    from notifications.sms import ConsoleSMSBackend, SMSMessage

    settings.DEBUG = False
    caplog.set_level(logging.INFO)
    ConsoleSMSBackend().send(SMSMessage(to="+84911222333", sender="TCD",
                                        body="Vào phòng: https://x.vn/tham-gia/TOKENABC:sig/ mã 123456 ?token=TOK2"))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "911222333" not in text and "TOKENABC" not in text and "TOK2" not in text


@pytest.mark.django_db
def test_recordings_are_sealed_and_played_only_by_the_entitled(world, tmp_path):
    import time as _time

    from django.utils import timezone

    from media import recorder
    from media.models import Recording

    _case, mid, _section = _received_and_classified(world)
    p, session = world["people"], world["session"]
    webm = tmp_path / "segment.webm"
    body = b"\x1aE\xdf\xa3 WEBM of ZYXWVU SECRETNAME " * 1000
    webm.write_bytes(body)
    segment = recorder.Segment("u1", str(webm), None, timezone.now(), _time.monotonic())
    recorder.save(segment, session.pk, {"participants": {"u1": {"user_id": world["citizen"].pk, "role": "citizen"}}})
    recording = Recording.objects.get(session=session)
    with recording.file.open("rb") as stored:
        raw = stored.read()
    assert b"SECRETNAME" not in raw and raw.startswith(b"fernet-chunks:")
    assert "session" not in recording.file.name and recording.size_bytes == len(body)
    url = f"/api/minutes/{mid}/recordings/{recording.pk}/"
    for who in UNENTITLED:
        response = client_for(p[who]).get(url)
        assert response.status_code in (403, 404), (who, response.status_code)
    for who in ENTITLED:  # the head, and the handler of the denunciation received in the session
        response = client_for(p[who]).get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == body
        assert AuditEntry.objects.filter(action="media.read_recording", actor=p[who]).count() == 1
    assert Client().get(url).status_code in (401, 403)


@pytest.mark.django_db
def test_a_file_uploaded_before_the_case_became_a_denunciation_is_sealed(office_tree, make_user):
    from cases import services
    from cases.models import CaseDocument
    from tests.cases_helpers import CITIZEN, make_case

    leader = make_user(Role.LEADER, office_tree["commune011"])
    officer = make_user(Role.RECEPTION_OFFICER, office_tree["commune011"])
    case = make_case(office_tree["commune011"], kind="complaint", parties=[dict(CITIZEN)])
    document = services.add_document(case, officer, content=PDF + b"SECRETNAME", name="don.pdf",
                                     content_type="application/pdf")
    assert not document.encrypted
    services.classify(case, officer, kind="denunciation")
    document = CaseDocument.objects.get(pk=document.pk)
    with document.file.open("rb") as handle:
        assert document.encrypted and b"SECRETNAME" not in handle.read()
    assert services.read_document(document, leader) == PDF + b"SECRETNAME"
    with pytest.raises(Exception):  # noqa: B017 - a typed refusal (DomainError)
        services.read_document(document, officer)
