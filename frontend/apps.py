from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrontendConfig(AppConfig):
    name = "frontend"
    verbose_name = _("Giao diện")
    default_auto_field = "django.db.models.BigAutoField"
