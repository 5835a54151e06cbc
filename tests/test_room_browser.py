"""The browser room page against the real servers: headless Debian Chromium (Playwright, fake camera and
microphone) joins as the leader hosting; an aiortc citizen joins with the join link, and the leader admits
them by clicking. The citizen decodes non-black video from the browser, and the browser's getStats() shows
video frames decoded from the citizen. A screenshot of the room is kept in test-artifacts/."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.processes import daphne, media_worker, require_program
from tests.room_helpers import join_token, open_room
from tests.test_media_e2e import MediaClient
from tests.test_room_integration import login_cookie, room_env, use_layer

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--no-sandbox",
                 "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_or_skip() -> None:
    require_program("chromium", "chromium", CHROMIUM)


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


INBOUND = """([pc, kind]) => {
  const sub = window.roomState.pcs[pc];
  if (!sub) return 0;
  return sub.getStats().then((report) => {
    let count = 0;
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === kind) count += kind === "video" ? (s.framesDecoded || 0) : (s.packetsReceived || 0);
    });
    return count;
  });
}"""


async def grows(page, pc: str, kind: str, by: int, timeout: float = 20) -> None:
    start = await page.evaluate(INBOUND, [pc, kind])
    deadline = time.monotonic() + timeout
    while await page.evaluate(INBOUND, [pc, kind]) < start + by:
        assert time.monotonic() < deadline, f"no {kind} arriving on {pc}"
        await asyncio.sleep(0.3)


async def browser_citizen_admitted(playwright, base: str, session: str, host: MediaClient, token: str, frames: list):
    """Chromium opens the join link's room page as the citizen; the aiortc host admits them; returns the page
    once the browser decodes the host's video. ``frames`` collects every frame the page's socket receives."""
    import json

    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = await browser.new_context(viewport={"width": 360, "height": 740})  # a small phone
    page = await context.new_page()
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload))))
    assert (await host.open(base))["type"] == "welcome"
    await page.goto(f"{base}/phong/{session}/?token={token}")
    await page.click("#enter")
    await page.wait_for_selector("#lobby:not([hidden])", timeout=15_000)
    await host.until(lambda f: f["type"] == "lobby.updated" and f["lobby"])
    citizen_pid = next(f for f in host.frames if f["type"] == "lobby.updated" and f["lobby"])["lobby"][0]["pid"]
    await host.send({"type": "host.admit", "id": "a", "participant": citizen_pid})
    await page.wait_for_selector("#room:not([hidden])", timeout=15_000)
    await grows(page, f"sub:{host.pid}", "video", 10)
    return browser, page, citizen_pid


def run_with_chromium_citizen(office_tree, make_user, tmp_path, settings, body) -> None:
    """Daphne, a media worker, an aiortc host and Chromium as the admitted citizen; then ``await body(page,
    host, citizen_pid, frames)`` (``frames``: what the page's socket received)."""
    chromium_or_skip()
    from playwright.async_api import async_playwright

    room = open_room(office_tree, make_user)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    with daphne(env, tmp_path / "daphne.log") as base, media_worker(env, tmp_path / "media.log"):
        host = MediaClient("host", "red", cookie=login_cookie(base, room["host"].username))
        host.session = session = str(room["session"].public_id)
        frames: list[dict] = []

        async def scenario():
            async with async_playwright() as playwright:
                browser, page, citizen_pid = await browser_citizen_admitted(
                    playwright, base, session, host, join_token(room["registrations"][0]), frames)
                try:
                    await body(page, host, citizen_pid, frames)
                finally:
                    await host.close()
                    await browser.close()

        asyncio.run(scenario())


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_chromium_citizen_reconnects_after_the_socket_drops_without_a_new_admission(
        office_tree, make_user, tmp_path, settings):
    """The phone's socket dies mid-session: the page reconnects with its resume token, is welcomed back into
    the room (no lobby, no admission), and media keeps flowing both ways."""

    async def body(page, host, citizen_pid, frames):
        await host.sees_video_from(citizen_pid)
        lobby_entries = sum(1 for f in host.frames if f["type"] == "lobby.updated" and f["lobby"])
        earlier = {id(f) for f in host.frames}  # frames stay in the list: their ids stay theirs
        await page.evaluate("window.roomState.ws.close()")  # the line drops
        deadline = time.monotonic() + 20
        while not any(f["type"] == "welcome" and f.get("resumed") for f in frames):
            assert time.monotonic() < deadline, [f["type"] for f in frames]
            await asyncio.sleep(0.2)
        assert await page.is_visible("#room") and not await page.is_visible("#lobby")
        assert [f["type"] for f in frames].count("admitted") == 1  # admitted once, ever
        # The host saw the citizen's line change — the drop, or only the return when the page resumed before
        # the old socket's drop was recorded (a drop of an older connection then changes nothing) — and never
        # saw them in the lobby again.
        await host.until(lambda f: f["type"] == "participant.updated" and f["participant"]["pid"] == citizen_pid
                         and id(f) not in earlier)
        assert sum(1 for f in host.frames if f["type"] == "lobby.updated" and f["lobby"]) == lobby_entries
        await grows(page, f"sub:{host.pid}", "video", 10)
        await host.sees_video_from(citizen_pid)

    run_with_chromium_citizen(office_tree, make_user, tmp_path, settings, body)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_chromium_citizen_switches_to_audio_only_in_the_room(office_tree, make_user, tmp_path, settings):
    """On a weak line the citizen ticks "audio only" in the room: their camera stops, the server renegotiates,
    the host's offer to them carries no video, and audio still flows both ways."""

    async def body(page, host, citizen_pid, frames):
        offers_before = sum(1 for f in host.frames if f["type"] == "rtc.offer")
        await page.check("#audio-only-room")
        # The browser published again without a camera: the host gets a new offer, audio only.
        offer = await host.until(lambda f: f["type"] == "rtc.offer" and f["pc"] == f"sub:{citizen_pid}"
                                 and sum(1 for g in host.frames[:host.frames.index(f) + 1]
                                         if g["type"] == "rtc.offer") > offers_before)
        assert "m=audio" in offer["sdp"] and "m=video" not in offer["sdp"]
        assert (await page.evaluate("window.roomState.local.getVideoTracks().length")) == 0
        # The browser refused the host's video in its new answer, and still hears the host.
        await grows(page, f"sub:{host.pid}", "audio", 20)
        sub = await page.evaluate(f"window.roomState.pcs['sub:{host.pid}'].localDescription.sdp")
        assert "a=inactive" in sub.split("m=video", 1)[1]
        # The host still hears the citizen (the browser's fake microphone beeps).
        probe = await host.probe(citizen_pid, "audio")
        await probe.wait_for_sound(10)
        await page.screenshot(path=str(ARTIFACTS / "room-citizen-audio-only-chromium.png"), full_page=True)

    run_with_chromium_citizen(office_tree, make_user, tmp_path, settings, body)


# --- Issue 11: consent to unmute; the early citizen enters by itself ----------------------------------------

def _citizen_view(host: MediaClient, pid: str) -> dict:
    """The latest view of ``pid`` the host was told of."""
    views = [f["participant"] for f in host.frames
             if f["type"] in ("participant.updated", "participant.joined") and f["participant"]["pid"] == pid]
    return views[-1] if views else {}


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_ask_to_unmute_never_turns_the_citizens_microphone_on(office_tree, make_user, tmp_path, settings):
    """Consent: the host mutes the citizen, then asks them to unmute. The citizen's page shows the request;
    the microphone stays off — at the server, in the page and on the media (the host hears silence) — until
    the citizen clicks "Bật micrô"; then the host hears them again."""

    async def body(page, host, citizen_pid, frames):
        probe = await host.probe(citizen_pid, "audio")
        await probe.wait_for_sound(15)  # the browser's fake microphone beeps
        await host.send({"type": "host.mute", "id": "m", "participant": citizen_pid, "kind": "audio"})
        await host.until(lambda f: f["type"] == "participant.updated" and f["participant"]["pid"] == citizen_pid
                         and f["participant"]["muted_by_host"])
        await page.wait_for_function("window.roomState.mutedByHost === true", timeout=15_000)
        await host.send({"type": "host.ask_unmute", "id": "u", "participant": citizen_pid})
        await page.wait_for_selector("#unmute-request:not([hidden])", timeout=15_000)
        assert "Bật micrô" in await page.inner_text("#unmute-request")
        await host.until(lambda f: f["type"] == "participant.updated" and f["participant"]["pid"] == citizen_pid
                         and f["participant"].get("unmute_requested"))
        # Asked, not acted: still off everywhere.
        await asyncio.sleep(2)
        view = _citizen_view(host, citizen_pid)
        assert view["audio"] is False and view["muted_by_host"] is True, view
        assert await page.evaluate("window.roomState.micLive") is False
        assert await page.evaluate("window.roomState.local.getAudioTracks().every((t) => !t.enabled)")
        await probe.wait_for_silence(15)
        await page.screenshot(path=str(ARTIFACTS / "room-citizen-unmute-request-360.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
        people = await page.inner_text("#participant-list")
        assert "Chủ trì" in people and "(bạn)" in people  # name · site · role, and oneself
        # The citizen says yes.
        await page.click("#unmute-accept")
        await host.until(lambda f: f["type"] == "participant.updated" and f["participant"]["pid"] == citizen_pid
                         and f["participant"]["audio"] is True and not f["participant"]["muted_by_host"])
        assert await page.evaluate("window.roomState.micLive") is True
        await page.wait_for_selector("#unmute-request[hidden]", state="attached")
        await probe.wait_for_sound(15)

    run_with_chromium_citizen(office_tree, make_user, tmp_path, settings, body)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_an_early_page_says_when_the_room_opens_and_enters_by_itself(office_tree, make_user, tmp_path, settings):
    """The leader opens the room page 5 minutes before the automatic opening: the page says when, in words,
    with the enter button disabled; the room is opened (here by the service, as the beat task or the button
    would) and the page enters by itself, without a reload."""
    chromium_or_skip()
    from datetime import timedelta

    from django.utils import timezone
    from playwright.async_api import async_playwright

    from accounts.models import Role
    from sessions import services as session_services

    settings.SESSION_AUTO_OPEN_MINUTES_BEFORE = 30
    commune = office_tree["commune011"]
    leader = make_user(Role.LEADER, commune, full_name="Chủ tịch Xã")
    starts = (timezone.now() + timedelta(minutes=35)).replace(second=0, microsecond=0)
    session = session_services.create_session(
        by=None, kind="regular", host_office=commune, host=leader, title="Tiếp công dân sớm", starts_at=starts,
        ends_at=starts + timedelta(hours=1), slot_minutes=30, slot_capacity=1, adhoc_reason="")
    session = session_services.publish(session, None, reason="Kiểm thử")
    from scheduling.services import registrations

    citizen = make_user(full_name="Công Dân Đến Sớm")
    registration = registrations.register(citizen=citizen, slot_id=session.slots.first().pk, matter_kind="complaint",
                                          matter_summary="Khiếu nại về bồi thường đất", ignore_deadline=True)
    env = room_env(tmp_path, SESSION_AUTO_OPEN_MINUTES_BEFORE="30")
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)
    with daphne(env, tmp_path / "daphne.log") as base:
        cookie = login_cookie(base, leader.username).split("=", 1)[1]

        async def scenario():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = await browser.new_context(viewport={"width": 360, "height": 740})
                await context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                page = await context.new_page()
                # The citizen on a phone, from the join link of the reminder.
                phone = await browser.new_context(viewport={"width": 360, "height": 740})
                join = await phone.new_page()
                try:
                    await join.goto(f"{base}/tham-gia/{join_token(registration)}/")
                    assert (await join.inner_text("#join-opening-text")).startswith("Phòng mở lúc ")
                    await page.goto(f"{base}/phong/{session.public_id}/")
                    text = await page.inner_text("#opening-text")
                    assert text.startswith("Phòng mở lúc ") and "phút" in text, text
                    assert await page.is_disabled("#enter")
                    await page.screenshot(path=str(ARTIFACTS / "room-early-360.png"), full_page=True)
                    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
                    from asgiref.sync import sync_to_async

                    await sync_to_async(session_services.open_session)(session, leader, now=starts)
                    await page.wait_for_selector("#room:not([hidden])", timeout=40_000)  # polls every ~10 s
                    assert await page.is_hidden("#opening")
                    # The join page went to the room page by itself, which entered the lobby by itself.
                    await join.wait_for_url("**/phong/**", timeout=40_000)
                    await join.wait_for_selector("#lobby:not([hidden])", timeout=20_000)
                    await join.screenshot(path=str(ARTIFACTS / "room-early-citizen-lobby-360.png"), full_page=True)
                finally:
                    await browser.close()

        asyncio.run(scenario())


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_officer_page_refusal_needs_a_chosen_ground_and_a_confirmation(office_tree, make_user, tmp_path, settings):
    """An officer's room page on a phone: no "Kết thúc buổi tiếp" (host.end is the host's), the lock button
    (the officer may); refusing needs an explicitly chosen ground and a confirmation — dismissing it sends
    nothing; no media worker runs, and the page says so in words."""
    chromium_or_skip()
    from playwright.async_api import async_playwright

    room = open_room(office_tree, make_user)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)
    with daphne(env, tmp_path / "daphne.log") as base:
        cookie = login_cookie(base, room["officer"].username).split("=", 1)[1]
        session = str(room["session"].public_id)
        citizen = MediaClient("citizen", "blue", token=join_token(room["registrations"][0]))
        citizen.session = session

        async def scenario():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = await browser.new_context(viewport={"width": 360, "height": 740})
                await context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                page = await context.new_page()
                try:
                    await page.goto(f"{base}/phong/{session}/")
                    await page.click("#enter")
                    await page.wait_for_selector("#room:not([hidden])", timeout=15_000)
                    assert await page.is_hidden("#end") and await page.is_visible("#lock-toggle")
                    assert await page.is_hidden("#record-toggle")  # host.recording is the host's too
                    assert (await citizen.open(base))["type"] == "waiting"
                    await page.wait_for_selector("[data-action='host.refuse']", timeout=15_000)
                    select = page.locator("#waiting-list select")
                    assert await select.input_value() == ""  # nothing pre-selected
                    await page.click("[data-action='host.refuse']")
                    assert "căn cứ" in await page.inner_text("#room-status")
                    await select.select_option("threats_or_insults")
                    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.dismiss()))
                    await page.click("[data-action='host.refuse']")
                    await asyncio.sleep(1)
                    assert not any(f["type"] == "refused" for f in citizen.frames)
                    # No media worker: the page says so (after 12 s without media.ready).
                    await page.wait_for_selector("#media-status:not([hidden])", timeout=30_000)
                    assert "máy chủ hình ảnh và âm thanh" in await page.inner_text("#media-status")
                    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
                    await page.screenshot(path=str(ARTIFACTS / "room-officer-360.png"), full_page=True)
                    messages: list[str] = []

                    async def accept(dialog):
                        messages.append(dialog.message)
                        await dialog.accept()

                    page.once("dialog", lambda dialog: asyncio.ensure_future(accept(dialog)))
                    await page.click("[data-action='host.refuse']")
                    refused = await citizen.until(lambda f: f["type"] == "refused")
                    assert refused["ground"] == "threats_or_insults" and "Không thể hoàn tác" in messages[0]
                finally:
                    await citizen.close()
                    await browser.close()

        asyncio.run(scenario())
