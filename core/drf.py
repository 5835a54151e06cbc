"""DRF classes named in ``settings.REST_FRAMEWORK`` (issue 13). Kept apart from ``core.api``: that module
imports ``rest_framework.views``, whose ``APIView`` reads DEFAULT_METADATA_CLASS at import time, so the
classes it names must live in a module that does not import the views (an import cycle otherwise)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, metadata, pagination


class CappedLimitOffsetPagination(pagination.LimitOffsetPagination):
    """``limit``/``offset`` paging with a ceiling: ``limit`` is at most ``API_MAX_PAGE_SIZE`` (200) whatever
    is asked, and ``offset`` beyond ``API_MAX_OFFSET`` is a typed 400 (a huge number used to overflow the
    database's bigint and answer 500)."""

    def __init__(self):
        super().__init__()
        self.max_limit = int(getattr(settings, "API_MAX_PAGE_SIZE", 200))

    def get_offset(self, request):
        raw = request.query_params.get(self.offset_query_param)
        if raw is not None:
            try:
                value = int(raw)
            except (TypeError, ValueError):
                value = 0
            if value > MAX_OFFSET:
                raise exceptions.ValidationError({self.offset_query_param: [
                    _("Giá trị quá lớn (tối đa %(n)s).") % {"n": MAX_OFFSET}]})
        return super().get_offset(request)


MAX_OFFSET = 1_000_000_000


class SafeMetadata(metadata.SimpleMetadata):
    """``OPTIONS``: the allowed methods and, where a view declares a serializer, its fields. Views that build
    their payloads by hand (no ``serializer_class``) made DRF's default raise AssertionError (a 500)."""

    def determine_actions(self, request, view):
        try:
            return super().determine_actions(request, view)
        except (AssertionError, AttributeError, TypeError):
            return {}
