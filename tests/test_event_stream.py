"""The event stream consumer, in-process (WebsocketCommunicator), on the Redis channel layer."""


import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import Role
from project.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True)]


async def connect(user):
    from channels.auth import login  # noqa: F401  (session-less: put the user in scope directly)
    from channels.routing import URLRouter

    from signaling.routing import websocket_urlpatterns

    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/events/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_anonymous_is_refused():
    from django.contrib.auth.models import AnonymousUser

    communicator, connected = await connect(AnonymousUser())
    assert not connected


async def test_origin_check_on_handshake():
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", b"http://evil.example")])
    connected, _ = await communicator.connect()
    assert not connected


async def test_bad_frames_get_typed_errors_and_the_socket_stays_open(office_tree, make_user):
    user = await database_sync_to_async(make_user)(Role.SECRETARY, office_tree["commune011"])
    ws, connected = await connect(user)
    assert connected
    assert (await ws.receive_json_from())["type"] == "ready"
    for raw, code in [("{not json", "malformed_json"), ("[1,2]", "invalid_frame"), ('{"type": 5}', "invalid_frame"),
                      ('{"type": "nope", "id": 7}', "unknown_type"), ("x" * 20000, "frame_too_large"),
                      ('{"type": "office.notice", "office": "1", "text": "hi"}', "invalid_frame"),
                      ('{"type": "office.notice", "office": 999999, "text": "hi"}', "not_found")]:
        await ws.send_to(text_data=raw)
        frame = await ws.receive_json_from()
        assert frame["type"] == "error" and frame["code"] == code, (raw[:30], frame)
    await ws.send_to(bytes_data=b"\x00\x01")
    assert (await ws.receive_json_from())["code"] == "binary_not_supported"
    await ws.send_json_to({"type": "ping", "id": "p1"})
    assert await ws.receive_json_from() == {"v": 1, "type": "pong", "reply_to": "p1"}
    await ws.disconnect()


async def test_notice_reaches_colleagues_only(office_tree, make_user):
    make = database_sync_to_async(make_user)
    author = await make(Role.RECEPTION_OFFICER, office_tree["commune011"])
    colleague = await make(Role.LEADER, office_tree["commune011"])
    stranger = await make(Role.LEADER, office_tree["commune012"])
    a, _ = await connect(author)
    b, _ = await connect(colleague)
    c, _ = await connect(stranger)
    for ws in (a, b, c):
        await ws.receive_json_from()  # ready
    await a.send_json_to({"type": "office.notice", "id": 1, "office": office_tree["commune011"].pk,
                          "text": "Điểm cầu trung ương đã kết nối"})
    frames = [await a.receive_json_from(), await a.receive_json_from()]
    assert {f["type"] for f in frames} == {"ack", "event"}
    event = await b.receive_json_from(timeout=5)
    assert event["event"]["type"] == "office.notice"
    assert event["event"]["payload"]["text"] == "Điểm cầu trung ương đã kết nối"
    assert await c.receive_nothing(timeout=0.5)
    # The stranger may not post to an office that is not theirs.
    await c.send_json_to({"type": "office.notice", "id": 2, "office": office_tree["commune011"].pk, "text": "x"})
    assert (await c.receive_json_from())["code"] == "forbidden"
    for ws in (a, b, c):
        await ws.disconnect()




async def test_errors_come_in_the_clients_language(office_tree, make_user):
    """Vietnamese by default, English for ``?lang=en`` (as on the room socket, issue 11)."""
    from channels.routing import URLRouter

    from signaling.routing import websocket_urlpatterns

    user = await database_sync_to_async(make_user)(Role.SECRETARY, office_tree["commune011"])
    for path, expected in (("/ws/events/", "Khung tin không phải JSON hợp lệ."),
                           ("/ws/events/?lang=en", "The frame is not valid JSON.")):
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from())["type"] == "ready"
        await communicator.send_to(text_data="{nope")
        assert (await communicator.receive_json_from())["message"] == expected
        await communicator.disconnect()
