from django.urls import path

from signaling.consumers import EventStreamConsumer
from signaling.room_consumer import RoomConsumer

websocket_urlpatterns = [
    path("ws/events/", EventStreamConsumer.as_asgi()),
    path("ws/sessions/<str:session>/", RoomConsumer.as_asgi()),
]
