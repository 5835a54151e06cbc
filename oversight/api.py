"""``/api/oversight/``: the inspectors' figures (counts only, never identities or content).

* ``GET stats/?office=<code>&period=q1-2026`` (or ``from``/``to``): the office and its subtree, per child;
* ``GET periods/?year=2026``: the report periods of a year and the current one.

Views translate I/O only; ``oversight.services`` decides (a refusal is a typed 4xx through
``core.api.exception_handler``).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from oversight import periods, services
from oversight.serializers import (
    OversightPeriodListQuerySerializer,
    OversightPeriodListSerializer,
    OversightStatsQuerySerializer,
    OversightStatsSerializer,
)
from sessions.serializers import ERRORS

TAGS = ["oversight"]


def stats_for(user, params, today=None) -> dict:
    """Validated query parameters → the stats dictionary (shared with the dashboard page)."""
    serializer = OversightStatsQuerySerializer(data=params)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    office, period = services.resolve(user, office_code=data.get("office", ""), period_key=data.get("period", ""),
                                      start=data.get("from"), end=data.get("to"), today=today)
    stats = services.office_stats(office, period, today=today)
    stats["breadcrumb"] = [{"code": o.code, "name": o.name, "tier": o.tier} for o in services.breadcrumb(office)]
    return stats


class StatsView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OversightStatsSerializer

    @extend_schema(
        tags=TAGS, responses={200: OversightStatsSerializer, **ERRORS},
        summary="Figures of an office and every office beneath it for a report period (counts only)",
        description=("Inspectors and office administrators of the office or above, leaders of the office. "
                     "Sessions by kind and status, leaders' reception days held versus the legal minimum, "
                     "receptions and people, cases received by kind and state, group, repeated and "
                     "transferred cases, and today's open and overdue cases; one entry per child office."),
        parameters=[
            OpenApiParameter("office", str, description="office code (default: the user's highest overseen office)"),
            OpenApiParameter("period", str, description="q1-2026 … q4-2026, 6m-2026, 9m-2026, year-2026 "
                                                        "(default: the current report period)"),
            OpenApiParameter("from", str, description="YYYY-MM-DD, with `to`: a custom range instead of a period"),
            OpenApiParameter("to", str, description="YYYY-MM-DD, inclusive"),
        ])
    def get(self, request):
        return Response(stats_for(request.user, request.query_params))


class PeriodsView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OversightPeriodListSerializer

    @extend_schema(tags=TAGS, responses={200: OversightPeriodListSerializer, **ERRORS},
                   parameters=[OpenApiParameter("year", int, description="report year (default: the current one)")],
                   summary="Report periods of a year (circular 01/2024/TT-TTCP cut-offs: 15th to 14th)")
    def get(self, request):
        serializer = OversightPeriodListQuerySerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        today = timezone.localdate()
        year = serializer.validated_data.get("year") or periods.report_year(today)
        return Response({"year": year, "current": periods.current(today).key,
                         "periods": [p.as_dict() for p in periods.periods_of(year)]})
