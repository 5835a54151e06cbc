"""The live room on the real services: two Daphne processes sharing PostgreSQL and a Redis channel layer.

The citizen is served by one process, the host and the officer by the other, so every lobby update,
admission, chat and host command crosses processes through Redis. A dropped socket keeps its place for the
grace period (and resumes on either process), loses it after; a Redis restart mid-session loses nothing a
client cannot recover the documented way (ping → resync, or a resume with its token and last seq).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import time
import urllib.request
import uuid
import warnings

import pytest
import websockets
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from websockets.protocol import State

from signaling import services
from signaling.models import Room, RoomEvent
from tests.processes import daphne, database_url_for_subprocess, redis_server, server_env
from tests.room_helpers import join_token, open_room

PASSWORD = "S3cure-pass-word"
TIMEOUT = 10  # every wait on a socket is bounded


def login_cookie(base: str, username: str) -> str:
    request = urllib.request.Request(
        base + "/api/auth/login", data=json.dumps({"identifier": username, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        cookies = [h.split(";")[0] for h in response.headers.get_all("Set-Cookie")]
    return "; ".join(c for c in cookies if c.startswith("sessionid="))


class Peer:
    """One room client playing by docs/protocol.md: it remembers the last ``seq`` it saw and its resume
    token, and keeps every frame it received (``log``). With ``auto_resume`` it does what a client does
    when the server closes its socket with 1011 (internal error): reconnect with its resume token and last
    seq, and carry on. (Needed while a quiet Daphne drops a socket every 5 s: see test 5.)"""

    MAX_AUTO_RESUMES = 3

    def __init__(self, name: str, session, cookie: str | None = None, token: str | None = None,
                 auto_resume: bool = False):
        self.name, self.session, self.cookie, self.token = name, session, cookie, token
        self.auto_resume, self.auto_resumes = auto_resume, 0
        self.ws = None
        self.base: str | None = None
        self.pid: str | None = None
        self.resume_token: str | None = None
        self.last_seq = 0
        self.log: list[dict] = []

    @property
    def is_open(self) -> bool:
        return self.ws is not None and self.ws.state is State.OPEN

    async def open(self, base: str, resume: bool = False) -> dict:
        """Connect to ``base`` and say hello (resuming with token and last seq when asked); the first frame."""
        path = f"/ws/sessions/{self.session.public_id}/" + (f"?token={self.token}" if self.token else "")
        headers = {"Origin": base, **({"Cookie": self.cookie} if self.cookie else {})}
        self.base = base
        self.ws = await websockets.connect(base.replace("http", "ws", 1) + path, additional_headers=headers,
                                           open_timeout=TIMEOUT, close_timeout=2)
        hello = {"type": "hello", "id": "hello"}
        if resume and self.resume_token:
            hello |= {"resume_token": self.resume_token, "last_seq": self.last_seq}
        await self.send(hello)
        return await self.recv()

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, timeout: float = TIMEOUT) -> dict:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.log.append(frame)
        if frame.get("resume_token"):
            self.resume_token = frame["resume_token"]
        if isinstance(frame.get("snapshot"), dict):
            self.pid = frame["snapshot"]["you"]
            self.last_seq = max(self.last_seq, frame["snapshot"]["seq"])
        if "seq" in frame and frame["type"] != "pong":  # events, and resynced (caught up to its seq)
            self.last_seq = max(self.last_seq, frame["seq"])
        return frame

    async def until(self, kind: str, match=None, timeout: float = TIMEOUT) -> dict:
        """Frames up to the first of type ``kind`` (matching ``match``); an unexpected error fails."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                frame = await self.recv(max(0.05, deadline - time.monotonic()))
            except websockets.ConnectionClosedError as exc:
                if not (self.auto_resume and exc.rcvd and exc.rcvd.code == 1011
                        and self.auto_resumes < self.MAX_AUTO_RESUMES):
                    raise
                self.auto_resumes += 1
                warnings.warn(f"{self.name}: the server closed the socket with 1011; resuming", stacklevel=2)
                frame = await self.open(self.base, resume=True)
                assert frame.get("resumed") is True, frame
            if frame["type"] == kind and (match is None or match(frame)):
                return frame
            assert frame["type"] != "error", f"{self.name} got {frame} while waiting for {kind}"

    async def drop(self) -> None:
        """Lose the connection without a close frame (a network cut, a closed laptop)."""
        self.ws.transport.abort()
        await asyncio.wait_for(self.ws.wait_closed(), TIMEOUT)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def of(pid: str, **fields):
    """Match a participant.updated about ``pid`` with these fields."""
    return lambda f: f["participant"]["pid"] == pid and all(f["participant"][k] == v for k, v in fields.items())


def prefix() -> str:
    return f"tcdroom{uuid.uuid4().hex[:12]}"


def use_layer(settings, redis_url: str, layer_prefix: str) -> None:
    """This process (for services called in the test) publishes on the same Redis and prefix as the
    Daphne processes."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"] = {"BACKEND": "channels_redis.core.RedisChannelLayer",
                         "CONFIG": {**layers["default"].get("CONFIG", {}), "hosts": [redis_url],
                                    "prefix": layer_prefix}}
    settings.CHANNEL_LAYERS = layers


def room_env(tmp_path, **overrides) -> dict:
    """The servers share this process's database, Redis and SECRET_KEY (join links are signed here)."""
    return server_env(**{"DATABASE_URL": database_url_for_subprocess(), "VAR_DIR": str(tmp_path),
                         "SECRET_KEY": django_settings.SECRET_KEY, "REDIS_URL": os.environ["REDIS_URL"],
                         "CHANNEL_LAYER_PREFIX": prefix(), **overrides})


def peers(room, base_staff: str, auto_resume: bool = True) -> tuple[Peer, Peer, Peer]:
    """Host and officer (logged in over HTTP), and the citizen with the join link from the reminder."""
    session = room["session"]
    host = Peer("host", session, cookie=login_cookie(base_staff, room["host"].username), auto_resume=auto_resume)
    officer = Peer("officer", session, cookie=login_cookie(base_staff, room["officer"].username),
                   auto_resume=auto_resume)
    citizen = Peer("citizen", session, token=join_token(room["registrations"][0]), auto_resume=auto_resume)
    return host, officer, citizen


async def enter_and_admit(host: Peer, officer: Peer | None, citizen: Peer, base_staff: str,
                          base_citizen: str) -> str:
    """Staff enter on ``base_staff``, the citizen waits in the lobby on ``base_citizen``, the host admits."""
    assert (await host.open(base_staff))["type"] == "welcome"
    if officer is not None:
        assert (await officer.open(base_staff))["type"] == "welcome"
    waiting = await citizen.open(base_citizen)
    assert waiting["type"] == "waiting" and waiting["snapshot"]["status"] == "lobby"
    assert waiting["snapshot"]["position"] == 1 and waiting["resume_token"]
    pid = citizen.pid
    in_lobby = lambda f: [e["pid"] for e in f["lobby"]] == [pid]  # noqa: E731
    if officer is not None:
        await officer.until("lobby.updated", in_lobby)
    await host.until("lobby.updated", in_lobby)
    await host.send({"type": "host.admit", "id": "admit", "participant": pid})
    await host.until("ack", lambda f: f["reply_to"] == "admit")
    admitted = await citizen.until("admitted")
    assert admitted["snapshot"]["status"] == "admitted"
    return pid


async def close_all(*clients: Peer) -> None:
    """Close the sockets, then give the servers a moment to record the disconnects, so that the next test
    starts from a quiet room log."""
    for client in clients:
        try:
            await client.close()
        except Exception:  # noqa: BLE001 - already gone
            pass
    session = next((c.session for c in clients), None)
    deadline = time.monotonic() + 3
    while session is not None and time.monotonic() < deadline and await anyone_connected(session):
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # committed; now published


@database_sync_to_async
def anyone_connected(session) -> bool:
    room = Room.objects.filter(session=session).first()
    return bool(room and any(p["connected"] and p["status"] in ("lobby", "admitted")
                             for p in room.state["participants"].values()))


# --- 1. Control flow across processes ------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_control_flow_crosses_two_daphne_processes(office_tree, make_user, tmp_path):
    room = open_room(office_tree, make_user)
    env = room_env(tmp_path)
    with daphne(env, tmp_path / "a.log") as base_a, daphne(env, tmp_path / "b.log") as base_b:
        host, officer, citizen = peers(room, base_b)

        async def scenario():
            try:
                assert (await host.open(base_b))["type"] == "welcome"
                assert (await officer.open(base_b))["type"] == "welcome"
                waiting = await citizen.open(base_a)
                assert waiting["type"] == "waiting" and waiting["snapshot"]["position"] == 1
                pid = citizen.pid
                # The officer on B sees the citizen waiting on A.
                lobby = await officer.until("lobby.updated", lambda f: f["lobby"])
                assert [e["pid"] for e in lobby["lobby"]] == [pid]
                assert lobby["lobby"][0]["name"] == room["citizens"][0].full_name

                # The host on B admits the citizen on A.
                await host.send({"type": "host.admit", "id": "a1", "participant": pid})
                admitted = await citizen.until("admitted")
                assert admitted["snapshot"]["status"] == "admitted"
                assert {p["role"] for p in admitted["snapshot"]["participants"]} == {"host", "officer", "citizen"}
                await officer.until("participant.joined", lambda f: f["participant"]["pid"] == pid)

                # Chat both ways between the processes.
                await citizen.send({"type": "chat.send", "id": "c1", "text": "Kính chào đồng chí Chủ tịch"})
                chat = await host.until("chat", lambda f: f["from"] == pid)
                assert chat["text"] == "Kính chào đồng chí Chủ tịch" and chat["role"] == "citizen"
                await host.send({"type": "chat.send", "id": "c2", "text": "Mời công dân trình bày"})
                assert (await citizen.until("chat", lambda f: f["from"] == host.pid))["text"] == "Mời công dân trình bày"

                # A host command on B reaches the citizen on A; everyone sees the new state.
                await host.send({"type": "host.mute", "id": "m1", "participant": pid})
                assert (await citizen.until("muted"))["kind"] == "audio"
                for client in (host, officer, citizen):
                    await client.until("participant.updated", of(pid, muted_by_host=True, audio=False))
            finally:
                await close_all(host, officer, citizen)

        asyncio.run(scenario())


# --- 2. Reconnection within the grace period -----------------------------------------------------------

@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_dropped_citizen_resumes_on_the_other_process_and_gets_what_it_missed(office_tree, make_user, tmp_path):
    room = open_room(office_tree, make_user)
    env = room_env(tmp_path)
    with daphne(env, tmp_path / "a.log") as base_a, daphne(env, tmp_path / "b.log") as base_b:
        host, officer, citizen = peers(room, base_b)

        async def scenario():
            try:
                pid = await enter_and_admit(host, officer, citizen, base_b, base_a)
                await citizen.drop()
                for client in (host, officer):
                    await client.until("participant.updated", of(pid, connected=False))
                await host.send({"type": "chat.send", "id": "c1", "text": "Hồ sơ đã được tiếp nhận"})
                await host.until("ack", lambda f: f["reply_to"] == "c1")

                # Back, on the other process, with the resume token and the last seq it saw.
                seen_before, start = citizen.last_seq, len(citizen.log)
                welcome = await citizen.open(base_b, resume=True)
                assert welcome["type"] == "welcome" and welcome["resumed"] is True
                assert welcome["snapshot"]["status"] == "admitted"  # no lobby, no second admission
                missed = await citizen.until("chat", lambda f: f["text"] == "Hồ sơ đã được tiếp nhận")
                assert missed["seq"] > seen_before and missed["from"] == host.pid
                for client in (host, officer):
                    await client.until("participant.updated", of(pid, connected=True))
                assert not {f["type"] for f in citizen.log[start:]} & {"waiting", "admitted", "lobby.position"}

                # And the room goes on.
                await citizen.send({"type": "chat.send", "id": "c2", "text": "Tôi đã kết nối lại"})
                assert (await host.until("chat", lambda f: f["from"] == pid))["text"] == "Tôi đã kết nối lại"
            finally:
                await close_all(host, officer, citizen)

        asyncio.run(scenario())


@database_sync_to_async
def status_in_room(session, pid: str) -> tuple[str, bool]:
    participant = Room.objects.get(session=session).state["participants"][pid]
    return participant["status"], participant["connected"]


# --- 3. Grace expiry -----------------------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_after_the_grace_period_a_dropped_citizen_waits_in_the_lobby_again(office_tree, make_user, tmp_path,
                                                                            settings):
    room = open_room(office_tree, make_user)
    env = room_env(tmp_path, ROOM_RECONNECT_GRACE_SECONDS="2")
    settings.ROOM_RECONNECT_GRACE_SECONDS = 2
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    with daphne(env, tmp_path / "a.log") as base_a, daphne(env, tmp_path / "b.log") as base_b:
        host, officer, citizen = peers(room, base_b)

        async def scenario():
            try:
                pid = await enter_and_admit(host, officer, citizen, base_b, base_a)
                await citizen.drop()
                await host.until("participant.updated", of(pid, connected=False))
                # The beat task's service (signaling.tasks.expire_disconnected), run here: within the grace
                # period it leaves them be.
                await database_sync_to_async(services.expire_disconnected)()
                assert await status_in_room(room["session"], pid) == ("admitted", False)
                # The room goes on meanwhile (and the servers' channel layer stays busy: see test 5).
                await asyncio.sleep(1.1)
                await host.send({"type": "chat.send", "id": "c1", "text": "Chờ công dân kết nối lại"})
                await officer.until("chat", lambda f: f["from"] == host.pid)
                await asyncio.sleep(1.1)
                await database_sync_to_async(services.expire_disconnected)()
                left = await host.until("participant.left")
                assert left == {**left, "pid": pid, "reason": "connection_lost"}
                await officer.until("participant.left", lambda f: f["pid"] == pid)
                assert await status_in_room(room["session"], pid) == ("left", False)

                # Coming back now is a new entry: the lobby, to be admitted again.
                again = await citizen.open(base_a, resume=True)
                assert again["type"] == "waiting" and "resumed" not in again
                assert again["snapshot"]["status"] == "lobby" and again["snapshot"]["position"] == 1
                await officer.until("lobby.updated", lambda f: [e["pid"] for e in f["lobby"]] == [pid])
                await host.send({"type": "host.admit", "id": "a2", "participant": pid})
                assert (await citizen.until("admitted"))["snapshot"]["status"] == "admitted"
            finally:
                await close_all(host, officer, citizen)

        asyncio.run(scenario())


# --- 4. Redis restart mid-session ----------------------------------------------------------------------

async def recover(client: Peer, deadline: float) -> None:
    """What a client does after a hiccup (docs/protocol.md): ``ping``, and ``resync`` when ``pong.seq`` is
    ahead of the last seq it saw; when the server closed its socket, reconnect with its resume token and
    last seq, retrying until the server can take it."""
    attempt = 0
    while True:
        attempt += 1
        try:
            if not client.is_open:
                greeting = await client.open(client.base, resume=True)
                assert greeting["type"] == "welcome" and greeting["resumed"] is True, greeting
            await client.send({"type": "ping", "id": f"ping{attempt}"})
            pong = await client.until("pong", lambda f, n=attempt: f["reply_to"] == f"ping{n}", timeout=3)
            if pong["seq"] > client.last_seq:
                await client.send({"type": "resync", "id": f"resync{attempt}", "last_seq": client.last_seq})
                await client.until("resynced", timeout=3)
            return
        except (TimeoutError, websockets.ConnectionClosed, OSError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def delivered(client: Peer, kind: str, match, deadline: float) -> dict:
    """The frame, live; or, when its live delivery was lost, through the client's next ping → resync."""
    try:
        return await client.until(kind, match, timeout=3)
    except (TimeoutError, websockets.ConnectionClosed):
        await recover(client, deadline)
    found = [f for f in client.log if f["type"] == kind and match(f)]
    assert found, f"{client.name} never got {kind}: {client.log[-5:]}"
    return found[-1]


def last_snapshot(client: Peer) -> dict:
    return [f["snapshot"] for f in client.log if isinstance(f.get("snapshot"), dict)][-1]


def chat_while_redis_is_down(session, host_user, text: str) -> None:
    """The host's command handled while Redis is down (as any process would: a Daphne whose socket is
    still up, the beat): PostgreSQL keeps it in the room log even though its live delivery fails."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from signaling.protocol.frames import parse_client_frame

    entry = services.resolve_entry(str(session.public_id), host_user)
    try:
        services.handle(entry, parse_client_frame(json.dumps({"type": "chat.send", "id": "o1", "text": text})))
    except RedisConnectionError:
        pass  # committed; only the live delivery failed
    # The frame is encrypted at rest (issue 13): compare in Python, not in SQL.
    assert any(frame.get("text") == text
               for frame in RoomEvent.objects.filter(room__session=session).values_list("frame", flat=True))


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_redis_restart_mid_session_loses_no_admission_and_no_event(office_tree, make_user, tmp_path, settings):
    room = open_room(office_tree, make_user)
    session = room["session"]
    with redis_server(tmp_path / "redis.log") as redis:  # a dedicated Redis: never restart the shared one
        env = room_env(tmp_path, REDIS_URL=redis.url)
        use_layer(settings, redis.url, env["CHANNEL_LAYER_PREFIX"])
        with daphne(env, tmp_path / "a.log") as base_a, daphne(env, tmp_path / "b.log") as base_b:
            host, _officer, citizen = peers(room, base_b, auto_resume=False)  # recover() plays the client

            async def scenario():
                try:
                    pid = await enter_and_admit(host, None, citizen, base_b, base_a)
                    await citizen.send({"type": "chat.send", "id": "c1", "text": "Trước khi Redis khởi động lại"})
                    await host.until("chat", lambda f: f["from"] == pid)
                    seen_before, since, host_since = citizen.last_seq, len(citizen.log), len(host.log)

                    redis.stop()
                    outage = "Tin nhắn gửi khi Redis ngừng"
                    await database_sync_to_async(chat_while_redis_is_down)(session, room["host"], outage)
                    redis.start()  # same port, empty: groups and queued channel messages are gone

                    deadline = time.monotonic() + 25
                    await recover(host, deadline)
                    await recover(citizen, deadline)
                    # Admission survived: the citizen is still inside, not back in the lobby (in the room
                    # state, in the citizen's last snapshot, and in the host's if it had to reconnect).
                    assert (await status_in_room(session, pid))[0] == "admitted"
                    assert last_snapshot(citizen)["status"] == "admitted"
                    for welcome in [f for f in host.log[host_since:] if f["type"] == "welcome"]:
                        assert {p["pid"]: p["status"] for p in welcome["snapshot"]["participants"]}[pid] == "admitted"
                    after = {f["type"] for f in citizen.log[since:]}
                    assert not after & {"waiting", "admitted", "refused", "removed", "participant.left"}
                    # What was said during the outage was recovered from PostgreSQL.
                    missed = [f for f in citizen.log if f["type"] == "chat" and f["text"] == outage]
                    assert missed and missed[0]["seq"] > seen_before

                    # Live traffic flows again, both ways, across the processes.
                    await citizen.send({"type": "chat.send", "id": "c2", "text": "Sau khi Redis khởi động lại"})
                    chat = await delivered(host, "chat", lambda f: f["text"] == "Sau khi Redis khởi động lại",
                                           deadline)
                    assert chat["from"] == pid
                    await host.send({"type": "host.mute", "id": "m1", "participant": pid})
                    assert (await delivered(citizen, "muted", lambda f: True, deadline))["kind"] == "audio"
                    await delivered(host, "participant.updated", of(pid, muted_by_host=True), deadline)
                finally:
                    await close_all(host, citizen)

            started = time.monotonic()
            asyncio.run(scenario())
            assert time.monotonic() - started < 60


# --- 5. A quiet room ------------------------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_an_idle_room_socket_stays_open(office_tree, make_user, tmp_path):
    """Regression: channels-redis blocks on BRPOP for 5 s and redis-py 8 reads with a 5 s socket timeout by
    default; the race killed idle consumers (fixed by socket_timeout in CHANNEL_LAYERS). Nothing happens for a while (a long statement by the citizen over the media path): the signalling
    socket must stay up."""
    room = open_room(office_tree, make_user)
    env = room_env(tmp_path)
    with daphne(env, tmp_path / "a.log") as base:
        host, _officer, _citizen = peers(room, base, auto_resume=False)

        async def scenario():
            try:
                assert (await host.open(base))["type"] == "welcome"
                quiet_until = time.monotonic() + 7
                with pytest.raises(TimeoutError):  # the socket outlives the quiet time (a close would raise)
                    while True:
                        await host.recv(timeout=max(0.05, quiet_until - time.monotonic()))
                await host.send({"type": "ping", "id": "p"})
                assert (await host.until("pong"))["reply_to"] == "p"
            finally:
                await close_all(host)

        asyncio.run(scenario())


# --- 5. A consumer whose channel layer fails ---------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_socket_whose_channel_layer_gives_up_is_closed_and_recorded_as_disconnected(
        office_tree, make_user, tmp_path, settings):
    """Redis gone for longer than the client's retries: Channels would end the consumer without calling
    ``disconnect`` (the participant "connected" for ever, never expired). The socket is closed with 1011
    and the drop recorded, so the grace period starts and the client can resume."""
    from tests.room_helpers import connect, hello

    room = open_room(office_tree, make_user)
    with redis_server(tmp_path / "redis.log") as redis:
        layers = copy.deepcopy(settings.CHANNEL_LAYERS)
        config = layers["default"].setdefault("CONFIG", {})
        production_host = (config.get("hosts") or [{}])[0]
        host = {**production_host, "address": redis.url} if isinstance(production_host, dict) else redis.url
        layers["default"] = {"BACKEND": "channels_redis.core.RedisChannelLayer",
                             "CONFIG": {**config, "hosts": [host], "prefix": prefix()}}
        settings.CHANNEL_LAYERS = layers

        async def scenario():
            citizen = await connect(room["session"], token=join_token(room["registrations"][0]))
            assert (await hello(citizen))["type"] == "waiting"
            pid = f"u{room['citizens'][0].pk}"
            assert await status_in_room(room["session"], pid) == ("lobby", True)
            redis.stop()
            deadline = time.monotonic() + 60
            while True:
                assert time.monotonic() < deadline, "the socket was never closed"
                output = await citizen.receive_output(timeout=60)
                if output["type"] == "websocket.close":
                    break
            assert output["code"] == 1011
            assert await status_in_room(room["session"], pid) == ("lobby", False)

        asyncio.run(scenario())


# --- 6. Shutdown with people in the room --------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_daphne_stops_on_sigterm_with_sockets_in_the_room_and_records_their_drop(office_tree, make_user,
                                                                                 tmp_path, settings):
    """A deploy restarts the workers while a reception is on. Daphne closes every socket and exits; each
    consumer records its drop (the room sees them disconnected, within the grace period) and publishes it
    from the event loop — publishing with ``async_to_sync`` from a worker thread here hung the process."""
    import signal
    import subprocess

    room = open_room(office_tree, make_user)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    with daphne(env, tmp_path / "a.log") as base_a, daphne(env, tmp_path / "b.log") as base_b:
        host, officer, citizen = peers(room, base_b)

        async def scenario():
            try:
                pid = await enter_and_admit(host, officer, citizen, base_b, base_a)
                base_a.process.send_signal(signal.SIGTERM)  # the citizen's process
                try:
                    await asyncio.get_running_loop().run_in_executor(None, base_a.process.wait, 30)
                except subprocess.TimeoutExpired:
                    base_a.process.send_signal(signal.SIGUSR1)  # its threads' stacks, into its log
                    await asyncio.sleep(2)
                    pytest.fail("Daphne did not exit within 30 s of SIGTERM with a socket in the room; its log:\n"
                                + (tmp_path / "a.log").read_text()[-12000:])
                await host.until("participant.updated", of(pid, connected=False))
                assert await status_in_room(room["session"], pid) == ("admitted", False)
            finally:
                await close_all(host, officer, citizen)

        asyncio.run(scenario())
