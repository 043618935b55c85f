from django.core.management.base import BaseCommand

from kosodate.familysupport.services import activities


class Command(BaseCommand):
    help = (
        "ファミサポ's safety net for the worker's scheduled tasks: move on requests past their "
        "answer deadline (known supporter → the centre's mode → the advisor) and, from 09:00, "
        "send the day-before reminders not sent yet. Idempotent; safe in several places at once."
    )

    def handle(self, *args, **options):
        done = activities.sweep()
        self.stdout.write(
            f"{done['moved']} request(s) moved on, {done['reminded']} activity reminder(s) sent"
        )
