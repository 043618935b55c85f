"""Send the day-before reminder of every confirmed temporary-care booking for tomorrow.

Run it once a day from cron or a systemd timer (docs/deploy.md, "Periodic jobs"), e.g. at 12:00:
    0 12 * * *  cd /srv/kosodate && .venv/bin/python manage.py send_childcare_reminders
Running it more often, or on several machines at once, is safe: each booking is reminded exactly
once (a compare-and-swap on Booking.reminder_sent_at)."""

from django.core.management.base import BaseCommand

from kosodate.childcare.services_scheduled import booking_reminders_send


class Command(BaseCommand):
    help = "Send tomorrow's temporary-care reminders (each booking once, whoever runs it)."

    def handle(self, *args, **options):
        sent = booking_reminders_send()
        self.stdout.write(f"Reminders sent: {sent}")
