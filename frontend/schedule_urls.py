"""URLs of the public schedule, the session pages and the citizen's registrations (in the ``frontend``
namespace: ``frontend/urls.py`` appends these patterns)."""

from django.urls import path

from frontend import schedule_views as views

urlpatterns = [
    path("lich-tiep/", views.schedule, name="schedule"),
    path("lich-tiep/<uuid:public_id>/", views.session_detail, name="session"),
    path("cua-toi/dang-ky/", views.my_registrations, name="my-registrations"),
    path("cua-toi/dang-ky/<uuid:public_id>/huy/", views.cancel_registration, name="cancel-registration"),
]
