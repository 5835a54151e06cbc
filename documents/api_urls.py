"""``/api/documents/``: official outputs (documents/api.py)."""

from django.urls import re_path

from documents import api

urlpatterns = [
    re_path(r"^minutes/(?P<pk>\d+)\.(?P<fmt>pdf|docx)$", api.MinutesFileView.as_view(), name="api-documents-minutes"),
    re_path(r"^minutes/(?P<pk>\d+)/sections/(?P<sid>\d+)/(?P<form>notice|receipt)\.(?P<fmt>pdf|docx)$",
            api.SectionFileView.as_view(), name="api-documents-section"),
    re_path(r"^reception-log\.(?P<fmt>xlsx|pdf)$", api.ReceptionLogView.as_view(), name="api-documents-reception-log"),
]
