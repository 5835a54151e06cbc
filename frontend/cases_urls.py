"""URLs of the case pages (appended to the ``frontend`` namespace by frontend/urls.py)."""

from django.urls import path

from frontend import cases_views as views

urlpatterns = [
    path("lam-viec/vu-viec/", views.case_inbox, name="case-inbox"),
    path("lam-viec/vu-viec/<uuid:public_id>/", views.case_detail, name="case-detail"),
    path("cua-toi/vu-viec/", views.my_cases, name="my-cases"),
    path("cua-toi/vu-viec/giay-to/<int:section_id>/<str:kind>.pdf", views.my_case_document,
         name="my-case-document"),
]
