from urllib.parse import unquote_to_bytes

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

# Paths outside i18n_patterns whose language comes from the client (cookie, then Accept-Language).
CLIENT_LANGUAGE_PREFIXES = ("/api/", "/healthz", "/ical/")


class ClientLanguageMiddleware:
    """Django's LocaleMiddleware, with ``prefix_default_language=False``, forces LANGUAGE_CODE on every
    path without a language prefix. Pages use the prefix (``/en/…``); the API and feeds have none, so
    there the language the client asks for (``django_language`` cookie, ``Accept-Language``) applies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(CLIENT_LANGUAGE_PREFIXES):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class FriendlyErrorPagesMiddleware:
    """With DEBUG on (``make run``) Django answers a 404 with its English technical page. Pages get the
    site's own 404 page there too (``frontend.error_views``); API paths keep their JSON. Without DEBUG this
    does nothing: Django already uses ``handler404``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            from frontend.error_views import page_not_found

            return page_not_found(request)  # no URL matched: the technical page came from the resolver
        return response

    def process_exception(self, request, exception):
        from django.conf import settings
        from django.http import Http404

        if settings.DEBUG and isinstance(exception, Http404):
            from frontend.error_views import page_not_found

            return page_not_found(request, exception)
        return None


TEXT_BODY_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/")


class RejectNulMiddleware:
    """A NUL character is never valid text input (PostgreSQL cannot store it: a database error, a 500). A
    request carrying one in its path, query string or text body (JSON, form) is refused with a typed 400
    before any view runs. File uploads (multipart) are not inspected: their bytes go to the file checks."""

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path:
            return True
        query = request.META.get("QUERY_STRING", "")
        if query and b"\x00" in unquote_to_bytes(query.replace("+", " ")):
            return True
        content_type = (request.META.get("CONTENT_TYPE") or "").lower()
        if content_type.startswith(TEXT_BODY_TYPES):
            body = request.body
            if b"\x00" in body or b"\\u0000" in body.lower():
                return True
            if content_type.startswith("application/x-www-form-urlencoded") and b"%00" in body:
                return True
        return False

    def __call__(self, request):
        if self._has_nul(request):
            message = _("Dữ liệu chứa ký tự không hợp lệ (NUL).")
            if request.path_info.startswith("/api/"):
                return JsonResponse({"error": {"type": "invalid_characters", "message": message}}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
