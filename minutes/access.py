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
from accounts.permissions import STAFF_ROLES, has_role_at, may_see_denouncer

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


def section_is_secret(section) -> bool:
    """The section's citizen is a denouncer: recorded as a denunciation, or its case is or became one
    (``CitizenSection.denouncer_secret``, set once, never cleared)."""
    return bool(section.denouncer_secret or section.kind == "denunciation")


def _section_handlers(section) -> list[int]:
    if not section.case_public_id:
        return []
    from cases.models import Case

    return list(Case.objects.filter(public_id=section.case_public_id).values_list("handler_id", flat=True))


def may_see_section(user, section) -> bool:
    """A secret section (the denouncer's identity and the content) in clear: THE rule
    (``accounts.permissions.may_see_denouncer``) — the head (leader) of the host office, the handler of the
    case opened from it, the citizen themselves, and the minutes' editors only while the minutes are a
    draft (they are writing what is said in the room). Not the secretary after locking, not inspectors above,
    not connected sites, not a superuser (Law on Denunciation 2018, art. 9 and 56; docs/secrecy.md)."""
    session = section.minutes.session
    drafting = session.host_office if section.minutes.state == "draft" else None
    return may_see_denouncer(user, office=session.host_office, handler_ids=_section_handlers(section),
                             citizen_id=section.citizen_id, drafting_office=drafting)


def may_see_denunciation(user, section) -> bool:
    """A section in clear: every viewer for an ordinary section, the rule for a secret one."""
    return not section_is_secret(section) or may_see_section(user, section)


def minutes_is_secret(minutes) -> bool:
    return any(section_is_secret(s) for s in minutes.sections.all())


def may_see_free_text(user, minutes) -> bool:
    """The minutes' free text outside the sections (``notes``, addenda, revisions of the header) may tell a
    denunciation: when the minutes hold a secret section, only those who may see EVERY secret section of
    them read it (in practice the head of the host office; the editors while a draft)."""
    secret = [s for s in minutes.sections.select_related("minutes__session__host_office") if section_is_secret(s)]
    return all(may_see_section(user, s) for s in secret)
