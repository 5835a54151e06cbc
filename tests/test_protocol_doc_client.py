"""A client written from docs/protocol.md alone, against a real Daphne: every step is one the document
describes ("Before the socket", "Connecting", the frames, "Errors"), with the document's URLs, headers,
frames and close codes. Only the world before the story (offices, people, a published session, a confirmed
registration) is made with the services. If this test needs the code to be read, the document is wrong.

The story: a citizen who connects before the opening gets ``session_not_open`` (4409) without sending
anything; the status page says when the room opens; the host logs in, learns that writes need
``X-CSRFToken``, connects the provincial site and opens the room; the provincial leader enters with the
site's code; the citizen finds the join token in ``join_url``, waits in the lobby (English messages,
``?lang=en``), is admitted (the event's ``seq`` ≤ its snapshot's), is muted and asked to unmute (nothing
turns on until the citizen says so); the host ends the reception, after which a new socket gets
``session_ended`` (4400)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
import requests
import websockets
from django.utils import timezone

from accounts.models import Role
from accounts.services import set_identity_document
from scheduling.services import registrations
from sessions import services as session_services
from tests.processes import daphne
from tests.test_room_integration import PASSWORD, room_env, use_layer

TIMEOUT = 10


class DocClient:
    """HTTP as the document says: JSON, cookies kept, ``X-CSRFToken`` from the ``csrftoken`` cookie on writes."""

    def __init__(self, base: str):
        self.base, self.http = base, requests.Session()

    def login(self, identifier: str) -> requests.Response:
        return self.http.post(self.base + "/api/auth/login", json={"identifier": identifier, "password": PASSWORD},
                              timeout=TIMEOUT)

    def post(self, path: str, body=None, csrf: bool = True) -> requests.Response:
        headers = {"X-CSRFToken": self.http.cookies.get("csrftoken", "")} if csrf else {}
        return self.http.post(self.base + path, json=body or {}, headers=headers, timeout=TIMEOUT)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, timeout=TIMEOUT)

    async def socket(self, session_id: str, token: str | None = None, lang: str | None = None):
        query = "&".join(f"{k}={v}" for k, v in (("token", token), ("lang", lang)) if v)
        url = self.base.replace("http", "ws", 1) + f"/ws/sessions/{session_id}/" + (f"?{query}" if query else "")
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        headers = {"Origin": self.base, **({"Cookie": cookie} if cookie else {})}  # "Origin check"
        return await websockets.connect(url, additional_headers=headers, open_timeout=TIMEOUT)


async def frame(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def until(ws, kind: str, **match) -> dict:
    """Read frames until one of ``kind`` (with the given fields); the document says events and replies may
    interleave, so anything else in between is skipped."""
    while True:
        f = await frame(ws)
        if f["type"] == kind and all(f.get(k) == v for k, v in match.items()):
            return f


async def closed_with(ws) -> int:
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    return ws.close_code


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_client_written_from_the_protocol_document(office_tree, make_user, tmp_path, settings):
    commune, province = office_tree["commune011"], office_tree["province01"]
    host = make_user(Role.LEADER, commune, full_name="Chủ tịch Xã")
    provincial = make_user(Role.LEADER, province, full_name="Lãnh đạo Tỉnh")
    citizen = make_user(full_name="Công Dân Tài Liệu")
    set_identity_document(citizen, "cccd", "001085000321")
    starts = (timezone.now() + timedelta(minutes=40)).replace(second=0, microsecond=0)
    session = session_services.create_session(
        by=None, kind="regular", host_office=commune, host=host, title="Tiếp công dân", starts_at=starts,
        ends_at=starts + timedelta(hours=1), slot_minutes=30, slot_capacity=1, adhoc_reason="")
    session = session_services.publish(session, None, reason="Kiểm thử")
    registrations.register(citizen=citizen, slot_id=session.slots.first().pk, matter_kind="complaint",
                           matter_summary="Khiếu nại về bồi thường đất nông nghiệp", ignore_deadline=True)
    sid = str(session.public_id)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])

    with daphne(env, tmp_path / "daphne.log") as base:
        h, p, c = DocClient(base), DocClient(base), DocClient(base)

        # "A citizen's join token": join_url of the confirmed registration; the token is its last segment.
        assert c.login(citizen.username).status_code == 200
        mine = c.get("/api/registrations").json()
        rows = mine["results"] if isinstance(mine, dict) else mine
        join_url = next(r["join_url"] for r in rows if r["session"]["public_id"] == sid)
        assert "/tham-gia/" in join_url
        token = join_url.rstrip("/").rsplit("/", 1)[1]

        # "Waiting for the opening": the status page, in words.
        status = c.get(f"/phong/{sid}/trang-thai/").json()
        assert status["state"] == "waiting" and status["open"] is False and status["poll_seconds"] in (10, 60)
        assert status["message"].startswith("Phòng mở lúc")
        assert c.get(f"/en/phong/{sid}/trang-thai/").json()["message"].startswith("The room opens at")

        # "Logging in" / "CSRF" / "Connecting sites" / "Opening the room".
        login = h.login(host.username)
        assert login.status_code == 200 and {"sessionid", "csrftoken"} <= set(login.cookies.keys())
        refused = h.post(f"/api/sessions/{sid}/open", csrf=False)
        assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
        assert refused.json()["error"]["type"] == "permission_denied"
        assert h.post(f"/api/sessions/{sid}/sites", {"office": province.code, "responsible": None}).status_code == 201

        async def story():
            # "Entry … at once, before you send anything": the room is not open yet.
            early = await c.socket(sid, token=token)
            error = await frame(early)  # nothing sent
            assert error["type"] == "error" and error["code"] == "session_not_open"
            assert await closed_with(early) == 4409

            opened = await asyncio.to_thread(h.post, f"/api/sessions/{sid}/open")
            assert opened.status_code == 200, opened.text
            assert (await asyncio.to_thread(c.get, f"/phong/{sid}/trang-thai/")).json()["open"] is True

            # Staff by login; the greeting carries snapshot, resume_token and connection.
            host_ws = await h.socket(sid)
            await host_ws.send(json.dumps({"v": 1, "type": "hello", "id": 1}))
            welcome = await frame(host_ws)
            assert welcome["type"] == "welcome" and welcome["connection"] == 1 and welcome["resume_token"]
            assert welcome["snapshot"]["participants"][0]["role"] == "host"

            assert (await asyncio.to_thread(p.login, provincial.username)).status_code == 200
            site_ws = await p.socket(sid)
            await site_ws.send(json.dumps({"v": 1, "type": "hello", "id": 1}))
            site_welcome = await frame(site_ws)
            me = next(x for x in site_welcome["snapshot"]["participants"] if x["pid"] == site_welcome["snapshot"]["you"])
            assert me["role"] == "leader" and me["site"] == province.code  # "the site of their office"

            # The citizen with the token, messages in English.
            citizen_ws = await c.socket(sid, token=token, lang="en")
            await citizen_ws.send(json.dumps({"v": 1, "type": "hello", "id": 1}))
            waiting = await frame(citizen_ws)
            assert waiting["type"] == "waiting" and waiting["snapshot"]["position"] == 1 and "connection" in waiting
            pid = waiting["snapshot"]["you"]
            await citizen_ws.send(json.dumps({"v": 1, "type": "chat.send", "id": "c", "text": "Chào", "to": "all"}))
            refusal = await until(citizen_ws, "error")
            assert refusal["code"] == "forbidden" and refusal["reply_to"] == "c"
            assert refusal["message"] == "While waiting you can write to the reception staff only."
            await site_ws.send(json.dumps({"v": 1, "type": "host.admit", "id": "x", "participant": pid}))
            assert (await until(site_ws, "error"))["code"] == "forbidden"  # a leader at a site may not admit

            await until(host_ws, "lobby.updated")
            await host_ws.send(json.dumps({"v": 1, "type": "host.admit", "id": "a1", "participant": pid}))
            admitted = await until(citizen_ws, "admitted")
            assert admitted["seq"] <= admitted["snapshot"]["seq"]  # "Snapshots and seq"
            assert admitted["snapshot"]["status"] == "admitted"

            # Consent: mute, ask; nothing turns on until the citizen's own self.media.
            await host_ws.send(json.dumps({"v": 1, "type": "host.mute", "id": "mu1", "participant": pid,
                                           "kind": "audio"}))
            assert (await until(citizen_ws, "muted"))["kind"] == "audio"
            await host_ws.send(json.dumps({"v": 1, "type": "host.ask_unmute", "id": "un1", "participant": pid}))
            await until(citizen_ws, "unmute_requested")
            view = (await until(host_ws, "participant.updated"))["participant"]
            while not view.get("unmute_requested"):
                view = (await until(host_ws, "participant.updated"))["participant"]
            assert view["audio"] is False and view["muted_by_host"] is True
            await citizen_ws.send(json.dumps({"v": 1, "type": "self.media", "id": 5, "audio": True}))
            ack = await until(citizen_ws, "ack", reply_to=5)
            assert ack["muted_by_host"] is False
            view = (await until(host_ws, "participant.updated"))["participant"]
            while view["pid"] != pid or view["audio"] is not True:
                view = (await until(host_ws, "participant.updated"))["participant"]

            # host.end: session.ended to everyone, sockets closed 4000; a new socket gets session_ended, 4400.
            await host_ws.send(json.dumps({"v": 1, "type": "host.end", "id": "end"}))
            assert (await until(citizen_ws, "session.ended"))["type"] == "session.ended"
            assert await closed_with(citizen_ws) == 4000
            late = await c.socket(sid, token=token, lang="en")
            error = await frame(late)
            assert error["code"] == "session_ended" and error["message"] == "The reception has ended."
            assert await closed_with(late) == 4400
            for ws in (host_ws, site_ws):
                await ws.close()

        asyncio.run(story())
        assert c.get(f"/phong/{sid}/trang-thai/").json()["state"] == "ended"
