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
        # Worker 1 holds a delivery: the task is running and the mail server has not answered yet.
        wait_for(
            lambda: shape.sql(
                "SELECT 1 FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING' "
                "AND task_path LIKE '%%message_deliver_task' AND worker_ids::text LIKE '%%worker-1-%%'"
            ),
            60,
            "worker 1 to take a delivery",
        )
        shape.kill("worker-1", signal.SIGKILL)
        # Worker 2 (and worker 1, started again by the supervisor) deliver the rest; the one the
        # dead worker held stays "sending" until the periodic job hands it back.
        wait_for(
            lambda: (
                statuses(shape)["queued"] == 0
                and statuses(shape)["sending"] == 1
                and statuses(shape)["sent"] == len(ids) - 1
            ),
            90,
            "the others to be sent",
        )
        assert "Requeued 1 message(s)." in shape.manage("outbox_requeue_stale", "--minutes", "0")
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
