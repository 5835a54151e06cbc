"""Who may see an office's oversight figures: inspectors and office administrators of the office or of an
office above it, and leaders of that very office (and superusers). Reception officers and secretaries see
their own cases and sessions elsewhere, not the office's report figures. Built on
``accounts.permissions.offices_for(user, Action.OFFICE_VIEW)``: never wider than what the user may view."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Role, RoleAssignment
from accounts.permissions import Action, offices_for
from offices.models import Office

SCOPE_ROLES = (Role.INSPECTOR, Role.OFFICE_ADMIN)  # their office and everything beneath
OWN_OFFICE_ROLES = (Role.LEADER,)  # their office only


def _roles(user) -> list[tuple[str, str]]:
    return list(RoleAssignment.objects.filter(
        user_id=user.pk, office__is_active=True, role__in=[*SCOPE_ROLES, *OWN_OFFICE_ROLES],
    ).values_list("role", "office__path"))


def overseen_offices(user) -> QuerySet[Office]:
    """Active offices whose figures ``user`` may see."""
    visible = offices_for(user, Action.OFFICE_VIEW)
    if getattr(user, "is_superuser", False) and user.is_active:
        return visible.filter(is_active=True)
    if not getattr(user, "is_authenticated", False):
        return Office.objects.none()
    condition = Q(pk__in=[])
    for role, path in _roles(user):
        condition |= Q(path__startswith=path) if role in SCOPE_ROLES else Q(path=path)
    return visible.filter(condition)


def may_oversee(user, office: Office) -> bool:
    return overseen_offices(user).filter(pk=office.pk).exists()


def home_office(user) -> Office | None:
    """The highest office the user oversees (the dashboard's default)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return Office.objects.filter(parent__isnull=True, is_active=True).order_by("path").first()
    paths = sorted({path for _role, path in _roles(user)}, key=lambda p: (p.count("/"), p))
    for path in paths:
        office = overseen_offices(user).filter(path=path).first()
        if office is not None:
            return office
    return None
