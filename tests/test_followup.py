"""Issue 16 (items 2, 4, 5, 6): letters from every source, assignment plans and the overdue alert, transfer
with a reporting deadline, transfer outside the platform and its letter, dialogue, minutes section → case,
execution follow-up, destruction of filed petitions — with permissions per role and tier."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from docx import Document

from accounts.models import Role
from audit.models import AuditEntry
from cases import services as case_services
from cases.models import Case, CaseDocument
from core.errors import DomainError
from followup import services
from followup.models import DialogueLink, ExecutionRecord, TaskState
from followup.tasks import check_followups
from notifications.models import Notification
from tests.cases_helpers import CITIZEN, DENOUNCER, login, make_case, staff

PDF = b"%PDF-1.4\n% scan of the letter\n"
pytestmark = pytest.mark.django_db


@pytest.fixture
def people(office_tree, make_user):
    return staff(office_tree, make_user)


def _letter(office, by, source="press", kind="complaint", **extra):
    values = dict(by=by, office=office, source=source, kind=kind, summary="Khiếu nại việc cấp phép xây dựng.",
                  parties=[dict(CITIZEN)], sender_body="Báo Nhân Dân" if source != "post" else "",
                  their_number="123/BND", their_date=timezone.localdate() - timedelta(days=2),
                  scan={"content": PDF, "name": "don.pdf", "content_type": "application/pdf"})
    values.update(extra)
    return services.register_letter(**values)


def test_letter_from_the_press_enters_the_workflow_with_its_scan(office_tree, people):
    case = _letter(office_tree["commune011"], people["officer"])
    assert case.state == "received" and case.letter.source == "press" and case.letter.their_number == "123/BND"
    document = case.documents.get()
    assert not document.encrypted and case_services.read_document(document, people["officer"]) == PDF
    assert AuditEntry.objects.filter(action="followup.register_letter").exists()
    secret = _letter(office_tree["commune011"], people["leader"], kind="denunciation", parties=[dict(DENOUNCER)])
    stored = secret.documents.get()
    assert stored.encrypted and PDF not in stored.file.open("rb").read()


@pytest.mark.parametrize("bad, field", [
    ({"source": "nowhere"}, "source"),
    ({"sender_body": ""}, "sender_body"),
    ({"scan": {"content": b"MZ not a pdf", "name": "x.pdf", "content_type": "application/pdf"}}, "scan"),
    ({"received_on": date(2999, 1, 1)}, "received_on"),
])
def test_letter_refusals_are_typed(office_tree, people, bad, field):
    with pytest.raises(services.FollowupError) as info:
        _letter(office_tree["commune011"], people["officer"], **bad)
    assert info.value.field == field
    assert not Case.objects.exists() and not CaseDocument.objects.exists()


def test_letter_permissions_per_role_and_tier(office_tree, people):
    for who in ("province_inspector", "other_officer"):
        with pytest.raises(services.FollowupError) as info:
            _letter(office_tree["commune011"], people[who])
        assert info.value.code == "forbidden"
    assert _letter(office_tree["commune011"], people["secretary"]).office == office_tree["commune011"]


def test_transfer_outside_the_platform_makes_the_letter(office_tree, people):
    case = _letter(office_tree["commune011"], people["officer"])
    case_services.classify(case, people["officer"])
    services.transfer_outside(case, people["officer"], body="Tòa án nhân dân khu vực 1", document_number="45/CV")
    case.refresh_from_db()
    assert case.state == "transferred" and case.transfer_to_body == "Tòa án nhân dân khu vực 1"
    assert Case.objects.count() == 1  # no case opens anywhere
    client = login(people["officer"])
    response = client.get(f"/lam-viec/vu-viec/{case.public_id}/phieu-chuyen-don.docx")
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "Tòa án nhân dân khu vực 1" in text and "45/CV" in "".join(
        c.text for t in Document(io.BytesIO(response.content)).tables for row in t.rows for c in row.cells)
    assert "Báo Nhân Dân" in text
    pdf = client.get(f"/lam-viec/vu-viec/{case.public_id}/phieu-chuyen-don.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert login(people["province_inspector"]).get(
        f"/lam-viec/vu-viec/{case.public_id}/phieu-chuyen-don.pdf").status_code == 403


def test_a_denunciation_transfer_letter_never_names_the_denouncer(office_tree, people):
    case = make_case(office_tree["commune011"], by=people["leader"], kind="denunciation")
    case_services.classify(case, people["leader"])
    services.transfer_outside(case, people["leader"], body="Cơ quan điều tra", document_number="9/CV")
    response = login(people["leader"]).get(f"/lam-viec/vu-viec/{case.public_id}/phieu-chuyen-don.docx")
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert DENOUNCER["full_name"] not in text and "NOI-DUNG-TO-CAO" not in text and "bí mật" in text


def test_plan_overdue_alert_is_idempotent_and_marks_the_case(office_tree, people):
    today = timezone.localdate()
    case = make_case(office_tree["commune011"], by=people["officer"])
    task = services.add_task(case, people["leader"], content="Xác minh hiện trạng thửa đất", deadline=today,
                             expected_result="Biên bản xác minh", responsible_user=people["officer"])
    later = today + timedelta(days=1)
    first = check_followups(later.isoformat())
    again = check_followups(later.isoformat())
    assert first["tasks"] >= 2 and again["tasks"] == 0
    overdue = Notification.objects.filter(kind="task.overdue")
    assert {n.recipient for n in overdue} == {people["officer"], people["leader"]}
    assert overdue.count() == 2 and "Xác minh" not in overdue.first().body
    assert AuditEntry.objects.filter(action="followup.task_overdue").count() == 1
    assert services.plan_state(case, later)["overdue"] == 1
    services.report_task(task, people["officer"], text="Đã xác minh xong", outcome=TaskState.DONE)
    assert services.plan_state(case, later) | {"next_deadline": None} == {
        "total": 1, "open": 0, "done": 1, "not_done": 0, "overdue": 0, "next_deadline": None}
    assert check_followups(later.isoformat())["tasks"] == 0


def test_plan_permissions(office_tree, people):
    today = timezone.localdate()
    case = make_case(office_tree["commune011"], by=people["officer"])
    for who in ("secretary", "province_inspector", "other_officer", "province_leader"):
        with pytest.raises(services.FollowupError) as info:
            services.add_task(case, people[who], content="x", deadline=today, responsible_user=people["officer"])
        assert info.value.code == "forbidden"
    task = services.add_task(case, people["officer"], content="Báo cáo", deadline=today,
                             responsible_office=office_tree["commune012"])
    services.report_task(task, people["other_officer"], text="Đang làm")  # the responsible office reports
    with pytest.raises(services.FollowupError):
        services.report_task(task, people["province_inspector"], text="x")
    # The inspector above sees the plan's state; the office below's officer sees only via his task.
    assert login(people["province_inspector"]).get(f"/lam-viec/vu-viec/{case.public_id}/theo-doi/").status_code == 200
    services.add_task(case, people["officer"], content="Việc nội bộ của xã", deadline=today,
                      responsible_user=people["officer"])
    page = login(people["other_officer"]).get(f"/lam-viec/vu-viec/{case.public_id}/theo-doi/")
    assert page.status_code == 200
    assert "Việc nội bộ của xã" not in page.content.decode() and "Nhiệm vụ của đơn vị khác" in page.content.decode()
    page = login(people["central_inspector"]).get("/lam-viec/ke-hoach/")
    assert page.status_code == 200 and case.number in page.content.decode()
    secret = make_case(office_tree["commune011"], by=people["leader"], kind="denunciation")
    with pytest.raises(services.FollowupError) as info:
        services.add_task(secret, people["officer"], content="x", deadline=today, responsible_user=people["officer"])
    assert info.value.code == "forbidden"  # the officer may not read a denunciation's content
    with pytest.raises(services.FollowupError) as info:
        services.add_task(secret, people["leader"], content="x", deadline=today,
                          responsible_office=office_tree["commune012"])
    assert info.value.code == "secret_case"


def test_assignment_with_reporting_deadline_keeps_the_sender_following(office_tree, people):
    today = timezone.localdate()
    case = make_case(office_tree["province01"], by=people["province_officer"])
    case_services.classify(case, people["province_officer"])
    with pytest.raises(services.FollowupError) as info:
        services.assign_to_office(case, people["province_officer"], target_office=office_tree["commune011"],
                                  document_number="1/GV", report_due=today + timedelta(days=10))
    assert info.value.code == "forbidden"  # the head's act
    follow = services.assign_to_office(case, people["province_leader"], target_office=office_tree["commune011"],
                                       document_number="1/GV", report_due=today + timedelta(days=10))
    received = follow.received_case
    assert received.office == office_tree["commune011"] and received.state == "received"
    assert Notification.objects.filter(kind="assignment.received", recipient=people["leader"]).exists()
    counts = check_followups((today + timedelta(days=11)).isoformat())
    assert counts["assignments"] >= 2
    assert Notification.objects.filter(kind="assignment.report_overdue", recipient=people["province_leader"]).exists()
    services.report_assignment(follow, people["officer"], text="Đã giải quyết xong")
    assert Notification.objects.filter(kind="assignment.reported", recipient=people["province_leader"]).exists()
    page = login(people["province_leader"]).get(f"/lam-viec/vu-viec/{case.public_id}/theo-doi/").content.decode()
    assert "Đã giải quyết xong" in page


def test_execution_follow_up_to_the_end_and_reopened_complaint(office_tree, people):
    today = timezone.localdate()
    case = make_case(office_tree["commune011"], by=people["officer"])
    with pytest.raises(services.FollowupError):
        services.close_execution(case, people["officer"], outcome="executed")
    case_services.classify(case, people["officer"])
    case_services.accept(case, people["officer"])
    case_services.conclude(case, people["leader"], document_number="QĐ-7")
    task = services.add_task(case, people["leader"], purpose="execution", content="Bồi thường bổ sung",
                             deadline=today, responsible_text="UBND xã (bộ phận địa chính)")
    with pytest.raises(services.FollowupError) as info:
        services.close_execution(case, people["leader"], outcome="executed")
    assert info.value.code == "open_tasks"
    services.report_task(task, people["officer"], text="Chưa chi trả", outcome=TaskState.NOT_DONE)
    with pytest.raises(services.FollowupError) as info:
        services.close_execution(case, people["leader"], outcome="executed")
    assert info.value.code == "not_all_done"
    record = services.close_execution(case, people["leader"], outcome="reopened",
                                      reopened_summary="Công dân khiếu nại tiếp vì chưa được bồi thường")
    reopened = record.reopened_case
    assert reopened.previous_case_id == case.pk and reopened.is_second_time and reopened.parties.count() == 1
    with pytest.raises(services.FollowupError):
        services.close_execution(case, people["leader"], outcome="executed")
    assert ExecutionRecord.objects.get(case=case).outcome == "reopened"


def test_destruction_of_a_filed_petition_after_the_keeping_period(office_tree, people, settings, tmp_path,
                                                                 django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = str(tmp_path)
    long_ago = timezone.localdate() - timedelta(days=800)
    case = _letter(office_tree["commune011"], people["officer"], source="post", received_on=long_ago,
                   their_date=None)
    case_services.classify(case, people["officer"])
    case_services.file(case, people["officer"], today=long_ago)
    case.refresh_from_db()
    assert check_followups()["filed"] == 1 and check_followups()["filed"] == 0
    for who in ("officer", "province_leader", "province_inspector"):  # the head of the office only, no tier above
        with pytest.raises(services.FollowupError) as info:
            services.decide_destruction(case, people[who], destroy=True, decision_number="5/QĐ")
        assert info.value.code == "forbidden"
    stored = case.documents.get().file.path
    keep = services.decide_destruction(case, people["leader"], destroy=False, decision_number="4/QĐ",
                                       keep_until=timezone.localdate() + timedelta(days=30))
    assert check_followups()["filed"] == 0 and case.documents.count() == 1
    assert check_followups(keep.keep_until + timedelta(days=1))["filed"] == 1  # re-alerted at the new date
    with django_capture_on_commit_callbacks(execute=True):
        decision = services.decide_destruction(case, people["leader"], destroy=True, decision_number="5/QĐ",
                                               today=keep.keep_until + timedelta(days=1))
    assert decision.files_deleted == 1 and not case.documents.exists()
    import os

    assert not os.path.exists(stored)
    with pytest.raises(services.FollowupError):
        services.decide_destruction(case, people["leader"], destroy=True, decision_number="6/QĐ",
                                    today=keep.keep_until + timedelta(days=1))
    assert AuditEntry.objects.filter(action="followup.decide_destruction").exists()
    fresh = make_case(office_tree["commune011"], by=people["officer"])
    case_services.classify(fresh, people["officer"])
    case_services.file(fresh, people["officer"])
    with pytest.raises(services.FollowupError) as info:
        services.decide_destruction(fresh, people["leader"], destroy=True, decision_number="7/QĐ")
    assert info.value.code == "still_kept"


def test_dialogue_links_a_session_to_cases_and_invites(office_tree, people, make_user):
    start = timezone.now() + timedelta(days=3)
    a = make_case(office_tree["commune011"], by=people["officer"], people_count=12)
    b = make_case(office_tree["commune011"], by=people["officer"])
    body = make_user(Role.LEADER, office_tree["province01"], full_name="Sở TNMT")
    session = services.schedule_dialogue(by=people["leader"], cases=[a, b], host=people["leader"],
                                         title="Đối thoại thu hồi đất", starts_at=start,
                                         ends_at=start + timedelta(hours=2), adhoc_reason="many_people",
                                         concerned_offices=[office_tree["province01"]])
    assert session.kind == "adhoc" and DialogueLink.objects.filter(session=session).count() == 2
    assert session.sites.filter(office=office_tree["province01"]).exists()
    assert Notification.objects.filter(kind="dialogue.invited", recipient=body).count() == 2
    assert Case.objects.count() == 2  # no new "repeated" case
    secret = make_case(office_tree["commune011"], by=people["leader"], kind="denunciation")
    with pytest.raises(services.FollowupError) as info:
        services.schedule_dialogue(by=people["leader"], cases=[secret], host=people["leader"], title="x",
                                   starts_at=start, ends_at=start + timedelta(hours=1), adhoc_reason="many_people")
    assert info.value.code == "secret_case"
    with pytest.raises(DomainError) as info:
        services.schedule_dialogue(by=people["province_inspector"], cases=[a], host=people["leader"], title="x",
                                   starts_at=start, ends_at=start + timedelta(hours=1), adhoc_reason="many_people")
    assert info.value.code == "forbidden"


def test_minutes_section_attaches_to_an_existing_case_by_api_and_page(office_tree, make_user):
    from minutes import services as minutes_services
    from tests.room_helpers import open_room

    room = open_room(office_tree, make_user)
    people = {"secretary": room["secretary"], "officer": room["officer"], "leader": room["host"]}
    people["outsider"] = make_user(Role.RECEPTION_OFFICER, office_tree["commune012"])
    minutes = minutes_services.open_minutes(room["session"], people["secretary"])
    section = minutes_services.add_section(minutes, people["secretary"], citizen_name="Lê Văn Ba", kind="complaint",
                                           statement="Khiếu nại lại việc bồi thường")
    case = make_case(office_tree["commune011"], by=people["officer"])
    url = f"/api/followup/minutes/{minutes.pk}/sections/{section.pk}/link-case/"
    assert login(people["secretary"]).post(url, {"case": case.number}, format="json").status_code == 403
    assert login(people["outsider"]).post(url, {"case": case.number}, format="json").status_code == 404
    assert login(people["officer"]).post(url, {"case": "X-0000"}, format="json").status_code == 404
    response = login(people["officer"]).post(url, {"case": case.number}, format="json")
    assert response.status_code == 200, response.content
    section.refresh_from_db()
    assert section.case_public_id == case.public_id
    other = make_case(office_tree["commune011"], by=people["officer"])
    second = minutes_services.add_section(minutes, people["secretary"], citizen_name="Lê Thị Tư", kind="petition",
                                          statement="Kiến nghị")
    page = f"/lam-viec/bien-ban/{minutes.pk}/phan/{second.pk}/gan-vu-viec/"
    editor = login(people["secretary"]).get(f"/lam-viec/phien/{room['session'].public_id}/bien-ban/").content.decode()
    assert page in editor  # the minutes editor links each section without a case to this page
    client = login(people["leader"])
    assert client.get(page).status_code == 200
    assert client.post(page, {"case": "nope"}).status_code == 400
    assert client.post(page, {"case": other.number}).status_code == 302
    second.refresh_from_db()
    assert second.case_public_id == other.public_id


def test_pages_register_a_letter_and_show_the_overdue_mark(office_tree, people):
    client = login(people["officer"])
    assert client.get("/lam-viec/don-thu/moi/").status_code == 200
    assert login(people["province_inspector"]).get("/lam-viec/don-thu/moi/").status_code == 403  # reads only
    bad = client.post("/lam-viec/don-thu/moi/", {"office": "X01001", "source": "press", "received_on": "2026-01-01",
                                                  "kind": "complaint", "field": "other", "summary": "x",
                                                  "people_count": 1, "full_name": "A"})
    assert bad.status_code == 400 and "sender_body" in bad.content.decode()
    today = timezone.localdate()
    case = make_case(office_tree["commune011"], by=people["officer"])
    services.add_task(case, people["officer"], content="Làm rõ", deadline=today, responsible_user=people["officer"])
    from followup.models import CaseTask

    CaseTask.objects.filter(case=case).update(deadline=today - timedelta(days=1))
    detail = client.get(f"/lam-viec/vu-viec/{case.public_id}/").content.decode()
    assert 'id="tasks-overdue"' in detail
    assert "flag-tasks-overdue" in client.get("/lam-viec/vu-viec/").content.decode()


def test_followup_page_forms_for_each_role(office_tree, people, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    today = timezone.localdate()
    case = make_case(office_tree["province01"], by=people["province_officer"])
    case_services.classify(case, people["province_officer"])
    url = f"/lam-viec/vu-viec/{case.public_id}/theo-doi/"
    officer_page = login(people["province_officer"]).get(url).content.decode()
    assert 'value="outside"' in officer_page and 'value="assign"' not in officer_page  # the head's act
    inspector = login(people["province_inspector"])
    assert 'name="form"' not in inspector.get(url).content.decode()  # reads only
    assert inspector.post(url, {"form": "task", "task-content": "x", "task-deadline": today.isoformat(),
                                "task-responsible_user": str(people["province_officer"].pk)}).status_code == 403
    head = login(people["province_leader"])
    bad = head.post(url, {"form": "assign", "assign-target_office": "X01001", "assign-document_number": "3/GV",
                          "assign-report_due": today.isoformat()})
    assert bad.status_code == 400 and "id_assign-report_due_error" in bad.content.decode()
    ok = head.post(url, {"form": "assign", "assign-target_office": "X01001", "assign-document_number": "3/GV",
                         "assign-report_due": (today + timedelta(days=15)).isoformat()})
    assert ok.status_code == 302
    case.refresh_from_db()
    assert case.state == "transferred" and case.assignment_out.received_case.office.code == "X01001"
    received = case.assignment_out.received_case
    commune = login(people["officer"])
    response = commune.post(f"/lam-viec/vu-viec/{received.public_id}/theo-doi/",
                            {"form": "assignment-report", "assignment-report-text": "Đã giải quyết"})
    assert response.status_code == 302
    assert head.post(url, {"form": "nope"}).status_code == 302


def test_outside_transfer_dialogue_and_destruction_pages(office_tree, people):
    today = timezone.localdate()
    case = make_case(office_tree["commune011"], by=people["officer"], people_count=8)
    case_services.classify(case, people["officer"])
    url = f"/lam-viec/vu-viec/{case.public_id}/theo-doi/"
    client = login(people["officer"])
    start = (timezone.localtime() + timedelta(days=5)).replace(hour=8, minute=0)
    bad = client.post(url, {"form": "dialogue", "dialogue-title": "Đối thoại", "dialogue-host": str(people["leader"].pk),
                            "dialogue-starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                            "dialogue-ends_at": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                            "dialogue-adhoc_reason": "many_people"})
    assert bad.status_code == 400 and "id_dialogue-ends_at_error" in bad.content.decode()
    ok = client.post(url, {"form": "dialogue", "dialogue-title": "Đối thoại", "dialogue-host": str(people["leader"].pk),
                           "dialogue-starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                           "dialogue-ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
                           "dialogue-adhoc_reason": "many_people", "dialogue-concerned": ["T01"]})
    assert ok.status_code == 302 and DialogueLink.objects.filter(case=case).exists()
    assert "Đối thoại" in client.get(url).content.decode()
    missing = client.post(url, {"form": "outside", "outside-body": "", "outside-document_number": "1"})
    assert missing.status_code == 400
    assert client.post(url, {"form": "outside", "outside-body": "Tòa án", "outside-document_number": "8/CV"}
                       ).status_code == 302
    page = client.get(url).content.decode()
    assert 'id="letter-pdf"' in page
    # A filed petition past its keeping period: the head decides on the page.
    long_ago = today - timedelta(days=800)
    filed = make_case(office_tree["commune011"], by=people["officer"], received_on=long_ago)
    case_services.classify(filed, people["officer"])
    case_services.file(filed, people["officer"], today=long_ago)
    head = login(people["leader"])
    assert filed.number in head.get("/lam-viec/don-luu/").content.decode()
    assert login(people["officer"]).get("/lam-viec/don-luu/").status_code == 403
    furl = f"/lam-viec/vu-viec/{filed.public_id}/theo-doi/"
    keep = head.post(furl, {"form": "destruction", "destruction-destroy": "0", "destruction-decision_number": "2/QĐ"})
    assert keep.status_code == 400 and "id_destruction-keep_until_error" in keep.content.decode()
    assert head.post(furl, {"form": "destruction", "destruction-destroy": "1",
                            "destruction-decision_number": "2/QĐ"}).status_code == 302
    assert filed.number not in head.get("/lam-viec/don-luu/").content.decode()
