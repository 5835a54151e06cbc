"""URLs of the follow-up pages (appended to the ``frontend`` namespace by frontend/urls.py)."""

from django.urls import path

from frontend import followup_views as views

urlpatterns = [
    path("lam-viec/don-thu/moi/", views.letter_new, name="letter-new"),
    path("lam-viec/vu-viec/<uuid:public_id>/theo-doi/", views.case_followup, name="case-followup"),
    path("lam-viec/vu-viec/<uuid:public_id>/phieu-chuyen-don.<str:fmt>", views.transfer_letter,
         name="case-transfer-letter"),
    path("lam-viec/ke-hoach/", views.plans, name="plans"),
    path("lam-viec/don-luu/", views.filed, name="filed-petitions"),
    path("lam-viec/bien-ban/<int:minutes_id>/phan/<int:section_id>/gan-vu-viec/", views.section_link_case,
         name="section-link-case"),
]
