"""Case pages (hồ sơ vụ việc), server-rendered and usable without JavaScript:

* ``/lam-viec/vu-viec/`` — the staff inbox: the cases of the offices the user may see
  (``cases.access.visible_cases``), newest first, 25 a page, filtered by a GET form; each row carries its
  nearest deadline with a colour AND a text. Never a party, never a denunciation's content (the rules of
  ``cases.serializers.CaseListItemSerializer``).
* ``/lam-viec/vu-viec/<public_id>/`` — the case file: summary (a denunciation's only for
  ``access.may_see_summary``), parties through ``access.party_view`` (audited or redacted), deadlines,
  history, extensions, linked cases (the sender sees the fate of a transferred case), documents, and one
  small POST form per allowed move, assignment, extension and upload. Every write is a call to
  ``cases.services``; a refusal (``DomainError``) is a message and an error on the field it names.
* ``/cua-toi/vu-viec/`` — a citizen's own cases in plain words, and the notice of conclusions / receipt
  of their reception (``/cua-toi/vu-viec/giay-to/<section>/<notice|receipt>.pdf``: the section's citizen
  only, finalised minutes only, audited ``documents.export``).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import RoleAssignment, User
from accounts.permissions import is_staff_member, offices_for
from audit.services import record
from cases import access, deadlines, services, workflow
from cases.models import Case, CaseField, CaseParty, CaseSource
from cases.workflow import CaseState
from core.errors import DomainError
from core.text import fold
from offices.models import Office
from scheduling.models import MatterKind

PAGE_SIZE = 25
MAX_OFFICE_SELECT = 300  # above this the inbox asks for an office code instead of a select
TRANSFER_SEARCH_LIMIT = 30
ALLOWED_UPLOADS = {"application/pdf": b"%PDF", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG"}
CITIZEN_DOCUMENTS = ("notice", "receipt")

DEADLINE_NAMES = {
    "citizen_notice": gettext_lazy("Thông báo cho công dân"),
    "acceptance": gettext_lazy("Thụ lý"),
    "resolution": gettext_lazy("Giải quyết"),
}
ACTION_LABELS = {
    "create": gettext_lazy("Vào sổ"),
    "classify": gettext_lazy("Phân loại"),
    "accept": gettext_lazy("Thụ lý"),
    "start_verifying": gettext_lazy("Bắt đầu xác minh"),
    "conclude": gettext_lazy("Kết luận"),
    "guide": gettext_lazy("Hướng dẫn, trả lại đơn"),
    "transfer": gettext_lazy("Chuyển đơn"),
    "file": gettext_lazy("Lưu đơn"),
    "end": gettext_lazy("Chấm dứt thụ lý"),
}
# What the citizen reads about their case (plain words, no jargon where possible).
CITIZEN_STATES = {
    CaseState.RECEIVED: gettext_lazy("Đã nhận đơn, đang phân loại"),
    CaseState.CLASSIFIED: gettext_lazy("Đã phân loại, đang xem xét"),
    CaseState.ACCEPTED: gettext_lazy("Đã thụ lý, đang giải quyết"),
    CaseState.VERIFYING: gettext_lazy("Đang xác minh"),
    CaseState.CONCLUDED: gettext_lazy("Đã có kết luận"),
    CaseState.GUIDED: gettext_lazy("Đã hướng dẫn, trả lại đơn"),
    CaseState.TRANSFERRED: gettext_lazy("Đã chuyển đơn đến cơ quan khác"),
    CaseState.FILED: gettext_lazy("Lưu đơn"),
    CaseState.ENDED: gettext_lazy("Chấm dứt thụ lý"),
}


# --- deadlines: colour AND words ---------------------------------------------------------------------------

def tracked_deadlines(case: Case) -> list[tuple[str, date]]:
    """The deadlines that still bind the case in its state (as the daily check sees them)."""
    if case.state in (CaseState.RECEIVED, CaseState.CLASSIFIED):
        return [(n, d) for n, d in (("citizen_notice", case.citizen_notice_due), ("acceptance", case.acceptance_due))
                if d]
    if case.state in (CaseState.ACCEPTED, CaseState.VERIFYING) and case.resolution_due:
        return [("resolution", case.resolution_due)]
    return []


def deadline_info(name: str, due: date, today: date, cal=None) -> dict:
    """``tone``: ``overdue`` (red), ``warning`` (amber: within CASE_DEADLINE_WARNING_WORKING_DAYS working
    days) or ``ok``; ``text``: the same in words ("Quá hạn 3 ngày", "Còn 2 ngày", "Đến hạn hôm nay")."""
    stage = deadlines.phase(due, today, cal)
    days = (due - today).days
    if days < 0:
        text = ngettext("Quá hạn %(n)s ngày", "Quá hạn %(n)s ngày", -days) % {"n": -days}
    elif days == 0:
        text = _("Đến hạn hôm nay")
    else:
        text = ngettext("Còn %(n)s ngày", "Còn %(n)s ngày", days) % {"n": days}
    tone = "overdue" if stage in ("overdue", "escalation") else "warning" if stage == "warning" else "ok"
    return {"name": name, "label": DEADLINE_NAMES[name], "due": due, "tone": tone, "text": text}


def nearest_deadline(case: Case, today: date, cal=None) -> dict | None:
    tracked = tracked_deadlines(case)
    if not tracked:
        return None
    name, due = min(tracked, key=lambda item: item[1])
    return deadline_info(name, due, today, cal)


def _calendar():
    from workdays.calendar import get_calendar

    return get_calendar()


# --- forms -------------------------------------------------------------------------------------------------

def _blank(label):
    return [("", label)]


class DomainForm(forms.Form):
    """A form that shows a service refusal on the input it names (``field_map`` renames service fields)."""

    field_map: dict[str, str] = {}

    def add_domain_error(self, exc: DomainError) -> None:
        name = self.field_map.get(exc.field, exc.field)
        self.add_error(name if name in self.fields else None, exc.message)


class InboxFilterForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("Trạng thái"), required=False,
                              choices=_blank(gettext_lazy("Tất cả")) + list(CaseState.choices))
    kind = forms.ChoiceField(label=gettext_lazy("Loại việc"), required=False,
                             choices=_blank(gettext_lazy("Tất cả")) + list(MatterKind.choices))
    office = forms.CharField(label=gettext_lazy("Cơ quan"), required=False, max_length=32)
    overdue = forms.BooleanField(label=gettext_lazy("Chỉ vụ việc quá hạn"), required=False)
    mine = forms.BooleanField(label=gettext_lazy("Chỉ vụ việc giao cho tôi"), required=False)

    def __init__(self, *args, offices=None, **kwargs):
        super().__init__(*args, **kwargs)
        offices = list(offices or [])
        if len(offices) <= 1:
            del self.fields["office"]
        elif len(offices) <= MAX_OFFICE_SELECT:
            self.fields["office"].widget = forms.Select(
                choices=_blank(_("Tất cả cơ quan")) + [(o.code, f"{o.name} ({o.code})") for o in offices])
        else:
            self.fields["office"].label = _("Mã cơ quan")
            self.fields["office"].help_text = _("Để trống để xem tất cả.")


NOTE = {"label": gettext_lazy("Ghi chú (không bắt buộc)"), "required": False, "max_length": 2000,
        "widget": forms.Textarea(attrs={"rows": 2})}


class MoveForm(DomainForm):
    """Base of the workflow moves: an optional note."""

    action = ""
    note = forms.CharField(**NOTE)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class ClassifyForm(MoveForm):
    action = "classify"
    kind = forms.ChoiceField(label=gettext_lazy("Loại việc"), choices=MatterKind.choices)
    field = forms.ChoiceField(label=gettext_lazy("Lĩnh vực"), choices=CaseField.choices)
    is_complex = forms.BooleanField(label=gettext_lazy("Vụ việc phức tạp"), required=False)
    is_second_time = forms.BooleanField(label=gettext_lazy("Khiếu nại lần hai"), required=False)
    field_order = ["kind", "field", "is_complex", "is_second_time", "note"]


class AcceptForm(MoveForm):
    action = "accept"
    document_number = forms.CharField(label=gettext_lazy("Số thông báo thụ lý (không bắt buộc)"), required=False,
                                      max_length=64)
    field_order = ["document_number", "note"]


class StartVerifyingForm(MoveForm):
    action = "start_verifying"


class ConcludeForm(MoveForm):
    action = "conclude"
    document_number = forms.CharField(label=gettext_lazy("Số văn bản kết luận / quyết định giải quyết"),
                                      max_length=64)
    field_order = ["document_number", "note"]


class GuideForm(MoveForm):
    action = "guide"
    guided_to_body = forms.CharField(label=gettext_lazy("Cơ quan có thẩm quyền giải quyết"), max_length=255)
    guidance_document_number = forms.CharField(label=gettext_lazy("Số văn bản hướng dẫn (không bắt buộc)"),
                                               required=False, max_length=64)
    field_order = ["guided_to_body", "guidance_document_number", "note"]


class TransferForm(MoveForm):
    action = "transfer"
    target_office = forms.CharField(label=gettext_lazy("Cơ quan nhận đơn"), max_length=32, widget=forms.Select)
    document_number = forms.CharField(label=gettext_lazy("Số văn bản chuyển đơn"), max_length=64)
    field_order = ["target_office", "document_number", "note"]

    def __init__(self, *args, office_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_office"].widget.choices = _blank(_("— Chọn cơ quan —")) + list(office_choices)

    def clean_target_office(self):
        code = self.cleaned_data["target_office"].strip()
        office = Office.objects.filter(code=code, is_active=True).first()
        if office is None:
            raise forms.ValidationError(_("Cơ quan nhận đơn không hợp lệ."))
        return office


class FileForm(MoveForm):
    action = "file"


class EndForm(MoveForm):
    action = "end"
    document_number = forms.CharField(label=gettext_lazy("Số thông báo chấm dứt thụ lý"), max_length=64)
    field_order = ["document_number", "note"]


MOVE_FORMS = {f.action: f for f in (ClassifyForm, AcceptForm, StartVerifyingForm, ConcludeForm, GuideForm,
                                    TransferForm, FileForm, EndForm)}
MOVE_BUTTONS = {
    "classify": gettext_lazy("Phân loại"), "accept": gettext_lazy("Thụ lý"),
    "start_verifying": gettext_lazy("Bắt đầu xác minh"), "conclude": gettext_lazy("Kết luận"),
    "guide": gettext_lazy("Hướng dẫn, trả lại đơn"), "transfer": gettext_lazy("Chuyển đơn"),
    "file": gettext_lazy("Lưu đơn"), "end": gettext_lazy("Chấm dứt thụ lý"),
}
MOVE_HINTS = {
    "classify": gettext_lazy("Xác nhận hoặc sửa loại việc và lĩnh vực; thời hạn được tính lại theo loại việc."),
    "accept": gettext_lazy("Thời hạn giải quyết bắt đầu từ hôm nay."),
    "start_verifying": gettext_lazy("Giao tổ xác minh; hồ sơ gửi tổ xác minh không có danh tính người tố cáo."),
    "guide": gettext_lazy("Hướng dẫn công dân đến cơ quan có thẩm quyền và trả lại đơn."),
    "transfer": gettext_lazy("Một vụ việc mới được mở tại cơ quan nhận; bạn theo dõi được trạng thái của nó tại đây."),
    "file": gettext_lazy("Đơn không đủ điều kiện xử lý: lưu 1 năm, sau đó người đứng đầu quyết định."),
    "end": gettext_lazy("Vụ việc đã được giải quyết đúng, không có tình tiết mới: vụ việc vào danh sách theo dõi."),
}


class AssignForm(DomainForm):
    handler = forms.ModelChoiceField(label=gettext_lazy("Người xử lý"), queryset=User.objects.none(),
                                     empty_label=gettext_lazy("— Chọn người xử lý —"))

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = candidates if candidates is not None else User.objects.none()
        self.fields["handler"].label_from_instance = lambda user: user.full_name or user.get_username()


class ExtendForm(DomainForm):
    decision_number = forms.CharField(label=gettext_lazy("Số quyết định gia hạn"), max_length=64)
    days = forms.IntegerField(label=gettext_lazy("Số ngày gia hạn"), min_value=1)
    decided_on = forms.DateField(label=gettext_lazy("Ngày quyết định (không bắt buộc)"), required=False,
                                 input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = deadlines.denunciation_extension_max_days()
        self.fields["days"].max_value = limit
        self.fields["days"].widget.attrs["max"] = limit
        self.fields["days"].validators.append(MaxValueValidator(limit))
        self.fields["days"].help_text = _("Mỗi lần từ 1 đến %(n)s ngày, tối đa %(m)s lần.") % {
            "n": limit, "m": deadlines.denunciation_max_extensions()}


SPLIT_PARTS = 3  # rows offered by the split form; at least two must be filled


class SplitForm(DomainForm):
    """Tách đơn: a mixed matter becomes one case per part (the first part stays on this case)."""

    field_map = {"parts": "part1_summary"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, SPLIT_PARTS + 1):
            required = n <= 2
            self.fields[f"part{n}_kind"] = forms.ChoiceField(
                label=_("Phần %(n)s: loại việc") % {"n": n}, required=required,
                choices=([] if required else _blank(_("— Không dùng —"))) + list(MatterKind.choices))
            self.fields[f"part{n}_field"] = forms.ChoiceField(
                label=_("Phần %(n)s: lĩnh vực") % {"n": n}, required=required, choices=CaseField.choices,
                initial=CaseField.OTHER)
            self.fields[f"part{n}_summary"] = forms.CharField(
                label=_("Phần %(n)s: tóm tắt nội dung") % {"n": n}, required=required, max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}))

    def parts(self) -> list[dict]:
        data = self.cleaned_data
        return [{"kind": data[f"part{n}_kind"], "field": data[f"part{n}_field"] or CaseField.OTHER,
                 "summary": data[f"part{n}_summary"]}
                for n in range(1, SPLIT_PARTS + 1) if data.get(f"part{n}_kind") and data.get(f"part{n}_summary")]


class LinkPreviousForm(DomainForm):
    """Tiếp khiếu, tiếp tố: the earlier case this one repeats, by its number."""

    number = forms.CharField(label=gettext_lazy("Số vụ việc trước (ví dụ X01001-2026-0007)"), max_length=40)
    field_map = {"previous": "number"}


class DocumentForm(DomainForm):
    file = forms.FileField(label=gettext_lazy("Tệp (PDF, JPEG hoặc PNG, tối đa 20 MB)"),
                           widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > services.MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(_("Tệp quá lớn (tối đa 20 MB)."))
        head = upload.read(8)
        upload.seek(0)
        magic = ALLOWED_UPLOADS.get(upload.content_type or "")
        if magic is None or not head.startswith(magic):
            raise forms.ValidationError(_("Chỉ nhận tệp PDF, JPEG hoặc PNG."))
        return upload


# --- the inbox ---------------------------------------------------------------------------------------------

def _may_use_inbox(user) -> bool:
    return bool(user.is_superuser or is_staff_member(user))


@login_required
@require_GET
def case_inbox(request):
    user = request.user
    if not _may_use_inbox(user):
        raise PermissionDenied
    offices = list(offices_for(user).order_by("path")[:MAX_OFFICE_SELECT + 1])
    form = InboxFilterForm(request.GET or None, offices=offices)
    today = timezone.localdate()
    queryset = access.visible_cases(user).select_related("office", "handler", "transferred_from__office")
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if filters.get("state"):
        queryset = queryset.filter(state=filters["state"])
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    if filters.get("office"):
        queryset = queryset.filter(office__code=filters["office"].strip())
    if filters.get("overdue"):
        queryset = queryset.overdue(today)
    if filters.get("mine"):
        queryset = queryset.filter(handler=user)
    paginator = Paginator(queryset.order_by("-received_on", "-pk"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    cal = _calendar()
    rows = [{"case": case, "deadline": nearest_deadline(case, today, cal),
             "incoming": case.source == CaseSource.TRANSFER and case.transferred_from_id is not None}
            for case in page.object_list]
    from followup import access as followup_access
    from followup.services import overdue_task_counts  # the follow-up pages build on this module

    tasks_overdue = overdue_task_counts([row["case"].pk for row in rows], today)
    for row in rows:
        row["tasks_overdue"] = tasks_overdue.get(row["case"].pk, 0)
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(request, "frontend/cases/inbox.html", {
        "form": form, "rows": rows, "page": page, "paginator": paginator, "today": today,
        "query": urlencode(query), "many_offices": len(offices) > 1,
        "single_office": offices[0] if len(offices) == 1 else None,
        "warning_days": deadlines.warning_working_days(),
        # the follow-up links, only to those the pages would let in
        "may_register_letters": bool(followup_access.letter_offices(user, limit=50)),
        "may_decide_filed": bool(followup_access.destruction_office_ids(user)),
    })


# --- the case file -----------------------------------------------------------------------------------------

def _get_case(request, public_id) -> Case:
    case = (Case.objects.select_related("office__parent", "handler", "previous_case__office",
                                        "transferred_from__office", "split_from__office", "transfer_to_office",
                                        "session")
            .filter(public_id=public_id).first())
    if case is None:
        raise Http404
    if not access.may_view(request.user, case):
        raise PermissionDenied
    return case


def _transfer_choices(case: Case, search: str) -> list:
    """Offices to transfer to, grouped: search results, the tiers above, the same tier, the tier below."""
    own = case.office
    ancestors = [p for p in own.path.split("/") if p]
    groups = []
    if search:
        qs = Office.objects.filter(is_active=True).exclude(pk=own.pk)
        words = fold(search).split()
        if words:
            condition = Q()
            for word in words:
                condition &= Q(search_text__contains=word)
            qs = qs.filter(condition | Q(code__iexact=search.strip()))
            groups.append((_("Kết quả tìm kiếm"), list(qs.order_by("path")[:TRANSFER_SEARCH_LIMIT])))
    up = Office.objects.filter(is_active=True, path__in=["/".join(ancestors[:i]) + "/" for i in
                                                         range(1, len(ancestors))]).order_by("path")
    groups.append((_("Cấp trên"), list(up)))
    if own.parent_id:
        groups.append((_("Cùng cấp"), list(Office.objects.filter(is_active=True, parent_id=own.parent_id)
                                           .exclude(pk=own.pk).order_by("name")[:500])))
    groups.append((_("Cấp dưới"), list(Office.objects.filter(is_active=True, parent=own).order_by("name")[:500])))
    return [(label, [(o.code, f"{o.name} ({o.code})") for o in offices]) for label, offices in groups if offices]


def _handler_candidates(case: Case):
    ids = (RoleAssignment.objects.filter(office=case.office, role__in=list(access.WRITER_ROLES),
                                         user__is_active=True).values_list("user_id", flat=True))
    return User.objects.filter(pk__in=list(ids)).order_by("full_name", "pk")


def _linked(case: Case | None, user) -> dict | None:
    if case is None:
        return None
    return {"case": case, "may_open": access.may_view(user, case)}


def _section_of(case: Case):
    from minutes.models import CitizenSection

    return CitizenSection.objects.select_related("minutes__session").filter(case_public_id=case.public_id).first()


def _detail_context(request, case: Case, bound: dict | None = None) -> dict:
    """Everything the case file shows; ``bound`` holds the posted form that failed (by its key)."""
    user = request.user
    bound = bound or {}
    today = timezone.localdate()
    cal = _calendar()
    tracked = {name for name, _due in tracked_deadlines(case)}
    deadline_rows = []
    for name, due in (("citizen_notice", case.citizen_notice_due), ("acceptance", case.acceptance_due),
                      ("resolution", case.resolution_due)):
        if due is None:
            continue
        info = deadline_info(name, due, today, cal) if name in tracked else {
            "name": name, "label": DEADLINE_NAMES[name], "due": due, "tone": "done",
            "text": _("Không còn theo dõi")}
        deadline_rows.append(info)
    may_write = access.may_write(user, case)
    context = {
        "case": case, "today": today, "deadlines": deadline_rows,
        "show_summary": access.may_see_summary(user, case),
        "redacted_content": _(access.REDACTED_CONTENT),
        "parties": [access.party_view(case, party, user, request=request) for party in case.parties.all()],
        "transitions": [
            {"t": t, "action": ACTION_LABELS.get(t.action, t.action), "note": access.transition_note(user, case, t),
             "from": workflow.label(t.from_state) if t.from_state else "", "to": workflow.label(t.to_state)}
            for t in case.transitions.select_related("by")],
        "extensions": list(case.extensions.all()),
        "previous": _linked(case.previous_case, user),
        "transferred_from": _linked(case.transferred_from, user),
        "transfers": [_linked(c, user) for c in case.transfers.select_related("office").order_by("pk")],
        "split_from": _linked(case.split_from, user),
        "split_parts": [_linked(c, user) for c in case.split_parts.select_related("office").order_by("pk")],
        "repeats": [_linked(c, user) for c in case.repeats.select_related("office").order_by("pk")],
        "documents": list(case.documents.all()),
        "may_write": may_write,
        "may_read_documents": access.may_see_identity(user, case) if access.is_secret(case) else True,
    }
    section = _section_of(case) if case.session_id else None
    if section is not None:
        from minutes import access as minutes_access

        context["section"] = section
        context["may_open_minutes"] = minutes_access.may_edit(user, case.session)
    forms_ = []
    if may_write:
        search = request.GET.get("tim_co_quan", "").strip()[:100]
        context["office_search"] = search
        allowed = workflow.TRANSITIONS.get(case.state, frozenset())
        for action, form_class in MOVE_FORMS.items():
            if workflow.ACTIONS[action] not in allowed:
                continue
            key = f"move-{action}"
            kwargs = {"prefix": action}
            if action == "transfer":
                kwargs["office_choices"] = choices = _transfer_choices(case, search)
                found = bool(search and choices and choices[0][0] == _("Kết quả tìm kiếm"))
                context["office_search_missed"] = bool(search) and not found
                if found:
                    kwargs["initial"] = {"target_office": choices[0][1][0][0]}  # the first match, selected
            if action == "classify":
                kwargs["initial"] = {"kind": case.kind, "field": case.field, "is_complex": case.is_complex,
                                     "is_second_time": case.is_second_time}
            form = bound.get(key) or form_class(**kwargs)
            forms_.append({"key": key, "action": action, "form": form, "button": MOVE_BUTTONS[action],
                           "hint": MOVE_HINTS.get(action, ""), "open": key in bound or action == "transfer" and bool(search)})
    context["move_forms"] = forms_
    if access.may_assign(user, case) and case.is_open:
        context["assign_form"] = bound.get("assign") or AssignForm(
            prefix="assign", candidates=_handler_candidates(case),
            initial={"handler": case.handler_id} if case.handler_id else None)
    if (access.may_extend(user, case) and case.is_denunciation
            and case.state in (CaseState.ACCEPTED, CaseState.VERIFYING)):
        context["extend_form"] = bound.get("extend") or ExtendForm(prefix="extend")
    if may_write:
        context["document_form"] = bound.get("document") or DocumentForm(prefix="document")
        if case.state in workflow.SPLITTABLE_STATES:
            context["split_form"] = bound.get("split") or SplitForm(prefix="split")
        if case.previous_case_id is None and case.kind in (MatterKind.COMPLAINT, MatterKind.DENUNCIATION):
            context["link_form"] = bound.get("link") or LinkPreviousForm(prefix="link")
    context["bound"] = set(bound)
    from frontend.followup_views import case_banner  # the follow-up pages build on this module

    context["followup"] = case_banner(case, user, today)
    return context


def _detail_url(case: Case, anchor: str = "") -> str:
    return reverse("frontend:case-detail", args=[case.public_id]) + (f"#{anchor}" if anchor else "")


def _refused(request, exc: DomainError, form) -> None:
    if exc.code == "forbidden":
        raise PermissionDenied from exc
    form.add_domain_error(exc)
    messages.error(request, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def case_detail(request, public_id):
    case = _get_case(request, public_id)
    if request.method == "GET":
        return render(request, "frontend/cases/detail.html", _detail_context(request, case))
    key = request.POST.get("form", "")
    if key.startswith("move-") and key.removeprefix("move-") in MOVE_FORMS:
        return _post_move(request, case, key.removeprefix("move-"))
    if key in POST_HANDLERS:
        return POST_HANDLERS[key](request, case)
    messages.error(request, _("Thao tác không hợp lệ."))
    return redirect(_detail_url(case))


def _rerender(request, case, key, form):
    case.refresh_from_db()
    return render(request, "frontend/cases/detail.html", _detail_context(request, case, {key: form}), status=400)


def _post_move(request, case: Case, action: str):
    if not access.may_write(request.user, case):
        raise PermissionDenied
    kwargs = {"data": request.POST, "prefix": action}
    if action == "transfer":
        kwargs["office_choices"] = _transfer_choices(case, request.GET.get("tim_co_quan", "").strip()[:100])
    form = MOVE_FORMS[action](**kwargs)
    key = f"move-{action}"
    if action == "transfer" and form.is_bound and form.data.get("transfer-target_office"):
        # Keep a choice found by search (or typed with JavaScript) selectable when the page comes back.
        office = Office.objects.filter(code=form.data["transfer-target_office"], is_active=True).first()
        widget = form.fields["target_office"].widget
        listed = {value for _group, options in widget.choices if isinstance(options, list) for value, _l in options}
        if office is not None and office.code not in listed:
            widget.choices.append((office.code, f"{office.name} ({office.code})"))
    if not form.is_valid():
        messages.error(request, _("Chưa thực hiện được. Vui lòng xem lại các ô được đánh dấu."))
        return _rerender(request, case, key, form)
    data = form.service_kwargs()
    try:
        result = services.transition(case, request.user, action, request=request, **data)
    except DomainError as exc:
        _refused(request, exc, form)
        return _rerender(request, case, key, form)
    if action == "transfer":
        received = case.transfers.select_related("office").order_by("-pk").first()
        messages.success(request, _("Đã chuyển đơn đến %(office)s; vụ việc mới số %(number)s.") % {
            "office": data["target_office"].name, "number": received.number if received else "—"})
    else:
        messages.success(request, _("Đã cập nhật: %(state)s.") % {"state": workflow.label(result.state)})
    return redirect(_detail_url(case, "state"))


def _post_assign(request, case: Case):
    if not access.may_assign(request.user, case):
        raise PermissionDenied
    form = AssignForm(request.POST, prefix="assign", candidates=_handler_candidates(case))
    if not form.is_valid():
        messages.error(request, _("Chưa phân công được. Vui lòng xem lại các ô được đánh dấu."))
        return _rerender(request, case, "assign", form)
    try:
        services.assign_handler(case, request.user, form.cleaned_data["handler"], request=request)
    except DomainError as exc:
        _refused(request, exc, form)
        return _rerender(request, case, "assign", form)
    messages.success(request, _("Đã phân công %(name)s xử lý vụ việc.") % {
        "name": form.cleaned_data["handler"].full_name})
    return redirect(_detail_url(case, "assign"))


def _post_extend(request, case: Case):
    if not access.may_extend(request.user, case):
        raise PermissionDenied
    form = ExtendForm(request.POST, prefix="extend")
    if not form.is_valid():
        messages.error(request, _("Chưa gia hạn được. Vui lòng xem lại các ô được đánh dấu."))
        return _rerender(request, case, "extend", form)
    data = form.cleaned_data
    try:
        extension = services.extend_deadline(case, data["decision_number"], data["days"], request.user,
                                             decided_on=data["decided_on"], request=request)
    except DomainError as exc:
        _refused(request, exc, form)
        return _rerender(request, case, "extend", form)
    case.refresh_from_db()
    messages.success(request, _("Đã gia hạn lần %(n)s; hạn giải quyết mới: %(due)s.") % {
        "n": extension.ordinal, "due": case.resolution_due.strftime("%d/%m/%Y") if case.resolution_due else "—"})
    return redirect(_detail_url(case, "deadlines"))


def _post_document(request, case: Case):
    if not access.may_write(request.user, case):
        raise PermissionDenied
    form = DocumentForm(request.POST, request.FILES, prefix="document")
    if not form.is_valid():
        messages.error(request, _("Chưa tải lên được. Vui lòng xem lại tệp đã chọn."))
        return _rerender(request, case, "document", form)
    upload = form.cleaned_data["file"]
    try:
        services.add_document(case, request.user, content=upload.read(), name=upload.name or "",
                              content_type=upload.content_type, request=request)
    except DomainError as exc:
        _refused(request, exc, form)
        return _rerender(request, case, "document", form)
    messages.success(request, _("Đã tải tệp lên hồ sơ."))
    return redirect(_detail_url(case, "documents"))


def _post_split(request, case: Case):
    if not access.may_write(request.user, case):
        raise PermissionDenied
    form = SplitForm(request.POST, prefix="split")
    if not form.is_valid():
        messages.error(request, _("Chưa tách được. Vui lòng xem lại các ô được đánh dấu."))
        return _rerender(request, case, "split", form)
    try:
        siblings = services.split_case(case, form.parts(), request.user, request=request)
    except DomainError as exc:
        _refused(request, exc, form)
        return _rerender(request, case, "split", form)
    messages.success(request, _("Đã tách thành %(n)s vụ việc: %(numbers)s.") % {
        "n": len(siblings), "numbers": ", ".join(c.number for c in siblings)})
    return redirect(_detail_url(case, "links"))


def _post_link(request, case: Case):
    if not access.may_write(request.user, case):
        raise PermissionDenied
    form = LinkPreviousForm(request.POST, prefix="link")
    if not form.is_valid():
        messages.error(request, _("Chưa liên kết được. Vui lòng xem lại ô đã đánh dấu."))
        return _rerender(request, case, "link", form)
    previous = access.visible_cases(request.user).filter(number=form.cleaned_data["number"].strip()).first()
    if previous is None:
        form.add_error("number", _("Không tìm thấy vụ việc có số này trong các vụ việc bạn được xem."))
        messages.error(request, _("Chưa liên kết được. Vui lòng xem lại ô đã đánh dấu."))
        return _rerender(request, case, "link", form)
    try:
        services.link_previous(case, previous, request.user, request=request)
    except DomainError as exc:
        _refused(request, exc, form)
        return _rerender(request, case, "link", form)
    messages.success(request, _("Đã liên kết với vụ việc trước số %(number)s.") % {"number": previous.number})
    return redirect(_detail_url(case, "links"))


POST_HANDLERS = {"assign": _post_assign, "extend": _post_extend, "document": _post_document,
                 "split": _post_split, "link": _post_link}


# --- the citizen's own cases -------------------------------------------------------------------------------

def _citizen_deadline(case: Case) -> str:
    """The date that concerns the citizen, in words."""
    if case.state in (CaseState.RECEIVED, CaseState.CLASSIFIED) and case.citizen_notice_due:
        return _("Cơ quan sẽ thông báo cho bạn cách xử lý đơn chậm nhất ngày %(d)s.") % {
            "d": case.citizen_notice_due.strftime("%d/%m/%Y")}
    if case.state in (CaseState.ACCEPTED, CaseState.VERIFYING) and case.resolution_due:
        return _("Hạn giải quyết: ngày %(d)s.") % {"d": case.resolution_due.strftime("%d/%m/%Y")}
    if case.state == CaseState.TRANSFERRED and case.transfer_to_office_id:
        return _("Đơn đã được chuyển đến %(office)s (văn bản số %(n)s).") % {
            "office": case.transfer_to_office.name, "n": case.transfer_document_number}
    if case.state == CaseState.GUIDED:
        return _("Bạn được hướng dẫn gửi đơn đến: %(body)s.") % {"body": case.guided_to_body}
    if case.state == CaseState.CONCLUDED and case.concluded_on:
        return _("Đã kết luận ngày %(d)s.") % {"d": case.concluded_on.strftime("%d/%m/%Y")}
    return ""


def _citizen_sections(user):
    """The citizen's own sections in finalised minutes (the notice and receipt exist only then)."""
    from minutes.models import CitizenSection, MinutesState

    return (CitizenSection.objects.select_related("minutes__session__host_office")
            .filter(citizen=user, minutes__state=MinutesState.FINAL).order_by("-minutes__session__starts_at", "pk"))


@login_required
@require_GET
def my_cases(request):
    user = request.user
    case_ids = CaseParty.objects.filter(user=user).values("case_id")
    cases = list(Case.objects.filter(pk__in=case_ids).select_related("office", "transfer_to_office")
                 .order_by("-received_on", "-pk")[:200])
    sections = list(_citizen_sections(user)[:200])
    by_case: dict = {}
    loose = []
    known = {c.public_id for c in cases}
    for section in sections:
        if section.case_public_id in known:
            by_case.setdefault(section.case_public_id, []).append(section)
        else:
            loose.append(section)
    rows = [{"case": c, "state": CITIZEN_STATES.get(c.state, c.get_state_display()),
             "deadline": _citizen_deadline(c), "sections": by_case.get(c.public_id, [])} for c in cases]
    return render(request, "frontend/cases/my_cases.html", {"rows": rows, "loose": loose})


@login_required
@require_GET
def my_case_document(request, section_id, kind):
    """Thông báo kết luận / giấy biên nhận of the citizen's own section (finalised minutes only)."""
    from documents import adapters
    from documents import render as documents_render
    from documents.views import file_response

    if kind not in CITIZEN_DOCUMENTS:
        raise Http404
    section = get_object_or_404(_citizen_sections(request.user).select_related("minutes__session__host_office__parent"),
                                pk=section_id)
    minutes = section.minutes
    if kind == "receipt":
        data = documents_render.receipt_pdf(adapters.receipt_doc(section))
        name = f"giay-bien-nhan-{minutes.pk}-{section.ordinal}.pdf"
    else:
        data = documents_render.notice_of_conclusions_pdf(adapters.notice_doc(section))
        name = f"thong-bao-ket-luan-{minutes.pk}-{section.ordinal}.pdf"
    record(actor=request.user, action="documents.export", obj=section, request=request,
           details={"document": f"{kind}.pdf", "audience": "citizen"})
    return file_response(data, name, "application/pdf")
