"""``/ws/sessions/<public_id>/``: the room socket. Translates frames to ``signaling.services`` calls and
channel-layer messages to frames — nothing else. See docs/protocol.md.

Connection: the handshake is authenticated by the session cookie, or by a join link token in the query
string (``?token=…``). The first frame must be ``hello`` (within HELLO_TIMEOUT seconds). Every refusal is a
typed ``error`` frame; protocol errors never close the room, and a bad frame never closes the socket —
only ``refused``, ``removed``, ``session.ended``, an entry error, or a client over its rate limit for too
long does.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from signaling import services
from signaling.protocol import frames as f

logger = logging.getLogger(__name__)

HELLO_TIMEOUT = 15
SHUTDOWN_RECORD_SECONDS = 5  # how long a consumer cancelled by a stopping server may take to record its drop


class Pending:
    """Room commands of this process waiting for or holding a database thread (back-pressure)."""

    count = 0

    @classmethod
    def full(cls) -> bool:
        return cls.count >= settings.ROOM_MAX_PENDING_COMMANDS


async def db_call(func, *args, **kwargs):
    Pending.count += 1
    try:
        return await db(func)(*args, **kwargs)
    finally:
        Pending.count -= 1


_db_wrappers: dict = {}


def db(func):
    """Run a services call on the thread pool. Channels' default (thread-sensitive) would put the database
    work of every socket of this process on one thread; rooms are serialised by their row lock instead.
    One wrapper per function, made once: building a ``SyncToAsync`` (``inspect``, ``update_wrapper``) cost
    more than the call itself (~8 % of the event loop's time in the issue-18 profile)."""
    wrapper = _db_wrappers.get(func)
    if wrapper is None:
        wrapper = _db_wrappers[func] = DatabaseSyncToAsync(func, thread_sensitive=False)
    return wrapper


class LocalRooms:
    """This process's room sockets, by session, behind ONE channel of the process in each room's group
    (issue 18): a room command reaches a process as one channel-layer message, received once, and is handed
    in memory, in the order received (seq order), to each local socket of the room — not once per socket
    through Channels' per-consumer receive and dispatch. The channel joins a room's group with the room's
    first local socket (and again on every hello and ping: a restarted Redis has forgotten the groups) and
    leaves it with the last; joins and leaves of one room are serialised, so a socket arriving while the
    last one leaves never ends up outside the group."""

    _by_layer: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, layer):
        self.layer = layer
        self.loop = asyncio.get_running_loop()
        self.channel: str | None = None
        self.sockets: dict[int, weakref.WeakSet[RoomConsumer]] = {}
        self.locks: dict[int, asyncio.Lock] = {}
        self.task: asyncio.Task | None = None

    @classmethod
    def of(cls, layer) -> LocalRooms:
        local = cls._by_layer.get(layer)
        if local is None or local.loop is not asyncio.get_running_loop():
            local = cls._by_layer[layer] = cls(layer)
        return local

    async def join(self, session_id: int, consumer: RoomConsumer) -> None:
        if self.channel is None:
            # The default prefix: channels-redis receives all of a process's channels through one key.
            self.channel = await self.layer.new_channel()
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.receive_loop())
        self.sockets.setdefault(session_id, weakref.WeakSet()).add(consumer)
        async with self.locks.setdefault(session_id, asyncio.Lock()):
            await self.layer.group_add(services.room_group(session_id), self.channel)

    async def leave(self, session_id: int, consumer: RoomConsumer) -> None:
        sockets = self.sockets.get(session_id)
        if sockets is None or consumer not in sockets:
            return
        sockets.discard(consumer)
        if sockets or self.channel is None:
            return
        async with self.locks.setdefault(session_id, asyncio.Lock()):
            if not self.sockets.get(session_id):  # nobody joined while we waited for the lock
                self.sockets.pop(session_id, None)
                await self.layer.group_discard(services.room_group(session_id), self.channel)

    async def receive_loop(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis away: the sockets' own receives notice and close them
                logger.warning("room process channel: receive failed", exc_info=True)
                await asyncio.sleep(1)
                continue
            if message.get("type") != "room.frames":
                continue
            for consumer in list(self.sockets.get(message.get("session"), ())):
                try:
                    await consumer.local_frames(message)
                except Exception:  # noqa: BLE001 - one socket's failure never stops the others' frames
                    logger.warning("room frames not delivered to one socket", exc_info=True)


CLOSING_FRAMES = {"refused", "removed", "session.ended"}
CLOSE_CODES = {"unavailable": 1013, "not_found": 4404, "session_not_open": 4409, "forbidden": 4403, "not_authenticated": 4401,
               "link_expired": 4401, "link_invalid": 4401, "refused": 4403, "lobby_locked": 4423}


def client_language(scope) -> str:
    """The language of the client's messages, known at the handshake (entry errors come before ``hello``):
    ``?lang=`` (the room page sends its own language), else the language cookie, else Accept-Language,
    else ``LANGUAGE_CODE`` (Vietnamese). Only languages in ``LANGUAGES`` are used."""
    from django.utils.translation import get_supported_language_variant
    from django.utils.translation.trans_real import parse_accept_lang_header

    query = parse_qs(scope.get("query_string", b"").decode(errors="replace"))
    headers = dict(scope.get("headers") or [])
    candidates = [(query.get("lang") or [""])[0], (scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")]
    accept = headers.get(b"accept-language", b"").decode("latin-1")[:500]
    candidates += [code for code, _q in parse_accept_lang_header(accept) if code != "*"]
    for code in candidates:
        if not code:
            continue
        try:
            return get_supported_language_variant(code[:20])
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class TokenBucket:
    def __init__(self, rate: float, burst: int):
        self.rate, self.capacity, self.tokens, self.stamp = rate, burst, float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class RoomConsumer(AsyncWebsocketConsumer):
    entry: services.Entry | None = None
    room_id: int | None = None
    group: str | None = None
    admitted = False  # this participant was seen admitted on this socket (welcome as admitted, or admitted)

    busy = False  # handling a frame of its client: room frames wait in ``backlog`` (see local_frames)

    async def dispatch(self, message):
        """As Channels' ``AsyncConsumer.dispatch`` without its ``aclose_old_connections()`` before every
        message: that is a hop to the single thread-sensitive executor and back for each frame received and
        each delivery. This consumer never touches the database on the event loop: every database call runs
        through ``DatabaseSyncToAsync`` (:func:`db`), which closes old connections itself, in its own thread,
        before and after the call.

        While a client frame is handled, the room's frames handed over by :class:`LocalRooms` wait and follow
        its replies — the order Channels' one-message-at-a-time dispatch gave when they came through this
        socket's own channel (e.g. ``welcome`` before the ``participant.joined`` of one's own entry)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        if message["type"] != "websocket.receive":
            await handler(message)
            return
        self.busy = True
        try:
            await handler(message)
        finally:
            try:
                while self.backlog:
                    await self.room_frames(self.backlog.pop(0))
            finally:
                self.backlog.clear()
                self.busy = False

    async def local_frames(self, message):
        """A room command's frames from :class:`LocalRooms`: sent now, or after the client frame being handled."""
        if self.busy:
            self.backlog.append(message)
            return
        await self.room_frames(message)

    async def connect(self):
        self.backlog: list[dict] = []
        self.lang = client_language(self.scope)
        self.bucket = TokenBucket(settings.WS_MAX_FRAMES_PER_SECOND, settings.WS_FRAME_BURST)
        self.strikes = 0
        query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
        token = (query.get("token") or [None])[0]
        session_id = self.scope["url_route"]["kwargs"]["session"]
        await self.accept()
        try:
            self.entry = await db(services.resolve_entry)(session_id, self.scope.get("user"),
                                                                                token)
        except DomainError as exc:
            await self.fail(exc.code, exc.message)
            return
        self.hello_timer = asyncio.get_running_loop().call_later(HELLO_TIMEOUT, self._hello_timeout)

    def _hello_timeout(self):
        if self.group is None:
            asyncio.ensure_future(self.fail("hello_timeout", _("Hãy gửi lời chào (hello) trước.")))

    def render(self, message) -> str:
        """A refusal's message (a lazy gettext string, Vietnamese msgid) in the client's language."""
        with translation.override(getattr(self, "lang", settings.LANGUAGE_CODE)):
            return str(message)

    async def fail(self, code: str, message, reply_to=None) -> None:
        self.closing = True
        await self.send_frame({"type": "error", "code": code, "message": self.render(message), "reply_to": reply_to})
        await self.close(code=CLOSE_CODES.get(code, 4400))

    async def send_frame(self, frame: dict) -> None:
        await self.send(text_data=services.encode_frame(frame))

    async def send_error(self, code: str, message, reply_to=None, details=None) -> None:
        frame = {"type": "error", "code": code, "message": self.render(message), "reply_to": reply_to}
        if details:
            frame["details"] = details
        await self.send_frame(frame)

    async def receive(self, text_data=None, bytes_data=None):
        if self.entry is None or getattr(self, "closing", False):
            return
        if not self.bucket.take():
            self.strikes += 1
            if self.strikes > settings.WS_FRAME_BURST:
                await self.fail("rate_limited", _("Quá nhiều khung tin; kết nối bị đóng."))
            elif self.strikes == 1 or self.strikes % 20 == 0:
                await self.send_error("rate_limited", _("Quá nhiều khung tin; hãy gửi chậm lại."))
            return
        self.strikes = 0
        try:
            frame = f.parse_client_frame(text_data)  # binary frames (text_data None) are refused
        except f.FrameError as exc:
            await self.send_error(exc.code, exc.message, exc.reply_to, exc.details)
            return
        if self.group is None:
            if not isinstance(frame, f.Hello):
                await self.send_error("hello_first", _("Hãy gửi lời chào (hello) trước."), frame.id)
                return
            await self.on_hello(frame)
            return
        if isinstance(frame, f.Hello):
            await self.send_error("already_joined", _("Lời chào (hello) chỉ gửi một lần."), frame.id)
            return
        if isinstance(frame, f.Ping):
            # Re-join the groups on every ping: after a Redis restart the channel layer has forgotten them.
            try:
                await self.join_groups()
            except Exception:
                logger.warning("channel layer unavailable on ping", exc_info=True)
                await self.send_error("unavailable", _("Cập nhật trực tiếp đang gián đoạn; đang thử lại."), frame.id)
                return
        if isinstance(frame, f.RtcOffer | f.RtcAnswer | f.RtcIce) and self.admitted and self.room_id:
            # Media negotiation of an admitted participant: straight to the media worker, no thread hop, no
            # database read (the worker checks admission against the room state itself).
            await services.send_messages(services.media_messages(self.room_id, self.entry, frame))
            return
        if isinstance(frame, f.Leave):
            self.admitted = False
        if Pending.full():
            await self.send_busy(frame.id)
            return
        try:
            outcome = await db_call(services.handle, self.entry, frame, deferred=True)
        except DomainError as exc:
            await self.send_error(exc.code, exc.message, frame.id)
            return
        except Exception:  # never let one frame take the socket down; log it for the operators
            logger.exception("room frame %s failed", frame.type)
            await self.send_error("internal_error", _("Máy chủ không xử lý được khung tin này."), frame.id)
            return
        await services.send_messages(outcome.messages)
        await self.deliver(outcome.replies)

    async def send_busy(self, reply_to) -> None:
        """Overloaded: the frame was not applied; the client sends it again after ``retry_after`` seconds."""
        await self.send_error("busy", _("Máy chủ đang bận, đang thử lại…"), reply_to,
                              {"retry_after": settings.ROOM_BUSY_RETRY_SECONDS})

    async def on_hello(self, frame: f.Hello) -> None:
        if Pending.full():
            await self.send_busy(frame.id)  # the hello timer keeps running: a client that never retries is closed
            return
        self.hello_timer.cancel()
        # Join the groups first, so nothing published after the join is missed.
        group = services.participant_group(self.entry.session_id, self.entry.pid)
        try:
            await self.join_groups()
        except Exception:
            logger.warning("channel layer unavailable on hello", exc_info=True)
            await self.fail("unavailable", _("Cập nhật trực tiếp tạm thời không dùng được; hãy thử lại sau ít phút."),
                            frame.id)
            return
        try:
            self.room_id, outcome = await db_call(services.join,
                                                  self.entry, frame.resume_token, frame.last_seq, deferred=True)
        except DomainError as exc:
            await self.leave_groups()
            await self.fail(exc.code, exc.message, frame.id)
            return
        self.group = group
        self.connection = next((fr.get("connection") for fr in outcome.replies
                                if fr.get("type") in ("welcome", "waiting")), None)
        await services.send_messages(outcome.messages)
        await self.deliver(outcome.replies)

    def note_admission(self, kind: str | None, frame: dict | None = None) -> None:
        if kind == "admitted" or (kind == "welcome" and frame is not None
                                  and (frame.get("snapshot") or {}).get("status") == "admitted"):
            self.admitted = True

    async def deliver(self, frames: list[dict]) -> None:
        for frame in frames:
            self.note_admission(frame.get("type"), frame)
            await self.send_frame(frame)
            if frame.get("type") in CLOSING_FRAMES:
                self.closing = True
                await self.close(code=4000)
                return

    async def join_groups(self) -> None:
        """The room's frames through this process's channel in the room group (:class:`LocalRooms`); the
        media worker's frames for this participant through this socket's own channel."""
        await LocalRooms.of(self.channel_layer).join(self.entry.session_id, self)
        await self.channel_layer.group_add(services.participant_group(self.entry.session_id, self.entry.pid),
                                           self.channel_name)

    async def leave_groups(self) -> None:
        await LocalRooms.of(self.channel_layer).leave(self.entry.session_id, self)
        await self.channel_layer.group_discard(services.participant_group(self.entry.session_id, self.entry.pid),
                                               self.channel_name)

    async def room_frame(self, message):
        """A frame for this participant alone (the media worker's); ``None``: a nudge meant for the media
        worker watching this group (services._messages), nothing for the client."""
        if message.get("frame") is not None:
            await self.deliver([message["frame"]])

    async def room_frames(self, message):
        """A command's frames, published once to the whole room and handed over by :class:`LocalRooms`:
        send those addressed to this participant, already encoded, in order."""
        pid = self.entry.pid if self.entry else None
        for recipients, kind, text in message["frames"]:
            if pid in recipients:
                self.note_admission(kind)
                await self.send(text_data=text)
                if kind in CLOSING_FRAMES:
                    self.closing = True
                    await self.close(code=4000)
                    return

    async def __call__(self, scope, receive, send):
        """Channels ends a consumer whose channel-layer receive raises (Redis gone for longer than the
        client's retries) without calling ``disconnect``: the participant would stay "connected" forever
        and never be expired. Record the drop, close the socket (the client resumes), and end quietly."""
        try:
            await super().__call__(scope, receive, send)
        except asyncio.CancelledError:
            # Daphne shutting down (SIGTERM on a deploy) cancels every application before it closes the
            # sockets: record the drop (bounded, so shutdown is never held up), then let it go.
            try:
                await asyncio.wait_for(self.record_disconnect(), timeout=SHUTDOWN_RECORD_SECONDS)
            except (TimeoutError, asyncio.CancelledError):
                logger.warning("shutdown: the drop of %s was not recorded in time", self.entry and self.entry.pid)
            raise
        except Exception:
            logger.warning("room socket ended by a server-side error", exc_info=True)
            await self.record_disconnect()
            try:
                await send({"type": "websocket.close", "code": 1011})
            except Exception:  # noqa: BLE001 - the socket is gone already
                pass

    async def disconnect(self, code):
        await self.record_disconnect()

    async def record_disconnect(self) -> None:
        """Once per socket: the participant keeps their place for the grace period. Runs as a task of its
        own, shielded, so a cancellation of the consumer half-way (server shutdown) neither loses the
        publication nor records the drop twice: a second call waits for the same task."""
        if getattr(self, "drop_task", None) is None:
            self.drop_task = asyncio.ensure_future(self._record_disconnect())
        await asyncio.shield(self.drop_task)

    async def _record_disconnect(self) -> None:
        if getattr(self, "hello_timer", None):
            self.hello_timer.cancel()
        if self.group is not None:
            # Record the disconnect first: it matters even when Redis is down.
            try:
                outcome = await db(services.disconnect)(self.entry, getattr(self, "connection", None),
                                                        deferred=True)
                await services.send_messages(outcome.messages)
            except Exception:
                logger.exception("could not record a disconnect")
            try:
                await self.leave_groups()
            except Exception:
                logger.warning("could not leave the channel group", exc_info=True)
