"""Email and SMS through the outbox and the real worker: after commit, retried, failed for staff."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kosodate.core import services, sms
from kosodate.core.models import AuditLog, OutboundMessage
from kosodate.core.selectors import messages_failed_count
from kosodate.core.sms import BaseSmsBackend

from ..worker import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "kosodate.core.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


class DownBackend(BaseSmsBackend):
    """An SMS provider that cannot be reached."""

    def send_messages(self, messages):
        raise ConnectionError("provider unreachable")


class FlakyBackend(BaseSmsBackend):
    """Unreachable for its first call in a test, fine afterwards."""

    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls == 1:
            raise TimeoutError("provider timed out")
        sms.outbox.extend(messages)
        return len(messages)


def test_email_is_delivered_by_the_worker_after_commit(
    municipality, resident, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = services.message_email_send(
            to=resident.email,
            subject="メールアドレスの確認",
            body="次のリンクを開いてください。\nhttp://127.0.0.1:8000/accounts/confirm/abc/",
            user=resident,
            kind="email_confirmation",
        )
        # Inside the transaction only the outbox row exists: nothing is queued or sent yet.
        assert DBTaskResult.objects.count() == 0
    assert len(callbacks) == 1
    assert DBTaskResult.objects.ready().count() == 1
    assert mailoutbox == []

    run_worker()

    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert len(mailoutbox) == 1
    sent = mailoutbox[0]
    assert sent.to == [resident.email]
    assert sent.subject == "メールアドレスの確認"
    assert "http://127.0.0.1:8000/accounts/confirm/abc/" in sent.body
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"


def test_every_email_carries_the_official_address_and_the_password_warning(
    municipality, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://kosodate.city.komorebi.example.jp"
    message = services.message_email_send(to="a@example.jp", subject="件名", body="本文")
    body = message.body
    assert body.startswith("本文\n\n-- \n")
    # Japanese first, then English, each naming the official address.
    japanese = body.index("パスワード")
    english = body.index("We never ask for your password")
    assert japanese < english
    assert body.count("https://kosodate.city.komorebi.example.jp") == 2
    assert "こもれび市" in body
    assert "Komorebi City" in body


def test_a_subject_cannot_carry_a_line_break(municipality):
    message = services.message_email_send(
        to="a@example.jp", subject="確認\r\nBcc: evil@example.com", body="x"
    )
    assert message.subject == "確認 Bcc: evil@example.com"


def test_nothing_is_queued_or_sent_when_the_transaction_rolls_back(
    municipality, mailoutbox, sms_outbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.message_email_send(to="a@example.jp", subject="件名", body="本文")
        services.message_sms_send(to="+819012345678", body="認証コード 123456")
        raise RuntimeError("the registration failed after the messages were written")
    assert callbacks == []
    assert OutboundMessage.objects.count() == 0
    run_worker()
    assert mailoutbox == []
    assert sms_outbox == []


def test_sms_is_delivered_through_the_sms_backend(
    municipality, resident, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_sms_send(
            to="+819012345678", body="認証コード: 123456", user=resident, kind="sign_in_code"
        )
    run_worker()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert [(m.to, m.body, m.reference) for m in sms_outbox] == [
        ("+819012345678", "認証コード: 123456", str(message.pk))
    ]
    assert sms_outbox[0].sender_id == "KOSODATE"


def test_a_failing_delivery_is_retried_with_backoff_then_failed_for_staff(
    municipality, settings, time_machine, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = f"{__name__}.DownBackend"
    settings.MESSAGE_MAX_ATTEMPTS = 3
    time_machine.move_to(timezone.now(), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_sms_send(to="+819012345678", body="コード 123456")

    run_worker()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED
    assert message.attempts == 1
    assert "ConnectionError: provider unreachable" in message.last_error
    assert message.next_attempt_at == timezone.now() + timedelta(minutes=1)
    # The retry is a deferred task, not due yet: running the worker now changes nothing.
    assert DBTaskResult.objects.filter(run_after=message.next_attempt_at).count() == 1
    run_worker()
    message.refresh_from_db()
    assert message.attempts == 1

    time_machine.shift(timedelta(minutes=1))
    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboundMessage.Status.QUEUED, 2)
    assert message.next_attempt_at == timezone.now() + timedelta(minutes=4)

    time_machine.shift(timedelta(minutes=4))
    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboundMessage.Status.FAILED, 3)
    assert message.next_attempt_at is None
    assert "provider unreachable" in message.last_error
    assert messages_failed_count() == 1
    # Nothing else is scheduled: the message waits for staff.
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_a_delivery_that_recovers_is_sent_on_the_next_attempt(
    municipality, settings, sms_outbox, time_machine, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.calls = 0
    time_machine.move_to(timezone.now(), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_sms_send(to="+819012345678", body="コード 123456")
    run_worker()
    time_machine.shift(timedelta(minutes=1))
    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert len(sms_outbox) == 1


def test_without_an_sms_provider_a_message_fails_at_once_and_says_why(
    municipality, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "kosodate.core.sms.NotConfiguredBackend"
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_sms_send(to="+819012345678", body="コード 123456")
    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboundMessage.Status.FAILED, 1)
    assert "No SMS provider is configured" in message.last_error


def test_a_message_already_taken_by_another_worker_is_not_sent_again(municipality, sms_outbox):
    message = services.message_sms_send(to="+819012345678", body="コード 123456")
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.SENDING)
    assert services.message_deliver(message_id=message.pk) == "skipped"
    assert sms_outbox == []


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_of_one_message_send_it_once(municipality, sms_outbox):
    message = services.message_sms_send(to="+819012345678", body="コード 123456")
    start = threading.Barrier(2)
    outcomes = []

    def deliver():
        try:
            start.wait()
            outcomes.append(services.message_deliver(message_id=message.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(sms_outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboundMessage.Status.SENT, 1)


def test_staff_find_failed_messages_and_send_them_again(
    client, admin_user, sms_outbox, django_capture_on_commit_callbacks
):
    failed = OutboundMessage.objects.create(
        channel="sms",
        recipient="+819011112222",
        body="コード 111111",
        status=OutboundMessage.Status.FAILED,
        attempts=5,
        last_error="ConnectionError: provider unreachable",
    )
    sent = OutboundMessage.objects.create(
        channel="sms",
        recipient="+819033334444",
        body="コード 222222",
        status=OutboundMessage.Status.SENT,
        attempts=1,
        sent_at=timezone.now(),
    )
    client.force_login(admin_user)
    changelist = reverse("admin:core_outboundmessage_changelist")

    response = client.get(changelist, {"problem": "failed"})
    assert response.status_code == 200
    assert "+819011112222" in response.text
    assert "+819033334444" not in response.text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist,
            {"action": "retry", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )
    assert response.status_code == 200
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (OutboundMessage.Status.QUEUED, 0)
    entry = AuditLog.objects.get(action="outbound_message.retry")
    assert (entry.actor, entry.target_id) == (admin_user, str(failed.pk))

    run_worker()
    failed.refresh_from_db()
    assert failed.status == OutboundMessage.Status.SENT
    assert [m.body for m in sms_outbox] == ["コード 111111"]
    sent.refresh_from_db()
    assert sent.attempts == 1  # left alone


def test_a_message_whose_task_was_lost_shows_as_stuck(municipality):
    lost = services.message_sms_send(to="+819012345678", body="コード 123456")
    assert not OutboundMessage.objects.stuck().exists()
    later = timezone.now() + OutboundMessage.STUCK_AFTER + timedelta(minutes=1)
    assert list(OutboundMessage.objects.stuck(now=later)) == [lost]
    assert list(OutboundMessage.objects.needing_attention(now=later)) == [lost]


def test_the_outbox_cannot_be_edited_or_deleted_in_the_admin(client, admin_user):
    message = services.message_sms_send(to="+819012345678", body="コード 123456")
    client.force_login(admin_user)
    change = reverse("admin:core_outboundmessage_change", args=[message.pk])
    assert client.get(change).status_code == 200
    client.post(change, {"body": "changed"})
    message.refresh_from_db()
    assert message.body == "コード 123456"
    assert client.get(reverse("admin:core_outboundmessage_add")).status_code == 403
    delete = reverse("admin:core_outboundmessage_delete", args=[message.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert OutboundMessage.objects.filter(pk=message.pk).exists()


def test_dev_outbox_is_a_404_unless_debug(client, settings, municipality):
    message = services.message_sms_send(to="+819012345678", body="コード 123456")
    settings.DEBUG = False
    assert client.get(reverse("dev_outbox")).status_code == 404
    assert client.get(reverse("dev_outbox_detail", args=[message.pk])).status_code == 404


def test_dev_outbox_shows_messages_with_clickable_links(client, settings, municipality):
    settings.DEBUG = True
    message = services.message_email_send(
        to="a@example.jp",
        subject="メールアドレスの確認",
        body="次のリンクを開いてください。\nhttp://127.0.0.1:8000/accounts/confirm/abc/",
    )
    response = client.get(reverse("dev_outbox"))
    assert response.status_code == 200
    assert reverse("dev_outbox_detail", args=[message.pk]) in response.text
    response = client.get(reverse("dev_outbox_detail", args=[message.pk]))
    assert response.status_code == 200
    assert '<a href="http://127.0.0.1:8000/accounts/confirm/abc/" rel="nofollow">' in response.text
    assert client.get(reverse("dev_outbox_detail", args=[message.pk + 1])).status_code == 404


def test_a_message_left_sending_by_a_dead_worker_is_requeued_and_sent_once(
    municipality, sms_outbox, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(timezone.now(), tick=False)
    message = services.message_sms_send(to="+819012345678", body="コード 123456")
    # A worker claims it, then is killed before it can say how the try went.
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.SENDING, attempts=1, last_attempt_at=timezone.now()
    )
    # Within the lease it may still be on its way: nothing is taken from the worker.
    time_machine.shift(services.MESSAGE_SENDING_LEASE - timedelta(seconds=1))
    assert services.message_requeue_stale() == 0
    time_machine.shift(timedelta(seconds=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.message_requeue_stale() == 1
    assert services.message_requeue_stale() == 0  # once
    assert DBTaskResult.objects.filter(status="READY").count() >= 1
    assert services.message_deliver(message_id=message.pk) == "sent"
    assert len(sms_outbox) == 1
