"""The secretary's live minutes: prefill from the session and the room, and autosave with per-field
optimistic versions — on PostgreSQL, with two editors saving concurrently, no submitted text is lost."""

from __future__ import annotations

import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Role
from audit.models import AuditEntry
from core.events import office_group
from media.models import Recording
from minutes import services
from minutes.models import CitizenSection, Minutes, MinutesRevision, RevisionOutcome
from scheduling.services import registrations
from signaling.models import Room
from tests.room_helpers import SUMMARY, open_room


def login(user) -> APIClient:
    client = APIClient()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return client


def minutes_setup(office_tree, make_user, citizens=2):
    """An open session with its room: citizen 0 admitted in the room with a matched ID, citizen 1 marked
    attended by the host; then the secretary opens the minutes."""
    ctx = open_room(office_tree, make_user, citizens=citizens)
    session, people = ctx["session"], ctx["citizens"]
    participants = {
        f"u{ctx['host'].pk}": {"pid": f"u{ctx['host'].pk}", "user_id": ctx["host"].pk, "name": "Chủ tịch Xã",
                               "role": "host", "site": "X01001", "status": "admitted"},
        f"u{ctx['secretary'].pk}": {"pid": f"u{ctx['secretary'].pk}", "user_id": ctx["secretary"].pk,
                                    "name": "Thư ký Xã", "role": "secretary", "site": "X01001",
                                    "status": "admitted"},
        f"u{ctx['provincial'].pk}": {"pid": f"u{ctx['provincial'].pk}", "user_id": ctx["provincial"].pk,
                                     "name": "Lãnh đạo Tỉnh", "role": "leader", "site": "T01",
                                     "status": "admitted"},
        f"u{people[0].pk}": {"pid": f"u{people[0].pk}", "user_id": people[0].pk, "name": "Công Dân 0",
                             "role": "citizen", "site": "X01001", "status": "admitted", "identity": "matched"},
    }
    Room.objects.update_or_create(session=session, defaults={"state": {"session": str(session.public_id),
                                                                        "participants": participants}})
    if citizens > 1:
        registrations.mark_attended(ctx["registrations"][1], ctx["host"])
    ctx["minutes"] = services.open_minutes(session, ctx["secretary"])
    return ctx


# --- Prefill -------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_open_minutes_prefills_from_session_and_room_and_is_idempotent(office_tree, make_user):
    ctx = minutes_setup(office_tree, make_user, citizens=3)
    minutes = ctx["minutes"]
    assert minutes.state == "draft" and minutes.started_at == ctx["session"].starts_at
    assert minutes.place.startswith("Office X01001")
    assert [s["office"] for s in minutes.sites] == ["X01001", "T01"] and minutes.sites[0]["is_host"]
    roles = {p["user_id"]: p["role"] for p in minutes.participants}
    assert roles == {ctx["host"].pk: "host", ctx["secretary"].pk: "secretary", ctx["provincial"].pk: "leader"}
    # Citizens received: the admitted one (room) and the attended one; citizen 2 did not come.
    sections = list(minutes.sections.order_by("ordinal"))
    assert [s.citizen_id for s in sections] == [ctx["citizens"][0].pk, ctx["citizens"][1].pk]
    first = sections[0]
    assert first.identity_checked and first.id_document_type == "cccd"
    assert first.id_document_number == "001085000000" and first.statement == SUMMARY
    assert first.kind == "complaint" and first.people_count == 1 and not sections[1].identity_checked
    # Personal data is encrypted at rest.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_document_number, statement FROM minutes_citizensection WHERE id = %s",
                       [first.pk])
        raw_number, raw_statement = cursor.fetchone()
    assert raw_number.startswith("fernet:") and "001085000000" not in raw_number
    assert SUMMARY not in raw_statement

    # Idempotent; a citizen who arrives later gets their section on the next call.
    assert services.open_minutes(ctx["session"], ctx["secretary"]).pk == minutes.pk
    assert minutes.sections.count() == 2
    registrations.mark_attended(ctx["registrations"][2], ctx["host"])
    services.open_minutes(ctx["session"], ctx["officer"])
    assert Minutes.objects.count() == 1
    assert list(minutes.sections.order_by("ordinal").values_list("ordinal", "citizen_id")) == [
        (1, ctx["citizens"][0].pk), (2, ctx["citizens"][1].pk), (3, ctx["citizens"][2].pk)]
    assert AuditEntry.objects.filter(action="minutes.open", target_id=str(minutes.pk)).count() == 1


@pytest.mark.django_db
def test_walk_in_section_case_hook_and_editor_payload(office_tree, make_user):
    ctx = minutes_setup(office_tree, make_user, citizens=1)
    minutes, secretary = ctx["minutes"], ctx["secretary"]
    walk_in = services.add_section(minutes, secretary, citizen_name="Nguyễn Văn Đến", kind="denunciation",
                                   citizen_address="Thôn 3", id_document_type="cccd",
                                   id_document_number="001099001234", people_count=6,
                                   statement="Tố cáo cán bộ địa chính")
    assert walk_in.ordinal == 2 and walk_in.registration is None
    prefill = services.section_case_prefill(walk_in)
    assert prefill == {"registration_id": None, "kind": "denunciation", "summary": "Tố cáo cán bộ địa chính",
                       "people_count": 6, "citizen_id": None, "citizen_name": "Nguyễn Văn Đến",
                       "citizen_address": "Thôn 3", "id_document_type": "cccd",
                       "id_document_number": "001099001234", "minutes_id": minutes.pk, "section_id": walk_in.pk}
    first = minutes.sections.get(ordinal=1)
    assert services.section_case_prefill(first)["registration_id"] == ctx["registrations"][0].pk
    case_id = "6f1c1f9e-1111-4c5b-9a53-2f1f5d0e7a10"
    services.link_case(first, case_id)
    services.link_case(first, case_id)  # idempotent
    with pytest.raises(services.MinutesError) as refused:
        services.link_case(first, "0e0e0e0e-1111-4c5b-9a53-2f1f5d0e7a10")
    assert refused.value.code == "already_linked"

    Recording.objects.create(session=ctx["session"], participant=f"u{ctx['host'].pk}", user=ctx["host"],
                             role="host", file="recordings/2026/01/a.webm", started_at=ctx["session"].starts_at,
                             stopped_at=ctx["session"].starts_at, duration_seconds=12.5, size_bytes=10,
                             sha256="ab" * 32)
    body = login(secretary).get(f"/api/minutes/{minutes.pk}/").json()
    assert [s["id"] for s in body["sections"]] == [first.pk, walk_in.pk]
    assert body["sections"][0]["case_public_id"] == case_id
    assert body["recordings"][0]["duration"] == 12.5 and body["recordings"][0]["sha256"] == "ab" * 32
    assert body["participants"][0]["role_label"]
    listing = login(ctx["host"]).get(f"/api/minutes/?session={ctx['session'].public_id}").json()
    assert [m["id"] for m in listing["results"]] == [minutes.pk]
    # Staff of the connected province site see the minutes, but not a denouncer or a denunciation.
    province_officer = make_user(Role.RECEPTION_OFFICER, office_tree["province01"])
    seen = login(province_officer).get(f"/api/minutes/{minutes.pk}/").json()["sections"][1]
    assert seen["redacted"] and seen["citizen_name"] is None and seen["statement"] is None
    # Staff of an unrelated office and citizens see nothing.
    stranger = make_user(Role.SECRETARY, office_tree["commune021"])
    assert login(stranger).get(f"/api/minutes/{minutes.pk}/").status_code == 403
    assert login(ctx["citizens"][0]).get(f"/api/minutes/{minutes.pk}/").status_code == 403
    # HTTP open is idempotent too.
    response = login(ctx["officer"]).post("/api/minutes/", {"session": str(ctx["session"].public_id)},
                                          format="json")
    assert response.status_code == 200 and response.json()["id"] == minutes.pk


# --- Autosave rules ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_versions_merge_per_field_and_keep_both_texts_of_one_field(office_tree, make_user):
    ctx = minutes_setup(office_tree, make_user, citizens=1)
    minutes, secretary, officer = ctx["minutes"], ctx["secretary"], ctx["officer"]
    section = minutes.sections.get()
    a, b = login(secretary), login(officer)
    url = f"/api/minutes/{minutes.pk}/sections/{section.pk}/"

    r1 = a.patch(url, {"field": "statement", "text": "Ông A trình bày: đất bị thu hồi.", "base_version": 0},
                 format="json")
    assert r1.status_code == 200 and r1.json()["version"] == 1 and r1.json()["outcome"] == "accepted"
    # Another field changed meanwhile: still accepted (merge per field).
    r2 = b.patch(url, {"field": "leader_answer", "text": "Sẽ kiểm tra hồ sơ.", "base_version": 0}, format="json")
    assert r2.status_code == 200 and r2.json()["version"] == 1
    # The same field, from a stale base: both texts are kept, visibly marked.
    r3 = b.patch(url, {"field": "statement", "text": "Công dân nộp 2 bản photo.", "base_version": 0},
                 format="json")
    body = r3.json()
    assert r3.status_code == 200 and body["outcome"] == "merged" and body["version"] == 2
    assert "Ông A trình bày: đất bị thu hồi." in body["value"] and "Công dân nộp 2 bản photo." in body["value"]
    assert "<<<<<<< XUNG ĐỘT" in body["value"] and ">>>>>>> HẾT XUNG ĐỘT" in body["value"] and "Cán bộ Tiếp" in body["value"]
    # A normal save on the current version resolves it.
    r4 = a.patch(url, {"field": "statement", "text": "Đã thống nhất nội dung.", "base_version": 2}, format="json")
    assert r4.json()["outcome"] == "accepted" and r4.json()["version"] == 3
    # A stale save whose text already contains the current text needs no markers.
    r5 = b.patch(url, {"field": "statement", "text": "Đã thống nhất nội dung. Thêm ý.", "base_version": 2},
                 format="json")
    assert r5.json()["outcome"] == "merged" and r5.json()["value"] == "Đã thống nhất nội dung. Thêm ý."

    # Lists (documents handed over, form 02): a stale save adds its items to the current ones.
    doc1 = {"title": "Đơn khiếu nại", "pages": 3, "condition": "bản chính"}
    doc2 = {"title": "Quyết định thu hồi đất", "pages": 2, "condition": "bản photo"}
    a.patch(url, {"field": "documents_handed_over", "value": [doc1], "base_version": 0}, format="json")
    r6 = b.patch(url, {"field": "documents_handed_over", "value": [doc2], "base_version": 0}, format="json")
    assert r6.json()["outcome"] == "merged" and r6.json()["value"] == [doc1, doc2]

    # Single-valued fields cannot hold both: the stale one is refused 409 with both values, kept in history.
    a.patch(url, {"field": "people_count", "value": 5, "base_version": 0}, format="json")
    r7 = b.patch(url, {"field": "people_count", "value": 7, "base_version": 0}, format="json")
    assert r7.status_code == 409 and r7.json()["error"]["type"] == "edit_conflict"
    assert r7.json()["value"] == 5 and r7.json()["submitted"] == 7 and r7.json()["version"] == 2
    section.refresh_from_db()
    assert section.people_count == 5
    assert section.versions == {"statement": 4, "leader_answer": 1, "documents_handed_over": 2, "people_count": 2}
    conflict = MinutesRevision.objects.get(section=section, field="people_count", version=2)
    assert conflict.outcome == RevisionOutcome.CONFLICT and conflict.text == "7"

    # Header fields have their own versions.
    h = a.patch(f"/api/minutes/{minutes.pk}/", {"field": "place", "text": "Trụ sở UBND xã", "base_version": 0},
                format="json")
    assert h.status_code == 200 and h.json()["version"] == 1
    # History: every save, with who and the base it was made on; audit without text.
    history = a.get(f"/api/minutes/{minutes.pk}/revisions/").json()["results"]
    assert len(history) == 10 and MinutesRevision.objects.filter(minutes=minutes).count() == 10
    saves = AuditEntry.objects.filter(action="minutes.save")
    assert saves.count() == 10
    for entry in saves:
        assert set(entry.details) >= {"field", "version"}
        assert "trình bày" not in str(entry.details) and "photo" not in str(entry.details)
    # Citizens and staff of other offices never edit.
    assert login(ctx["citizens"][0]).patch(url, {"field": "statement", "text": "x", "base_version": 4},
                                           format="json").status_code == 403
    assert login(ctx["provincial"]).patch(url, {"field": "statement", "text": "x", "base_version": 4},
                                          format="json").status_code == 403


@pytest.mark.django_db
def test_saves_are_announced_on_commit_without_text(office_tree, make_user, django_capture_on_commit_callbacks):
    ctx = minutes_setup(office_tree, make_user, citizens=1)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(office_group(ctx["session"].host_office_id), channel)
    section = ctx["minutes"].sections.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.save_section_field(section, ctx["secretary"], field="conclusions", value="Kết luận bí mật",
                                    base_version=0)
    message = async_to_sync(layer.receive)(channel)
    event = message["event"]
    assert event["type"] == "minutes.updated"
    assert event["payload"]["field"] == "conclusions" and event["payload"]["version"] == 1
    assert "bí mật" not in str(event)


# --- Concurrency on PostgreSQL -------------------------------------------------------------------------

SAVES_PER_EDITOR = 25


def _plan(own_field: str) -> list[tuple[str, bool]]:
    """(field, stale?) per save: the shared statement, the shared header notes, and an own field; every
    third save is sent with a stale base version."""
    fields = ["statement", "notes", own_field, "statement", "statement"]
    return [(fields[i % len(fields)], i % 3 == 2) for i in range(SAVES_PER_EDITOR)]


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_autosaves_lose_no_text(office_tree, make_user):
    assert connection.vendor == "postgresql"
    ctx = minutes_setup(office_tree, make_user, citizens=1)
    minutes = ctx["minutes"]
    section = minutes.sections.get()
    start = {("section", "statement"): (0, section.statement), ("header", "notes"): (0, ""),
             ("section", "leader_answer"): (0, ""), ("section", "conclusions"): (0, "")}
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    submitted: list[tuple[tuple[str, str], str]] = []
    lock = threading.Lock()

    def save_via_services(user, target, field, text, base):
        if target == "header":
            result = services.save_header_field(minutes.pk, user, field=field, value=text, base_version=base)
        else:
            result = services.save_section_field(section.pk, user, field=field, value=text, base_version=base)
        return result.version, result.value

    def save_via_http(client, target, field, text, base):
        url = f"/api/minutes/{minutes.pk}/" + ("" if target == "header" else f"sections/{section.pk}/")
        response = client.patch(url, {"field": field, "text": text, "base_version": base}, format="json")
        assert response.status_code == 200, response.content
        return response.json()["version"], response.json()["value"]

    def editor(tag, own_field, save):
        """A browser editor: it sends the whole text it shows (what it last got back, plus a new line)."""
        try:
            known = dict(start)
            barrier.wait(timeout=30)
            for i, (field, stale) in enumerate(_plan(own_field)):
                key = ("header" if field == "notes" else "section", field)
                version, text = known[key]
                token = f"[{tag}-{i:02d}]"
                base = max(version - 1, 0) if stale else version
                known[key] = save(key[0], field, f"{text}\n{token}".lstrip("\n"), base)
                with lock:
                    submitted.append((key, token))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    http_client = login(ctx["officer"])
    threads = [
        threading.Thread(target=editor, args=("A", "leader_answer",
                                              lambda *a: save_via_services(ctx["secretary"], *a))),
        threading.Thread(target=editor, args=("B", "conclusions", lambda *a: save_via_http(http_client, *a))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(submitted) == 50

    minutes.refresh_from_db()
    section.refresh_from_db()
    final = {("header", "notes"): minutes.notes, ("section", "statement"): section.statement,
             ("section", "leader_answer"): section.leader_answer, ("section", "conclusions"): section.conclusions}
    # No submitted text is lost: every line any editor typed is in the stored value of its field.
    for key, token in submitted:
        assert token in final[key], (key, token)
    assert SUMMARY in section.statement  # nor the prefilled text
    # The history holds all 50 saves, and versions grow strictly (1, 2, 3, …) per field.
    revisions = list(MinutesRevision.objects.filter(minutes=minutes).order_by("pk"))
    assert len(revisions) == 50
    for key in final:
        field = key[1]
        versions = [r.version for r in revisions if r.field == field]
        assert versions == list(range(1, len(versions) + 1)), (field, versions)
        assert (minutes.versions if key[0] == "header" else section.versions)[field] == len(versions)
        texts = " ".join(r.text for r in revisions if r.field == field)
        assert all(token in texts for k, token in submitted if k == key)
    by_field = {f: sum(1 for r in revisions if r.field == f) for f in ("statement", "notes")}
    assert by_field["statement"] == 30 and by_field["notes"] == 10
    assert any(r.outcome == RevisionOutcome.MERGED for r in revisions)
    assert {r.by_id for r in revisions} == {ctx["secretary"].pk, ctx["officer"].pk}
    assert AuditEntry.objects.filter(action="minutes.save").count() == 50

    # Locked minutes refuse every save, from either path.
    services.finalize(minutes, ctx["host"])
    with pytest.raises(services.MinutesStateError) as locked:
        services.save_section_field(section.pk, ctx["secretary"], field="statement", value="muộn",
                                    base_version=section.versions["statement"])
    assert locked.value.code == "minutes_locked"
    response = http_client.patch(f"/api/minutes/{minutes.pk}/", {"field": "notes", "text": "muộn",
                                                                 "base_version": minutes.versions["notes"]},
                                 format="json")
    assert response.status_code == 409 and response.json()["error"]["type"] == "minutes_locked"
    assert MinutesRevision.objects.filter(minutes=minutes).count() == 50
    assert CitizenSection.objects.get(pk=section.pk).statement == section.statement
