"""Duplicate and repeat detection (issue 16, item 3): one petition sent to five offices is handled once.

For a case, ``find(user, case)`` lists, among the cases ``user`` may view (``access.visible_cases``: their
offices' subtree and the cases they handle):

* **the same person's other cases** — a party with the same ID-number blind index
  (``CaseParty.id_number_index``, a keyed hash: the numbers are never compared in clear) or the same
  citizen account;
* **similar matters** — received within ``CASE_DUPLICATE_WINDOW_DAYS`` and whose summary resembles this
  one (word-pair Jaccard of the folded text ≥ ``CASE_DUPLICATE_MIN_SIMILARITY``); summaries are encrypted,
  so this compares at most ``CASE_DUPLICATE_MAX_CANDIDATES`` recent cases in Python.

Secrecy (docs/secrecy.md): a match joins two cases' PEOPLE or CONTENT, so it is shown only when the viewer
may see the identity of BOTH (``access.may_see_identity`` — THE rule ``may_see_denouncer`` for a secret
case, may view otherwise). An officer of office A never learns that the complainant in front of him is a
denouncer at office B, nor which complaint a denouncer also filed.

``transfer_count(case)`` — how many times this petition has been transferred to reach this case (its
``transferred_from`` chain); two or more is a "repeated transfer", which the case page and the oversight
dashboard show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from cases import access
from cases.models import Case
from core.text import fold

SAME_PERSON = "same_person"
SIMILAR = "similar"


def _setting(name: str, default):
    return getattr(settings, name, default)


@dataclass
class Match:
    case: Case
    reasons: set[str] = field(default_factory=set)
    similarity: float = 0.0

    may_open = True  # every match is a case the viewer may view

    @property
    def same_person(self) -> bool:
        return SAME_PERSON in self.reasons

    @property
    def similar(self) -> bool:
        return SIMILAR in self.reasons


def shingles(text: str) -> set[tuple[str, str]]:
    words = [w for w in "".join(ch if ch.isalnum() else " " for ch in fold(text or "")).split() if len(w) > 1]
    if len(words) < 2:
        return {(w, "") for w in words}
    return set(zip(words, words[1:], strict=False))


def similarity(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def _linked_ids(case: Case) -> set[int]:
    """Cases already tied to this one (transfers, split, repeats): shown under "related cases" already."""
    ids = {case.pk}
    for pk in (case.transferred_from_id, case.previous_case_id, case.split_from_id):
        if pk:
            ids.add(pk)
    ids.update(Case.objects.filter(Q(transferred_from=case) | Q(previous_case=case) | Q(split_from=case))
               .values_list("pk", flat=True))
    return ids


def same_person_cases(user, case: Case, *, exclude: set[int] | None = None) -> list[Case]:
    parties = list(case.parties.values_list("id_number_index", "user_id"))
    indexes = {index for index, _user in parties if index}
    users = {user_id for _index, user_id in parties if user_id}
    if not indexes and not users:
        return []
    query = Q(parties__id_number_index__in=indexes) if indexes else Q()
    if users:
        query |= Q(parties__user_id__in=users)
    rows = (access.visible_cases(user, Case.objects.filter(query)).exclude(pk__in=exclude or {case.pk})
            .select_related("office").distinct().order_by("-received_on", "-pk")[:50])
    return [c for c in rows if access.may_see_identity(user, c)]


def similar_cases(user, case: Case, *, exclude: set[int] | None = None) -> list[tuple[Case, float]]:
    threshold = float(_setting("CASE_DUPLICATE_MIN_SIMILARITY", 0.5))
    window = int(_setting("CASE_DUPLICATE_WINDOW_DAYS", 365))
    limit = int(_setting("CASE_DUPLICATE_MAX_CANDIDATES", 300))
    start, stop = case.received_on - timedelta(days=window), case.received_on + timedelta(days=window)
    candidates = (access.visible_cases(user, Case.objects.filter(received_on__gte=start, received_on__lte=stop))
                  .exclude(pk__in=exclude or {case.pk}).select_related("office").order_by("-received_on", "-pk")[:limit])
    found = []
    mine = shingles(case.summary)
    if not mine:
        return []
    for other in candidates:
        theirs = shingles(other.summary)
        score = len(mine & theirs) / len(mine | theirs) if theirs else 0.0
        if score >= threshold and access.may_see_identity(user, other):
            found.append((other, score))
    found.sort(key=lambda pair: (-pair[1], -pair[0].pk))
    return found[:20]


def find(user, case: Case) -> list[Match]:
    """Possible duplicates of ``case`` that ``user`` may be told about (empty when they may not see this
    case's people and content)."""
    if not access.may_view(user, case) or not access.may_see_identity(user, case):
        return []
    exclude = _linked_ids(case)
    matches: dict[int, Match] = {}
    for other in same_person_cases(user, case, exclude=exclude):
        matches.setdefault(other.pk, Match(other)).reasons.add(SAME_PERSON)
    for other, score in similar_cases(user, case, exclude=exclude):
        match = matches.setdefault(other.pk, Match(other))
        match.reasons.add(SIMILAR)
        match.similarity = score
    return sorted(matches.values(), key=lambda m: (not m.same_person, -m.similarity, -m.case.received_on.toordinal()))


def find_for_new(user, *, summary: str, id_numbers=(), received_on=None) -> list[Match]:
    """Before registering (a letter's form): the same checks for a case not yet saved. Secret matches
    (denouncers) are shown only to those entitled to them, as above."""
    from django.utils import timezone

    from core.crypto import blind_index

    probe = Case(summary=summary or "", received_on=received_on or timezone.localdate())
    matches: dict[int, Match] = {}
    indexes = {blind_index(n) for n in id_numbers if n and str(n).strip()}
    if indexes:
        rows = (access.visible_cases(user, Case.objects.filter(parties__id_number_index__in=indexes))
                .select_related("office").distinct().order_by("-received_on", "-pk")[:50])
        for other in rows:
            if access.may_see_identity(user, other):
                matches.setdefault(other.pk, Match(other)).reasons.add(SAME_PERSON)
    probe.pk = 0
    for other, score in similar_cases(user, probe, exclude={0}):
        match = matches.setdefault(other.pk, Match(other))
        match.reasons.add(SIMILAR)
        match.similarity = score
    return sorted(matches.values(), key=lambda m: (not m.same_person, -m.similarity))


def transfer_count(case: Case) -> int:
    """How many transfers brought the petition to this case (0: received here first)."""
    count, seen, cursor_id = 0, set(), case.transferred_from_id
    while cursor_id and cursor_id not in seen:
        seen.add(cursor_id)
        count += 1
        cursor_id = Case.objects.filter(pk=cursor_id).values_list("transferred_from_id", flat=True).first()
    return count


def repeated_transfer_threshold() -> int:
    return int(_setting("CASE_REPEATED_TRANSFER_MIN", 2))

