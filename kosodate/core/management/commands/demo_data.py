from django.core.management.base import BaseCommand
from django.db import transaction

from kosodate.core.demo import demo_data_load


class Command(BaseCommand):
    help = "Load the demo municipality and accounts (idempotent: running it twice changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="Where the site will be served."
        )

    def handle(self, *args, **options):
        with transaction.atomic():
            context = demo_data_load()
        url = options["url"].rstrip("/")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Kosodate (こもれび市 demo): {url}/"))
        self.stdout.write(f"Dev outbox (every email and SMS sent): {url}/dev/outbox/")
        self.stdout.write(f"Django admin (system administrator): {url}/admin/")
        self.stdout.write(f"Demo accounts, all with the password {context.password}")
        for label, email in context.accounts:
            self.stdout.write(f"  {label:<22} {email}")
        self.stdout.write("")
