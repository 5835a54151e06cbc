"""Issue 11: a leader holds a three-tier reception from the pages alone, in Debian's Chromium, against real
Daphne, Redis and PostgreSQL. Every step is a page: sign-in, forms, links and buttons — no API call, no
service call, no shell. (The one exception is in the second test: the room is opened by the beat task's
code, since beat is not a person.)

1. A commune leader (desktop) signs in, creates an ad-hoc session starting in a few minutes, connects the
   provincial and the central sites from the office search, and publishes it (late: the page asks why).
2. A citizen (phone, 360 px) finds it on the public schedule and registers.
3. The room opens: by the leader's button (test 1) or by beat (test 2).
4. The citizen waits in the lobby; the provincial and the central leaders enter from their own workspaces;
   the host admits the citizen.
5. The secretary reaches the console from her workspace, writes the section, creates the case and locks the
   minutes (confirming the dialog); the citizen confirms the minutes in the room.
6. The host ends the reception (confirming); the session shows as held; the provincial inspector sees it on
   the dashboard.

Screenshots at 360 and 1280 px go to test-artifacts/three-tiers-*.png.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from cases.models import Case
from offices.services import _search_text
from sessions.models import ReceptionSession
from tests.processes import daphne, in_thread, wait_for
from tests.test_room_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
from tests.test_room_integration import PASSWORD, room_env, use_layer

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
WAIT = 30_000  # ms: a loaded machine


def _name(office, name, unit):
    office.name, office.admin_unit_name = name, unit
    office.search_text = _search_text(name, unit)
    office.save()


def _cast(office_tree, make_user):
    commune, province, central = office_tree["commune011"], office_tree["province01"], office_tree["central"]
    _name(commune, "Điểm tiếp công dân xã Yên Phụ", "Xã Yên Phụ")
    _name(province, "Ban Tiếp công dân tỉnh Bắc Ninh", "Bắc Ninh")
    _name(central, "Trụ sở Tiếp công dân Trung ương", "Trung ương")
    return {
        "commune": commune, "province": province, "central": central,
        "leader": make_user(Role.LEADER, commune, full_name="Chủ tịch Nguyễn Văn Hòa"),
        "officer": make_user(Role.RECEPTION_OFFICER, commune, full_name="Cán bộ Lê Thu Hà"),
        "secretary": make_user(Role.SECRETARY, commune, full_name="Thư ký Phạm Minh"),
        "province_leader": make_user(Role.LEADER, province, full_name="Phó Trưởng ban Trần Bắc"),
        "central_leader": make_user(Role.LEADER, central, full_name="Phó Trưởng ban Lý Trung"),
        "inspector": make_user(Role.INSPECTOR, province, full_name="Thanh tra Đỗ Quang"),
        "citizen": make_user(full_name="Trần Thị Lan", phone="0912000333"),
    }


def _section_saved(session) -> bool:
    from minutes.models import CitizenSection

    return any(s.statement.startswith("Bà Lan") for s in CitizenSection.objects.filter(minutes__session=session))


def _minutes_state(session) -> str:
    from minutes.models import Minutes

    minutes = Minutes.objects.filter(session=session).first()
    return minutes.state if minutes else ""


def _citizen_confirmed(session) -> bool:
    from minutes.models import CitizenSection

    return CitizenSection.objects.filter(minutes__session=session, citizen_confirmed_at__isnull=False).exists()


def _reception_times(now):
    """A reception starting soon enough that its room may open now (SESSION_OPEN_EARLY_MINUTES, 60, before
    the start) and late enough for the citizen to register (until 5 minutes before), within one day (the
    form takes one date). Near midnight it ends at 23:59 or starts at midnight."""
    start = (now + timedelta(minutes=20)).replace(second=0, microsecond=0)
    end = start + timedelta(minutes=60)
    if end.date() == start.date():
        return start, end
    last = start.replace(hour=23, minute=59)
    if last - start >= timedelta(minutes=30):  # one 30-minute slot still fits today
        return start, last
    midnight = (start + timedelta(days=1)).replace(hour=0, minute=0)  # the room may open from 23:00
    return midnight, midnight + timedelta(minutes=60)


def test_reception_times_fit_one_day_near_midnight():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    for hour, minute in [(9, 0), (22, 30), (23, 5), (23, 15), (23, 45), (23, 59)]:
        now = datetime(2026, 12, 3, hour, minute, 30, tzinfo=tz)
        start, end = _reception_times(now)
        assert start.date() == end.date() and end - start >= timedelta(minutes=30)
        assert now + timedelta(minutes=15) <= start <= now + timedelta(minutes=60)


def _run(office_tree, make_user, tmp_path, settings, *, open_by: str, full: bool):
    chromium_or_skip()
    from playwright.async_api import async_playwright

    cast = _cast(office_tree, make_user)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)
    start, end = _reception_times(timezone.localtime())
    prefix = f"three-tiers-{open_by}"

    with daphne(env, tmp_path / "daphne.log") as base:
        async def scenario():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

                async def signed_in(user, viewport, next_path="/lam-viec/lich/"):
                    context = await browser.new_context(viewport=viewport, locale="vi-VN")
                    page = await context.new_page()
                    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
                    await page.goto(f"{base}/dang-nhap/?next={next_path}")
                    await page.fill("input[name=identifier]", user.username)
                    await page.fill("input[name=password]", PASSWORD)
                    await page.click("main button[type=submit]:has-text('Đăng nhập')")
                    await page.wait_for_url(f"{base}{next_path}*", timeout=WAIT)
                    return page

                async def shot(page, name, both=True):
                    """The page at its own width, and (both) at the other one."""
                    size = page.viewport_size
                    await page.screenshot(path=str(ARTIFACTS / f"{prefix}-{name}-{size['width']}.png"), full_page=True)
                    if both:
                        other = PHONE if size["width"] > 360 else DESKTOP
                        await page.set_viewport_size(other)
                        await page.screenshot(path=str(ARTIFACTS / f"{prefix}-{name}-{other['width']}.png"),
                                              full_page=True)
                        width = await page.evaluate("document.documentElement.scrollWidth")
                        assert width <= other["width"], f"{name}: {width}px wide at {other['width']}px"
                        await page.set_viewport_size(size)

                try:
                    # 1. The commune leader creates the ad-hoc session from the workspace.
                    leader = await signed_in(cast["leader"], DESKTOP)
                    await leader.click("a:has-text('Tạo phiên tiếp')")
                    await leader.check("input[name=kind][value=adhoc]")
                    await leader.check("input[name=adhoc_reason][value=many_people]")
                    await leader.fill("input[name=title]", "Tiếp đột xuất: đối thoại về bồi thường đất")
                    await leader.select_option("select[name=host]", str(cast["leader"].pk))
                    await leader.fill("input[name=day]", start.date().isoformat())
                    await leader.fill("input[name=start_time]", start.strftime("%H:%M"))
                    await leader.fill("input[name=end_time]", end.strftime("%H:%M"))
                    await leader.fill("input[name=slot_minutes]", "30")
                    await leader.fill("input[name=slot_capacity]", "2")
                    await shot(leader, "1-create")
                    await leader.click("form.session-create-form button[type=submit]")
                    await leader.wait_for_selector("#sites", timeout=WAIT)
                    session = await wait_for(lambda: ReceptionSession.objects.filter(host=cast["leader"]).first(),
                                             what="the session")
                    # Connect the provincial site (with its responsible leader) and the central one,
                    # searching without diacritics.
                    for query, office, responsible in (("bac ninh", cast["province"], cast["province_leader"]),
                                                       ("tru so trung uong", cast["central"], None)):
                        await leader.fill("#site-q", query)
                        await leader.click("form[role=search] button[type=submit]")
                        result = leader.locator("form.site-result", has_text=office.name)
                        await result.wait_for(timeout=WAIT)
                        if responsible is not None:
                            await result.locator("select[name=responsible]").select_option(str(responsible.pk))
                        await result.locator("button[type=submit]").click()
                        await leader.wait_for_selector(f"#sites li:has-text('{office.name}')", timeout=WAIT)
                    await shot(leader, "2-sites")
                    # Publishing today is late: the page asks for the reason.
                    await leader.fill("textarea[name=reason] >> nth=0", "Vụ việc đông người, cần tiếp ngay trong ngày")
                    await leader.click("#publish")
                    await leader.wait_for_selector(".badge-published", timeout=WAIT)
                    await shot(leader, "3-published")

                    # 2. The citizen (phone) finds it on the public schedule and registers.
                    phone = await signed_in(cast["citizen"], PHONE, next_path="/co-quan/")
                    await phone.fill("#q", "yen phu")
                    await phone.press("#q", "Enter")
                    await phone.click("text=Điểm tiếp công dân xã Yên Phụ")
                    await phone.click(f"a[href*='{session.public_id}']")
                    await phone.check("input[name=slot] >> nth=0")
                    await phone.check("input[name=matter_kind][value=complaint]")
                    await phone.fill("textarea[name=matter_summary]", "Khiếu nại việc thu hồi đất vườn của gia đình.")
                    await shot(phone, "4-register", both=False)
                    await phone.click("button:has-text('Gửi đăng ký')")
                    await wait_for(lambda: cast["citizen"].registrations.filter(status="confirmed").exists(),
                                   what="the registration")

                    # 3. The room opens.
                    if open_by == "button":
                        await leader.reload()
                        await leader.click("#open-room")
                    else:
                        from sessions import tasks as session_tasks

                        assert await in_thread(session_tasks.auto_open_sessions) == 1
                        assert await in_thread(session_tasks.auto_open_sessions) == 0
                        await leader.reload()
                    await leader.wait_for_selector(".badge-open", timeout=WAIT)
                    await shot(leader, "5-open")

                    # 4. The citizen waits in the lobby; the host and the other tiers enter.
                    await phone.goto(f"{base}/cua-toi/dang-ky/")
                    await phone.click("a.button.primary:has-text('Vào phòng tiếp')")  # the join page
                    await phone.click("a.button.primary:has-text('Vào phòng tiếp')")  # the room's device check
                    await phone.click("#enter")
                    await phone.wait_for_selector("#lobby:not([hidden])", timeout=WAIT)
                    await shot(phone, "6-lobby", both=False)

                    await leader.click("a.button.primary:has-text('Vào phòng tiếp')")
                    await leader.click("#enter")
                    await leader.wait_for_selector("#room:not([hidden])", timeout=WAIT)

                    for who in ("province_leader", "central_leader"):
                        page = await signed_in(cast[who], DESKTOP)
                        await page.click("#site-sessions a:has-text('Vào phòng tiếp')")
                        await page.click("#enter")
                        await page.wait_for_selector("#room:not([hidden])", timeout=WAIT)
                        await shot(page, f"7-room-{who}", both=False)
                        if not full:
                            await page.context.close()
                        else:
                            cast[f"{who}_page"] = page

                    await leader.click("[data-action='host.admit']", timeout=WAIT)
                    await phone.wait_for_selector("#room:not([hidden])", timeout=WAIT)
                    await shot(leader, "8-room-host", both=False)
                    await shot(phone, "9-room-citizen", both=False)
                    if not full:
                        return session, None

                    # 5. The secretary, from her workspace: console, section, case, lock.
                    console = await signed_in(cast["secretary"], DESKTOP)
                    await console.click(f"a[href*='{session.public_id}/ban-thu-ky/']")
                    await console.click("button:has-text('Lập biên bản')")
                    statement = console.locator("textarea[name$=':statement']").first
                    # The editor listens for input only once its script has run (window.minutesEditor is set last).
                    await console.wait_for_function("window.minutesEditor !== undefined", timeout=WAIT)
                    await statement.fill("Bà Lan trình bày: đất vườn bị thu hồi nhưng chưa được bồi thường.")
                    await wait_for(lambda: _section_saved(session), timeout=60, what="the autosave")
                    await shot(console, "10-console")
                    await console.click("button:has-text('Tạo vụ việc từ phần 1')")
                    case = await wait_for(lambda: Case.objects.filter(session=session).first(), what="the case")
                    await console.wait_for_load_state()
                    await console.check("#finalize-form input[name=confirm]")  # the required confirmation box
                    await console.click("button:has-text('Khóa biên bản')")  # the dialog is accepted
                    await wait_for(lambda: _minutes_state(session) == "final", timeout=60, what="the lock")

                    # The citizen confirms the locked minutes in the room (the page polls for them).
                    await phone.click("button.confirm-minutes", timeout=60_000)
                    await wait_for(lambda: _citizen_confirmed(session), timeout=60, what="the confirmation")
                    await shot(phone, "11-confirmed", both=False)

                    # 6. The host ends the reception from the session page; it shows as held.
                    await leader.goto(f"{base}/lam-viec/phien/{session.public_id}/")
                    await leader.click("#close-reception")  # the dialog is accepted
                    await leader.wait_for_selector(".badge-held", timeout=WAIT)
                    await shot(leader, "12-held")

                    # The provincial inspector sees it on the dashboard.
                    dashboard = await signed_in(cast["inspector"], DESKTOP, next_path="/")
                    await dashboard.click("nav a:has-text('Giám sát')")
                    await dashboard.wait_for_selector("canvas", timeout=WAIT)
                    held = dashboard.locator(".kpis li", has_text="phiên tiếp đã tổ chức").locator(".kpi-value")
                    assert (await held.inner_text()).strip() == "1"
                    await shot(dashboard, "13-dashboard")
                    return session, case
                finally:
                    await browser.close()

        session, case = asyncio.run(scenario())
    session.refresh_from_db()
    return cast, session, case


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_commune_leader_holds_a_three_tier_reception_from_pages_alone(office_tree, make_user, tmp_path, settings):
    cast, session, case = _run(office_tree, make_user, tmp_path, settings, open_by="button", full=True)
    assert session.status == "held" and session.kind == "adhoc" and session.late_publication_reason
    assert set(session.sites.values_list("office__code", flat=True)) == {"X01001", "T01", "TW"}
    assert session.sites.get(office__code="T01").responsible == cast["province_leader"]
    assert session.events.get(kind="opened").actor == cast["leader"]
    assert session.events.get(kind="held").actor == cast["leader"]
    assert case.kind == "complaint" and case.office_id == cast["commune"].pk and case.source == "session"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_room_opened_by_beat_lets_the_three_tiers_in(office_tree, make_user, tmp_path, settings):
    cast, session, _case = _run(office_tree, make_user, tmp_path, settings, open_by="beat", full=False)
    assert session.status == "open"
    assert session.events.get(kind="opened").actor is None
