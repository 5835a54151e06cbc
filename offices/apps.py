from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficesConfig(AppConfig):
    name = "offices"
    verbose_name = _("Cơ quan tiếp công dân")
    default_auto_field = "django.db.models.BigAutoField"
