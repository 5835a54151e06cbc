from django.db import models


class Heartbeat(models.Model):
    """Last time a background process proved it runs (e.g. the Celery worker executing beat's task)."""

    name = models.CharField(max_length=64, unique=True)
    at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"
