"""Protecting denouncers, end to end (issue 6; shared/DOMAIN.md "Protecting denouncers").

A denouncer with a distinctive name, ID number and address registers a denunciation, is received in a live
session, the secretary writes their section, turns it into a case, the head assigns a handler, the minutes
are locked, the daily deadline task runs past every deadline. Then every output the platform has is
produced — each export (minutes PDF/DOCX, notice of conclusions PDF/DOCX, receipt, reception log XLSX/PDF),
the public pages and public API, the staff API listings, the notifications and SMS, the real-time events,
the audit trail's details and the captured logs — and none contains the name, the ID number, the address or
the content. The handler and the head see the identity, and the read is in the audit trail; an officer of
the same office without the assignment, an inspector above and a leader of a connected site do not.
"""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.utils import timezone
from docx import Document
from pypdf import PdfReader
from rest_framework.test import APIClient

from accounts.models import Role
from audit.models import AuditEntry
from cases.models import Case
from core.events import office_group
from minutes.models import CitizenSection
from notifications.models import Notification
from scheduling.services import registrations
from tests.cases_helpers import login as client_for
from tests.room_helpers import open_room

NAME = "Hoàng Thị Xuyến Tốcáo"
ID_NUMBER = "079123456789"
ADDRESS = "Số 13 hẻm Kín Đáo, ấp Vắng Vẻ"
CONTENT = "Chủ tịch xã nhận tiền NỘI-DUNG-MẬT-4711 khi cấp phép xây dựng"
SECRETS = (NAME, ID_NUMBER, ADDRESS, CONTENT, "NỘI-DUNG-MẬT-4711", "Xuyến Tốcáo")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def content_of(response) -> str:
    """The text of a response whatever its type (extracted from PDF, DOCX and XLSX files)."""
    data = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if kind.startswith("application/pdf"):
        return pdf_text(data)
    if "wordprocessingml" in kind:
        return docx_text(data)
    if "spreadsheetml" in kind:
        return xlsx_text(data)
    return data.decode("utf-8", "replace")


def assert_secret_free(label: str, text: str) -> None:
    leaked = [s for s in SECRETS if s.lower() in text.lower()]
    assert not leaked, f"{label} leaks {leaked}"


@pytest.mark.django_db(transaction=True)
def test_no_output_of_the_platform_reveals_a_denouncer(office_tree, make_user, settings, caplog, sms_outbox):
    caplog.set_level(logging.DEBUG)
    room = open_room(office_tree, make_user)
    session, leader, officer, secretary = room["session"], room["host"], room["officer"], room["secretary"]
    commune, province = office_tree["commune011"], office_tree["province01"]
    officer2 = make_user(Role.RECEPTION_OFFICER, commune, full_name="Cán bộ Không Giao")
    inspector = make_user(Role.INSPECTOR, province, full_name="Thanh tra Tỉnh")
    central_inspector = make_user(Role.INSPECTOR, office_tree["central"], full_name="Thanh tra Trung ương")
    site_leader = room["provincial"]  # a leader at a connected site of the session

    # Real-time events: listen on the office groups of the commune and the province.
    layer = get_channel_layer()
    listener = async_to_sync(layer.new_channel)()
    for office in (commune, province, office_tree["central"]):
        async_to_sync(layer.group_add)(office_group(office.pk), listener)

    # The denouncer registers a denunciation for a slot of the session (their own account).
    denouncer = make_user(full_name=NAME, phone="0912345678")
    slot = session.slots.first()
    slot.capacity = 5
    slot.save()
    registration = registrations.register(citizen=denouncer, slot_id=slot.pk, matter_kind="denunciation",
                                          matter_summary=CONTENT)

    # The secretary writes the section live (a walk-in entry for the denouncer), then turns it into a case.
    secretary_api = client_for(secretary)
    minutes = secretary_api.post("/api/minutes/", {"session": str(session.public_id)}, format="json").json()
    section = secretary_api.post(f"/api/minutes/{minutes['id']}/sections/", {
        "citizen_name": NAME, "kind": "denunciation", "citizen_address": ADDRESS, "id_document_type": "cccd",
        "id_document_number": ID_NUMBER, "statement": CONTENT}, format="json")
    assert section.status_code == 201, section.content
    sid = section.json()["id"]
    for field, value in (("documents_handed_over", [{"title": f"Đơn tố cáo của {NAME}", "pages": 2,
                                                     "condition": "bản gốc"}]),
                         ("leader_answer", f"Tiếp nhận tố cáo: {CONTENT}"), ("conclusions", f"Chuyển xác minh {CONTENT}")):
        response = secretary_api.patch(f"/api/minutes/{minutes['id']}/sections/{sid}/",
                                       {"field": field, "value": value, "base_version": 0}, format="json")
        assert response.status_code == 200, response.content
    created = secretary_api.post(f"/api/minutes/{minutes['id']}/sections/{sid}/case/")
    assert created.status_code == 201, created.content
    case = Case.objects.get(public_id=created.json()["case"])
    assert case.kind == "denunciation" and case.session_id == session.pk

    # The head assigns the handler; the minutes are locked.
    response = client_for(leader).post(f"/api/cases/{case.public_id}/assign/", {"handler": officer.pk}, format="json")
    assert response.status_code == 200, response.content
    response = secretary_api.post(f"/api/minutes/{minutes['id']}/finalize/")
    assert response.status_code == 200, response.content

    # The daily task runs long after every deadline: warnings, alerts, escalation to the tier above.
    from cases.tasks import check_case_deadlines
    check_case_deadlines(today=(timezone.localdate() + timedelta(days=120)).isoformat())
    assert Notification.objects.filter(case=case).exists()

    # At rest: the identity and the content are ciphertext in every table that holds them.
    with connection.cursor() as cursor:
        for table in ("cases_case", "cases_caseparty", "minutes_citizensection", "minutes_minutesrevision",
                      "scheduling_registration"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            raw = str(cursor.fetchall())
            for secret in (NAME, ID_NUMBER, ADDRESS):
                assert secret not in raw, f"{table} stores {secret!r} in clear"
            if table != "scheduling_registration":  # a registration's summary is protected by access rules
                assert "NỘI-DUNG-MẬT-4711" not in raw, f"{table} stores the content in clear"

    outputs: dict[str, str] = {}

    def take(label, client, url):
        response = client.get(url)
        assert response.status_code == 200, (label, response.status_code, response.content[:300])
        outputs[label] = content_of(response)

    # Every export, produced by the head of the office (who may see everything: exports never carry it).
    head = client_for(leader)
    mid, today = minutes["id"], timezone.localdate()
    take("minutes.pdf", head, f"/api/documents/minutes/{mid}.pdf")
    take("minutes.docx", head, f"/api/documents/minutes/{mid}.docx")
    take("notice.pdf", head, f"/api/documents/minutes/{mid}/sections/{sid}/notice.pdf")
    take("notice.docx", head, f"/api/documents/minutes/{mid}/sections/{sid}/notice.docx")
    take("receipt.pdf", head, f"/api/documents/minutes/{mid}/sections/{sid}/receipt.pdf")
    period = f"office={commune.code}&from={today - timedelta(days=1)}&to={today + timedelta(days=60)}"
    take("log.xlsx", head, f"/api/documents/reception-log.xlsx?{period}")
    take("log.pdf", head, f"/api/documents/reception-log.pdf?{period}")
    assert "Tố cáo" in outputs["log.pdf"] and "[Được giữ bí mật]" in outputs["log.pdf"]  # the row is there, redacted

    # Public pages and the public API (anyone).
    anonymous = APIClient()
    for label, url in (("home", "/"), ("schedule", "/lich-tiep/"), ("session page", f"/lich-tiep/{session.public_id}/"),
                       ("office page", f"/co-quan/{commune.code}/"), ("public api", "/api/public/sessions"),
                       ("public api detail", f"/api/public/sessions/{session.public_id}"),
                       ("ical", f"/ical/offices/{commune.code}.ics")):
        take(label, anonymous, url)

    # Staff API listings and views of everyone but the handler and the head.
    for who, user in (("officer2", officer2), ("inspector", inspector), ("central", central_inspector),
                      ("site leader", site_leader), ("secretary", secretary), ("handler", officer), ("head", leader)):
        client = client_for(user)
        take(f"cases list ({who})", client, "/api/cases/")
        take(f"registrations ({who})", client, f"/api/sessions/{session.public_id}/registrations")
        take(f"minutes list ({who})", client, f"/api/minutes/?session={session.public_id}")
    for who, user in (("officer2", officer2), ("inspector", inspector), ("site leader", site_leader),
                      ("secretary", secretary)):
        client = client_for(user)
        take(f"minutes ({who})", client, f"/api/minutes/{mid}/")
        response = client.get(f"/api/cases/{case.public_id}/")
        if response.status_code == 200:
            outputs[f"case ({who})"] = content_of(response)
        else:
            assert response.status_code in (403, 404)
        if who != "site leader":
            take(f"workspace ({who})", client, "/lam-viec/lich/")

    # Notifications (in-app and SMS), events on the channel layer, the audit trail, the logs.
    outputs["notifications"] = str(list(Notification.objects.values_list("title", "body")))
    outputs["sms"] = str(list(sms_outbox))
    events = []
    while True:
        try:
            events.append(async_to_sync(_receive_now)(layer, listener))
        except TimeoutError:
            break
    assert events, "no real-time events were captured"
    outputs["events"] = str(events)
    outputs["audit details"] = str(list(AuditEntry.objects.values_list("action", "details")))
    outputs["logs"] = "\n".join(record.getMessage() for record in caplog.records)

    for label, text in outputs.items():
        assert_secret_free(label, text)

    # The handler and the head see the identity, and each read is in the audit trail.
    for user in (officer, leader):
        detail = client_for(user).get(f"/api/cases/{case.public_id}/")
        assert detail.status_code == 200 and NAME in detail.content.decode() and ID_NUMBER in detail.content.decode()
        assert AuditEntry.objects.filter(action="cases.read_identity", actor=user, target_id=str(case.pk)).exists()
    # ... and the head sees the locked section in the minutes (audited); the unassigned officer does not.
    assert NAME in client_for(leader).get(f"/api/minutes/{mid}/").content.decode()
    assert AuditEntry.objects.filter(action="minutes.read_identity", actor=leader).exists()
    assert not AuditEntry.objects.filter(action__endswith="read_identity", actor=officer2).exists()
    assert CitizenSection.objects.get(pk=sid).case_public_id == case.public_id
    assert registration.matter_kind == "denunciation"


async def _receive_now(layer, channel):
    import asyncio

    return await asyncio.wait_for(layer.receive(channel), 0.5)  # TimeoutError when nothing is left
