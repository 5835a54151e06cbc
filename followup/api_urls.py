from django.urls import path

from followup import api

urlpatterns = [
    path("minutes/<int:pk>/sections/<int:sid>/link-case/", api.SectionLinkCaseView.as_view(),
         name="api-followup-section-link-case"),
]
