"""``/api/documents/``: the official outputs as files (docs/documents.md).

* ``minutes/<id>.pdf`` / ``.docx`` — biên bản; ``minutes/<id>/sections/<sid>/notice.pdf`` / ``.docx`` —
  thông báo kết luận; ``minutes/<id>/sections/<sid>/receipt.pdf`` — giấy biên nhận (mẫu 02): staff who may
  read the minutes (minutes.access).
* ``reception-log.xlsx`` / ``.pdf`` ``?office=<code>&from=YYYY-MM-DD&to=YYYY-MM-DD`` — sổ tiếp công dân
  (mẫu 03): staff of the office and inspectors above it. The XLSX streams (write-only workbook spooled to
  a temporary file, sent in chunks); the PDF is limited to ``DOCUMENTS_LOG_PDF_MAX_ROWS`` rows.

Every download is an audit entry (``documents.export``).
"""

from __future__ import annotations

from datetime import date

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from audit.services import record
from documents import adapters, render, services
from documents.services import DocumentRequestError
from documents.views import content_disposition, file_response
from minutes import access as minutes_access
from minutes.models import Minutes
from offices.models import Office

PDF, DOCX = "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TAGS = ["documents"]
MAX_LOG_DAYS = services.MAX_LOG_DAYS


def _minutes(request, pk) -> Minutes:
    minutes = get_object_or_404(Minutes.objects.select_related("session__host_office__parent", "session__host",
                                                               "finalized_by"), pk=pk)
    session = minutes.session
    if not (minutes_access.may_view(request.user, session) or minutes_access.may_view_redacted(request.user, session)):
        raise DocumentRequestError(_("Bạn không có quyền xem biên bản này."), "forbidden")
    return minutes


def _audit(request, what: str, obj=None, **details) -> None:
    record(action="documents.export", obj=obj, request=request, details={"document": what, **details})


class MinutesFileView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses={(200, PDF): OpenApiTypes.BINARY, (200, DOCX): OpenApiTypes.BINARY},
                   summary="The minutes as PDF or DOCX (denunciation sections redacted)")
    def get(self, request, pk, fmt):
        minutes = _minutes(request, pk)
        doc = adapters.minutes_doc(minutes)
        data = render.minutes_pdf(doc) if fmt == "pdf" else render.minutes_docx(doc)
        _audit(request, f"minutes.{fmt}", minutes)
        return file_response(data, f"bien-ban-{minutes.pk}.{fmt}", PDF if fmt == "pdf" else DOCX)


class SectionFileView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses={(200, PDF): OpenApiTypes.BINARY, (200, DOCX): OpenApiTypes.BINARY},
                   summary="A citizen's notice of conclusions (PDF/DOCX) or receipt, form 02 (PDF)")
    def get(self, request, pk, sid, form, fmt):
        minutes = _minutes(request, pk)
        section = get_object_or_404(minutes.sections.select_related("minutes__session__host_office__parent"), pk=sid)
        if form == "receipt":
            if fmt != "pdf":
                raise DocumentRequestError(_("Giấy biên nhận chỉ có bản PDF."), "unsupported_format")
            data, name = render.receipt_pdf(adapters.receipt_doc(section)), f"giay-bien-nhan-{minutes.pk}-{section.ordinal}.pdf"
        else:
            doc = adapters.notice_doc(section)
            data = render.notice_of_conclusions_pdf(doc) if fmt == "pdf" else render.notice_of_conclusions_docx(doc)
            name = f"thong-bao-ket-luan-{minutes.pk}-{section.ordinal}.{fmt}"
        _audit(request, f"{form}.{fmt}", section)
        return file_response(data, name, PDF if fmt == "pdf" else DOCX)


def _day(value: str | None, field: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise DocumentRequestError(_("Ngày không hợp lệ (YYYY-MM-DD)."), "invalid", field) from None


class ReceptionLogView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="The reception log (form 03) of an office over a period, XLSX (streamed) or PDF",
                   parameters=[OpenApiParameter("office", str, required=True, description="office code"),
                               OpenApiParameter("from", OpenApiTypes.DATE, required=True),
                               OpenApiParameter("to", OpenApiTypes.DATE, required=True)],
                   responses={(200, XLSX): OpenApiTypes.BINARY, (200, PDF): OpenApiTypes.BINARY})
    def get(self, request, fmt):
        code = str(request.query_params.get("office", ""))[:32]
        office = Office.objects.filter(code=code).first()
        if office is None:
            raise DocumentRequestError(_("Không tìm thấy cơ quan."), "not_found", "office")
        if not services.reception_log_offices(request.user).filter(pk=office.pk).exists():
            raise DocumentRequestError(_("Bạn không có quyền xem sổ tiếp công dân của cơ quan này."), "forbidden")
        date_from, date_to = _day(request.query_params.get("from"), "from"), _day(request.query_params.get("to"), "to")
        export = services.export_reception_log(request.user, office, date_from, date_to, fmt, request=request)
        return reception_log_response(export)


def reception_log_response(export: services.Export):
    """The XLSX streams in chunks from its spooled file; the PDF is sent whole."""
    if isinstance(export.data, bytes):
        return file_response(export.data, export.filename, export.content_type)
    response = StreamingHttpResponse(render.iter_file(export.data), content_type=export.content_type)
    response["Content-Disposition"] = content_disposition(export.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
