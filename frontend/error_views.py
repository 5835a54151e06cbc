"""The site's error pages: 403, 404 and 500 as Vietnamese pages (English under ``/en/``) with the site's
header and navigation; API paths keep JSON errors (``{"error": {"type", "message"}}``, core.api).

``project.urls`` names these as ``handler403/404/500``. Django shows its technical 404 page instead when
DEBUG is on (``make run``); ``core.middleware.FriendlyErrorPagesMiddleware`` serves these pages there too,
so a newcomer never meets the English debug page (docs/decisions.md, issue 11).
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/ical/", "/healthz")


def wants_json(request) -> bool:
    return request.path_info.startswith(API_PREFIXES)


def _json(kind: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"type": kind, "message": message}}, status=status,
                        json_dumps_params={"ensure_ascii": False})


def page_not_found(request, exception=None) -> HttpResponse:
    if wants_json(request):
        return _json("not_found", _("Không tìm thấy."), 404)
    return render(request, "404.html", {"path": request.path}, status=404)


def permission_denied(request, exception=None) -> HttpResponse:
    if wants_json(request):
        return _json("permission_denied", _("Bạn không có quyền làm việc này."), 403)
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    """A form posted without a valid CSRF token (an old page, cookies blocked): the site's 403 page with a
    way forward, not Django's English page (``CSRF_FAILURE_VIEW``)."""
    if wants_json(request):
        return _json("permission_denied", _("Trang đã cũ: hãy tải lại trang rồi thử lại."), 403)
    return render(request, "403.html", {"csrf_failed": True}, status=403)


def server_error(request) -> HttpResponse:
    """Rendered without the request's context (context processors, the session, the database may be what
    failed): the template gets no ``user`` and no ``request``, and a failure to render falls back to a
    plain page."""
    if wants_json(request):
        return _json("server_error", _("Máy chủ gặp lỗi. Xin thử lại sau."), 500)
    try:
        return HttpResponseServerError(loader.get_template("500.html").render())
    except Exception:  # noqa: BLE001 - the error page itself must not fail
        logger.exception("the 500 page could not be rendered")
        return HttpResponseServerError(
            '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Lỗi máy chủ</title>'
            "<h1>Máy chủ gặp lỗi</h1><p>Xin thử lại sau ít phút.</p><p><a href=\"/\">Trang chủ</a></p>")
