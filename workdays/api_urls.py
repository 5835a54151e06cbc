"""Routes under ``/api/workdays/``."""

from django.urls import path

from workdays import api

urlpatterns = [
    path("add", api.AddDaysView.as_view(), name="api-workdays-add"),
    path("year/<int:year>", api.YearView.as_view(), name="api-workdays-year"),
]
