"""Join links for registered citizens: signed, bound to one registration and its current nonce.

The link goes out with the reminders. Cancelling the registration (or, in the live room, refusing or
removing the citizen) rotates the nonce, so an old link stops working. The room checks validity in time
(from the day before the session to its end) when the link is used.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "scheduling.join-link"


def make_join_token(registration) -> str:
    return signing.dumps({"r": str(registration.public_id), "n": registration.join_nonce}, salt=SALT,
                         compress=True)


def read_join_token(token: str, max_age_seconds: int | None = None) -> dict:
    """The payload ``{"r": registration public id, "n": nonce}``; raises ``signing.BadSignature``
    (or ``SignatureExpired``) when tampered with or too old."""
    return signing.loads(token, salt=SALT, max_age=max_age_seconds)


def join_url(registration) -> str:
    path = reverse("frontend:join", kwargs={"token": make_join_token(registration)})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path
