from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("thong-bao/", views.inbox, name="inbox"),
    path("thong-bao/cai-dat/", views.preferences, name="preferences"),
    path("thong-bao/da-doc-het/", views.mark_all_read, name="mark-all-read"),
    path("thong-bao/<int:pk>/", views.open_notification, name="open"),
    path("thong-bao/<int:pk>/da-doc/", views.mark_read, name="mark-read"),
]
