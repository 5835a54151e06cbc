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
]
