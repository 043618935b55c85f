from datetime import timedelta

from django.core.management.base import BaseCommand

from kosodate.core.services import (
    MESSAGE_SENDING_LEASE,
    message_enqueue_orphans,
    message_requeue_stale,
)
from kosodate.core.task_batches import task_batches_requeue_stale


class Command(BaseCommand):
    help = (
        "Put back in the queue every email or SMS left 'sending' by a worker that stopped mid-try, "
        "give a delivery task again to those queued and due for as long, and put back the "
        "family-telling tasks left running as long "
        "(run from cron every few minutes; safe anywhere, any number of times)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--minutes",
            type=int,
            default=int(MESSAGE_SENDING_LEASE.total_seconds() // 60),
            help="How long a message may stay 'sending' before it counts as abandoned.",
        )

    def handle(self, *args, minutes: int, **options):
        count = message_requeue_stale(older_than=timedelta(minutes=minutes))
        self.stdout.write(f"Requeued {count} message(s).")
        # Queued and due for as long: their task may be lost (delivered inline by a worker that
        # stopped first); a second task is harmless.
        orphans = message_enqueue_orphans(older_than=timedelta(minutes=minutes))
        if orphans:
            self.stdout.write(f"Gave {orphans} queued message(s) a delivery task again.")
        # The tasks that tell families in batches (core.task_batches), left running by a worker
        # that stopped before its batch committed: their families are not told yet.
        tasks = task_batches_requeue_stale(older_than=timedelta(minutes=minutes))
        if tasks:
            self.stdout.write(
                f"Put {tasks} task(s) left running by a stopped worker back in the queue."
            )
