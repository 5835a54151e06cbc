from django.urls import path

from frontend import (
    cases_urls,
    followup_urls,
    oversight_urls,
    reports_urls,
    schedule_urls,
    views,
    workspace_urls,
)

app_name = "frontend"
urlpatterns = [
    path("", views.home, name="home"),
    path("co-quan/", views.office_directory, name="offices"),
    path("co-quan/<str:code>/", views.office_detail, name="office"),
    path("dang-ky/", views.signup, name="signup"),
    path("dang-ky/xac-minh/", views.signup_verify, name="signup-verify"),
    path("dang-nhap/", views.login_view, name="login"),
    path("dang-xuat/", views.logout_view, name="logout"),
    path("tham-gia/<str:token>/", views.join, name="join"),
    path("phong/<uuid:session>/", views.room, name="room"),
    path("phong/<uuid:session>/trang-thai/", views.room_status, name="room-status"),
    path("noi-quy/", views.rules, name="rules"),
]
urlpatterns += schedule_urls.urlpatterns
urlpatterns += workspace_urls.urlpatterns
urlpatterns += cases_urls.urlpatterns
urlpatterns += followup_urls.urlpatterns
urlpatterns += oversight_urls.urlpatterns
urlpatterns += reports_urls.urlpatterns
