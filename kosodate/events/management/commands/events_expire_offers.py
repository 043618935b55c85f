from django.core.management.base import BaseCommand

from kosodate.events import services


class Command(BaseCommand):
    help = (
        "Pass offers of freed places that were not confirmed in time to the next family, and "
        "close the waitlists of events that have started. Safe to run in several workers."
    )

    def handle(self, *args, **options):
        expired = services.offers_expire()
        closed = services.waitlists_close()
        self.stdout.write(f"{expired} offer(s) expired, {closed} waitlist entry(ies) closed")
