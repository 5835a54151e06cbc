"""A citizen on a weak line in a four-tier room (issue 15; docs/media.md, "Weak lines").

Daphne and a media worker as processes (tests/processes.py), four aiortc clients in this process: the commune
leader hosting, a provincial leader, the central office's leader, and the citizen, whose every connection
crosses the impairing relay (tests/tools/udp_impair.py). The clients are tests/weak_line.py's: Opus at a
browser's 32 kbit/s with FEC, a 15 fps camera that obeys ``media.uplink``, and receivers that keep every
frame's own media timestamp without decoding (``EncodedProbe``). Audio delivery and holes are counted on
those timestamps, never on the wall clock of the (shared, loaded) machine.

1. 300 kbit/s, 200 ms RTT, 2 % loss both ways. The measured window starts once the citizen's level has
   settled (no ``media.quality`` for a few seconds): the congestion onset when three pictures first meet the
   line is the worker's to cut short (a full queue steps down at once), not part of the steady state a
   person hears (docs/media.md, "Tests"). Then, both ways, ≥ 95 % of audio frames and no hole > 400 ms; the
   other three never get a level below ``full`` and keep receiving everyone's sound and pictures.
2. 10 % loss: the citizen gets ``audio`` (no picture frame afterwards, sound goes on); the host is told the
   citizen's line is weak (``media.line``).
3. The line recovers: ``full`` again, and the host's picture reaches the citizen within 10 s of the recovery.

**Quarantined** (marker ``quarantine``; run it with ``make test-quarantine``): issue 15 is open because this
proof does not hold reliably yet — it passed runs 31–36 in a row at load 1.8–3.3, but 2 of 4 runs at load
4–6 lost 5–7 % of the citizen's sound to a burst at a settled level (docs/benchmarks.md, "Weak lines").
It stays out of ``make test`` (and CI) until the worker paces its forwarding; the thresholds are not lowered.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.processes import daphne, media_worker
from tests.room_helpers import join_token
from tests.test_media_e2e import open_room_with_every_tier
from tests.test_room_integration import login_cookie, room_env, use_layer
from tests.tools.udp_impair import Direction, Line
from tests.weak_line import ImpairedClient, LineClient, audio_delivery, browser_like_opus

RATE_BPS, DELAY, LOSS = 300_000, 0.100, 0.02  # 300 kbit/s, 100 ms each way (200 ms RTT), 2 % each way
SETTLED = 10.0  # seconds without a level change (> 2 s to decide + 3 s between steps + reports): settled
WINDOW = 20.0  # seconds of media measured in phase 1 (1000 audio frames per pair)
TIMEOUT = 60.0  # generous: the machine is shared


async def settled(client: LineClient, quiet: float = SETTLED, timeout: float = 120.0) -> str | None:
    """Wait until ``client`` got no ``media.quality`` for ``quiet`` seconds; its level then."""
    deadline = time.monotonic() + timeout
    count, since = len(client.levels()), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, f"{client.name}: the level never settled: {client.levels()}"
        await asyncio.sleep(0.25)
        if len(client.levels()) != count:
            count, since = len(client.levels()), time.monotonic()
    levels = client.levels()
    return levels[-1] if levels else None


async def level(client: LineClient, name: str, after: int, timeout: float = TIMEOUT) -> float:
    """Wait for ``media.quality`` ``name`` among the frames after index ``after``; return when it was seen."""
    deadline = time.monotonic() + timeout
    while not any(f["type"] == "media.quality" and f["level"] == name for f in client.frames[after:]):
        assert time.monotonic() < deadline, f"{client.name}: no {name} within {timeout}s: {client.levels()}"
        await asyncio.sleep(0.1)
    return time.monotonic()


def since(probe, at: float) -> list[tuple[int, float]]:
    return [(pts, arrived) for pts, arrived in probe.stamps if arrived >= at]


@pytest.mark.quarantine
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_citizen_on_a_weak_line_keeps_the_sound_loses_the_picture_and_gets_it_back(
        office_tree, make_user, tmp_path, settings):
    room = open_room_with_every_tier(office_tree, make_user)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    restore_opus = browser_like_opus()
    figures: dict = {}
    try:
        with daphne(env, tmp_path / "daphne.log") as base, media_worker(env, tmp_path / "media.log"):
            session = str(room["session"].public_id)
            weak = {"delay": DELAY, "loss": LOSS, "rate_bps": RATE_BPS}
            line = Line(Direction(seed=1, **weak), Direction(seed=2, **weak))
            host = LineClient("host", "red", cookie=login_cookie(base, room["host"].username))
            provincial = LineClient("provincial", "green", cookie=login_cookie(base, room["provincial"].username))
            central = LineClient("central", "magenta", cookie=login_cookie(base, room["central"].username))
            citizen = ImpairedClient("citizen", "blue", token=join_token(room["registration"]), line=line)
            others, everyone = (host, provincial, central), (host, provincial, central, citizen)
            for client in everyone:
                client.session = session
            asyncio.run(scenario(base, line, host, provincial, central, citizen, others, everyone, figures))
    finally:
        restore_opus()
        print("\nweak line:", figures, flush=True)


async def scenario(base, line, host, provincial, central, citizen, others, everyone, figures):
    try:
        for client in others:
            assert (await client.open(base))["type"] == "welcome"
        assert (await citizen.open(base))["type"] == "waiting"
        await host.send({"type": "host.admit", "id": "a", "participant": citizen.pid})
        await citizen.until(lambda f: f["type"] == "admitted", TIMEOUT)
        for a in everyone:  # every track negotiated and carrying frames (through the weak line for the citizen)
            for b in everyone:
                if a is not b:
                    for kind in ("audio", "video"):
                        probe = await a.probe(b.pid, kind, TIMEOUT)
                        await probe.wait_for_frames(1, TIMEOUT)

        # 1. The weak line. The citizen's level settles first (the onset is the worker's to cut short).
        started = time.monotonic()
        figures["settled level"] = await settled(citizen)
        figures["settled after s"] = round(time.monotonic() - started, 1)
        figures["levels before the window"] = citizen.levels()
        pairs = {(a.name, b.name): a.probes[(b.pid, "audio")] for a in everyone for b in everyone
                 if a is not b and citizen in (a, b)}
        video = {(a.name, b.name): a.probes[(b.pid, "video")] for a in others for b in everyone if a is not b}
        window_start, levels_before = time.monotonic(), len(citizen.levels())
        figures["line before the window"] = line.stats()
        await asyncio.sleep(WINDOW)
        audio = {pair: audio_delivery(since(probe, window_start)) for pair, probe in pairs.items()}
        figures["phase 1 audio"] = {f"{a}->{b}": (round(v["ratio"], 3), round(v["max_gap_ms"])) for (b, a), v in audio.items()}
        figures["phase 1 citizen levels"] = citizen.levels()[levels_before:]
        figures["phase 1 line"] = line.stats()
        figures["phase 1 reordered at the citizen"] = {b.name: citizen.probes[(b.pid, "audio")].passthrough.late
                                                       for b in others}
        for (receiver, sender), delivery in audio.items():
            assert delivery["ratio"] >= 0.95, f"{sender} -> {receiver}: {delivery}"
            assert delivery["max_gap_ms"] <= 400, f"{sender} -> {receiver}: {delivery}"
        for (receiver, sender), probe in video.items():  # the others keep receiving everyone's pictures
            assert len(since(probe, window_start)) >= 10, f"{sender} -> {receiver}: no picture in the window"
        for client in others:  # and everyone's sound (clean lines)
            for b in everyone:
                if b is not client:
                    delivery = audio_delivery(since(client.probes[(b.pid, "audio")], window_start))
                    assert delivery["ratio"] >= 0.95, f"{b.name} -> {client.name}: {delivery}"
            assert all(lv == "full" for lv in client.levels()), f"{client.name}: {client.levels()}"

        # 2. 10 % loss: sound only for the citizen, and the host sees the citizen's line is weak.
        mark = len(citizen.frames)
        line.set(loss=0.10)
        if citizen.levels() and citizen.levels()[-1] == "audio":
            at_audio = time.monotonic()  # already there from phase 1: nothing new to announce
        else:
            at_audio = await level(citizen, "audio", mark, 90)
        await host.until(lambda f: f["type"] == "media.line" and f["pid"] == citizen.pid and f["weak"], TIMEOUT)
        quiet_from = at_audio + 1.5  # what was in flight (100 ms each way, a 200 ms queue) has arrived
        await asyncio.sleep(max(0.0, quiet_from - time.monotonic()) + 8)
        pictures = {b.name: len(since(citizen.probes[(b.pid, "video")], quiet_from)) for b in others}
        sound = {b.name: len(since(citizen.probes[(b.pid, "audio")], quiet_from)) for b in others}
        figures["phase 2"] = {"pictures after audio": pictures, "audio frames after": sound,
                              "levels": citizen.levels()}
        assert not any(pictures.values()), pictures
        assert all(n >= 8 * 50 * 0.5 for n in sound.values()), sound  # 10 % loss, a loaded machine: sound goes on

        # 3. The line recovers: pictures again within 10 s, and back to full.
        mark = len(citizen.frames)
        line.set(loss=0.0, rate_bps=None)
        recovered = time.monotonic()
        back = await citizen.probes[(host.pid, "video")].wait_for_frames(5, TIMEOUT, after=recovered)
        figures["picture back after s"] = round(back - recovered, 1)
        assert back - recovered <= 10, figures["picture back after s"]
        await level(citizen, "full", mark, 120)
        figures["full after s"] = round(time.monotonic() - recovered, 1)
        figures["all levels"] = {c.name: c.levels() for c in everyone}
        for client in others:
            assert all(lv == "full" for lv in client.levels()), f"{client.name}: {client.levels()}"
    finally:
        for client in everyone:
            await client.close()
