"""Public iCalendar feed endpoints: anyone may subscribe to an office's or a leader's reception schedule.

Each answer carries an ETag (hash of the body) and may be cached for 5 minutes by any cache; a client that
sends the ETag back in ``If-None-Match`` gets ``304 Not Modified``.
"""

from __future__ import annotations

import hashlib

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.views.decorators.http import require_safe

from accounts.models import Role, User
from offices.models import Office
from scheduling import ical

CACHE_SECONDS = 300


def _answer(request, body: bytes, filename: str) -> HttpResponse:
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    patch_vary_headers(response, ["Accept-Language"])  # the feed's texts follow the client's language
    return get_conditional_response(request, etag=etag, response=response)  # 304 keeps ETag, caching, Vary


@require_safe
def office_feed(request, code: str):
    office = get_object_or_404(Office, code=code, is_active=True)
    return _answer(request, ical.office_feed(office), f"lich-tiep-{office.code}.ics")


@require_safe
def leader_feed(request, user_id: int):
    leader = User.objects.filter(pk=user_id, is_active=True, role_assignments__role=Role.LEADER).first()
    if leader is None:
        raise Http404
    return _answer(request, ical.leader_feed(leader), f"lich-tiep-lanh-dao-{leader.pk}.ics")
