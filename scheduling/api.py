"""Scheduling API (mounted under ``/api/``): reception plans (staff), the public schedule (no login), and
citizens' registrations.

Views translate I/O only: ``scheduling.services`` and ``sessions.services`` decide and check permissions;
a refusal (DomainError) propagates to ``core.api.exception_handler``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.permissions import Action
from core.errors import DomainError
from offices.models import Office
from scheduling import fast_refusal
from scheduling.models import ReceptionPlan, Registration
from scheduling.serializers import (
    PlanCreateSerializer,
    PlanDetailSerializer,
    PlanSerializer,
    PublicSessionDetailSerializer,
    PublicSessionFilterSerializer,
    PublicSessionSerializer,
    RegistrationCancelSerializer,
    RegistrationCreateSerializer,
    RegistrationSerializer,
)
from scheduling.services import plans, registrations
from sessions.models import ReceptionSession
from sessions.serializers import ERRORS, site_pairs

NEXT_OCCURRENCES = 10


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Plans ------------------------------------------------------------------------------------------------


def _plans():
    return ReceptionPlan.objects.select_related("office", "leader").prefetch_related(
        "sites__office", "sites__responsible")


def _get_plan(pk: int) -> ReceptionPlan:
    plan = _plans().filter(pk=pk).first()
    if plan is None:
        raise DomainError(_("Không tìm thấy lịch tiếp."), "not_found")
    return plan


def _next_occurrences(plan: ReceptionPlan, today) -> list[dict]:
    """The next NEXT_OCCURRENCES occurrences from today, looking further ahead for sparse rules."""
    pairs = []
    for days in (400, 3660):
        pairs = plans.occurrence_dates(plan, today, today + timedelta(days=days))
        if len(pairs) >= NEXT_OCCURRENCES:
            break
    return [{"occurrence_date": o, "held_on": h} for o, h in pairs[:NEXT_OCCURRENCES]]


def plan_detail(plan: ReceptionPlan) -> dict:
    plan = _get_plan(plan.pk)
    today = timezone.localdate()
    context = {"warnings": [w.as_dict() for w in plans.legal_minimum_warnings(plan, today)],
               "occurrences": _next_occurrences(plan, today)}
    return PlanDetailSerializer(plan, context=context).data


class PlanListCreateView(generics.ListAPIView):
    """Periodic reception plans (lịch tiếp định kỳ) of the offices the user may manage."""

    permission_classes = [IsAuthenticated]
    serializer_class = PlanSerializer

    def get_queryset(self):
        offices = permissions.offices_for(self.request.user, Action.SESSION_MANAGE)
        return _plans().filter(office__in=offices).order_by("office__path", "pk")

    @extend_schema(responses={200: PlanSerializer(many=True), **ERRORS}, tags=["plans"],
                   summary="Plans of the offices I manage")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanDetailSerializer, **ERRORS}, tags=["plans"],
                   summary="Create a plan (SESSION_MANAGE at the office)")
    def post(self, request, *args, **kwargs):
        data = _validated(PlanCreateSerializer, request.data)
        plan = plans.create_plan(
            by=request.user, office=data["office"], leader=data["leader"], title=data["title"],
            rrule=data["rrule"], starts_on=data["starts_on"], ends_on=data["ends_on"],
            start_time=data["start_time"], end_time=data["end_time"], holiday_rule=data["holiday_rule"],
            tentative_content=data["tentative_content"], slot_minutes=data["slot_minutes"],
            slot_capacity=data["slot_capacity"], sites=site_pairs(data["sites"]),
        )
        return Response(plan_detail(plan), status=status.HTTP_201_CREATED)


class PlanDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: PlanDetailSerializer, **ERRORS}, tags=["plans"],
                   summary="A plan with its legal-minimum warnings and next occurrences")
    def get(self, request, pk):
        plan = _get_plan(pk)
        if not permissions.can(request.user, Action.OFFICE_VIEW, plan.office):
            raise DomainError(_("Bạn không có quyền xem lịch tiếp này."), "forbidden")
        return Response(plan_detail(plan))


class PlanDeactivateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: PlanDetailSerializer, **ERRORS}, tags=["plans"],
                   summary="Stop the plan (sessions already created stay)")
    def post(self, request, pk):
        plan = _get_plan(pk)
        plans.deactivate_plan(plan, request.user)
        return Response(plan_detail(plan))


# --- Public schedule --------------------------------------------------------------------------------------


def _field_error(field: str, message: str, code: str) -> serializers.ValidationError:
    return serializers.ValidationError({field: [serializers.ErrorDetail(message, code=code)]})


def _office_by_code(field: str, code: str, error_code: str) -> Office:
    office = Office.objects.filter(code=code, is_active=True).first()
    if office is None:
        raise _field_error(field, _("Không có đơn vị mã “%(c)s”.") % {"c": code}, error_code)
    return office


def _local_midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def public_sessions():
    """Sessions the public may see: public statuses, and published at some point (a planned session that
    was postponed or cancelled before publication stays internal)."""
    return (ReceptionSession.objects.public()
            .select_related("host_office", "host", "replaced_by").prefetch_related("sites__office"))


class PublicSessionListView(generics.ListAPIView):
    """The public reception schedule (công khai lịch tiếp công dân), no login needed."""

    permission_classes = [AllowAny]
    serializer_class = PublicSessionSerializer

    @extend_schema(parameters=[PublicSessionFilterSerializer],
                   responses={200: PublicSessionSerializer(many=True), 400: ERRORS[400]}, tags=["public"],
                   summary="The public schedule")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = _validated(PublicSessionFilterSerializer, self.request.query_params)
        qs = public_sessions()
        if code := filters.get("office"):
            qs = qs.filter(host_office=_office_by_code("office", code, "unknown_office"))
        if tier := filters.get("tier"):
            qs = qs.filter(host_office__tier=tier)
        if code := filters.get("province"):
            province = _office_by_code("province", "T" + code, "unknown_province")
            qs = qs.filter(host_office__path__startswith=province.path)
        if code := filters.get("commune"):
            qs = qs.filter(host_office=_office_by_code("commune", "X" + code, "unknown_commune"))
        if day := filters.get("from"):
            qs = qs.filter(starts_at__gte=_local_midnight(day))
        if day := filters.get("to"):
            qs = qs.filter(starts_at__lt=_local_midnight(day + timedelta(days=1)))
        if leader := filters.get("leader"):
            qs = qs.filter(host_id=leader)
        return qs.order_by("starts_at", "pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}


class PublicSessionDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: PublicSessionDetailSerializer, 404: ERRORS[404]}, tags=["public"],
                   summary="A public session with its slots' availability")
    def get(self, request, public_id):
        session = public_sessions().prefetch_related("slots").filter(public_id=public_id).first()
        if session is None:
            raise DomainError(_("Không tìm thấy phiên tiếp."), "not_found")
        return Response(PublicSessionDetailSerializer(session, context={"now": timezone.now()}).data)


# --- Registrations ----------------------------------------------------------------------------------------


def _registrations():
    return Registration.objects.select_related("session__host_office", "slot")


def _registration_view(registration: Registration) -> dict:
    return RegistrationSerializer(_registrations().get(pk=registration.pk)).data


class RegistrationListCreateView(generics.ListAPIView):
    """The logged-in citizen's registrations (đăng ký tiếp)."""

    permission_classes = [IsAuthenticated]
    serializer_class = RegistrationSerializer

    def get_queryset(self):
        return _registrations().filter(citizen=self.request.user).order_by("-slot_starts_at", "-pk")

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            # A burst on a full slot (issue 18): the refused majority answered before DRF's request cycle,
            # exactly as the normal path would answer it (scheduling/fast_refusal.py).
            refused = fast_refusal.answer(self, request)
            if refused is not None:
                return refused
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(responses={200: RegistrationSerializer(many=True), **ERRORS}, tags=["registrations"],
                   summary="My registrations")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=RegistrationCreateSerializer, responses={201: RegistrationSerializer, **ERRORS},
                   tags=["registrations"], summary="Register for a slot (confirmed, or wait-listed when full)")
    def post(self, request, *args, **kwargs):
        data = _validated(RegistrationCreateSerializer, request.data)
        registration = registrations.register(
            citizen=request.user, slot_id=data["slot"].pk, matter_kind=data["matter_kind"],
            matter_summary=data["matter_summary"], people_count=data["people_count"],
            representatives=[dict(r) for r in data["representatives"]],
        )
        return Response(_registration_view(registration), status=status.HTTP_201_CREATED)


def _own_registration(user, public_id) -> Registration:
    registration = _registrations().filter(public_id=public_id, citizen=user).first()
    if registration is None:
        raise DomainError(_("Không tìm thấy đăng ký."), "not_found")
    return registration


class RegistrationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RegistrationSerializer, **ERRORS}, tags=["registrations"],
                   summary="One of my registrations")
    def get(self, request, public_id):
        return Response(RegistrationSerializer(_own_registration(request.user, public_id)).data)


class RegistrationCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RegistrationCancelSerializer, responses={200: RegistrationSerializer, **ERRORS},
                   tags=["registrations"],
                   summary="Cancel a registration (the citizen, or staff of the host office)")
    def post(self, request, public_id):
        data = _validated(RegistrationCancelSerializer, request.data)
        registration = _registrations().filter(public_id=public_id).first()
        if registration is None:
            raise DomainError(_("Không tìm thấy đăng ký."), "not_found")
        registration = registrations.cancel(registration, request.user, reason=data["reason"])
        return Response(_registration_view(registration))


urlpatterns = [
    path("plans", PlanListCreateView.as_view(), name="api-plan-list"),
    path("plans/<int:pk>", PlanDetailView.as_view(), name="api-plan-detail"),
    path("plans/<int:pk>/deactivate", PlanDeactivateView.as_view(), name="api-plan-deactivate"),
    path("public/sessions", PublicSessionListView.as_view(), name="api-public-session-list"),
    path("public/sessions/<uuid:public_id>", PublicSessionDetailView.as_view(), name="api-public-session-detail"),
    path("registrations", RegistrationListCreateView.as_view(), name="api-registration-list"),
    path("registrations/<uuid:public_id>", RegistrationDetailView.as_view(), name="api-registration-detail"),
    path("registrations/<uuid:public_id>/cancel", RegistrationCancelView.as_view(),
         name="api-registration-cancel"),
]
