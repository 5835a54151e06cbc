"""The one ASGI application, served by Daphne: HTTP through Django, WebSockets through Channels."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application

from core.asgi import BoundedASGIHandler  # noqa: E402

django_asgi_app = BoundedASGIHandler()  # Django's handler, HTTP_MAX_CONCURRENT_REQUESTS at once

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from notifications.sms import refuse_console_in_production  # noqa: E402
from signaling.routing import websocket_urlpatterns  # noqa: E402

refuse_console_in_production()  # no production server with an SMS backend that sends nothing

router = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


async def application(scope, receive, send):
    """The router; on the embedded default (``MEDIA_EMBEDDED``, no Redis) its first call also starts the
    in-process media worker (docs/media.md, "Processes")."""
    if settings.MEDIA_EMBEDDED:
        from media.worker import start_embedded

        start_embedded()
    return await router(scope, receive, send)
