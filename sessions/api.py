"""Staff API of reception sessions (mounted at ``/api/sessions/``): create, inspect, and move a session
through its life (publish, postpone, cancel, open, close, connect sites), and list its registrations.

Views translate I/O only: ``sessions.services`` decides and checks permissions; a refusal (DomainError)
propagates to ``core.api.exception_handler``.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from core.errors import DomainError
from scheduling.models import Registration
from sessions import services
from sessions.models import ReceptionSession
from sessions.serializers import (
    ERRORS,
    PostponeSerializer,
    ReasonSerializer,
    RequiredReasonSerializer,
    SessionCreateSerializer,
    SessionSiteSerializer,
    SiteInputSerializer,
    StaffRegistrationSerializer,
    StaffSessionSerializer,
    site_pairs,
)

TAGS = ["sessions"]
RESCHEDULE_FIELDS = {"starts_at": "new_starts_at", "ends_at": "new_ends_at"}


def get_session(public_id) -> ReceptionSession:
    session = (ReceptionSession.objects.select_related("host_office", "host", "replaced_by")
               .prefetch_related("sites__office", "sites__responsible").filter(public_id=public_id).first())
    if session is None:
        raise DomainError(_("Không tìm thấy phiên tiếp."), "not_found")
    return session


def staff_view(session: ReceptionSession) -> dict:
    session = (ReceptionSession.objects.select_related("host_office", "host", "replaced_by")
               .prefetch_related("sites__office", "sites__responsible", "slots", "events__actor")
               .get(pk=session.pk))
    return StaffSessionSerializer(session).data


def validated(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


class SessionCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=SessionCreateSerializer, responses={201: StaffSessionSerializer, **ERRORS}, tags=TAGS,
                   summary="Create an ad-hoc or regular session (SESSION_MANAGE at the host office)")
    def post(self, request):
        data = validated(SessionCreateSerializer, request)
        session = services.create_session(
            by=request.user, kind=data["kind"], host_office=data["host_office"], host=data["host"],
            title=data["title"], tentative_content=data["tentative_content"], starts_at=data["starts_at"],
            ends_at=data["ends_at"], adhoc_reason=data["adhoc_reason"], adhoc_note=data["adhoc_note"],
            sites=site_pairs(data["sites"]), slot_minutes=data["slot_minutes"], slot_capacity=data["slot_capacity"],
            registration_closes_at=data["registration_closes_at"],
        )
        return Response(staff_view(session), status=status.HTTP_201_CREATED)


class SessionDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: StaffSessionSerializer, **ERRORS}, tags=TAGS,
                   summary="A session with its sites, slots and history (SESSION_VIEW)")
    def get(self, request, public_id):
        session = get_session(public_id)
        if not permissions.can(request.user, permissions.Action.SESSION_VIEW, session):
            raise DomainError(_("Bạn không có quyền xem phiên tiếp này."), "forbidden")
        return Response(staff_view(session))


class SessionPublishView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReasonSerializer, responses={200: StaffSessionSerializer, **ERRORS}, tags=TAGS,
                   summary="Publish; later than the legal notice period only with a reason")
    def post(self, request, public_id):
        data = validated(ReasonSerializer, request)
        return Response(staff_view(services.publish(get_session(public_id), request.user, reason=data["reason"])))


class SessionPostponeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=PostponeSerializer, responses={200: StaffSessionSerializer, **ERRORS}, tags=TAGS,
                   summary="Postpone (hoãn) with a public reason, optionally to a new time")
    def post(self, request, public_id):
        data = validated(PostponeSerializer, request)
        try:
            session = services.postpone(get_session(public_id), request.user, reason=data["reason"],
                                        new_starts_at=data["new_starts_at"], new_ends_at=data["new_ends_at"])
        except DomainError as error:
            # The replacement session's checks name its own fields; here the input was new_starts_at/new_ends_at.
            if data["new_starts_at"] is not None and error.field in RESCHEDULE_FIELDS:
                raise type(error)(error.message, error.code, RESCHEDULE_FIELDS[error.field]) from error
            raise
        return Response(staff_view(session))


class SessionCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RequiredReasonSerializer, responses={200: StaffSessionSerializer, **ERRORS},
                   tags=TAGS, summary="Cancel (hủy) with a public reason")
    def post(self, request, public_id):
        data = validated(RequiredReasonSerializer, request)
        return Response(staff_view(services.cancel(get_session(public_id), request.user, reason=data["reason"])))


class SessionOpenView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: StaffSessionSerializer, **ERRORS}, tags=TAGS,
                   summary="Open the session room (SESSION_HOST)")
    def post(self, request, public_id):
        return Response(staff_view(services.open_session(get_session(public_id), request.user)))


class SessionCloseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: StaffSessionSerializer, **ERRORS}, tags=TAGS,
                   summary="Close the session: it was held (SESSION_CLOSE: its host leader)")
    def post(self, request, public_id):
        return Response(staff_view(services.close_session(get_session(public_id), request.user)))


class SessionSitesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=SiteInputSerializer, responses={201: SessionSiteSerializer, **ERRORS}, tags=TAGS,
                   summary="Connect another site (điểm cầu)")
    def post(self, request, public_id):
        data = validated(SiteInputSerializer, request)
        site = services.add_site(get_session(public_id), request.user, data["office"], data["responsible"])
        return Response(SessionSiteSerializer(site).data, status=status.HTTP_201_CREATED)


class SessionRegistrationsView(generics.ListAPIView):
    """Registrations of a session, for staff who may view it. A denunciation's content and its citizen's
    identity are shown only to staff of the host office."""

    permission_classes = [IsAuthenticated]
    serializer_class = StaffRegistrationSerializer

    @extend_schema(responses={200: StaffRegistrationSerializer(many=True), **ERRORS}, tags=TAGS,
                   summary="Registrations of a session (SESSION_VIEW)")
    def get(self, request, *args, **kwargs):
        self.session = get_session(kwargs["public_id"])
        if not permissions.can(request.user, permissions.Action.SESSION_VIEW, self.session):
            raise DomainError(_("Bạn không có quyền xem phiên tiếp này."), "forbidden")
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return (Registration.objects.filter(session=self.session).select_related("citizen", "slot")
                .order_by("slot_starts_at", "created_at", "pk"))

