"""API of the minutes (mounted at ``/api/minutes/``). Views translate I/O only: ``minutes.services`` decides
and checks permissions; a refusal (DomainError) becomes a typed 4xx in ``core.api.exception_handler``.
A stale save of a single-valued field (``outcome == "conflict"``) is answered 409 with both values."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import record
from core.errors import DomainError
from media.models import Recording
from minutes import access, services
from minutes.models import CitizenSection, ConfirmationWay, Minutes, MinutesState
from scheduling.models import MatterKind, Registration
from sessions.models import ReceptionSession
from signaling.api import LoginOrJoinToken

TAGS = ["minutes"]
# Payloads are plain JSON built by the functions below (documented in docs/minutes.md); errors are typed.
RESPONSES = {code: OpenApiTypes.OBJECT for code in (200, 201, 400, 403, 404, 409)}
ROLE_LABELS = {
    "host": gettext_lazy("Lãnh đạo chủ trì"), "leader": gettext_lazy("Lãnh đạo"),
    "officer": gettext_lazy("Cán bộ tiếp công dân"), "secretary": gettext_lazy("Thư ký"),
    "inspector": gettext_lazy("Thanh tra, giám sát"), "site_responsible": gettext_lazy("Phụ trách điểm cầu"),
}
REDACTED_FREE_TEXT = gettext_lazy("[Ghi chú được bảo mật vì biên bản có nội dung tố cáo]")
SECRET_SECTION_FIELDS = ("citizen_name", "citizen_address", "id_document_type", "id_document_number", "statement",
                         "documents_handed_over", "leader_answer", "conclusions")


def _not_found(what: str) -> DomainError:
    return DomainError(what, "not_found")


def get_minutes(pk) -> Minutes:
    minutes = (Minutes.objects.select_related("session__host_office", "finalized_by")
               .prefetch_related("session__sites__office").filter(pk=pk).first())
    if minutes is None:
        raise _not_found(_("Không tìm thấy biên bản."))
    return minutes


def get_section(minutes: Minutes, sid) -> CitizenSection:
    section = minutes.sections.select_related("registration").filter(pk=sid).first()
    if section is None:
        raise _not_found(_("Không tìm thấy phần ghi của công dân."))
    return section


def require_view(user, minutes: Minutes) -> bool:
    """True: full view; False: redacted (staff of another connected site); refused otherwise."""
    if access.may_view(user, minutes.session):
        return True
    if access.may_view_redacted(user, minutes.session):
        return False
    raise DomainError(_("Bạn không có quyền xem biên bản này."), "forbidden")


def when(value):
    return value.isoformat() if value is not None else None


def section_data(section: CitizenSection, full: bool = True, viewer=None, request=None) -> dict:
    """A section as ``viewer`` may see it. A denunciation is in clear only for ``access.may_see_denunciation``
    (each such read is an audit entry ``minutes.read_identity``); ``viewer`` None = an internal caller."""
    data = {
        "id": section.pk, "ordinal": section.ordinal,
        "registration": str(section.registration.public_id) if section.registration_id else None,
        "citizen_id": section.citizen_id, "citizen_name": section.citizen_name,
        "citizen_address": section.citizen_address, "identity_checked": section.identity_checked,
        "id_document_type": section.id_document_type, "id_document_number": section.id_document_number,
        "kind": section.kind, "people_count": section.people_count, "statement": section.statement,
        "documents_handed_over": section.documents_handed_over, "leader_answer": section.leader_answer,
        "conclusions": section.conclusions, "versions": section.versions,
        "citizen_confirmed_at": when(section.citizen_confirmed_at),
        "citizen_confirmed_via": section.citizen_confirmed_via or None,
        "case_public_id": str(section.case_public_id) if section.case_public_id else None, "redacted": False,
    }
    if access.section_is_secret(section):
        if not full or (viewer is not None and not access.may_see_section(viewer, section)):
            # Protecting denouncers: neither identity nor content.
            data.update({key: None for key in SECRET_SECTION_FIELDS}, citizen_id=None, redacted=True)
        elif viewer is not None:
            record(actor=viewer, action="minutes.read_identity", obj=section, request=request,
                   details={"minutes": section.minutes_id, "section": section.pk})
    return data


def minutes_summary(minutes: Minutes) -> dict:
    return {"id": minutes.pk, "session": str(minutes.session.public_id), "state": minutes.state,
            "started_at": when(minutes.started_at), "ended_at": when(minutes.ended_at),
            "finalized_at": when(minutes.finalized_at), "sha256": minutes.sha256 or None,
            "sections": minutes.sections.count()}


def minutes_data(minutes: Minutes, full: bool = True, viewer=None, request=None) -> dict:
    session = minutes.session
    recordings = Recording.objects.filter(session=session).order_by("started_at", "participant")
    site_names = services.site_names(minutes)
    # Free text outside the sections (notes, addenda, the scan) follows the secrecy rule when the minutes
    # hold a denouncer's section (docs/secrecy.md).
    free_text = (viewer is None or access.may_see_free_text(viewer, minutes)) and (
        full or not access.minutes_is_secret(minutes))
    redacted_text = _(REDACTED_FREE_TEXT)
    return {
        "id": minutes.pk,
        "session": {"public_id": str(session.public_id), "title": session.title, "kind": session.kind,
                    "status": session.status, "starts_at": when(session.starts_at), "ends_at": when(session.ends_at),
                    "host_office": {"code": session.host_office.code, "name": session.host_office.name}},
        "state": minutes.state, "place": minutes.place, "started_at": when(minutes.started_at),
        "ended_at": when(minutes.ended_at), "sites": minutes.sites,
        "participants": [{**p, "role_label": str(ROLE_LABELS.get(p.get("role"), p.get("role") or "")),
                          "site_name": site_names.get(p.get("site") or "", p.get("site") or "")}
                         for p in minutes.participants],
        "notes": minutes.notes if free_text else (redacted_text if minutes.notes else ""),
        "notes_redacted": not free_text and bool(minutes.notes), "versions": minutes.versions,
        "finalized_at": when(minutes.finalized_at),
        "finalized_by": minutes.finalized_by.full_name if minutes.finalized_by_id else None,
        "sha256": minutes.sha256 or None,
        "verified": services.verify(minutes) if minutes.state == MinutesState.FINAL else None,
        "paper_scan": {"sha256": minutes.paper_scan_sha256, "content_type": minutes.paper_scan_content_type,
                       "uploaded_at": when(minutes.paper_scan_uploaded_at),
                       "url": f"/api/minutes/{minutes.pk}/paper-scan/" if free_text else None}
        if minutes.paper_scan else None,
        "sections": [section_data(s, full, viewer, request)
                     for s in minutes.sections.select_related("registration", "minutes__session__host_office")],
        "addenda": [{"id": a.pk, "section": a.section_id, "text": a.text if free_text else None,
                     "by": a.by.full_name if a.by_id else None, "at": when(a.at), "sha256": a.sha256}
                    for a in minutes.addenda.select_related("by")],
        "recordings": [{"id": r.pk, "participant": r.participant, "role": r.role, "started_at": when(r.started_at),
                        "duration": r.duration_seconds, "sha256": r.sha256,
                        "url": f"/api/minutes/{minutes.pk}/recordings/{r.pk}/" if free_text else None}
                       for r in recordings],
        "limits": {"max_text_chars": services.max_text_chars(), "max_scan_bytes": services.max_scan_bytes()},
    }


def save_response(result: services.SaveResult) -> Response:
    body = {"field": result.field, "section": result.section_id, "version": result.version,
            "outcome": result.outcome, "value": result.value, "revision": result.revision_id}
    if result.outcome == "conflict":
        body["submitted"] = result.submitted
        body["error"] = {"type": "edit_conflict", "message": _(
            "Trường này đã được người khác sửa. Giá trị hiện tại được giữ; bản của bạn lưu trong lịch sử.")}
        return Response(body, status=status.HTTP_409_CONFLICT)
    return Response(body)


def save_args(request) -> dict:
    data = request.data
    if not isinstance(data, dict):
        raise DomainError(_("Dữ liệu phải là một đối tượng JSON."), "invalid", "field")
    if "text" in data:
        value = data["text"]
    elif "value" in data:
        value = data["value"]
    else:
        raise DomainError(_("Thiếu nội dung (text hoặc value)."), "required", "text")
    return {"field": data.get("field"), "value": value, "base_version": data.get("base_version")}


class SaveRequest(serializers.Serializer):
    field = serializers.CharField()
    text = serializers.JSONField(required=False, help_text="text fields; or `value` for the others")
    value = serializers.JSONField(required=False)
    base_version = serializers.IntegerField(min_value=0)


class OpenRequest(serializers.Serializer):
    session = serializers.UUIDField()


class SectionCreateRequest(serializers.Serializer):
    citizen_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=MatterKind.choices, required=False, allow_blank=True, default="")
    registration = serializers.UUIDField(required=False, allow_null=True, default=None)
    citizen_address = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    id_document_type = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    id_document_number = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    people_count = serializers.IntegerField(min_value=1, max_value=10_000, required=False, default=1)
    statement = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)


class AddendumRequest(serializers.Serializer):
    text = serializers.CharField(trim_whitespace=False)
    section = serializers.IntegerField(required=False, allow_null=True, default=None)


def validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class MinutesListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RESPONSES, parameters=[OpenApiParameter("session", str, required=True)], tags=TAGS,
                   operation_id="minutes_list_for_session",
                   summary="The minutes of a session (staff of the session)")
    def get(self, request):
        try:
            public_id = uuid.UUID(str(request.query_params.get("session", "")))
        except ValueError:
            raise DomainError(_("Mã phiên tiếp không hợp lệ."), "invalid", "session") from None
        session = ReceptionSession.objects.select_related("host_office").filter(public_id=public_id).first()
        if session is None:
            raise _not_found(_("Không tìm thấy phiên tiếp."))
        if not access.may_view_redacted(request.user, session):
            raise DomainError(_("Bạn không có quyền xem biên bản này."), "forbidden")
        minutes = Minutes.objects.filter(session=session).select_related("session")
        return Response({"results": [minutes_summary(m) for m in minutes]})

    @extend_schema(responses=RESPONSES, request=OpenRequest, tags=TAGS,
                   summary="Open (or bring up to date) the minutes of a session — idempotent")
    def post(self, request):
        data = validated(OpenRequest, request)
        session = ReceptionSession.objects.filter(public_id=data["session"]).first()
        if session is None:
            raise _not_found(_("Không tìm thấy phiên tiếp."))
        minutes = services.open_minutes(session, request.user, request=request)
        return Response(minutes_data(get_minutes(minutes.pk), viewer=request.user, request=request), status=status.HTTP_200_OK)


class MinutesDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RESPONSES, tags=TAGS, summary="The editor's view: header, sections, versions, addenda, recordings")
    def get(self, request, pk):
        minutes = get_minutes(pk)
        return Response(minutes_data(minutes, full=require_view(request.user, minutes), viewer=request.user, request=request))

    @extend_schema(responses=RESPONSES, request=SaveRequest, tags=TAGS, summary="Autosave one header field (optimistic version)")
    def patch(self, request, pk):
        args = save_args(request)
        return save_response(services.save_header_field(get_minutes(pk), request.user, request=request, **args))


class SectionsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RESPONSES, request=SectionCreateRequest, tags=TAGS, summary="Add a section (walk-in citizen)")
    def post(self, request, pk):
        minutes = get_minutes(pk)
        data = validated(SectionCreateRequest, request)
        registration, registration_id = None, data.pop("registration")
        if registration_id:
            registration = Registration.objects.select_related("citizen").filter(public_id=registration_id).first()
            if registration is None:
                raise DomainError(_("Không tìm thấy đăng ký."), "not_found", "registration")
        section = services.add_section(minutes, request.user, registration=registration, request=request, **data)
        return Response(section_data(section, viewer=request.user, request=request), status=status.HTTP_201_CREATED)


class SectionDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RESPONSES, tags=TAGS, summary="One section: staff, or the section's own citizen once locked")
    def get(self, request, pk, sid):
        minutes = get_minutes(pk)
        section = get_section(minutes, sid)
        if access.is_section_citizen(request.user, section):
            if minutes.state != MinutesState.FINAL:
                raise services.MinutesStateError(_("Biên bản chưa khóa."), "minutes_not_final")
            return Response({**section_data(section), "minutes": minutes_summary(minutes),
                             "place": minutes.place, "session_title": minutes.session.title})
        return Response(section_data(section, full=require_view(request.user, minutes), viewer=request.user,
                                     request=request))

    @extend_schema(responses=RESPONSES, request=SaveRequest, tags=TAGS, summary="Autosave one field of a section (optimistic version)")
    def patch(self, request, pk, sid):
        args = save_args(request)
        section = get_section(get_minutes(pk), sid)
        return save_response(services.save_section_field(section, request.user, request=request, **args))


TOKEN_PARAMETER = OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                                   description="a citizen's join link token, instead of a login (the room page)")


class SectionConfirmView(APIView):
    permission_classes = [LoginOrJoinToken]

    @extend_schema(responses=RESPONSES, request=None, tags=TAGS, parameters=[TOKEN_PARAMETER],
                   summary="The citizen confirms the locked minutes (own section only): login or join link")
    def post(self, request, pk, sid):
        section = get_section(get_minutes(pk), sid)
        via = ConfirmationWay.JOIN_LINK if request.query_params.get("token") else ConfirmationWay.LOGIN
        section = services.confirm_by_citizen(section, request.ice_user, request=request, via=via)
        return Response({"id": section.pk, "citizen_confirmed_at": when(section.citizen_confirmed_at),
                         "citizen_confirmed_via": section.citizen_confirmed_via or None})


class CitizenMinutesView(APIView):
    """What the citizen reads before confirming, in the room or on their pages: their own sections of the
    session's minutes, once locked (before that: an empty list)."""

    permission_classes = [LoginOrJoinToken]

    @extend_schema(responses=RESPONSES, tags=TAGS, operation_id="minutes_mine",
                   parameters=[OpenApiParameter("session", str, required=True), TOKEN_PARAMETER],
                   summary="The citizen's own sections of a session's locked minutes")
    def get(self, request):
        try:
            public_id = uuid.UUID(str(request.query_params.get("session", "")))
        except ValueError:
            raise DomainError(_("Mã phiên tiếp không hợp lệ."), "invalid", "session") from None
        sections = (CitizenSection.objects.filter(minutes__session__public_id=public_id, citizen=request.ice_user,
                                                  minutes__state=MinutesState.FINAL)
                    .select_related("minutes").order_by("minutes_id", "ordinal"))
        results = [{"minutes": s.minutes_id, "section": s.pk, "sha256": s.minutes.sha256,
                    "finalized_at": when(s.minutes.finalized_at), "statement": s.statement,
                    "documents_handed_over": s.documents_handed_over, "leader_answer": s.leader_answer,
                    "conclusions": s.conclusions, "citizen_confirmed_at": when(s.citizen_confirmed_at)}
                   for s in sections]
        response = Response({"results": results})
        response["Cache-Control"] = "no-store"
        return response


class SectionCaseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RESPONSES, request=None, tags=TAGS,
                   summary="Turn the citizen's section into a pre-filled case of the host office, linked both ways")
    def post(self, request, pk, sid):
        section = get_section(get_minutes(pk), sid)
        case = services.create_case_from_section(section, request.user, request=request)
        return Response({"section": section.pk, "case": str(case.public_id), "number": case.number,
                         "url": f"/api/cases/{case.public_id}/"}, status=status.HTTP_201_CREATED)


class FinalizeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RESPONSES, request=None, tags=TAGS, summary="Lock the minutes and store their SHA-256")
    def post(self, request, pk):
        minutes = services.finalize(get_minutes(pk), request.user, request=request)
        return Response(minutes_data(get_minutes(minutes.pk), viewer=request.user, request=request))


class VerifyView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RESPONSES, tags=TAGS, summary="Recompute the SHA-256 of locked minutes")
    def get(self, request, pk):
        minutes = get_minutes(pk)
        require_view(request.user, minutes)
        return Response({"sha256": minutes.sha256 or None, "verified": services.verify(minutes)})


class AddendaView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RESPONSES, request=AddendumRequest, tags=TAGS, summary="Add an addendum to locked minutes")
    def post(self, request, pk):
        minutes = get_minutes(pk)
        data = validated(AddendumRequest, request)
        section = get_section(minutes, data["section"]) if data["section"] else None
        addendum = services.add_addendum(minutes, request.user, data["text"], section=section, request=request)
        return Response({"id": addendum.pk, "section": addendum.section_id, "at": when(addendum.at),
                         "sha256": addendum.sha256}, status=status.HTTP_201_CREATED)


class RevisionsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RESPONSES, tags=TAGS, summary="The full save history (editors only)")
    def get(self, request, pk):
        minutes = get_minutes(pk)
        if not access.may_edit(request.user, minutes.session):
            raise DomainError(_("Bạn không có quyền xem lịch sử biên bản."), "forbidden")
        revisions = minutes.revisions.select_related("by", "section__minutes__session__host_office").order_by("pk")
        free_text = access.may_see_free_text(request.user, minutes)
        clear_sections: dict[int, bool] = {}

        def visible(revision) -> bool:
            if revision.section_id is None:
                return free_text
            if revision.section_id not in clear_sections:
                clear_sections[revision.section_id] = access.may_see_denunciation(request.user, revision.section)
            return clear_sections[revision.section_id]

        results = []
        for r in revisions:
            shown = visible(r)
            results.append({"id": r.pk, "section": r.section_id, "field": r.field, "base_version": r.base_version,
                            "version": r.version, "outcome": r.outcome, "text": r.text if shown else None,
                            "result": (r.result or None) if shown else None, "redacted": not shown,
                            "by": r.by.full_name if r.by_id else None, "at": when(r.at)})
        secret_read = [sid for sid, ok in clear_sections.items() if ok and access.section_is_secret(
            next(r.section for r in revisions if r.section_id == sid))]
        record(actor=request.user, action="minutes.read_revisions", obj=minutes, request=request,
               details={"minutes": minutes.pk, "secret_sections": secret_read, "count": len(results)})
        return Response({"results": results})


class PaperScanView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=RESPONSES, request={"multipart/form-data": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}}}, tags=TAGS,
        summary="Upload the scan of the signed paper minutes (PDF/JPEG/PNG, ≤ 20 MB)")
    def post(self, request, pk):
        minutes = services.attach_paper_scan(get_minutes(pk), request.user, request.FILES.get("file"),
                                             request=request)
        return Response(minutes_data(get_minutes(minutes.pk), viewer=request.user, request=request), status=status.HTTP_201_CREATED)

    @extend_schema(responses=RESPONSES, tags=TAGS, summary="Download the paper scan")
    def get(self, request, pk):
        minutes = get_minutes(pk)
        if not require_view(request.user, minutes) or not minutes.paper_scan:
            raise _not_found(_("Không có bản quét."))
        content = services.read_paper_scan(minutes, request.user, request=request)
        response = HttpResponse(content, content_type=minutes.paper_scan_content_type)
        response["Cache-Control"] = "no-store"
        return response


class RecordingView(APIView):
    """A recording of the session, decrypted on the way out (``media.sealing``): staff of the host office,
    and when a denouncer was received in the session only those the secrecy rule entitles; every play is
    audited (``media.read_recording``)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "video/webm"): OpenApiTypes.BINARY, **{c: OpenApiTypes.OBJECT for c in (403, 404)}},
                   tags=TAGS, summary="Play one recording of the session (entitled staff only, audited)")
    def get(self, request, pk, rid):
        from django.http import StreamingHttpResponse

        from media import sealing

        minutes = get_minutes(pk)
        recording = Recording.objects.select_related("session__host_office").filter(
            pk=rid, session=minutes.session).first()
        if recording is None or not recording.file:
            raise _not_found(_("Không tìm thấy bản ghi."))
        if not sealing.may_play(request.user, recording):
            raise DomainError(_("Bạn không có quyền xem bản ghi này."), "forbidden")
        record(actor=request.user, action="media.read_recording", obj=recording, request=request,
               details={"session": str(minutes.session.public_id), "recording": recording.pk})
        handle = recording.file.open("rb")

        def stream():
            try:
                yield from sealing.open_plain(handle)
            finally:
                handle.close()

        response = StreamingHttpResponse(stream(), content_type="video/webm")
        response["Cache-Control"] = "no-store"
        return response
