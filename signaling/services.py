"""Every write to a live room goes through here.

One command = one transaction: the room row is locked (``SELECT … FOR UPDATE``), the state is loaded,
``protocol.room.apply`` computes the new state and the frames, the state, the logged events and the records
are saved, and on commit the frames are sent through the channel layer as ONE message to the room's group
(``room.<session id>``): each frame JSON-encoded once, with its recipients; every consumer of the room (on
any Daphne process) delivers the frames addressed to its participant. The participant's own group
(``room.<session id>.<participant id>``) carries what the media worker sends to one participant.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
import weakref
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _  # rendered by the consumer in the client's language

from accounts.models import Role
from accounts.permissions import has_role_at
from core.crypto import blind_index
from core.errors import DomainError
from scheduling.models import Registration, RegistrationStatus, new_join_nonce
from sessions.models import ReceptionSession, SessionStatus
from signaling.models import Room, RoomEvent, RoomRecord
from signaling.protocol import PROTOCOL_VERSION
from signaling.protocol import frames as f
from signaling.protocol.room import (
    STAFF_ROLES,
    Disconnect,
    ExpireDisconnected,
    IdentityResult,
    Join,
    Reconnect,
    Result,
    RoomError,
    RoomRole,
    RoomState,
    Status,
    apply,
    snapshot,
    visible_to,
)

logger = logging.getLogger(__name__)

REPLAY_LIMIT = 200  # more missed events than this: a snapshot instead


class EntryError(DomainError):
    pass


@dataclass
class Entry:
    """Who is entering which room, as established at the WebSocket handshake."""

    session_id: int
    session_public_id: str
    user_id: int
    name: str
    role: str
    site: str
    registration_id: int | None = None

    @property
    def pid(self) -> str:
        return f"u{self.user_id}"


@dataclass
class Outcome:
    """What the acting connection sends back itself (its own replies); everything else was published."""

    replies: list[dict] = field(default_factory=list)
    close: bool = False
    # Channel-layer messages [(group, message)] for the other recipients, already committed. Filled only for
    # a ``deferred`` call (the room consumer), which sends them on its own event loop with
    # :func:`send_messages`; a sync caller's are sent on commit by :func:`publish_on_commit`.
    messages: list[tuple[str, dict]] = field(default_factory=list)


def participant_group(session_id: int, pid: str) -> str:
    return f"room.{session_id}.{pid}"


def room_group(session_id: int) -> str:
    """Every socket of the room: one channel-layer message per command reaches all of them."""
    return f"room.{session_id}"


def encode_frame(frame: dict) -> str:
    """The frame as sent on the socket (protocol version added). Encoded once per frame, whatever the
    number of recipients."""
    text = json.dumps({"v": PROTOCOL_VERSION, **frame}, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: never let a bad string close a socket
        text = json.dumps({"v": PROTOCOL_VERSION, **frame}, ensure_ascii=True)
    return text


def media_group(room_id: int) -> str:
    return f"media.{room_id}"


# --- Entry ----------------------------------------------------------------------------------------------

def room_role_for(user, session: ReceptionSession) -> tuple[str, str] | None:
    """(room role, site office code) of a staff member for this session, or None."""
    if session.host_id == user.pk:
        return RoomRole.HOST, session.host_office.code
    mapping = [(Role.LEADER, RoomRole.LEADER), (Role.RECEPTION_OFFICER, RoomRole.OFFICER),
               (Role.OFFICE_ADMIN, RoomRole.OFFICER), (Role.SECRETARY, RoomRole.SECRETARY)]
    sites = list(session.sites.select_related("office"))
    for role, room_role in mapping:
        for site in sites:
            if user.role_assignments.filter(office=site.office, role=role).exists():
                return room_role, site.office.code
    # Inspectors of the host office or of a tier above it observe.
    if has_role_at(user, session.host_office, {Role.INSPECTOR}):
        return RoomRole.INSPECTOR, session.host_office.code
    return None


def resolve_entry(session_public_id: str, user=None, token: str | None = None, now=None) -> Entry:
    """Who may enter: staff by their login and a role at one of the session's sites; a citizen by their
    login or a signed join link, with a confirmed registration. Only while the session is open."""
    now = now or timezone.now()
    session = (ReceptionSession.objects.select_related("host_office").filter(public_id=session_public_id).first()
               if _is_uuid(session_public_id) else None)
    if session is None:
        raise EntryError(_("Không tìm thấy phiên tiếp."), "not_found")
    if session.status == SessionStatus.HELD:
        raise EntryError(_("Buổi tiếp đã kết thúc."), "session_ended")
    if session.status != SessionStatus.OPEN:
        raise EntryError(_("Phòng tiếp chưa mở."), "session_not_open")
    if token:
        registration = _registration_from_token(token, session)
        citizen = registration.citizen
        return Entry(session.pk, str(session.public_id), citizen.pk, citizen.full_name, RoomRole.CITIZEN,
                     session.host_office.code, registration.pk)
    if user is None or not user.is_authenticated or not user.is_active:
        raise EntryError(_("Cần đăng nhập hoặc dùng liên kết tham gia."), "not_authenticated")
    staff = room_role_for(user, session)
    if staff is not None:
        return Entry(session.pk, str(session.public_id), user.pk, user.full_name, staff[0], staff[1])
    registration = Registration.objects.filter(
        session=session, citizen=user, status__in=(RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED)).first()
    if registration is None:
        raise EntryError(_("Bạn không có đăng ký cho phiên tiếp này."), "forbidden")
    return Entry(session.pk, str(session.public_id), user.pk, user.full_name, RoomRole.CITIZEN,
                 session.host_office.code, registration.pk)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def _registration_from_token(token: str, session: ReceptionSession) -> Registration:
    from scheduling.links import read_join_token

    try:
        payload = read_join_token(token, max_age_seconds=settings.JOIN_LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise EntryError(_("Liên kết tham gia đã hết hạn."), "link_expired") from exc
    except signing.BadSignature as exc:
        raise EntryError(_("Liên kết tham gia không hợp lệ."), "link_invalid") from exc
    registration = (Registration.objects.select_related("citizen")
                    .filter(public_id=payload.get("r"), session=session).first())
    if registration is None or registration.join_nonce != payload.get("n"):
        # Unknown, for another session, or used up (cancelled, refused, removed: the nonce was rotated).
        raise EntryError(_("Liên kết tham gia không còn hiệu lực."), "link_invalid")
    if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED):
        raise EntryError(_("Đăng ký của bạn không còn hiệu lực."), "link_invalid")
    return registration


# --- Applying commands ----------------------------------------------------------------------------------

# The hot path of every room command in hand-written SQL (issue 18): the ORM's compilation and adaptation
# cost more than PostgreSQL's work for these few statements. Lock the room (1 statement), then save the state,
# the logged events and the records in ONE statement (data-modifying CTEs). Encrypted columns go through their
# fields' ``get_db_prep_value`` / ``from_db_value`` (core.crypto): nothing reaches the table in clear.
_ROOM, _EVENT, _RECORD = Room._meta.db_table, RoomEvent._meta.db_table, RoomRecord._meta.db_table
_STATE = Room._meta.get_field("state")
_HASHES = Room._meta.get_field("resume_hashes")
_FRAME = RoomEvent._meta.get_field("frame")
_DATA = RoomRecord._meta.get_field("data")
_LOCK_SQL = f'SELECT id, state, resume_hashes FROM "{_ROOM}" WHERE session_id = %s FOR UPDATE'
_UPDATE_SQL = f'UPDATE "{_ROOM}" SET state = %s, updated_at = statement_timestamp() WHERE id = %s'
_EVENTS_SQL = f'INSERT INTO "{_EVENT}" (room_id, seq, audience, frame, at) VALUES '
_EVENT_ROW = "(%s, %s, %s, %s, statement_timestamp())"
_RECORDS_SQL = f'INSERT INTO "{_RECORD}" (room_id, at, kind, actor_id, subject_id, data) VALUES '
_RECORD_ROW = "(%s, statement_timestamp(), %s, %s, %s, %s)"


def _locked_room(session_id: int) -> tuple[Room, RoomState]:
    """The room row, locked, and its state. One statement for a room that exists (every command but the
    first); the session is read only to start a new room's state."""
    if connection.vendor != "postgresql":  # the SQLite embedded default: the ORM (SQLite locks the database)
        room = Room.objects.select_for_update().filter(session_id=session_id).first()
        if room is None:
            room, _created = Room.objects.get_or_create(session_id=session_id)
        state = room.state
    else:
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_SQL, [session_id])
            row = cursor.fetchone()
            if row is None:
                Room.objects.get_or_create(session_id=session_id)
                cursor.execute(_LOCK_SQL, [session_id])
                row = cursor.fetchone()
        state = _STATE.from_db_value(row[1], None, connection)
        room = Room.from_db(connection.alias, ["id", "session_id", "state", "resume_hashes"],
                            [row[0], session_id, state, _HASHES.from_db_value(row[2], None, connection)])
    if state:
        return room, RoomState.from_dict(state)
    public_id = ReceptionSession.objects.filter(pk=session_id).values_list("public_id", flat=True).get()
    return room, RoomState(session=str(public_id))


def _persist(room: Room, result: Result) -> list[tuple[list[str], dict]]:
    """Save the state, events and records (one statement); return (recipients, frame) pairs to publish on
    commit."""
    state = result.state
    room.state = state.to_dict()
    deliveries, events = [], []
    participants = list(state.participants.values())
    for out in result.outbound:
        if out.to in state.participants:
            recipients = [out.to]
        else:
            recipients = [p.pid for p in participants if visible_to(p, out.to)]
        if out.logged:
            events.append((out.frame["seq"], out.to, _nameless(out.frame)))
        deliveries.append((recipients, out.frame))
    if connection.vendor != "postgresql":  # the SQLite embedded default: the same writes through the ORM
        room.save(update_fields=["state", "updated_at"])
        RoomEvent.objects.bulk_create([RoomEvent(room=room, seq=seq, audience=audience, frame=frame)
                                       for seq, audience, frame in events])
        for record in result.records:
            row = RoomRecord.objects.create(room=room, kind=record.kind, actor_id=record.data.get("by"),
                                            subject_id=record.data.get("user_id"), data=record.data)
            _apply_record(room, state, row)
        return deliveries
    # The statements, as data-modifying CTEs of the last one (PostgreSQL runs every one of them).
    statements = [(_UPDATE_SQL, [_STATE.get_db_prep_value(room.state, connection), room.pk])]
    if events:
        params = [value for seq, audience, frame in events
                  for value in (room.pk, seq, audience, _FRAME.get_db_prep_value(frame, connection))]
        statements.append((_EVENTS_SQL + ", ".join([_EVENT_ROW] * len(events)), params))
    records = result.records
    if records:
        params = []
        for record in records:
            params += [room.pk, record.kind, record.data.get("by"), record.data.get("user_id"),
                       _DATA.get_db_prep_value(record.data, connection)]
        statements.append((_RECORDS_SQL + ", ".join([_RECORD_ROW] * len(records)) + " RETURNING id", params))
    *ctes, (last_sql, last_params) = statements
    sql = ("WITH " + ", ".join(f"s{i} AS ({cte_sql})" for i, (cte_sql, _p) in enumerate(ctes)) + " " + last_sql
           if ctes else last_sql)
    params = [p for _sql, cte_params in ctes for p in cte_params] + last_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        record_ids = [row[0] for row in cursor.fetchall()] if records else []
    for record, record_id in zip(records, record_ids, strict=True):
        row = RoomRecord.from_db(connection.alias, ["id", "room_id", "kind", "actor_id", "subject_id", "data"],
                                 [record_id, room.pk, record.kind, record.data.get("by"), record.data.get("user_id"),
                                  record.data])
        _apply_record(room, state, row)
    return deliveries


def _nameless(frame: dict) -> dict:
    """The frame as the event log keeps it: the lobby's entries without the citizens' names (issue 13: the
    log holds no citizen's name, even encrypted). :func:`catch_up` puts them back from the room state."""
    if frame.get("type") != "lobby.updated":
        return frame
    return {**frame, "lobby": [{**entry, "name": None} for entry in frame.get("lobby", [])]}


def _named(frame: dict, state: RoomState) -> dict:
    """A logged frame as it is replayed: lobby names from the room's current state (a citizen no longer in
    the state stays nameless; the next ``lobby.updated`` or a snapshot supersedes the replayed list)."""
    if frame.get("type") != "lobby.updated":
        return frame
    lobby = []
    for entry in frame.get("lobby", []):
        p = state.participants.get(entry.get("pid"))
        lobby.append({**entry, "name": p.name if p else None})
    return {**frame, "lobby": lobby}


def _user_of(state: RoomState, pid: str | None) -> int | None:
    p = state.participants.get(pid) if pid else None
    return p.user_id if p else None


# The host's decisions join the hash-chained audit trail (issue 16); presence (joined, left) stays in the
# room's own records. Details: the participant's room id and the decision's fixed values only — never a
# note, an identity, nor the citizen's account (they may be a denouncer: docs/secrecy.md).
ROOM_DECISIONS = frozenset({"admitted", "refused", "identity_checked", "muted", "removed", "recording_started",
                            "recording_stopped", "ended"})
AUDITED_ROOM_FIELDS = ("pid", "ground", "matched", "kind")


def _apply_record(room: Room, state: RoomState, record_row: RoomRecord) -> None:
    """What a record (saved by :func:`_persist`) does beyond itself: join links, attendance, the session's
    end, the audit trail."""
    kind, data = record_row.kind, record_row.data
    if kind in ("refused", "removed") and data.get("user_id"):
        # The same join link cannot bring them back.
        Registration.objects.filter(session_id=room.session_id, citizen_id=data["user_id"]).update(
            join_nonce=new_join_nonce())
    elif kind == "admitted" and data.get("user_id"):
        Registration.objects.filter(session_id=room.session_id, citizen_id=data["user_id"],
                                    status=RegistrationStatus.CONFIRMED).update(
            status=RegistrationStatus.ATTENDED, attended_at=timezone.now())
    elif kind == "ended":
        from sessions import services as session_services

        session = ReceptionSession.objects.get(pk=room.session_id)
        if session.status == SessionStatus.OPEN:
            session_services.close_session(session, None)
    if kind in ROOM_DECISIONS:  # last: the audit head is the last lock a transaction takes
        from accounts.models import User
        from audit.services import record

        actor = None
        if data.get("by"):  # what the audit entry needs of its actor (id, username), in one plain statement
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT id, {User.USERNAME_FIELD} FROM "{User._meta.db_table}" WHERE id = %s',
                               [data["by"]])
                row = cursor.fetchone()
            actor = User.from_db(connection.alias, ["id", User.USERNAME_FIELD], list(row)) if row else None
        record(actor=actor, action=f"room.{kind}", obj=record_row,
               details={"session": room.session_id, "room": room.pk,
                        **{k: data[k] for k in AUDITED_ROOM_FIELDS if k in data}})


def lock_room(session_id: int) -> None:
    """Take the room's row lock (if it has a room) before a write that will end it: the lock order is room,
    then the audit head (``sessions.services.close_session``)."""
    list(Room.objects.select_for_update().filter(session_id=session_id).values_list("pk", flat=True))


def _messages(session_id: int, deliveries: list[tuple[list[str], dict]]) -> list[tuple[str, dict]]:
    """ONE channel-layer message for the command, to the room's group: its frames in seq order, each encoded
    once, with its recipients ([recipients, type, text]); each consumer sends what is addressed to it. The
    media worker holding the room is in the group too and refreshes on the frames in MEDIA_RELEVANT."""
    frames = [[recipients, frame.get("type"), encode_frame(frame)] for recipients, frame in deliveries if recipients]
    return [(room_group(session_id), {"type": "room.frames", "session": session_id, "frames": frames})] if frames else []


# Frames after which the media worker must look at the room again (admissions, departures, mutes, the
# recording switch, the end); chat, lobby and identity frames change nothing for media.
MEDIA_RELEVANT = {"admitted", "participant.joined", "participant.updated", "participant.left", "muted",
                  "room.updated", "session.ended", "removed"}


# At most this many channel-layer sends in flight per event loop (process): a burst of commands in many rooms
# must queue here rather than exhaust the Redis connection pool (which fails instead of waiting).
SEND_CONCURRENCY = 64
_send_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    if loop not in _send_slots:
        _send_slots[loop] = asyncio.Semaphore(SEND_CONCURRENCY)
    return _send_slots[loop]


async def send_messages(messages: list[tuple[str, dict]]) -> None:
    """Send committed messages: in order for each group (seq order), groups in parallel (bounded), in one
    hop. Failures are logged, never raised: the events are in the room log and clients recover by resync."""
    if not messages:
        return
    layer = get_channel_layer()
    per_group: dict[str, list[dict]] = {}
    for group, message in messages:
        per_group.setdefault(group, []).append(message)
    slots = _slots()

    async def send_in_order(group: str, batch: list[dict]) -> None:
        async with slots:
            for message in batch:
                await layer.group_send(group, message)

    results = await asyncio.gather(*(send_in_order(g, batch) for g, batch in per_group.items()),
                                   return_exceptions=True)
    for result in results:
        if isinstance(result, Exception):
            logger.warning("room event not delivered: %r", result)


def publish_on_commit(messages: list[tuple[str, dict]]) -> None:
    """For sync callers (HTTP views, Celery tasks): send after the surrounding transaction commits.
    The room consumer never uses this: ``async_to_sync`` from its worker threads would wait on an event
    loop that Daphne stops at shutdown, and hang the process (it sends :attr:`Outcome.messages` itself)."""
    if messages:
        transaction.on_commit(lambda: async_to_sync(send_messages)(messages))


def _run(session_id: int, actor: str | None, command, now: float,
         connection_of: str | None = None, deferred: bool = False) -> tuple[Room, Result, Outcome]:
    """Apply under the room lock. Frames for the connection that sent the command (``connection_of``,
    default the actor) come back in the Outcome and are sent on that socket; the rest is published on
    commit, or, ``deferred``, returned in ``Outcome.messages`` for the async caller to send once the
    transaction has committed (the outermost ``atomic`` of the caller's ``services`` call)."""
    me = connection_of or actor
    with transaction.atomic():
        room, state = _locked_room(session_id)
        result = apply(state, actor, command, now, fresh=True)
        deliveries = _persist(room, result)
        own = [frame for recipients, frame in deliveries if recipients == [me]] if me else []
        messages = _messages(session_id, [(r, fr) for r, fr in deliveries if not (me and r == [me])])
        if not deferred:
            publish_on_commit(messages)
    closing = any(fr.get("type") in ("refused", "removed", "session.ended") for fr in own)
    return room, result, Outcome(replies=own, close=closing, messages=messages if deferred else [])


def _new_resume_token(room: Room, pid: str) -> str:
    token = secrets.token_urlsafe(24)
    room.resume_hashes = {**room.resume_hashes, pid: hashlib.sha256(token.encode()).hexdigest()}
    Room.objects.filter(pk=room.pk).update(resume_hashes=room.resume_hashes)
    return token


def _resume_ok(room: Room, pid: str, token: str | None) -> bool:
    expected = room.resume_hashes.get(pid)
    return bool(token and expected and hmac.compare_digest(expected, hashlib.sha256(token.encode()).hexdigest()))


def join(entry: Entry, resume_token: str | None = None, last_seq: int | None = None,
         now: float | None = None, deferred: bool = False) -> tuple[int, Outcome]:
    """Enter the room (staff: admitted at once; citizens: the lobby) or, for someone already present,
    reconnect: same place, no new admission. With ``last_seq`` the missed events follow the snapshot."""
    now = now or time.time()
    with transaction.atomic():
        room, state = _locked_room(entry.session_id)
        present = state.participants.get(entry.pid)
        resuming = present is not None and present.status in (Status.LOBBY, Status.ADMITTED)
        if resuming and resume_token and not _resume_ok(room, entry.pid, resume_token):
            raise EntryError(_("Mã tiếp tục không hợp lệ."), "bad_resume_token")
        command = Reconnect(entry.pid) if resuming else Join(entry.pid, entry.user_id, entry.name, entry.role,
                                                               entry.site)
        actor = entry.pid if resuming else None
        try:
            room_obj, result, outcome = _run(entry.session_id, actor, command, now, connection_of=entry.pid,
                                             deferred=deferred)
        except RoomError as exc:
            raise EntryError(exc.message, exc.code) from exc
        token = _new_resume_token(room_obj, entry.pid)
        for reply in outcome.replies:
            if reply.get("type") in ("welcome", "waiting"):
                reply["resume_token"] = token
        if last_seq is not None:
            outcome.replies += catch_up(room_obj, result.state, entry.pid, last_seq)
    return room_obj.pk, outcome


def catch_up(room: Room, state: RoomState, pid: str, last_seq: int) -> list[dict]:
    """The events ``pid`` may see with seq > last_seq, or a snapshot when there are too many."""
    me = state.participants.get(pid)
    if me is None:
        return []
    missed = list(RoomEvent.objects.filter(room=room, seq__gt=last_seq).order_by("seq")
                  .values_list("audience", "frame")[: REPLAY_LIMIT + 1])
    if len(missed) > REPLAY_LIMIT:
        return [{"type": "snapshot", "snapshot": snapshot(state, pid)}]
    return [_named(frame, state) for audience, frame in missed if visible_to(me, audience)]


def handle(entry: Entry, frame: f.Frame, now: float | None = None, deferred: bool = False) -> Outcome:
    """One client frame from a participant who has joined. ``deferred``: see :func:`_run`."""
    now = now or time.time()
    if isinstance(frame, f.Resync):
        room = Room.objects.get(session_id=entry.session_id)
        state = RoomState.from_dict(room.state)
        return Outcome(replies=[*catch_up(room, state, entry.pid, frame.last_seq),
                                {"type": "resynced", "reply_to": frame.id, "seq": state.seq}])
    if isinstance(frame, f.RtcOffer | f.RtcAnswer | f.RtcIce):
        return _forward_to_media(entry, frame, deferred)
    command = frame
    if isinstance(frame, f.HostVerifyIdentity):
        command = IdentityResult(frame.participant, _identity_matches(entry, frame))
    try:
        _room, _result, outcome = _run(entry.session_id, entry.pid, command, now, deferred=deferred)
    except RoomError as exc:
        raise EntryError(exc.message, exc.code) from exc
    if isinstance(frame, f.HostVerifyIdentity):
        outcome.replies.append({"type": "ack", "reply_to": frame.id})
    return outcome


def _identity_matches(entry: Entry, frame: f.HostVerifyIdentity) -> bool:
    """Compare the number read from the citizen's document with the one in their profile (keyed hashes;
    the number itself is never stored by this check)."""
    from accounts.models import CitizenProfile

    if not frame.participant.startswith("u") or not frame.participant[1:].isdigit():
        return False
    profile = CitizenProfile.objects.filter(user_id=int(frame.participant[1:])).first()
    return bool(profile and profile.id_document_index
                and hmac.compare_digest(profile.id_document_index, blind_index(frame.id_document_number)))


def media_messages(room_id: int, entry: Entry, frame) -> list[tuple[str, dict]]:
    """An ``rtc.*`` frame of an admitted participant, for the media worker holding the room. The room
    consumer sends it without touching the database once it has seen its participant admitted (the media
    worker checks admission itself against the room state)."""
    return [(media_group(room_id), {"type": "media.signal", "room": room_id, "session": entry.session_id,
                                    "pid": entry.pid, "frame": frame.model_dump(mode="json")})]


def _forward_to_media(entry: Entry, frame, deferred: bool) -> Outcome:
    room = Room.objects.get(session_id=entry.session_id)
    state = RoomState.from_dict(room.state)
    me = state.participants.get(entry.pid)
    if me is None or me.status != Status.ADMITTED:
        raise EntryError(_("Chỉ người đã được vào phòng mới gửi hình, tiếng."), "not_admitted")
    messages = media_messages(room.pk, entry, frame)
    if deferred:
        return Outcome(messages=messages)
    async_to_sync(send_messages)(messages)
    return Outcome()


def disconnect(entry: Entry, connection: int | None = None, now: float | None = None,
               deferred: bool = False) -> Outcome:
    """The socket dropped: the participant keeps their place for ROOM_RECONNECT_GRACE_SECONDS. A drop of
    an older socket (``connection`` generation) after a resume on a newer one changes nothing."""
    try:
        return _run(entry.session_id, entry.pid, Disconnect(entry.pid, connection), now or time.time(),
                    deferred=deferred)[2]
    except RoomError:
        return Outcome()  # already gone (left, removed, refused)


def expire_disconnected(now: float | None = None) -> int:
    """Mark as left everyone disconnected for longer than the grace period. Idempotent; run by beat
    (``signaling.tasks.expire_disconnected``, every 15 seconds)."""
    now = now or time.time()
    count = 0
    for room in Room.objects.filter(session__status=SessionStatus.OPEN).only("pk", "session_id", "state"):
        state = RoomState.from_dict(room.state) if room.state else None
        silent = settings.ROOM_SILENT_SECONDS
        if state and any(p.status in (Status.LOBBY, Status.ADMITTED)
                         and (not p.connected or (p.last_seen is not None and now - p.last_seen >= silent))
                         for p in state.participants.values()):
            _run(room.session_id, None, ExpireDisconnected(settings.ROOM_RECONNECT_GRACE_SECONDS, silent), now)
            count += 1
    return count


def end_room(session_id: int, by_name: str = "") -> None:
    """The session was closed (``sessions.services.close_session``): end its room, tell everyone."""
    from signaling.protocol.room import EndSession

    if not Room.objects.filter(session_id=session_id).exists():
        return
    try:
        _run(session_id, None, EndSession(by_name), time.time())
    except RoomError:
        pass  # already ended


def current_seq(session_id: int) -> int:
    room = Room.objects.filter(session_id=session_id).only("state").first()
    return (room.state or {}).get("seq", 0) if room else 0


def is_staff_role(role: str) -> bool:
    return role in STAFF_ROLES
