from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request, original_response=None, credentials=None):
    """django-axes calls this when a login name is locked after repeated failures."""
    message = _("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút.") % {
        "minutes": _cooloff_minutes()
    }
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"type": "locked_out", "message": message}}, status=429)
    return render(request, "frontend/locked_out.html", {"message": message}, status=429)


def _cooloff_minutes() -> int:
    from django.conf import settings

    return int(round(settings.AXES_COOLOFF_TIME * 60))
