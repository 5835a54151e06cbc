from django.urls import path

from accounts import api

urlpatterns = [
    path("signup", api.SignupView.as_view(), name="api-signup"),
    path("signup/verify", api.VerifySignupView.as_view(), name="api-signup-verify"),
    path("login", api.LoginView.as_view(), name="api-login"),
    path("logout", api.LogoutView.as_view(), name="api-logout"),
    path("me", api.MeView.as_view(), name="api-me"),
    path("me/identity", api.IdentityDocumentView.as_view(), name="api-me-identity"),
]
