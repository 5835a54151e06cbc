"""The site's navigation, by role: ``{% site_nav as nav %}`` in frontend/templates/frontend/base.html.

Citizens (signed in, no staff role) get their own pages; staff get the workspace and the case inbox, and
inspectors, office administrators and leaders the oversight dashboard. Everyone gets the public pages.
Roles are read from the user's role assignments (active offices), the same facts accounts.permissions reads.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

register = template.Library()

OVERSIGHT_ROLES = frozenset({"inspector", "office_admin", "leader"})


def _roles(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_site_nav_roles", None)
    if cached is None:
        from accounts.models import RoleAssignment

        cached = set(RoleAssignment.objects.filter(user_id=user.pk, office__is_active=True)
                     .values_list("role", flat=True))
        if user.is_superuser:
            cached.add("superuser")
        user._site_nav_roles = cached
    return cached


def _oversees(user) -> bool:
    """The dashboard's own check (``oversight.access.home_office``): the link shows only if it opens."""
    cached = getattr(user, "_site_nav_oversees", None)
    if cached is None:
        from oversight.access import home_office

        cached = user._site_nav_oversees = home_office(user) is not None
    return cached


@register.simple_tag(takes_context=True)
def site_nav(context) -> dict:
    """``{"groups": [(heading, [link, …]), …], "signed_in": bool, "staff": bool}``; a link is a dict with
    ``url``, ``label``, ``current`` (the page being shown is it or beneath it)."""
    request = context.get("request")
    user = context.get("user")
    path = getattr(request, "path", "") or ""
    roles = _roles(user)
    staff = bool(roles)

    def link(name: str, label: str) -> dict:
        url = reverse(f"frontend:{name}")
        return {"url": url, "label": label, "name": name, "current": False}

    public = [link("schedule", _("Lịch tiếp công dân")), link("offices", _("Cơ quan tiếp công dân"))]
    groups = []
    inbox = None
    if getattr(user, "is_authenticated", False):
        from notifications.services import unread_count

        # The notification inbox, with its unread count as a badge (notifications app, issue 16).
        inbox = {"url": reverse("notifications:inbox"), "label": _("Thông báo"), "name": "notifications",
                 "current": False, "badge": unread_count(user)}
    if getattr(user, "is_authenticated", False) and not staff:
        groups.append((_("Của tôi"), [link("my-registrations", _("Đăng ký của tôi")),
                                      link("my-cases", _("Vụ việc của tôi")), inbox]))
    if staff:
        work = [link("workspace", _("Lịch làm việc")), inbox, link("case-inbox", _("Sổ vụ việc")),
                link("reception-log", _("Sổ tiếp công dân"))]  # every staff role may export its offices' log
        work.append(link("reports", _("Báo cáo")))  # its offices' reports (reports.services.visible_reports)
        if roles & (OVERSIGHT_ROLES | {"superuser"}) and _oversees(user):
            work.append(link("oversight", _("Giám sát")))
        groups.append((_("Làm việc"), work))
    groups.append((_("Thông tin công khai"), public + [
        link("rules", _("Nội quy tiếp công dân")), link("public-results", _("Kết quả giải quyết"))]))
    # The page being shown is marked on the link with the longest URL it lies beneath.
    matches = [item for _heading, items in groups for item in items if path.startswith(item["url"])]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["current"] = True
    return {"groups": groups, "staff": staff, "unread": inbox["badge"] if inbox else 0}


@register.simple_tag(takes_context=True)
def may_change_office(context, office) -> bool:
    """``{% may_change_office office as flag %}``: the office administrator's links (contact details)."""
    from accounts.permissions import Action, can

    return bool(office) and can(context.get("user"), Action.OFFICE_CHANGE, office)
