from django.utils import translation

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
