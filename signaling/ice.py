"""ICE servers for the room's WebRTC connections, with time-limited TURN credentials.

The TURN credentials follow the "TURN REST API" (draft-uberti-behave-turn-rest-00, section 2.1), which
coturn implements under ``use-auth-secret`` / ``static-auth-secret=<TURN_SECRET>``. From coturn's
README.turnserver, section "TURN REST API"::

    temporary-username = "timestamp" + ":" + "username"
    temporary-password = base64_encode(hmac-sha1(shared-secret, temporary-username))

with the timestamp in seconds since 1970 (``time(NULL)``); the draft makes it the *expiration* time, and
coturn (like other servers implementing the scheme, e.g. STUNner's "coturn use-auth-secret" mode) refuses
a username whose timestamp has passed. The server recomputes the password from the username, so nothing
is stored and a leaked credential dies by itself. ``:`` is coturn's default ``rest-api-separator``. The browser receives them as an ``RTCIceServer`` (``urls``, ``username``,
``credential``).

Without STUN/TURN settings the list is empty: media then only flows between host candidates, i.e. on the
same network (docs/protocol.md, "ICE servers").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.conf import settings


def turn_credentials(secret: str, user_identifier: str, expiry: int) -> tuple[str, str]:
    """(username, credential) valid until ``expiry`` (unix seconds) for a coturn sharing ``secret``."""
    username = f"{expiry}:{user_identifier}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers_for(user_identifier: str, now: float | None = None) -> dict:
    """``{"ice_servers": [RTCIceServer, …], "ttl": seconds}`` for one user (``u<user id>``).

    STUN from ``STUN_URLS``; TURN from ``TURN_URLS`` only when ``TURN_SECRET`` is set too, with credentials
    valid for ``TURN_CREDENTIAL_TTL_SECONDS`` from ``now``.
    """
    ttl = int(settings.TURN_CREDENTIAL_TTL_SECONDS)
    servers: list[dict] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        expiry = int(time.time() if now is None else now) + ttl
        username, credential = turn_credentials(settings.TURN_SECRET, user_identifier, expiry)
        servers.append({"urls": list(settings.TURN_URLS), "username": username, "credential": credential,
                        "credentialType": "password"})
    return {"ice_servers": servers, "ttl": ttl}
