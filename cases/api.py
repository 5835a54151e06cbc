"""Staff API of the case register (mounted at ``/api/cases/``): the inbox, a case file, creation, workflow
moves, transfer, denunciation extensions and handler assignment.

Views translate I/O only: ``cases.services`` decides and checks permissions (``cases.access``); a refusal
(DomainError) becomes a typed 4xx through ``core.api.exception_handler``.
"""

from __future__ import annotations

import uuid

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
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
from documents.views import file_response
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


# --- documents, split, link, the verifiers' copy -----------------------------------------------------------

ALLOWED_DOCUMENT_TYPES = {"application/pdf": b"%PDF", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG"}


class CaseDocumentsView(generics.GenericAPIView):
    """Files of a case (scans of the petition, handwriting, evidence). A denunciation's files are encrypted
    before they reach the storage; their names never appear in listings."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(tags=TAGS, summary="Upload a file (PDF, JPEG or PNG, at most 20 MB)",
                   request={"multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
                   responses={201: dict, **ERRORS})
    def post(self, request, public_id):
        case = get_case(public_id, request.user)
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError(_("Hãy chọn tệp."), "required", "file")
        if upload.size > services.MAX_DOCUMENT_BYTES:
            raise DomainError(_("Tệp quá lớn (tối đa 20 MB)."), "too_large", "file")
        content = upload.read()
        magic = ALLOWED_DOCUMENT_TYPES.get(upload.content_type or "")
        if magic is None or not content.startswith(magic):
            raise DomainError(_("Chỉ nhận tệp PDF, JPEG hoặc PNG."), "unsupported_type", "file")
        document = services.add_document(case, request.user, content=content, name=upload.name or "",
                                         content_type=upload.content_type, request=request)
        return Response({"id": str(document.public_id), "size": document.size, "encrypted": document.encrypted},
                        status=status.HTTP_201_CREATED)


class CaseDocumentDownloadView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Download a file of the case (a denunciation's: handler and head only, audited)",
                   responses={200: bytes, **ERRORS})
    def get(self, request, public_id, document_id):
        case = get_case(public_id, request.user)
        document = case.documents.filter(public_id=document_id).first()
        if document is None:
            raise DomainError(_("Không tìm thấy tệp."), "not_found")
        data = services.read_document(document, request.user, request=request)
        name = "tai-lieu-" + str(document.public_id)[:8] + {"application/pdf": ".pdf", "image/jpeg": ".jpg",
                                                          "image/png": ".png"}.get(document.content_type, ".bin")
        return file_response(data, name, document.content_type or "application/octet-stream")


class CaseSplitView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Split a mixed matter into cases: [{kind, summary, field}, …] (tách đơn)",
                   request=dict, responses={200: dict, **ERRORS})
    def post(self, request, public_id):
        case = get_case(public_id, request.user)
        parts = request.data.get("parts") if isinstance(request.data, dict) else None
        if not isinstance(parts, list):
            raise DomainError(_("Hãy gửi danh sách các phần (parts)."), "invalid", "parts")
        siblings = services.split_case(case, parts, request.user, request=request)
        return Response({"cases": [{"id": str(c.public_id), "number": c.number, "kind": c.kind} for c in siblings]})


class CaseLinkPreviousView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Link a repeated complaint or denunciation to the earlier case (tiếp khiếu, tiếp tố)",
                   request=dict, responses={200: CaseDetailSerializer, **ERRORS})
    def post(self, request, public_id):
        case = get_case(public_id, request.user)
        previous_id = request.data.get("previous") if isinstance(request.data, dict) else None
        try:
            previous = get_case(uuid.UUID(str(previous_id)), request.user)
        except ValueError:
            raise DomainError(_("Mã vụ việc trước không hợp lệ."), "invalid", "previous") from None
        services.link_previous(case, previous, request.user, request=request)
        return Response(detail(case, request))


class CaseRedactedCopyView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="The file for verifiers (tổ xác minh): everything but the parties' identity",
                   responses={200: dict, **ERRORS})
    def get(self, request, public_id):
        case = get_case(public_id, request.user)
        if not access.may_make_redacted_copy(request.user, case):
            raise DomainError(_("Chỉ người được giao xử lý lập bản sao hồ sơ không có danh tính."), "forbidden")
        from audit.services import record

        record(action="cases.redacted_copy", obj=case, request=request, details={"case": str(case.public_id)})
        return Response(access.redacted_copy(case))
