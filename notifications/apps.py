from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


def sms_backend_check(app_configs, **kwargs):
    from notifications.sms import CONSOLE_REFUSED, console_refused

    if console_refused():
        return [checks.Error(CONSOLE_REFUSED, id="notifications.E001")]
    return []


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Thông báo")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # manage.py commands that run checks (migrate, check, runserver, media_worker…) and Celery's worker
        # (project.celery) refuse a production start with the console SMS backend (issue 13).
        checks.register(sms_backend_check)
