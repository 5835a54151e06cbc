"""Re-encrypt every encrypted case file (denunciations' documents) with the first FIELD_ENCRYPTION_KEYS key.

Rotation: put the new key first (keep the old ones after it), deploy, run ``rotate_field_keys`` and this
command, then drop the old keys. Each file is rewritten under a new name, the row is pointed at it and the
old file deleted: the command can be interrupted and run again.
"""

from django.core.management.base import BaseCommand

from cases import services
from cases.models import CaseDocument
from core import crypto


class Command(BaseCommand):
    help = "Re-encrypt encrypted case files with the current (first) FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        crypto.reset_keys_cache()
        count = 0
        for document in CaseDocument.objects.filter(encrypted=True).select_related("case").order_by("pk").iterator():
            count += services.rotate_document(document)
        self.stdout.write(self.style.SUCCESS(f"done: {count} files re-encrypted"))
