"""``/api/followup/``: the API side of what the follow-up pages do that has no API yet — attaching a minutes
section to an existing case (``minutes.services.link_case``)."""

from __future__ import annotations

import uuid

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import access as case_access
from cases.models import Case
from followup import services
from minutes.api import get_minutes, get_section

RESPONSES = {code: OpenApiTypes.OBJECT for code in (200, 400, 403, 404)}


class LinkCaseRequest(serializers.Serializer):
    case = serializers.CharField(max_length=64, help_text="the case's number (e.g. X01001-2026-0007) or public id")


def find_case(user, reference: str) -> Case | None:
    """A case the user may view, by its number or public id (None otherwise: no hint that it exists)."""
    reference = (reference or "").strip()
    query = case_access.visible_cases(user)
    try:
        return query.filter(public_id=uuid.UUID(reference)).first()
    except ValueError:
        return query.filter(number__iexact=reference).first()


class SectionLinkCaseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=LinkCaseRequest, responses=RESPONSES, tags=["minutes"],
                   summary="Attach the citizen's section to an existing case (the section keeps its public id)")
    def post(self, request, pk, sid):
        section = get_section(get_minutes(pk), sid)
        data = LinkCaseRequest(data=request.data)
        data.is_valid(raise_exception=True)
        case = find_case(request.user, data.validated_data["case"])
        if case is None:
            raise services.FollowupError(_("Không tìm thấy vụ việc."), "not_found", "case")
        services.link_section_to_case(section, case, request.user, request=request)
        return Response({"section": section.pk, "case": str(case.public_id), "number": case.number})
