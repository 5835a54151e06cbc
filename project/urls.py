from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.health import healthz

admin.site.site_header = _("Quản trị hệ thống Tiếp công dân trực tuyến")
admin.site.site_title = _("Quản trị hệ thống")
admin.site.index_title = _("Dữ liệu của hệ thống")


class FaviconView(RedirectView):
    """``/favicon.ico``, which browsers ask for by themselves: the site's SVG icon (static files)."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        # The plain static path (WhiteNoise serves it under its own name too): no manifest lookup at request time.
        return f"{settings.STATIC_URL}frontend/favicon.svg"


api_patterns = [
    path("auth/", include("accounts.api_urls")),
    path("offices/", include("offices.api_urls")),
    path("workdays/", include("workdays.api_urls")),
    path("sessions/", include("sessions.api_urls")),
    path("rooms/", include("signaling.api_urls")),
    path("cases/", include("cases.api_urls")),
    path("minutes/", include("minutes.api_urls")),
    path("documents/", include("documents.api_urls")),
    path("oversight/", include("oversight.api_urls")),
    path("reports/", include("reports.api_urls")),
    path("followup/", include("followup.api_urls")),
    path("", include("scheduling.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("api/", include(api_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ical/", include("scheduling.feed_urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("notifications.urls")),
    path("", include("frontend.urls")),
    prefix_default_language=False,
)

# Vietnamese error pages with the site's header (English under /en/); JSON on API paths.
handler403 = "frontend.error_views.permission_denied"
handler404 = "frontend.error_views.page_not_found"
handler500 = "frontend.error_views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
