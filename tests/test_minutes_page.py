"""The secretary's minutes editor page (frontend/minutes_views.py): server-rendered, usable without
JavaScript (open, save changed fields with their versions, create a case from a section, finalize), and
in Chromium with the autosave script (a second editor's save is merged, nothing is lost)."""

from __future__ import annotations

import asyncio

import pytest
from django.urls import reverse

from accounts.models import Role
from minutes import services as minutes_services
from minutes.models import CitizenSection, Minutes, MinutesState
from tests.room_helpers import open_room


def editor_url(session) -> str:
    return reverse("frontend:minutes-editor", args=[session.public_id])


@pytest.mark.django_db
def test_the_editor_works_without_javascript(client, office_tree, make_user):
    room = open_room(office_tree, make_user)
    session, secretary = room["session"], room["secretary"]
    client.force_login(secretary, backend="accounts.backends.PhoneOrEmailBackend")
    page = client.get(editor_url(session))
    assert page.status_code == 200 and "Lập biên bản" in page.content.decode()

    assert client.post(editor_url(session), {"action": "open"}).status_code == 302
    minutes = Minutes.objects.get(session=session)
    section = minutes_services.add_section(minutes, secretary, citizen_name="Đặng Quốc Việt", kind="petition")
    html = client.get(editor_url(session)).content.decode()
    assert "Đặng Quốc Việt" in html and f'name="f:{section.pk}:statement"' in html and "minutes.js" in html

    response = client.post(editor_url(session), {
        f"f:{section.pk}:statement": "Kiến nghị sửa đường liên thôn.", f"v:{section.pk}:statement": "0",
        f"f:{section.pk}:documents_handed_over": "Đơn kiến nghị; 2; bản gốc", f"v:{section.pk}:documents_handed_over": "0",
        f"f:{section.pk}:kind": "petition", f"v:{section.pk}:kind": "0",  # unchanged: not saved
        "f:h:notes": "Phiên tiếp bình thường.", "v:h:notes": "0"}, follow=True)
    assert "Đã lưu 3 trường" in response.content.decode()
    section.refresh_from_db()
    minutes.refresh_from_db()
    assert section.statement == "Kiến nghị sửa đường liên thôn." and section.versions["statement"] == 1
    assert section.documents_handed_over == [{"title": "Đơn kiến nghị", "pages": 2, "condition": "bản gốc"}]
    assert minutes.notes == "Phiên tiếp bình thường." and "kind" not in section.versions

    # A stale form (another editor saved meanwhile) keeps both texts.
    minutes_services.save_section_field(section, room["officer"], field="statement",
                                        value="Kiến nghị sửa đường liên thôn.\nThêm: mở rộng cống.", base_version=1)
    response = client.post(editor_url(session), {f"f:{section.pk}:statement": "Kiến nghị sửa đường liên thôn.\nĐã có ảnh chụp.",
                                                 f"v:{section.pk}:statement": "1"}, follow=True)
    assert "cùng lúc" in response.content.decode()
    section.refresh_from_db()
    assert "Thêm: mở rộng cống." in section.statement and "Đã có ảnh chụp." in section.statement

    # A forged field name or an unknown section is a message, not a server error.
    for forged in ({f"f:{section.pk}:__class__": "x"}, {"f:999999:statement": "x"}):
        response = client.post(editor_url(session), forged, follow=True)
        assert response.status_code == 200 and "message-error" in response.content.decode()

    # One click: the section becomes a case, linked.
    case_url = reverse("frontend:minutes-section-case", args=[session.public_id, section.pk])
    response = client.post(case_url, follow=True)
    section.refresh_from_db()
    assert section.case_public_id is not None and "Đã tạo vụ việc số" in response.content.decode()
    assert "đã được chuyển thành vụ việc" in client.post(case_url, follow=True).content.decode()  # not twice

    # Finalize: irreversible, so only with the confirmation box ticked.
    response = client.post(reverse("frontend:minutes-finalize", args=[session.public_id]), follow=True)
    minutes.refresh_from_db()
    assert minutes.state != MinutesState.FINAL and "Hãy đánh dấu ô xác nhận" in response.content.decode()
    assert 'name="confirm" value="1" required' in response.content.decode()
    # Then locked, the hash shown and verified; later saves are refused.
    response = client.post(reverse("frontend:minutes-finalize", args=[session.public_id]), {"confirm": "1"},
                           follow=True)
    minutes.refresh_from_db()
    assert minutes.state == MinutesState.FINAL and minutes.sha256 in response.content.decode()
    assert "Toàn vẹn: khớp" in response.content.decode() and f"/api/documents/minutes/{minutes.pk}.pdf" in response.content.decode()
    response = client.post(editor_url(session), {f"f:{section.pk}:statement": "sửa sau khi khóa",
                                                 f"v:{section.pk}:statement": "3"}, follow=True)
    section.refresh_from_db()
    assert "sửa sau khi khóa" not in section.statement


@pytest.mark.django_db
def test_only_editors_of_the_host_office_open_the_editor(client, office_tree, make_user):
    room = open_room(office_tree, make_user)
    outsider = make_user(Role.SECRETARY, office_tree["commune012"])
    client.force_login(outsider, backend="accounts.backends.PhoneOrEmailBackend")
    assert client.get(editor_url(room["session"])).status_code == 403
    citizen = room["citizens"][0]
    client.force_login(citizen, backend="accounts.backends.PhoneOrEmailBackend")
    assert client.get(editor_url(room["session"])).status_code == 403


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_chromium_autosaves_while_another_editor_writes(office_tree, make_user, tmp_path, settings):
    from tests.processes import daphne, in_thread, wait_for
    from tests.test_room_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
    from tests.test_room_integration import login_cookie, room_env, use_layer

    chromium_or_skip()
    from playwright.async_api import async_playwright

    room = open_room(office_tree, make_user)
    session, secretary, officer = room["session"], room["secretary"], room["officer"]
    minutes = minutes_services.open_minutes(session, secretary)
    section = minutes_services.add_section(minutes, secretary, citizen_name="Trần Văn Ngữ", kind="complaint")
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    with daphne(env, tmp_path / "daphne.log") as base:
        cookie = login_cookie(base, secretary.username).split("=", 1)[1]

        async def scenario():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = await browser.new_context(viewport={"width": 1280, "height": 900})
                await context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                page = await context.new_page()
                try:
                    await page.goto(base + editor_url(session))
                    assert await page.locator(f"#f-{section.pk}-statement").count() == 1, (page.url, (await page.content())[:3000])
                    box = page.locator(f"#f-{section.pk}-statement")
                    await box.fill("Bà Ngữ trình bày: đất bị lấn chiếm.")
                    await wait_for(lambda: CitizenSection.objects.get(pk=section.pk).statement.startswith("Bà Ngữ"))
                    # Another editor saves a different field and then the same field, from an old version.
                    await in_thread(minutes_services.save_section_field, section.pk, officer, field="leader_answer",
                                    value="Sẽ kiểm tra thực địa.", base_version=0)
                    await box.fill("Bà Ngữ trình bày: đất bị lấn chiếm.\nCó biên bản hòa giải thôn.")
                    await in_thread(minutes_services.save_section_field, section.pk, officer, field="statement",
                                    value="Ghi chú của cán bộ tiếp.", base_version=0)
                    await wait_for(lambda: "hòa giải" in CitizenSection.objects.get(pk=section.pk).statement)
                    stored = await in_thread(CitizenSection.objects.get, pk=section.pk)
                    assert "Ghi chú của cán bộ tiếp." in stored.statement and "hòa giải" in stored.statement
                    # The page picks up the other editor's answer (polling) without a reload.
                    await page.wait_for_function(
                        f"document.getElementById('f-{section.pk}-leader_answer').value.includes('thực địa')",
                        timeout=20_000)
                    ARTIFACTS.mkdir(exist_ok=True)
                    await page.screenshot(path=str(ARTIFACTS / "minutes-editor-chromium.png"), full_page=True)
                finally:
                    await browser.close()

        asyncio.run(scenario())


@pytest.mark.django_db
def test_the_citizen_reads_and_confirms_with_the_join_link(client, office_tree, make_user):
    from rest_framework.test import APIClient

    from tests.room_helpers import join_token

    room = open_room(office_tree, make_user)
    session, secretary = room["session"], room["secretary"]
    registration, citizen = room["registrations"][0], room["citizens"][0]
    minutes = minutes_services.open_minutes(session, secretary)
    section = minutes_services.add_section(minutes, secretary, citizen_name=citizen.full_name, kind="complaint",
                                           citizen=citizen, registration=registration,
                                           statement="Khiếu nại việc cấp giấy phép.")
    token = join_token(registration)
    api = APIClient()
    mine = f"/api/minutes/mine/?session={session.public_id}&token={token}"
    assert api.get(mine).json()["results"] == []  # nothing to read before the minutes are locked
    minutes_services.finalize(minutes, secretary)
    results = api.get(mine).json()["results"]
    assert [r["section"] for r in results] == [section.pk] and results[0]["statement"] == "Khiếu nại việc cấp giấy phép."
    confirm = f"/api/minutes/{minutes.pk}/sections/{section.pk}/confirm/?token={token}"
    response = api.post(confirm)
    assert response.status_code == 200 and response.json()["citizen_confirmed_at"]
    assert api.get(mine).json()["results"][0]["citizen_confirmed_at"] == response.json()["citizen_confirmed_at"]
    # Another citizen's link, a forged token, no credentials: refused with typed errors.
    other = make_user(full_name="Người Khác")
    from scheduling.services import registrations
    session.slots.update(capacity=5)
    other_registration = registrations.register(citizen=other, slot_id=session.slots.first().pk,
                                                matter_kind="petition", matter_summary="Kiến nghị khác nội dung.")
    refused = api.post(f"/api/minutes/{minutes.pk}/sections/{section.pk}/confirm/?token={join_token(other_registration)}")
    assert refused.status_code == 403 and refused.json()["error"]["type"] == "forbidden"
    assert api.post(f"/api/minutes/{minutes.pk}/sections/{section.pk}/confirm/?token=forged").status_code == 403
    assert APIClient().post(f"/api/minutes/{minutes.pk}/sections/{section.pk}/confirm/").status_code == 403


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_chromium_citizen_confirms_the_minutes_on_the_room_page(office_tree, make_user, tmp_path, settings):
    from tests.processes import daphne
    from tests.room_helpers import join_token
    from tests.test_room_browser import CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
    from tests.test_room_integration import room_env, use_layer

    chromium_or_skip()
    from playwright.async_api import async_playwright

    room = open_room(office_tree, make_user)
    session, secretary = room["session"], room["secretary"]
    registration, citizen = room["registrations"][0], room["citizens"][0]
    minutes = minutes_services.open_minutes(session, secretary)
    section = minutes_services.add_section(minutes, secretary, citizen_name=citizen.full_name, kind="complaint",
                                           citizen=citizen, registration=registration,
                                           statement="Đề nghị cấp lại sổ đỏ.")
    minutes_services.save_section_field(section, secretary, field="conclusions",
                                        value="Giao địa chính xã trả lời trong 10 ngày.", base_version=0)
    minutes_services.finalize(minutes, secretary)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    with daphne(env, tmp_path / "daphne.log") as base:

        async def scenario():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = await (await browser.new_context(viewport={"width": 360, "height": 740})).new_page()
                try:
                    await page.goto(f"{base}/phong/{session.public_id}/?token={join_token(registration)}")
                    await page.evaluate("window.roomMinutes.load()")
                    await page.wait_for_selector("#my-minutes:not([hidden])", timeout=15_000)
                    assert "Giao địa chính xã trả lời trong 10 ngày." in await page.inner_text("#my-minutes")
                    await page.click("button.confirm-minutes")
                    await page.wait_for_selector("#my-minutes [role=status]:has-text('xác nhận')", timeout=15_000)
                finally:
                    await browser.close()

        asyncio.run(scenario())
    section.refresh_from_db()
    assert section.citizen_confirmed_at is not None


@pytest.mark.django_db
def test_the_secretary_console_puts_the_room_beside_the_minutes(client, office_tree, make_user):
    room = open_room(office_tree, make_user)
    session = room["session"]
    client.force_login(room["secretary"], backend="accounts.backends.PhoneOrEmailBackend")
    minutes_services.open_minutes(session, room["secretary"])
    html = client.get(reverse("frontend:secretary-console", args=[session.public_id])).content.decode()
    embedded = reverse("frontend:room-embedded", args=[session.public_id])
    assert f'src="{embedded}"' in html and 'allow="camera; microphone' in html and 'id="minutes-form"' in html
    framed = client.get(embedded)
    assert framed.status_code == 200 and framed["X-Frame-Options"] == "SAMEORIGIN"
    assert 'class="site-header"' not in framed.content.decode() and 'id="room-app"' in framed.content.decode()
    assert client.get(reverse("frontend:room", args=[session.public_id]))["X-Frame-Options"] == "DENY"
    workspace = client.get(reverse("frontend:minutes-editor", args=[session.public_id])).content.decode()
    assert reverse("frontend:secretary-console", args=[session.public_id]) in workspace
