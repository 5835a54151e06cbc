"""The staff pages' office picker (workspace, new session): a drop-down when the user has a few offices, a
search box when there are many (a superuser has all 3,356; a provincial office administrator a few
hundred) — a list that long is unusable on a phone and on a screen reader. The search folds diacritics like
the public directory ("bac ninh" finds "Bắc Ninh") and shows at most ``MAX_MATCHES`` results as links."""

from __future__ import annotations

from django.conf import settings

from core.text import fold

MAX_MATCHES = 20


def picker(request, offices, office) -> dict:
    """Template context for ``frontend/workspace/_office_picker.html``: ``{"picker": {...}}``."""
    count = offices.count()
    if count <= 1:
        return {"picker": None, "many_offices": False}
    if count <= settings.OFFICE_PICKER_LIST_MAX:
        return {"picker": {"mode": "list", "offices": list(offices), "office": office}, "many_offices": True}
    q = (request.GET.get("office_q") or "").strip()[:100]
    matches, more = [], False
    words = fold(q).split()
    if words:
        qs = offices
        for word in words:
            qs = qs.filter(search_text__contains=word)
        found = list(qs[:MAX_MATCHES + 1])
        matches, more = found[:MAX_MATCHES], len(found) > MAX_MATCHES
    return {"picker": {"mode": "search", "q": q, "searched": bool(words), "matches": matches, "more": more,
                       "count": count, "office": office}, "many_offices": True}
