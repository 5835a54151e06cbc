from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """Last time a background process proved it runs (e.g. the Celery worker executing beat's task)."""

    name = models.CharField(_("tên tiến trình"), max_length=64, unique=True)
    at = models.DateTimeField(_("lần cuối hoạt động lúc"))

    class Meta:
        verbose_name = _("tín hiệu hoạt động")
        verbose_name_plural = _("tín hiệu hoạt động")

    def __str__(self):
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"
