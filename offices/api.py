"""Office directory API: the directory is public; agencies, staff lists and notices are permission-checked."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.models import RoleAssignment
from core.errors import DomainError
from core.text import fold
from offices import services
from offices.models import Office, OfficeKind, Tier


class OfficeSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True)

    class Meta:
        model = Office
        fields = ["id", "code", "name", "tier", "kind", "parent_code", "admin_unit_code", "admin_unit_name",
                  "address", "phone", "email", "is_remote_area"]


class OfficeCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    kind = serializers.ChoiceField(choices=[OfficeKind.PEOPLES_COMMITTEE, OfficeKind.DEPARTMENT,
                                            OfficeKind.CENTRAL_AGENCY])
    address = serializers.CharField(max_length=500, required=False, default="")
    phone = serializers.CharField(max_length=32, required=False, default="")
    email = serializers.EmailField(required=False, default="")


class NoticeSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=1000)


class StaffSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="user.full_name")

    class Meta:
        model = RoleAssignment
        fields = ["user", "full_name", "role"]


class OfficeFilterSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)
    parent = serializers.CharField(max_length=32, required=False)
    q = serializers.CharField(max_length=100, required=False)


class OfficeListView(generics.ListAPIView):
    """The public directory. ``q`` matches names without diacritics ("bac ninh" finds "Bắc Ninh")."""

    permission_classes = [AllowAny]
    serializer_class = OfficeSerializer

    @extend_schema(parameters=[OfficeFilterSerializer], tags=["offices"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = OfficeFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        qs = Office.objects.filter(is_active=True).select_related("parent")
        if tier := filters.validated_data.get("tier"):
            qs = qs.filter(tier=tier)
        if parent := filters.validated_data.get("parent"):
            qs = qs.filter(parent__code=parent)
        if q := filters.validated_data.get("q"):
            for word in fold(q).split():
                qs = qs.filter(search_text__contains=word)
        return qs.order_by("path")


class OfficeDetailView(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = OfficeSerializer
    queryset = Office.objects.filter(is_active=True).select_related("parent")
    lookup_field = "code"

    @extend_schema(tags=["offices"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _office(code: str) -> Office:
    return get_object_or_404(Office, code=code, is_active=True)


class OfficeChildrenView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=OfficeCreateSerializer, responses={201: OfficeSerializer}, tags=["offices"])
    def post(self, request, code):
        data = OfficeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        office = services.create_office(parent=_office(code), by_user=request.user, **data.validated_data)
        return Response(OfficeSerializer(office).data, status=status.HTTP_201_CREATED)


class OfficeStaffView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: StaffSerializer(many=True)}, tags=["offices"])
    def get(self, request, code):
        office = _office(code)
        if not permissions.can(request.user, permissions.Action.OFFICE_VIEW, office):
            raise DomainError("Bạn không có quyền xem cơ quan này.", "forbidden")
        roles = office.role_assignments.select_related("user").order_by("role", "user__full_name")
        return Response(StaffSerializer(roles, many=True).data)


class OfficeNoticeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=NoticeSerializer, responses={201: OpenApiTypes.OBJECT}, tags=["offices"])
    def post(self, request, code):
        data = NoticeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notice = services.post_notice(request.user, _office(code), data.validated_data["text"])
        return Response({"id": notice.pk, "text": notice.text}, status=status.HTTP_201_CREATED)

