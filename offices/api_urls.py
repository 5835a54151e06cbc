from django.urls import path

from offices import api

urlpatterns = [
    path("", api.OfficeListView.as_view(), name="api-office-list"),
    path("<str:code>", api.OfficeDetailView.as_view(), name="api-office-detail"),
    path("<str:code>/children", api.OfficeChildrenView.as_view(), name="api-office-children"),
    path("<str:code>/staff", api.OfficeStaffView.as_view(), name="api-office-staff"),
    path("<str:code>/notices", api.OfficeNoticeView.as_view(), name="api-office-notices"),
]
