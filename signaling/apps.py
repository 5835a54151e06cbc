from django.apps import AppConfig


class SignalingConfig(AppConfig):
    name = "signaling"
    default_auto_field = "django.db.models.BigAutoField"
