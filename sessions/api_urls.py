"""``/api/sessions/``: the staff API of reception sessions (the public schedule is ``/api/public/sessions``)."""

from django.urls import path

from sessions import api

urlpatterns = [
    path("", api.SessionCreateView.as_view(), name="api-session-create"),
    path("<uuid:public_id>", api.SessionDetailView.as_view(), name="api-session-detail"),
    path("<uuid:public_id>/publish", api.SessionPublishView.as_view(), name="api-session-publish"),
    path("<uuid:public_id>/postpone", api.SessionPostponeView.as_view(), name="api-session-postpone"),
    path("<uuid:public_id>/cancel", api.SessionCancelView.as_view(), name="api-session-cancel"),
    path("<uuid:public_id>/open", api.SessionOpenView.as_view(), name="api-session-open"),
    path("<uuid:public_id>/close", api.SessionCloseView.as_view(), name="api-session-close"),
    path("<uuid:public_id>/sites", api.SessionSitesView.as_view(), name="api-session-sites"),
    path("<uuid:public_id>/registrations", api.SessionRegistrationsView.as_view(),
         name="api-session-registrations"),
]
