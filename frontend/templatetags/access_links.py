"""Links shown to a role lead to pages it may open (issue 11): the same checks the target views make.

``{% load access_links %}`` then ``{% if s|may_edit_minutes:user %}`` (the minutes editor and the
secretary's console: ``minutes.access.may_edit``, as ``frontend.minutes_views``) and
``{% if s|may_enter_room:user %}`` (the room page for staff: a room role for the session,
``signaling.services.room_role_for``, as the room socket decides).
"""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def may_edit_minutes(session, user) -> bool:
    from minutes import access

    return bool(getattr(user, "is_authenticated", False) and access.may_edit(user, session))


@register.filter
def may_enter_room(session, user) -> bool:
    from signaling.services import room_role_for

    if not getattr(user, "is_authenticated", False):
        return False
    return room_role_for(user, session) is not None
