"""The reception log (sổ tiếp công dân, mẫu 03) as a download, for the API (``documents/api.py``) and the
staff page (``frontend/reception_log_views.py``) alike: who may export it, the period's rules, the audit entry
and the file. Views only parse their input and send the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.permissions import Action, offices_for
from audit.services import record
from core.errors import DomainError
from documents import adapters, render
from offices.models import Office

MAX_LOG_DAYS = 3660  # a period is at most 10 years
FORMATS = {"xlsx": render.XLSX_CONTENT_TYPE, "pdf": render.PDF_CONTENT_TYPE}


class DocumentRequestError(DomainError):
    pass


@dataclass
class Export:
    """A rendered file: ``data`` is bytes (PDF) or a rewound binary file (XLSX, spooled)."""

    data: bytes | IO[bytes]
    filename: str
    content_type: str


def reception_log_offices(user) -> QuerySet[Office]:
    """The offices whose reception log ``user`` may export: staff of the office, inspectors (and office
    administrators) above it."""
    return offices_for(user, Action.OFFICE_VIEW).order_by("path")


def export_reception_log(user, office: Office | None, date_from: date, date_to: date, fmt: str,
                         request=None) -> Export:
    """The log of ``office`` from ``date_from`` to ``date_to`` (inclusive) as XLSX or PDF. Refused (typed
    errors): an unknown office, an office outside the user's scope, a reversed or longer-than-10-years
    period, an unknown format, a PDF longer than ``DOCUMENTS_LOG_PDF_MAX_ROWS`` rows (``too_many_rows``: the
    XLSX has no limit). Every export is an audit entry ``documents.export``."""
    if office is None:
        raise DocumentRequestError(_("Không tìm thấy cơ quan."), "not_found", "office")
    if not reception_log_offices(user).filter(pk=office.pk).exists():
        raise DocumentRequestError(_("Bạn không có quyền xem sổ tiếp công dân của cơ quan này."), "forbidden")
    if fmt not in FORMATS:
        raise DocumentRequestError(_("Định dạng không được hỗ trợ."), "unsupported_format", "format")
    if date_to < date_from or date_to - date_from > timedelta(days=MAX_LOG_DAYS):
        raise DocumentRequestError(_("Khoảng thời gian không hợp lệ (tối đa 10 năm)."), "invalid", "to")
    rows = adapters.reception_log_rows(office, date_from, date_to)
    header = {"office_name": office.name, "date_from": date_from, "date_to": date_to}
    data = render.reception_log_pdf(rows, **header) if fmt == "pdf" else render.reception_log_xlsx_file(rows, **header)
    record(action="documents.export", obj=office, request=request, actor=user,
           details={"document": f"reception_log.{fmt}", "date_from": date_from.isoformat(),
                    "date_to": date_to.isoformat()})
    name = f"so-tiep-cong-dan-{office.code}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.{fmt}"
    return Export(data=data, filename=name, content_type=FORMATS[fmt])
