from django.core.management.base import BaseCommand

from kosodate.core.idempotency import KEEP, keys_purge


class Command(BaseCommand):
    help = (
        "Delete the forms' idempotency keys older than two days (run from cron daily; safe "
        "anywhere, any number of times)."
    )

    def handle(self, *args, **options):
        count = keys_purge(older_than=KEEP)
        self.stdout.write(f"Deleted {count} idempotency key(s).")
