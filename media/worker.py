"""The media worker: an aiortc process that is the SFU of the rooms it holds (``manage.py media_worker``).

* **Assignment** (Redis): every open room is held by one worker, a key ``<prefix>:media:room:<room id>``
  set with NX and a TTL (``MEDIA_CLAIM_TTL_SECONDS``) and renewed while the worker lives. A worker that dies
  stops renewing; its rooms are free after the TTL and another worker claims them and tells the clients to
  negotiate again (``media.ready``) — without a new admission: who is admitted lives in PostgreSQL.
* **``media.ready``** goes to each admitted participant once the room's holder knows them (at a claim, or
  within a state poll of their admission): "send your ``publish`` offer now, to me". Offers sent before
  are lost if no worker held the room yet; a client may also re-offer at any time (after a reconnection).
  Workers with fewer rooms claim first (a delay proportional to their load), which spreads the rooms.
* **Signalling** (channel layer): the holder joins the group ``media.<room id>``; ``signaling.services``
  forwards every ``rtc.*`` frame of an admitted participant there, and the worker answers on the
  participant's own group (``room.<session>.<pid>``), which their room socket delivers.
* **Room state** (PostgreSQL): read every ``MEDIA_STATE_POLL_SECONDS`` (and at once on a signal), it says
  who is admitted and who is muted; the router enforces it on every frame.

Peer connections (see docs/media.md for why): one ``publish`` connection per participant, offered by the
client, and one ``sub:<publisher>`` connection per (subscriber, publisher) pair, offered by the server —
so nobody's connection is ever renegotiated when others come and go.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from dataclasses import dataclass, field

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from media import recorder
from media.router import RoomRouter, prefer_codecs
from media.weaklines import RoomLines
from signaling.services import MEDIA_RELEVANT, media_group, participant_group, room_group

logger = logging.getLogger(__name__)

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end
"""


class LocalClaims:
    """The room claims of the embedded default (no ``REDIS_URL``): the one in-process worker holds them in
    memory. The same calls as the Redis client the worker uses (``set`` NX with a TTL, ``get``, the renew
    and release scripts), so the worker's code is the same in both modes."""

    def __init__(self):
        self.values: dict[str, tuple[str, float]] = {}  # key -> (value, expiry on the monotonic clock)

    def _live(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None or value[1] < time.monotonic():
            self.values.pop(key, None)
            return None
        return value[0]

    async def set(self, key: str, value: str, nx: bool = False, px: int | None = None, ex: int | None = None):
        if nx and self._live(key) is not None:
            return None
        ttl = px / 1000 if px is not None else ex if ex is not None else 10 ** 9
        self.values[key] = (value, time.monotonic() + ttl)
        return True

    async def get(self, key: str):
        value = self._live(key)
        return value.encode() if value is not None else None

    async def eval(self, script: str, numkeys: int, key: str, owner: str, *args):
        if self._live(key) != owner:
            return 0
        if script == RENEW:
            self.values[key] = (owner, time.monotonic() + int(args[0]) / 1000)
        else:
            self.values.pop(key, None)
        return 1

    async def aclose(self) -> None:
        pass


def claim_key(room_id: int) -> str:
    return f"{settings.CHANNEL_LAYER_PREFIX}:media:room:{room_id}"


def seen_key(room_id: int) -> str:
    """Set once a room has had a media holder: a later claim is a take-over, and clients must renegotiate."""
    return f"{settings.CHANNEL_LAYER_PREFIX}:media:seen:{room_id}"


@dataclass
class RoomMedia:
    room_id: int
    session_id: int
    router: RoomRouter
    state: dict = field(default_factory=dict)
    publish: dict[str, RTCPeerConnection] = field(default_factory=dict)  # pid -> the pid's own media
    subscriptions: dict[tuple[str, str], RTCPeerConnection] = field(default_factory=dict)  # (sub, pub) -> pc
    ready: set[str] = field(default_factory=set)  # admitted participants told ``media.ready`` by this worker
    recording: dict[str, recorder.Segment] = field(default_factory=dict)  # pid -> the segment being written
    # The room's events reach the worker at once (not only at the next poll): its own channel joins the
    # participant groups of the admitted, and any frame there triggers a state refresh (``watch``).
    events: str | None = None
    watched: set[str] = field(default_factory=set)
    nudge: asyncio.Event = field(default_factory=asyncio.Event)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tasks: list = field(default_factory=list)
    lines: RoomLines | None = None  # weak lines: each subscriber's downlink, each publisher's uplink

    def participant(self, pid: str) -> dict | None:
        return (self.state.get("participants") or {}).get(pid)

    def admitted(self, pid: str) -> bool:
        p = self.participant(pid)
        return bool(p and p["status"] == "admitted" and not self.state.get("ended"))


def _open_rooms() -> list[tuple[int, int]]:
    from sessions.models import SessionStatus
    from signaling.models import Room

    return list(Room.objects.filter(session__status=SessionStatus.OPEN).values_list("pk", "session_id"))


def _room_state(room_id: int) -> dict | None:
    from signaling.models import Room

    return Room.objects.filter(pk=room_id).values_list("state", flat=True).first()


def ice_configuration(worker_id: str = "media") -> RTCConfiguration:
    """The same ICE servers the configuration endpoint gives browsers (``signaling.ice``): STUN, and TURN
    with fresh time-limited credentials under the identity ``media-<worker id>``. Built for every new peer
    connection, so a credential is never older than the connection using it. A worker normally has a
    public address and needs no relay; TURN helps when it sits behind NAT (docs/media.md, "Network")."""
    from signaling.ice import ice_servers_for

    servers = [RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
               for s in ice_servers_for(f"media-{worker_id}")["ice_servers"]]
    return RTCConfiguration(iceServers=servers)


class MediaWorker:
    def __init__(self, worker_id: str | None = None, relay: str | None = None):
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self.relay = relay or settings.MEDIA_RELAY  # "forward" (encoded frames) or "relay" (decode/re-encode)
        self.rooms: dict[int, RoomMedia] = {}
        self.ttl_ms = int(settings.MEDIA_CLAIM_TTL_SECONDS * 1000)
        self.stopping = asyncio.Event()

    # --- Process ------------------------------------------------------------------------------------------

    async def run(self) -> None:
        import redis.asyncio as redis

        from core.redis_connection import pool_options as redis_pool_options

        self.layer = get_channel_layer()
        self.channel = await self.layer.new_channel()
        self.redis = (redis.Redis.from_pool(redis.ConnectionPool(**redis_pool_options(settings.REDIS_URL)))
                      if settings.REDIS_URL else LocalClaims())
        logger.info("media worker %s started", self.worker_id)
        tasks = [asyncio.create_task(coro) for coro in (self.claim_loop(), self.state_loop(), self.receive_loop())]
        try:
            await self.stopping.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for room_id in list(self.rooms):
                await self.release(room_id)
            await self.redis.aclose()
            logger.info("media worker %s stopped", self.worker_id)

    def stop(self) -> None:
        self.stopping.set()

    # --- Assignment -----------------------------------------------------------------------------------------

    async def claim_loop(self) -> None:
        while True:
            try:
                await self.claim_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis or PostgreSQL away: try again on the next turn
                logger.warning("media claim turn failed", exc_info=True)
            await asyncio.sleep(settings.MEDIA_CLAIM_INTERVAL_SECONDS)

    async def claim_once(self) -> None:
        open_rooms = dict(await database_sync_to_async(_open_rooms, thread_sensitive=False)())
        for room_id in list(self.rooms):
            kept = room_id in open_rooms and await self.redis.eval(
                RENEW, 1, claim_key(room_id), self.worker_id, self.ttl_ms)
            if not kept:
                await self.release(room_id)
        free = [(r, s) for r, s in open_rooms.items() if r not in self.rooms]
        if not free:
            return
        await asyncio.sleep(0.05 * len(self.rooms) * random.uniform(0.5, 1.5))  # the less loaded claim first
        for room_id, session_id in free:
            if await self.redis.set(claim_key(room_id), self.worker_id, nx=True, px=self.ttl_ms):
                await self.take(room_id, session_id)

    async def take(self, room_id: int, session_id: int) -> None:
        room = RoomMedia(room_id, session_id,
                         RoomRouter(lambda pid, kind: self.allowed(room, pid, kind), mode=self.relay))
        self.rooms[room_id] = room
        await self.layer.group_add(media_group(room_id), self.channel)
        taken_over = not await self.redis.set(seen_key(room_id), self.worker_id, nx=True, ex=86400)
        logger.info("media worker %s holds room %s%s", self.worker_id, room_id, " (taken over)" if taken_over else "")
        room.events = await self.layer.new_channel()
        # Every room command's frames (one message per command to the room's group): the watch nudges a
        # refresh on those that matter to media (issue 18: no separate nudge message per command).
        await self.layer.group_add(room_group(session_id), room.events)
        room.lines = RoomLines(lambda pid, frame: self.send(room, pid, frame))  # weak lines
        room.tasks = [asyncio.create_task(self.watch(room)), asyncio.create_task(self.on_nudge(room)),
                      asyncio.create_task(self.watch_lines(room))]
        await self.refresh(room)  # everyone admitted is told media.ready: (re)negotiate with this worker

    async def release(self, room_id: int) -> None:
        room = self.rooms.pop(room_id, None)
        if room is None:
            return
        for pid in list(room.recording):
            await self.stop_recording(room, pid)
        for pc in [*room.publish.values(), *room.subscriptions.values()]:
            await pc.close()
        room.router.close()
        for task in room.tasks:
            task.cancel()
        try:
            for pid in room.watched:
                await self.layer.group_discard(participant_group(room.session_id, pid), room.events)
            await self.layer.group_discard(media_group(room_id), self.channel)
            if room.events:
                await self.layer.group_discard(room_group(room.session_id), room.events)
            await self.redis.eval(RELEASE, 1, claim_key(room_id), self.worker_id)
        except Exception:  # noqa: BLE001 - the TTL frees it anyway
            logger.warning("could not release room %s", room_id, exc_info=True)

    # --- Room state -------------------------------------------------------------------------------------------

    async def state_loop(self) -> None:
        while True:
            for room in list(self.rooms.values()):
                try:
                    await self.refresh(room)
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001
                    logger.warning("room %s state refresh failed", room.room_id, exc_info=True)
            await asyncio.sleep(settings.MEDIA_STATE_POLL_SECONDS)

    async def watch(self, room: RoomMedia) -> None:
        """A room command whose frames matter to media (an admission, a mute, a departure, the recording
        switch: ``signaling.services.MEDIA_RELEVANT``), seen in the room's group, or any frame to an admitted
        participant, nudges a refresh: the media follows the room without waiting for the next poll."""
        while True:
            try:
                message = await self.layer.receive(room.events)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the poll still runs
                await asyncio.sleep(1)
                continue
            kind = message.get("type")
            if kind == "room.frame" or (kind == "room.frames" and any(
                    frame_kind in MEDIA_RELEVANT for _recipients, frame_kind, _text in message.get("frames") or ())):
                room.nudge.set()

    async def on_nudge(self, room: RoomMedia) -> None:
        while True:
            await room.nudge.wait()
            room.nudge.clear()
            try:
                await self.refresh(room)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                logger.warning("room %s state refresh failed", room.room_id, exc_info=True)

    async def watch_lines(self, room: RoomMedia) -> None:
        """Weak lines (media/weaklines.py): once a second, each line's level from its RTCP reports."""
        while True:
            await asyncio.sleep(1.0)
            try:
                await room.lines.tick(room.state)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - never takes the room down
                logger.warning("room %s: weak-line tick failed", room.room_id, exc_info=True)

    async def refresh(self, room: RoomMedia) -> None:
        async with room.lock:
            await self._refresh(room)

    async def _refresh(self, room: RoomMedia) -> None:
        state = await database_sync_to_async(_room_state, thread_sensitive=False)(room.room_id)
        if state is None:
            return
        room.state = state
        for pid in state.get("participants") or {}:
            if room.admitted(pid) and pid not in room.watched and room.events:
                room.watched.add(pid)
                await self.layer.group_add(participant_group(room.session_id, pid), room.events)
        for pid in list(room.publish):
            if not room.admitted(pid):  # left, removed, dropped for good, or the session ended
                await self.drop(room, pid)
        for pid in list(room.ready):
            if not room.admitted(pid):
                room.ready.discard(pid)
        for pid in state.get("participants") or {}:
            if room.admitted(pid) and pid not in room.ready:  # newly admitted, or new to this worker
                room.ready.add(pid)
                await self.send(room, pid, {"type": "media.ready"})
        await self.sync_recording(room)

    # --- Recording ----------------------------------------------------------------------------------------

    async def sync_recording(self, room: RoomMedia) -> None:
        """Record every admitted publisher while the room's recording flag is on (host.recording)."""
        on = bool(room.state.get("recording")) and not room.state.get("ended")
        publishing = set(room.router.publishers())
        for pid in list(room.recording):
            if not on or pid not in publishing or not room.admitted(pid):
                await self.stop_recording(room, pid)
        if on:
            for pid in publishing - set(room.recording):
                if room.admitted(pid):
                    room.recording[pid] = await recorder.start(pid, room.router.outgoing(pid))
                    logger.info("room %s: recording %s", room.room_id, pid)

    async def stop_recording(self, room: RoomMedia, pid: str) -> None:
        segment = room.recording.pop(pid, None)
        if segment is None:
            return
        try:
            await segment.recorder.stop()
            await database_sync_to_async(recorder.save, thread_sensitive=False)(segment, room.session_id, room.state)
            logger.info("room %s: recording of %s saved", room.room_id, pid)
        except Exception:  # noqa: BLE001 - keep the room going; the operators see it
            logger.exception("room %s: the recording of %s could not be saved", room.room_id, pid)

    @staticmethod
    def allowed(room: RoomMedia, pid: str, kind: str) -> bool:
        p = room.participant(pid)
        if not p or p["status"] != "admitted" or room.state.get("ended"):
            return False
        if kind == "audio":
            return p.get("audio_on", True) and not p.get("audio_muted_by_host")
        return p.get("video_on", True) and not p.get("video_stopped_by_host")

    # --- Signalling ---------------------------------------------------------------------------------------

    async def receive_loop(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis away: the layer's client retries; so do we
                logger.warning("media worker: channel layer receive failed", exc_info=True)
                await asyncio.sleep(1)
                continue
            if message.get("type") != "media.signal":
                continue
            try:
                await self.on_signal(message)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one bad negotiation never takes the worker down
                logger.exception("media signal from %s in room %s failed", message.get("pid"), message.get("room"))

    async def on_signal(self, message: dict) -> None:
        room = self.rooms.get(message["room"])
        if room is None:
            return  # not ours (any more): the holder answers
        pid, frame = message["pid"], message["frame"]
        logger.info("room %s: %s %s from %s", room.room_id, frame["type"], frame.get("pc"), pid)
        room.state = await database_sync_to_async(_room_state, thread_sensitive=False)(room.room_id) or room.state
        if not room.admitted(pid):
            return
        kind, pc_id = frame["type"], frame.get("pc", "publish")
        if kind == "rtc.offer" and pc_id == "publish":
            await self.publish(room, pid, frame["sdp"])
        elif kind == "rtc.answer" and pc_id.startswith("sub:"):
            pc = room.subscriptions.get((pid, pc_id[4:]))
            if pc is not None and pc.signalingState == "have-local-offer":
                await pc.setRemoteDescription(RTCSessionDescription(sdp=frame["sdp"], type="answer"))
        # rtc.ice: aiortc puts every candidate in the SDP and takes none trickled; see docs/media.md.

    async def publish(self, room: RoomMedia, pid: str, sdp: str) -> None:
        """``pid`` offers their camera and microphone (first time, or again after a reconnection)."""
        await self.drop(room, pid, tell_others=False)
        pc = RTCPeerConnection(ice_configuration(self.worker_id))
        room.publish[pid] = pc

        @pc.on("track")
        def on_track(track):
            receiver = next((t.receiver for t in pc.getTransceivers() if t.receiver.track is track), None)
            room.router.publish(pid, track, receiver)
            if receiver is not None and room.lines is not None:
                room.lines.publishing(pid, receiver)  # weak lines: the uplink's loss

        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        prefer_codecs(pc)  # VP8 and Opus: forwarded as they come, recorded as they are
        await pc.setLocalDescription(await pc.createAnswer())
        await self.send(room, pid, {"type": "rtc.answer", "pc": "publish", "sdp": pc.localDescription.sdp})
        await self.sync_recording(room)  # a re-publish (reconnection) continues the recording in a new segment
        for other in list(room.publish):
            if other != pid:
                await self.subscribe(room, other, pid)  # the others receive the newcomer
                await self.subscribe(room, pid, other)  # the newcomer receives the others

    async def subscribe(self, room: RoomMedia, subscriber: str, publisher: str) -> None:
        old = room.subscriptions.pop((subscriber, publisher), None)
        if old is not None:
            await old.close()
        tracks = room.router.outgoing(publisher)
        if not tracks:
            return
        pc = RTCPeerConnection(ice_configuration(self.worker_id))
        pairs = []
        for track in tracks:
            sender = pc.addTrack(track)
            room.router.bind(sender, track)  # the subscriber's PLI asks the publisher for a keyframe
            pairs.append((sender, track))
        if room.lines is not None and all(hasattr(t, "set_paused") for t in tracks):
            room.lines.subscription(subscriber, publisher, pairs)  # weak lines: the subscriber's reports
        prefer_codecs(pc)
        room.subscriptions[(subscriber, publisher)] = pc
        await pc.setLocalDescription(await pc.createOffer())
        p = room.participant(publisher) or {}
        await self.send(room, subscriber, {
            "type": "rtc.offer", "pc": f"sub:{publisher}", "sdp": pc.localDescription.sdp,
            "participant": {"pid": publisher, "role": p.get("role"), "site": p.get("site"),
                            "name": p.get("name") if p.get("role") != "citizen" else None},
        })

    async def drop(self, room: RoomMedia, pid: str, tell_others: bool = True) -> None:
        """``pid``'s media leaves the room: their connections close, the others' subscriptions to them too."""
        await self.stop_recording(room, pid)
        pc = room.publish.pop(pid, None)
        if pc is not None:
            await pc.close()
        room.router.unpublish(pid)
        if room.lines is not None:
            room.lines.gone(pid)  # weak lines
        for (subscriber, publisher), sub in list(room.subscriptions.items()):
            if pid in (subscriber, publisher):
                room.subscriptions.pop((subscriber, publisher))
                await sub.close()
                if tell_others and publisher == pid and subscriber in room.publish:
                    await self.send(room, subscriber, {"type": "rtc.closed", "pc": f"sub:{pid}"})

    async def send(self, room: RoomMedia, pid: str, frame: dict) -> None:
        await self.layer.group_send(participant_group(room.session_id, pid), {"type": "room.frame", "frame": frame})


_embedded: asyncio.Task | None = None


def start_embedded() -> asyncio.Task | None:
    """The embedded default (``make run``, no ``REDIS_URL``): one media worker inside the web process, on its
    event loop, with the in-process channel layer and in-process room claims (``LocalClaims``). Started
    once, by the ASGI application's first call (project/asgi.py); production runs ``manage.py media_worker``
    processes instead (``MEDIA_EMBEDDED`` is off when ``REDIS_URL`` is set)."""
    global _embedded
    if _embedded is None or _embedded.done():
        from media import network

        loop = asyncio.get_running_loop()
        network.apply(loop, settings.MEDIA_BIND_ADDRESSES, settings.MEDIA_UDP_PORT_MIN, settings.MEDIA_UDP_PORT_MAX)
        _embedded = loop.create_task(MediaWorker(f"embedded-{os.getpid()}").run())
        logger.info("embedded media worker started in the web process")
    return _embedded
