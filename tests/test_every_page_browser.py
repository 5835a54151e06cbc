"""Every page of every demo role to the citizen pages' standard (issue 17): axe-core (the vendored
tests/assets/axe.min.js) in Debian's Chromium at 360 and 1280 px, **0 violations of any impact**, and no
page scrolls sideways at 360 px. The pages come from one table, tests/site_map.py (``PAGES``, one list per
role: add new pages there). The live room is checked in its three states: a citizen in the lobby, the host
with the lobby open in the host controls, and both in the room. Screenshots: test-artifacts/every-*.png."""

from __future__ import annotations

import pytest

from tests.processes import daphne
from tests.site_map import LOGINS, PAGES, build_demo_site
from tests.test_accessibility import run_axe
from tests.test_room_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
from tests.test_room_integration import PASSWORD, login_cookie, room_env, use_layer

WIDTHS = {"360": {"width": 360, "height": 740}, "1280": {"width": 1280, "height": 900}}
SIDEWAYS = "() => document.scrollingElement.scrollWidth - window.innerWidth"
WAIT_MS = 20_000  # generous: the machine is shared


def check(page, label: str, width: str, problems: list[str]) -> None:
    """axe-core on the page as it is now, and (at 360 px) no sideways scrolling."""
    for v in run_axe(page):
        problems.append(f"[{width}px] {label}: {v['impact']} {v['id']} — {v['help']} {v['nodes']}")
    if width == "360":
        overflow = page.evaluate(SIDEWAYS)
        if overflow > 1:
            problems.append(f"[{width}px] {label}: scrolls sideways by {overflow} px")
    page.screenshot(path=str(ARTIFACTS / f"every-{label}-{width}.png"), full_page=True)


def room_states(browser, base, site, cookies, viewport, width, problems) -> None:
    """The host enters, the demo citizen waits in the lobby, the host admits her: axe at each step."""
    host_ctx = browser.new_context(viewport=viewport)
    host_ctx.add_cookies([{"name": "sessionid", "value": cookies["leader"], "url": base}])
    citizen_ctx = browser.new_context(viewport=viewport)
    try:
        host = host_ctx.new_page()
        host.goto(base + f"/phong/{site.session}/")
        host.click("#enter")
        host.wait_for_selector("#host-controls:not([hidden])", timeout=WAIT_MS)
        citizen = citizen_ctx.new_page()
        citizen.goto(base + f"/phong/{site.session}/?token={site.token}")
        citizen.click("#enter")
        citizen.wait_for_selector("#lobby:not([hidden])", timeout=WAIT_MS)
        check(citizen, "room-lobby", width, problems)
        admit = host.wait_for_selector("#waiting-list button[data-action='host.admit']", timeout=WAIT_MS)
        check(host, "room-host-controls", width, problems)
        admit.click()
        citizen.wait_for_selector("#room:not([hidden])", timeout=WAIT_MS)
        host.wait_for_selector("#participant-list button[data-action='host.mute']", timeout=WAIT_MS)
        check(citizen, "room-citizen-inside", width, problems)
        check(host, "room-host-inside", width, problems)
    finally:
        host_ctx.close()
        citizen_ctx.close()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(1200)  # ~60 pages × axe × screenshots, on a shared 2-core machine
@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_of_every_role_has_no_axe_violations_and_fits_a_phone(width, tmp_path, settings):
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    site = build_demo_site(PASSWORD)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    viewport = WIDTHS[width]
    with daphne(env, tmp_path / "daphne.log") as base, sync_playwright() as playwright:
        cookies = {role: login_cookie(base, login).split("=", 1)[1] for role, login in LOGINS.items() if login}
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for role, pages in PAGES.items():
                context = browser.new_context(viewport=viewport)
                if role in cookies:
                    context.add_cookies([{"name": "sessionid", "value": cookies[role], "url": base}])
                page = context.new_page()
                for name, template in pages:
                    response = page.goto(base + site.path(template))
                    if response is None or response.status != 200:
                        problems.append(f"[{width}px] {role}/{name}: HTTP {response and response.status}")
                        continue
                    check(page, f"{role}-{name}", width, problems)
                    if width == "360" and name in ("home", "workspace"):  # the phone menu, opened
                        page.click("details.menu > summary")
                        check(page, f"{role}-{name}-menu", width, problems)
                context.close()
            room_states(browser, base, site, cookies, viewport, width, problems)
        finally:
            browser.close()
    for line in problems:
        print(line)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
