from django.apps import AppConfig


class ReceptionSessionsConfig(AppConfig):
    """Reception sessions (phiên tiếp công dân). The folder is ``sessions``; the label is
    ``reception_sessions`` so it does not collide with ``django.contrib.sessions``."""

    name = "sessions"
    label = "reception_sessions"
    verbose_name = "Reception sessions"
    default_auto_field = "django.db.models.BigAutoField"
