from django.core.management.base import BaseCommand

from kosodate.health.services import reminders_send


class Command(BaseCommand):
    help = (
        "Send today's immunisation and checkup reminders. Run it daily (cron or a scheduler); "
        "running it again, or on several machines at once, sends nothing twice."
    )

    def handle(self, *args, **options):
        count = reminders_send()
        self.stdout.write(f"{count} reminder(s) sent.")
