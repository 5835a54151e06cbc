"""Real WebRTC through the real servers: Daphne, a media worker (aiortc SFU), Redis and PostgreSQL as
processes, and three aiortc clients — a citizen at the commune point, the commune leader hosting, and a
provincial leader at a connected site — playing by docs/protocol.md and docs/media.md.

Each client sends its own colour and tone; each must decode the other two (routing is proven by colour and
tone, not by "some frames arrived"). The host's controls act on the media at the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from pathlib import Path

import pytest
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from tests.media_clients import PALETTE, TONES, ColourTrack, ToneTrack, TrackProbe
from tests.processes import daphne, media_worker
from tests.room_helpers import join_token, open_room
from tests.test_room_integration import login_cookie, room_env, use_layer

TIMEOUT = 15
LOCAL_ONLY = RTCConfiguration(iceServers=[])  # aiortc's default asks Google's STUN server: closed network here


class MediaClient:
    """One participant: the room socket, a ``publish`` connection with its colour and tone, and one
    ``sub:<pid>`` connection per other participant, offered by the media worker."""

    def __init__(self, name: str, colour: str, *, cookie: str | None = None, token: str | None = None,
                 config: RTCConfiguration = LOCAL_ONLY):
        self.name, self.colour, self.cookie, self.token, self.config = name, colour, cookie, token, config
        self.frames: list[dict] = []
        self.probes: dict[tuple[str, str], TrackProbe] = {}  # (publisher pid, kind) -> probe
        self.publishers: dict[str, dict] = {}  # pid -> participant info from the offer
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.waiters: list[tuple[str, asyncio.Future]] = []
        self.tasks: list[asyncio.Task] = []

    async def open(self, base: str, **hello) -> dict:
        url = base.replace("http", "ws") + f"/ws/sessions/{self.session}/" + (f"?token={self.token}" if self.token else "")
        headers = {"Origin": base, **({"Cookie": self.cookie} if self.cookie else {})}
        self.ws = await websockets.connect(url, additional_headers=headers, max_queue=None)
        self.reader = asyncio.create_task(self.read())
        with contextlib.suppress(websockets.ConnectionClosed):  # refused at the handshake: the error is read
            await self.send({"type": "hello", **hello})
        greeting = await self.until(lambda f: f["type"] in ("welcome", "waiting", "error"))
        self.pid = greeting.get("snapshot", {}).get("you")
        return greeting

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(await self.outgoing(frame)))

    # Hooks for a subclass (tests/weak_line.py): what goes out and comes in, what is published, what probes.
    async def outgoing(self, frame: dict) -> dict:
        return frame

    async def incoming(self, frame: dict) -> dict:
        return frame

    def on_frame(self, frame: dict) -> None:
        """Any other frame the client acts on (e.g. ``media.uplink``)."""

    def tracks(self) -> list:
        return [ToneTrack(TONES[self.colour]), ColourTrack(self.colour)]

    def new_probe(self, pc: RTCPeerConnection, track):
        return TrackProbe(track)

    async def read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            await self._read()

    async def _read(self) -> None:
        async for raw in self.ws:
            frame = await self.incoming(json.loads(raw))
            self.frames.append(frame)
            if frame["type"] == "welcome" and frame.get("resumed") and "publish" not in self.pcs:
                self.tasks.append(asyncio.create_task(self.publish()))  # back with no media: offer again
            elif frame["type"] == "media.ready":  # the media worker holding the room wants our publish offer
                for probe in self.probes.values():  # a new holder: everything is negotiated afresh
                    probe.stop()
                self.probes.clear()
                self.tasks.append(asyncio.create_task(self.publish()))
            elif frame["type"] == "rtc.offer":
                self.tasks.append(asyncio.create_task(self.on_offer(frame)))
            elif frame["type"] == "rtc.answer" and frame.get("pc") == "publish":
                await self.pcs["publish"].setRemoteDescription(RTCSessionDescription(frame["sdp"], "answer"))
            else:
                self.on_frame(frame)
            for predicate, future in list(self.waiters):
                if not future.done() and predicate(frame):
                    future.set_result(frame)

    async def until(self, predicate, timeout: float = TIMEOUT) -> dict:
        for frame in self.frames:
            if predicate(frame):
                return frame
        future = asyncio.get_running_loop().create_future()
        self.waiters.append((predicate, future))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AssertionError(f"{self.name}: no such frame in {[f['type'] for f in self.frames]}") from None

    async def publish(self) -> None:
        old = self.pcs.pop("publish", None)
        if old is not None:
            await old.close()
        pc = self.pcs["publish"] = RTCPeerConnection(self.config)
        for track in self.tracks():
            pc.addTrack(track)
        await pc.setLocalDescription(await pc.createOffer())
        await self.send({"type": "rtc.offer", "pc": "publish", "sdp": pc.localDescription.sdp})

    async def on_offer(self, frame: dict) -> None:
        publisher = frame["pc"][4:]
        self.publishers[publisher] = frame.get("participant") or {}
        old = self.pcs.pop(frame["pc"], None)
        if old is not None:
            await old.close()
        pc = self.pcs[frame["pc"]] = RTCPeerConnection(self.config)

        @pc.on("track")
        def on_track(track):
            old_probe = self.probes.get((publisher, track.kind))
            if old_probe is not None:
                old_probe.stop()
            self.probes[(publisher, track.kind)] = self.new_probe(pc, track)

        await pc.setRemoteDescription(RTCSessionDescription(frame["sdp"], "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await self.send({"type": "rtc.answer", "pc": frame["pc"], "sdp": pc.localDescription.sdp})

    async def probe(self, publisher: str, kind: str, timeout: float = TIMEOUT) -> TrackProbe:
        deadline = asyncio.get_running_loop().time() + timeout
        while (publisher, kind) not in self.probes or self.probes[(publisher, kind)].ended:  # ended: renegotiating
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{self.name}: no {kind} track from {publisher}; offers from "
                                     f"{sorted(self.publishers)}; frames {[f['type'] for f in self.frames]}")
            await asyncio.sleep(0.1)
        return self.probes[(publisher, kind)]

    async def sees(self, other: MediaClient) -> None:
        """Decodes ``other``'s colour and tone (so this is other's media, routed to us)."""
        await self.on_live_track(other.pid, "video", lambda probe: probe.wait_for_colour(other.colour, TIMEOUT))
        await self.on_live_track(other.pid, "audio", lambda probe: probe.wait_for_tone(TONES[other.colour], TIMEOUT))

    async def on_live_track(self, publisher: str, kind: str, check) -> None:
        """Run ``check(probe)``; if the track ends meanwhile (the server renegotiates after a reconnection
        or a take-over), run it again on the new track."""
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while True:
            probe = await self.probe(publisher, kind)
            try:
                return await check(probe)
            except AssertionError:
                if not probe.ended or asyncio.get_running_loop().time() > deadline:
                    raise

    async def loses_video_packets(self, count: int = 5) -> None:
        """The next ``count`` video packets of our ``publish`` connection are lost for good (not
        retransmitted either): the server's jitter buffer would stall without its keyframe recovery."""
        sender = next(s for s in self.pcs["publish"].getSenders() if s.track and s.track.kind == "video")
        transport, ssrc = sender.transport, sender._ssrc
        original, lost = transport._send_rtp, []

        async def lossy(data: bytes) -> None:
            if len(lost) < count and len(data) >= 12 and int.from_bytes(data[8:12], "big") == ssrc \
                    and not 192 <= data[1] <= 223:  # an RTP packet of our video (not RTCP)
                lost.append(data)
                return
            await original(data)

        async def no_retransmission(sequence_number: int) -> None:
            pass

        transport._send_rtp, sender._retransmit = lossy, no_retransmission
        while len(lost) < count:
            await asyncio.sleep(0.02)

    async def sees_video_from(self, pid: str, timeout: float = TIMEOUT) -> None:
        """A picture (non-black frames) from ``pid``, whatever its colours (a browser's fake camera)."""
        await self.on_live_track(pid, "video", lambda probe: probe.wait_for_picture(timeout))

    async def close(self) -> None:
        for probe in self.probes.values():
            probe.stop()
        for pc in self.pcs.values():
            with contextlib.suppress(Exception):
                await pc.close()
        with contextlib.suppress(Exception):
            await self.ws.close()
        self.reader.cancel()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(self.reader, *self.tasks, return_exceptions=True)


def host_and_citizen(room, base: str) -> tuple[MediaClient, MediaClient]:
    session = str(room["session"].public_id)
    host = MediaClient("host", "red", cookie=login_cookie(base, room["host"].username))
    citizen = MediaClient("citizen", "blue", token=join_token(room["registrations"][0]))
    for client in (host, citizen):
        client.session = session
    return host, citizen


async def enter_and_admit(host: MediaClient, citizen: MediaClient, base: str) -> None:
    """The host enters, the citizen waits in the lobby, the host admits them; each then decodes the other."""
    assert (await host.open(base))["type"] == "welcome"
    assert (await citizen.open(base))["type"] == "waiting"
    await host.send({"type": "host.admit", "id": "a", "participant": citizen.pid})
    await citizen.until(lambda f: f["type"] == "admitted")
    await asyncio.gather(host.sees(citizen), citizen.sees(host))


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_three_tiers_hear_and_see_each_other_through_the_server_and_the_host_controls_the_media(
        office_tree, make_user, tmp_path, settings):
    assert set(PALETTE) >= {"red", "green", "blue"}
    room = open_room(office_tree, make_user)
    env = room_env(tmp_path, MEDIA_UDP_PORT_MIN="42000", MEDIA_UDP_PORT_MAX="42199")  # a firewall's range
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    with daphne(env, tmp_path / "daphne.log") as base, media_worker(env, tmp_path / "media.log"):
        session = str(room["session"].public_id)
        host = MediaClient("host", "red", cookie=login_cookie(base, room["host"].username))
        provincial = MediaClient("provincial", "green", cookie=login_cookie(base, room["provincial"].username))
        citizen = MediaClient("citizen", "blue", token=join_token(room["registrations"][0]))
        everyone = (host, provincial, citizen)
        for client in everyone:
            client.session = session

        async def scenario():
            try:
                assert (await host.open(base))["type"] == "welcome"
                assert (await provincial.open(base))["type"] == "welcome"
                assert (await citizen.open(base))["type"] == "waiting"  # the citizen waits to be admitted

                await host.send({"type": "host.admit", "id": "a", "participant": citizen.pid})
                await citizen.until(lambda f: f["type"] == "admitted")

                # Everyone decodes the other two: colour and tone name the sender.
                await asyncio.gather(*(a.sees(b) for a in everyone for b in everyone if a is not b))
                assert host.publishers[citizen.pid]["name"] is None  # a citizen's name never goes to others
                # The worker's candidates are in the configured UDP range (docs/media.md, "Network").
                server_sdps = [f["sdp"] for f in host.frames if f["type"] in ("rtc.answer", "rtc.offer")]
                ports = [int(p) for sdp in server_sdps for p in re.findall(r"a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ host", sdp)]
                assert ports and all(42000 <= port <= 42199 for port in ports), ports
                assert host.publishers[provincial.pid]["role"] == "leader" and host.publishers[provincial.pid]["site"]

                # Muted at the server: the citizen's client keeps sending its tone, the others hear silence.
                await host.send({"type": "host.mute", "id": "m", "participant": citizen.pid, "kind": "audio"})
                probes = [await c.probe(citizen.pid, "audio") for c in (host, provincial)]
                await asyncio.gather(*(probe.wait_for_silence(2.0, quiet_for=0.3) for probe in probes))
                await (await provincial.probe(citizen.pid, "video")).wait_for_colour("blue", 5)  # video goes on
                await (await citizen.probe(host.pid, "audio")).wait_for_tone(TONES["red"], 5)  # and they still hear

                # Removed: the citizen's media stops reaching the others, and they cannot come back.
                await host.send({"type": "host.remove", "id": "r", "participant": citizen.pid})
                await citizen.until(lambda f: f["type"] == "removed")
                for other in (host, provincial):
                    await other.until(lambda f: f["type"] == "rtc.closed" and f["pc"] == f"sub:{citizen.pid}")
                again = MediaClient("citizen again", "blue", token=citizen.token)
                again.session = session
                assert (await again.open(base))["code"] in ("link_invalid", "refused")
                await again.close()
                # The others still see each other.
                await host.sees(provincial)
            finally:
                for client in everyone:
                    await client.close()

        asyncio.run(scenario())


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_killed_media_worker_is_replaced_and_media_comes_back_without_a_new_admission(
        office_tree, make_user, tmp_path, settings):
    import redis
    from channels.db import database_sync_to_async

    from signaling.models import Room

    room = open_room(office_tree, make_user)
    env = room_env(tmp_path, MEDIA_CLAIM_TTL_SECONDS="3", MEDIA_CLAIM_INTERVAL_SECONDS="1")
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    with daphne(env, tmp_path / "daphne.log") as base, \
            media_worker(env, tmp_path / "w1.log", "w1") as w1, media_worker(env, tmp_path / "w2.log", "w2") as w2:
        workers = {"w1": w1, "w2": w2}
        host, citizen = host_and_citizen(room, base)

        async def scenario():
            try:
                await enter_and_admit(host, citizen, base)

                room_id = await database_sync_to_async(lambda: Room.objects.get(session=room["session"]).pk)()
                key = f"{env['CHANNEL_LAYER_PREFIX']}:media:room:{room_id}"
                holder = redis.Redis.from_url(env["REDIS_URL"]).get(key).decode()
                workers[holder].kill()  # no goodbye: its peer connections just die
                survivor = next(w for w in workers if w != holder)

                def ready_count(client):
                    return sum(1 for f in client.frames if f["type"] == "media.ready")

                for client in (host, citizen):
                    await client.until(lambda f, c=client: f["type"] == "media.ready" and ready_count(c) >= 2, 30)
                await asyncio.gather(host.sees(citizen), citizen.sees(host))
                assert redis.Redis.from_url(env["REDIS_URL"]).get(key).decode() == survivor
                # No new admission: the citizen was admitted once and is still inside.
                assert [f["type"] for f in citizen.frames].count("admitted") == 1
                state = await database_sync_to_async(lambda: Room.objects.get(pk=room_id).state)()
                assert state["participants"][citizen.pid]["status"] == "admitted"
            finally:
                for client in (host, citizen):
                    await client.close()

        asyncio.run(scenario())


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_recorded_segment_is_a_verified_webm_per_participant(office_tree, make_user, tmp_path, settings):
    """The host records ~10 s: each participant's file opens in PyAV with an Opus and a VP8 stream muxed from
    the forwarded packets, starts at a keyframe with audio and video in sync (the file's own timestamps),
    and its SHA-256 is the one stored; everyone saw the recording indicator."""
    import hashlib
    import time
    from pathlib import Path

    import av
    from channels.db import database_sync_to_async

    from media.models import Recording

    room = open_room(office_tree, make_user)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    with daphne(env, tmp_path / "daphne.log") as base, media_worker(env, tmp_path / "media.log"):
        host, citizen = host_and_citizen(room, base)

        async def scenario():
            try:
                await enter_and_admit(host, citizen, base)
                await host.send({"type": "host.recording", "id": "on", "on": True})
                started = time.monotonic()
                for client in (host, citizen):  # the recording indicator reaches everyone
                    await client.until(lambda f: f["type"] == "room.updated" and f.get("recording") is True)
                await asyncio.sleep(10)
                await host.send({"type": "host.recording", "id": "off", "on": False})
                stopped = time.monotonic()
                deadline = stopped + 20
                while await database_sync_to_async(Recording.objects.count)() < 2:
                    assert time.monotonic() < deadline, "the recordings were not saved"
                    await asyncio.sleep(0.5)
                return stopped - started
            finally:
                for client in (host, citizen):
                    await client.close()

        recorded = asyncio.run(scenario())
    recordings = list(Recording.objects.filter(session=room["session"]).order_by("participant"))
    assert sorted(r.participant for r in recordings) == sorted([f"u{room['host'].pk}", f"u{room['citizens'][0].pk}"])
    from media import sealing

    for recording in recordings:
        sealed = Path(env["VAR_DIR"]) / "media" / recording.file.name
        with open(sealed, "rb") as handle:  # encrypted at rest (issue 13)
            assert sealing.is_sealed(handle)
            plain = b"".join(sealing.open_plain(handle))
        path = tmp_path / f"{recording.participant}.webm"
        path.write_bytes(plain)
        assert hashlib.sha256(plain).hexdigest() == recording.sha256
        assert recording.size_bytes == len(plain)
        assert set(recording.present) == {f"u{room['host'].pk}", f"u{room['citizens'][0].pk}"}
        with av.open(str(path)) as container:
            kinds = sorted((s.type, s.codec_context.name) for s in container.streams)
            assert kinds == [("audio", "opus"), ("video", "vp8")]
            video = [p for p in container.demux(video=0) if p.size]
        with av.open(str(path)) as container:
            audio = [p for p in container.demux(audio=0) if p.size]
        with av.open(str(path)) as container:
            picture = next(container.decode(video=0)).to_ndarray(format="rgb24").mean(axis=(0, 1))
        # The file's own timestamps: it starts at a keyframe, audio and video start and end together.
        assert video[0].is_keyframe and video[0].pts == 0
        seconds = [float(p.pts * p.time_base) for p in (audio[0], audio[-1], video[-1])]
        assert seconds[0] < 0.25 and abs(seconds[1] - seconds[2]) < 0.25, seconds
        assert recorded - 4 <= seconds[2] <= recorded + 1, (seconds, recorded)  # most of the 10 s, on any load
        assert max(picture) > 100  # a real picture from the first frame (the sender's colour), decodable


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_recording_survives_a_participant_reconnecting(office_tree, make_user, tmp_path, settings):
    """The citizen's line drops mid-recording and comes back on a new socket with its resume token: no new
    admission, media flows again, the host's recording never stopped, and the citizen's recording goes on
    in a second segment."""
    import time

    from channels.db import database_sync_to_async

    from media.models import Recording

    room = open_room(office_tree, make_user)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    with daphne(env, tmp_path / "daphne.log") as base, media_worker(env, tmp_path / "media.log"):
        host, citizen = host_and_citizen(room, base)
        back = MediaClient("citizen back", "blue", token=citizen.token)
        back.session = citizen.session

        async def scenario():
            try:
                await enter_and_admit(host, citizen, base)
                await host.send({"type": "host.recording", "id": "on", "on": True})
                await host.until(lambda f: f["type"] == "room.updated" and f.get("recording") is True)
                started = time.monotonic()
                await asyncio.sleep(3)
                token = next(f for f in citizen.frames if f["type"] == "waiting")["resume_token"]
                await citizen.close()  # the line drops: socket and peer connections gone at once
                greeting = await back.open(base, resume_token=token)
                assert greeting["type"] == "welcome" and greeting.get("resumed") is True, greeting
                assert greeting["snapshot"]["recording"] is True  # the indicator is still on
                await asyncio.gather(host.sees(back), back.sees(host))
                await asyncio.sleep(3)
                await host.send({"type": "host.recording", "id": "off", "on": False})
                recorded = time.monotonic() - started
                deadline = time.monotonic() + 20
                while await database_sync_to_async(Recording.objects.count)() < 3:
                    assert time.monotonic() < deadline, "the recordings were not saved"
                    await asyncio.sleep(0.5)
                return recorded
            finally:
                for client in (host, citizen, back):
                    await client.close()

        recorded = asyncio.run(scenario())
    citizen_pid, host_pid = f"u{room['citizens'][0].pk}", f"u{room['host'].pk}"
    by_pid = {}
    for recording in Recording.objects.filter(session=room["session"]).order_by("started_at"):
        by_pid.setdefault(recording.participant, []).append(recording)
    assert len(by_pid[host_pid]) == 1  # the host's recording ran through the citizen's drop
    assert abs(by_pid[host_pid][0].duration_seconds - recorded) <= 1.0
    first, second = by_pid[citizen_pid]
    assert first.stopped_at <= second.started_at  # consecutive segments, no overlap
    assert first.duration_seconds >= 2 and second.duration_seconds >= 2


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_media_flows_through_a_real_turn_server_with_the_time_limited_credentials(
        office_tree, make_user, tmp_path, settings):
    """A coturn with the TURN REST API secret: the worker allocates relay candidates with its own fresh
    credentials, and a citizen that may only use the relay (``iceTransportPolicy: relay``, the ICE servers
    fetched from ``GET /api/rooms/ice-servers`` with their join link) still sees and hears the host."""
    import urllib.parse
    import urllib.request

    from aiortc import RTCIceServer
    from aiortc.rtcconfiguration import RTCIceTransportPolicy

    from tests.processes import require_program, turn_server

    require_program("turnserver", "coturn")
    room = open_room(office_tree, make_user)
    with turn_server(tmp_path / "turn.log", secret="bac-ninh-secret") as turn_url:
        env = room_env(tmp_path, TURN_URLS=turn_url, TURN_SECRET="bac-ninh-secret", STUN_URLS="")
        use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
        with daphne(env, tmp_path / "daphne.log") as base, media_worker(env, tmp_path / "media.log"):
            host, citizen = host_and_citizen(room, base)
            query = urllib.parse.urlencode({"token": citizen.token})
            with urllib.request.urlopen(f"{base}/api/rooms/ice-servers?{query}", timeout=10) as response:
                ice = json.load(response)
            servers = [RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
                       for s in ice["ice_servers"]]
            assert servers and servers[0].urls == [turn_url]
            citizen.config = RTCConfiguration(iceServers=servers, iceTransportPolicy=RTCIceTransportPolicy.RELAY)

            async def scenario():
                try:
                    await enter_and_admit(host, citizen, base)
                    server_sdps = [f["sdp"] for f in host.frames if f["type"] in ("rtc.answer", "rtc.offer")]
                    assert all("typ relay" in sdp for sdp in server_sdps), "the worker did not use the TURN server"
                    assert all("typ host" not in line for pc in citizen.pcs.values()
                               for line in pc.localDescription.sdp.splitlines() if line.startswith("a=candidate"))
                finally:
                    for client in (host, citizen):
                        await client.close()

            asyncio.run(scenario())
    log = (tmp_path / "turn.log").read_text(errors="replace")
    users = set(re.findall(r"user <\d+:([\w-]+)>: incoming packet ALLOCATE processed, success", log))
    assert {"media-w1", f"u{room['citizens'][0].pk}"} <= users, users  # the worker's and the citizen's


def open_room_with_every_tier(office_tree, make_user):
    """An open session hosted at commune011 with connected sites at its province **and the central office**
    (TW): the commune leader hosts, a provincial leader and the central office's leader join from their
    sites, an officer and a secretary sit with the host, and one citizen is registered."""
    from accounts.models import Role
    from accounts.services import set_identity_document
    from scheduling.services import registrations
    from sessions import services as session_services
    from sessions.models import SessionStatus
    from tests.room_helpers import SUMMARY
    from tests.scheduling_helpers import future_session

    commune, province, central = office_tree["commune011"], office_tree["province01"], office_tree["central"]
    host = make_user(Role.LEADER, commune, full_name="Chủ tịch Xã")
    officer = make_user(Role.RECEPTION_OFFICER, commune, full_name="Cán bộ Tiếp")
    secretary = make_user(Role.SECRETARY, commune, full_name="Thư ký Xã")
    provincial = make_user(Role.LEADER, province, full_name="Lãnh đạo Tỉnh")
    central_leader = make_user(Role.LEADER, central, full_name="Lãnh đạo Trung ương")
    session = future_session(commune, host=host, slot_capacity=1, sites=[(province, None), (central, None)],
                             kind="periodic", days_ahead=10)
    citizen = make_user(full_name="Công Dân Bốn Cấp")
    set_identity_document(citizen, "cccd", "001085009999")
    registration = registrations.register(citizen=citizen, slot_id=session.slots.first().pk,
                                          matter_kind="complaint", matter_summary=SUMMARY)
    session_services.open_session(session, host, now=session.starts_at)
    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN
    return {"session": session, "host": host, "officer": officer, "secretary": secretary, "provincial": provincial,
            "central": central_leader, "citizen": citizen, "registration": registration}


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_four_tiers_citizen_commune_province_and_central_office_see_and_hear_each_other(
        office_tree, make_user, tmp_path, settings):
    """The mission's defining room: a citizen, the commune host, a provincial leader and the central office's
    leader (TW), through the forwarding worker. The central leader joins late and gets a picture at once (a
    keyframe on request); a mute is silence at every subscriber; a stopped video is black (frames keep
    coming), and lifting it brings the picture back; packets lost for good do not freeze the picture."""
    room = open_room_with_every_tier(office_tree, make_user)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    with daphne(env, tmp_path / "daphne.log") as base, media_worker(env, tmp_path / "media.log"):
        session = str(room["session"].public_id)
        host = MediaClient("host", "red", cookie=login_cookie(base, room["host"].username))
        provincial = MediaClient("provincial", "green", cookie=login_cookie(base, room["provincial"].username))
        central = MediaClient("central", "magenta", cookie=login_cookie(base, room["central"].username))
        citizen = MediaClient("citizen", "blue", token=join_token(room["registration"]))
        everyone = (host, provincial, central, citizen)
        for client in everyone:
            client.session = session

        async def scenario():
            try:
                assert (await host.open(base))["type"] == "welcome"
                assert (await provincial.open(base))["type"] == "welcome"
                assert (await citizen.open(base))["type"] == "waiting"
                await host.send({"type": "host.admit", "id": "a", "participant": citizen.pid})
                await citizen.until(lambda f: f["type"] == "admitted")
                first = (host, provincial, citizen)
                await asyncio.gather(*(a.sees(b) for a in first for b in first if a is not b))

                # The central office's leader joins mid-stream: a picture from everyone, and everyone sees them.
                welcome = await central.open(base)
                assert welcome["type"] == "welcome"
                me = next(p for p in welcome["snapshot"]["participants"] if p["pid"] == central.pid)
                assert me["site"] == "TW" and me["role"] == "leader"
                await asyncio.gather(*(a.sees(b) for a in everyone for b in everyone if a is not b))
                assert host.publishers[central.pid]["role"] == "leader" and host.publishers[central.pid]["site"] == "TW"
                assert central.publishers[citizen.pid]["name"] is None

                # Muted by the host: silence at every subscriber, while audio frames keep arriving.
                others = (host, provincial, central)
                await host.send({"type": "host.mute", "id": "m", "participant": citizen.pid, "kind": "audio"})
                probes = [await c.probe(citizen.pid, "audio") for c in others]
                counts = [p.frames for p in probes]
                await asyncio.gather(*(p.wait_for_silence(5.0, quiet_for=0.5) for p in probes))
                assert all(p.frames > n for p, n in zip(probes, counts, strict=True))

                # Video stopped by the host: black at every subscriber, not the frozen last picture.
                await host.send({"type": "host.mute", "id": "v", "participant": citizen.pid, "kind": "video"})
                await asyncio.gather(*[(await c.probe(citizen.pid, "video")).wait_for_black(TIMEOUT) for c in others])
                # Lifted (the host asks, the participant turns camera and microphone back on): colour and tone.
                await host.send({"type": "host.ask_unmute", "id": "u", "participant": citizen.pid})
                await citizen.until(lambda f: f["type"] == "unmute_requested")
                await citizen.send({"type": "self.media", "id": "sm", "audio": True, "video": True})
                await asyncio.gather(*(c.sees(citizen) for c in others))

                # Packets of the provincial leader's video lost for good: the worker recovers with a keyframe.
                await provincial.loses_video_packets(5)
                await asyncio.gather(*[(await c.probe(provincial.pid, "video")).wait_for_picture(TIMEOUT, frames=30)
                                       for c in (host, central, citizen)])
                await asyncio.gather(*(c.sees(provincial) for c in (host, central, citizen)))
            finally:
                for client in everyone:
                    await client.close()

        asyncio.run(scenario())
    log = (tmp_path / "media.log").read_text(errors="replace")
    assert "jitter buffer stalled, asking for a keyframe" in log, "the lost packets were not recovered by a keyframe"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_room_of_six_everyone_decodes_everyone(office_tree, make_user, tmp_path, settings):
    """Six participants (host, officer, secretary, provincial and central leaders, a citizen): 30 forwarded
    streams of each kind; each participant decodes the five others by colour and tone."""
    room = open_room_with_every_tier(office_tree, make_user)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    with daphne(env, tmp_path / "daphne.log") as base, media_worker(env, tmp_path / "media.log"):
        session = str(room["session"].public_id)
        staff = [("host", "red"), ("officer", "yellow"), ("secretary", "cyan"), ("provincial", "green"),
                 ("central", "magenta")]
        clients = [MediaClient(name, colour, cookie=login_cookie(base, room[name].username)) for name, colour in staff]
        citizen = MediaClient("citizen", "blue", token=join_token(room["registration"]))
        everyone = (*clients, citizen)
        for client in everyone:
            client.session = session

        async def scenario():
            try:
                for client in clients:
                    assert (await client.open(base))["type"] == "welcome"
                assert (await citizen.open(base))["type"] == "waiting"
                await clients[0].send({"type": "host.admit", "id": "a", "participant": citizen.pid})
                await citizen.until(lambda f: f["type"] == "admitted")
                for a in everyone:  # one viewer at a time: the test clients decode 30 streams in this process
                    await asyncio.gather(*(a.sees(b) for b in everyone if b is not a))
            finally:
                for client in everyone:
                    await client.close()

        asyncio.run(scenario())


@pytest.mark.integration
def test_the_embedded_default_carries_media(tmp_path):
    """``make run``'s configuration: Daphne on SQLite, no Redis, no media worker process. The worker runs in
    the web process; host and citizen see and hear each other."""
    import subprocess
    import sys

    from django.conf import settings as django_settings

    from tests.processes import ROOT, server_env

    env = server_env(VAR_DIR=str(tmp_path), SECRET_KEY=django_settings.SECRET_KEY, DATABASE_URL=None,
                     REDIS_URL=None, CELERY_BROKER_URL=None, CHANNEL_LAYER_PREFIX=None, MEDIA_EMBEDDED=None)
    python = str(Path(sys.executable))
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=600)
    built = subprocess.run([python, "manage.py", "shell", "-c", "from tests.embedded_room import build; build()"],
                           cwd=ROOT, env=env, check=True, timeout=300, capture_output=True, text=True)
    room = json.loads(built.stdout.strip().splitlines()[-1])
    assert (tmp_path / "db.sqlite3").exists()
    with daphne(env, tmp_path / "daphne.log") as base:
        host = MediaClient("host", "red", cookie=login_cookie(base, room["host"]))
        citizen = MediaClient("citizen", "blue", token=room["token"])
        for client in (host, citizen):
            client.session = room["session"]

        async def scenario():
            try:
                await enter_and_admit(host, citizen, base)
            finally:
                for client in (host, citizen):
                    await client.close()

        asyncio.run(scenario())
    log = (tmp_path / "daphne.log").read_text(errors="replace")
    assert "embedded media worker started in the web process" in log
