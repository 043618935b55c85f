from django.core.management.base import BaseCommand

from kosodate.events import services_scheduled


class Command(BaseCommand):
    help = "Draw every lottery whose application window has closed (each exactly once)."

    def handle(self, *args, **options):
        drawn = services_scheduled.lotteries_run_due()
        self.stdout.write(f"{drawn} lottery(ies) drawn")
