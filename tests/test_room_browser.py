"""The browser room page against the real servers: headless Debian Chromium (Playwright, fake camera and
microphone) joins as the leader hosting; an aiortc citizen joins with the join link, and the leader admits
them by clicking. The citizen decodes non-black video from the browser, and the browser's getStats() shows
video frames decoded from the citizen. A screenshot of the room is kept in test-artifacts/."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.processes import daphne, media_worker
from tests.room_helpers import join_token, open_room
from tests.test_media_e2e import MediaClient
from tests.test_room_integration import login_cookie, room_env, use_layer

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--no-sandbox",
                 "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_or_skip() -> None:
    if not (os.path.exists(CHROMIUM) and shutil.which("chromium")):
        message = "Debian's chromium is missing (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


INBOUND_VIDEO_FRAMES = """(pc) => {
  const sub = window.roomState.pcs[pc];
  if (!sub) return 0;
  return sub.getStats().then((report) => {
    let decoded = 0;
    report.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") decoded += s.framesDecoded || 0; });
    return decoded;
  });
}"""


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_chromium_hosts_and_an_aiortc_citizen_is_admitted_and_both_decode_each_other(
        office_tree, make_user, tmp_path, settings):
    chromium_or_skip()
    from playwright.async_api import async_playwright

    room = open_room(office_tree, make_user)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)
    with daphne(env, tmp_path / "daphne.log") as base, media_worker(env, tmp_path / "media.log"):
        cookie = login_cookie(base, room["host"].username).split("=", 1)[1]
        session = str(room["session"].public_id)
        host_pid = f"u{room['host'].pk}"
        citizen = MediaClient("citizen", "blue", token=join_token(room["registrations"][0]))
        citizen.session = session

        async def scenario():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = await browser.new_context(viewport={"width": 412, "height": 915})  # a phone
                await context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                page = await context.new_page()
                console: list[str] = []
                page.on("console", lambda message: console.append(message.text))
                try:
                    await page.goto(f"{base}/phong/{session}/")
                    await page.click("#enter")
                    await page.wait_for_selector("#room:not([hidden])", timeout=15_000)

                    assert (await citizen.open(base))["type"] == "waiting"
                    await page.click("[data-action='host.admit']", timeout=15_000)  # the leader admits
                    await citizen.until(lambda f: f["type"] == "admitted")

                    # The citizen decodes the browser's (fake camera) video: real frames, not black.
                    probe = await citizen.probe(host_pid, "video", timeout=20)
                    deadline = time.monotonic() + 20
                    while not (probe.last_rgb and max(probe.last_rgb) > 40):
                        assert time.monotonic() < deadline, f"no picture from the browser: {probe.describe()}"
                        await asyncio.sleep(0.2)
                    # The browser decodes the citizen's video.
                    deadline = time.monotonic() + 20
                    while await page.evaluate(INBOUND_VIDEO_FRAMES, f"sub:{citizen.pid}") < 10:
                        assert time.monotonic() < deadline, f"the browser decoded nothing; console: {console[-10:]}"
                        await asyncio.sleep(0.3)
                    await page.wait_for_selector(f"figure.tile[data-pid='{citizen.pid}'] video")
                    await page.screenshot(path=str(ARTIFACTS / "room-leader-chromium.png"), full_page=True)
                finally:
                    await citizen.close()
                    await browser.close()

        asyncio.run(scenario())
