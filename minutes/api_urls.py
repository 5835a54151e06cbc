"""``/api/minutes/``: the live minutes of reception sessions (biên bản tiếp công dân)."""

from django.urls import path

from minutes import api

urlpatterns = [
    path("", api.MinutesListView.as_view(), name="api-minutes-list"),
    path("mine/", api.CitizenMinutesView.as_view(), name="api-minutes-mine"),
    path("<int:pk>/", api.MinutesDetailView.as_view(), name="api-minutes-detail"),
    path("<int:pk>/finalize/", api.FinalizeView.as_view(), name="api-minutes-finalize"),
    path("<int:pk>/verify/", api.VerifyView.as_view(), name="api-minutes-verify"),
    path("<int:pk>/addenda/", api.AddendaView.as_view(), name="api-minutes-addenda"),
    path("<int:pk>/revisions/", api.RevisionsView.as_view(), name="api-minutes-revisions"),
    path("<int:pk>/paper-scan/", api.PaperScanView.as_view(), name="api-minutes-paper-scan"),
    path("<int:pk>/recordings/<int:rid>/", api.RecordingView.as_view(), name="api-minutes-recording"),
    path("<int:pk>/sections/", api.SectionsView.as_view(), name="api-minutes-sections"),
    path("<int:pk>/sections/<int:sid>/", api.SectionDetailView.as_view(), name="api-minutes-section"),
    path("<int:pk>/sections/<int:sid>/case/", api.SectionCaseView.as_view(), name="api-minutes-section-case"),
    path("<int:pk>/sections/<int:sid>/confirm/", api.SectionConfirmView.as_view(),
         name="api-minutes-section-confirm"),
]
