"""``/api/reports/``: the reports and their status, for the national database to collect (read-only).

* ``GET /api/reports/?office=&period=&kind=&status=`` — the reports the user may see, paged;
* ``GET /api/reports/<id>/`` — one report with its versions;
* ``GET /api/reports/<id>/versions/<n>/`` — a submitted version's frozen snapshot and its SHA-256;
* ``GET /api/reports/<id>/figures/`` — the draft's figures computed now as of the cut-off;
* ``GET /api/reports/tracker/?office=&period=`` — submitted / late / missing per office below.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from offices.models import Office
from oversight import access
from reports import services
from reports.models import Report, ReportKind
from reports.serializers import (
    FiguresSerializer,
    ReportQuerySerializer,
    ReportSerializer,
    SnapshotSerializer,
    TrackerSerializer,
)
from sessions.serializers import ERRORS

TAGS = ["reports"]


def _report(request, pk) -> Report:
    report = get_object_or_404(Report.objects.select_related("office", "case"), pk=pk)
    if not services.may_view(request.user, report):
        raise services.ReportError("Bạn không có quyền xem báo cáo này.", "forbidden")
    return report


class ReportListView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ReportSerializer

    def get_queryset(self):
        query = ReportQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        queryset = (services.visible_reports(self.request.user).select_related("office", "case")
                    .prefetch_related("versions__submitted_by").order_by("-period_end", "office__path", "pk"))
        if data.get("office"):
            queryset = queryset.filter(office__code=data["office"])
        if data.get("period"):
            queryset = queryset.filter(period_key=data["period"])
        for name in ("kind", "status"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        return queryset

    @extend_schema(tags=TAGS, parameters=[ReportQuerySerializer], responses={200: ReportSerializer(many=True),
                                                                             **ERRORS},
                   summary="Reports the user may see, with status, deadline and submitted versions")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ReportDetailView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ReportSerializer

    @extend_schema(tags=TAGS, responses={200: ReportSerializer, **ERRORS}, summary="One report and its versions")
    def get(self, request, pk):
        return Response(ReportSerializer(_report(request, pk)).data)


class ReportVersionView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = SnapshotSerializer

    @extend_schema(tags=TAGS, responses={200: SnapshotSerializer, **ERRORS},
                   summary="A submitted version: the frozen snapshot and its SHA-256")
    def get(self, request, pk, ordinal):
        version = get_object_or_404(_report(request, pk).versions, ordinal=ordinal)
        return Response({"ordinal": version.ordinal, "sha256": version.sha256, "snapshot": version.snapshot})


class ReportFiguresView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = FiguresSerializer

    @extend_schema(tags=TAGS, responses={200: FiguresSerializer, **ERRORS},
                   summary="The report's figures computed now from the data as of its cut-off (a draft)")
    def get(self, request, pk):
        report = _report(request, pk)
        if report.kind == ReportKind.ADHOC:
            raise services.ReportError("Báo cáo đột xuất không có bảng số liệu.", "invalid")
        return Response(services.compute(report))


class TrackerView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = TrackerSerializer

    @extend_schema(tags=TAGS, responses={200: TrackerSerializer, **ERRORS},
                   parameters=[OpenApiParameter("office", str, required=True),
                               OpenApiParameter("period", str, required=True, description="q1-2026 or kl107-2026")],
                   summary="Submitted / late / missing per office directly below")
    def get(self, request):
        office = Office.objects.filter(code=request.query_params.get("office", "")).first()
        if office is None:
            raise services.ReportError("Không tìm thấy cơ quan.", "not_found", "office")
        if not access.may_oversee(request.user, office):
            raise services.ReportError("Bạn không có quyền xem.", "forbidden")
        key = request.query_params.get("period", "")
        kind = ReportKind.KL107 if key.startswith("kl107-") else ReportKind.PERIODIC
        services.period_of(kind, key)
        rows = services.tracker(office, kind, key, today=timezone.localdate())
        return Response({"office": office.code, "period": key, "rows": [
            {"office": r["office"].code, "office_name": r["office"].name, "state": r["state"],
             "overdue": r["overdue"], "deadline": r["deadline"], "submitted_at": r["submitted_at"],
             "status": r["report"].status if r["report"] else None,
             "report": r["report"].pk if r["report"] else None} for r in rows]})
