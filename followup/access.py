"""Who may plan, report, assign with a reporting deadline and decide on destruction. Viewing a case's plan
follows ``cases.access.may_view`` (the office's staff, inspectors and administrators above, the handler),
plus the responsible of a task for that task. The text of a secret case's tasks follows the denouncer rule
(``cases.access.may_see_summary``): its head and handler, and the person charged with the task."""

from __future__ import annotations

from accounts.models import Role
from accounts.permissions import has_role_at
from cases import access as case_access

WRITER_ROLES = frozenset({Role.LEADER, Role.RECEPTION_OFFICER})


def may_plan(user, case) -> bool:
    """Draw up the plan: the case's writers; of a secret case, only those who may read its content."""
    if case.is_secret:
        return case_access.may_see_summary(user, case) and case_access.may_write(user, case)
    return case_access.may_write(user, case)


def is_responsible(user, task) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if task.responsible_user_id is not None:
        return task.responsible_user_id == user.pk
    return task.responsible_office is not None and has_role_at(user, task.responsible_office, WRITER_ROLES)


def may_report(user, task) -> bool:
    return is_responsible(user, task) or case_access.may_write(user, task.case)


def may_view_task(user, task) -> bool:
    return case_access.may_view(user, task.case) or is_responsible(user, task)


def may_read_task_text(user, task) -> bool:
    case = task.case
    if task.responsible_user_id is not None and task.responsible_user_id == getattr(user, "pk", None):
        return True
    if case.is_secret:
        return case_access.may_see_summary(user, case)
    return may_view_task(user, task)


def may_assign_with_report(user, case) -> bool:
    """Giao xử lý có thời hạn báo cáo: the head (leader) of the case's office."""
    return has_role_at(user, case.office, {Role.LEADER})


def may_decide_destruction(user, case) -> bool:
    return has_role_at(user, case.office, {Role.LEADER})


def letter_offices(user, limit: int = 300) -> list:
    """The offices where ``user`` may register a letter (``cases.access.may_create``), for the letter page."""
    from accounts.permissions import offices_for

    offices = offices_for(user).filter(is_active=True).order_by("path")[:limit]
    return [o for o in offices if case_access.may_create(user, o)]


def destruction_office_ids(user) -> list[int]:
    """The offices whose filed petitions ``user`` decides on: where they are the head (``may_decide_destruction``)."""
    return list(user.role_assignments.filter(role=Role.LEADER).values_list("office_id", flat=True))
