from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaConfig(AppConfig):
    """The media workers (aiortc SFU and recorder): see media/worker.py and docs/media.md."""

    name = "media"
    verbose_name = _("Ghi hình, ghi âm")
    label = "media"
    default_auto_field = "django.db.models.BigAutoField"
