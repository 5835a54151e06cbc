"""Pure tests of the live room protocol, without database or sockets: the state machine
``signaling.protocol.room.apply`` (every command, every room role, the illegal transitions) and the frame
parser ``signaling.protocol.frames.parse_client_frame``.

Every successful ``apply`` goes through ``step``, which checks the invariants that must hold after any step:
the state passed in is untouched, ``seq`` grows by exactly one per logged event, only logged events carry
``seq``, every frame reaches only whom it may (no identity check result for citizens, nothing about the
others for a citizen in the lobby — phòng chờ), and the state survives ``to_dict``/``from_dict``.
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.permissions import ROOM_ACTIONS
from signaling.protocol import frames as f
from signaling.protocol.room import (
    AUDIENCES,
    PRESENT,
    Disconnect,
    EndSession,
    ExpireDisconnected,
    IdentityResult,
    Join,
    Participant,
    Reconnect,
    RoomError,
    RoomRole,
    RoomState,
    Status,
    apply,
    snapshot,
    visible_to,
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Overrides the conftest fixture of the same name: these tests use no cache, and its ``cache.clear()``
    (a FLUSHDB of the Redis database parallel test runs share) would wipe other runs' channel-layer groups
    hundreds of times."""
    yield


NOW = 1_000.0
GRACE = 30.0
HOST, LEADER, OFFICER, SECRETARY, INSPECTOR = "u1", "u2", "u3", "u4", "u5"
STAFF = {HOST: "host", LEADER: "leader", OFFICER: "officer", SECRETARY: "secretary", INSPECTOR: "inspector"}
C1, C2, C3 = "u10", "u11", "u12"
PID_OF_ROLE = {**{role: pid for pid, role in STAFF.items()}, "citizen": C1}

# The permission matrix, written out: which room role may send which host.* command (accounts.permissions).
EXPECTED_ROOM_ACTIONS = {
    "host.admit": {"host", "officer"},
    "host.refuse": {"host", "officer"},
    "host.verify_identity": {"host", "officer"},
    "host.mute": {"host", "officer"},
    "host.ask_unmute": {"host", "officer"},
    "host.lock_lobby": {"host", "officer"},
    "host.give_floor": {"host"},
    "host.take_floor": {"host"},
    "host.remove": {"host"},
    "host.recording": {"host"},
    "host.end": {"host"},
}


# --- Helpers ---------------------------------------------------------------------------------------------

def frame(frame_type: str, /, **fields) -> f.Frame:
    """A client frame validated exactly as the consumer validates it."""
    return f.parse_client_frame(json.dumps({"type": frame_type, **fields}))


def join_command(pid: str, role: str | None = None) -> Join:
    return Join(pid, int(pid[1:]), f"Tên {pid}", role or STAFF.get(pid, "citizen"), "X01001")


def recipients(state: RoomState, to: str) -> list[Participant]:
    """Who receives a frame addressed to ``to`` (as the services layer resolves it)."""
    if to in state.participants:
        return [state.participants[to]]
    return [p for p in state.participants.values() if visible_to(p, to)]


def has_key(value, key: str) -> bool:
    if isinstance(value, dict):
        return key in value or any(has_key(v, key) for v in value.values())
    if isinstance(value, list):
        return any(has_key(v, key) for v in value)
    return False


LOBBY_SNAPSHOT_KEYS = {"session", "seq", "you", "status", "recording", "lobby_locked", "ended", "position"}
LOBBY_FRAME_TYPES = {"waiting", "lobby.position", "room.updated", "chat", "ack", "pong", "session.ended"}


def check_lobby_snapshot(state: RoomState, pid: str) -> None:
    snap = snapshot(state, pid)
    assert set(snap) == LOBBY_SNAPSHOT_KEYS
    text = json.dumps(snap)
    assert not [other for other in state.participants if other != pid and f'"{other}"' in text]


def check_may_see(state: RoomState, p: Participant, out_frame: dict) -> None:
    """``p`` (in the state after the step) may receive ``out_frame``."""
    kind = out_frame["type"]
    if not p.is_staff:
        assert kind not in ("lobby.updated", "identity.checked"), (p.pid, out_frame)
        assert not has_key(out_frame, "identity"), (p.pid, out_frame)
        assert not has_key(out_frame, "lobby"), (p.pid, out_frame)
        # Citizens never learn each other's names (a denouncer — người tố cáo — may be among them).
        text = json.dumps(out_frame, ensure_ascii=False)
        assert not [q.pid for q in state.participants.values()
                    if not q.is_staff and q.pid != p.pid and q.name in text], (p.pid, out_frame)
    if p.status == Status.LOBBY:
        assert kind in LOBBY_FRAME_TYPES, (p.pid, out_frame)
        assert not has_key(out_frame, "participants"), (p.pid, out_frame)
    if kind == "chat":
        if out_frame["to"] == "all":
            assert p.status == Status.ADMITTED
        elif out_frame["to"] == "staff":
            assert p.is_staff or p.pid == out_frame["from"]
        else:
            assert p.pid in (out_frame["to"], out_frame["from"])


def check_invariants(before: RoomState, result) -> None:
    after = result.state
    logged = [o for o in result.outbound if o.logged]
    assert [o.frame["seq"] for o in logged] == list(range(before.seq + 1, after.seq + 1))
    for out in result.outbound:
        assert out.to in AUDIENCES or out.to in after.participants, out
        if not out.logged:
            # Replies carry no seq of their own; a pong reports the room's current seq by design.
            assert "seq" not in out.frame or out.frame["type"] == "pong", out
        for p in recipients(after, out.to):
            check_may_see(after, p, out.frame)
    for p in after.participants.values():
        if p.status == Status.LOBBY:
            check_lobby_snapshot(after, p.pid)
        if p.status in PRESENT:
            json.dumps(snapshot(after, p.pid))
    assert RoomState.from_dict(after.to_dict()) == after
    assert RoomState.from_dict(json.loads(json.dumps(after.to_dict()))) == after


def step(state: RoomState, actor: str | None, command, now: float = NOW):
    """``apply`` one command that must succeed, checking every invariant."""
    before = copy.deepcopy(state)
    result = apply(state, actor, command, now)
    assert state == before, "apply modified the state passed in"
    check_invariants(before, result)
    return result


def refuse(state: RoomState, actor: str | None, command, code: str, now: float = NOW) -> RoomError:
    """``apply`` one command that must be refused with ``code`` and leave no trace."""
    before = copy.deepcopy(state)
    with pytest.raises(RoomError) as info:
        apply(state, actor, command, now)
    assert info.value.code == code, info.value.message
    assert state == before and state.to_dict() == before.to_dict()
    return info.value


def room(admitted=(), lobby=(), staff=tuple(STAFF)) -> RoomState:
    """A room with ``staff`` inside, the citizens ``admitted`` by the host, and ``lobby`` waiting (in order)."""
    state, now = RoomState(session="s"), NOW - 100
    for pid in (*staff, *admitted, *lobby):
        now += 1
        state = step(state, None, join_command(pid), now).state
    for pid in admitted:
        state = step(state, HOST, frame("host.admit", participant=pid)).state
    return state


def to(result, pid_or_audience: str) -> list[dict]:
    return [o.frame for o in result.outbound if o.to == pid_or_audience]


def types_to(result, pid_or_audience: str) -> list[str]:
    return [fr["type"] for fr in to(result, pid_or_audience)]


def ack_of(result, pid: str) -> dict:
    acks = [fr for fr in to(result, pid) if fr["type"] == "ack"]
    assert len(acks) == 1, result.outbound
    return acks[0]


def record_kinds(result) -> list[str]:
    return [r.kind for r in result.records]


# --- Join ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", sorted(set(RoomRole) - {RoomRole.CITIZEN}))
def test_staff_join_admitted_with_welcome_first(role):
    state = room(staff=(HOST,)) if role != "host" else RoomState(session="s")
    pid = PID_OF_ROLE[role]
    result = step(state, None, join_command(pid, role))
    first = result.outbound[0]
    assert (first.to, first.logged, first.frame["type"]) == (pid, False, "welcome")
    assert first.frame["snapshot"]["status"] == "admitted"
    assert pid in [p["pid"] for p in first.frame["snapshot"]["participants"]]
    assert result.state.participants[pid].status == Status.ADMITTED
    joined = to(result, "admitted")
    assert [fr["type"] for fr in joined] == ["participant.joined"]
    assert joined[0]["participant"]["pid"] == pid and "identity" not in joined[0]["participant"]
    assert [(r.kind, r.data["status"]) for r in result.records] == [("joined", "admitted")]


def test_citizens_wait_in_the_lobby_in_arrival_order():
    state = room()
    for position, (pid, t) in enumerate([(C3, NOW + 1), (C1, NOW + 2), (C2, NOW + 3)], start=1):
        result = step(state, None, join_command(pid), t)
        state = result.state
        first = result.outbound[0]
        assert (first.to, first.logged, first.frame["type"]) == (pid, False, "waiting")
        assert first.frame["snapshot"]["position"] == position
        assert to(result, pid)[-1] == {"type": "lobby.position", "position": position, "seq": state.seq}
        lobby = to(result, "staff")[0]
        assert lobby["type"] == "lobby.updated"
        assert [entry["pid"] for entry in lobby["lobby"]] == [C3, C1, C2][:position]
        assert record_kinds(result) == ["joined"] and result.records[0].data["status"] == "lobby"
        assert not to(result, "admitted")  # nobody inside hears about the lobby except the staff
    assert [p.pid for p in state.lobby()] == [C3, C1, C2]


def test_locked_lobby_refuses_citizens_but_not_staff():
    state = step(room(staff=(HOST,)), HOST, frame("host.lock_lobby", locked=True)).state
    refuse(state, None, join_command(C1), "lobby_locked")
    state = step(state, None, join_command(OFFICER)).state
    assert state.participants[OFFICER].status == Status.ADMITTED
    state = step(state, HOST, frame("host.lock_lobby", locked=False)).state
    assert step(state, None, join_command(C1)).state.participants[C1].status == Status.LOBBY


@pytest.mark.parametrize("how", ["refused", "removed_from_lobby", "removed_from_room"])
def test_refused_or_removed_cannot_join_again(how):
    if how == "refused":
        state = step(room(lobby=(C1,)), HOST, frame("host.refuse", participant=C1, ground="threats_or_insults")).state
    elif how == "removed_from_lobby":
        state = step(room(lobby=(C1,)), HOST, frame("host.remove", participant=C1)).state
    else:
        state = step(room(admitted=(C1,)), HOST, frame("host.remove", participant=C1)).state
    refuse(state, None, join_command(C1), "refused")


@pytest.mark.parametrize("where", ["lobby", "admitted", "staff"])
def test_present_participant_joining_again_is_already_joined(where):
    state = room(lobby=(C1,)) if where == "lobby" else room(admitted=(C1,))
    refuse(state, None, join_command(OFFICER if where == "staff" else C1), "already_joined")


def test_who_left_may_join_again_at_the_end_of_the_lobby():
    state = room(lobby=(C1, C2))
    state = step(state, C1, frame("leave")).state
    state = step(state, None, join_command(C1), NOW + 50).state
    assert [p.pid for p in state.lobby()] == [C2, C1]


# --- host.* permissions ----------------------------------------------------------------------------------

def test_permission_table_is_the_permission_module():
    assert {kind: set(roles) for kind, roles in ROOM_ACTIONS.items()} == EXPECTED_ROOM_ACTIONS
    assert set(EXPECTED_ROOM_ACTIONS) == {kind for kind in f.KNOWN_TYPES if kind.startswith("host.")}
    assert set().union(*EXPECTED_ROOM_ACTIONS.values()) <= set(RoomRole)


def host_command(kind: str):
    """A command of ``kind`` that succeeds in ``room(admitted=(C1,), lobby=(C2,))`` when the role may send it.
    host.verify_identity reaches ``apply`` as an ``IdentityResult`` (the services layer compares the number)."""
    return {
        "host.admit": lambda: frame(kind, participant=C2),
        "host.refuse": lambda: frame(kind, participant=C2, ground="intoxicated_or_mentally_ill"),
        "host.verify_identity": lambda: IdentityResult(C2, True),
        "host.mute": lambda: frame(kind, participant=C1),
        "host.ask_unmute": lambda: frame(kind, participant=C1),
        "host.lock_lobby": lambda: frame(kind, locked=True),
        "host.give_floor": lambda: frame(kind, participant=C1),
        "host.take_floor": lambda: frame(kind),
        "host.remove": lambda: frame(kind, participant=C2),
        "host.recording": lambda: frame(kind, on=True),
        "host.end": lambda: frame(kind),
    }[kind]()


@pytest.mark.parametrize("kind", sorted(EXPECTED_ROOM_ACTIONS))
@pytest.mark.parametrize("role", [r.value for r in RoomRole])
def test_host_command_permission_matrix(role, kind):
    state, actor, command = room(admitted=(C1,), lobby=(C2,)), PID_OF_ROLE[role], host_command(kind)
    if role in EXPECTED_ROOM_ACTIONS[kind]:
        result = step(state, actor, command)
        if kind not in ("host.end", "host.verify_identity"):
            assert ack_of(result, actor)["reply_to"] is None
    else:
        refuse(state, actor, command, "forbidden")
    # A citizen still in the lobby may send none of them.
    refuse(state, C2, command, "forbidden")


@pytest.mark.parametrize("role", [r.value for r in RoomRole])
def test_verify_identity_frame_is_resolved_by_the_services_layer(role):
    state = room(admitted=(C1,), lobby=(C2,))
    command = frame("host.verify_identity", participant=C2, id_document_number="001085000001")
    allowed = role in EXPECTED_ROOM_ACTIONS["host.verify_identity"]
    refuse(state, PID_OF_ROLE[role], command, "internal" if allowed else "forbidden")


def test_commands_from_someone_not_in_the_room():
    state = step(room(admitted=(C1,), lobby=(C2,)), C1, frame("leave")).state
    for actor in (C1, "u999"):
        for command in (frame("ping"), frame("chat.send", text="a"), frame("host.take_floor"), Reconnect(actor),
                        Disconnect(actor)):
            refuse(state, actor, command, "not_in_room")


# --- Admit / refuse --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["host.admit", "host.refuse"])
def test_admit_and_refuse_only_from_the_lobby(kind):
    state = room(admitted=(C1,), lobby=(C2,))
    state = step(state, HOST, frame("host.refuse", participant=C2, ground="threats_or_insults")).state
    state = step(state, None, join_command(C3), NOW + 10).state
    state = step(state, C3, frame("leave")).state
    extra = {"ground": "threats_or_insults"} if kind == "host.refuse" else {}
    for target in (C1, C2, C3, OFFICER, "u999"):  # admitted, refused, left, staff, unknown
        refuse(state, HOST, frame(kind, participant=target, **extra), "not_found")


def test_admitted_citizen_gets_a_snapshot_of_the_room_and_the_lobby_renumbers():
    state = room(staff=(HOST, OFFICER, SECRETARY), lobby=(C1, C2, C3))
    state = step(state, None, join_command(INSPECTOR)).state
    state = step(state, OFFICER, IdentityResult(C1, True)).state
    result = step(state, OFFICER, frame("host.admit", id="a-1", participant=C1))
    state = result.state
    admitted = to(result, C1)[0]
    assert admitted["type"] == "admitted"
    snap = admitted["snapshot"]
    assert snap["status"] == "admitted" and snap["you"] == C1 and "lobby" not in snap
    assert {p["pid"] for p in snap["participants"]} == {HOST, OFFICER, SECRETARY, INSPECTOR, C1}
    assert all("identity" not in p for p in snap["participants"])
    joined = to(result, "admitted")
    assert joined[0]["type"] == "participant.joined" and joined[0]["participant"]["pid"] == C1
    assert to(result, C2)[-1]["position"] == 1 and to(result, C3)[-1]["position"] == 2
    assert [e["pid"] for e in to(result, "staff")[0]["lobby"]] == [C2, C3]
    assert ack_of(result, OFFICER)["reply_to"] == "a-1"
    (record,) = result.records
    assert (record.kind, record.data["pid"], record.data["by"], record.data["identity"]) == \
        ("admitted", C1, 3, "matched")
    assert state.participants[C1].status == Status.ADMITTED and state.participants[C1].lobby_since is None


@pytest.mark.parametrize("ground", [g.value for g in f.RefusalGround])
def test_refusal_records_the_legal_ground(ground):
    state = room(lobby=(C1, C2))
    result = step(state, OFFICER, frame("host.refuse", id=7, participant=C1, ground=ground, note="Ghi chú"))
    assert to(result, C1)[0]["type"] == "refused" and to(result, C1)[0]["ground"] == ground
    assert to(result, C2)[-1]["position"] == 1
    (record,) = result.records
    assert record.kind == "refused"
    assert record.data == {"pid": C1, "user_id": 10, "by": 3, "ground": ground, "note": "Ghi chú"}
    assert ack_of(result, OFFICER)["reply_to"] == 7
    assert result.state.participants[C1].status == Status.REFUSED


def test_refuse_needs_a_legal_ground():
    with pytest.raises(f.FrameError) as info:
        frame("host.refuse", participant=C1, ground="looks_suspicious")
    assert info.value.code == "invalid_frame" and info.value.details[0]["field"] == "ground"


# --- Mute, floor, remove, lobby lock, recording, end -----------------------------------------------------

@pytest.mark.parametrize("kind", ["audio", "video"])
def test_host_mute_cannot_be_overridden_by_self_media(kind):
    state = room(admitted=(C1,))
    result = step(state, OFFICER, frame("host.mute", participant=C1, kind=kind))
    state = result.state
    assert to(result, C1)[0] == {"type": "muted", "kind": kind, "by": f"Tên {OFFICER}", "seq": state.seq - 1}
    view = to(result, "admitted")[0]["participant"]
    assert view[kind] is False and "identity" not in view
    assert result.records[0].kind == "muted" and result.records[0].data["kind"] == kind
    result = step(state, C1, frame("self.media", audio=True, video=True))
    state = result.state
    view = to(result, "admitted")[0]["participant"]
    assert view[kind] is False  # still off: the participant cannot lift the host's mute
    assert ack_of(result, C1)["muted_by_host"] is (kind == "audio")
    assert state.participants[C1].view(for_staff=True)[kind] is False
    # Asking to unmute only asks: the host's stop stays until the participant turns it on themselves.
    result = step(state, HOST, frame("host.ask_unmute", participant=C1))
    assert to(result, C1)[0]["type"] == "unmute_requested"
    view = to(result, "admitted")[0]["participant"]
    assert view[kind] is False and view["unmute_requested"] is True
    state = step(result.state, C1, frame("self.media", audio=False)).state
    assert state.participants[C1].view(for_staff=False)["audio"] is False
    result = step(state, C1, frame("self.media", **{kind: True}))
    view = to(result, "admitted")[0]["participant"]
    assert view[kind] is True and view["unmute_requested"] is False
    assert view["muted_by_host" if kind == "audio" else "video_stopped_by_host"] is False


def test_ask_unmute_never_turns_the_microphone_on():
    """Consent (issue 11): the host asks; the citizen's microphone stays off until the citizen acts."""
    state = room(admitted=(C1,))
    state = step(state, HOST, frame("host.mute", participant=C1)).state
    result = step(state, HOST, frame("host.ask_unmute", participant=C1))
    state = result.state
    me = state.participants[C1]
    assert me.audio_muted_by_host and me.unmute_requested
    assert me.view(for_staff=True)["audio"] is False
    assert [o.frame["type"] for o in result.outbound if o.to == C1] == ["unmute_requested"]
    # The citizen says yes: now, and only now, the microphone is on.
    result = step(state, C1, frame("self.media", id=9, audio=True))
    me = result.state.participants[C1]
    assert me.view(for_staff=True)["audio"] is True and not me.audio_muted_by_host and not me.unmute_requested
    assert ack_of(result, C1) == {"type": "ack", "reply_to": 9, "muted_by_host": False,
                                  "video_stopped_by_host": False}


def test_a_host_muted_participant_cannot_unmute_without_being_asked():
    state = room(admitted=(C1,))
    state = step(state, HOST, frame("host.mute", participant=C1)).state
    result = step(state, C1, frame("self.media", audio=True))
    assert result.state.participants[C1].audio_muted_by_host is True
    assert ack_of(result, C1)["muted_by_host"] is True
    assert result.state.participants[C1].view(for_staff=False)["audio"] is False
    # A request withdrawn by a new mute does not count either.
    state = step(result.state, HOST, frame("host.ask_unmute", participant=C1)).state
    state = step(state, OFFICER, frame("host.mute", participant=C1)).state
    assert state.participants[C1].unmute_requested is False
    state = step(state, C1, frame("self.media", audio=True)).state
    assert state.participants[C1].audio_muted_by_host is True


def test_a_request_lifts_only_what_the_participant_turns_on():
    state = room(admitted=(C1,))
    state = step(state, HOST, frame("host.mute", participant=C1, kind="audio")).state
    state = step(state, HOST, frame("host.mute", participant=C1, kind="video")).state
    state = step(state, HOST, frame("host.ask_unmute", participant=C1)).state
    state = step(state, C1, frame("self.media", video=True)).state
    me = state.participants[C1]
    assert not me.video_stopped_by_host and me.audio_muted_by_host and me.unmute_requested
    state = step(state, C1, frame("self.media", audio=True)).state
    me = state.participants[C1]
    assert not me.audio_muted_by_host and not me.unmute_requested


def test_mute_and_ask_unmute_only_for_admitted_participants():
    state = room(lobby=(C1,))
    for command in (frame("host.mute", participant=C1), frame("host.ask_unmute", participant=C1),
                    frame("host.mute", participant="u999"), frame("host.give_floor", participant=C1)):
        refuse(state, HOST, command, "not_found")
    refuse(state, C1, frame("self.media", audio=False), "not_admitted")


@pytest.mark.parametrize("how", ["leave", "expire", "remove"])
def test_floor_is_given_taken_and_cleared_when_its_holder_goes(how):
    state = room(admitted=(C1, C2))
    result = step(state, HOST, frame("host.give_floor", participant=C1))
    assert to(result, "admitted")[0] == {"type": "room.updated", "recording": False, "lobby_locked": False,
                                         "floor": C1, "seq": result.state.seq}
    state = result.state
    assert step(state, HOST, frame("host.take_floor")).state.floor is None
    if how == "leave":
        result = step(state, C1, frame("leave"))
    elif how == "expire":
        state = step(state, C1, Disconnect(C1)).state
        result = step(state, None, ExpireDisconnected(GRACE), NOW + GRACE)
    else:
        result = step(state, HOST, frame("host.remove", participant=C1))
    assert result.state.floor is None
    assert snapshot(result.state, C2)["floor"] is None


def test_removing_the_floor_holder_tells_the_room_the_floor_is_free():
    """As when the holder leaves: the others must learn that nobody holds the floor any more."""
    state = step(room(admitted=(C1, C2)), HOST, frame("host.give_floor", participant=C1)).state
    result = step(state, HOST, frame("host.remove", participant=C1))
    updates = [fr for fr in to(result, "admitted") if fr["type"] == "room.updated"]
    assert updates and updates[-1]["floor"] is None


def test_remove_from_the_lobby_and_from_the_room():
    state = room(admitted=(C1,), lobby=(C2, C3))
    result = step(state, HOST, frame("host.remove", participant=C2, note="Gây rối"))
    assert types_to(result, C2) == ["removed"]
    assert to(result, C3)[-1]["position"] == 1
    assert [e["pid"] for e in to(result, "staff")[0]["lobby"]] == [C3]
    assert result.records[0].kind == "removed" and result.records[0].data["note"] == "Gây rối"
    result = step(result.state, HOST, frame("host.remove", participant=C1))
    assert types_to(result, C1) == ["removed"]
    assert to(result, "admitted")[-1] == {"type": "participant.left", "pid": C1, "reason": "removed",
                                          "seq": result.state.seq}
    assert result.state.participants[C1].status == Status.REMOVED
    assert not result.state.participants[C1].connected
    state = result.state
    refuse(state, HOST, frame("host.remove", participant=HOST), "invalid")
    refuse(state, HOST, frame("host.remove", participant=C1), "not_found")
    refuse(state, HOST, frame("host.remove", participant="u999"), "not_found")
    # The host may remove another staff member.
    assert step(state, HOST, frame("host.remove", participant=SECRETARY)).state.participants[SECRETARY].status \
        == Status.REMOVED


def test_lock_lobby_tells_everyone_including_the_lobby():
    state = room(admitted=(C1,), lobby=(C2,))
    result = step(state, OFFICER, frame("host.lock_lobby", locked=True))
    assert result.state.lobby_locked is True
    (update,) = to(result, "everyone")
    assert update["type"] == "room.updated" and update["lobby_locked"] is True
    assert {p.pid for p in recipients(result.state, "everyone")} == {*STAFF, C1, C2}


def test_recording_on_and_off():
    state = room(admitted=(C1,), lobby=(C2,))
    result = step(state, HOST, frame("host.recording", on=True))
    assert result.state.recording is True and record_kinds(result) == ["recording_started"]
    (update,) = to(result, "everyone")
    assert update["type"] == "room.updated" and update["recording"] is True
    assert C2 in {p.pid for p in recipients(result.state, "everyone")}  # the lobby is told it is recorded
    refuse(result.state, HOST, frame("host.recording", on=True), "invalid_state")
    result = step(result.state, HOST, frame("host.recording", on=False))
    assert result.state.recording is False and record_kinds(result) == ["recording_stopped"]
    refuse(result.state, HOST, frame("host.recording", on=False), "invalid_state")


ALL_COMMANDS_AFTER_END = [
    join_command("u20"), Reconnect(C1), IdentityResult(C1, True), EndSession("x"), frame("hello"),
    frame("chat.send", text="a"), frame("self.media", audio=False),
    frame("host.admit", participant=C2), frame("host.refuse", participant=C2, ground="threats_or_insults"),
    frame("host.verify_identity", participant=C2, id_document_number="001085000001"),
    frame("host.mute", participant=C1), frame("host.ask_unmute", participant=C1),
    frame("host.give_floor", participant=C1), frame("host.take_floor"), frame("host.remove", participant=C1),
    frame("host.lock_lobby", locked=True), frame("host.recording", on=False), frame("host.end"),
    frame("rtc.offer", sdp="v=0"), frame("rtc.answer", sdp="v=0"), frame("rtc.ice"),
]


def test_end_then_only_ping_resync_leave_and_disconnect():
    state = step(room(admitted=(C1,), lobby=(C2,)), HOST, frame("host.recording", on=True)).state
    result = step(state, HOST, frame("host.end"))
    state = result.state
    assert state.ended and not state.recording and record_kinds(result) == ["ended"]
    (ended,) = to(result, "everyone")
    assert ended["type"] == "session.ended"
    assert {p.pid for p in recipients(state, "everyone")} == {*STAFF, C1, C2}
    covered = {type(c) for c in ALL_COMMANDS_AFTER_END} | {f.Ping, f.Resync, f.Leave, Disconnect, ExpireDisconnected}
    from signaling.protocol.room import _HANDLERS

    assert covered == set(_HANDLERS)
    for actor in (HOST, OFFICER, C1, C2):
        for command in ALL_COMMANDS_AFTER_END:
            actor_here = command.pid if isinstance(command, Reconnect) else actor
            refuse(state, None if isinstance(command, Join | EndSession) else actor_here, command, "session_ended")
    assert types_to(step(state, C1, frame("ping", id="p")), C1) == ["pong"]
    refuse(state, C1, frame("resync", last_seq=0), "internal")  # answered by the services layer, not refused
    assert step(state, C1, Disconnect(C1)).state.participants[C1].connected is False
    assert step(state, C2, frame("leave")).state.participants[C2].status == Status.LEFT
    step(state, None, ExpireDisconnected(GRACE), NOW + GRACE)


def test_session_closed_outside_the_room_ends_it():
    """Closing the session through the API (kết thúc phiên) ends the room like host.end."""
    state = step(room(admitted=(C1,), lobby=(C2,)), HOST, frame("host.recording", on=True)).state
    result = step(state, None, EndSession("Chủ tịch Xã"))
    assert result.state.ended and not result.state.recording
    assert to(result, "everyone") == [{"type": "session.ended", "by": "Chủ tịch Xã", "seq": result.state.seq}]
    assert [(r.kind, r.data["by"]) for r in result.records] == [("ended", None)]
    refuse(result.state, HOST, frame("host.take_floor"), "session_ended")


def test_hello_again_and_unknown_commands():
    state = room(admitted=(C1,))
    refuse(state, C1, frame("hello"), "already_joined")
    refuse(state, C1, object(), "unsupported")


def test_rtc_only_once_admitted():
    state = room(admitted=(C1,), lobby=(C2,))
    for command in (frame("rtc.offer", sdp="v=0"), frame("rtc.answer", sdp="v=0"), frame("rtc.ice")):
        result = step(state, C1, command)
        seen = copy.deepcopy(state)
        seen.participants[C1].last_seen = NOW  # the only change: a sign of life
        assert result.outbound == [] and result.records == [] and result.state == seen
        refuse(state, C2, command, "not_admitted")


# --- Chat ------------------------------------------------------------------------------------------------

def chat(text="Xin chào", to_="all", id_="m1"):
    return frame("chat.send", id=id_, text=text, to=to_)


def test_chat_to_all_reaches_the_admitted_only():
    state = room(admitted=(C1,), lobby=(C2,))
    result = step(state, C1, chat())
    (message,) = to(result, "admitted")
    assert {k: message[k] for k in ("type", "from", "name", "role", "text", "to", "at")} == \
        {"type": "chat", "from": C1, "name": None, "role": "citizen", "text": "Xin chào", "to": "all",
         "at": NOW}  # a citizen's name is not broadcast
    assert ack_of(result, C1)["reply_to"] == "m1"
    assert result.records == []
    (message,) = to(step(state, SECRETARY, chat()), "admitted")
    assert (message["name"], message["role"]) == (f"Tên {SECRETARY}", "secretary")


def test_chat_to_staff():
    state = room(admitted=(C1,), lobby=(C2,))
    for sender in (C1, C2):  # admitted and waiting citizens: the staff, and a copy for themselves
        result = step(state, sender, chat(to_="staff"))
        assert types_to(result, "staff") == ["chat"] and types_to(result, sender) == ["chat", "ack"]
    result = step(state, SECRETARY, chat(to_="staff"))
    assert types_to(result, "staff") == ["chat"] and types_to(result, SECRETARY) == ["ack"]


@pytest.mark.parametrize("target", ["all", C1, C3, "u999"])
def test_waiting_citizen_writes_to_the_staff_only(target):
    state = room(admitted=(C1,), lobby=(C2, C3))
    refuse(state, C2, chat(to_=target), "forbidden")


def test_private_chat():
    state = room(admitted=(C1, C2), lobby=(C3,))
    refuse(state, C1, chat(to_=C2), "forbidden")  # citizen to citizen
    refuse(state, C1, chat(to_=C3), "forbidden")
    refuse(state, C1, chat(to_="u999"), "not_found")
    result = step(state, C1, chat(to_=OFFICER))  # citizen to a staff member
    assert types_to(result, OFFICER) == ["chat"] and types_to(result, C1) == ["chat", "ack"]
    result = step(state, OFFICER, chat(text="Xin chờ", to_=C3))  # staff to a waiting citizen
    assert types_to(result, C3) == ["chat"] and to(result, C3)[0]["text"] == "Xin chờ"
    assert types_to(result, OFFICER) == ["chat", "ack"]
    assert not to(result, "admitted") and not to(result, "staff")
    left = step(state, C3, frame("leave")).state
    refuse(left, OFFICER, chat(to_=C3), "not_found")


# --- Presence --------------------------------------------------------------------------------------------

def test_disconnect_keeps_the_place_and_expiry_respects_the_grace():
    state = room(admitted=(C1,), lobby=(C2, C3))
    result = step(state, C1, Disconnect(C1), NOW)
    assert types_to(result, "admitted") == ["participant.updated"]
    assert to(result, "admitted")[0]["participant"]["connected"] is False
    state = result.state
    result = step(state, C2, Disconnect(C2), NOW + 5)
    assert types_to(result, "staff") == ["lobby.updated"] and to(result, "staff")[0]["lobby"][0]["connected"] is False
    state = result.state
    assert state.participants[C1].status == Status.ADMITTED and state.participants[C2].status == Status.LOBBY
    assert (state.participants[C2].connected, state.participants[C2].disconnected_at) == (False, NOW + 5)
    early = step(state, None, ExpireDisconnected(GRACE), NOW + GRACE - 0.5)
    assert early.state == state and early.outbound == [] and early.records == []
    result = step(early.state, None, ExpireDisconnected(GRACE), NOW + GRACE)  # C1 only: C2 left 5 s later
    assert result.state.participants[C1].status == Status.LEFT
    assert result.state.participants[C2].status == Status.LOBBY
    assert to(result, "admitted")[-1]["type"] == "participant.left"
    assert to(result, "admitted")[-1]["reason"] == "connection_lost"
    result = step(result.state, None, ExpireDisconnected(GRACE), NOW + GRACE + 5)
    assert result.state.participants[C2].status == Status.LEFT
    assert types_to(result, "staff") == ["lobby.updated"] and [e["pid"] for e in to(result, "staff")[0]["lobby"]] \
        == [C3]
    assert to(result, C3) == [{"type": "lobby.position", "position": 1, "seq": result.state.seq}]
    assert record_kinds(result) == ["left"] and result.records[0].data["reason"] == "connection_lost"
    assert result.state.participants[C3].status == Status.LOBBY  # connected: untouched


@pytest.mark.parametrize("where", ["admitted", "lobby"])
def test_a_silent_participant_counts_as_dropped_at_their_last_frame(where):
    """Their server died without closing the socket: nobody reports the drop, their silence does."""
    SILENT = 20  # shorter than GRACE (30) here, to see the two steps apart
    state = room(admitted=(C1, C2)) if where == "admitted" else room(lobby=(C1, C2))
    state = step(state, C1, frame("ping", id=1), NOW + 10).state  # C1's last frame
    for pid in (C2, *STAFF):  # the others keep pinging
        state = step(state, pid, frame("ping", id=2), NOW + 25).state
    assert state.participants[C1].last_seen == NOW + 10
    # Not yet silent for long enough: nothing happens.
    quiet = step(state, None, ExpireDisconnected(GRACE, SILENT), NOW + 10 + SILENT - 0.5)
    assert quiet.state == state and quiet.outbound == []
    # Silent for SILENT seconds: dropped as of the last frame; the others are told as for a closed socket.
    result = step(state, None, ExpireDisconnected(GRACE, SILENT), NOW + 10 + SILENT)
    me = result.state.participants[C1]
    assert (me.status, me.connected, me.disconnected_at) == (where, False, NOW + 10)
    assert result.state.participants[C2].connected is True
    if where == "admitted":
        assert to(result, "admitted")[0]["participant"] == {**to(result, "admitted")[0]["participant"],
                                                            "pid": C1, "connected": False}
    else:
        assert types_to(result, "staff") == ["lobby.updated"]
    # The grace period counts from the last frame, so they leave GRACE after it.
    later = step(result.state, None, ExpireDisconnected(GRACE, SILENT), NOW + 10 + GRACE - 1)
    assert later.state.participants[C1].status == where
    later = step(result.state, None, ExpireDisconnected(GRACE, SILENT), NOW + 10 + GRACE)
    assert later.state.participants[C1].status == Status.LEFT
    assert record_kinds(later) == ["left"] and later.records[0].data["reason"] == "connection_lost"
    # A resume in time restores them as for any drop.
    back = step(state, C1, Reconnect(C1), NOW + 10 + SILENT - 1)
    assert step(back.state, None, ExpireDisconnected(GRACE, SILENT), NOW + 10 + SILENT).outbound == []
    # A socket closing is not a sign of life.
    closed = step(state, C1, Disconnect(C1), NOW + 40)
    assert closed.state.participants[C1].last_seen == NOW + 10


@pytest.mark.parametrize("where", ["admitted", "lobby"])
def test_reconnect_restores_the_connection_and_resumes(where):
    state = room(admitted=(C1,)) if where == "admitted" else room(lobby=(C1,))
    state = step(state, C1, Disconnect(C1)).state
    result = step(state, C1, Reconnect(C1), NOW + 10)
    me = result.state.participants[C1]
    assert me.connected and me.disconnected_at is None and me.status == where
    (reply,) = [o for o in result.outbound if not o.logged]
    assert result.outbound[0] is reply  # the resumed participant hears the greeting first
    assert reply.to == C1 and reply.frame["resumed"] is True
    assert reply.frame["type"] == ("welcome" if where == "admitted" else "waiting")
    assert reply.frame["snapshot"]["status"] == where
    assert types_to(result, "admitted" if where == "admitted" else "staff") == \
        ["participant.updated" if where == "admitted" else "lobby.updated"]
    # No expiry afterwards.
    assert step(result.state, None, ExpireDisconnected(GRACE), NOW + 10 * GRACE).outbound == []


def test_connection_generations_ignore_a_stale_disconnect():
    """A participant who resumed on a new socket is not marked disconnected when the old socket closes."""
    state = room(admitted=(C1,))
    assert state.participants[C1].connection == 1
    result = step(state, C1, Reconnect(C1))  # the new socket arrived before the old one closed
    assert result.outbound[0].frame["connection"] == 2
    state = result.state
    stale = step(state, C1, Disconnect(C1, connection=1), NOW + 1)
    assert stale.state == state and stale.outbound == [] and stale.records == []
    assert step(state, C1, Disconnect(C1, connection=2), NOW + 1).state.participants[C1].connected is False
    assert step(state, C1, Disconnect(C1), NOW + 1).state.participants[C1].connected is False
    # Who left and comes back gets a new generation too.
    state = step(state, C1, frame("leave")).state
    result = step(state, None, join_command(C1), NOW + 2)
    assert result.outbound[0].frame["connection"] == 3


# --- Identity check --------------------------------------------------------------------------------------

@pytest.mark.parametrize("matched", [True, False])
def test_identity_result_is_seen_by_staff_only(matched):
    state = room(admitted=(C2,), lobby=(C1,))
    result = step(state, OFFICER, IdentityResult(C1, matched))
    expected = "matched" if matched else "mismatch"
    assert to(result, "staff") == [{"type": "identity.checked", "pid": C1, "identity": expected,
                                    "by": f"Tên {OFFICER}", "seq": result.state.seq}]
    assert result.records[0].kind == "identity_checked" and result.records[0].data["matched"] is matched
    me = result.state.participants[C1]
    assert me.identity == expected
    assert "identity" not in me.view(for_staff=False) and me.view(for_staff=True)["identity"] == expected
    assert snapshot(result.state, HOST)["lobby"][0]["identity"] == expected
    state = step(result.state, HOST, frame("host.admit", participant=C1)).state
    staff_view = {p["pid"]: p for p in snapshot(state, SECRETARY)["participants"]}
    assert staff_view[C1]["identity"] == expected
    assert all("identity" not in p for p in snapshot(state, C2)["participants"])
    refuse(state, OFFICER, IdentityResult("u999", True), "not_found")


# --- Visibility, snapshots, serialisation ----------------------------------------------------------------

@pytest.mark.parametrize("status", [s.value for s in Status])
@pytest.mark.parametrize("role", ["citizen", "officer"])
def test_visible_to_matches_the_audiences(status, role):
    p = Participant(pid="u7", user_id=7, name="x", role=role, site="X", status=status, joined_at=0)
    present, admitted = status in ("lobby", "admitted"), status == "admitted"
    assert visible_to(p, "everyone") is present
    assert visible_to(p, "admitted") is admitted
    assert visible_to(p, "staff") is (admitted and role == "officer")
    assert visible_to(p, "u7") is True
    assert visible_to(p, "u8") is False


def test_snapshots_by_status():
    state = room(admitted=(C1,), lobby=(C2, C3))
    state = step(state, C3, frame("leave")).state
    check_lobby_snapshot(state, C2)
    assert snapshot(state, C2)["position"] == 1
    assert set(snapshot(state, C3)) == LOBBY_SNAPSHOT_KEYS - {"position"}
    citizen = snapshot(state, C1)
    assert "lobby" not in citizen and {p["pid"] for p in citizen["participants"]} == {*STAFF, C1}
    staff = snapshot(state, INSPECTOR)
    assert [e["pid"] for e in staff["lobby"]] == [C2]


def test_state_round_trips_exactly():
    state = room(admitted=(C1,), lobby=(C2, C3))
    state = step(state, OFFICER, IdentityResult(C2, False)).state
    state = step(state, HOST, frame("host.give_floor", participant=C1)).state
    state = step(state, HOST, frame("host.mute", participant=C1, kind="video")).state
    state = step(state, HOST, frame("host.recording", on=True)).state
    state = step(state, C3, Disconnect(C3), NOW + 3.25).state
    state = step(state, HOST, frame("host.lock_lobby", locked=True)).state
    data = state.to_dict()
    assert RoomState.from_dict(data) == state
    assert RoomState.from_dict(data).to_dict() == data
    assert RoomState.from_dict(json.loads(json.dumps(data))).to_dict() == data
    assert RoomState.from_dict(RoomState(session="s").to_dict()) == RoomState(session="s")


def test_a_whole_reception_keeps_the_invariants():
    """A scripted reception (buổi tiếp): every step goes through ``step`` and its invariant checks."""
    state = room(staff=(HOST, OFFICER))
    t = NOW
    for pid in (C1, C2, C3):
        t += 1
        state = step(state, None, join_command(pid), t).state
    state = step(state, None, join_command(SECRETARY), t).state
    state = step(state, C1, chat(to_="staff")).state
    state = step(state, OFFICER, IdentityResult(C1, True)).state
    state = step(state, OFFICER, chat(to_=C1)).state
    state = step(state, HOST, frame("host.admit", participant=C1)).state
    state = step(state, HOST, frame("host.recording", on=True)).state
    state = step(state, HOST, frame("host.give_floor", participant=C1)).state
    state = step(state, C1, chat()).state
    state = step(state, C1, frame("self.media", video=False)).state
    state = step(state, HOST, frame("host.mute", participant=C1)).state
    state = step(state, C2, Disconnect(C2), t + 1).state
    state = step(state, HOST, frame("host.refuse", participant=C3, ground="settled_case_prolonged")).state
    state = step(state, C2, Reconnect(C2), t + 2).state
    state = step(state, HOST, frame("host.take_floor")).state
    state = step(state, C1, frame("leave")).state
    state = step(state, HOST, frame("host.admit", participant=C2)).state
    state = step(state, HOST, frame("host.lock_lobby", locked=True)).state
    state = step(state, HOST, frame("host.remove", participant=C2)).state
    state = step(state, HOST, frame("host.end")).state
    assert state.ended and state.seq > 20
    assert {p.pid: p.status for p in state.participants.values()} == {
        HOST: "admitted", OFFICER: "admitted", SECRETARY: "admitted", C1: "left", C2: "removed", C3: "refused"}


# A random walk through the state machine: any command from anyone, the invariants after each step.
ACTORS = [None, *STAFF, C1, C2, C3, "u99"]
WALK_KINDS = ["join", "reconnect", "disconnect", "expire", "identity", "chat", "self.media", "leave", "ping",
              *EXPECTED_ROOM_ACTIONS]


def walk_command(kind: str, target: str, flag: bool):
    if kind == "join":
        return join_command(target)
    if kind == "reconnect":
        return Reconnect(target)
    if kind == "disconnect":
        return Disconnect(target)
    if kind == "expire":
        return ExpireDisconnected(GRACE)
    if kind == "identity":
        return IdentityResult(target, flag)
    if kind == "chat":
        return chat(to_=target if flag else "staff")
    if kind == "self.media":
        return frame(kind, audio=flag)
    if kind == "host.verify_identity":
        return IdentityResult(target, flag)
    if kind in ("leave", "ping", "host.take_floor", "host.end"):
        return frame(kind)
    if kind == "host.refuse":
        return frame(kind, participant=target, ground="threats_or_insults")
    if kind == "host.mute":
        return frame(kind, participant=target, kind="audio" if flag else "video")
    if kind == "host.lock_lobby":
        return frame(kind, locked=flag)
    if kind == "host.recording":
        return frame(kind, on=flag)
    return frame(kind, participant=target)


@hypothesis_settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(ACTORS), st.sampled_from(WALK_KINDS),
                          st.sampled_from([*STAFF, C1, C2, C3, "u99"]), st.booleans(),
                          st.floats(min_value=0, max_value=40)), max_size=40))
def test_random_walk_keeps_the_invariants(steps):
    state, now = RoomState(session="s"), NOW
    for actor, kind, target, flag, dt in steps:
        now += dt
        command = walk_command(kind, target, flag)
        if isinstance(command, Join | ExpireDisconnected):
            actor = None  # system commands
        elif isinstance(command, Reconnect | Disconnect):
            actor = target
        elif actor is None:
            actor = HOST  # participants' commands always have an actor
        before = copy.deepcopy(state)
        try:
            state = step(state, actor, command, now).state
        except RoomError:
            assert state == before
    # Whatever happened, everyone present can still be given a consistent snapshot.
    for p in state.participants.values():
        if p.status in PRESENT:
            assert snapshot(state, p.pid)["seq"] == state.seq


# --- Frames ----------------------------------------------------------------------------------------------

VALID = {
    "hello": {"resume_token": "abc", "last_seq": 3},
    "ping": {},
    "resync": {"last_seq": 0},
    "chat.send": {"text": "Xin chào", "to": "staff"},
    "self.media": {"audio": False, "video": True},
    "leave": {},
    "host.admit": {"participant": "u10"},
    "host.refuse": {"participant": "u10", "ground": "settled_case_prolonged", "note": "Đã giải quyết"},
    "host.verify_identity": {"participant": "u10", "id_document_number": "001085000001"},
    "host.mute": {"participant": "u10", "kind": "video"},
    "host.ask_unmute": {"participant": "u10"},
    "host.give_floor": {"participant": "u10"},
    "host.take_floor": {},
    "host.remove": {"participant": "u10", "note": ""},
    "host.lock_lobby": {"locked": True},
    "host.recording": {"on": False},
    "host.end": {},
    "rtc.offer": {"sdp": "v=0\r\n"},
    "rtc.answer": {"sdp": "v=0\r\n"},
    "rtc.ice": {"candidate": {"candidate": "candidate:1 1 udp 2122260223 10.0.0.1 49152 typ host", "sdpMid": "0"}},
}
REQUIRED = {
    "resync": ["last_seq"], "chat.send": ["text"], "host.admit": ["participant"],
    "host.refuse": ["participant", "ground"], "host.verify_identity": ["participant", "id_document_number"],
    "host.mute": ["participant"], "host.ask_unmute": ["participant"], "host.give_floor": ["participant"],
    "host.remove": ["participant"], "host.lock_lobby": ["locked"], "host.recording": ["on"],
    "rtc.offer": ["sdp"], "rtc.answer": ["sdp"],
}
WRONG_TYPE = {
    "hello": ("last_seq", "three"), "ping": ("id", [1]), "resync": ("last_seq", "x"), "chat.send": ("text", 42),
    "self.media": ("audio", [True]), "leave": ("id", {"a": 1}), "host.admit": ("participant", 10),
    "host.refuse": ("ground", 3), "host.verify_identity": ("id_document_number", 123456789),
    "host.mute": ("kind", True), "host.ask_unmute": ("participant", None), "host.give_floor": ("participant", ["u1"]),
    "host.take_floor": ("id", 1.5), "host.remove": ("note", 5), "host.lock_lobby": ("locked", "maybe"),
    "host.recording": ("on", {"x": 1}), "host.end": ("id", [1]), "rtc.offer": ("sdp", 1),
    "rtc.answer": ("sdp", False), "rtc.ice": ("candidate", "a string"),
}


def frame_error(data) -> f.FrameError:
    text = data if isinstance(data, str | bytes) or data is None else json.dumps(data)
    with pytest.raises(f.FrameError) as info:
        f.parse_client_frame(text)
    return info.value


def test_frame_tables_cover_every_type():
    assert set(VALID) == set(WRONG_TYPE) == f.KNOWN_TYPES
    models = {m.model_fields["type"].annotation.__args__[0]: m for m in f.Frame.__subclasses__()}
    required = {kind: sorted(n for n, fi in m.model_fields.items() if fi.is_required() and n != "type")
                for kind, m in models.items()}
    assert {k: v for k, v in required.items() if v} == {k: sorted(v) for k, v in REQUIRED.items()}


@pytest.mark.parametrize("kind", sorted(VALID))
def test_valid_frame_parses(kind):
    parsed = f.parse_client_frame(json.dumps({"v": 1, "type": kind, "id": "x-1", **VALID[kind]}))
    assert parsed.type == kind and parsed.id == "x-1" and parsed.v == 1
    for name, value in VALID[kind].items():
        assert parsed.model_dump(mode="json")[name] == value
    assert f.parse_client_frame(json.dumps({"type": kind, **VALID[kind]})).id is None  # v and id are optional


@pytest.mark.parametrize("kind,field", [(k, name) for k, names in sorted(REQUIRED.items()) for name in names])
def test_missing_required_field(kind, field):
    data = {"type": kind, "id": 5, **VALID[kind]}
    del data[field]
    error = frame_error(data)
    assert error.code == "invalid_frame" and error.reply_to == 5
    assert {"field": field, "problem": "missing"} in error.details


@pytest.mark.parametrize("kind", sorted(WRONG_TYPE))
def test_wrong_field_type(kind):
    field, value = WRONG_TYPE[kind]
    error = frame_error({"type": kind, **VALID[kind], field: value})
    assert error.code == "invalid_frame" and error.details
    assert all(d["field"].split(".")[0] == field for d in error.details), error.details


@pytest.mark.parametrize("kind", sorted(VALID))
def test_extra_field(kind):
    error = frame_error({"type": kind, "id": "e", **VALID[kind], "bogus": 1})
    assert error.code == "invalid_frame" and error.reply_to == "e"
    assert error.details == [{"field": "bogus", "problem": "extra_forbidden"}]


@pytest.mark.parametrize("text,code", [
    (None, "binary_not_supported"),
    ("{", "malformed_json"),
    ("", "malformed_json"),
    ("{'type': 'ping'}", "malformed_json"),
    (b'{"type": "chat.send", "text": "\xff\xfe"}', "malformed_json"),
    (b"\xc3\x28", "malformed_json"),
    ("[1, 2]", "invalid_frame"),
    ('"ping"', "invalid_frame"),
    ("42", "invalid_frame"),
    ("null", "invalid_frame"),
    ("true", "invalid_frame"),
    ('{"id": 1}', "invalid_frame"),
    ('{"type": 5}', "invalid_frame"),
    ('{"type": null}', "invalid_frame"),
    ('{"type": "host.explode"}', "unknown_type"),
    ('{"type": "PING"}', "unknown_type"),
    ('{"v": 2, "type": "ping"}', "unsupported_version"),
    ('{"v": "1", "type": "ping"}', "unsupported_version"),
    ('{"v": 2, "type": "no.such.type"}', "unsupported_version"),
    ("x" * (64 * 1024 + 1), "frame_too_large"),
    (json.dumps({"type": "chat.send", "text": "ệ" * 22_000}, ensure_ascii=False), "frame_too_large"),  # bytes count
    (json.dumps({"type": "chat.send", "text": "a" * (f.MAX_CHAT_CHARS + 1)}), "invalid_frame"),
    ('{"type": "chat.send", "text": "\\ud800"}', "invalid_frame"),  # a lone surrogate is no text
    ('{"type": "host.admit", "participant": "u1; DROP TABLE"}', "invalid_frame"),
    ('{"type": "resync", "last_seq": -1}', "invalid_frame"),
    ('{"type": "ping", "id": -1}', "invalid_frame"),
    ('{"type": "ping", "id": 9007199254740993}', "invalid_frame"),
])
def test_frame_error_codes(text, code):
    error = frame_error(text)
    assert error.code == code
    assert error.message


def test_frame_size_limit_is_inclusive():
    text = json.dumps({"type": "rtc.offer", "sdp": "s"})
    text = text[:-1] + " " * (f.MAX_FRAME_BYTES - len(text)) + "}"
    assert len(text.encode()) == f.MAX_FRAME_BYTES
    assert f.parse_client_frame(text).type == "rtc.offer"


@pytest.mark.parametrize("id_,reply_to", [
    ("abc", "abc"), (0, 0), (42, 42), (2**53, 2**53), ("x" * 64, "x" * 64),
    ("x" * 65, None), (True, None), (None, None), ([1], None), (1.5, None),
])
def test_reply_to_echoes_a_valid_client_id(id_, reply_to):
    for data in ({"type": "chat.send", "id": id_}, {"type": "unheard.of", "id": id_},
                 {"v": 9, "type": "ping", "id": id_}, {"type": 3, "id": id_}):
        assert frame_error(data).reply_to == reply_to


@pytest.mark.parametrize("text", [
    '{"type": "ping", "id": "\\ud800"}',
    '{"type": "chat.send", "id": "a\\udfffb", "text": 1}',
    '{"v": 2, "id": "\\udc00", "type": "ping"}',
    '{"type": "nope", "id": "\\ud800"}',
    '{"type": "ping", "\\udc00": 1}',
    '{"type": "\\ud800"}',
])
def test_frame_errors_can_be_sent_as_utf8(text):
    """A lone surrogate (valid as a JSON escape, not as UTF-8) must not come back in ``reply_to`` or
    ``details``: the WebSocket server encodes every text frame as UTF-8 and could not send the answer."""
    error = frame_error(text)
    answer = json.dumps({"message": str(error.message), "reply_to": error.reply_to, "details": error.details},
                        ensure_ascii=False)
    answer.encode("utf-8")


def test_deeply_nested_json_is_a_frame_error_not_a_crash():
    """Nesting deeper than Python's recursion limit fits in 64 KiB; the parser must answer with a typed
    error, not let a RecursionError escape into the consumer."""
    for text in ("[" * 30_000, '{"type": "rtc.ice", "candidate": {"a": ' + "[" * 5_000 + "]" * 5_000 + "}}"):
        outcome = None
        try:
            f.parse_client_frame(text)
        except f.FrameError as exc:
            outcome = exc.code
        except RecursionError as exc:  # reported outside the handler: pytest cannot render this traceback
            outcome = repr(exc)
        assert outcome in ("malformed_json", "invalid_frame"), outcome


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@hypothesis_settings(max_examples=300, deadline=None, database=None)
@given(json_values, st.sampled_from([None, *sorted(f.KNOWN_TYPES), "nope"]))
def test_parser_only_ever_raises_frame_errors(value, kind):
    if kind is not None and isinstance(value, dict):
        value = {**value, "type": kind}
    try:
        parsed = f.parse_client_frame(json.dumps(value))
    except f.FrameError as exc:
        assert exc.code in ("malformed_json", "invalid_frame", "unknown_type", "unsupported_version")
    else:
        assert parsed.type in f.KNOWN_TYPES
