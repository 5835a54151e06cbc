"""Accounts HTTP API. Views translate I/O only; the work is in ``accounts.services``."""

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import DisallowedHost
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.serializers import (
    IdentityDocumentSerializer,
    LoginSerializer,
    SignupSerializer,
    SignupStartedSerializer,
    UserSerializer,
    VerifySerializer,
)
from core.errors import DomainError


def mask(channel: str, destination: str) -> str:
    if channel == "phone":
        return destination[:4] + "*" * max(len(destination) - 7, 0) + destination[-3:]
    local, _sep, domain = destination.partition("@")
    return local[:2] + "***@" + domain


class SignupView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "signup"

    @extend_schema(request=SignupSerializer, responses={202: SignupStartedSerializer}, tags=["auth"])
    def post(self, request):
        data = SignupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pending = services.start_signup(**data.validated_data)
        body = {"signup_token": pending.token, "channel": pending.channel,
                "destination": mask(pending.channel, pending.destination), "expires_at": pending.expires_at}
        return Response(SignupStartedSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class VerifySignupView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "otp"

    @extend_schema(request=VerifySerializer, responses={201: UserSerializer}, tags=["auth"])
    def post(self, request):
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.verify_signup(data.validated_data["signup_token"], data.validated_data["code"])
        login(request._request, user, backend="accounts.backends.PhoneOrEmailBackend")
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


def same_origin(request) -> bool:
    """The request comes from this site's own pages (or from a client that is not a browser): an ``Origin``
    header, when present, must be this host or one of ``CSRF_TRUSTED_ORIGINS``; a browser's
    ``Sec-Fetch-Site: cross-site`` is refused too."""
    if request.META.get("HTTP_SEC_FETCH_SITE", "").lower() == "cross-site":
        return False
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return True
    if origin == "null":
        return False
    try:
        own = f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return False
    return origin == own or origin in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])


class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=LoginSerializer, responses={200: UserSerializer}, tags=["auth"])
    def post(self, request):
        if not same_origin(request._request):
            # Login CSRF: a foreign page must not log the browser in (to an account of the attacker's).
            error = DomainError(_("Yêu cầu đăng nhập từ trang khác bị từ chối."), "forbidden_origin")
            error.status_code = 403
            raise error
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The plain HttpRequest: django-axes counts failures on it and its middleware answers a lockout.
        user = authenticate(request._request, username=data.validated_data["identifier"],
                            password=data.validated_data["password"])
        if user is None:
            raise DomainError(_("Sai số điện thoại/thư điện tử hoặc mật khẩu."), "invalid_credentials", "password")
        login(request._request, user)
        return Response(UserSerializer(user).data)


class LogoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request):
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserSerializer}, tags=["auth"])
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class IdentityDocumentView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=IdentityDocumentSerializer, responses={200: UserSerializer}, tags=["auth"])
    def put(self, request):
        data = IdentityDocumentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_identity_document(
            request.user, data.validated_data["id_document_type"], data.validated_data["id_document_number"],
            data.validated_data.get("address"),
        )
        request.user.refresh_from_db()
        return Response(UserSerializer(request.user).data)
