"""``{% case_duplicates case as dup %}`` for frontend/templates/frontend/cases/_duplicates.html: the possible
duplicates the signed-in user may be told about, and the repeated-transfer count (cases/duplicates.py)."""

from __future__ import annotations

from django import template

from cases import duplicates

register = template.Library()


@register.simple_tag(takes_context=True)
def case_duplicates(context, case) -> dict:
    user = context.get("user")
    transfers = duplicates.transfer_count(case)
    return {"matches": duplicates.find(user, case), "transfers": transfers,
            "repeated_transfer": transfers >= duplicates.repeated_transfer_threshold()}
