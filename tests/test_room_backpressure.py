"""Issue 18, back-pressure: one Daphne process overloaded (its room commands stuck behind a held room lock)
answers further commands with a typed ``busy`` error — nothing applied, nothing lost — and the same
commands, sent again after ``retry_after``, are applied and delivered."""

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async
from django.db import connection, transaction

from signaling.models import Room
from signaling.room_consumer import Pending
from tests.room_helpers import connect, hello, open_room

pytestmark = [pytest.mark.django_db(transaction=True)]


SEEN: dict[int, list[dict]] = {}  # every frame each socket received, in order


async def until(ws, predicate, timeout=20):
    while True:
        frame = await ws.receive_json_from(timeout=timeout)
        SEEN.setdefault(id(ws), []).append(frame)
        if predicate(frame):
            return frame


def hold_room_lock(session_id: int, locked: threading.Event, release: threading.Event) -> None:
    """Another database client holding the room's row lock: every command of the room waits behind it."""
    try:
        with transaction.atomic():
            Room.objects.select_for_update().get(session_id=session_id)
            locked.set()
            release.wait(60)
    finally:
        connection.close()


async def test_overloaded_process_answers_busy_and_loses_nothing(office_tree, make_user, settings):
    room = await database_sync_to_async(open_room)(office_tree, make_user)
    session = room["session"]
    staff = [room["host"], room["officer"], room["secretary"], room["provincial"]]
    sockets = []
    for user in staff:
        ws = await connect(session, user)
        assert (await hello(ws))["type"] == "welcome"
        sockets.append(ws)
    await asyncio.sleep(1)  # the joins' broadcasts settle

    settings.ROOM_MAX_PENDING_COMMANDS = 2
    settings.ROOM_BUSY_RETRY_SECONDS = 0.5
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_room_lock, args=(session.pk, locked, release))
    holder.start()
    try:
        assert await asyncio.to_thread(locked.wait, 30)
        # Two commands fill the process: they wait for the room lock.
        for number, ws in enumerate(sockets[:2]):
            await ws.send_json_to({"type": "self.media", "id": f"m{number}", "audio": False})
        for _ in range(200):
            if Pending.count >= 2:
                break
            await asyncio.sleep(0.05)
        assert Pending.count == 2
        # The next ones are refused at once with a typed answer, not queued.
        for number, ws in enumerate(sockets[2:], start=2):
            await ws.send_json_to({"type": "self.media", "id": f"m{number}", "audio": False})
            busy = await until(ws, lambda fr: fr.get("type") == "error")
            assert busy["code"] == "busy" and busy["reply_to"] == f"m{number}"
            assert busy["details"]["retry_after"] == 0.5 and busy["message"]
    finally:
        release.set()
        await asyncio.to_thread(holder.join, 30)

    # The two held commands complete; the refused ones, sent again, are applied.
    for number, ws in enumerate(sockets[:2]):
        assert (await until(ws, lambda fr: fr.get("type") in ("ack", "error")))["reply_to"] == f"m{number}"
    assert Pending.count == 0
    for number, ws in enumerate(sockets[2:], start=2):
        await ws.send_json_to({"type": "self.media", "id": f"m{number}", "audio": False})
        reply = await until(ws, lambda fr: fr.get("type") in ("ack", "error"))
        assert (reply["type"], reply["reply_to"]) == ("ack", f"m{number}")

    # Every change reached the others (nothing lost): the host saw all three others turn their audio off.
    state = (await database_sync_to_async(Room.objects.get)(session=session)).state
    pids = [f"u{user.pk}" for user in staff]
    assert all(state["participants"][pid]["audio_on"] is False for pid in pids)
    def silenced() -> set:
        return {fr["participant"]["pid"] for fr in SEEN.get(id(sockets[0]), [])
                if fr.get("type") == "participant.updated" and fr["participant"]["audio"] is False}

    try:
        while not set(pids[1:]) <= silenced():
            await until(sockets[0], lambda fr: fr.get("type") == "participant.updated", timeout=10)
    except TimeoutError:
        seen = [(fr.get("type"), fr.get("participant")) for fr in SEEN.get(id(sockets[0]), [])]
        raise AssertionError(f"the host did not see every change: {pids} {seen}") from None
    for ws in sockets:
        await ws.disconnect()
