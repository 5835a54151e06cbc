"""HTTP API of a leader's calendar of other engagements (lịch công tác khác), mounted under ``/api/``.

* ``GET|POST /api/leaders/<leader_id>/engagements`` — the engagements in a ``from``/``to`` window; enter one
* ``DELETE /api/leaders/<leader_id>/engagements/<pk>``
* ``POST /api/leaders/<leader_id>/engagements/import`` — an iCalendar file (multipart field ``file``)
* ``GET /api/leaders/<leader_id>/conflicts?from=&to=`` — engagements that fall on reception days
* ``GET /api/leaders/<leader_id>/reception-days?from=&to=`` — the days on which nothing else may be booked

Everything needs ``Action.ENGAGEMENT_MANAGE`` on the leader (403); an unknown leader id, or a user holding no
leader role, is a 404. Views translate I/O only; the work is in ``scheduling.services.engagements``.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.models import User
from accounts.permissions import Action
from scheduling.models import LeaderEngagement
from scheduling.services import engagements as services
from scheduling.services.engagements import EngagementError

DEFAULT_WINDOW_DAYS = 90
MAX_WINDOW_DAYS = 366


# --- serializers -----------------------------------------------------------------------------------------

class CalendarFieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class CalendarErrorBodySerializer(serializers.Serializer):
    type = serializers.CharField(help_text=gettext_lazy("Mã lỗi, ví dụ reception_day_conflict, forbidden."))
    message = serializers.CharField()
    fields = serializers.DictField(child=CalendarFieldErrorSerializer(many=True), required=False)


class CalendarErrorSerializer(serializers.Serializer):
    error = CalendarErrorBodySerializer()


ERRORS = {400: CalendarErrorSerializer, 403: CalendarErrorSerializer, 404: CalendarErrorSerializer}


class EngagementSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeaderEngagement
        fields = ["id", "title", "starts_at", "ends_at", "source", "external_uid", "created_at"]
        read_only_fields = fields


class EngagementInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=services.MAX_TITLE)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=gettext_lazy("Tệp lịch iCalendar (.ics), tối đa 1 MB."))


class RefusedEventSerializer(serializers.Serializer):
    uid = serializers.CharField()
    summary = serializers.CharField()
    code = serializers.CharField()
    reason = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    refused = RefusedEventSerializer(many=True)
    skipped = serializers.IntegerField(help_text=gettext_lazy("Sự kiện đã hủy và sự kiện lặp (RRULE) bị bỏ qua."))
    removed = serializers.IntegerField()


class ConflictSerializer(serializers.Serializer):
    engagement_id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reception_date = serializers.DateField()
    session_public_id = serializers.UUIDField()


class ReceptionDaysSerializer(serializers.Serializer):
    days = serializers.ListField(child=serializers.DateField())


class WindowSerializer(serializers.Serializer):
    """``from``/``to`` (``from`` is a Python keyword, hence the fields are built in ``get_fields``)."""

    def get_fields(self):
        return {"from": serializers.DateField(required=False), "to": serializers.DateField(required=False)}

    def validate(self, attrs):
        start = attrs.get("from") or timezone.localdate()
        end = attrs.get("to") or start + timedelta(days=DEFAULT_WINDOW_DAYS)
        if end < start:
            raise serializers.ValidationError({"to": [serializers.ErrorDetail(
                _("Ngày kết thúc phải sau ngày bắt đầu."), code="invalid_range")]})
        if (end - start).days > MAX_WINDOW_DAYS:
            raise serializers.ValidationError({"to": [serializers.ErrorDetail(
                _("Khoảng thời gian tối đa %(n)s ngày.") % {"n": MAX_WINDOW_DAYS}, code="range_too_long")]})
        return {"from": start, "to": end}


WINDOW_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description=gettext_lazy("Từ ngày (mặc định: hôm nay).")),
    OpenApiParameter("to", OpenApiTypes.DATE, description=gettext_lazy("Đến ngày (mặc định: từ ngày + 90).")),
]


# --- views -----------------------------------------------------------------------------------------------

class LeaderCalendarView(APIView):
    """Base: resolves the leader from the URL and checks ENGAGEMENT_MANAGE on them."""

    def leader(self, request, leader_id: int) -> User:
        leader = User.objects.filter(pk=leader_id).first()
        if leader is None or not services.is_leader(leader):
            raise EngagementError(_("Không tìm thấy lãnh đạo."), "not_found")
        if not permissions.can(request.user, Action.ENGAGEMENT_MANAGE, leader):
            raise EngagementError(_("Bạn không có quyền quản lý lịch công tác của lãnh đạo này."), "forbidden")
        return leader

    @staticmethod
    def window(request) -> tuple:
        query = WindowSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data["from"], query.validated_data["to"]


class EngagementListView(LeaderCalendarView):
    """The leader's engagements in a window; enter one (refused on a reception day)."""

    @extend_schema(summary="Lịch công tác khác của lãnh đạo", parameters=WINDOW_PARAMETERS,
                   responses={200: EngagementSerializer(many=True), **ERRORS}, tags=["engagements"])
    def get(self, request, leader_id: int):
        leader = self.leader(request, leader_id)
        start, end = self.window(request)
        rows = LeaderEngagement.objects.filter(
            leader=leader, starts_at__lt=services.as_local(end + timedelta(days=1)),
            ends_at__gt=services.as_local(start),
        ).order_by("starts_at", "pk")
        return Response(EngagementSerializer(rows, many=True).data)

    @extend_schema(summary="Thêm lịch công tác (không được trùng ngày tiếp công dân)",
                   request=EngagementInputSerializer, responses={201: EngagementSerializer, **ERRORS},
                   tags=["engagements"])
    def post(self, request, leader_id: int):
        leader = self.leader(request, leader_id)
        data = EngagementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        engagement = services.create_engagement(by=request.user, leader=leader, **data.validated_data)
        return Response(EngagementSerializer(engagement).data, status=status.HTTP_201_CREATED)


class EngagementDetailView(LeaderCalendarView):
    """Remove one engagement of the leader."""

    @extend_schema(summary="Xóa lịch công tác", responses={204: None, **ERRORS}, tags=["engagements"])
    def delete(self, request, leader_id: int, pk: int):
        leader = self.leader(request, leader_id)
        engagement = LeaderEngagement.objects.filter(pk=pk, leader=leader).select_related("leader").first()
        if engagement is None:
            raise EngagementError(_("Không tìm thấy lịch công tác."), "not_found")
        services.delete_engagement(request.user, engagement)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EngagementImportView(LeaderCalendarView):
    """Import an iCalendar file into the leader's engagements."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(summary="Nhập lịch công tác từ tệp iCalendar (.ics)",
                   description="Sự kiện trùng ngày tiếp công dân bị từ chối và liệt kê trong `refused`; "
                               "sự kiện đã hủy và sự kiện lặp (RRULE) được bỏ qua (`skipped`). "
                               "Nhập lại cùng tệp sẽ cập nhật theo UID, không tạo trùng.",
                   request={"multipart/form-data": ImportInputSerializer},
                   responses={200: ImportReportSerializer, **ERRORS}, tags=["engagements"])
    def post(self, request, leader_id: int):
        leader = self.leader(request, leader_id)
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        content = upload.read(services.MAX_ICAL_BYTES + 1)  # one byte more lets the service say "too large"
        report = services.import_ical(by=request.user, leader=leader, data=content)
        return Response(ImportReportSerializer(report.as_dict()).data)


class ConflictsView(LeaderCalendarView):
    """Engagements that fall on the leader's reception days (default window: today to +90 days)."""

    @extend_schema(summary="Lịch công tác trùng ngày tiếp công dân", parameters=WINDOW_PARAMETERS,
                   responses={200: ConflictSerializer(many=True), **ERRORS}, tags=["engagements"])
    def get(self, request, leader_id: int):
        leader = self.leader(request, leader_id)
        start, end = self.window(request)
        return Response(ConflictSerializer(services.conflicts(leader, start, end), many=True).data)


class ReceptionDaysView(LeaderCalendarView):
    """The leader's reception days: no other engagement may touch them."""

    @extend_schema(summary="Ngày tiếp công dân định kỳ của lãnh đạo (không xếp lịch khác)",
                   description="Gồm cả ngày theo lịch định kỳ chưa tạo phiên.",
                   parameters=WINDOW_PARAMETERS, responses={200: ReceptionDaysSerializer, **ERRORS},
                   tags=["engagements"])
    def get(self, request, leader_id: int):
        leader = self.leader(request, leader_id)
        start, end = self.window(request)
        days = sorted(services.reception_days(leader, start, end, include_plans=True))
        return Response(ReceptionDaysSerializer({"days": days}).data)


urlpatterns = [
    path("leaders/<int:leader_id>/engagements", EngagementListView.as_view(), name="leader-engagements"),
    path("leaders/<int:leader_id>/engagements/import", EngagementImportView.as_view(),
         name="leader-engagements-import"),
    path("leaders/<int:leader_id>/engagements/<int:pk>", EngagementDetailView.as_view(),
         name="leader-engagement-detail"),
    path("leaders/<int:leader_id>/conflicts", ConflictsView.as_view(), name="leader-conflicts"),
    path("leaders/<int:leader_id>/reception-days", ReceptionDaysView.as_view(), name="leader-reception-days"),
]
