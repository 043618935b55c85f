"""The worker delivers the outbox in batches (issue 16 item 4): due emails go over one SMTP
connection per task, and one message refused by the server is that message's failure alone — it
is retried later, the others are sent."""

import pytest

from kosodate.core import services
from kosodate.core.models import OutboundMessage

from ..worker import run_worker
from .test_smtp import _smtp_mailer, smtp_server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


class Sessions:
    """What the SMTP server saw: a connection per session object, a refusal for bad@…"""

    def __init__(self):
        self.sessions: set[int] = set()
        self.delivered: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bad"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.sessions.add(id(session))
        self.delivered.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture
def mail_server(settings):
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Sessions()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = _smtp_mailer(port)
    yield handler
    controller.stop()


def _queue(addresses, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return [
            services.message_email_send(to=address, subject="お知らせ", body="本文")
            for address in addresses
        ]


def test_a_batch_goes_over_one_smtp_connection(
    municipality, mail_server, django_capture_on_commit_callbacks
):
    addresses = [f"family{n}@example.jp" for n in range(12)]
    messages = _queue(addresses, django_capture_on_commit_callbacks)
    run_worker()
    assert sorted(mail_server.delivered) == sorted(addresses)
    assert len(mail_server.sessions) == 1  # one connection for the twelve
    statuses = OutboundMessage.objects.filter(pk__in=[m.pk for m in messages])
    assert set(statuses.values_list("status", flat=True)) == {OutboundMessage.Status.SENT}


def test_one_message_refused_is_retried_alone_and_the_others_are_sent(
    municipality, mail_server, django_capture_on_commit_callbacks
):
    addresses = ["family1@example.jp", "bad@example.jp", "family2@example.jp"]
    good1, bad, good2 = _queue(addresses, django_capture_on_commit_callbacks)
    outcome = services.message_deliver(message_id=good1.pk)
    assert outcome == "sent"
    for message in (good1, bad, good2):
        message.refresh_from_db()
    assert (good1.status, good2.status) == (OutboundMessage.Status.SENT,) * 2
    assert bad.status == OutboundMessage.Status.QUEUED  # retried later, with its error
    assert bad.attempts == 1 and "550" in bad.last_error
    assert sorted(mail_server.delivered) == ["family1@example.jp", "family2@example.jp"]
    assert len(mail_server.sessions) == 1


def test_the_other_tasks_of_a_batch_skip(
    municipality, mail_server, django_capture_on_commit_callbacks
):
    first, second = _queue(["a@example.jp", "b@example.jp"], django_capture_on_commit_callbacks)
    assert services.message_deliver(message_id=first.pk) == "sent"
    assert services.message_deliver(message_id=second.pk) == "skipped"  # sent with the first
    assert mail_server.delivered.count("b@example.jp") == 1


def test_a_batch_of_one_sends_only_its_message(
    municipality, mail_server, django_capture_on_commit_callbacks
):
    first, second = _queue(["a@example.jp", "b@example.jp"], django_capture_on_commit_callbacks)
    assert services.message_deliver(message_id=second.pk, batch=1) == "sent"
    first.refresh_from_db()
    assert first.status == OutboundMessage.Status.QUEUED


@pytest.mark.django_db(transaction=True)
def test_a_task_that_makes_messages_delivers_them_itself_after_its_commit(municipality, mailoutbox):
    """messages_sent_inline (the family-telling tasks of events and 一時預かり): the emails are
    sent right after the transaction commits, over one connection, without a task each."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    with services.messages_sent_inline(), transaction.atomic():
        made = [
            services.message_email_send(to=f"f{n}@example.jp", subject="お知らせ", body="本文")
            for n in range(3)
        ]
        assert not mailoutbox  # nothing leaves before the commit
    assert len(mailoutbox) == 3
    assert set(
        OutboundMessage.objects.filter(pk__in=[m.pk for m in made]).values_list("status", flat=True)
    ) == {OutboundMessage.Status.SENT}
    assert not DBTaskResult.objects.exists()  # no delivery task was needed


@pytest.mark.django_db(transaction=True)
def test_rolled_back_messages_are_not_sent(municipality, mailoutbox):
    from django.db import transaction

    with pytest.raises(RuntimeError), services.messages_sent_inline(), transaction.atomic():
        services.message_email_send(to="a@example.jp", subject="お知らせ", body="本文")
        raise RuntimeError
    assert not mailoutbox
    assert not OutboundMessage.objects.exists()


def test_a_queued_message_that_lost_its_task_gets_one_from_the_sweep(municipality, mailoutbox):
    """A worker that stopped between its commit and its inline delivery leaves the message queued
    without a task; outbox_requeue_stale (cron, every 5 minutes) gives it one."""
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    with services.messages_sent_inline():  # inside the test's transaction: no delivery yet
        message = services.message_email_send(to="a@example.jp", subject="お知らせ", body="本文")
    OutboundMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=6)
    )
    assert services.message_enqueue_orphans(older_than=timedelta(minutes=10)) == 0  # not yet
    out = StringIO()
    call_command("outbox_requeue_stale", stdout=out)
    assert "Gave 1 queued message(s) a delivery task again." in out.getvalue()
    run_worker()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert len(mailoutbox) == 1


def test_the_outbox_email_is_the_standard_message_byte_for_byte():
    """core/outbox_email.py keeps Python's header classes instead of making them per header;
    what is sent must not change."""
    import email.policy

    from django.core.mail import EmailMessage

    from kosodate.core.outbox_email import OutboxEmail

    fields = {
        "subject": "キャンセル待ち:人気の親子講座 " * 3,
        "body": "本文です。\n\nhttps://example.jp/events/mine/1/\n",
        "from_email": "kosodate@example.jp",
        "to": ["家族 <family@example.jp>"],
        "headers": {
            "Message-ID": "<outbox-1-20261205000000@example.jp>",
            "Date": "Sat, 05 Dec 2026 10:00:00 +0000",
            "Auto-Submitted": "auto-generated",
        },
    }
    for policy in (email.policy.SMTP, email.policy.default):
        for _ in range(2):  # the second time with the kept classes
            assert (
                OutboxEmail(**fields).message(policy=policy).as_bytes()
                == EmailMessage(**fields).message(policy=policy).as_bytes()
            )
