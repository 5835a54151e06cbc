"""The staff pages in Chromium at phone and desktop widths: each loads, fits a 360 px screen without
sideways scrolling, and is saved as a screenshot (test-artifacts/staff-*.png) — the leader's workspace and
calendar, the case inbox, the minutes editor and the secretary's console, the room and the dashboard."""

from __future__ import annotations

import pytest

from minutes import services as minutes_services
from tests.cases_helpers import make_case
from tests.processes import daphne
from tests.room_helpers import open_room
from tests.test_room_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
from tests.test_room_integration import login_cookie, room_env, use_layer

WIDTHS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
FITS = "() => document.scrollingElement.scrollWidth <= window.innerWidth + 1"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_staff_pages_fit_a_phone_and_a_desktop(office_tree, make_user, tmp_path, settings):
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    room = open_room(office_tree, make_user)
    session, leader, secretary = room["session"], room["host"], room["secretary"]
    minutes = minutes_services.open_minutes(session, secretary)
    minutes_services.add_section(minutes, secretary, citizen_name="Vũ Thị Mai", kind="petition",
                                 statement="Kiến nghị sửa đường liên xã.")
    make_case(office_tree["commune011"], by=room["officer"], kind="complaint")
    pages = {
        leader: [("workspace", "/lam-viec/lich/"), ("leader-calendar", f"/lam-viec/lanh-dao/{leader.pk}/"),
                 ("case-inbox", "/lam-viec/vu-viec/"), ("room-host", f"/phong/{session.public_id}/")],
        secretary: [("minutes-editor", f"/lam-viec/phien/{session.public_id}/bien-ban/"),
                    ("secretary-console", f"/lam-viec/phien/{session.public_id}/ban-thu-ky/")],
    }
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)
    with daphne(env, tmp_path / "daphne.log") as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            too_wide = []
            for user, urls in pages.items():
                cookie = login_cookie(base, user.username).split("=", 1)[1]
                for width, viewport in WIDTHS.items():
                    context = browser.new_context(viewport=viewport)
                    context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                    page = context.new_page()
                    for name, path in urls:
                        response = page.goto(base + path)
                        assert response.status == 200, (name, response.status)
                        if width == "phone" and not page.evaluate(FITS):
                            too_wide.append(name)
                        page.screenshot(path=str(ARTIFACTS / f"staff-{name}-{width}.png"), full_page=True)
                    context.close()
            assert not too_wide, f"pages scrolling sideways on a 360 px phone: {too_wide}"
        finally:
            browser.close()
