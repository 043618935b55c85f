"""Email in the production shape: a worker killed in the middle of a delivery, and a mail server
that is down for a minute. Every queued email arrives exactly once (counted by its Message-ID at a
local SMTP sink), none is lost, none is sent twice."""

import re
import signal
import subprocess
import time
from collections import Counter

from .shape import PYTHON, ROOT, free_port

QUEUE_EMAILS = """
from django.db import transaction
from kosodate.core import services
with transaction.atomic():
    for n in range({count}):
        services.message_email_send(to=f"family{{n}}@example.jp", subject=f"お知らせ {{n}}",
                                    body="本文", kind="faults.test")
"""


class Sink:
    def __init__(self, folder, delay: float = 0.0):
        self.port, self.folder, self.delay = free_port(), folder, delay
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                PYTHON,
                str(ROOT / "scripts" / "smtp-sink"),
                "--port",
                str(self.port),
                "--dir",
                str(self.folder),
                "--delay",
                str(self.delay),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.5)

    def stop(self):
        if self.process:
            self.process.kill()
            self.process.wait(10)

    def message_ids(self) -> Counter:
        found = Counter()
        for mail in self.folder.glob("*.eml"):
            match = re.search(r"^Message-ID:\s*<outbox-(\d+)-", mail.read_text(), re.M | re.I)
            assert match, "an email without the outbox's Message-ID"
            found[int(match.group(1))] += 1
        return found


def statuses(shape) -> Counter:
    return Counter(
        dict(
            shape.sql(
                "SELECT status, count(*) FROM core_outboundmessage WHERE kind = 'faults.test' "
                "GROUP BY status"
            )
        )
    )


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def batch_holder(shape) -> str | None:
    """The worker (worker-N) running a delivery task for two looks in a row, half a second apart:
    the batch's; the tasks of the messages it claimed skip in a moment."""
    query = (
        "SELECT worker_ids::text FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING' "
        "AND task_path LIKE '%%message_deliver_task'"
    )
    first = {row for (row,) in shape.sql(query)}
    time.sleep(0.5)
    both = first & {row for (row,) in shape.sql(query)}
    names = {match.group(1) for row in both if (match := re.search(r"(worker-\d+)-", row))}
    return names.pop() if len(names) == 1 else None


def queued_ids(shape) -> set[int]:
    return {
        pk for (pk,) in shape.sql("SELECT id FROM core_outboundmessage WHERE kind = 'faults.test'")
    }


def test_a_worker_killed_mid_delivery_loses_nothing_and_doubles_nothing(shape_factory, tmp_path):
    sink = Sink(tmp_path / "mail", delay=2.0)
    sink.start()
    shape = shape_factory(SMTP_SINK="0", EMAIL_URL=f"smtp://127.0.0.1:{sink.port}")
    try:
        shape.manage("shell", "-c", QUEUE_EMAILS.format(count=10))
        ids = queued_ids(shape)
        # A worker holds a batch of deliveries (it claimed every due message, core.services_outbox)
        # and is in the middle of it: some accepted by the mail server, the next not answered yet.
        wait_for(lambda: statuses(shape)["sent"] >= 1, 60, "the first emails to be accepted")
        holder = wait_for(lambda: batch_holder(shape), 30, "the worker holding the batch")
        shape.kill(holder, signal.SIGKILL)
        # What it had sent is recorded as sent; what it held stays "sending" (the other worker's
        # tasks for those messages skip them) until the periodic job hands them back.
        wait_for(
            lambda: (
                statuses(shape)["queued"] == 0
                and statuses(shape)["sending"] >= 1
                and statuses(shape)["sent"] + statuses(shape)["sending"] == len(ids)
            ),
            90,
            "the killed worker's batch to be left as it was",
        )
        held = statuses(shape)["sending"]
        requeued = shape.manage("outbox_requeue_stale", "--minutes", "0")
        assert f"Requeued {held} message(s)." in requeued, (held, requeued)
        wait_for(lambda: statuses(shape)["sent"] == len(ids), 60, "every email to be sent")
        arrived = sink.message_ids()
        assert set(arrived) >= ids and set(arrived.values()) == {1}, arrived
    finally:
        sink.stop()


def test_a_mail_server_down_for_a_minute_delays_mail_and_loses_none(shape_factory, tmp_path):
    sink = Sink(tmp_path / "mail")
    shape = shape_factory(SMTP_SINK="0", EMAIL_URL=f"smtp://127.0.0.1:{sink.port}")
    try:
        shape.manage("shell", "-c", QUEUE_EMAILS.format(count=5))
        ids = queued_ids(shape)
        # Every first try fails; the messages wait in the queue with the error and the next try's
        # time, which is what staff see in the outbox (admin) and /metrics' backlog.
        wait_for(
            lambda: (
                shape.sql(
                    "SELECT count(*) FROM core_outboundmessage WHERE kind = 'faults.test' "
                    "AND status = 'queued' AND attempts = 1 AND last_error <> '' "
                    "AND next_attempt_at IS NOT NULL"
                )
                == [(len(ids),)]
            ),
            60,
            "the first tries to fail and be scheduled again",
        )
        failed_at = time.monotonic()
        backlog = re.search(r"^kosodate_outbox_backlog (\S+)$", shape.text("/metrics"), re.M)
        assert float(backlog.group(1)) >= len(ids)  # the demo's own mail waits too
        time.sleep(max(0.0, 45 - (time.monotonic() - failed_at)))
        sink.start()  # the mail server is back, before the next try is due
        wait_for(lambda: statuses(shape)["sent"] == len(ids), 150, "every email to be sent")
        arrived = sink.message_ids()
        assert set(arrived) >= ids and set(arrived.values()) == {1}, arrived
        attempts = shape.sql(
            "SELECT DISTINCT attempts FROM core_outboundmessage WHERE kind = 'faults.test'"
        )
        assert attempts == [(2,)]
    finally:
        sink.stop()
