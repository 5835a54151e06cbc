"""The journeys of issue 7 in Debian's Chromium, against real Daphne, Redis and PostgreSQL: each role does its
job in the browser, one after the other, on the same reception.

1. A citizen (phone) finds their commune by typing it without diacritics, opens its schedule, registers for
   a slot, finds the join link in "my registrations", passes the device check and waits in the lobby.
2. The reception officer (desktop) admits them from the room's waiting list.
3. The secretary (desktop) opens the secretary's console, writes the citizen's section (autosaved) and turns
   it into a case.
4. The provincial inspector (desktop) sees the case on the dashboard and drills down to the commune.

Screenshots of every step are saved in test-artifacts/journey-*.png.
"""

from __future__ import annotations

import asyncio

import pytest
from django.utils import timezone

from accounts.models import Role
from cases.models import Case
from offices.services import _search_text
from sessions import services as session_services
from tests.processes import daphne, in_thread, wait_for
from tests.scheduling_helpers import future_session
from tests.test_room_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
from tests.test_room_integration import login_cookie, room_env, use_layer

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_citizen_officer_secretary_and_inspector_do_their_jobs_in_chromium(office_tree, make_user, tmp_path, settings):
    chromium_or_skip()
    from playwright.async_api import async_playwright

    commune, province = office_tree["commune011"], office_tree["province01"]
    province.name, province.admin_unit_name = "Ban Tiếp công dân tỉnh Bắc Ninh", "Bắc Ninh"
    province.save()
    commune.name, commune.admin_unit_name = "Điểm tiếp công dân xã Yên Phụ", "Xã Yên Phụ"
    commune.search_text = _search_text(commune.name, commune.admin_unit_name)
    commune.save()
    leader = make_user(Role.LEADER, commune, full_name="Chủ tịch Nguyễn Văn Hòa")
    officer = make_user(Role.RECEPTION_OFFICER, commune, full_name="Cán bộ Lê Thu Hà")
    secretary = make_user(Role.SECRETARY, commune, full_name="Thư ký Phạm Minh")
    inspector = make_user(Role.INSPECTOR, province, full_name="Thanh tra Đỗ Quang")
    citizen = make_user(full_name="Trần Thị Lan", phone="0912000333")
    session = future_session(commune, host=leader, slot_capacity=2, kind="periodic", days_ahead=10,
                             title="Tiếp công dân định kỳ tháng 12")
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)

    with daphne(env, tmp_path / "daphne.log") as base:
        cookies = {user.pk: login_cookie(base, user.username).split("=", 1)[1]
                   for user in (citizen, officer, secretary, inspector)}

        async def scenario():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

                async def page_for(user, viewport):
                    context = await browser.new_context(viewport=viewport, locale="vi-VN")
                    await context.add_cookies([{"name": "sessionid", "value": cookies[user.pk], "url": base}])
                    return await context.new_page()

                async def shot(page, name):
                    await page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=True)

                try:
                    # 1. The citizen, on a phone: "yen phu" finds "Xã Yên Phụ".
                    phone = await page_for(citizen, PHONE)
                    await phone.goto(f"{base}/co-quan/")
                    await phone.fill("#q", "yen phu")
                    await phone.press("#q", "Enter")
                    await phone.click("text=Điểm tiếp công dân xã Yên Phụ")
                    await shot(phone, "1-office-phone")
                    await phone.click(f"a[href*='{session.public_id}']")
                    await phone.check("input[name=slot] >> nth=0")
                    await phone.check("input[name=matter_kind][value=complaint]")
                    await phone.fill("textarea[name=matter_summary]", "Khiếu nại việc thu hồi đất vườn của gia đình.")
                    await shot(phone, "2-register-phone")
                    await phone.click("button:has-text('Gửi đăng ký')")
                    await wait_for(lambda: citizen.registrations.filter(status="confirmed").exists(),
                                   what="the registration")
                    # The session opens on the reception day (the clock jumps to its start).
                    await in_thread(session_services.open_session, session, leader, now=session.starts_at)
                    await phone.goto(f"{base}/cua-toi/dang-ky/")
                    await shot(phone, "3-my-registrations-phone")
                    await phone.click("a.button.primary:has-text('Vào phòng tiếp')")  # the join page
                    await shot(phone, "4-join-phone")
                    await phone.click("a.button.primary:has-text('Vào phòng tiếp')")  # the room's device check
                    await phone.click("#enter")
                    await phone.wait_for_selector("#lobby:not([hidden])", timeout=15_000)
                    await shot(phone, "5-lobby-phone")

                    # 2. The officer admits the citizen from the room's waiting list.
                    desk = await page_for(officer, DESKTOP)
                    await desk.goto(f"{base}/phong/{session.public_id}/")
                    await desk.click("#enter")
                    await desk.wait_for_selector("#room:not([hidden])", timeout=15_000)
                    await desk.click("[data-action='host.admit']", timeout=15_000)
                    await phone.wait_for_selector("#room:not([hidden])", timeout=15_000)
                    await shot(desk, "6-room-officer-desktop")
                    await shot(phone, "7-room-citizen-phone")

                    # 3. The secretary writes the section in the console and creates the case.
                    console = await page_for(secretary, DESKTOP)
                    await console.goto(f"{base}/lam-viec/phien/{session.public_id}/ban-thu-ky/")
                    await console.click("button:has-text('Lập biên bản')")
                    statement = console.locator("textarea[name$=':statement']").first
                    # The editor listens for input only once its script has run (window.minutesEditor is set last).
                    await console.wait_for_function("window.minutesEditor !== undefined", timeout=30_000)
                    await statement.fill("Bà Lan trình bày: đất vườn bị thu hồi nhưng chưa được bồi thường.")
                    await wait_for(lambda: _section_saved(session), what="the autosave")
                    await shot(console, "8-secretary-console-desktop")
                    await console.click("button:has-text('Tạo vụ việc từ phần 1')")
                    case = await wait_for(lambda: Case.objects.filter(session=session).first(), what="the case")

                    # 4. The provincial inspector sees it on the dashboard and drills down to the commune.
                    dashboard = await page_for(inspector, DESKTOP)
                    period = f"from={timezone.localdate() - timezone.timedelta(days=1)}&to={timezone.localdate() + timezone.timedelta(days=30)}"
                    await dashboard.goto(f"{base}/giam-sat/?office={province.code}&{period}")
                    await dashboard.wait_for_selector("canvas", timeout=15_000)
                    text = await dashboard.inner_text("main")
                    assert "Khiếu nại" in text
                    await shot(dashboard, "9-dashboard-province-desktop")
                    await dashboard.click(f"a[href*='office={commune.code}']")
                    assert commune.name in await dashboard.inner_text("main")
                    await shot(dashboard, "10-dashboard-commune-desktop")
                    return case
                finally:
                    await browser.close()

        case = asyncio.run(scenario())
    assert case.kind == "complaint" and case.office_id == commune.pk and case.source == "session"


def _section_saved(session) -> bool:
    from minutes.models import CitizenSection

    return any(s.statement.startswith("Bà Lan") for s in CitizenSection.objects.filter(minutes__session=session))
