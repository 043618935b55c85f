"""A real SMTP round trip: the worker sends through Django's SMTP backend to a local aiosmtpd
server, and the message is read back as a mail client would."""

import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from kosodate.core import services
from kosodate.core.models import OutboundMessage

from ..worker import run_worker

pytestmark = pytest.mark.django_db


class Mailbox:
    """aiosmtpd handler keeping every envelope it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _smtp_mailer(port: int) -> dict:
    # Django's test runner swaps every mailer for locmem; this puts real SMTP back for one test.
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port, mailbox
    controller.stop()


def test_an_email_goes_through_a_real_smtp_server_with_its_japanese_intact(
    municipality, resident, settings, smtp_server, django_capture_on_commit_callbacks
):
    port, mailbox = smtp_server
    settings.MAILERS = _smtp_mailer(port)
    settings.DEFAULT_FROM_EMAIL = "kosodate@city.komorebi.example.jp"
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_email_send(
            to=resident.email,
            subject="【こもれび市】メールアドレスの確認",
            body="山田 花子 様\n\n次のリンクを開いて登録を完了してください。\nhttp://127.0.0.1:8000/x/",
            user=resident,
        )

    run_worker()

    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    [envelope] = mailbox.envelopes
    assert envelope.mail_from == "kosodate@city.komorebi.example.jp"
    assert envelope.rcpt_tos == [resident.email]
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["Subject"] == "【こもれび市】メールアドレスの確認"
    assert received["To"] == resident.email
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Message-ID"].startswith(f"<outbox-{message.pk}-")
    body = received.get_content()
    assert "山田 花子 様" in body
    assert "次のリンクを開いて登録を完了してください。" in body
    assert "パスワードや認証コードをメールでお尋ねすることはありません。" in body


def test_while_the_mail_server_is_down_the_email_waits_and_goes_out_when_it_is_back(
    municipality, settings, time_machine, django_capture_on_commit_callbacks
):
    port = _free_port()  # nothing listens here yet
    settings.MAILERS = _smtp_mailer(port)
    time_machine.move_to(timezone.now(), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_email_send(to="a@example.jp", subject="お知らせ", body="本文")

    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboundMessage.Status.QUEUED, 1)
    assert "ConnectionRefusedError" in message.last_error

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        time_machine.shift(timedelta(minutes=1))
        run_worker()
    finally:
        controller.stop()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert len(mailbox.envelopes) == 1
