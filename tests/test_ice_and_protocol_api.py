"""ICE servers with time-limited TURN credentials (coturn ``use-auth-secret``), the protocol description
endpoint, and docs/protocol.md kept in step with the code."""

import base64
import hashlib
import hmac
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from accounts.permissions import ROOM_ACTIONS
from scheduling.links import make_join_token
from scheduling.services import registrations
from signaling import room_consumer
from signaling.api import SERVER_FRAME_TYPES
from signaling.ice import ice_servers_for, turn_credentials
from signaling.protocol.frames import KNOWN_TYPES
from tests.scheduling_helpers import future_session

ROOT = Path(django_settings.BASE_DIR)
DOC = ROOT / "docs" / "protocol.md"
ICE_URL = "/api/rooms/ice-servers"
PROTOCOL_URL = "/api/rooms/protocol.json"
NOW = 1_700_000_000
# printf '%s' '1700003600:u42' | openssl dgst -sha1 -hmac north -binary | base64
KNOWN_VECTOR = ("north", "1700003600:u42", "HFuRECKsIqwFdRBAInQwofN8QOw=")


@pytest.fixture
def turn(settings):
    settings.STUN_URLS = ["stun:stun.example.vn:3478"]
    settings.TURN_URLS = ["turn:turn.example.vn:3478?transport=udp", "turns:turn.example.vn:5349?transport=tcp"]
    settings.TURN_SECRET = "north"
    settings.TURN_CREDENTIAL_TTL_SECONDS = 3600
    return settings


# --- Credentials ------------------------------------------------------------------------------------------

def test_turn_credentials_follow_the_turn_rest_api(turn):
    config = ice_servers_for("u42", now=NOW + 0.9)
    assert config["ttl"] == 3600
    stun, relay = config["ice_servers"]
    assert stun == {"urls": ["stun:stun.example.vn:3478"]}
    assert relay["urls"] == turn.TURN_URLS and relay["credentialType"] == "password"
    expiry, user = relay["username"].split(":")
    assert (int(expiry), user) == (NOW + 3600, "u42")
    secret, username, expected = KNOWN_VECTOR
    assert relay["username"] == username and relay["credential"] == expected
    independent = base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()
    assert relay["credential"] == independent
    assert turn_credentials("other-secret", "u42", NOW + 3600)[1] != expected


def test_nothing_configured_means_no_ice_servers(settings):
    settings.STUN_URLS, settings.TURN_URLS, settings.TURN_SECRET = [], [], ""
    assert ice_servers_for("u1", now=NOW)["ice_servers"] == []
    # TURN without a secret cannot authenticate anyone: it is left out, STUN stays.
    settings.STUN_URLS, settings.TURN_URLS = ["stun:stun.example.vn"], ["turn:turn.example.vn"]
    assert ice_servers_for("u1", now=NOW)["ice_servers"] == [{"urls": ["stun:stun.example.vn"]}]


# --- The endpoint -----------------------------------------------------------------------------------------

@pytest.fixture
def registration(office_tree, make_user):
    session = future_session(office_tree["commune011"], slot_capacity=2)
    citizen = make_user(full_name="Công Dân Thử")
    return registrations.register(citizen=citizen, slot_id=session.slots.first().pk, matter_kind="complaint",
                                  matter_summary="Khiếu nại về đất đai")


def test_ice_servers_need_a_login_or_a_join_link(turn, make_user, registration):
    client = APIClient()
    response = client.get(ICE_URL)
    assert response.status_code == 403  # SessionAuthentication: no WWW-Authenticate, so 403
    assert response.json()["error"]["type"] == "not_authenticated"

    user = make_user()
    client.force_authenticate(user)
    response = client.get(ICE_URL)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    relay = response.json()["ice_servers"][1]
    assert relay["username"].endswith(f":u{user.pk}")
    assert int(relay["username"].split(":")[0]) > NOW

    token = make_join_token(registration)
    response = APIClient().get(ICE_URL, {"token": token})
    assert response.status_code == 200
    assert response.json()["ice_servers"][1]["username"].endswith(f":u{registration.citizen_id}")


def test_tampered_or_used_up_join_links_are_refused(turn, registration):
    token = make_join_token(registration)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = APIClient().get(ICE_URL, {"token": tampered})
    assert response.status_code == 403  # SessionAuthentication: no WWW-Authenticate, so 403
    assert response.json()["error"]["type"] == "link_invalid"

    registrations.cancel(registration, by=registration.citizen, reason="Bận việc")  # rotates the nonce
    response = APIClient().get(ICE_URL, {"token": token})
    assert response.status_code == 403  # SessionAuthentication: no WWW-Authenticate, so 403
    assert response.json()["error"]["type"] == "link_invalid"


# --- protocol.json ----------------------------------------------------------------------------------------

def test_protocol_json_is_a_json_schema_of_every_client_frame(db):
    import jsonschema

    response = APIClient().get(PROTOCOL_URL)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    schema = body["client_frames"]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["discriminator"]["mapping"]) == set(KNOWN_TYPES)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"v": 1, "type": "hello", "resume_token": "abc", "last_seq": 3})
    assert validator.is_valid({"type": "host.refuse", "participant": "u7", "ground": "threats_or_insults"})
    assert not validator.is_valid({"type": "host.refuse", "participant": "u7", "ground": "bored"})
    assert not validator.is_valid({"type": "chat.send", "text": "x", "colour": "red"})
    assert set(body["server_frame_types"]) == set(SERVER_FRAME_TYPES)


def _source(*parts) -> str:
    return (ROOT.joinpath(*parts)).read_text(encoding="utf-8")


def test_server_frame_list_matches_the_code():
    """Every ``"type": "…"`` the room code emits is listed (channel-layer and ASGI message types aside)."""
    emitted = set()
    for path in (("signaling", "protocol", "room.py"), ("signaling", "services.py"), ("signaling", "room_consumer.py"),
                 ("media", "worker.py")):
        emitted |= set(re.findall(r'"type": "([a-z_.]+)"', _source(*path)))
    assert emitted - {"room.frame", "room.frames", "media.signal", "websocket.close"} == set(SERVER_FRAME_TYPES)


# --- docs/protocol.md cannot fall behind ------------------------------------------------------------------

def error_codes() -> set[str]:
    codes = set(re.findall(r'FrameError\("([a-z_]+)"', _source("signaling", "protocol", "frames.py")))
    codes |= set(re.findall(r'RoomError\("([a-z_]+)"', _source("signaling", "protocol", "room.py")))
    codes |= set(re.findall(r'EntryError\(.*?, "([a-z_]+)"\)', _source("signaling", "services.py")))
    codes |= set(re.findall(r'(?:send_error|fail)\("([a-z_]+)"', _source("signaling", "room_consumer.py")))
    return codes


def test_protocol_doc_mentions_every_frame_command_and_error():
    doc = DOC.read_text(encoding="utf-8")
    mentioned = set(re.findall(r"`([a-z_.]+)`", doc))
    assert not set(KNOWN_TYPES) - mentioned, "client frames missing from docs/protocol.md"
    assert not set(ROOM_ACTIONS) - mentioned, "host commands missing from docs/protocol.md"
    assert not set(SERVER_FRAME_TYPES) - mentioned, "server frames missing from docs/protocol.md"
    codes = error_codes()
    assert {"frame_too_large", "not_in_room", "link_invalid", "rate_limited", "hello_timeout"} <= codes
    assert not codes - mentioned, "error codes missing from docs/protocol.md"
    for code in set(room_consumer.CLOSE_CODES.values()) | {4000, 4400}:
        assert str(code) in doc
    # The permission table is ROOM_ACTIONS, cell for cell.
    lines = doc.splitlines()
    header = next(line for line in lines if line.startswith("| command | host |"))
    roles = [cell.strip() for cell in header.strip("|").split("|")][1:]
    assert set(roles) == {"host", "leader", "officer", "secretary", "inspector", "citizen"}
    for command, allowed in ROOM_ACTIONS.items():
        row = next((line for line in lines if line.startswith(f"| `{command}` |")), None)
        assert row is not None, f"no permission row for {command}"
        cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
        assert {role for role, cell in zip(roles, cells, strict=True) if cell == "✓"} == set(allowed), command
    assert "sequenceDiagram" in doc


def test_protocol_doc_examples_are_valid_frames():
    """Every JSON example of a client frame parses as the server parses it; every other example is a known
    server frame."""
    import json

    from signaling.protocol.frames import parse_client_frame

    blocks = re.findall(r"```json\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)
    seen = set()
    for block in blocks:
        frame = json.loads(block)
        if "type" not in frame:
            continue  # the snapshot example
        if frame["type"] in KNOWN_TYPES:
            parse_client_frame(block)
        else:
            assert frame["type"] in SERVER_FRAME_TYPES and frame["v"] == 1
        seen.add(frame["type"])
    assert set(KNOWN_TYPES) <= seen, f"no example for {set(KNOWN_TYPES) - seen}"
