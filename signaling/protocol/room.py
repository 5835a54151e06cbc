"""The room state machine: ``apply(state, actor, command, now) -> Result``. Pure: no I/O, no clock.

State: who is in the room (admitted), who waits (lobby, in order of arrival), who may speak (floor),
mute state, the recording flag, the lobby lock, and a sequence number. Commands are client frames
(``frames.*``) or system commands (``Join``, ``Reconnect``, ``Disconnect``, ``ExpireDisconnected``,
``IdentityResult``). The result holds the new state, the frames to emit (``Outbound``: to one participant,
or to an audience) and the facts to persist (``Record``). Events to an audience carry ``seq`` and are
logged for replay; replies to the actor (``ack``, ``error``) do not.

Who may send which host command is the permission module's table (``accounts.permissions.ROOM_ACTIONS``);
this module applies it and never trusts a client's idea of its role.

Refusals carry a stable ``code`` and a lazy, translatable ``message`` (Vietnamese first): the consumer
renders it in the language of the client's page.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from accounts.permissions import room_role_may
from signaling.protocol import frames as f


class RoomRole(StrEnum):
    HOST = "host"  # the leader hosting the session (lãnh đạo chủ trì)
    LEADER = "leader"  # another leader at a connected site
    OFFICER = "officer"  # reception officer (cán bộ tiếp công dân)
    SECRETARY = "secretary"  # thư ký
    INSPECTOR = "inspector"  # observer from the tier above
    CITIZEN = "citizen"


STAFF_ROLES = frozenset(RoomRole) - {RoomRole.CITIZEN}


class Status(StrEnum):
    LOBBY = "lobby"
    ADMITTED = "admitted"
    REFUSED = "refused"
    REMOVED = "removed"
    LEFT = "left"


PRESENT = (Status.LOBBY, Status.ADMITTED)


@dataclass
class Participant:
    pid: str
    user_id: int
    name: str
    role: str
    site: str
    status: str
    joined_at: float
    lobby_since: float | None = None
    audio_on: bool = True
    video_on: bool = True
    audio_muted_by_host: bool = False
    video_stopped_by_host: bool = False
    # A host asked the participant to turn the microphone (camera) back on after a host stop: only then may
    # their own ``self.media`` lift it. Asking never turns anything on by itself (consent).
    unmute_requested: bool = False
    connected: bool = True
    disconnected_at: float | None = None
    identity: str | None = None  # None: not checked; "matched" / "mismatch"
    connection: int = 0  # generation of the participant's current socket; older sockets' disconnects are stale
    last_seen: float | None = None  # the last command from this participant (clients ping every 10–20 s)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def view(self, for_staff: bool) -> dict:
        """What others see of this participant. Citizens never learn each other's names (a denouncer may be
        among them): a citizen's name goes to staff only (snapshots, lobby, identity), never in broadcasts."""
        data = {"pid": self.pid, "name": self.name if (for_staff or self.is_staff) else None, "role": self.role,
                "site": self.site, "status": self.status,
                "audio": self.audio_on and not self.audio_muted_by_host,
                "video": self.video_on and not self.video_stopped_by_host,
                "muted_by_host": self.audio_muted_by_host, "video_stopped_by_host": self.video_stopped_by_host,
                "unmute_requested": self.unmute_requested, "connected": self.connected}
        if for_staff:
            data["identity"] = self.identity
        return data


@dataclass
class RoomState:
    session: str
    ended: bool = False
    lobby_locked: bool = False
    recording: bool = False
    floor: str | None = None
    seq: int = 0
    participants: dict[str, Participant] = field(default_factory=dict)

    def lobby(self) -> list[Participant]:
        waiting = [p for p in self.participants.values() if p.status == Status.LOBBY]
        return sorted(waiting, key=lambda p: (p.lobby_since or 0, p.pid))

    def admitted(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.status == Status.ADMITTED]

    def to_dict(self) -> dict:
        """As ``dataclasses.asdict`` (every field is a plain value), without its recursive deep copy: this
        runs on every room command."""
        data = {k: v for k, v in self.__dict__.items() if k != "participants"}
        data["participants"] = {pid: dict(p.__dict__) for pid, p in self.participants.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict) -> RoomState:
        data = dict(data)
        participants = {pid: Participant(**p) for pid, p in data.pop("participants", {}).items()}
        return cls(**data, participants=participants)


# --- System commands -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Join:
    pid: str
    user_id: int
    name: str
    role: str
    site: str


@dataclass(frozen=True)
class Reconnect:
    pid: str


@dataclass(frozen=True)
class Disconnect:
    pid: str
    connection: int | None = None  # the generation of the socket that dropped (None: the current one)


@dataclass(frozen=True)
class ExpireDisconnected:
    """Mark as left whoever has been disconnected for ``grace_seconds``. With ``silent_seconds``, someone
    still shown connected who has sent nothing (not even a ping) for that long is taken as dropped at their
    last sign of life: their server died without closing the socket (a crash, a SIGKILL, a lost host)."""

    grace_seconds: float
    silent_seconds: float | None = None


@dataclass(frozen=True)
class EndSession:
    """The session was closed outside the room (e.g. through the API): the room ends too."""

    by_name: str = ""


@dataclass(frozen=True)
class IdentityResult:
    participant: str
    matched: bool


# --- Results ---------------------------------------------------------------------------------------------

AUDIENCES = ("everyone", "admitted", "staff")  # or a participant id


@dataclass
class Outbound:
    to: str  # a participant id, or one of AUDIENCES
    frame: dict
    logged: bool = True  # events carry seq and are kept for replay; replies to the actor are not


@dataclass
class Record:
    kind: str
    data: dict


@dataclass
class Result:
    state: RoomState
    outbound: list[Outbound] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)


class RoomError(Exception):
    """A refused command: ``code`` for programs, ``message`` for people — a lazy gettext string (Vietnamese
    msgid), rendered in the client's language by whoever sends it (the room consumer). Nothing is
    translated here: the state machine stays pure."""

    def __init__(self, code: str, message):
        super().__init__(message)
        self.code, self.message = code, message


def visible_to(participant: Participant, audience: str) -> bool:
    if audience == "everyone":
        return participant.status in PRESENT
    if audience == "admitted":
        return participant.status == Status.ADMITTED
    if audience == "staff":
        return participant.status == Status.ADMITTED and participant.is_staff
    return audience == participant.pid


def snapshot(state: RoomState, pid: str) -> dict:
    """What ``pid`` may know of the room right now."""
    me = state.participants[pid]
    base = {"session": state.session, "seq": state.seq, "you": pid, "status": me.status,
            "recording": state.recording, "lobby_locked": state.lobby_locked, "ended": state.ended}
    if me.status == Status.LOBBY:
        return {**base, "position": _position(state, pid)}
    if me.status != Status.ADMITTED:
        return base
    data = {**base, "floor": state.floor,
            "participants": [p.view(for_staff=me.is_staff) for p in state.admitted()]}
    if me.is_staff:
        data["lobby"] = _lobby_view(state)
    return data


def _position(state: RoomState, pid: str) -> int | None:
    for index, p in enumerate(state.lobby(), start=1):
        if p.pid == pid:
            return index
    return None


def _lobby_view(state: RoomState) -> list[dict]:
    return [{"pid": p.pid, "name": p.name, "site": p.site, "identity": p.identity, "since": p.lobby_since,
             "connected": p.connected} for p in state.lobby()]


class _Builder:
    """Accumulates the result of one command; assigns ``seq`` to logged events."""

    def __init__(self, state: RoomState):
        self.state = state
        self.result = Result(state=state)

    def event(self, to: str, frame: dict) -> None:
        self.state.seq += 1
        self.result.outbound.append(Outbound(to, {**frame, "seq": self.state.seq}))

    def event_with_snapshot(self, pid: str, frame: dict) -> None:
        """An event carrying ``pid``'s snapshot: the snapshot is taken after the event's own ``seq`` is
        assigned, so it includes the event (rule: an event's ``seq`` ≤ the ``seq`` of the snapshot it
        carries — here equal)."""
        self.state.seq += 1
        self.result.outbound.append(Outbound(pid, {**frame, "snapshot": snapshot(self.state, pid),
                                                   "seq": self.state.seq}))

    def reply(self, to: str, frame: dict) -> None:
        self.result.outbound.append(Outbound(to, frame, logged=False))

    def record(self, record_kind: str, **data) -> None:
        self.result.records.append(Record(record_kind, data))

    def lobby_changed(self) -> None:
        self.event("staff", {"type": "lobby.updated", "lobby": _lobby_view(self.state)})
        for position, p in enumerate(self.state.lobby(), start=1):
            self.event(p.pid, {"type": "lobby.position", "position": position})

    def participant_changed(self, p: Participant) -> None:
        self.event("admitted", {"type": "participant.updated", "participant": p.view(for_staff=False)})


def apply(state: RoomState, actor: str | None, command, now: float, fresh: bool = False) -> Result:
    """Apply one command from ``actor`` (a participant id; None for the system). Raises ``RoomError`` for a
    refused command; the state passed in is never modified (a refused command leaves no trace) — unless
    ``fresh``: the caller's state was just loaded for this command and is thrown away on a refusal (the
    services layer; saves a deep copy per command)."""
    if not fresh:
        state = copy.deepcopy(state)
    b = _Builder(state)
    if state.ended and not isinstance(command, Disconnect | ExpireDisconnected | f.Ping | f.Resync | f.Leave):
        raise RoomError("session_ended", _("Buổi tiếp đã kết thúc."))
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise RoomError("unsupported", _("Lệnh này không phải là lệnh của phòng tiếp."))
    me = None
    if actor is None and not isinstance(command, Join | Disconnect | ExpireDisconnected | EndSession):
        raise RoomError("not_in_room", _("Lệnh này cần một người tham gia."))
    if actor is not None and not isinstance(command, Join):
        me = state.participants.get(actor)
        if me is None or me.status not in PRESENT:
            raise RoomError("not_in_room", _("Bạn không ở trong phòng này."))
    kind = getattr(command, "type", None)
    if kind and kind.startswith("host.") and not room_role_may(me.role if me else None, kind):
        raise RoomError("forbidden", _("Vai trò của bạn trong phòng không được làm việc này."))
    if me is not None and not isinstance(command, Disconnect):
        me.last_seen = now  # a sign of life (a socket closing is not one)
    handler(b, me, command, now)
    return b.result


def _target(b: _Builder, pid: str, statuses=PRESENT) -> Participant:
    p = b.state.participants.get(pid)
    if p is None or p.status not in statuses:
        raise RoomError("not_found", _("Người này không có trong phòng."))
    return p


def _join(b: _Builder, _me, c: Join, now: float) -> None:
    s = b.state
    existing = s.participants.get(c.pid)
    if existing is not None and existing.status in (Status.REFUSED, Status.REMOVED):
        raise RoomError("refused", _("Bạn không thể vào lại buổi tiếp này."))
    if existing is not None and existing.status in PRESENT:
        raise RoomError("already_joined", _("Bạn đã ở trong phòng: hãy kết nối tiếp thay vì vào lại."))
    staff = c.role in STAFF_ROLES
    if not staff and s.lobby_locked:
        raise RoomError("lobby_locked", _("Phòng chờ đang tạm đóng."))
    p = Participant(pid=c.pid, user_id=c.user_id, name=c.name, role=c.role, site=c.site,
                    status=Status.ADMITTED if staff else Status.LOBBY, joined_at=now,
                    lobby_since=None if staff else now, connection=(existing.connection + 1) if existing else 1,
                    last_seen=now)
    s.participants[c.pid] = p
    if staff:
        b.event("admitted", {"type": "participant.joined", "participant": p.view(for_staff=False)})
        greeting = {"type": "welcome", "snapshot": snapshot(s, c.pid)}
    else:
        b.lobby_changed()
        greeting = {"type": "waiting", "snapshot": snapshot(s, c.pid)}
    # The newcomer hears "welcome"/"waiting" first; the snapshot already includes the events above.
    b.result.outbound.insert(0, Outbound(c.pid, {**greeting, "connection": p.connection}, logged=False))
    b.record("joined", pid=c.pid, user_id=c.user_id, role=c.role, status=p.status)


def _reconnect(b: _Builder, me: Participant, c: Reconnect, now: float) -> None:
    me.connected, me.disconnected_at = True, None
    me.connection += 1
    if me.status == Status.ADMITTED:
        b.participant_changed(me)
        greeting = {"type": "welcome", "snapshot": snapshot(b.state, me.pid), "resumed": True}
    else:
        b.event("staff", {"type": "lobby.updated", "lobby": _lobby_view(b.state)})
        greeting = {"type": "waiting", "snapshot": snapshot(b.state, me.pid), "resumed": True}
    b.result.outbound.insert(0, Outbound(me.pid, {**greeting, "connection": me.connection}, logged=False))


def _disconnect(b: _Builder, me: Participant, c: Disconnect, now: float) -> None:
    if c.connection is not None and c.connection != me.connection:
        return  # an older socket of someone who has already resumed on a new one
    me.connected, me.disconnected_at = False, now
    if me.status == Status.ADMITTED:
        b.participant_changed(me)
    else:
        b.event("staff", {"type": "lobby.updated", "lobby": _lobby_view(b.state)})


def _leave_now(b: _Builder, p: Participant, why: str) -> None:
    was = p.status
    p.status, p.connected = Status.LEFT, False
    if b.state.floor == p.pid:
        b.state.floor = None
        b.event("admitted", {"type": "room.updated", **_room_flags(b.state)})
    if was == Status.ADMITTED:
        b.event("admitted", {"type": "participant.left", "pid": p.pid, "reason": why})
    else:
        b.lobby_changed()
    b.record("left", pid=p.pid, reason=why)


def _expire(b: _Builder, _me, c: ExpireDisconnected, now: float) -> None:
    if c.silent_seconds is not None:
        for p in list(b.state.participants.values()):
            if p.status in PRESENT and p.connected and p.last_seen is not None \
                    and now - p.last_seen >= c.silent_seconds:
                _disconnect(b, p, Disconnect(p.pid), p.last_seen)
    for p in list(b.state.participants.values()):
        if p.status in PRESENT and not p.connected and p.disconnected_at is not None \
                and now - p.disconnected_at >= c.grace_seconds:
            _leave_now(b, p, "connection_lost")


def _leave(b: _Builder, me: Participant, c: f.Leave, now: float) -> None:
    _leave_now(b, me, "left")
    b.reply(me.pid, {"type": "ack", "reply_to": c.id})


def _ping(b: _Builder, me: Participant, c: f.Ping, now: float) -> None:
    b.reply(me.pid, {"type": "pong", "reply_to": c.id, "seq": b.state.seq})


def _chat(b: _Builder, me: Participant, c: f.ChatSend, now: float) -> None:
    message = {"type": "chat", "from": me.pid, "name": me.name if me.is_staff else None, "role": me.role,
               "text": c.text, "to": c.to, "at": now}
    if me.status == Status.LOBBY and c.to != "staff":
        raise RoomError("forbidden", _("Khi đang chờ, bạn chỉ có thể nhắn cho cán bộ tiếp."))
    if c.to == "all":
        b.event("admitted", message)
    elif c.to == "staff":
        b.event("staff", message)
        if not me.is_staff:
            b.event(me.pid, message)  # the sender sees their own message
    else:
        target = _target(b, c.to)
        if not me.is_staff and not target.is_staff:
            raise RoomError("forbidden", _("Công dân chỉ có thể nhắn riêng cho cán bộ tiếp."))
        b.event(target.pid, message)
        b.event(me.pid, message)
    b.reply(me.pid, {"type": "ack", "reply_to": c.id})


def _self_media(b: _Builder, me: Participant, c: f.SelfMedia, now: float) -> None:
    """The participant's own switches. A host's stop stays until the participant turns the microphone
    (camera) on themselves *after being asked* (``host.ask_unmute``): without a request, ``audio: true``
    changes the participant's own switch only and the host's mute stays (``ack.muted_by_host``)."""
    if me.status != Status.ADMITTED:
        raise RoomError("not_admitted", _("Hãy chờ đến khi được mời vào phòng."))
    if c.audio is not None:
        me.audio_on = c.audio
        if c.audio and me.audio_muted_by_host and me.unmute_requested:
            me.audio_muted_by_host = False
    if c.video is not None:
        me.video_on = c.video
        if c.video and me.video_stopped_by_host and me.unmute_requested:
            me.video_stopped_by_host = False
    if not (me.audio_muted_by_host or me.video_stopped_by_host):
        me.unmute_requested = False
    b.participant_changed(me)
    b.reply(me.pid, {"type": "ack", "reply_to": c.id, "muted_by_host": me.audio_muted_by_host,
                     "video_stopped_by_host": me.video_stopped_by_host})


def _room_flags(s: RoomState, with_floor: bool = True) -> dict:
    """``floor`` goes to the admitted only (events to "everyone" reach the lobby, which need not know who
    speaks); a ``room.updated`` without ``floor`` leaves the floor as it was."""
    flags = {"recording": s.recording, "lobby_locked": s.lobby_locked}
    if with_floor:
        flags["floor"] = s.floor
    return flags


def _admit(b: _Builder, me: Participant, c: f.HostAdmit, now: float) -> None:
    p = _target(b, c.participant, (Status.LOBBY,))
    p.status, p.lobby_since = Status.ADMITTED, None
    b.event_with_snapshot(p.pid, {"type": "admitted"})
    b.event("admitted", {"type": "participant.joined", "participant": p.view(for_staff=False)})
    b.lobby_changed()
    b.record("admitted", pid=p.pid, user_id=p.user_id, by=me.user_id, identity=p.identity)
    b.reply(me.pid, {"type": "ack", "reply_to": c.id})


def _refuse(b: _Builder, me: Participant, c: f.HostRefuse, now: float) -> None:
    p = _target(b, c.participant, (Status.LOBBY,))
    p.status = Status.REFUSED
    b.event(p.pid, {"type": "refused", "ground": c.ground.value})
    b.lobby_changed()
    b.record("refused", pid=p.pid, user_id=p.user_id, by=me.user_id, ground=c.ground.value, note=c.note)
    b.reply(me.pid, {"type": "ack", "reply_to": c.id})


def _identity(b: _Builder, me: Participant, c: IdentityResult, now: float) -> None:
    if not room_role_may(me.role, "host.verify_identity"):
        raise RoomError("forbidden", _("Vai trò của bạn trong phòng không được làm việc này."))
    p = _target(b, c.participant)
    p.identity = "matched" if c.matched else "mismatch"
    b.event("staff", {"type": "identity.checked", "pid": p.pid, "identity": p.identity, "by": me.name})
    b.record("identity_checked", pid=p.pid, user_id=p.user_id, by=me.user_id, matched=c.matched)


def _verify_identity_unresolved(b, me, c, now):
    raise RoomError("internal", _("Việc đối chiếu giấy tờ do máy chủ xử lý ở tầng dịch vụ."))


def _mute(b: _Builder, me: Participant, c: f.HostMute, now: float) -> None:
    p = _target(b, c.participant, (Status.ADMITTED,))
    if c.kind == "audio":
        p.audio_muted_by_host = True
    else:
        p.video_stopped_by_host = True
    p.unmute_requested = False  # a new stop withdraws an earlier request
    b.event(p.pid, {"type": "muted", "kind": c.kind, "by": me.name})
    b.participant_changed(p)
    b.record("muted", pid=p.pid, kind=c.kind, by=me.user_id)
    b.reply(me.pid, {"type": "ack", "reply_to": c.id})


def _ask_unmute(b: _Builder, me: Participant, c: f.HostAskUnmute, now: float) -> None:
    """Ask, never act: the participant gets ``unmute_requested`` and alone turns the microphone on
    (``self.media``). The host's mute stays in force until they do (consent, issue 11)."""
    p = _target(b, c.participant, (Status.ADMITTED,))
    p.unmute_requested = True
    b.event(p.pid, {"type": "unmute_requested", "by": me.name})
    b.participant_changed(p)
    b.reply(me.pid, {"type": "ack", "reply_to": c.id})


def _give_floor(b: _Builder, me: Participant, c: f.HostGiveFloor, now: float) -> None:
    b.state.floor = _target(b, c.participant, (Status.ADMITTED,)).pid
    b.event("admitted", {"type": "room.updated", **_room_flags(b.state)})
    b.reply(me.pid, {"type": "ack", "reply_to": c.id})


def _take_floor(b: _Builder, me: Participant, c: f.HostTakeFloor, now: float) -> None:
    b.state.floor = None
    b.event("admitted", {"type": "room.updated", **_room_flags(b.state)})
    b.reply(me.pid, {"type": "ack", "reply_to": c.id})


def _remove(b: _Builder, me: Participant, c: f.HostRemove, now: float) -> None:
    p = _target(b, c.participant)
    if p.pid == me.pid:
        raise RoomError("invalid", _("Muốn rời phòng, hãy dùng lệnh rời phòng (leave)."))
    was = p.status
    p.status, p.connected = Status.REMOVED, False
    b.event(p.pid, {"type": "removed"})
    if b.state.floor == p.pid:
        b.state.floor = None
        b.event("admitted", {"type": "room.updated", **_room_flags(b.state)})
    if was == Status.ADMITTED:
        b.event("admitted", {"type": "participant.left", "pid": p.pid, "reason": "removed"})
    else:
        b.lobby_changed()
    b.record("removed", pid=p.pid, user_id=p.user_id, by=me.user_id, note=c.note)
    b.reply(me.pid, {"type": "ack", "reply_to": c.id})


def _lock(b: _Builder, me: Participant, c: f.HostLockLobby, now: float) -> None:
    b.state.lobby_locked = c.locked
    b.event("everyone", {"type": "room.updated", **_room_flags(b.state, with_floor=False)})
    b.reply(me.pid, {"type": "ack", "reply_to": c.id})


def _recording(b: _Builder, me: Participant, c: f.HostRecording, now: float) -> None:
    if b.state.recording == c.on:
        raise RoomError("invalid_state", _("Đang ghi hình rồi.") if c.on else _("Việc ghi hình đang tắt rồi."))
    b.state.recording = c.on
    b.event("everyone", {"type": "room.updated", **_room_flags(b.state, with_floor=False)})
    b.record("recording_started" if c.on else "recording_stopped", by=me.user_id)
    b.reply(me.pid, {"type": "ack", "reply_to": c.id})


def _end(b: _Builder, me: Participant, c: f.HostEnd, now: float) -> None:
    b.state.ended = True
    b.state.recording = False
    b.event("everyone", {"type": "session.ended", "by": me.name})
    b.record("ended", by=me.user_id)


def _end_from_outside(b: _Builder, _me, c: EndSession, now: float) -> None:
    b.state.ended = True
    b.state.recording = False
    b.event("everyone", {"type": "session.ended", "by": c.by_name})
    b.record("ended", by=None)


def _rtc(b: _Builder, me: Participant, c, now: float) -> None:
    if me.status != Status.ADMITTED:
        raise RoomError("not_admitted", _("Hình và tiếng bắt đầu khi bạn đã được mời vào phòng."))
    # Accepted: the services layer forwards it to the media worker (no state change, nothing logged).


def _hello(b, me, c, now):
    raise RoomError("already_joined", _("Lời chào (hello) chỉ gửi một lần, đầu tiên."))


def _resync(b, me, c, now):
    raise RoomError("internal", _("Yêu cầu đồng bộ lại do máy chủ trả lời từ nhật ký sự kiện."))


_HANDLERS = {
    Join: _join, Reconnect: _reconnect, EndSession: _end_from_outside, Disconnect: _disconnect, ExpireDisconnected: _expire,
    IdentityResult: _identity, f.Leave: _leave, f.Ping: _ping, f.ChatSend: _chat, f.SelfMedia: _self_media,
    f.HostAdmit: _admit, f.HostRefuse: _refuse, f.HostVerifyIdentity: _verify_identity_unresolved,
    f.HostMute: _mute, f.HostAskUnmute: _ask_unmute, f.HostGiveFloor: _give_floor, f.HostTakeFloor: _take_floor,
    f.HostRemove: _remove, f.HostLockLobby: _lock, f.HostRecording: _recording, f.HostEnd: _end,
    f.RtcOffer: _rtc, f.RtcAnswer: _rtc, f.RtcIce: _rtc, f.Hello: _hello, f.Resync: _resync,
}
