"""Frames a client may send, as pydantic models; ``parse_client_frame`` validates one JSON text.

Every frame is a JSON object ``{"v": 1, "type": ..., "id"?: ..., ...}``. ``id`` is the client's own
reference, echoed as ``reply_to`` in the answer. Unknown fields are refused (``extra="forbid"``), so a
typo is an error, not a silent no-op. ``client_frames_json_schema()`` is the published JSON Schema
(docs/protocol.md, ``GET /api/rooms/protocol.json``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from signaling.protocol import PROTOCOL_VERSION

MAX_FRAME_BYTES = 64 * 1024  # an SDP with many codecs stays well below
MAX_CHAT_CHARS = 2000

ParticipantId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


class RefusalGround(StrEnum):
    """The legal grounds to refuse receiving a citizen (shared/DOMAIN.md)."""

    INTOXICATED_OR_MENTALLY_ILL = "intoxicated_or_mentally_ill"  # say rượu, tâm thần
    THREATS_OR_INSULTS = "threats_or_insults"  # đe dọa, xúc phạm, vi phạm nội quy
    SETTLED_CASE_PROLONGED = "settled_case_prolonged"  # vụ việc đã giải quyết đúng, cố tình kéo dài


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = PROTOCOL_VERSION
    id: Annotated[str, Field(max_length=64)] | Annotated[int, Field(ge=0, le=2**53)] | None = None


class Hello(Frame):
    """First frame after the socket opens: join, or resume with the token from a previous ``welcome``."""

    type: Literal["hello"]
    resume_token: Annotated[str, Field(max_length=128)] | None = None
    last_seq: Annotated[int, Field(ge=0)] | None = None


class Ping(Frame):
    type: Literal["ping"]


class Resync(Frame):
    """Ask for what was missed since ``last_seq`` (or a full snapshot when too much was)."""

    type: Literal["resync"]
    last_seq: Annotated[int, Field(ge=0)]


class ChatSend(Frame):
    type: Literal["chat.send"]
    text: Annotated[str, Field(min_length=1, max_length=MAX_CHAT_CHARS)]
    to: Literal["all", "staff"] | ParticipantId = "all"


class SelfMedia(Frame):
    """A participant turns their own microphone or camera on or off (not above a host's mute)."""

    type: Literal["self.media"]
    audio: bool | None = None
    video: bool | None = None


class Leave(Frame):
    type: Literal["leave"]


class HostAdmit(Frame):
    type: Literal["host.admit"]
    participant: ParticipantId


class HostRefuse(Frame):
    type: Literal["host.refuse"]
    participant: ParticipantId
    ground: RefusalGround
    note: Annotated[str, Field(max_length=500)] = ""


class HostVerifyIdentity(Frame):
    """An officer checks the citizen's ID document number against what the citizen registered."""

    type: Literal["host.verify_identity"]
    participant: ParticipantId
    id_document_number: Annotated[str, Field(min_length=6, max_length=32)]


class HostMute(Frame):
    type: Literal["host.mute"]
    participant: ParticipantId
    kind: Literal["audio", "video"] = "audio"


class HostAskUnmute(Frame):
    """Lift a host mute and ask the participant to turn the microphone on (they decide)."""

    type: Literal["host.ask_unmute"]
    participant: ParticipantId


class HostGiveFloor(Frame):
    type: Literal["host.give_floor"]
    participant: ParticipantId


class HostTakeFloor(Frame):
    type: Literal["host.take_floor"]


class HostRemove(Frame):
    type: Literal["host.remove"]
    participant: ParticipantId
    note: Annotated[str, Field(max_length=500)] = ""


class HostLockLobby(Frame):
    type: Literal["host.lock_lobby"]
    locked: bool


class HostRecording(Frame):
    type: Literal["host.recording"]
    on: bool


class HostEnd(Frame):
    type: Literal["host.end"]


# Which peer connection with the media server a negotiation frame is about: "publish" (the client's own
# camera and microphone, offered by the client) or "sub:<pid>" (another participant's media, offered by the
# server). See docs/media.md.
PeerConnectionId = Annotated[str, Field(pattern=r"^(publish|sub:u[0-9]{1,12})$")]


class RtcOffer(Frame):
    """WebRTC negotiation with the media server (never with another participant)."""

    type: Literal["rtc.offer"]
    pc: PeerConnectionId = "publish"
    sdp: Annotated[str, Field(min_length=1, max_length=60_000)]


class RtcAnswer(Frame):
    type: Literal["rtc.answer"]
    pc: PeerConnectionId = "publish"
    sdp: Annotated[str, Field(min_length=1, max_length=60_000)]


class RtcIce(Frame):
    type: Literal["rtc.ice"]
    pc: PeerConnectionId = "publish"
    candidate: dict[str, Any] | None = None


ClientFrame = Annotated[
    Hello | Ping | Resync | ChatSend | SelfMedia | Leave | HostAdmit | HostRefuse | HostVerifyIdentity | HostMute
    | HostAskUnmute | HostGiveFloor | HostTakeFloor | HostRemove | HostLockLobby | HostRecording | HostEnd
    | RtcOffer | RtcAnswer | RtcIce,
    Field(discriminator="type"),
]
_adapter: TypeAdapter = TypeAdapter(ClientFrame)
KNOWN_TYPES = frozenset(
    model.model_fields["type"].annotation.__args__[0]
    for model in (Hello, Ping, Resync, ChatSend, SelfMedia, Leave, HostAdmit, HostRefuse, HostVerifyIdentity,
                  HostMute, HostAskUnmute, HostGiveFloor, HostTakeFloor, HostRemove, HostLockLobby, HostRecording,
                  HostEnd, RtcOffer, RtcAnswer, RtcIce)
)


class FrameError(ValueError):
    """A frame that cannot be accepted; ``code`` is the typed error sent back, ``message`` a lazy gettext
    string the consumer renders in the client's language."""

    def __init__(self, code: str, message, reply_to=None, details=None):
        super().__init__(message)
        self.code, self.message, self.reply_to, self.details = code, message, reply_to, details


def parse_client_frame(text: str | bytes | None) -> Frame:
    """Validate one frame. Raises ``FrameError`` with code ``frame_too_large``, ``malformed_json``,
    ``invalid_frame``, ``unknown_type`` or ``unsupported_version``."""
    import json

    if text is None:
        raise FrameError("binary_not_supported", _("Chỉ nhận khung tin dạng văn bản."))
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) > MAX_FRAME_BYTES:
        raise FrameError("frame_too_large", format_lazy(_("Mỗi khung tin tối đa {limit} byte."), limit=MAX_FRAME_BYTES))
    if raw.count(b"[") + raw.count(b"{") > 1000:  # no real frame nests like this; refuse before parsing
        raise FrameError("malformed_json", _("Khung tin lồng nhau quá sâu."))
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FrameError("malformed_json", _("Khung tin không phải JSON hợp lệ.")) from exc
    except RecursionError as exc:  # absurdly deep nesting: refuse, never let it reach the consumer
        raise FrameError("malformed_json", _("Khung tin lồng nhau quá sâu.")) from exc
    if not isinstance(data, dict):
        raise FrameError("invalid_frame", _("Khung tin phải là một đối tượng JSON."))
    reply_to = data.get("id") if isinstance(data.get("id"), (str, int)) and not isinstance(data.get("id"), bool) \
        else None
    if isinstance(reply_to, str) and (len(reply_to) > 64 or not _is_unicode_text(reply_to)):
        reply_to = None  # never echo what could not be sent back
    if not _is_unicode_text(data):
        # e.g. "\ud800": a valid JSON escape but no character; or NUL. Neither can be stored or sent on.
        raise FrameError("invalid_frame", _("Chuỗi ký tự phải là văn bản Unicode hợp lệ (không có nửa cặp thay thế, không có NUL)."),
                         reply_to)
    if data.get("v", PROTOCOL_VERSION) != PROTOCOL_VERSION:
        raise FrameError("unsupported_version", format_lazy(_("Máy chủ này dùng giao thức phiên bản {version}."),
                                                            version=PROTOCOL_VERSION), reply_to)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise FrameError("invalid_frame", _("Khung tin cần trường \"type\" là một chuỗi."), reply_to)
    if kind not in KNOWN_TYPES:
        raise FrameError("unknown_type", format_lazy(_("Không có loại khung tin {kind}."), kind=repr(kind[:40])), reply_to)
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"][1:]), "problem": e["type"]} for e in exc.errors()][:10]
        raise FrameError("invalid_frame", format_lazy(_("Khung tin {kind} không hợp lệ."), kind=kind), reply_to,
                         details) from exc


def _is_unicode_text(value, depth: int = 0) -> bool:
    """True when every string (keys included) of a parsed frame encodes as UTF-8 and has no NUL."""
    if isinstance(value, str):
        if "\x00" in value:  # NUL: not storable as PostgreSQL text/jsonb, never meaningful in a frame
            return False
        try:
            value.encode("utf-8")
            return True
        except UnicodeEncodeError:
            return False
    if depth > 64:
        return False
    if isinstance(value, dict):
        return all(_is_unicode_text(k, depth + 1) and _is_unicode_text(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_unicode_text(v, depth + 1) for v in value)
    return True


def client_frames_json_schema() -> dict:
    return _adapter.json_schema()
