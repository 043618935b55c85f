from django.core.management.base import BaseCommand

from kosodate.events import services_scheduled


class Command(BaseCommand):
    help = "Remind confirmed families the day before their event (each exactly once)."

    def handle(self, *args, **options):
        sent = services_scheduled.reminders_send()
        self.stdout.write(f"{sent} reminder(s) sent")
