"""Builders for live-room tests: an open session with a host, staff and registered citizens."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from accounts.models import Role
from accounts.services import set_identity_document
from scheduling.links import make_join_token
from scheduling.services import registrations
from sessions import services as session_services
from sessions.models import SessionStatus
from tests.scheduling_helpers import future_session

SUMMARY = "Khiếu nại về việc bồi thường khi thu hồi đất nông nghiệp"


def open_room(office_tree, make_user, citizens=1):
    """An open session at commune011 hosted by its leader, with an officer, a secretary, a provincial leader
    at a connected site, and ``citizens`` confirmed registrations (ID documents on file)."""
    commune, province = office_tree["commune011"], office_tree["province01"]
    host = make_user(Role.LEADER, commune, full_name="Chủ tịch Xã")
    officer = make_user(Role.RECEPTION_OFFICER, commune, full_name="Cán bộ Tiếp")
    secretary = make_user(Role.SECRETARY, commune, full_name="Thư ký Xã")
    provincial = make_user(Role.LEADER, province, full_name="Lãnh đạo Tỉnh")
    session = future_session(commune, host=host, slot_capacity=max(citizens, 1), sites=[(province, None)],
                             kind="periodic", days_ahead=10)
    people, regs = [], []
    for i in range(citizens):
        citizen = make_user(full_name=f"Công Dân {i}")
        set_identity_document(citizen, "cccd", f"00108500{i:04d}")
        regs.append(registrations.register(citizen=citizen, slot_id=session.slots.first().pk,
                                           matter_kind="complaint", matter_summary=SUMMARY))
        people.append(citizen)
    # Open it: the clock jumps to the session's start.
    session_services.open_session(session, host, now=session.starts_at)
    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN
    return {"session": session, "host": host, "officer": officer, "secretary": secretary,
            "provincial": provincial, "citizens": people, "registrations": regs}


async def connect(session, user=None, token=None, application=None, lang=None, headers=None):
    from urllib.parse import urlencode

    from signaling.routing import websocket_urlpatterns

    query = urlencode({k: v for k, v in (("token", token), ("lang", lang)) if v})
    path = f"/ws/sessions/{session.public_id}/" + (f"?{query}" if query else "")
    communicator = WebsocketCommunicator(application or URLRouter(websocket_urlpatterns), path,
                                         headers=headers or [])
    if user is not None:
        communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def hello(ws, **extra):
    await ws.send_json_to({"type": "hello", **extra})
    return await ws.receive_json_from(timeout=5)


def join_token(registration):
    return make_join_token(registration)


refresh = database_sync_to_async(lambda obj: obj.refresh_from_db() or obj)
