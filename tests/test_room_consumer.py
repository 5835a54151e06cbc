"""The room socket end to end in one process (WebsocketCommunicator) on the Redis channel layer:
join → lobby → identity check → admit → chat → mute → remove → end, and who may do what."""

import pytest
from channels.db import database_sync_to_async

from scheduling.models import Registration
from signaling.models import RoomRecord
from tests.room_helpers import connect, hello, join_token, open_room

pytestmark = [pytest.mark.django_db(transaction=True)]


async def drain(ws, until_type, timeout=5):
    """Frames up to and including the first of ``until_type``."""
    frames = []
    while True:
        frame = await ws.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame["type"] == until_type:
            return frames


async def test_whole_control_flow(office_tree, make_user):
    room = await database_sync_to_async(open_room)(office_tree, make_user)
    session, host, officer = room["session"], room["host"], room["officer"]
    registration = room["registrations"][0]

    host_ws = await connect(session, host)
    welcome = await hello(host_ws)
    assert welcome["type"] == "welcome" and welcome["snapshot"]["participants"][0]["role"] == "host"
    assert welcome["resume_token"]
    officer_ws = await connect(session, officer)
    assert (await hello(officer_ws))["type"] == "welcome"
    assert (await host_ws.receive_json_from())["type"] == "participant.joined"

    # The citizen enters with the join link from the reminder and waits in the lobby.
    citizen_ws = await connect(session, token=join_token(registration))
    waiting = await hello(citizen_ws)
    assert waiting["type"] == "waiting" and waiting["snapshot"]["position"] == 1
    assert "participants" not in waiting["snapshot"]  # a waiting citizen does not see who is inside
    lobby = (await drain(officer_ws, "lobby.updated"))[-1]
    pid = lobby["lobby"][0]["pid"]

    # Identity check: a wrong number, then the right one.
    await officer_ws.send_json_to({"type": "host.verify_identity", "id": 1, "participant": pid,
                                   "id_document_number": "999999999999"})
    assert (await drain(officer_ws, "identity.checked"))[-1]["identity"] == "mismatch"
    await officer_ws.send_json_to({"type": "host.verify_identity", "id": 2, "participant": pid,
                                   "id_document_number": "001085000000"})
    assert (await drain(officer_ws, "identity.checked"))[-1]["identity"] == "matched"

    # Staff can write to the waiting citizen; the citizen only to staff.
    await officer_ws.send_json_to({"type": "chat.send", "text": "Xin chờ một chút", "to": pid})
    assert (await drain(citizen_ws, "chat"))[-1]["text"] == "Xin chờ một chút"
    await citizen_ws.send_json_to({"type": "chat.send", "id": "c1", "text": "Chào mọi người", "to": "all"})
    assert (await citizen_ws.receive_json_from())["code"] == "forbidden"

    await host_ws.send_json_to({"type": "host.admit", "id": "a1", "participant": pid})
    admitted = await drain(citizen_ws, "admitted")
    assert admitted[-1]["snapshot"]["status"] == "admitted"
    assert {p["role"] for p in admitted[-1]["snapshot"]["participants"]} == {"host", "officer", "citizen"}

    await citizen_ws.send_json_to({"type": "chat.send", "text": "Kính chào đồng chí Chủ tịch"})
    assert (await drain(host_ws, "chat"))[-1]["text"] == "Kính chào đồng chí Chủ tịch"

    await host_ws.send_json_to({"type": "host.mute", "participant": pid})
    assert (await drain(citizen_ws, "muted"))[-1]["kind"] == "audio"
    # The citizen cannot unmute themselves above the host's mute.
    await citizen_ws.send_json_to({"type": "self.media", "audio": True})
    updated = (await drain(citizen_ws, "participant.updated"))[-1]["participant"]
    assert updated["audio"] is False and updated["muted_by_host"] is True

    # A secretary cannot remove anyone.
    secretary_ws = await connect(session, room["secretary"])
    await hello(secretary_ws)
    await secretary_ws.send_json_to({"type": "host.remove", "id": "r0", "participant": pid})
    assert (await drain(secretary_ws, "error"))[-1]["code"] == "forbidden"

    await host_ws.send_json_to({"type": "host.remove", "id": "r1", "participant": pid})
    assert (await drain(citizen_ws, "removed"))[-1]["type"] == "removed"
    assert (await citizen_ws.receive_output(timeout=2))["type"] == "websocket.close"
    # The same link no longer opens the room.
    again = await connect(session, token=join_token(registration))
    assert (await again.receive_json_from())["code"] == "link_invalid"
    registration_now = await database_sync_to_async(Registration.objects.get)(pk=registration.pk)
    assert registration_now.join_nonce != registration.join_nonce

    await host_ws.send_json_to({"type": "host.end"})
    assert (await drain(officer_ws, "session.ended"))[-1]["type"] == "session.ended"
    kinds = await database_sync_to_async(lambda: list(RoomRecord.objects.values_list("kind", flat=True)))()
    assert {"joined", "identity_checked", "admitted", "muted", "removed", "ended"} <= set(kinds)
    # Every socket ends here, closed by the server or not: no consumer task is left for the loop's teardown.
    for ws in (host_ws, officer_ws, secretary_ws, citizen_ws, again):
        await ws.disconnect()


async def test_refusal_with_legal_ground(office_tree, make_user):
    room = await database_sync_to_async(open_room)(office_tree, make_user)
    host_ws = await connect(room["session"], room["host"])
    await hello(host_ws)
    citizen_ws = await connect(room["session"], room["citizens"][0])  # by login this time
    assert (await hello(citizen_ws))["type"] == "waiting"
    pid = f"u{room['citizens'][0].pk}"
    await host_ws.send_json_to({"type": "host.refuse", "participant": pid, "ground": "nonsense"})
    assert (await drain(host_ws, "error"))[-1]["code"] == "invalid_frame"
    await host_ws.send_json_to({"type": "host.refuse", "participant": pid, "ground": "threats_or_insults",
                                "note": "Lăng mạ cán bộ"})
    assert (await drain(citizen_ws, "refused"))[-1]["ground"] == "threats_or_insults"
    record = await database_sync_to_async(RoomRecord.objects.get)(kind="refused")
    assert record.data["ground"] == "threats_or_insults" and record.subject_id == room["citizens"][0].pk
    # Refused: cannot come back, not even by login.
    back = await connect(room["session"], room["citizens"][0])
    assert (await hello(back))["code"] == "refused"
    for ws in (host_ws, citizen_ws, back):
        await ws.disconnect()


async def test_who_may_enter(office_tree, make_user):
    room = await database_sync_to_async(open_room)(office_tree, make_user)
    stranger_leader = await database_sync_to_async(make_user)("leader", office_tree["commune012"])
    other_citizen = await database_sync_to_async(make_user)()
    for user, code in [(stranger_leader, "forbidden"), (other_citizen, "forbidden"), (None, "not_authenticated")]:
        ws = await connect(room["session"], user)
        frame = await ws.receive_json_from()
        assert frame["type"] == "error" and frame["code"] == code
    ws = await connect(room["session"], token="garbage")
    assert (await ws.receive_json_from())["code"] == "link_invalid"
    # A provincial leader at a connected site enters as staff.
    ws = await connect(room["session"], room["provincial"])
    welcome = await hello(ws)
    assert welcome["type"] == "welcome"
    assert [p["role"] for p in welcome["snapshot"]["participants"]] == ["leader"]
    await ws.disconnect()


async def test_a_citizen_of_one_session_cannot_enter_another(office_tree, make_user):
    from datetime import timedelta

    from sessions import services as session_services
    from tests.scheduling_helpers import future_session

    room = await database_sync_to_async(open_room)(office_tree, make_user)
    registration = room["registrations"][0]

    def other_open_session():
        other = future_session(office_tree["commune012"], days_ahead=10, start_hour=14, publish=True)
        leader = make_user("leader", office_tree["commune012"])
        return session_services.open_session(other, leader, now=other.starts_at + timedelta(minutes=1))

    other = await database_sync_to_async(other_open_session)()
    ws = await connect(other, room["citizens"][0])
    assert (await ws.receive_json_from())["code"] == "forbidden"
    ws = await connect(other, token=join_token(registration))  # the link of session X at session Y
    assert (await ws.receive_json_from())["code"] == "link_invalid"


async def test_an_expired_join_link_is_refused(office_tree, make_user, settings):
    import time_machine

    settings.JOIN_LINK_MAX_AGE_SECONDS = 3600
    room = await database_sync_to_async(open_room)(office_tree, make_user)
    token = join_token(room["registrations"][0])
    import time as clock

    with time_machine.travel(clock.time() + 7200, tick=True):  # two hours later
        ws = await connect(room["session"], token=token)
        assert (await ws.receive_json_from())["code"] == "link_expired"


async def test_nobody_enters_a_session_that_is_not_open(office_tree, make_user):
    from tests.scheduling_helpers import future_session

    def published_only():
        leader = make_user("leader", office_tree["commune011"])
        return future_session(office_tree["commune011"], host=leader, kind="periodic"), leader

    session, leader = await database_sync_to_async(published_only)()
    ws = await connect(session, leader)
    frame = await ws.receive_json_from()
    assert frame["code"] == "session_not_open"
    assert (await ws.receive_output(timeout=2))["type"] == "websocket.close"


async def test_a_participant_whose_server_died_is_expired_by_their_silence(office_tree, make_user, settings):
    """Nobody closed the socket (the server was killed): the beat task's service takes ROOM_SILENT_SECONDS
    of silence as the drop, and the grace period as from the last frame; the others are told."""
    import asyncio

    from signaling import services
    from signaling.models import Room

    settings.ROOM_SILENT_SECONDS, settings.ROOM_RECONNECT_GRACE_SECONDS = 30, 60
    room = await database_sync_to_async(open_room)(office_tree, make_user)
    host_ws = await connect(room["session"], room["host"])
    await hello(host_ws)
    citizen_ws = await connect(room["session"], token=join_token(room["registrations"][0]))
    assert (await hello(citizen_ws))["type"] == "waiting"
    pid = f"u{room['citizens'][0].pk}"
    await drain(host_ws, "lobby.updated")

    def participant():
        return Room.objects.get(session=room["session"]).state["participants"][pid]

    def host_connected():
        return Room.objects.get(session=room["session"]).state["participants"][f"u{room['host'].pk}"]["connected"]

    seen = (await database_sync_to_async(participant)())["last_seen"]
    assert await database_sync_to_async(services.expire_disconnected)(seen + 20) == 0  # merely quiet
    await asyncio.sleep(0.3)
    await host_ws.send_json_to({"type": "ping", "id": "p"})  # the host keeps pinging; the citizen does not
    await drain(host_ws, "pong")
    assert (await database_sync_to_async(participant)())["connected"] is True
    await database_sync_to_async(services.expire_disconnected)(seen + 30.1)
    assert await database_sync_to_async(host_connected)() is True
    gone = await database_sync_to_async(participant)()
    assert gone["status"] == "lobby" and gone["connected"] is False
    assert abs(gone["disconnected_at"] - gone["last_seen"]) < 1e-6
    lobby = (await drain(host_ws, "lobby.updated"))[-1]["lobby"]
    assert [(e["pid"], e["connected"]) for e in lobby] == [(pid, False)]
    await database_sync_to_async(services.expire_disconnected)(gone["last_seen"] + 60)
    assert (await database_sync_to_async(participant)())["status"] == "left"
    assert (await drain(host_ws, "lobby.updated"))[-1]["lobby"] == []
    await host_ws.disconnect()
    await citizen_ws.disconnect()


# --- Issue 11: refusals in the client's language; an ended session says so; seq rule of snapshots ---------

async def test_refusals_come_in_the_language_of_the_page(office_tree, make_user):
    """The room's refusals are Vietnamese by default, English for an English page (``?lang=en``) or an
    English browser (Accept-Language) — decided at the handshake, so entry errors are translated too."""
    room = await database_sync_to_async(open_room)(office_tree, make_user)
    session, secretary = room["session"], room["secretary"]
    sockets = []

    async def refusal(**how):
        ws = await connect(session, secretary, **how)
        sockets.append(ws)
        await hello(ws)
        await ws.send_json_to({"type": "host.end", "id": "e"})
        frame = await drain(ws, "error")
        assert frame[-1]["code"] == "forbidden" and frame[-1]["reply_to"] == "e"
        return frame[-1]["message"]

    assert await refusal() == "Vai trò của bạn trong phòng không được làm việc này."
    assert await refusal(lang="en") == "Your role in the room may not do that."
    assert await refusal(headers=[(b"accept-language", b"en-US,en;q=0.9")]) == "Your role in the room may not do that."
    assert await refusal(lang="xx", headers=[(b"accept-language", b"fr")]) == \
        "Vai trò của bạn trong phòng không được làm việc này."
    # A frame error and an entry error, in English.
    ws = await connect(session, secretary, lang="en")
    sockets.append(ws)
    await ws.send_to(text_data="{not json")
    assert (await ws.receive_json_from())["message"] == "The frame is not valid JSON."
    ws = await connect(session, lang="en")
    assert (await ws.receive_json_from()) == {"v": 1, "type": "error", "code": "not_authenticated",
                                              "message": "Please log in or use your join link.", "reply_to": None}
    for ws in sockets:
        await ws.disconnect()


async def test_hello_after_the_end_gets_session_ended(office_tree, make_user):
    room = await database_sync_to_async(open_room)(office_tree, make_user)
    host_ws = await connect(room["session"], room["host"])
    await hello(host_ws)
    await host_ws.send_json_to({"type": "host.end", "id": "end"})
    assert (await drain(host_ws, "session.ended"))[-1]["type"] == "session.ended"
    ws = await connect(room["session"], room["officer"])
    frame = await ws.receive_json_from()
    assert frame["code"] == "session_ended" and frame["message"] == "Buổi tiếp đã kết thúc."
    closed = await ws.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": 4400}


async def test_an_admitted_event_carries_a_snapshot_that_includes_it(office_tree, make_user):
    """The rule of docs/protocol.md: an event's ``seq`` ≤ the ``seq`` of the snapshot it carries."""
    room = await database_sync_to_async(open_room)(office_tree, make_user)
    host_ws = await connect(room["session"], room["host"])
    await hello(host_ws)
    citizen_ws = await connect(room["session"], token=join_token(room["registrations"][0]))
    waiting = await hello(citizen_ws)
    pid = waiting["snapshot"]["you"]
    await host_ws.send_json_to({"type": "host.admit", "id": "a", "participant": pid})
    admitted = (await drain(citizen_ws, "admitted"))[-1]
    assert admitted["seq"] <= admitted["snapshot"]["seq"]
    assert admitted["snapshot"]["status"] == "admitted"
    await citizen_ws.disconnect()
    await host_ws.disconnect()
