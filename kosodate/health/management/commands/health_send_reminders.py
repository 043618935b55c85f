"""Daily, from cron (one machine or several; nothing is sent twice):

0 9 * * *  cd /srv/kosodate && .venv/bin/python manage.py health_send_reminders
"""

from django.core.management.base import BaseCommand

from kosodate.health.tasks import health_send_reminders_task


class Command(BaseCommand):
    help = (
        "Send today's immunisation and checkup reminders. Run it daily (cron or a scheduler); "
        "running it again, or on several machines at once, sends nothing twice."
    )

    def handle(self, *args, **options):
        count = health_send_reminders_task.call()
        self.stdout.write(f"{count} reminder(s) sent.")
