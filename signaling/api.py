"""Room API (mounted at ``/api/rooms/``): the ICE servers a room client needs, and the room protocol's
machine-readable description. The protocol itself is docs/protocol.md.

* ``GET /api/rooms/ice-servers`` — STUN/TURN for ``RTCPeerConnection``, with time-limited TURN credentials
  (``signaling.ice``). For a logged-in user, or a citizen holding a valid join link (``?token=``).
* ``GET /api/rooms/protocol.json`` — the JSON Schema of every client frame and the list of server frames.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from scheduling.models import Registration, RegistrationStatus
from sessions.models import LIVE_STATUSES
from sessions.serializers import ApiErrorSerializer
from signaling.ice import ice_servers_for
from signaling.protocol import PROTOCOL_VERSION
from signaling.protocol.frames import client_frames_json_schema

TAGS = ["rooms"]
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Every frame type the server sends on the room socket (docs/protocol.md, "Server → client frames").
SERVER_FRAME_TYPES = (
    "welcome", "waiting", "lobby.position", "lobby.updated", "identity.checked", "admitted", "refused",
    "removed", "participant.joined", "participant.updated", "participant.left", "room.updated", "chat",
    "muted", "unmute_requested", "session.ended", "ack", "pong", "resynced", "snapshot", "error",
    # from the media worker (media/worker.py), through the participant's socket
    "media.ready", "rtc.offer", "rtc.answer", "rtc.closed",
)


def citizen_for_join_token(token: str):
    """The citizen a join link belongs to, if the link is still good: signature and age
    (JOIN_LINK_MAX_AGE_SECONDS), the registration's current nonce (rotated on cancellation, refusal or
    removal), a confirmed/attended registration, and a session that still happens."""
    from scheduling.links import read_join_token

    try:
        payload = read_join_token(token, max_age_seconds=settings.JOIN_LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise exceptions.AuthenticationFailed(_("Liên kết tham gia đã hết hạn."), "link_expired") from exc
    except signing.BadSignature as exc:
        raise exceptions.AuthenticationFailed(_("Liên kết tham gia không hợp lệ."), "link_invalid") from exc
    registration = (Registration.objects.select_related("citizen", "session")
                    .filter(public_id=payload.get("r") if isinstance(payload, dict) else None).first())
    if (registration is None or registration.join_nonce != payload.get("n")
            or registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED)
            or registration.session.status not in LIVE_STATUSES or not registration.citizen.is_active):
        raise exceptions.AuthenticationFailed(_("Liên kết tham gia không còn hiệu lực."), "link_invalid")
    return registration.citizen


class LoginOrJoinToken(BasePermission):
    """A logged-in user, or (``?token=``) the citizen of a valid join link; the token wins when both are
    given, as on the room socket. Sets ``request.ice_user``."""

    def has_permission(self, request, view) -> bool:
        token = request.query_params.get("token")
        if token:
            request.ice_user = citizen_for_join_token(token)
            return True
        request.ice_user = request.user
        return bool(request.user and request.user.is_authenticated)


# --- Response shapes (OpenAPI) ----------------------------------------------------------------------------

class IceServerSerializer(serializers.Serializer):
    """One ``RTCIceServer``: STUN has ``urls`` only; TURN also ``username``/``credential``."""

    urls = serializers.ListField(child=serializers.CharField(), help_text="stun:… / turn:… / turns:… URLs")
    username = serializers.CharField(required=False, help_text="TURN only: '<expiry unix time>:u<user id>'")
    credential = serializers.CharField(required=False, help_text="TURN only: base64(HMAC-SHA1(secret, username))")
    credentialType = serializers.ChoiceField(choices=["password"], required=False)  # the WebRTC key name


class IceConfigSerializer(serializers.Serializer):
    ice_servers = IceServerSerializer(many=True, help_text="Pass as RTCPeerConnection({iceServers}); may be empty")
    ttl = serializers.IntegerField(help_text="Seconds the TURN credentials stay valid; fetch again before then")


class RoomProtocolSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    client_frames = serializers.JSONField(help_text="JSON Schema (draft 2020-12) of every client→server frame")
    server_frame_types = serializers.ListField(child=serializers.CharField())


# --- Views ------------------------------------------------------------------------------------------------

class IceServersView(APIView):
    permission_classes = [LoginOrJoinToken]

    @extend_schema(
        tags=TAGS, responses={200: IceConfigSerializer, 403: ApiErrorSerializer},
        summary="ICE servers for the room (STUN, and TURN with time-limited credentials)",
        description="Login required, or a citizen's join link token in `?token=`. Errors: `not_authenticated`, "
                    "`link_invalid`, `link_expired` (403). Never cached: the credentials expire after `ttl`.",
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                                     description="Join link token (the last path segment of the join link)")],
    )
    def get(self, request):
        response = Response(ice_servers_for(f"u{request.ice_user.pk}"))
        response["Cache-Control"] = "no-store"
        return response


class ProtocolView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(tags=TAGS, responses={200: RoomProtocolSerializer},
                   summary="The room protocol: JSON Schema of client frames, list of server frame types")
    def get(self, request):
        schema = {"$schema": JSON_SCHEMA_DIALECT, **client_frames_json_schema()}
        return Response({"version": PROTOCOL_VERSION, "client_frames": schema,
                         "server_frame_types": list(SERVER_FRAME_TYPES)})
