"""Staff API of the case register (mounted at ``/api/cases/``): the inbox, a case file, creation, workflow
moves, transfer, denunciation extensions and handler assignment.

Views translate I/O only: ``cases.services`` decides and checks permissions (``cases.access``); a refusal
(DomainError) becomes a typed 4xx through ``core.api.exception_handler``.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from cases import access, services
from cases.models import Case
from cases.serializers import (
    AssignSerializer,
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseFilterSerializer,
    CaseListItemSerializer,
    ExtendSerializer,
    TransferSerializer,
    TransitionSerializer,
)
from core.errors import DomainError
from sessions.serializers import ERRORS

TAGS = ["cases"]


def validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def get_case(public_id, user) -> Case:
    case = Case.objects.select_related("office", "handler").filter(public_id=public_id).first()
    if case is None:
        raise DomainError(_("Không tìm thấy vụ việc."), "not_found")
    if not access.may_view(user, case):
        raise DomainError(_("Bạn không có quyền xem vụ việc này."), "forbidden")
    return case


def detail(case: Case, request) -> dict:
    case = (Case.objects.select_related("office", "handler", "previous_case__office", "transferred_from__office",
                                        "split_from__office", "transfer_to_office")
            .prefetch_related("parties", "transitions", "extensions", "transfers__office", "split_parts__office")
            .get(pk=case.pk))
    return CaseDetailSerializer(case, context={"request": request}).data


class CaseListCreateView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CaseListItemSerializer

    @extend_schema(
        tags=TAGS, responses={200: CaseListItemSerializer(many=True), **ERRORS},
        summary="The user's inbox: cases of the offices they may see (never identities; no denunciation content)",
        parameters=[
            OpenApiParameter("state", str, enum=[s for s, _l in services.CaseState.choices]),
            OpenApiParameter("kind", str, enum=["complaint", "denunciation", "petition", "report"]),
            OpenApiParameter("office", str, description="office code"),
            OpenApiParameter("overdue", bool),
        ])
    def get(self, request):
        filters = validated(CaseFilterSerializer, request.query_params)
        today = timezone.localdate()
        queryset = access.visible_cases(request.user).select_related("office", "handler")
        if "state" in filters:
            queryset = queryset.filter(state=filters["state"])
        if "kind" in filters:
            queryset = queryset.filter(kind=filters["kind"])
        if "office" in filters:
            queryset = queryset.filter(office=filters["office"])
        if filters.get("overdue") is True:
            queryset = queryset.overdue(today)
        elif filters.get("overdue") is False:
            queryset = queryset.exclude(pk__in=Case.objects.overdue(today).values("pk"))
        page = self.paginate_queryset(queryset.order_by("-received_on", "-pk"))
        data = CaseListItemSerializer(page, many=True, context={"today": today}).data
        return self.get_paginated_response(data)

    @extend_schema(tags=TAGS, request=CaseCreateSerializer, responses={201: CaseDetailSerializer, **ERRORS},
                   summary="Register a case (leader, reception officer or secretary of the office)")
    def post(self, request):
        data = dict(validated(CaseCreateSerializer, request.data))
        previous = data.pop("previous_case")
        if previous is not None:
            previous_case = Case.objects.select_related("office").filter(public_id=previous).first()
            if previous_case is None:
                raise DomainError(_("Không tìm thấy vụ việc trước."), "unknown_case", "previous_case")
            data["previous_case"] = previous_case
        data["parties"] = [dict(p) for p in data["parties"]]
        case = services.create_case(by=request.user, request=request, **data)
        return Response(detail(case, request), status=status.HTTP_201_CREATED)


class CaseDetailView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CaseDetailSerializer

    @extend_schema(tags=TAGS, responses={200: CaseDetailSerializer, **ERRORS},
                   summary="A case file; parties redacted unless the user may see the identity (audited)")
    def get(self, request, public_id):
        return Response(detail(get_case(public_id, request.user), request))


class CaseTransitionView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = TransitionSerializer

    @extend_schema(tags=TAGS, request=TransitionSerializer, responses={200: CaseDetailSerializer, **ERRORS},
                   summary="Move the case: classify, accept, start_verifying, conclude, guide, transfer, file, end")
    def post(self, request, public_id):
        case = get_case(public_id, request.user)
        data = dict(validated(TransitionSerializer, request.data))
        action = data.pop("action")
        case = services.transition(case, request.user, action, request=request, **data)
        return Response(detail(case, request))


class CaseTransferView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = TransferSerializer

    @extend_schema(tags=TAGS, request=TransferSerializer, responses={200: CaseDetailSerializer, **ERRORS},
                   summary="Transfer (chuyển đơn) to an office of any tier: a linked case opens there")
    def post(self, request, public_id):
        case = get_case(public_id, request.user)
        data = validated(TransferSerializer, request.data)
        services.transfer(case, request.user, target_office=data["target_office"],
                          document_number=data["document_number"], note=data["note"], request=request)
        return Response(detail(case, request))


class CaseExtendView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ExtendSerializer

    @extend_schema(tags=TAGS, request=ExtendSerializer, responses={200: CaseDetailSerializer, **ERRORS},
                   summary="Extend a denunciation's resolution (the head's written decision; at most twice)")
    def post(self, request, public_id):
        case = get_case(public_id, request.user)
        data = validated(ExtendSerializer, request.data)
        services.extend_deadline(case, data["decision_number"], data["days"], request.user,
                                 decided_on=data["decided_on"], request=request)
        return Response(detail(case, request))


class CaseAssignView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = AssignSerializer

    @extend_schema(tags=TAGS, request=AssignSerializer, responses={200: CaseDetailSerializer, **ERRORS},
                   summary="Assign the handler (a leader or reception officer of the office)")
    def post(self, request, public_id):
        case = get_case(public_id, request.user)
        data = validated(AssignSerializer, request.data)
        services.assign_handler(case, request.user, data["handler"], request=request)
        return Response(detail(case, request))
