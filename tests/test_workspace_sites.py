"""The workspace lists, beside the office's own sessions, the sessions of other offices in which it is a
connected site (điểm cầu), with the way into the room."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.room_helpers import open_room


@pytest.mark.django_db
def test_a_connected_site_sees_the_session_and_its_room(client, office_tree, make_user):
    room = open_room(office_tree, make_user)  # hosted by commune011, the province connected as a site
    session = room["session"]
    client.force_login(room["provincial"], backend="accounts.backends.PhoneOrEmailBackend")
    html = client.get(reverse("frontend:workspace") + f"?office={office_tree['province01'].code}").content.decode()
    assert 'id="site-sessions"' in html and session.title in html
    assert reverse("frontend:room", args=[session.public_id]) in html
    client.force_login(room["host"], backend="accounts.backends.PhoneOrEmailBackend")
    own = client.get(reverse("frontend:workspace")).content.decode()
    assert 'id="site-sessions"' not in own  # the host office sees it among its own sessions
