"""The secretary's minutes editor (biên bản): ``/lam-viec/phien/<session>/bien-ban/``.

Server-rendered first: every field is a form control with its version, and the page works without
JavaScript (one "Lưu" button posts the changed fields through ``minutes.services``, the same optimistic
rules as the API). ``frontend/static/frontend/minutes.js`` adds autosave every few seconds over
``/api/minutes/`` and picks up the other editors' saves. Finalize, the citizen's confirmation status,
"create a case from this section" and the exports are buttons and links here.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import IdDocumentType
from core.errors import DomainError
from frontend import views as frontend_views
from minutes import access, services
from minutes.api import minutes_data
from minutes.models import ConfirmationWay, Minutes, MinutesState
from scheduling.models import MatterKind
from sessions.models import ReceptionSession

TEXT_FIELDS = ("statement", "leader_answer", "conclusions")


def _session(request, public_id) -> ReceptionSession:
    session = get_object_or_404(ReceptionSession.objects.select_related("host_office"), public_id=public_id)
    if not access.may_edit(request.user, session):
        raise PermissionDenied
    return session


def _editor_url(session) -> str:
    return reverse("frontend:minutes-editor", args=[session.public_id])


def documents_to_lines(items: list[dict]) -> str:
    """The documents handed over as editable lines: ``title; pages; condition``."""
    return "\n".join("; ".join(str(part) for part in (i.get("title", ""), i.get("pages") or "", i.get("condition", "")))
                     .rstrip("; ") for i in items or [])


def lines_to_documents(text: str) -> list[dict]:
    """Lines ``title; pages; condition`` → the documents list. The page count is a whole number (or left
    empty); anything else is refused with the line's number, never dropped silently."""
    items = []
    for number, line in enumerate((text or "").splitlines(), 1):
        parts = [p.strip() for p in line.split(";")]
        if not parts[0]:
            continue
        pages = parts[1] if len(parts) > 1 else ""
        if pages and not (pages.isascii() and pages.isdigit()):
            raise services.MinutesError(
                _("Dòng %(n)s: số trang phải là một số nguyên (ví dụ: Đơn khiếu nại; 3; bản chính).") % {"n": number},
                "invalid", "documents_handed_over")
        items.append({"title": parts[0], "pages": int(pages) if pages else None,
                      "condition": "; ".join(parts[2:]) if len(parts) > 2 else ""})
    return items


# The room page, allowed in a frame of our own origin only: the secretary's console puts it beside the minutes.
room_embedded = xframe_options_sameorigin(frontend_views.room)


@login_required
@require_http_methods(["GET"])
def secretary_console(request, public_id):
    """Bàn thư ký: the live room and the minutes editor side by side (stacked on a phone)."""
    return minutes_editor(request, public_id, console=True)


@login_required
@require_http_methods(["GET", "POST"])
def minutes_editor(request, public_id, console=False):
    session = _session(request, public_id)
    minutes = Minutes.objects.filter(session=session).first()
    if request.method == "POST":
        return _save_form(request, session, minutes)
    context = {"session": session, "minutes": minutes, "kinds": MatterKind.choices,
               "id_types": IdDocumentType.choices, "console": console and session.status == "open"}
    if minutes is not None:
        data = minutes_data(minutes, full=True, viewer=request.user, request=request)
        for section in data["sections"]:
            section["documents_text"] = documents_to_lines(section["documents_handed_over"])
            if section.get("citizen_confirmed_at"):
                section["confirmed_at_local"] = parse_datetime(section["citizen_confirmed_at"])
                section["confirmed_way"] = ConfirmationWay(section["citizen_confirmed_via"]).label \
                    if section.get("citizen_confirmed_via") in ConfirmationWay.values else _("cách xác nhận không ghi")
        context.update(data=data, final=minutes.state == MinutesState.FINAL,
                       data_json=json.dumps({"id": minutes.pk, "state": minutes.state}))
    return render(request, "frontend/workspace/minutes.html", context)


def _save_form(request, session, minutes):
    """The no-JavaScript path: open the minutes, or save every field whose value changed. Back to the page
    the form came from (the editor, or the secretary's console)."""
    back = (reverse("frontend:secretary-console", args=[session.public_id]) if request.POST.get("console")
            else _editor_url(session))
    try:
        if minutes is None or request.POST.get("action") == "open":
            services.open_minutes(session, request.user, request=request)
            return redirect(back)
        saved, conflicts = 0, 0
        sections = {str(section.pk): section for section in minutes.sections.all()}
        for key, raw in request.POST.items():
            if not key.startswith("f:"):
                continue
            _prefix, scope, field = key.split(":", 2)
            base = request.POST.get(f"v:{scope}:{field}", "0")
            value = _form_value(field, raw, request.POST)
            current = _current_value(minutes, sections, scope, field)
            if value == current:
                continue
            kwargs = {"field": field, "value": value, "base_version": int(base) if base.isdigit() else -1,
                      "request": request}
            result = (services.save_header_field(minutes, request.user, **kwargs) if scope == "h"
                      else services.save_section_field(int(scope), request.user, **kwargs))
            saved += 1
            conflicts += result.outcome != "accepted"
        if saved:
            messages.success(request, _("Đã lưu %(n)s trường.") % {"n": saved})
        if conflicts:
            messages.warning(request, _("Có %(n)s trường được người khác sửa cùng lúc: nội dung của cả hai đã được giữ lại, "
                                        "hãy xem lại.") % {"n": conflicts})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(back)


def _form_value(field, raw, post):
    if field == "documents_handed_over":
        return lines_to_documents(raw)
    if field == "identity_checked":
        return raw in ("1", "true", "on")
    if field == "people_count":
        return int(raw) if raw.isdigit() else raw
    return raw


def _current_value(minutes, sections, scope, field):
    """The stored value of a posted field; a field that is not editable is "changed", so the save refuses it
    with a typed error instead of this page failing."""
    if field not in (services.HEADER_FIELDS if scope == "h" else services.SECTION_FIELDS):
        return object()
    if scope == "h":
        return services.dump(getattr(minutes, field))
    section = sections.get(scope)
    if section is None:
        raise services.MinutesError(_("Không tìm thấy phần biên bản."), "not_found")
    return services.dump(getattr(section, field))


@login_required
@require_POST
def minutes_finalize(request, public_id):
    session = _session(request, public_id)
    minutes = get_object_or_404(Minutes, session=session)
    if request.POST.get("confirm") != "1":  # irreversible: the form's required checkbox (issue 11)
        messages.error(request, _("Hãy đánh dấu ô xác nhận trước khi khóa biên bản."))
        return redirect(_editor_url(session))
    try:
        services.finalize(minutes, request.user, request=request)
        messages.success(request, _("Biên bản đã được khóa. Mã kiểm tra SHA-256 đã được lưu."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_editor_url(session))


@login_required
@require_POST
def minutes_section_case(request, public_id, section_id):
    """"Tạo vụ việc từ phần này": the section becomes a case (``minutes.services.create_case_from_section``)."""
    session = _session(request, public_id)
    minutes = get_object_or_404(Minutes, session=session)
    section = get_object_or_404(minutes.sections, pk=section_id)
    try:
        case = services.create_case_from_section(section, request.user, request=request)
        messages.success(request, _("Đã tạo vụ việc số %(number)s.") % {"number": case.number})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_editor_url(session) + f"#section-{section.pk}")
