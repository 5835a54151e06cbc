"""Check the audit trail's hash chains (every lane): exit status 0 when intact, 1 with the first breaks listed."""

from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (detects edited, removed or inserted entries)."

    def handle(self, *args, **options):
        checked, breaks = verify_chain()
        if breaks:
            for b in breaks[:20]:
                self.stderr.write(f"lane {b.lane}, entry {b.seq}: {b.reason}")
            raise CommandError(f"audit chain broken: {len(breaks)} problem(s) in {checked} entries")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {checked} entries"))
