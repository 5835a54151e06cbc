"""Pages of the case follow-up (issue 16; followup app): register a letter from any source, the case's
follow-up page (plan tasks and progress reports, assignment to another office with a reporting deadline,
transfer outside the platform and its letter, dialogue sessions, execution of the final decision, the
head's decision on a filed petition), the plans overview, filed petitions awaiting a decision, and
attaching a minutes section to an existing case. Views only translate I/O: ``followup.services`` decides."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role, User
from accounts.permissions import has_role_at, offices_for
from cases import access as case_access
from cases.models import Case, CaseField
from cases.workflow import CaseState
from core.errors import DomainError
from followup import access, letters, services
from followup.api import find_case
from followup.models import (
    CaseTask,
    ExecutionOutcome,
    LetterSource,
    TaskPurpose,
    TaskState,
    TransferFollowUp,
)
from frontend.cases_views import ALLOWED_UPLOADS, DomainForm, _get_case, _transfer_choices
from offices.models import Office
from scheduling.models import MatterKind
from sessions.models import AdhocReason

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _office_by_code(code: str) -> Office:
    office = Office.objects.filter(code=(code or "").strip(), is_active=True).first()
    if office is None:
        raise forms.ValidationError(_("Không tìm thấy cơ quan."))
    return office


def _refused(request, exc: DomainError, form) -> None:
    if exc.code == "forbidden":
        raise PermissionDenied from exc
    form.add_domain_error(exc)
    messages.error(request, exc.message)


# --- 2. register a letter ---------------------------------------------------------------------------------


class LetterForm(DomainForm):
    field_map = {"parties": "full_name", "scan": "scan"}

    office = forms.ChoiceField(label=gettext_lazy("Cơ quan nhận đơn"))
    source = forms.ChoiceField(label=gettext_lazy("Nguồn đơn"), choices=LetterSource.choices)
    sender_body = forms.CharField(label=gettext_lazy("Cơ quan chuyển đến"), max_length=255, required=False,
                                  help_text=gettext_lazy("Bắt buộc khi đơn do cơ quan cấp trên, đại biểu, báo chí "
                                                         "hoặc cơ quan khác chuyển đến."))
    their_number = forms.CharField(label=gettext_lazy("Số văn bản của nơi chuyển"), max_length=64, required=False)
    their_date = forms.DateField(label=gettext_lazy("Ngày văn bản của nơi chuyển"), required=False, widget=DATE)
    received_on = forms.DateField(label=gettext_lazy("Ngày nhận đơn"), widget=DATE)
    kind = forms.ChoiceField(label=gettext_lazy("Loại đơn"), choices=MatterKind.choices)
    field = forms.ChoiceField(label=gettext_lazy("Lĩnh vực"), choices=CaseField.choices, initial=CaseField.OTHER)
    summary = forms.CharField(label=gettext_lazy("Tóm tắt nội dung"), widget=forms.Textarea(attrs={"rows": 4}))
    full_name = forms.CharField(label=gettext_lazy("Họ và tên người gửi đơn"), max_length=255, required=False,
                                help_text=gettext_lazy("Chỉ đơn tố cáo nặc danh được để trống."))
    address = forms.CharField(label=gettext_lazy("Địa chỉ"), max_length=500, required=False)
    id_number = forms.CharField(label=gettext_lazy("Số CCCD"), max_length=32, required=False)
    contact = forms.CharField(label=gettext_lazy("Điện thoại"), max_length=32, required=False)
    people_count = forms.IntegerField(label=gettext_lazy("Số người"), min_value=1, max_value=100_000, initial=1)
    scan = forms.FileField(label=gettext_lazy("Bản quét đơn (PDF, JPEG hoặc PNG, tối đa 20 MB)"), required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}))

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].choices = [(o.code, o.name) for o in offices]

    def clean_scan(self):
        upload = self.cleaned_data.get("scan")
        if not upload:
            return None
        head = upload.read(8)
        upload.seek(0)
        magic = ALLOWED_UPLOADS.get(upload.content_type or "")
        if upload.size > 20 * 1024 * 1024 or magic is None or not head.startswith(magic):
            raise forms.ValidationError(_("Chỉ nhận tệp PDF, JPEG hoặc PNG, tối đa 20 MB."))
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def letter_new(request):
    offices = access.letter_offices(request.user)
    if not offices:
        raise PermissionDenied
    if request.method == "GET":
        form = LetterForm(offices=offices, initial={"received_on": timezone.localdate(), "people_count": 1})
        return render(request, "frontend/followup/letter_new.html", {"form": form})
    form = LetterForm(request.POST, request.FILES, offices=offices)
    if form.is_valid():
        d = form.cleaned_data
        party = {k: d[k] for k in ("full_name", "address", "id_number", "contact")}
        scan = None
        if d["scan"]:
            scan = {"content": d["scan"].read(), "name": d["scan"].name, "content_type": d["scan"].content_type}
        try:
            case = services.register_letter(
                by=request.user, office=Office.objects.get(code=d["office"]), source=d["source"], kind=d["kind"],
                field=d["field"], summary=d["summary"], parties=[party] if party["full_name"] else [],
                people_count=d["people_count"], sender_body=d["sender_body"], their_number=d["their_number"],
                their_date=d["their_date"], received_on=d["received_on"], scan=scan, request=request)
        except DomainError as exc:
            _refused(request, exc, form)
        else:
            messages.success(request, _("Đã vào sổ đơn %(n)s.") % {"n": case.number})
            return redirect("frontend:case-followup", public_id=case.public_id)
    return render(request, "frontend/followup/letter_new.html", {"form": form}, status=400)


# --- 4, 5, 6. the case's follow-up page --------------------------------------------------------------------


class TaskForm(DomainForm):
    field_map = {"responsible_office": "responsible_office", "responsible_user": "responsible_user"}

    content = forms.CharField(label=gettext_lazy("Nội dung công việc"), widget=forms.Textarea(attrs={"rows": 3}))
    responsible_user = forms.ChoiceField(label=gettext_lazy("Người chịu trách nhiệm"), required=False)
    responsible_office = forms.ChoiceField(label=gettext_lazy("hoặc đơn vị chịu trách nhiệm"), required=False)
    responsible_text = forms.CharField(label=gettext_lazy("hoặc cơ quan, người ngoài hệ thống"), max_length=255,
                                       required=False)
    deadline = forms.DateField(label=gettext_lazy("Thời hạn"), widget=DATE)
    expected_result = forms.CharField(label=gettext_lazy("Kết quả cần đạt"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, case=None, execution=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_user"].choices = [("", "—")] + [
            (str(u.pk), u.full_name or u.username) for u in services.users_with_role(
                case.office, {Role.LEADER, Role.RECEPTION_OFFICER})]
        self.fields["responsible_office"].choices = [("", "—"), (case.office.code, case.office.name)] + \
            _transfer_choices(case, "")
        if not execution:
            del self.fields["responsible_text"]

    def clean_responsible_user(self):
        value = self.cleaned_data.get("responsible_user")
        return User.objects.filter(pk=int(value)).first() if value else None

    def clean_responsible_office(self):
        value = self.cleaned_data.get("responsible_office")
        return _office_by_code(value) if value else None


class ReportForm(DomainForm):
    text = forms.CharField(label=gettext_lazy("Báo cáo tiến độ, kết quả"), widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.ChoiceField(label=gettext_lazy("Tình trạng"), choices=[
        (TaskState.OPEN, gettext_lazy("Đang thực hiện")), (TaskState.DONE, gettext_lazy("Đã hoàn thành")),
        (TaskState.NOT_DONE, gettext_lazy("Không hoàn thành"))])


class AssignOfficeForm(DomainForm):
    target_office = forms.ChoiceField(label=gettext_lazy("Giao cho cơ quan"))
    document_number = forms.CharField(label=gettext_lazy("Số văn bản giao"), max_length=64)
    report_due = forms.DateField(label=gettext_lazy("Hạn báo cáo kết quả"), widget=DATE)
    note = forms.CharField(label=gettext_lazy("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_office"].choices = _transfer_choices(case, "")

    def clean_target_office(self):
        return _office_by_code(self.cleaned_data.get("target_office"))


class AssignmentReportForm(DomainForm):
    text = forms.CharField(label=gettext_lazy("Báo cáo kết quả cho cơ quan giao"),
                           widget=forms.Textarea(attrs={"rows": 3}))


class OutsideTransferForm(DomainForm):
    field_map = {"transfer_to_body": "body", "target_office": "body"}

    body = forms.CharField(label=gettext_lazy("Cơ quan có thẩm quyền (ngoài hệ thống)"), max_length=255)
    document_number = forms.CharField(label=gettext_lazy("Số văn bản chuyển đơn"), max_length=64)
    note = forms.CharField(label=gettext_lazy("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DialogueForm(DomainForm):
    field_map = {"ends_at": "ends_at", "starts_at": "starts_at", "host": "host", "title": "title",
                 "adhoc_reason": "adhoc_reason", "cases": "other_cases"}

    title = forms.CharField(label=gettext_lazy("Tiêu đề buổi đối thoại"), max_length=255)
    host = forms.ChoiceField(label=gettext_lazy("Lãnh đạo chủ trì"))
    starts_at = forms.DateTimeField(label=gettext_lazy("Bắt đầu"), widget=DATETIME,
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    ends_at = forms.DateTimeField(label=gettext_lazy("Kết thúc"), widget=DATETIME,
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    adhoc_reason = forms.ChoiceField(label=gettext_lazy("Lý do"), choices=AdhocReason.choices)
    other_cases = forms.CharField(label=gettext_lazy("Các vụ việc khác cùng đối thoại (số vụ việc, cách nhau bởi dấu phẩy)"),
                                  required=False, max_length=1000)
    concerned = forms.MultipleChoiceField(label=gettext_lazy("Cơ quan liên quan được mời (kết nối điểm cầu)"),
                                          required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].choices = [(str(u.pk), u.full_name or u.username)
                                       for u in services.users_with_role(case.office, {Role.LEADER})]
        self.fields["concerned"].choices = [c for _label, group in _transfer_choices(case, "") for c in group]


class ExecutionCloseForm(DomainForm):
    outcome = forms.ChoiceField(label=gettext_lazy("Kết quả thi hành"), choices=ExecutionOutcome.choices)
    note = forms.CharField(label=gettext_lazy("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reopened_summary = forms.CharField(label=gettext_lazy("Nội dung khiếu nại tiếp (nếu có)"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 2}))


class DestructionForm(DomainForm):
    destroy = forms.TypedChoiceField(label=gettext_lazy("Quyết định"), coerce=lambda v: v == "1", choices=[
        ("1", gettext_lazy("Tiêu hủy đơn")), ("0", gettext_lazy("Tiếp tục lưu"))])
    decision_number = forms.CharField(label=gettext_lazy("Số quyết định"), max_length=64)
    decided_on = forms.DateField(label=gettext_lazy("Ngày quyết định"), widget=DATE, required=False)
    keep_until = forms.DateField(label=gettext_lazy("Tiếp tục lưu đến ngày"), widget=DATE, required=False)


def case_banner(case: Case, user, today=None) -> dict:
    """What the case file shows about its follow-up: plan state with the overdue mark, and the link."""
    today = today or timezone.localdate()
    return {"plan": services.plan_state(case, today), "url": reverse("frontend:case-followup", args=[case.public_id])}


def _task_rows(case, user, purpose, today, bound):
    rows = []
    for task in case.tasks.filter(purpose=purpose).select_related("responsible_user", "responsible_office"):
        readable = access.may_read_task_text(user, task)
        key = f"report-{task.pk}"
        rows.append({
            "task": task, "readable": readable, "overdue": task.is_overdue(today),
            "reports": [{"r": r, "text": r.text if readable else ""} for r in task.reports.select_related("by")],
            "form": (bound.get(key) or ReportForm(prefix=key)) if task.state == TaskState.OPEN
            and access.may_report(user, task) else None, "key": key,
        })
    return rows


def _followup_context(request, case, bound=None):
    user, bound, today = request.user, bound or {}, timezone.localdate()
    may_plan = access.may_plan(user, case)
    may_write = case_access.may_write(user, case)
    context = {
        "case": case, "today": today, "bound": set(bound),
        "letter": getattr(case, "letter", None) if hasattr(case, "letter") else None,
        "plan": services.plan_state(case, today),
        "tasks": _task_rows(case, user, TaskPurpose.PLAN, today, bound),
        "execution_tasks": _task_rows(case, user, TaskPurpose.EXECUTION, today, bound),
        "execution_state": services.plan_state(case, today, TaskPurpose.EXECUTION),
        "execution": getattr(case, "execution", None) if hasattr(case, "execution") else None,
        "assignment_out": TransferFollowUp.objects.filter(sender_case=case).select_related(
            "received_case__office").first(),
        "assignment_in": TransferFollowUp.objects.filter(received_case=case).select_related(
            "sender_case__office").first(),
        "dialogues": [link.session for link in case.dialogue_links.select_related("session__host_office")],
        "decisions": list(case.destruction_decisions.select_related("by").order_by("at")),
        "may_see_reports": case_access.may_see_summary(user, case),
    }
    from minutes.models import Minutes

    context["dialogue_minutes"] = list(Minutes.objects.filter(session__in=context["dialogues"]).select_related("session"))
    if may_plan and case.is_open:
        context["task_form"] = bound.get("task") or TaskForm(prefix="task", case=case)
    if access.may_assign_with_report(user, case) and case.state == CaseState.CLASSIFIED:
        context["assign_form"] = bound.get("assign") or AssignOfficeForm(prefix="assign", case=case)
    if may_write and case.state == CaseState.CLASSIFIED:
        context["outside_form"] = bound.get("outside") or OutsideTransferForm(prefix="outside")
    follow_in = context["assignment_in"]
    if follow_in is not None and may_write:
        context["assignment_report_form"] = bound.get("assignment-report") or AssignmentReportForm(
            prefix="assignment-report")
    if may_write and not case.is_secret and (case.is_open or case.state == CaseState.CONCLUDED):
        start = timezone.localtime() + timedelta(days=7)
        context["dialogue_form"] = bound.get("dialogue") or DialogueForm(prefix="dialogue", case=case, initial={
            "title": _("Đối thoại vụ việc %(n)s") % {"n": case.number},
            "starts_at": start.replace(hour=8, minute=0, second=0, microsecond=0),
            "ends_at": start.replace(hour=10, minute=0, second=0, microsecond=0),
            "adhoc_reason": AdhocReason.MANY_PEOPLE if case.is_group else AdhocReason.SEVERAL_AGENCIES})
    if case.state == CaseState.CONCLUDED and context["execution"] is None and may_plan:
        context["execution_task_form"] = bound.get("execution-task") or TaskForm(
            prefix="execution-task", case=case, execution=True)
    if case.state == CaseState.CONCLUDED and context["execution"] is None and may_write:
        context["execution_close_form"] = bound.get("execution-close") or ExecutionCloseForm(prefix="execution-close")
    if (case.state == CaseState.FILED and access.may_decide_destruction(user, case) and case.filed_until
            and case.filed_until <= today):
        context["destruction_form"] = bound.get("destruction") or DestructionForm(prefix="destruction")
    return context


def _followup_case(request, public_id) -> Case:
    case = Case.objects.select_related("office__parent", "handler").filter(public_id=public_id).first()
    if case is None:
        raise Http404
    if case_access.may_view(request.user, case):
        return case
    if any(access.is_responsible(request.user, t) for t in case.tasks.all()):
        return case
    raise PermissionDenied


def _url(case, anchor=""):
    return reverse("frontend:case-followup", args=[case.public_id]) + (f"#{anchor}" if anchor else "")


@login_required
@require_http_methods(["GET", "POST"])
def case_followup(request, public_id):
    case = _followup_case(request, public_id)
    if request.method == "GET":
        return render(request, "frontend/followup/case.html", _followup_context(request, case))
    key = request.POST.get("form", "")
    handler = POSTS.get(key.split("-")[0] if key.startswith("report-") else key)
    if handler is None:
        messages.error(request, _("Thao tác không hợp lệ."))
        return redirect(_url(case))
    return handler(request, case, key)


def _post(request, case, key, form, call, success, anchor):
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except DomainError as exc:
            _refused(request, exc, form)
        else:
            messages.success(request, success)
            return redirect(_url(case, anchor))
    context = _followup_context(request, case, {key: form})
    return render(request, "frontend/followup/case.html", context, status=400)


def _post_task(request, case, key):
    execution = key == "execution-task"
    form = TaskForm(request.POST, prefix=key, case=case, execution=execution)
    return _post(request, case, key, form, lambda d: services.add_task(
        case, request.user, content=d["content"], deadline=d["deadline"], expected_result=d["expected_result"],
        responsible_user=d["responsible_user"], responsible_office=d["responsible_office"],
        responsible_text=d.get("responsible_text", ""),
        purpose=TaskPurpose.EXECUTION if execution else TaskPurpose.PLAN, request=request),
        _("Đã giao nhiệm vụ."), "execution" if execution else "plan")


def _post_report(request, case, key):
    try:
        task = case.tasks.get(pk=int(key.removeprefix("report-")))
    except (ValueError, CaseTask.DoesNotExist):
        raise Http404 from None
    form = ReportForm(request.POST, prefix=key)
    return _post(request, case, key, form, lambda d: services.report_task(
        task, request.user, text=d["text"], outcome=d["outcome"], request=request),
        _("Đã ghi báo cáo."), f"task-{task.pk}")


def _post_assign(request, case, key):
    form = AssignOfficeForm(request.POST, prefix=key, case=case)
    return _post(request, case, key, form, lambda d: services.assign_to_office(
        case, request.user, target_office=d["target_office"], document_number=d["document_number"],
        report_due=d["report_due"], note=d["note"], request=request),
        _("Đã giao vụ việc cho cơ quan khác, có thời hạn báo cáo."), "assignment")


def _post_assignment_report(request, case, key):
    follow = TransferFollowUp.objects.filter(received_case=case).first()
    if follow is None:
        raise Http404
    form = AssignmentReportForm(request.POST, prefix=key)
    return _post(request, case, key, form, lambda d: services.report_assignment(
        follow, request.user, text=d["text"], request=request), _("Đã gửi báo cáo cho cơ quan giao."), "assignment")


def _post_outside(request, case, key):
    form = OutsideTransferForm(request.POST, prefix=key)
    return _post(request, case, key, form, lambda d: services.transfer_outside(
        case, request.user, body=d["body"], document_number=d["document_number"], note=d["note"], request=request),
        _("Đã chuyển đơn; in phiếu chuyển đơn để gửi."), "transfer")


def _post_dialogue(request, case, key):
    form = DialogueForm(request.POST, prefix=key, case=case)

    def call(d):
        others = [n.strip() for n in d["other_cases"].split(",") if n.strip()]
        cases = [case]
        for number in others:
            other = find_case(request.user, number)
            if other is None:
                raise services.FollowupError(_("Không tìm thấy vụ việc %(n)s.") % {"n": number}, "not_found_case",
                                             "cases")
            cases.append(other)
        services.schedule_dialogue(
            by=request.user, cases=cases, host=User.objects.filter(pk=int(d["host"])).first(), title=d["title"],
            starts_at=d["starts_at"], ends_at=d["ends_at"], adhoc_reason=d["adhoc_reason"],
            concerned_offices=list(Office.objects.filter(code__in=d["concerned"], is_active=True)), request=request)

    return _post(request, case, key, form, call, _("Đã lên lịch đối thoại và gửi thư mời."), "dialogue")


def _post_execution_close(request, case, key):
    form = ExecutionCloseForm(request.POST, prefix=key)
    return _post(request, case, key, form, lambda d: services.close_execution(
        case, request.user, outcome=d["outcome"], note=d["note"], reopened_summary=d["reopened_summary"],
        request=request), _("Đã kết thúc theo dõi thi hành."), "execution")


def _post_destruction(request, case, key):
    form = DestructionForm(request.POST, prefix=key)
    return _post(request, case, key, form, lambda d: services.decide_destruction(
        case, request.user, destroy=d["destroy"], decision_number=d["decision_number"], decided_on=d["decided_on"],
        keep_until=d["keep_until"], request=request), _("Đã ghi quyết định."), "filed")


POSTS = {"task": _post_task, "execution-task": _post_task, "report": _post_report, "assign": _post_assign,
         "assignment-report": _post_assignment_report, "outside": _post_outside, "dialogue": _post_dialogue,
         "execution-close": _post_execution_close, "destruction": _post_destruction}


@login_required
@require_GET
def transfer_letter(request, public_id, fmt):
    case = _get_case(request, public_id)
    try:
        data, content_type = letters.export_letter(case, request.user, fmt, request=request)
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        raise Http404 from exc
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="phieu-chuyen-don-{case.number}.{fmt}"'
    return response


# --- overviews ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def plans(request):
    """Tasks of the cases the user may view (the head, the inspectors above) and tasks given to the user or
    to an office where they are a leader or officer; overdue first."""
    user, today = request.user, timezone.localdate()
    writer_offices = [o for o in offices_for(user) if has_role_at(user, o, {Role.LEADER, Role.RECEPTION_OFFICER})]
    if not user.role_assignments.exists() and not user.is_superuser:
        raise PermissionDenied
    visible = case_access.visible_cases(user)
    tasks = (CaseTask.objects.filter(Q(case__in=visible) | Q(responsible_user=user)
                                     | Q(responsible_office__in=writer_offices))
             .select_related("case__office", "responsible_user", "responsible_office").order_by("state", "deadline")
             .distinct()[:500])
    rows = [{"task": t, "overdue": t.is_overdue(today), "readable": access.may_read_task_text(user, t)}
            for t in tasks]
    rows.sort(key=lambda r: (not r["overdue"], r["task"].state != TaskState.OPEN, r["task"].deadline))
    return render(request, "frontend/followup/plans.html", {"rows": rows, "today": today})


@login_required
@require_GET
def filed(request):
    """Filed petitions past their keeping period in offices where the user is the head."""
    offices = access.destruction_office_ids(request.user)
    if not offices:
        raise PermissionDenied
    rows = list(services.filed_awaiting_decision(offices)[:500])
    return render(request, "frontend/followup/filed.html", {"rows": rows})


# --- minutes section → existing case ------------------------------------------------------------------------


class LinkSectionForm(DomainForm):
    field_map = {"case_public_id": "case"}

    case = forms.CharField(label=gettext_lazy("Số vụ việc"), max_length=64,
                           help_text=gettext_lazy("Ví dụ X01001-2026-0007"))


@login_required
@require_http_methods(["GET", "POST"])
def section_link_case(request, minutes_id, section_id):
    from minutes import access as minutes_access
    from minutes.models import CitizenSection

    section = CitizenSection.objects.select_related("minutes__session__host_office").filter(
        pk=section_id, minutes_id=minutes_id).first()
    if section is None:
        raise Http404
    session = section.minutes.session
    if not minutes_access.may_edit(request.user, session):
        raise PermissionDenied
    form = LinkSectionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            case = find_case(request.user, form.cleaned_data["case"])
            if case is None:
                form.add_error("case", _("Không tìm thấy vụ việc."))
            else:
                try:
                    services.link_section_to_case(section, case, request.user, request=request)
                except DomainError as exc:
                    _refused(request, exc, form)
                else:
                    messages.success(request, _("Đã gắn phần ghi với vụ việc %(n)s.") % {"n": case.number})
                    return redirect("frontend:case-detail", public_id=case.public_id)
        status = 400
    linked = Case.objects.filter(public_id=section.case_public_id).first() if section.case_public_id else None
    return render(request, "frontend/followup/section_link.html",
                  {"form": form, "section": section, "session": session, "linked": linked}, status=status)


