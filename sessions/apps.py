from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceptionSessionsConfig(AppConfig):
    """Reception sessions (phiên tiếp công dân). The folder is ``sessions``; the label is
    ``reception_sessions`` so it does not collide with ``django.contrib.sessions``."""

    name = "sessions"
    label = "reception_sessions"
    verbose_name = _("Phiên tiếp công dân")
    default_auto_field = "django.db.models.BigAutoField"
