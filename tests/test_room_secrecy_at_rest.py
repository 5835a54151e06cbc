"""Issue 13, leak 11: what identifies a citizen in the live room — their name, their chat, a removal note —
is never stored in clear. Read the raw PostgreSQL rows (SQL, not the ORM) after a citizen with a unique
name joins, is admitted, chats, and is removed."""

import json

import pytest
from django.db import connection

from signaling import services
from signaling.models import Room, RoomEvent, RoomRecord
from signaling.protocol.frames import parse_client_frame
from tests.room_helpers import open_room

pytestmark = [pytest.mark.django_db(transaction=True)]

NAME = "Zyqxname Vuquockhanh"
CHAT = "Zyqxchat toi to cao ong Tran Van Zyqx"
NOTE = "Zyqxnote ly do rieng"


def _send(entry, **frame):
    return services.handle(entry, parse_client_frame(json.dumps(frame)))


def _raw_texts(session) -> list[str]:
    """Every stored value of the room's state, event log and records, as PostgreSQL holds it."""
    room_id = Room.objects.get(session=session).pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT state::text, resume_hashes::text FROM signaling_room WHERE id = %s", [room_id])
        texts = [value for row in cursor.fetchall() for value in row]
        cursor.execute("SELECT audience, frame::text FROM signaling_roomevent WHERE room_id = %s", [room_id])
        texts += [value for row in cursor.fetchall() for value in row]
        cursor.execute("SELECT kind, data::text FROM signaling_roomrecord WHERE room_id = %s", [room_id])
        texts += [value for row in cursor.fetchall() for value in row]
    return texts


def _room_with_named_citizen(office_tree, make_user):
    """An open room whose host has joined, and a citizen named NAME who has not yet."""
    room = open_room(office_tree, make_user)
    session = room["session"]
    citizen = room["citizens"][0]
    citizen.full_name = NAME
    citizen.save(update_fields=["full_name"])
    host_entry = services.resolve_entry(str(session.public_id), room["host"])
    services.join(host_entry)
    return session, host_entry, citizen


def test_citizen_name_chat_and_notes_are_not_stored_in_clear(office_tree, make_user):
    session, host_entry, citizen = _room_with_named_citizen(office_tree, make_user)
    citizen_entry = services.resolve_entry(str(session.public_id), citizen)
    assert citizen_entry.name == NAME
    services.join(citizen_entry)
    _send(host_entry, type="host.admit", id="a1", participant=citizen_entry.pid)
    _send(citizen_entry, type="chat.send", id="c1", text=CHAT)
    _send(host_entry, type="chat.send", id="c2", text=f"Cảm ơn {NAME}")
    _send(host_entry, type="host.remove", id="r1", participant=citizen_entry.pid, note=NOTE)

    # The application still sees all of it (decrypted by the ORM) ...
    stored = Room.objects.get(session=session)
    assert stored.state["participants"][citizen_entry.pid]["name"] == NAME
    frames = list(RoomEvent.objects.filter(room=stored).values_list("frame", flat=True))
    assert any(frame.get("text") == CHAT for frame in frames)
    assert any(record.get("note") == NOTE
               for record in RoomRecord.objects.filter(room=stored).values_list("data", flat=True))

    # ... but the rows in PostgreSQL hold none of it.
    texts = _raw_texts(session)
    assert len(texts) > 10
    for text in texts:
        for marker in ("Zyqx", "Vuquockhanh"):
            assert marker not in (text or ""), text
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM signaling_roomevent WHERE room_id = %s AND frame NOT LIKE 'fernet:%%'",
                       [stored.pk])
        assert cursor.fetchone()[0] == 0


def test_the_event_log_holds_no_citizen_name_and_replay_puts_it_back(office_tree, make_user):
    """The lobby list the staff see names the waiting citizens; the logged copy of it does not (not even
    encrypted). A host who reconnects still gets the names, from the room state."""
    session, host_entry, citizen = _room_with_named_citizen(office_tree, make_user)
    seq_before = services.current_seq(session.pk)
    citizen_entry = services.resolve_entry(str(session.public_id), citizen)
    outcome = services.join(citizen_entry)
    assert outcome is not None

    stored = Room.objects.get(session=session)
    logged = list(RoomEvent.objects.filter(room=stored).values_list("frame", flat=True))
    assert any(frame.get("type") == "lobby.updated" for frame in logged)
    assert NAME not in json.dumps(logged, ensure_ascii=False)

    state = services.RoomState.from_dict(stored.state)
    replayed = services.catch_up(stored, state, host_entry.pid, seq_before)
    lobbies = [frame["lobby"] for frame in replayed if frame.get("type") == "lobby.updated"]
    assert lobbies and lobbies[-1][0]["pid"] == citizen_entry.pid
    assert lobbies[-1][0]["name"] == NAME
