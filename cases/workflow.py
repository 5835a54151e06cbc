"""The legal workflow of a case (quy trình xử lý đơn / vụ việc) as a PURE state machine: no database, no
request; ``cases.services`` loads the case under a row lock, asks this module whether the move is legal and
what it needs, then writes.

States and the table of legal transitions::

    received ──classify──▶ classified ──accept──▶ accepted ──start_verifying──▶ verifying ──conclude──▶ concluded
                              │                     │  └────────conclude──────────────────────────────▶ concluded
                              │                     └──end──▶ ended
                              ├──guide────▶ guided       (hướng dẫn, trả lại đơn: needs the competent body)
                              ├──transfer─▶ transferred  (chuyển đơn: needs the target office + document number)
                              ├──file─────▶ filed        (lưu đơn: ineligible; kept 1 year, then the head decides)
                              └──end──────▶ ended        (thông báo chấm dứt thụ lý: needs a document number;
                                                           the case stays on the watch list)

``concluded``, ``guided``, ``transferred``, ``filed`` and ``ended`` are final: nothing leaves them (a new
petition on the same matter is a NEW case linked by ``previous_case``). A petition must be classified
before any outcome is decided, so ``received`` has exactly one way out.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError


class CaseState(TextChoices):
    RECEIVED = "received", gettext_lazy("Đã tiếp nhận")
    CLASSIFIED = "classified", gettext_lazy("Đã phân loại")
    ACCEPTED = "accepted", gettext_lazy("Đã thụ lý")
    VERIFYING = "verifying", gettext_lazy("Đang xác minh")
    CONCLUDED = "concluded", gettext_lazy("Đã kết luận")
    GUIDED = "guided", gettext_lazy("Đã hướng dẫn, trả lại đơn")
    TRANSFERRED = "transferred", gettext_lazy("Đã chuyển đơn")
    FILED = "filed", gettext_lazy("Lưu đơn")
    ENDED = "ended", gettext_lazy("Chấm dứt thụ lý")


S = CaseState

TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.CLASSIFIED}),
    S.CLASSIFIED: frozenset({S.ACCEPTED, S.GUIDED, S.TRANSFERRED, S.FILED, S.ENDED}),
    S.ACCEPTED: frozenset({S.VERIFYING, S.CONCLUDED, S.ENDED}),
    S.VERIFYING: frozenset({S.CONCLUDED}),
    S.CONCLUDED: frozenset(),
    S.GUIDED: frozenset(),
    S.TRANSFERRED: frozenset(),
    S.FILED: frozenset(),
    S.ENDED: frozenset(),
}

# Action name (API and services) → the state it leads to.
ACTIONS: dict[str, str] = {
    "classify": S.CLASSIFIED,
    "accept": S.ACCEPTED,
    "start_verifying": S.VERIFYING,
    "conclude": S.CONCLUDED,
    "guide": S.GUIDED,
    "transfer": S.TRANSFERRED,
    "file": S.FILED,
    "end": S.ENDED,
}

OPEN_STATES = frozenset({S.RECEIVED, S.CLASSIFIED, S.ACCEPTED, S.VERIFYING})
FINAL_STATES = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
# States in which the matter may still be split (a mixed petition is split before any outcome).
SPLITTABLE_STATES = frozenset({S.RECEIVED, S.CLASSIFIED})


class WorkflowError(DomainError):
    """An illegal move; ``code`` says which rule refused it."""


def label(state: str) -> str:
    try:
        return str(CaseState(state).label)
    except ValueError:
        return str(state)


def legal_pairs() -> list[tuple[str, str]]:
    return [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]


def illegal_pairs() -> list[tuple[str, str]]:
    return [(a, b) for a in TRANSITIONS for b in TRANSITIONS if b not in TRANSITIONS[a]]


def target_of(action: str) -> str:
    if action not in ACTIONS:
        raise WorkflowError(_("Thao tác “%(action)s” không tồn tại.") % {"action": action}, "invalid_action",
                            "action")
    return ACTIONS[action]


def check_transition(from_state: str, to_state: str) -> None:
    """Raise :class:`WorkflowError` whose message says why ``from_state → to_state`` is refused."""
    if from_state not in TRANSITIONS:
        raise WorkflowError(_("Trạng thái hiện tại không hợp lệ."), "invalid_state", "state")
    if to_state not in TRANSITIONS:
        raise WorkflowError(_("Trạng thái đích không hợp lệ."), "invalid_state", "action")
    if to_state in TRANSITIONS[from_state]:
        return
    names = {"from": label(from_state), "to": label(to_state)}
    if from_state in FINAL_STATES:
        raise WorkflowError(
            _("Vụ việc đã ở trạng thái cuối “%(from)s”; không thể chuyển sang “%(to)s”. Đơn mới cùng nội dung "
              "phải lập vụ việc mới liên kết với vụ việc này.") % names, "final_state", "action")
    if from_state == to_state:
        raise WorkflowError(_("Vụ việc đã ở trạng thái “%(from)s”.") % names, "same_state", "action")
    if from_state == S.RECEIVED:
        raise WorkflowError(_("Đơn đang ở trạng thái “%(from)s”: phải phân loại trước khi quyết định “%(to)s”.") % names, "not_classified",
                            "action")
    allowed = ", ".join(f"“{label(t)}”" for t in sorted(TRANSITIONS[from_state]))
    raise WorkflowError(
        _("Không thể chuyển từ “%(from)s” sang “%(to)s”; từ trạng thái này chỉ được chuyển sang: %(allowed)s.")
        % {**names, "allowed": allowed}, "illegal_transition", "action")


def _blank(value) -> bool:
    return not str(value or "").strip()


def check_requirements(to_state: str, data: Mapping) -> None:
    """What a move needs besides a legal pair (``data`` holds the transition's inputs)."""
    if to_state == S.TRANSFERRED:
        if data.get("target_office") is None and _blank(data.get("target_body")):
            raise WorkflowError(_("Chuyển đơn phải nêu cơ quan có thẩm quyền nhận đơn."), "required",
                                "target_office")
        if _blank(data.get("document_number")):
            raise WorkflowError(_("Chuyển đơn phải có số văn bản chuyển đơn."), "required", "document_number")
    elif to_state == S.ENDED:
        if _blank(data.get("document_number")):
            raise WorkflowError(_("Thông báo chấm dứt thụ lý phải có số văn bản."), "required", "document_number")
    elif to_state == S.GUIDED:
        if _blank(data.get("guided_to_body")):
            raise WorkflowError(_("Hướng dẫn phải nêu cơ quan có thẩm quyền giải quyết."), "required",
                                "guided_to_body")


def plan(from_state: str, action: str, data: Mapping | None = None) -> str:
    """The state ``action`` leads to from ``from_state``, or a WorkflowError saying why not."""
    to_state = target_of(action)
    check_transition(from_state, to_state)
    check_requirements(to_state, data or {})
    return to_state


def validate_split_parts(parts, kinds, fields) -> list[dict]:
    """A mixed matter (vừa khiếu nại vừa tố cáo…) split into at least two parts, each with a kind, a summary
    and a field. Returns the cleaned parts."""
    if not isinstance(parts, list | tuple) or len(parts) < 2:
        raise WorkflowError(_("Tách vụ việc cần ít nhất hai phần."), "too_few_parts", "parts")
    cleaned = []
    for part in parts:
        if not isinstance(part, Mapping):
            raise WorkflowError(_("Mỗi phần phải có loại việc, nội dung và lĩnh vực."), "invalid", "parts")
        kind, summary, field = part.get("kind"), str(part.get("summary") or "").strip(), part.get("field", "other")
        if kind not in kinds:
            raise WorkflowError(_("Loại việc không hợp lệ."), "invalid_choice", "parts")
        if field not in fields:
            raise WorkflowError(_("Lĩnh vực không hợp lệ."), "invalid_choice", "parts")
        if not summary:
            raise WorkflowError(_("Mỗi phần phải có tóm tắt nội dung."), "required", "parts")
        cleaned.append({"kind": kind, "summary": summary, "field": field})
    return cleaned
