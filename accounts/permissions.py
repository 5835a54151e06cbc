"""The one permission module: "may this user do this action on this object?".

Every view, API endpoint, socket action and service asks :func:`can` (or :func:`require`) and nothing
else. Each action maps to a rule; a rule reads the user's role assignments and the object's office.

Scopes (docs/permissions.md has the full matrix):

* leader, reception officer, secretary: their own office only;
* inspector: their office and every office beneath it (a provincial inspector sees its communes, the
  central inspectorate sees all) — view only;
* office administrator: their office and every office beneath it — view and change, grants roles there;
* superuser: everything. Citizens hold no role and see no office's internal records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from accounts.models import Role, RoleAssignment
from offices.models import Office


class Action(StrEnum):
    OFFICE_VIEW = "office.view"  # the office's internal workspace: staff, records, reports
    OFFICE_CHANGE = "office.change"  # edit the office's details, add agencies beneath it
    OFFICE_POST_NOTICE = "office.post_notice"  # post a live notice to the office's staff
    ROLE_GRANT = "role.grant"  # grant or revoke staff roles at the office
    SESSION_MANAGE = "session.manage"  # create, publish, postpone, cancel sessions and plans of the office
    SESSION_HOST = "session.host"  # open a session of the office (its room), run its lobby
    SESSION_CLOSE = "session.close"  # end the reception (obj: the session): its host leader only, as host.end
    SESSION_VIEW = "session.view"  # a session's internal details: registrations, citizens' matters
    ENGAGEMENT_MANAGE = "engagement.manage"  # a leader's calendar of other engagements (obj: the leader)


# Roles whose scope covers the offices beneath their own.
DESCENDANT_SCOPE_ROLES = frozenset({Role.INSPECTOR, Role.OFFICE_ADMIN})
STAFF_ROLES = frozenset(Role)


def _assignments(user) -> list[tuple[str, str]]:
    """(role, office path) pairs of the user, cached on the user object for the request."""
    cached = getattr(user, "_role_paths_cache", None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.filter(user_id=user.pk, office__is_active=True).values_list(
                "role", "office__path"
            )
        )
        user._role_paths_cache = cached
    return cached


def clear_cache(user) -> None:
    if hasattr(user, "_role_paths_cache"):
        del user._role_paths_cache


def has_role_at(user, office: Office, roles: Iterable[str]) -> bool:
    """True if the user holds one of ``roles`` whose scope covers ``office``."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    roles = set(roles)
    for role, path in _assignments(user):
        if role not in roles:
            continue
        if office.path == path or (role in DESCENDANT_SCOPE_ROLES and office.path.startswith(path)):
            return True
    return False


def _office_of(obj) -> Office:
    if isinstance(obj, Office):
        return obj
    for attribute in ("office", "host_office"):
        office = getattr(obj, attribute, None)
        if isinstance(office, Office):
            return office
    raise TypeError(f"no office rule for {type(obj).__name__}")


Rule = Callable[[object, object], bool]

RULES: dict[Action, Rule] = {
    Action.OFFICE_VIEW: lambda user, obj: has_role_at(user, _office_of(obj), STAFF_ROLES),
    Action.OFFICE_CHANGE: lambda user, obj: has_role_at(user, _office_of(obj), {Role.OFFICE_ADMIN}),
    # Notices go to colleagues: only staff holding a role at that very office may post.
    Action.OFFICE_POST_NOTICE: lambda user, obj: _holds_role_at_exactly(user, _office_of(obj)),
    Action.ROLE_GRANT: lambda user, obj: has_role_at(user, _office_of(obj), {Role.OFFICE_ADMIN}),
    Action.SESSION_MANAGE: lambda user, obj: has_role_at(user, _office_of(obj), SESSION_MANAGERS),
    Action.SESSION_HOST: lambda user, obj: has_role_at(user, _office_of(obj), {Role.LEADER, Role.RECEPTION_OFFICER}),
    Action.SESSION_CLOSE: lambda user, obj: _is_session_host(user, obj),
    Action.SESSION_VIEW: lambda user, obj: _may_view_session(user, obj),
    Action.ENGAGEMENT_MANAGE: lambda user, obj: _may_manage_calendar(user, obj),
}

SESSION_MANAGERS = frozenset({Role.LEADER, Role.RECEPTION_OFFICER, Role.OFFICE_ADMIN})
# Actions whose object is an office (or something with an ``office``/``host_office``): usable with offices_for.
OFFICE_ACTIONS = frozenset({Action.OFFICE_VIEW, Action.OFFICE_CHANGE, Action.OFFICE_POST_NOTICE, Action.ROLE_GRANT,
                            Action.SESSION_MANAGE, Action.SESSION_HOST})


def _is_session_host(user, session) -> bool:
    """The session's host leader (lãnh đạo chủ trì) — the room's ``host`` role, the only one that may send
    ``host.end``; the page's "Kết thúc buổi tiếp" follows the same rule."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return getattr(session, "host_id", None) is not None and session.host_id == user.pk


def _may_view_session(user, session) -> bool:
    """Staff of the host office (inspectors above included) and staff of any connected site."""
    if not hasattr(session, "sites") or not isinstance(getattr(session, "host_office", None), Office):
        return False
    if has_role_at(user, session.host_office, STAFF_ROLES):
        return True
    return any(has_role_at(user, site.office, STAFF_ROLES - {Role.INSPECTOR}) for site in session.sites.all())


def _may_manage_calendar(user, leader) -> bool:
    """The leader, or an officer/administrator of an office where the leader holds the leader role."""
    from accounts.models import User

    if not isinstance(leader, User):
        return False
    if getattr(user, "is_authenticated", False) and user.is_active and user.pk == leader.pk:
        return True
    offices = Office.objects.filter(role_assignments__user=leader, role_assignments__role=Role.LEADER)
    return any(has_role_at(user, office, {Role.RECEPTION_OFFICER, Role.OFFICE_ADMIN}) for office in offices)


def _holds_role_at_exactly(user, office: Office) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return any(path == office.path for _, path in _assignments(user))


def can(user, action: Action | str, obj) -> bool:
    action = Action(action)
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return RULES[action](user, obj)


def require(user, action: Action | str, obj) -> None:
    if not can(user, action, obj):
        raise PermissionDenied(f"{action} refused")


def offices_for(user, action: Action | str = Action.OFFICE_VIEW) -> QuerySet[Office]:
    """The offices on which ``user`` may perform ``action`` (for list views and socket groups)."""
    action = Action(action)
    if getattr(user, "is_superuser", False) and user.is_active:
        return Office.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Office.objects.none()
    if action not in OFFICE_ACTIONS:
        raise ValueError(f"{action} is not an action on offices")
    allowed = {
        Action.OFFICE_VIEW: STAFF_ROLES,
        Action.OFFICE_CHANGE: {Role.OFFICE_ADMIN},
        Action.ROLE_GRANT: {Role.OFFICE_ADMIN},
        Action.OFFICE_POST_NOTICE: STAFF_ROLES,
        Action.SESSION_MANAGE: SESSION_MANAGERS,
        Action.SESSION_HOST: {Role.LEADER, Role.RECEPTION_OFFICER},
    }[action]
    condition = Q(pk__in=[])
    for role, path in _assignments(user):
        if role not in allowed:
            continue
        if role in DESCENDANT_SCOPE_ROLES and action != Action.OFFICE_POST_NOTICE:
            condition |= Q(path__startswith=path)
        else:
            condition |= Q(path=path)
    return Office.objects.filter(condition, is_active=True)


def is_staff_member(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and _assignments(user))


# --- The live room ---------------------------------------------------------------------------------------
# Room roles are decided when a person joins a session (signaling.services.room_role_for, from their role
# assignments); this table says which host commands each room role may send. The room state machine
# (signaling.protocol.room) enforces it at the server; clients' own ideas of their role count for nothing.
ROOM_ACTIONS: dict[str, frozenset[str]] = {
    "host.admit": frozenset({"host", "officer"}),
    "host.refuse": frozenset({"host", "officer"}),
    "host.verify_identity": frozenset({"host", "officer"}),
    "host.mute": frozenset({"host", "officer"}),
    "host.ask_unmute": frozenset({"host", "officer"}),
    "host.lock_lobby": frozenset({"host", "officer"}),
    "host.give_floor": frozenset({"host"}),
    "host.take_floor": frozenset({"host"}),
    "host.remove": frozenset({"host"}),
    "host.recording": frozenset({"host"}),
    "host.end": frozenset({"host"}),
}


def room_role_may(room_role: str | None, command: str) -> bool:
    return room_role is not None and room_role in ROOM_ACTIONS.get(command, frozenset())


# --- the denouncer's secret ----------------------------------------------------------------------------


def may_see_denouncer(user, *, office: Office, handler_ids: Iterable[int | None] = (), citizen_id: int | None = None,
                      drafting_office: Office | None = None) -> bool:
    """THE rule for "may see this denouncer" (the identity of a person who denounced, and the content of a
    denunciation; Law on Denunciation 2018, art. 9 and 56). Every place that shows, exports, serves or logs
    such a secret asks this — through ``cases.access.may_see_identity`` (a case) or
    ``minutes.access.may_see_section`` (a minutes section) — and nothing else (docs/secrecy.md):

    * the head (leader role) of ``office``, the office that holds the matter (not a leader above);
    * a handler the head assigned (``handler_ids``);
    * the denouncer themselves (``citizen_id``);
    * while the minutes of the reception are still a draft, its editors (secretary, leader, reception officer
      of ``drafting_office``) — they write what the citizen says in the room.

    Never inspectors or administrators above, other officers, connected sites, and NOT a superuser."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.pk is None:
        return False
    if citizen_id is not None and user.pk == citizen_id:
        return True
    if any(handler_id is not None and handler_id == user.pk for handler_id in handler_ids):
        return True
    if has_role_at(user, office, {Role.LEADER}):
        return True
    if drafting_office is not None:
        return has_role_at(user, drafting_office, {Role.LEADER, Role.RECEPTION_OFFICER, Role.SECRETARY})
    return False
