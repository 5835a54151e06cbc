"""Who may do what with minutes (kept here, not in accounts/permissions.py, which this app does not own).

* edit, finalize, add an addendum, upload the paper scan: the secretary, a leader or a reception officer
  of the session's host office (``has_role_at`` on the host office; inspectors and office administrators
  above watch, they do not write the minutes);
* read the editor payload: any staff of the host office (inspectors and administrators above included);
  staff of another connected site see it without the citizens' identity and content of denunciations;
* confirm a section: only the citizen of that section (their own login), never staff.
"""

from __future__ import annotations

from accounts.models import Role
from accounts.permissions import STAFF_ROLES, has_role_at

EDITOR_ROLES = frozenset({Role.SECRETARY, Role.LEADER, Role.RECEPTION_OFFICER})


def _superuser(user) -> bool:
    return bool(getattr(user, "is_superuser", False) and getattr(user, "is_active", False))


def may_edit(user, session) -> bool:
    return _superuser(user) or has_role_at(user, session.host_office, EDITOR_ROLES)


def may_view(user, session) -> bool:
    return _superuser(user) or has_role_at(user, session.host_office, STAFF_ROLES)


def may_view_redacted(user, session) -> bool:
    """Staff of another connected site: the minutes, with denunciations' identity and content hidden."""
    if may_view(user, session):
        return True
    return any(has_role_at(user, site.office, STAFF_ROLES - {Role.INSPECTOR}) for site in session.sites.all())


def is_section_citizen(user, section) -> bool:
    return (getattr(user, "is_authenticated", False) and user.is_active and section.citizen_id is not None
            and section.citizen_id == user.pk)


def may_see_denunciation(user, section) -> bool:
    """A denunciation's section (the denouncer's identity and the content) in clear: the head (leader) of the
    host office; its editors while the minutes are still a draft (they are writing what is said in the
    room); after locking, the handler of the case opened from it. Everyone else sees a redaction
    (Law on Denunciation 2018, art. 9 and 56; docs/minutes.md, "Secrecy")."""
    session = section.minutes.session
    if _superuser(user) or has_role_at(user, session.host_office, {Role.LEADER}):
        return True
    if section.minutes.state == "draft" and may_edit(user, session):
        return True
    if section.case_public_id:
        from cases.models import Case

        return Case.objects.filter(public_id=section.case_public_id, handler=user).exists() if user.is_authenticated else False
    return False
