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
