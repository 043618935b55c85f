"""Send the reminders of booked consultation sessions (a safety net beside the worker's task):
e.g. `*/10 * * * * manage.py consultations_send_reminders`."""

from django.core.management.base import BaseCommand

from kosodate.consultations.services import reminders_send


class Command(BaseCommand):
    help = "Remind families of their booked consultation sessions."

    def handle(self, *args, **options):
        self.stdout.write(f"{reminders_send()} reminder(s) sent.")
