"""URLs of the oversight pages (appended to the ``frontend`` namespace by frontend/urls.py)."""

from django.urls import path

from frontend import oversight_views as views

urlpatterns = [
    path("giam-sat/", views.dashboard, name="oversight"),
    path("cong-khai/ket-qua-giai-quyet/", views.public_results, name="public-results"),
]
