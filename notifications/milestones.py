"""Notices the case workflow produces (called by ``cases.services`` inside its transaction):

* a transfer arrives: the receiving office's leaders and reception officers (``case.transfer_in``);
* a citizen's own case is accepted, transferred or concluded: SMS (e-mail without a phone) to each citizen
  who is a party of THAT case with an account — the case number, the step and (transfer) the office, never
  a name nor the content. The recipient is the party themselves, whom ``may_see_denouncer`` always allows
  (``citizen_id``); nobody else is told about a party (docs/notifications.md, docs/secrecy.md).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.permissions import may_see_denouncer
from notifications.services import notify

CITIZEN_STEPS = ("accept", "conclude", "transfer")


def _citizen_text(case, action: str, received=None) -> tuple[str, str]:
    if action == "accept":
        title = _("Đơn số %(n)s đã được thụ lý") % {"n": case.number}
        body = _("Đơn số %(n)s của ông/bà đã được %(o)s thụ lý giải quyết.") % {"n": case.number, "o": case.office.name}
    elif action == "conclude":
        title = _("Đơn số %(n)s đã có kết quả giải quyết") % {"n": case.number}
        body = _("Đơn số %(n)s của ông/bà đã có kết quả giải quyết tại %(o)s.") % {
            "n": case.number, "o": case.office.name}
    else:
        target = received.office.name if received is not None else (case.transfer_to_office.name
                                                                    if case.transfer_to_office else "")
        title = _("Đơn số %(n)s đã được chuyển") % {"n": case.number}
        body = _("Đơn số %(n)s của ông/bà đã được chuyển đến %(o)s để giải quyết.") % {"n": case.number, "o": target}
    return title, body


def notify_citizens(case, action: str, received=None) -> int:
    """The case's own citizens (parties with an account) hear of its milestone once."""
    if action not in CITIZEN_STEPS:
        return 0
    title, body = _citizen_text(case, action, received)
    sent = 0
    parties = case.parties.filter(user__isnull=False, user__is_active=True).select_related("user")
    for party in parties:
        user = party.user
        if not may_see_denouncer(user, office=case.office, citizen_id=party.user_id):
            continue  # never happens for the party themselves: the rule is asked all the same
        channel = "sms" if user.phone else ("email" if user.email else "inbox")
        sent += len(notify(user, f"citizen.case.{action}", case, title=title, body=body,
                           key=f"citizen.case.{action}:{case.pk}", url=reverse("frontend:my-cases"),
                           channel=channel))
    return sent


def case_moved(case, action: str) -> None:
    """Hook of ``cases.services._move`` (accept, conclude)."""
    if action in ("accept", "conclude"):
        notify_citizens(case, action)


def case_transferred(sender, received) -> None:
    """Hook of ``cases.services.transfer``: the receiving office's staff, and the sender case's citizens."""
    notify(received.office, "case.transfer_in", received,
           title=_("Đơn chuyển đến: vụ việc %(n)s") % {"n": received.number},
           body=_("%(from)s chuyển đến vụ việc %(n)s (%(k)s).") % {
               "from": sender.office.name, "n": received.number, "k": received.get_kind_display()},
           key=f"case.transfer_in:{received.pk}")
    notify_citizens(sender, "transfer", received)
