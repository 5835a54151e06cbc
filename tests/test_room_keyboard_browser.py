"""The room by keyboard alone, with what a screen reader hears (issue 17): in Chromium, a host who uses
only Tab, Enter and Space enters the room, hears a citizen arrive in the lobby, admits her, mutes her
microphone and ends the reception; the citizen (keyboard too) hears that she was admitted, muted and that
the reception ended. What is heard is the text of the polite live region ``#announcer``; every control is
reached with Tab (bounded), never clicked."""

from __future__ import annotations

import pytest

from tests.processes import daphne
from tests.room_helpers import join_token, open_room
from tests.test_room_browser import CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
from tests.test_room_integration import login_cookie, room_env, use_layer

WAIT_MS = 20_000
MAX_TABS = 120
FOCUSED = "(selector) => { const el = document.querySelector(selector); return !!el && el === document.activeElement; }"


def tab_to(page, selector: str) -> None:
    """Press Tab until ``selector`` has the focus (at most MAX_TABS presses): the control is reachable."""
    page.wait_for_selector(selector, state="visible", timeout=WAIT_MS)
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED, selector):
            return
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def hears(page, words: str) -> None:
    """The live region says ``words`` (within a generous wait)."""
    page.wait_for_function("(words) => document.getElementById('announcer').textContent.includes(words)",
                           arg=words, timeout=WAIT_MS)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_keyboard_only_host_admits_mutes_and_ends_and_both_hear_it(office_tree, make_user, tmp_path, settings):
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    room = open_room(office_tree, make_user)
    session, host_user = room["session"], room["host"]
    token = join_token(room["registrations"][0])
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    with daphne(env, tmp_path / "daphne.log") as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            host_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            host_ctx.add_cookies([{"name": "sessionid", "value": login_cookie(base, host_user.username).split("=", 1)[1],
                                   "url": base}])
            host = host_ctx.new_page()
            host.on("dialog", lambda dialog: dialog.accept())  # "end the reception?" answered with Enter
            host.goto(base + f"/phong/{session.public_id}/")
            tab_to(host, "#enter")
            host.keyboard.press("Enter")
            host.wait_for_selector("#host-controls:not([hidden])", timeout=WAIT_MS)

            citizen = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
            citizen.goto(base + f"/phong/{session.public_id}/?token={token}")
            tab_to(citizen, "#enter")
            citizen.keyboard.press("Enter")
            citizen.wait_for_selector("#lobby:not([hidden])", timeout=WAIT_MS)

            hears(host, "đang chờ trong phòng chờ")
            tab_to(host, "#waiting-list button[data-action='host.admit']")
            assert "Mời vào" in host.evaluate("() => document.activeElement.getAttribute('aria-label')")
            host.keyboard.press("Enter")
            hears(citizen, "Bạn đã được mời vào phòng tiếp.")
            hears(host, "đã vào phòng")
            # The admitted citizen's button is gone: the focus stays in the host controls, not on <body>.
            assert host.evaluate("() => document.activeElement !== document.body")

            mute = "#participant-list button[data-action='host.mute'][data-kind='audio']"
            tab_to(host, mute)
            host.keyboard.press("Space")
            hears(citizen, "Cán bộ chủ trì đã tắt micrô của bạn.")
            hears(host, "Đã tắt micrô của")
            assert host.evaluate("() => document.activeElement.closest('#participant-list') !== null"), \
                "the focus stays on the participant's controls after the list is redrawn"
            assert citizen.locator("#mic-state").inner_text() == "Cán bộ chủ trì đã tắt micrô của bạn."

            tab_to(host, "#end")
            host.keyboard.press("Enter")
            hears(citizen, "Buổi tiếp đã kết thúc.")
            hears(host, "Buổi tiếp đã kết thúc.")
        finally:
            browser.close()
    session.refresh_from_db()  # outside Playwright's event loop
    assert session.status == "held"
