"""URLs of the report pages (appended to the ``frontend`` namespace by frontend/urls.py)."""

from django.urls import path

from frontend import reports_views as views

urlpatterns = [
    path("bao-cao/", views.report_list, name="reports"),
    path("bao-cao/theo-doi/", views.tracker, name="report-tracker"),
    path("bao-cao/ky/", views.report_for_period, name="report-for-period"),
    path("bao-cao/dot-xuat/", views.adhoc_request, name="report-adhoc"),
    path("bao-cao/<int:pk>/", views.report_detail, name="report"),
    path("bao-cao/<int:pk>/tep.<str:fmt>", views.report_file, name="report-file"),
]
