"""The outbox: every email and SMS is recorded, queued, delivered by the worker, retried and, when
it cannot be delivered, shown to staff. Split out of core/services.py (which re-exports the public
names) so that each module keeps to one job and under 600 lines."""

import contextlib
import logging
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import Any

from django.conf import settings
from django.core.mail import DNS_NAME, mailers
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from . import audit
from .models import OutboundMessage
from .outbox_email import OutboxEmail
from .sms import PermanentDeliveryError, SmsMessage, sms_backend_get

# --- Messages: email and SMS through the outbox -----------------------------------------------
# Every message is a row in OutboundMessage first; the worker delivers it after the transaction
# that created it commits (no network I/O inside a transaction, nothing lost if the mail server or
# the SMS provider is down). docs/operations.md explains retries and what staff do with failures.
messages_logger = logging.getLogger("kosodate.messages")

# Waits before attempt 2, 3, 4, …: 1, 4, 16 minutes, then hourly. With MESSAGE_MAX_ATTEMPTS = 5 a
# message is retried for about 80 minutes, long enough to ride out a mail server restart.
MESSAGE_RETRY_FIRST_DELAY = timedelta(minutes=1)
MESSAGE_RETRY_MAX_DELAY = timedelta(hours=1)


def message_email_footer() -> str:
    """The footer every email carries, Japanese then English: the official address to type in and
    the reminder that we never ask for a password by email (SECURITY.md, phishing)."""
    from .selectors import municipality_get

    municipality = municipality_get()
    names = []
    for language in ("ja", "en"):
        with translation.override(language):
            names.append(f"{municipality.display_name} {municipality.display_system_name}")
    return _email_footer(tuple(names), settings.SITE_URL)


@lru_cache(maxsize=8)
def _email_footer(names: tuple[str, ...], site_url: str) -> str:
    # Worked out once per process for each municipality name (issue 16: not for every email).
    parts = []
    for language, name in zip(("ja", "en"), names, strict=True):
        with translation.override(language):
            parts.append(
                "\n".join(
                    [
                        gettext("This message was sent automatically by %(name)s.")
                        % {"name": name},
                        gettext("Official site: %(url)s") % {"url": site_url},
                        gettext(
                            "We never ask for your password or a sign-in code by email. If a "
                            "message looks suspicious, do not open its links: type the official "
                            "address above yourself."
                        ),
                    ]
                )
            )
    return "\n\n".join(parts)


# What a secret (a reset or confirmation link, a sign-in code) becomes in the text that is kept.
MESSAGE_REDACTED = "[秘匿 / redacted]"


def message_redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret replaced by MESSAGE_REDACTED (longest first,
    so a link that contains a key loses the whole link)."""
    for secret in sorted({str(s) for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MESSAGE_REDACTED)
    return text


def message_email_send(
    *,
    to: str,
    subject: str,
    body: str,
    user=None,
    kind: str = "",
    secrets: Iterable[str] = (),
) -> OutboundMessage:
    """Record an email (with the standard footer) in the outbox; the worker delivers it once the
    current transaction commits, and never if it rolls back. `secrets` (links, codes) never stay
    readable: the kept body has them redacted at once, the deliverable one is sealed until
    delivery."""
    # A line break in a subject would be a header injection; Django refuses it at send time, which
    # would only show up as a failed message much later.
    subject = " ".join(str(subject).split())[:255]
    return _message_create(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=to,
        user=user,
        kind=kind,
        subject=subject,
        body=f"{body.rstrip()}\n\n-- \n{message_email_footer()}\n",
        secrets=secrets,
    )


def message_sms_send(
    *, to: str, body: str, user=None, kind: str = "", secrets: Iterable[str] = ()
) -> OutboundMessage:
    """Record an SMS (to an E.164 number) in the outbox; the worker delivers it once the current
    transaction commits, and never if it rolls back. `secrets` as for message_email_send."""
    return _message_create(
        channel=OutboundMessage.Channel.SMS,
        recipient=to,
        user=user,
        kind=kind,
        subject="",
        body=body,
        secrets=secrets,
    )


def _message_create(*, body: str, secrets: Iterable[str], **fields: Any) -> OutboundMessage:
    now = timezone.now()
    kept = message_redact(body, secrets)
    message = OutboundMessage.objects.create(
        status=OutboundMessage.Status.QUEUED,
        next_attempt_at=now,
        body=kept,
        # Sealed only when something was redacted: an ordinary message is kept as it is.
        sealed_body=body if kept != body else "",
        redacted=kept != body,
        **fields,
    )
    inline = _INLINE.get()
    if inline is not None:
        inline.append(message.pk)  # delivered by the creating task itself (messages_sent_inline)
    else:
        _message_enqueue_on_commit(message.pk)
    return message


def messages_email_send_many(emails: list[dict[str, Any]]) -> list[OutboundMessage]:
    """message_email_send for many emails (to, subject, body, user, kind; no secrets) in one
    INSERT: the batch of a task that tells many families at once (core.task_batches)."""
    now = timezone.now()
    footer = f"\n\n-- \n{message_email_footer()}\n"
    made = OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                channel=OutboundMessage.Channel.EMAIL,
                status=OutboundMessage.Status.QUEUED,
                next_attempt_at=now,
                recipient=email["to"],
                user=email.get("user"),
                kind=email.get("kind", ""),
                subject=" ".join(str(email["subject"]).split())[:255],
                body=f"{email['body'].rstrip()}{footer}",
            )
            for email in emails
        ]
    )
    inline = _INLINE.get()
    for message in made:
        if inline is not None:
            inline.append(message.pk)
        else:
            _message_enqueue_on_commit(message.pk)
    return made


# --- Delivered by the task that made them ------------------------------------------------------
_INLINE: ContextVar[list[int] | None] = ContextVar("outbox_inline", default=None)


@contextlib.contextmanager
def messages_sent_inline() -> Iterator[None]:
    """For a worker task that creates messages (telling a family about their application): they
    are delivered by this task, over one connection, right after its transaction commits, instead
    of one delivery task each (issue 16: a task costs the worker more than the email). Wrap it
    around the transaction. Were the worker to die in between, the messages stay queued and
    message_enqueue_orphans (outbox_requeue_stale, from cron) gives them a task."""
    created: list[int] = []
    token = _INLINE.set(created)
    try:
        yield
    finally:
        _INLINE.reset(token)
    if created and not transaction.get_connection().in_atomic_block:
        messages_deliver(message_ids=created)
    else:
        # Still inside a transaction (a test's, or a caller's): deliver through tasks after all.
        for message_id in created:
            _message_enqueue_on_commit(message_id)


def message_enqueue_orphans(*, older_than: timedelta | None = None) -> int:
    """Queued messages due for longer than `older_than` may have lost their task (a worker that
    delivers inline stopped between its commit and the delivery): each gets a task again. A
    message whose task was only late is still sent once (the claim is a compare-and-swap).
    Returns how many were given a task."""
    cutoff = timezone.now() - (MESSAGE_SENDING_LEASE if older_than is None else older_than)
    orphans = list(
        OutboundMessage.objects.filter(
            status=OutboundMessage.Status.QUEUED, next_attempt_at__lt=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
    for message_id in orphans:
        _message_enqueue(message_id=message_id)
    return len(orphans)


def _message_enqueue_on_commit(message_id: int) -> None:
    # robust: a failure to enqueue must not turn the resident's committed request into an error
    # page. The message then stays queued past its time, and the admin lists it as stuck, where
    # staff can send it again.
    transaction.on_commit(partial(_message_enqueue, message_id=message_id), robust=True)


def _message_enqueue(*, message_id: int, run_after: datetime | None = None) -> None:
    from .tasks import message_deliver_task

    task = message_deliver_task.using(run_after=run_after) if run_after else message_deliver_task
    task.enqueue(message_id=message_id)


def message_retry_delay(attempts: int) -> timedelta:
    """How long to wait after the given number of failed attempts."""
    delay = MESSAGE_RETRY_FIRST_DELAY * 4 ** max(0, attempts - 1)
    return min(delay, MESSAGE_RETRY_MAX_DELAY)


# The worker delivers up to this many due messages per task, over one connection to the mail
# server (issue 16: a rush's thousand emails are not a thousand SMTP sessions). The tasks of the
# others then find them sent and skip.
MESSAGE_BATCH_SIZE = 50


def message_deliver(*, message_id: int, batch: int | None = None) -> str:
    """One delivery attempt of a queued message, together with up to `batch` − 1 other messages
    that are due (MESSAGE_BATCH_SIZE), over one connection per channel. Compare-and-swap QUEUED →
    SENDING, so two workers never send the same message; on failure, retry later or, after
    MESSAGE_MAX_ATTEMPTS (or at once on a PermanentDeliveryError), mark it FAILED for staff; one
    message's failure is its own. Returns what happened to `message_id`: "sent", "retry",
    "failed" or "skipped"."""
    size = MESSAGE_BATCH_SIZE if batch is None else batch
    now = timezone.now()
    others = list(
        OutboundMessage.objects.filter(
            status=OutboundMessage.Status.QUEUED, next_attempt_at__lte=now
        )
        .exclude(pk=message_id)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[: max(0, size - 1)]
    )
    outcomes = messages_deliver(message_ids=[message_id, *others], now=now)
    return outcomes.get(message_id, "skipped")


def messages_deliver(*, message_ids: list[int], now=None) -> dict[int, str]:
    """Claim the queued ones among `message_ids` (one UPDATE) and send them, emails over one
    connection; returns {id: "sent" | "retry" | "failed"} for those claimed."""
    now = now or timezone.now()
    # Only the due ones: a message whose try failed in another task's batch waits for its retry
    # (its own task at next_attempt_at); its first task, still queued, must not try it early.
    claimed = OutboundMessage.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk__in=message_ids,
        status=OutboundMessage.Status.QUEUED,
    )
    if not claimed.update(
        status=OutboundMessage.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
    ):
        # Already sent, failed, being sent by another worker, or deleted.
        return {}
    # Ours: SENDING with this very attempt time (another worker's claim has its own).
    messages = list(
        OutboundMessage.objects.filter(
            pk__in=message_ids, status=OutboundMessage.Status.SENDING, last_attempt_at=now
        ).order_by("pk")
    )
    outcomes: dict[int, str] = {}
    emails = [m for m in messages if m.channel == OutboundMessage.Channel.EMAIL]
    texts = [m for m in messages if m.channel != OutboundMessage.Channel.EMAIL]
    if emails:
        mailer = mailers.default
        try:
            mailer.open()
        except Exception as exc:  # the server is down: each message retries on its own
            for message in emails:
                outcomes[message.pk] = _message_delivery_failed(message, exc)
            emails = []
        try:
            for message in emails:
                try:
                    _message_transmit(message, mailer=mailer)
                except Exception as exc:  # any failure is recorded and retried, never lost
                    outcomes[message.pk] = _message_delivery_failed(message, exc)
                else:
                    outcomes[message.pk] = _message_sent(message.pk)
        finally:
            with contextlib.suppress(Exception):
                mailer.close()
    for message in texts:
        try:
            _message_transmit(message)
        except Exception as exc:
            outcomes[message.pk] = _message_delivery_failed(message, exc)
        else:
            outcomes[message.pk] = _message_sent(message.pk)
    return outcomes


_SENT = (
    "UPDATE core_outboundmessage SET status = %s, sent_at = %s, next_attempt_at = NULL, "
    "last_error = '', sealed_body = '' WHERE id = %s AND status = %s"
)
_SENT_KEEPING_SEALED = _SENT.replace(", sealed_body = ''", "")


def _message_sent(message_id: int) -> str:
    """Recorded as soon as the server accepted it, not at the end of the batch: a worker killed
    in the middle of a batch must not leave the messages already accepted to be sent again
    (tests/faults/test_mail.py counts every Message-ID at the mail server)."""
    # One statement per message, written out: the ORM's UPDATE cost more CPU to build than the
    # database took to run it (issue 16 item 4). The same as
    #   filter(pk=…, status=SENDING).update(status=SENT, sent_at=now, next_attempt_at=None,
    #                                       last_error="", [sealed_body=""])
    # where dropping the sealed body means: delivered, the secret's only copy at rest goes
    # (docs/operations.md, "Secrets").
    with connection.cursor() as cursor:
        cursor.execute(
            _SENT_KEEPING_SEALED if settings.DEV_OUTBOX_KEEPS_SECRETS else _SENT,
            [
                OutboundMessage.Status.SENT,
                timezone.now(),
                message_id,
                OutboundMessage.Status.SENDING,
            ],
        )
    return "sent"


# A message is SENDING only while one worker tries it (EMAIL_TIMEOUT bounds a try). A worker killed
# in that moment leaves it SENDING for good: message_requeue_stale hands it back to the queue.
MESSAGE_SENDING_LEASE = timedelta(minutes=5)


def message_requeue_stale(*, older_than: timedelta = MESSAGE_SENDING_LEASE) -> int:
    """Messages left SENDING longer than `older_than` (their worker died mid-try) go back to the
    queue and are delivered again; returns how many. Delivery is at least once: a worker killed
    after the mail server accepted a message but before recording it sends it again, with the same
    Message-ID, which mail software uses to drop the duplicate."""
    cutoff = timezone.now() - older_than
    stale = OutboundMessage.objects.filter(
        status=OutboundMessage.Status.SENDING, last_attempt_at__lt=cutoff
    )
    requeued = 0
    for pk in stale.values_list("pk", flat=True):
        with transaction.atomic():
            # Compare-and-swap: a worker that was only slow and finished meanwhile wins.
            if stale.filter(pk=pk).update(
                status=OutboundMessage.Status.QUEUED, next_attempt_at=None
            ):
                _message_enqueue(message_id=pk)
                requeued += 1
    if requeued:
        messages_logger.warning("Requeued %s message(s) left sending by a stopped worker", requeued)
    return requeued


class MessageNotAccepted(Exception):
    pass


def _message_transmit(message: OutboundMessage, *, mailer=None) -> None:
    if message.channel == OutboundMessage.Channel.EMAIL:
        email = OutboxEmail(
            subject=message.subject,
            body=message.deliverable_body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={
                # The same Message-ID on every attempt lets mail software drop a duplicate when a
                # server accepted a message but the connection failed before it said so.
                "Message-ID": f"<outbox-{message.pk}-{message.created_at:%Y%m%d%H%M%S}@{DNS_NAME}>",
                "Auto-Submitted": "auto-generated",
            },
        )
        accepted = (mailer or mailers.default).send_messages([email])
    else:
        accepted = sms_backend_get().send_messages(
            [
                SmsMessage(
                    to=message.recipient, body=message.deliverable_body, reference=str(message.pk)
                )
            ]
        )
    if accepted != 1:
        raise MessageNotAccepted(f"The backend accepted {accepted} of 1 message.")


def _message_delivery_failed(message: OutboundMessage, exc: Exception) -> str:
    error = f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"[:2000]
    sending = OutboundMessage.objects.filter(pk=message.pk, status=OutboundMessage.Status.SENDING)
    permanent = isinstance(exc, PermanentDeliveryError)
    if permanent or message.attempts >= settings.MESSAGE_MAX_ATTEMPTS:
        sending.update(status=OutboundMessage.Status.FAILED, last_error=error, next_attempt_at=None)
        # Only the error's class in the log: a refusal quotes the address, which is personal
        # data; the full error is on the row, where staff see it.
        messages_logger.error(
            "Message %s (%s, %s) failed after %s attempt(s): %s",
            message.pk,
            message.channel,
            message.kind or "-",
            message.attempts,
            type(exc).__name__,
        )
        return "failed"
    next_attempt_at = timezone.now() + message_retry_delay(message.attempts)
    # The worker runs outside any transaction, so the retry's task is written together with the
    # row (both in this database): neither can exist without the other.
    with transaction.atomic():
        sending.update(
            status=OutboundMessage.Status.QUEUED, last_error=error, next_attempt_at=next_attempt_at
        )
        _message_enqueue(message_id=message.pk, run_after=next_attempt_at)
    messages_logger.warning(
        "Message %s attempt %s failed, next at %s: %s",
        message.pk,
        message.attempts,
        next_attempt_at.isoformat(),
        type(exc).__name__,
    )
    return "retry"


def message_retry(*, message: OutboundMessage, actor, request=None) -> bool:
    """Give a failed or stuck message a fresh round of attempts (a staff action, audit-logged).
    Returns False if the message is not failed or stuck (e.g. it was sent in the meantime)."""
    now = timezone.now()
    with transaction.atomic():
        updated = (
            OutboundMessage.objects.filter(pk=message.pk)
            .needing_attention(now=now)
            .update(status=OutboundMessage.Status.QUEUED, attempts=0, next_attempt_at=now)
        )
        if not updated:
            return False
        audit.log(
            actor,
            "outbound_message.retry",
            message,
            subject_user=message.user,
            request=request,
            channel=message.channel,
            kind=message.kind,
        )
        _message_enqueue_on_commit(message.pk)
    return True
