from django.apps import AppConfig


class MediaConfig(AppConfig):
    """The media workers (aiortc SFU and recorder): see media/worker.py and docs/media.md."""

    name = "media"
    label = "media"
    default_auto_field = "django.db.models.BigAutoField"
