"""The Celery application. Tasks live in each app's ``tasks.py``; they are thin and idempotent and call the
app's services layer to do the work."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _refuse_console_sms(sender, **kwargs):
    from notifications.sms import refuse_console_in_production

    refuse_console_in_production()  # issue 13: no production worker with an SMS backend that sends nothing
