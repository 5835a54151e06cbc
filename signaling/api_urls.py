"""``/api/rooms/``: what a live-room client fetches over HTTP (the room itself is the WebSocket
``/ws/sessions/<public_id>/``, docs/protocol.md)."""

from django.urls import path

from signaling import api

urlpatterns = [
    path("ice-servers", api.IceServersView.as_view(), name="api-room-ice-servers"),
    path("protocol.json", api.ProtocolView.as_view(), name="api-room-protocol"),
]
