"""Pass on places offered from the waiting list whose confirmation deadline has gone, and end
waiting-list requests whose day has begun.

The worker already does the first at each offer's deadline (a task scheduled when the offer is
made); this command is the safety net if a task was lost. Run it every few minutes:
    */5 * * * *  cd /srv/kosodate && .venv/bin/python manage.py expire_childcare_offers
Safe to run anywhere, any number of times (row locks and compare-and-swap)."""

from django.core.management.base import BaseCommand

from kosodate.childcare.services_scheduled import booking_offers_expire


class Command(BaseCommand):
    help = "Pass on expired waiting-list offers and close waiting lists of days that began."

    def handle(self, *args, **options):
        days = booking_offers_expire()
        self.stdout.write(f"Days settled: {days}")
