from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignalingConfig(AppConfig):
    name = "signaling"
    verbose_name = _("Phòng tiếp trực tuyến")
    default_auto_field = "django.db.models.BigAutoField"
