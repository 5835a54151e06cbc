"""Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first (keep the old ones after it), deploy, run this command, then drop the old
keys from the setting. Values are read (any configured key decrypts) and written back (the first key
encrypts), in batches, each in its own transaction: the command can be interrupted and run again.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core import crypto
from core.crypto import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt encrypted fields with the current (first) FIELD_ENCRYPTION_KEYS key."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        crypto.reset_keys_cache()
        total = 0
        for model in apps.get_models():
            names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not names:
                continue
            manager = model._base_manager
            last_pk, count = 0, 0
            while True:
                with transaction.atomic():
                    # Locked while rewritten: a live room's state changes under the same row lock, so a
                    # concurrent command is never overwritten by the value read here.
                    rows = list(manager.select_for_update().filter(pk__gt=last_pk).order_by("pk")
                                .values_list("pk", *names)[:batch_size])
                    if not rows:
                        break
                    for pk, *values in rows:
                        changes = {n: v for n, v in zip(names, values, strict=True) if v}
                        if changes:
                            manager.filter(pk=pk).update(**changes)
                count += len(rows)
                last_pk = rows[-1][0]
            total += count
            self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted ({', '.join(names)})")
        self.stdout.write(self.style.SUCCESS(f"done: {total} rows"))
