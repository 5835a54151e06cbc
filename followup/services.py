"""Every write of the follow-up of cases (issue 16). Each runs in ``transaction.atomic()``, locks the case
row where the case's state matters, checks the permission (``followup.access``) and records an audit entry
``followup.<verb>`` (ids, dates, document numbers; never an identity, a denunciation's content or a task's
text). Notifications go through ``notifications.services.notify`` (idempotent by ``dedupe_key``) and carry
the case number, dates and the office only.

``by=None`` is the system (the daily check).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, RoleAssignment, User
from audit.services import record
from cases import access as case_access
from cases import services as case_services
from cases.models import Case, CaseSource
from cases.workflow import CaseState
from core.errors import DomainError
from followup import access
from followup.models import (
    FORWARDED_SOURCES,
    CaseTask,
    DestructionDecision,
    DialogueLink,
    ExecutionOutcome,
    ExecutionRecord,
    IncomingLetter,
    LetterSource,
    TaskPurpose,
    TaskReport,
    TaskState,
    TransferFollowUp,
)
from offices.models import Office

logger = logging.getLogger(__name__)

SCAN_TYPES = {"application/pdf": b"%PDF", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG"}
MAX_TEXT = 5000


class FollowupError(DomainError):
    pass


def _today(today: date | None = None) -> date:
    return today or timezone.localdate()


def _require(ok: bool, message: str | None = None) -> None:
    if not ok:
        raise FollowupError(message or _("Bạn không có quyền thực hiện thao tác này."), "forbidden")


def _text(value, field: str, max_length: int = MAX_TEXT, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or "\x00" in value:
        raise FollowupError(_("Giá trị không hợp lệ."), "invalid", field)
    value = value.strip()
    if required and not value:
        raise FollowupError(_("Trường này là bắt buộc."), "required", field)
    if len(value) > max_length:
        raise FollowupError(_("Quá dài (tối đa %(n)s ký tự).") % {"n": max_length}, "max_length", field)
    return value


def _date(value, field: str, required: bool = True) -> date | None:
    if value is None or value == "":
        if required:
            raise FollowupError(_("Trường này là bắt buộc."), "required", field)
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise FollowupError(_("Ngày không hợp lệ."), "invalid", field) from None
    if not isinstance(value, date):
        raise FollowupError(_("Ngày không hợp lệ."), "invalid", field)
    return value


def _lock(case: Case) -> Case:
    locked = Case.objects.select_for_update(of=("self",)).select_related("office", "handler").filter(
        pk=case.pk).first()
    if locked is None:
        raise FollowupError(_("Không tìm thấy vụ việc."), "not_found")
    return locked


def _audit(by, verb: str, case: Case, request=None, **details) -> None:
    record(actor=by, action=f"followup.{verb}", obj=case, request=request,
           details={"case": str(case.public_id), "number": case.number, **details})


def users_with_role(office: Office | None, roles) -> list:
    if office is None:
        return []
    ids = (RoleAssignment.objects.filter(office=office, role__in=list(roles), user__is_active=True)
           .values_list("user_id", flat=True).distinct())
    return list(User.objects.filter(pk__in=list(ids)).order_by("pk"))


def _notify(users, kind: str, title: str, body: str, key: str, case: Case) -> int:
    from notifications.services import notify

    sent = 0
    for user in {u.pk: u for u in users if u is not None}.values():
        _n, created = notify(user, kind, title, body, f"{key}:{user.pk}", case=case)
        sent += created
    return sent


def validate_scan(content: bytes, content_type: str) -> None:
    """A scan of a letter: PDF, JPEG or PNG (declared type AND first bytes), not empty, ≤ 20 MB."""
    if not isinstance(content, bytes | bytearray) or not content:
        raise FollowupError(_("Tệp rỗng hoặc không hợp lệ."), "invalid", "scan")
    if len(content) > case_services.MAX_DOCUMENT_BYTES:
        raise FollowupError(_("Tệp quá lớn (tối đa 20 MB)."), "too_large", "scan")
    magic = SCAN_TYPES.get(content_type or "")
    if magic is None or not bytes(content[:8]).startswith(magic):
        raise FollowupError(_("Chỉ nhận tệp PDF, JPEG hoặc PNG."), "invalid_type", "scan")


# --- 2. letters from every source -------------------------------------------------------------------------


@transaction.atomic
def register_letter(*, by, office: Office, source: str, kind: str, summary: str, parties=None,
                    field: str = "other", people_count: int = 1, sender_body: str = "", their_number: str = "",
                    their_date=None, received_on=None, scan: dict | None = None, request=None,
                    today: date | None = None) -> Case:
    """Vào sổ a petition received by post, at the office, or forwarded by an upper body, the deputies, the
    press or another agency: a case of ``office`` (state ``received``, the same workflow as every case), its
    ``IncomingLetter`` and the scan (``{"content", "name", "content_type"}``), stored like every case file
    (encrypted at rest when the case is secret)."""
    if by is not None:
        _require(case_access.may_create(by, office))
    if source not in LetterSource.values:
        raise FollowupError(_("Nguồn đơn không hợp lệ."), "invalid_choice", "source")
    sender_body = _text(sender_body, "sender_body", 255, required=source in FORWARDED_SOURCES)
    their_number = _text(their_number, "their_number", 64)
    their_date = _date(their_date, "their_date", required=False)
    received_on = _date(received_on, "received_on", required=False) or _today(today)
    if received_on > _today(today):
        raise FollowupError(_("Ngày nhận không được sau hôm nay."), "in_future", "received_on")
    if their_date is not None and their_date > received_on:
        raise FollowupError(_("Ngày văn bản của nơi gửi không được sau ngày nhận."), "invalid_range", "their_date")
    if scan is not None:
        validate_scan(scan.get("content"), scan.get("content_type", ""))
    case = case_services.create_case(
        by=by, office=office, kind=kind, summary=summary, field=field, people_count=people_count,
        source=CaseSource.PAPER, parties=parties, received_on=received_on, request=request, today=today)
    letter = IncomingLetter.objects.create(case=case, source=source, sender_body=sender_body,
                                           their_number=their_number, their_date=their_date, created_by=by)
    if scan is not None:  # part of registering (the secretary registers but does not write cases): by the system
        case_services.add_document(case, None, content=bytes(scan["content"]), name=scan.get("name", ""),
                                   content_type=scan.get("content_type", ""), request=request)
    _audit(by, "register_letter", case, request, source=source, their_number=their_number,
           their_date=their_date.isoformat() if their_date else None, scan=scan is not None, letter=letter.pk)
    return case


def transfer_outside(case: Case, by, *, body: str, document_number: str, note: str = "", request=None) -> Case:
    """Chuyển đơn to a body that is not on the platform: the case becomes ``transferred`` (cases service) and
    the transfer letter is produced on demand (``followup.letters``)."""
    with transaction.atomic():
        case = case_services.transfer_outside(case, by, body=body, document_number=document_number, note=note,
                                              request=request)
        _audit(by, "transfer_outside", case, request, document_number=case.transfer_document_number)
    return case


# --- 4. assignment plans ------------------------------------------------------------------------------------


def _clean_responsible(case: Case, responsible_user, responsible_office, responsible_text: str, purpose: str):
    responsible_text = _text(responsible_text, "responsible_text", 255)
    if responsible_office is not None and (not isinstance(responsible_office, Office)
                                           or not responsible_office.is_active):
        raise FollowupError(_("Đơn vị không hợp lệ."), "invalid", "responsible_office")
    if responsible_user is not None:
        if not isinstance(responsible_user, User) or not responsible_user.is_active:
            raise FollowupError(_("Người chịu trách nhiệm không hợp lệ."), "invalid", "responsible_user")
        office = responsible_office or case.office
        if not case_access.may_handle(responsible_user, office):
            raise FollowupError(_("Người chịu trách nhiệm phải là lãnh đạo hoặc cán bộ của đơn vị được giao."),
                                "invalid_responsible", "responsible_user")
    if responsible_user is None and responsible_office is None and not responsible_text:
        raise FollowupError(_("Nêu rõ đơn vị hoặc người chịu trách nhiệm."), "required", "responsible_office")
    if responsible_text and purpose == TaskPurpose.PLAN and responsible_user is None and responsible_office is None:
        raise FollowupError(_("Nhiệm vụ trong kế hoạch giao cho một đơn vị hoặc người trên hệ thống."),
                            "required", "responsible_office")
    if case.is_secret and responsible_office is not None and responsible_office.pk != case.office_id:
        # whoever works on it would learn a denunciation's content: the head keeps it in the office
        raise FollowupError(_("Vụ việc tố cáo chỉ giao trong nội bộ cơ quan (bảo mật người tố cáo)."),
                            "secret_case", "responsible_office")
    return responsible_user, responsible_office, responsible_text


@transaction.atomic
def add_task(case: Case, by, *, content: str, deadline, expected_result: str = "", responsible_user=None,
             responsible_office=None, responsible_text: str = "", purpose: str = TaskPurpose.PLAN, request=None,
             today: date | None = None) -> CaseTask:
    """A line of the plan (rõ nội dung, thời gian, trách nhiệm, kết quả) on an open case, or of the execution
    follow-up on a concluded one. Of a secret case only its head or handler plans (they see its content)."""
    case = _lock(case)
    if by is not None:
        _require(access.may_plan(by, case))
    if purpose not in TaskPurpose.values:
        raise FollowupError(_("Loại nhiệm vụ không hợp lệ."), "invalid_choice", "purpose")
    if purpose == TaskPurpose.PLAN and not case.is_open:
        raise FollowupError(_("Vụ việc đã kết thúc: không lập thêm kế hoạch."), "final_state", "content")
    if purpose == TaskPurpose.EXECUTION:
        if case.state != CaseState.CONCLUDED:
            raise FollowupError(_("Chỉ theo dõi thi hành khi đã có kết luận, quyết định giải quyết."),
                                "not_concluded", "content")
        if ExecutionRecord.objects.filter(case=case).exists():
            raise FollowupError(_("Việc theo dõi thi hành đã kết thúc."), "execution_closed", "content")
    content = _text(content, "content", required=True)
    expected_result = _text(expected_result, "expected_result")
    deadline = _date(deadline, "deadline")
    if deadline < _today(today):
        raise FollowupError(_("Thời hạn không được trước hôm nay."), "in_past", "deadline")
    responsible_user, responsible_office, responsible_text = _clean_responsible(
        case, responsible_user, responsible_office, responsible_text, purpose)
    task = CaseTask.objects.create(case=case, purpose=purpose, content=content, deadline=deadline,
                                   expected_result=expected_result, responsible_user=responsible_user,
                                   responsible_office=responsible_office, responsible_text=responsible_text,
                                   created_by=by)
    _audit(by, "add_task", case, request, task=task.pk, purpose=purpose, deadline=deadline.isoformat(),
           responsible_user=getattr(responsible_user, "pk", None),
           responsible_office=getattr(responsible_office, "code", None))
    recipients = [responsible_user] if responsible_user else users_with_role(
        responsible_office, {Role.LEADER, Role.RECEPTION_OFFICER})
    _notify(recipients, "task.assigned", _("Nhiệm vụ mới của vụ việc %(n)s") % {"n": case.number},
            _("Vụ việc %(n)s (%(o)s): một nhiệm vụ được giao, thời hạn %(d)s.")
            % {"n": case.number, "o": case.office.name, "d": deadline.strftime("%d/%m/%Y")},
            f"task:{task.pk}:assigned", case)
    return task


@transaction.atomic
def report_task(task: CaseTask, by, *, text: str, outcome: str = TaskState.OPEN, request=None) -> TaskReport:
    """A progress report (báo cáo tiến độ) by the responsible (person or office) or by the case's writers;
    ``outcome`` done / not done closes the task."""
    task = CaseTask.objects.select_for_update(of=("self",)).select_related("case__office").get(pk=task.pk)
    case = task.case
    if by is not None:
        _require(access.may_report(by, task))
    if task.state != TaskState.OPEN:
        raise FollowupError(_("Nhiệm vụ đã kết thúc."), "task_closed", "text")
    if outcome not in TaskState.values:
        raise FollowupError(_("Kết quả không hợp lệ."), "invalid_choice", "outcome")
    text = _text(text, "text", required=True)
    report = TaskReport.objects.create(task=task, text=text, outcome=outcome, by=by)
    if outcome != TaskState.OPEN:
        task.state, task.closed_at = outcome, timezone.now()
        task.save(update_fields=["state", "closed_at"])
    _audit(by, "report_task", case, request, task=task.pk, outcome=outcome, report=report.pk)
    if outcome != TaskState.OPEN:
        watchers = [case.handler] if case.handler else users_with_role(case.office, {Role.LEADER})
        _notify([u for u in watchers if u is not None and u.pk != getattr(by, "pk", None)], "task.reported",
                _("Nhiệm vụ của vụ việc %(n)s đã có kết quả") % {"n": case.number},
                _("Vụ việc %(n)s: một nhiệm vụ được báo cáo “%(s)s”.") % {"n": case.number,
                                                                          "s": task.get_state_display()},
                f"task:{task.pk}:closed", case)
    return report


def plan_state(case: Case, today: date | None = None, purpose: str = TaskPurpose.PLAN) -> dict:
    """The state of a case's plan for the head and the inspectors above: counts and the nearest deadline."""
    today = _today(today)
    tasks = list(case.tasks.filter(purpose=purpose))
    open_tasks = [t for t in tasks if t.state == TaskState.OPEN]
    return {
        "total": len(tasks), "open": len(open_tasks),
        "done": sum(t.state == TaskState.DONE for t in tasks),
        "not_done": sum(t.state == TaskState.NOT_DONE for t in tasks),
        "overdue": sum(t.is_overdue(today) for t in tasks),
        "next_deadline": min((t.deadline for t in open_tasks), default=None),
    }


def overdue_task_counts(case_ids, today: date | None = None) -> dict[int, int]:
    """{case id: number of open tasks past their deadline} for a page of cases (one query)."""
    from django.db.models import Count

    rows = (CaseTask.objects.filter(case_id__in=list(case_ids), state=TaskState.OPEN, deadline__lt=_today(today))
            .values("case_id").annotate(n=Count("pk")))
    return {row["case_id"]: row["n"] for row in rows}


# --- transfer keeping the sender following ------------------------------------------------------------------


@transaction.atomic
def assign_to_office(case: Case, by, *, target_office: Office, document_number: str, report_due, note: str = "",
                     request=None, today: date | None = None) -> TransferFollowUp:
    """The head assigns the case to another office with a reporting deadline (giao xử lý, yêu cầu báo cáo kết
    quả): a transfer (the receiving office gets the case in its inbox) after which the sender keeps
    following it: the receiving office owes a report by ``report_due``; past it, both are alerted."""
    if by is not None:
        _require(access.may_assign_with_report(by, case), _("Chỉ người đứng đầu cơ quan giao xử lý có thời hạn báo cáo."))
    report_due = _date(report_due, "report_due")
    if report_due <= _today(today):
        raise FollowupError(_("Hạn báo cáo phải sau hôm nay."), "in_past", "report_due")
    received = case_services.transfer(case, by, target_office=target_office, document_number=document_number,
                                      note=note, today=today, request=request)
    sender = Case.objects.get(pk=case.pk)
    follow = TransferFollowUp.objects.create(sender_case=sender, received_case=received, report_due=report_due,
                                             created_by=by)
    _audit(by, "assign_to_office", sender, request, received=str(received.public_id),
           office=target_office.code, report_due=report_due.isoformat(), document_number=document_number)
    _notify(users_with_role(target_office, {Role.LEADER, Role.RECEPTION_OFFICER}), "assignment.received",
            _("Vụ việc %(n)s được giao, hạn báo cáo %(d)s") % {"n": received.number,
                                                              "d": report_due.strftime("%d/%m/%Y")},
            _("%(o)s giao vụ việc %(n)s, yêu cầu báo cáo kết quả trước ngày %(d)s.")
            % {"o": sender.office.name, "n": received.number, "d": report_due.strftime("%d/%m/%Y")},
            f"assignment:{follow.pk}:received", received)
    return follow


@transaction.atomic
def report_assignment(follow: TransferFollowUp, by, *, text: str, request=None) -> TransferFollowUp:
    """The receiving office reports to the sender (once; a later report replaces it, audited)."""
    follow = TransferFollowUp.objects.select_for_update(of=("self",)).select_related(
        "received_case__office", "sender_case__office").get(pk=follow.pk)
    if by is not None:
        _require(case_access.may_write(by, follow.received_case))
    follow.report = _text(text, "text", required=True)
    follow.reported_at, follow.reported_by = timezone.now(), by
    follow.save(update_fields=["report", "reported_at", "reported_by"])
    _audit(by, "report_assignment", follow.received_case, request, sender=str(follow.sender_case.public_id))
    sender = follow.sender_case
    _notify(users_with_role(sender.office, {Role.LEADER}) + ([sender.handler] if sender.handler else []),
            "assignment.reported", _("Đã có báo cáo kết quả vụ việc %(n)s") % {"n": sender.number},
            _("%(o)s đã báo cáo kết quả xử lý vụ việc %(n)s được giao.")
            % {"o": follow.received_case.office.name, "n": sender.number},
            f"assignment:{follow.pk}:reported:{follow.reported_at.isoformat()}", sender)
    return follow


# --- 5. dialogue --------------------------------------------------------------------------------------------


@transaction.atomic
def schedule_dialogue(*, by, cases, host, title: str, starts_at, ends_at, adhoc_reason: str,
                      concerned_offices=(), tentative_content: str = "", request=None):
    """Đối thoại for group or complex case(s): an ad-hoc reception session (``sessions.services.create_session``,
    the ordinary lifecycle, sites and minutes) of the first case's office, linked to each case (no new case
    is opened). The bodies concerned are connected as sites and their staff notified; the parties who have
    an account are invited (in-app). Denunciations are never put to a dialogue (the denouncer is secret)."""
    from sessions import services as session_services
    from sessions.models import SessionKind

    cases = [c for c in (cases or []) if c is not None]
    if not cases:
        raise FollowupError(_("Chọn ít nhất một vụ việc."), "required", "cases")
    office = cases[0].office
    for case in cases:
        if by is not None:
            _require(case_access.may_write(by, case))
        if case.office_id != office.pk:
            raise FollowupError(_("Các vụ việc đối thoại phải cùng một cơ quan giải quyết."), "mixed_offices", "cases")
        if case.is_secret:
            raise FollowupError(_("Không tổ chức đối thoại đối với tố cáo (bảo mật người tố cáo)."), "secret_case",
                                "cases")
        if not case.is_open and case.state != CaseState.CONCLUDED:
            raise FollowupError(_("Vụ việc %(n)s đã kết thúc.") % {"n": case.number}, "final_state", "cases")
    concerned = [o for o in concerned_offices if o is not None and o.pk != office.pk]
    session = session_services.create_session(
        by=by, kind=SessionKind.ADHOC, host_office=office, title=title, starts_at=starts_at, ends_at=ends_at,
        host=host, tentative_content=tentative_content, adhoc_reason=adhoc_reason,
        adhoc_note=_("Đối thoại: %(n)s") % {"n": ", ".join(c.number for c in cases)},
        sites=[(o, None) for o in concerned])
    when = timezone.localtime(starts_at).strftime("%H:%M %d/%m/%Y")
    for case in cases:
        DialogueLink.objects.create(session=session, case=case, created_by=by)
        _audit(by, "schedule_dialogue", case, request, session=str(session.public_id),
               offices=[o.code for o in concerned])
        parties = [p.user for p in case.parties.select_related("user") if p.user_id]
        _notify(parties, "dialogue.invited", _("Mời đối thoại về vụ việc %(n)s") % {"n": case.number},
                _("%(o)s mời ông/bà dự buổi đối thoại lúc %(w)s.") % {"o": office.name, "w": when},
                f"dialogue:{session.pk}:{case.pk}:party", case)
        staff = [u for o in concerned for u in users_with_role(o, {Role.LEADER, Role.RECEPTION_OFFICER})]
        _notify(staff, "dialogue.invited", _("Mời dự đối thoại vụ việc %(n)s") % {"n": case.number},
                _("%(o)s mời cơ quan dự buổi đối thoại vụ việc %(n)s lúc %(w)s (điểm cầu của cơ quan đã được kết nối).")
                % {"o": office.name, "n": case.number, "w": when},
                f"dialogue:{session.pk}:{case.pk}:body", case)
    return session


def link_section_to_case(section, case: Case, by, request=None):
    """Attach a minutes section to an existing case (``minutes.services.link_case``): who edits the minutes
    and may write the case. The link is audited by the minutes service (``minutes.link_case``)."""
    from minutes import services as minutes_services

    if by is not None:
        _require(case_access.may_write(by, case), _("Bạn không có quyền ghi vào vụ việc này."))
    return minutes_services.link_case(section, case.public_id, by=by, request=request)


# --- 6. after the conclusion --------------------------------------------------------------------------------


@transaction.atomic
def close_execution(case: Case, by, *, outcome: str, note: str = "", reopened_summary: str = "", request=None,
                    today: date | None = None) -> ExecutionRecord:
    """End the follow-up of a final decision: executed, not executed, or the citizen complains again
    (``reopened``: a NEW case, second time, linked to this one by ``previous_case``). Every execution task
    must have its result first (done / not done)."""
    case = _lock(case)
    if by is not None:
        _require(case_access.may_write(by, case))
    if case.state != CaseState.CONCLUDED:
        raise FollowupError(_("Chỉ theo dõi thi hành khi đã có kết luận, quyết định giải quyết."),
                            "not_concluded", "outcome")
    if ExecutionRecord.objects.filter(case=case).exists():
        raise FollowupError(_("Việc theo dõi thi hành đã kết thúc."), "execution_closed", "outcome")
    if outcome not in ExecutionOutcome.values:
        raise FollowupError(_("Kết quả không hợp lệ."), "invalid_choice", "outcome")
    if case.tasks.filter(purpose=TaskPurpose.EXECUTION, state=TaskState.OPEN).exists():
        raise FollowupError(_("Còn việc thi hành chưa có kết quả."), "open_tasks", "outcome")
    if outcome == ExecutionOutcome.EXECUTED and case.tasks.filter(
            purpose=TaskPurpose.EXECUTION, state=TaskState.NOT_DONE).exists():
        raise FollowupError(_("Có việc không hoàn thành: chọn “Không thi hành được” hoặc “Khiếu nại tiếp”."),
                            "not_all_done", "outcome")
    note = _text(note, "note")
    reopened = None
    if outcome == ExecutionOutcome.REOPENED:
        summary = _text(reopened_summary, "reopened_summary", required=True)
        parties = [{"user": p.user, "full_name": p.full_name, "address": p.address, "id_number": p.id_number,
                    "contact": p.contact, "is_representative": p.is_representative} for p in case.parties.all()]
        reopened = case_services.create_case(
            by=None, office=case.office, kind=case.kind, summary=summary, field=case.field,
            people_count=case.people_count, is_group=case.is_group, source=CaseSource.PAPER, parties=parties,
            is_complex=case.is_complex, is_second_time=True, previous_case=case, request=request, today=today)
    execution = ExecutionRecord.objects.create(case=case, outcome=outcome, note=note, reopened_case=reopened,
                                               closed_by=by)
    _audit(by, "close_execution", case, request, outcome=outcome,
           reopened=str(reopened.public_id) if reopened else None)
    return execution


def filed_awaiting_decision(office_ids, today: date | None = None):
    """Filed petitions whose keeping period is over and on which no decision is pending a later date."""
    today = _today(today)
    kept = DestructionDecision.objects.filter(Q(destroy=True) | Q(keep_until__gt=today)).values("case_id")
    return (Case.objects.filter(state=CaseState.FILED, filed_until__lte=today, office_id__in=office_ids)
            .exclude(pk__in=kept).select_related("office").order_by("filed_until", "pk"))


@transaction.atomic
def decide_destruction(case: Case, by, *, destroy: bool, decision_number: str, decided_on=None, keep_until=None,
                       request=None, today: date | None = None) -> DestructionDecision:
    """The head decides on a filed petition after its keeping period (CASE_FILED_KEEP_YEARS, 1 year): destroy
    it (the stored files are deleted; the register row and this decision stay) or keep it until a date."""
    case = _lock(case)
    if by is not None:
        _require(access.may_decide_destruction(by, case), _("Chỉ người đứng đầu cơ quan quyết định tiêu hủy đơn."))
    today = _today(today)
    if case.state != CaseState.FILED:
        raise FollowupError(_("Chỉ đơn lưu mới được quyết định tiêu hủy."), "not_filed", "destroy")
    if case.filed_until is None or case.filed_until > today:
        raise FollowupError(_("Đơn chưa hết thời hạn lưu (đến %(d)s).")
                            % {"d": case.filed_until.strftime("%d/%m/%Y") if case.filed_until else "?"},
                            "still_kept", "destroy")
    if case.destruction_decisions.filter(Q(destroy=True) | Q(keep_until__gt=today)).exists():
        raise FollowupError(_("Đã có quyết định cho đơn này."), "already_decided", "destroy")
    decision_number = _text(decision_number, "decision_number", 64, required=True)
    decided_on = _date(decided_on, "decided_on", required=False) or today
    keep_until = _date(keep_until, "keep_until", required=not destroy)
    if not destroy and keep_until <= today:
        raise FollowupError(_("Ngày tiếp tục lưu phải sau hôm nay."), "in_past", "keep_until")
    deleted = 0
    if destroy:
        for document in case.documents.all():
            storage, name = document.file.storage, document.file.name
            digest = hashlib.sha256(name.encode()).hexdigest()[:12]
            transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
            document.delete()
            deleted += 1
            logger.info("filed petition file %s deleted by decision", digest)
    decision = DestructionDecision.objects.create(case=case, destroy=bool(destroy), decision_number=decision_number,
                                                  decided_on=decided_on, keep_until=None if destroy else keep_until,
                                                  files_deleted=deleted, by=by)
    _audit(by, "decide_destruction", case, request, destroy=bool(destroy), decision_number=decision_number,
           keep_until=keep_until.isoformat() if keep_until and not destroy else None, files_deleted=deleted)
    return decision


# --- the daily check ----------------------------------------------------------------------------------------


def check_followups(today: date | None = None) -> dict:
    """Daily (beat ``followup.check_followups``): alert on overdue tasks (the responsible, the case's handler
    and the office's leaders), on assignments whose report is late (the receiving office and the sender's
    leaders), and on filed petitions whose keeping period is over (the office's head). Idempotent: every
    notification has a dedupe key naming the object and its due date, so a retry or a second run sends
    nothing twice; an alert is audited only when it was first sent."""
    today = _today(today)
    counts = {"tasks": 0, "assignments": 0, "filed": 0}
    overdue = (CaseTask.objects.filter(state=TaskState.OPEN, deadline__lt=today)
               .select_related("case__office", "case__handler", "responsible_user", "responsible_office")
               .order_by("pk"))
    for task in overdue.iterator():
        case = task.case
        with transaction.atomic():
            responsible = [task.responsible_user] if task.responsible_user else users_with_role(
                task.responsible_office, {Role.LEADER, Role.RECEPTION_OFFICER})
            recipients = [*responsible, case.handler, *users_with_role(case.office, {Role.LEADER})]
            sent = _notify(recipients, "task.overdue",
                           _("Nhiệm vụ quá hạn: vụ việc %(n)s") % {"n": case.number},
                           _("Vụ việc %(n)s (%(o)s): một nhiệm vụ đã quá hạn %(d)s mà chưa có kết quả.")
                           % {"n": case.number, "o": case.office.name, "d": task.deadline.strftime("%d/%m/%Y")},
                           f"task:{task.pk}:overdue:{task.deadline.isoformat()}", case)
            if sent:
                counts["tasks"] += sent
                _audit(None, "task_overdue", case, None, task=task.pk, deadline=task.deadline.isoformat())
    late = (TransferFollowUp.objects.filter(reported_at__isnull=True, report_due__lt=today)
            .select_related("sender_case__office", "received_case__office", "received_case__handler")
            .order_by("pk"))
    for follow in late.iterator():
        received, sender = follow.received_case, follow.sender_case
        with transaction.atomic():
            text = (_("Vụ việc %(n)s được %(s)s giao đã quá hạn báo cáo (%(d)s).")
                    % {"n": received.number, "s": sender.office.name, "d": follow.report_due.strftime("%d/%m/%Y")})
            title = _("Quá hạn báo cáo vụ việc %(n)s") % {"n": received.number}
            key = f"assignment:{follow.pk}:overdue:{follow.report_due.isoformat()}"
            sent = _notify([received.handler, *users_with_role(received.office, {Role.LEADER})],
                           "assignment.report_overdue", title, text, key, received)
            sent += _notify(users_with_role(sender.office, {Role.LEADER}), "assignment.report_overdue", title, text,
                            key + ":sender", sender)
            if sent:
                counts["assignments"] += sent
                _audit(None, "assignment_overdue", sender, None, received=str(received.public_id))
    office_ids = Case.objects.filter(state=CaseState.FILED, filed_until__lte=today).values("office_id")
    for case in filed_awaiting_decision(office_ids, today).iterator():
        # kept longer by an earlier decision: the alert is new at the new date
        until = max([case.filed_until, *case.destruction_decisions.exclude(keep_until=None)
                     .values_list("keep_until", flat=True)])
        with transaction.atomic():
            counts["filed"] += _notify(
                users_with_role(case.office, {Role.LEADER}), "filed.expired",
                _("Đơn lưu %(n)s đã hết thời hạn lưu") % {"n": case.number},
                _("Đơn %(n)s lưu đến ngày %(d)s: đề nghị người đứng đầu quyết định tiêu hủy hoặc tiếp tục lưu.")
                % {"n": case.number, "d": until.strftime("%d/%m/%Y")},
                f"filed:{case.pk}:expired:{until.isoformat()}", case)
    return counts


def keep_years() -> int:
    return int(getattr(settings, "CASE_FILED_KEEP_YEARS", 1))
