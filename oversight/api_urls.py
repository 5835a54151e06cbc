"""``/api/oversight/``: figures for inspectors (counts only)."""

from django.urls import path

from oversight import api

urlpatterns = [
    path("stats/", api.StatsView.as_view(), name="api-oversight-stats"),
    path("periods/", api.PeriodsView.as_view(), name="api-oversight-periods"),
]
