"""``/api/reports/``: reports and their status (read-only)."""

from django.urls import path

from reports import api

urlpatterns = [
    path("", api.ReportListView.as_view(), name="api-reports"),
    path("tracker/", api.TrackerView.as_view(), name="api-reports-tracker"),
    path("<int:pk>/", api.ReportDetailView.as_view(), name="api-report"),
    path("<int:pk>/figures/", api.ReportFiguresView.as_view(), name="api-report-figures"),
    path("<int:pk>/versions/<int:ordinal>/", api.ReportVersionView.as_view(), name="api-report-version"),
]
