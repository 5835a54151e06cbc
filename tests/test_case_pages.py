"""The case pages (frontend/cases_views.py): the staff inbox (filters, deadline colours with words, no
identity and no denunciation content), the case file with its POST forms (moves, transfer and the
sender seeing its fate, assignment, extension, upload; refusals as messages, never a 500), access, and
the citizen's "my cases" with their own documents; one Chromium run with screenshots."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from cases import services
from cases.models import Case
from frontend.cases_views import deadline_info
from tests.cases_helpers import CITIZEN, DENOUNCER, SECRET, make_case, staff

INBOX = reverse("frontend:case-inbox")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def browser_client(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return client


def detail_url(case) -> str:
    return reverse("frontend:case-detail", args=[case.public_id])


@pytest.fixture
def people(office_tree, make_user):
    return staff(office_tree, make_user)


@pytest.mark.django_db
def test_deadline_tones_carry_words():
    today = date(2026, 6, 10)  # a Wednesday
    overdue = deadline_info("resolution", today - timedelta(days=3), today)
    assert overdue["tone"] == "overdue" and overdue["text"] == "Quá hạn 3 ngày"
    soon = deadline_info("acceptance", date(2026, 6, 12), today)
    assert soon["tone"] == "warning" and soon["text"] == "Còn 2 ngày"
    assert deadline_info("acceptance", today, today)["text"] == "Đến hạn hôm nay"
    later = deadline_info("resolution", today + timedelta(days=30), today)
    assert later["tone"] == "ok" and later["text"] == "Còn 30 ngày"


@pytest.mark.django_db
def test_inbox_filters_colours_and_never_identity(office_tree, people):
    commune = office_tree["commune011"]
    today = timezone.localdate()
    late = make_case(commune, by=people["officer"], received_on=today - timedelta(days=40))
    secret = make_case(commune, by=people["officer"], kind="denunciation")
    fresh = make_case(commune, by=people["officer"], kind="petition", parties=[dict(CITIZEN)])
    services.assign_handler(fresh, people["leader"], people["officer"])
    elsewhere = make_case(office_tree["commune012"], by=people["other_officer"])

    client = browser_client(people["officer"])
    html = client.get(INBOX).content.decode()
    for case in (late, secret, fresh):
        assert case.number in html
    assert elsewhere.number not in html
    # Never a party, never a denunciation's content (nor anyone's summary) in the listing.
    for value in (*DENOUNCER.values(), *CITIZEN.values(), SECRET):
        assert value not in html
    # The overdue case: red class AND words.
    assert "deadline-overdue" in html and "Quá hạn" in html and "row-overdue" in html
    assert "Còn " in html

    def numbers(**query):
        page = client.get(INBOX, query).content.decode()
        return {c.number for c in (late, secret, fresh) if c.number in page}

    assert numbers(kind="denunciation") == {secret.number}
    assert numbers(overdue="on") == {late.number}
    assert numbers(mine="on") == {fresh.number}
    assert numbers(state="received", kind="complaint") == {late.number}
    assert numbers(state="concluded") == set()
    assert numbers(kind="bogus") == {late.number, secret.number, fresh.number}  # invalid filter ignored, said so

    # A provincial inspector sees the communes below with an office filter; a citizen has no inbox.
    inspector = browser_client(people["province_inspector"])
    page = inspector.get(INBOX).content.decode()
    assert 'name="office"' in page and late.number in page and elsewhere.number in page
    page = inspector.get(INBOX, {"office": "X01002"}).content.decode()
    assert elsewhere.number in page and late.number not in page
    assert secret.number in inspector.get(INBOX, {"kind": "denunciation"}).content.decode()
    assert SECRET not in inspector.get(INBOX).content.decode()
    citizen = people["officer"].__class__.objects.create(username="dan", full_name="Công Dân")
    assert browser_client(citizen).get(INBOX).status_code == 403


@pytest.mark.django_db
def test_inbox_paginates(office_tree, people):
    commune = office_tree["commune011"]
    made = [make_case(commune, by=people["officer"], kind="report") for _ in range(27)]
    client = browser_client(people["officer"])
    first = client.get(INBOX, {"kind": "report"}).content.decode()
    assert made[-1].number in first and made[0].number not in first and "Trang 1/2" in first
    assert "kind=report&amp;page=2" in first
    second = client.get(INBOX, {"kind": "report", "page": 2}).content.decode()
    assert made[0].number in second and made[-1].number not in second


@pytest.mark.django_db
def test_moves_through_post_transfer_and_the_sender_sees_its_fate(office_tree, people):
    commune, province = office_tree["commune011"], office_tree["province01"]
    case = make_case(commune, by=people["officer"])
    officer = browser_client(people["officer"])
    page = officer.get(detail_url(case)).content.decode()
    assert 'name="form" value="move-classify"' in page and "move-accept" not in page  # only allowed moves

    response = officer.post(detail_url(case), {"form": "move-classify", "classify-kind": "complaint",
                                               "classify-field": "land", "classify-is_complex": "on"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "classified" and case.field == "land" and case.is_complex

    # Transfer to the province: the search (no JavaScript) finds it, the form posts it.
    page = officer.get(detail_url(case), {"tim_co_quan": "T01"}).content.decode()
    assert 'value="T01"' in page
    response = officer.post(detail_url(case), {"form": "move-transfer", "transfer-target_office": "T01",
                                               "transfer-document_number": "15/CV-UBND"}, follow=True)
    html = response.content.decode()
    case.refresh_from_db()
    received = Case.objects.get(transferred_from=case)
    assert case.state == "transferred" and received.office == province
    assert "Đã chuyển đơn đến Office T01" in html and received.number in html and "Đã tiếp nhận" in html

    # The province's inbox shows it as incoming; the province moves it; the commune sees the new state.
    provincial = browser_client(people["province_officer"])
    inbox = provincial.get(INBOX).content.decode()
    assert received.number in inbox and "Chuyển đến từ Office X01001" in inbox
    assert provincial.post(detail_url(received), {"form": "move-classify", "classify-kind": "complaint",
                                                  "classify-field": "land"}).status_code == 302
    assert provincial.post(detail_url(received), {"form": "move-accept", "accept-document_number": "7/TB"}).status_code == 302
    received.refresh_from_db()
    assert received.state == "accepted" and received.resolution_due is not None
    fate = officer.get(detail_url(case)).content.decode()
    assert received.number in fate and "Đã thụ lý" in fate
    # …without access to the province's file (its number is not a link for the commune).
    assert detail_url(received) not in fate
    assert officer.get(detail_url(received)).status_code == 403


@pytest.mark.django_db
def test_refusals_are_messages_and_field_errors(office_tree, people):
    commune = office_tree["commune011"]
    case = make_case(commune, by=people["officer"])
    officer = browser_client(people["officer"])
    # A move the workflow refuses (accept before classify): a message, not a 500.
    response = officer.post(detail_url(case), {"form": "move-accept"})
    assert response.status_code == 400 and "phải phân loại trước" in response.content.decode()
    services.classify(case, people["officer"])
    # Missing document number: a field error tied to its input.
    response = officer.post(detail_url(case), {"form": "move-transfer", "transfer-target_office": "T01"})
    html = response.content.decode()
    assert response.status_code == 400 and 'id="id_transfer-document_number_error"' in html
    assert 'aria-describedby="id_transfer-document_number_error"' in html and 'role="alert"' in html
    # The service refuses a transfer to the office itself: on the office field.
    response = officer.post(detail_url(case), {"form": "move-transfer", "transfer-target_office": "X01001",
                                               "transfer-document_number": "1/CV"})
    assert "Không thể chuyển đơn cho chính cơ quan" in response.content.decode()
    # Assign someone who is not staff of the office: refused by the form.
    response = officer.post(detail_url(case), {"form": "assign", "assign-handler": people["other_officer"].pk})
    assert response.status_code == 400 and 'id="id_assign-handler_error"' in response.content.decode()
    assert officer.post(detail_url(case), {"form": "assign", "assign-handler": people["officer2"].pk}).status_code == 302
    case.refresh_from_db()
    assert case.handler == people["officer2"]
    # An unknown form name.
    assert "Thao tác không hợp lệ" in officer.post(detail_url(case), {"form": "nope"}, follow=True).content.decode()
    case.refresh_from_db()
    assert case.state == "classified"


@pytest.mark.django_db
def test_denunciation_file_extension_upload_and_secrecy(office_tree, people):
    commune = office_tree["commune011"]
    case = make_case(commune, by=people["officer"], kind="denunciation")
    officer, leader = browser_client(people["officer"]), browser_client(people["leader"])
    page = officer.get(detail_url(case)).content.decode()
    assert SECRET not in page and DENOUNCER["full_name"] not in page and "Đã ẩn danh tính" in page
    before = AuditEntry.objects.filter(action="cases.read_identity").count()
    page = leader.get(detail_url(case)).content.decode()
    assert SECRET in page and DENOUNCER["full_name"] in page
    assert AuditEntry.objects.filter(action="cases.read_identity").count() == before + 1
    services.classify(case, people["officer"])
    services.accept(case, people["officer"])
    # The extension form: the leader only; the limit is a field error; a valid decision moves the due date.
    assert 'value="extend"' not in officer.get(detail_url(case)).content.decode()
    response = leader.post(detail_url(case), {"form": "extend", "extend-decision_number": "9/QĐ", "extend-days": "45"})
    assert response.status_code == 400 and 'id="id_extend-days_error"' in response.content.decode()
    due = Case.objects.get(pk=case.pk).resolution_due
    response = leader.post(detail_url(case), {"form": "extend", "extend-decision_number": "9/QĐ",
                                              "extend-days": "30"}, follow=True)
    assert "Đã gia hạn lần 1" in response.content.decode()
    assert Case.objects.get(pk=case.pk).resolution_due > due
    # Upload: PDF accepted (encrypted for a denunciation), anything else refused on the field.
    from django.core.files.uploadedfile import SimpleUploadedFile

    ok = officer.post(detail_url(case), {"form": "document", "document-file": SimpleUploadedFile(
        "don-to-cao.pdf", PDF, content_type="application/pdf")}, follow=True)
    assert "Đã tải tệp lên hồ sơ" in ok.content.decode() and case.documents.get().encrypted
    assert "don-to-cao" not in ok.content.decode()
    bad = officer.post(detail_url(case), {"form": "document", "document-file": SimpleUploadedFile(
        "x.pdf", b"MZ not a pdf", content_type="application/pdf")})
    assert bad.status_code == 400 and "Chỉ nhận tệp PDF" in bad.content.decode()


@pytest.mark.django_db
def test_access_to_the_case_file(office_tree, people):
    case = make_case(office_tree["commune011"], by=people["officer"])
    assert browser_client(people["other_officer"]).get(detail_url(case)).status_code == 403
    assert browser_client(people["other_officer"]).post(
        detail_url(case), {"form": "move-classify", "classify-kind": "complaint", "classify-field": "land"}).status_code == 403
    inspector = browser_client(people["province_inspector"])
    page = inspector.get(detail_url(case)).content.decode()
    assert "Bạn chỉ có quyền xem" in page and 'name="form"' not in page
    assert inspector.post(detail_url(case), {"form": "move-classify", "classify-kind": "complaint",
                                             "classify-field": "land"}).status_code == 403
    case.refresh_from_db()
    assert case.state == "received"
    assert Client().get(detail_url(case)).status_code == 302  # to the login page
    missing = reverse("frontend:case-detail", args=["00000000-0000-0000-0000-000000000000"])
    assert browser_client(people["officer"]).get(missing).status_code == 404


@pytest.mark.django_db
def test_my_cases_and_their_documents(office_tree, make_user):
    from minutes import services as minutes_services
    from tests.room_helpers import open_room

    room = open_room(office_tree, make_user, citizens=2)
    session, secretary = room["session"], room["secretary"]
    me, other = room["citizens"]
    minutes = minutes_services.open_minutes(session, secretary)
    section = minutes_services.add_section(minutes, secretary, citizen_name=me.full_name, kind="complaint",
                                           citizen=me, registration=room["registrations"][0],
                                           statement="Khiếu nại việc cấp giấy phép xây dựng.")
    case = minutes_services.create_case_from_section(section, secretary)
    others = minutes_services.add_section(minutes, secretary, citizen_name=other.full_name, kind="petition",
                                          citizen=other, statement="Kiến nghị sửa đường.")
    other_case = minutes_services.create_case_from_section(others, secretary)
    mine_url = reverse("frontend:my-cases")
    notice = reverse("frontend:my-case-document", args=[section.pk, "notice"])
    receipt = reverse("frontend:my-case-document", args=[section.pk, "receipt"])

    citizen = browser_client(me)
    page = citizen.get(mine_url).content.decode()
    assert case.number in page and other_case.number not in page
    assert "Đã nhận đơn, đang phân loại" in page and "chậm nhất ngày" in page
    assert notice not in page  # documents exist once the minutes are locked
    assert citizen.get(notice).status_code == 404

    minutes_services.finalize(minutes, secretary)
    page = citizen.get(mine_url).content.decode()
    assert notice in page and receipt in page
    assert reverse("frontend:my-case-document", args=[others.pk, "notice"]) not in page
    exports = AuditEntry.objects.filter(action="documents.export").count()
    for url in (notice, receipt):
        response = citizen.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response).startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="documents.export").count() == exports + 2
    assert citizen.get(reverse("frontend:my-case-document", args=[section.pk, "minutes"])).status_code == 404

    # Another citizen, a staff member: not their section.
    assert browser_client(other).get(notice).status_code == 404
    assert browser_client(room["officer"]).get(receipt).status_code == 404
    assert Client().get(notice).status_code == 302

    # The case file links back to the minutes section it came from.
    staff_page = browser_client(room["officer"]).get(detail_url(case)).content.decode()
    assert reverse("frontend:minutes-editor", args=[session.public_id]) + f"#section-{section.pk}" in staff_page

    # The state in plain words follows the case.
    services.classify(case, room["officer"])
    services.accept(case, room["officer"])
    page = citizen.get(mine_url).content.decode()
    assert "Đã thụ lý, đang giải quyết" in page and "Hạn giải quyết" in page


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_chromium_officer_filters_the_inbox_and_opens_a_case(office_tree, make_user, tmp_path, settings):
    from tests.processes import daphne
    from tests.test_room_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
    from tests.test_room_integration import login_cookie, room_env, use_layer

    chromium_or_skip()
    from playwright.async_api import async_playwright

    people = staff(office_tree, make_user)
    commune = office_tree["commune011"]
    today = timezone.localdate()
    late = make_case(commune, by=people["officer"], received_on=today - timedelta(days=40), field="land")
    services.assign_handler(late, people["leader"], people["officer"])
    make_case(commune, by=people["officer"], kind="denunciation")
    make_case(commune, by=people["officer"], kind="petition", field="policy_benefits", people_count=12)
    moved = make_case(office_tree["commune012"], by=people["other_officer"])
    services.classify(moved, people["other_officer"])
    incoming = services.transfer(moved, people["other_officer"], target_office=commune, document_number="3/CV")
    services.classify(incoming, people["officer"])
    citizen = make_user(full_name="Nguyễn Văn Công")
    mine = make_case(commune, by=people["officer"], parties=[{**CITIZEN, "user": citizen}])
    services.classify(mine, people["officer"])
    services.accept(mine, people["officer"])
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)
    with daphne(env, tmp_path / "daphne.log") as base:
        cookie = login_cookie(base, people["officer"].username).split("=", 1)[1]
        citizen_cookie = login_cookie(base, citizen.username).split("=", 1)[1]

        async def scenario():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    for name, viewport in (("phone", {"width": 360, "height": 740}),
                                           ("desktop", {"width": 1280, "height": 900})):
                        context = await browser.new_context(viewport=viewport)
                        await context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                        page = await context.new_page()
                        await page.goto(base + INBOX)
                        await page.screenshot(path=str(ARTIFACTS / f"case-inbox-{name}.png"), full_page=True)
                        await page.check("#id_overdue")
                        await page.click("form.case-filters button[type=submit]")
                        await page.wait_for_url("**overdue=on**")
                        rows = page.locator("tr.case-row")
                        assert await rows.count() == 1
                        assert "Quá hạn" in await rows.first.inner_text()
                        await page.screenshot(path=str(ARTIFACTS / f"case-inbox-filtered-{name}.png"), full_page=True)
                        await page.click(f"text={late.number}")
                        await page.wait_for_selector("h1.case-title")
                        assert late.number in await page.inner_text("h1")
                        await page.click("#move-classify > summary")
                        await page.screenshot(path=str(ARTIFACTS / f"case-detail-{name}.png"), full_page=True)
                        await context.close()
                    # The transfer form of a classified case, and the citizen's own cases on a phone.
                    context = await browser.new_context(viewport={"width": 1280, "height": 900})
                    await context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                    page = await context.new_page()
                    await page.goto(base + detail_url(incoming) + "?tim_co_quan=T01#move-transfer")
                    assert await page.locator("#move-transfer[open] select option[value=T01]").count() >= 1
                    await page.screenshot(path=str(ARTIFACTS / "case-detail-received-transfer.png"), full_page=True)
                    await context.close()
                    context = await browser.new_context(viewport={"width": 360, "height": 740})
                    await context.add_cookies([{"name": "sessionid", "value": citizen_cookie, "url": base}])
                    page = await context.new_page()
                    await page.goto(base + reverse("frontend:my-cases"))
                    assert mine.number in await page.inner_text("main")
                    await page.screenshot(path=str(ARTIFACTS / "my-cases-phone.png"), full_page=True)
                    await context.close()
                finally:
                    await browser.close()

        asyncio.run(scenario())


@pytest.mark.django_db
def test_split_a_mixed_matter_and_link_a_repeated_complaint_on_the_page(office_tree, people):
    commune = office_tree["commune011"]
    mixed = make_case(commune, by=people["officer"], kind="complaint", summary="Khiếu nại bồi thường và kiến nghị làm đường.")
    client = browser_client(people["officer"])
    page = client.get(detail_url(mixed)).content.decode()
    assert 'id="split"' in page and 'id="link"' in page
    # Only one part filled: a field error, nothing split.
    response = client.post(detail_url(mixed), {"form": "split", "split-part1_kind": "complaint",
                                               "split-part1_field": "land", "split-part1_summary": "Khiếu nại bồi thường."})
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()
    response = client.post(detail_url(mixed), {
        "form": "split", "split-part1_kind": "complaint", "split-part1_field": "land",
        "split-part1_summary": "Khiếu nại bồi thường.", "split-part2_kind": "petition", "split-part2_field": "other",
        "split-part2_summary": "Kiến nghị làm đường liên thôn.", "split-part3_kind": "", "split-part3_summary": ""},
        follow=True)
    assert "Đã tách thành 2 vụ việc" in response.content.decode()
    part = Case.objects.get(split_from=mixed)
    assert part.kind == "petition" and Case.objects.get(pk=mixed.pk).summary == "Khiếu nại bồi thường."

    earlier = make_case(commune, by=people["officer"], kind="complaint")
    response = client.post(detail_url(mixed), {"form": "link", "link-number": "KHONG-CO"})
    assert response.status_code == 400 and "Không tìm thấy vụ việc có số này" in response.content.decode()
    response = client.post(detail_url(mixed), {"form": "link", "link-number": earlier.number}, follow=True)
    assert f"Đã liên kết với vụ việc trước số {earlier.number}" in response.content.decode()
    assert Case.objects.get(pk=mixed.pk).previous_case_id == earlier.pk
    # A case of another commune is not found (the officer may not see it).
    stranger = make_case(office_tree["commune012"], kind="complaint")
    other = make_case(commune, by=people["officer"], kind="complaint")
    response = client.post(detail_url(other), {"form": "link", "link-number": stranger.number})
    assert response.status_code == 400
