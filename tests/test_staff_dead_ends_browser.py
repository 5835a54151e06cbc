"""Issue 11, item 10 in Chromium, on pages only: the secretary downloads the reception log (form 03) from her
workspace on a phone (and sees a form error for reversed dates); the office administrator edits the office's
reception hours and the public office page shows them; the favicon is served. Screenshots at 360 and
1280 px in test-artifacts/ (issue11-*.png); no page scrolls sideways on a 360 px phone, and axe-core finds no
serious or critical violation on them."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from accounts.models import Role
from minutes import services as minutes_services
from tests.processes import daphne
from tests.room_helpers import open_room
from tests.test_accessibility import BLOCKING, run_axe
from tests.test_room_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
from tests.test_room_integration import login_cookie, room_env, use_layer

WIDTHS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
FITS = "() => document.scrollingElement.scrollWidth <= window.innerWidth + 1"
CITIZEN = "Vũ Thị Mai"
HOURS = "Sáng thứ Hai đến thứ Sáu, 7 giờ 30 – 11 giờ 30"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_reception_log_and_office_hours_from_the_pages(office_tree, make_user, tmp_path, settings):
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    room = open_room(office_tree, make_user)
    session, secretary = room["session"], room["secretary"]
    minutes = minutes_services.open_minutes(session, secretary)
    minutes_services.add_section(minutes, secretary, citizen_name=CITIZEN, kind="petition",
                                 statement="Kiến nghị sửa đường liên xã.")
    commune = office_tree["commune011"]
    admin = make_user(Role.OFFICE_ADMIN, commune, full_name="Quản Trị Xã")
    day = session.starts_at.date()
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)
    too_wide, blocking = [], []
    with daphne(env, tmp_path / "daphne.log") as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            def context_for(user, width):
                context = browser.new_context(viewport=WIDTHS[width], accept_downloads=True)
                cookie = login_cookie(base, user.username).split("=", 1)[1]
                context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                return context

            def shot(page, name, width):
                if width == "phone" and not page.evaluate(FITS):
                    too_wide.append(name)
                blocking.extend(f"[{width}] {name}: {v['impact']} {v['id']} {v['nodes']}" for v in run_axe(page)
                                if v["impact"] in BLOCKING)
                page.screenshot(path=str(ARTIFACTS / f"issue11-{name}-{width}.png"), full_page=True)

            for width in WIDTHS:
                # The secretary: workspace → reception log → reversed dates (error) → a period → XLSX.
                context = context_for(secretary, width)
                page = context.new_page()
                page.goto(base + "/lam-viec/lich/")
                page.click('a[data-link="reception-log"]')
                page.wait_for_selector("#reception-log-form")
                shot(page, "reception-log", width)
                page.select_option("#id_period", "custom")
                page.fill("#id_from", day.isoformat())
                page.fill("#id_to", day.replace(day.year - 1).isoformat())
                page.click("#reception-log-form button[type=submit]")
                page.wait_for_selector("#id_to_error")
                assert "Ngày kết thúc phải sau" in page.inner_text("#id_to_error")
                shot(page, "reception-log-error", width)
                page.fill("#id_to", day.isoformat())
                page.check("input[name=format][value=xlsx]")
                with page.expect_download() as download_info:
                    page.click("#reception-log-form button[type=submit]")
                download = download_info.value
                assert download.suggested_filename.endswith(".xlsx")
                sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read()), read_only=True).active
                assert any(CITIZEN in str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell)
                context.close()

                # The office administrator: office page → edit → save → the public page shows the hours.
                context = context_for(admin, width)
                page = context.new_page()
                page.goto(base + f"/co-quan/{commune.code}/")
                page.click('a[data-link="office-contact"]')
                page.wait_for_selector("#id_reception_hours")
                shot(page, "office-contact", width)
                page.fill("#id_phone", "024 3000 0003")
                page.fill("#id_reception_hours", HOURS)
                page.click("main button[type=submit]")
                page.wait_for_selector("#reception-info")
                assert HOURS in page.inner_text("#reception-info")
                shot(page, "office-page", width)
                context.close()

            # Anyone: the office page shows the hours; the favicon is served.
            context = browser.new_context(viewport=WIDTHS["phone"])
            page = context.new_page()
            page.goto(base + f"/co-quan/{commune.code}/")
            assert HOURS in page.inner_text("#reception-info") and "024 3000 0003" in page.inner_text("main")
            assert page.locator('a[data-link="office-contact"]').count() == 0  # no edit link for the public
            icon = page.goto(base + "/favicon.ico")
            assert icon.status == 200 and "svg" in (icon.headers.get("content-type") or "")
            context.close()
        finally:
            browser.close()
    assert not too_wide, f"pages scrolling sideways on a 360 px phone: {too_wide}"
    assert not blocking, "serious or critical axe violations:\n" + "\n".join(blocking)
