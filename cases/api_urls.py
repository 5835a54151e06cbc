"""``/api/cases/``: the staff API of the case register."""

from django.urls import path

from cases import api

urlpatterns = [
    path("", api.CaseListCreateView.as_view(), name="api-cases"),
    path("<uuid:public_id>/", api.CaseDetailView.as_view(), name="api-case-detail"),
    path("<uuid:public_id>/transition/", api.CaseTransitionView.as_view(), name="api-case-transition"),
    path("<uuid:public_id>/transfer/", api.CaseTransferView.as_view(), name="api-case-transfer"),
    path("<uuid:public_id>/extend/", api.CaseExtendView.as_view(), name="api-case-extend"),
    path("<uuid:public_id>/assign/", api.CaseAssignView.as_view(), name="api-case-assign"),
    path("<uuid:public_id>/documents/", api.CaseDocumentsView.as_view(), name="api-case-documents"),
    path("<uuid:public_id>/documents/<uuid:document_id>/", api.CaseDocumentDownloadView.as_view(),
         name="api-case-document"),
    path("<uuid:public_id>/split/", api.CaseSplitView.as_view(), name="api-case-split"),
    path("<uuid:public_id>/link-previous/", api.CaseLinkPreviousView.as_view(), name="api-case-link-previous"),
    path("<uuid:public_id>/redacted-copy/", api.CaseRedactedCopyView.as_view(), name="api-case-redacted-copy"),
]
