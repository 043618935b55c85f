"""Every change to the core tables goes through here (ARCHITECTURE.md: services.py)."""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import DNS_NAME, EmailMessage, mailers
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import audit
from .models import (
    Announcement,
    MaintenanceWindow,
    Municipality,
    Notification,
    NotificationPreference,
    OutboundMessage,
)
from .selectors import MAINTENANCE_CACHE_KEY, MUNICIPALITY_CACHE_KEY
from .sms import PermanentDeliveryError, SmsMessage, sms_backend_get


# --- Audit log --------------------------------------------------------------------------------
def admin_object_viewed(*, actor, obj: models.Model, request=None) -> None:
    """A system administrator opened a record holding personal data in the Django admin."""
    audit.log(actor, "admin.view", obj, request=request)


def _cache_delete_now_and_on_commit(key: str) -> None:
    # Deleting only now would let a request running alongside re-cache the old row before the
    # transaction commits; deleting only on commit would leave this request's own reads stale.
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


# --- Municipality profile and rules -----------------------------------------------------------
def municipality_save(
    *, municipality: Municipality, actor, changed_fields: Iterable[str] = (), request=None
) -> Municipality:
    """Save the one municipality row, log which fields changed, and drop the cached copy so the
    next page already shows the change."""
    municipality.pk = Municipality.SINGLETON_ID
    with transaction.atomic():
        municipality.save()
        audit.log(
            actor,
            "municipality.update",
            municipality,
            request=request,
            fields=sorted(changed_fields),
        )
        _cache_delete_now_and_on_commit(MUNICIPALITY_CACHE_KEY)
    return municipality


# --- Announcements (お知らせ) -------------------------------------------------------------------
ANNOUNCEMENT_EDITABLE_FIELDS = (
    "title",
    "title_en",
    "body",
    "body_en",
    "importance",
    "starts_at",
    "ends_at",
)


def _announcement_check_period(announcement: Announcement) -> None:
    if announcement.ends_at is not None and announcement.ends_at <= announcement.starts_at:
        raise ValidationError(
            {"ends_at": _("The end must be after the start.")}, code="ends_before_start"
        )


def announcement_create(
    *,
    actor,
    title: str,
    body: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    importance: str = Announcement.Importance.NORMAL,
    title_en: str = "",
    body_en: str = "",
    request=None,
) -> Announcement:
    """Publish an announcement for its period (raises ValidationError if it ends before it
    starts); audit-logged."""
    announcement = Announcement(
        title=title,
        title_en=title_en,
        body=body,
        body_en=body_en,
        importance=importance,
        starts_at=starts_at,
        ends_at=ends_at,
        published=True,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _announcement_check_period(announcement)
    with transaction.atomic():
        announcement.save()
        audit.log(
            actor,
            "announcement.create",
            announcement,
            request=request,
            title=title,
            importance=importance,
        )
    return announcement


def announcement_update(
    *, announcement: Announcement, actor, request=None, **changes: Any
) -> Announcement:
    """Change the given fields (only those in ANNOUNCEMENT_EDITABLE_FIELDS) and log which ones
    changed; the period is checked again."""
    unknown = set(changes) - set(ANNOUNCEMENT_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"announcement_update() cannot change {sorted(unknown)}")
    with transaction.atomic():
        # Compared with the stored row, not the instance: a ModelForm has already copied the new
        # values onto the instance it was given.
        stored = Announcement.objects.select_for_update().get(pk=announcement.pk)
        changed = sorted(f for f, v in changes.items() if getattr(stored, f) != v)
        for field, value in changes.items():
            setattr(announcement, field, value)
        _announcement_check_period(announcement)
        if not changed:
            return announcement
        announcement.save(update_fields=[*changed, "updated_at"])
        audit.log(actor, "announcement.update", announcement, request=request, fields=changed)
    return announcement


def _announcement_set_published(
    *, announcement: Announcement, published: bool, actor, request
) -> bool:
    # Compare-and-swap: two staff pressing the button at once log one change, not two.
    with transaction.atomic():
        updated = Announcement.objects.filter(pk=announcement.pk, published=not published).update(
            published=published, updated_at=timezone.now()
        )
        if updated:
            audit.log(
                actor,
                "announcement.publish" if published else "announcement.unpublish",
                announcement,
                request=request,
            )
    announcement.published = published
    return bool(updated)


def announcement_unpublish(*, announcement: Announcement, actor, request=None) -> bool:
    """Take an announcement off the site at once (its page becomes a 404). Returns False if it was
    already unpublished."""
    return _announcement_set_published(
        announcement=announcement, published=False, actor=actor, request=request
    )


def announcement_publish(*, announcement: Announcement, actor, request=None) -> bool:
    """Put an unpublished announcement back for its period. Returns False if already published."""
    return _announcement_set_published(
        announcement=announcement, published=True, actor=actor, request=request
    )


def announcement_delete(*, announcement: Announcement, actor, request=None) -> None:
    """Delete an announcement (system administrators, in the Django admin); the audit log keeps
    its title."""
    with transaction.atomic():
        audit.log(
            actor, "announcement.delete", announcement, request=request, title=announcement.title
        )
        announcement.delete()


# --- Maintenance windows (メンテナンス) ----------------------------------------------------------
MAINTENANCE_EDITABLE_FIELDS = ("starts_at", "ends_at", "announce_from", "message", "message_en")


def _maintenance_check(window: MaintenanceWindow) -> None:
    errors = {}
    if window.ends_at <= window.starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    if window.announce_from > window.starts_at:
        errors["announce_from"] = _("The announcement must start before the maintenance does.")
    if errors:
        raise ValidationError(errors)


def _maintenance_detail(window: MaintenanceWindow) -> dict[str, str]:
    return {
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat(),
        "announce_from": window.announce_from.isoformat(),
    }


def maintenance_window_create(
    *,
    actor,
    starts_at: datetime,
    ends_at: datetime,
    announce_from: datetime | None = None,
    message: str = "",
    message_en: str = "",
    request=None,
) -> MaintenanceWindow:
    """Schedule a maintenance window (announced on the top page from `announce_from`, by default
    from now); every web process sees it within MAINTENANCE_CACHE_SECONDS at most."""
    if announce_from is None:
        announce_from = min(timezone.now(), starts_at)
    window = MaintenanceWindow(
        starts_at=starts_at,
        ends_at=ends_at,
        announce_from=announce_from,
        message=message,
        message_en=message_en,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _maintenance_check(window)
    with transaction.atomic():
        window.save()
        audit.log(
            actor, "maintenance.create", window, request=request, **_maintenance_detail(window)
        )
        _cache_delete_now_and_on_commit(MAINTENANCE_CACHE_KEY)
    return window


def maintenance_window_update(
    *, window: MaintenanceWindow, actor, request=None, **changes: Any
) -> MaintenanceWindow:
    """Change a window's times or message (only MAINTENANCE_EDITABLE_FIELDS); audit-logged."""
    unknown = set(changes) - set(MAINTENANCE_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"maintenance_window_update() cannot change {sorted(unknown)}")
    with transaction.atomic():
        stored = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
        changed = sorted(f for f, v in changes.items() if getattr(stored, f) != v)
        for field, value in changes.items():
            setattr(window, field, value)
        _maintenance_check(window)
        if not changed:
            return window
        window.save(update_fields=changed)
        audit.log(
            actor,
            "maintenance.update",
            window,
            request=request,
            **{"fields": changed, **_maintenance_detail(window)},
        )
        _cache_delete_now_and_on_commit(MAINTENANCE_CACHE_KEY)
    return window


def maintenance_window_end(*, window: MaintenanceWindow, actor, request=None) -> str:
    """End a window now: one under way stops (its record stays, ending now); one not started yet
    is cancelled (deleted). Returns "ended", "cancelled" or "" if it had already ended."""
    now = timezone.now()
    with transaction.atomic():
        # Compare-and-swap on the times, so two staff ending it at once log it once.
        if MaintenanceWindow.objects.filter(
            pk=window.pk, starts_at__lt=now, ends_at__gt=now
        ).update(ends_at=now):
            outcome, window.ends_at = "ended", now
        elif MaintenanceWindow.objects.filter(pk=window.pk, starts_at__gte=now).delete()[0]:
            outcome = "cancelled"
        else:
            return ""
        audit.log(
            actor,
            f"maintenance.{'end' if outcome == 'ended' else 'cancel'}",
            window,
            request=request,
            **_maintenance_detail(window),
        )
        _cache_delete_now_and_on_commit(MAINTENANCE_CACHE_KEY)
    return outcome


def maintenance_window_delete(*, window: MaintenanceWindow, actor, request=None) -> None:
    """Delete a window (system administrators, in the Django admin); audit-logged."""
    with transaction.atomic():
        audit.log(
            actor, "maintenance.delete", window, request=request, **_maintenance_detail(window)
        )
        window.delete()
        _cache_delete_now_and_on_commit(MAINTENANCE_CACHE_KEY)


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
    parts = []
    for language in ("ja", "en"):
        with translation.override(language):
            name = f"{municipality.display_name} {municipality.display_system_name}"
            parts.append(
                "\n".join(
                    [
                        gettext("This message was sent automatically by %(name)s.")
                        % {"name": name},
                        gettext("Official site: %(url)s") % {"url": settings.SITE_URL},
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
    _message_enqueue_on_commit(message.pk)
    return message


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


def message_deliver(*, message_id: int) -> str:
    """One delivery attempt of a queued message. Compare-and-swap QUEUED → SENDING, so two
    workers never send the same message; on failure, retry later or, after MESSAGE_MAX_ATTEMPTS
    (or at once on a PermanentDeliveryError), mark it FAILED for staff. Returns what happened:
    "sent", "retry", "failed" or "skipped"."""
    claimed = OutboundMessage.objects.filter(
        pk=message_id, status=OutboundMessage.Status.QUEUED
    ).update(
        status=OutboundMessage.Status.SENDING,
        attempts=F("attempts") + 1,
        last_attempt_at=timezone.now(),
    )
    if not claimed:
        # Already sent, failed, being sent by another worker, or deleted.
        return "skipped"
    message = OutboundMessage.objects.get(pk=message_id)
    try:
        _message_transmit(message)
    except Exception as exc:  # any failure is recorded and retried, never lost
        return _message_delivery_failed(message, exc)
    sent = {"status": OutboundMessage.Status.SENT, "sent_at": timezone.now()}
    if not settings.DEV_OUTBOX_KEEPS_SECRETS:
        # Delivered: the secret's only copy at rest goes (docs/operations.md, "Secrets").
        sent["sealed_body"] = ""
    OutboundMessage.objects.filter(pk=message.pk, status=OutboundMessage.Status.SENDING).update(
        next_attempt_at=None, last_error="", **sent
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


def _message_transmit(message: OutboundMessage) -> None:
    if message.channel == OutboundMessage.Channel.EMAIL:
        email = EmailMessage(
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
        accepted = mailers.default.send_messages([email])
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


# --- In-app notifications (お知らせ to one person) ----------------------------------------------
def notification_send(
    *, user, kind: str, title, body, url: str = "", email: bool = True, urgent: bool = False
) -> Notification:
    """Tell one person about a change: always a row on their notifications page; an email
    through the outbox (delivered after commit) if `email`, they have an address and did not
    turn email off; and, when `urgent`, an SMS too if they asked for urgent messages by SMS and
    have a mobile number. The choices are the person's NotificationPreference (none chosen:
    email on, SMS off).
    Security messages never come through here: they always go by email (SECURITY.md).
    Lazy strings are evaluated in the person's own language (User.preferred_language); callers
    that render templates do so under translation.override(user.preferred_language) themselves."""
    language = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        title_text = " ".join(str(title).split())[:200]
        body_text = str(body).strip()
    notification = Notification.objects.create(
        user=user, kind=kind, title=title_text, body=body_text, url=url
    )
    wants_email, wants_sms = _notification_channels(user)
    if email and wants_email and user.email:
        text = body_text
        if url:
            text = f"{text}\n\n{settings.SITE_URL.rstrip('/')}{url}"
        message_email_send(to=user.email, subject=title_text, body=text, user=user, kind=kind)
    if urgent and wants_sms:
        from .text import phone_is_mobile

        phone = getattr(user, "phone", None)
        if phone and phone_is_mobile(phone):
            message_sms_send(to=str(phone), body=f"{title_text}\n{body_text}", user=user, kind=kind)
    return notification


def _notification_channels(user) -> tuple[bool, bool]:
    """(email, sms for urgent messages) as the person chose them."""
    from django.core.exceptions import ObjectDoesNotExist

    try:
        preference = user.notification_preference
    except (ObjectDoesNotExist, AttributeError):
        return True, False
    return preference.email, preference.sms_urgent


def notification_preference_save(*, user, email: bool, sms_urgent: bool) -> None:
    """The person's channel choices (NotificationPreference), for every app's notifications."""
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email, "sms_urgent": sms_urgent}
    )


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or, without an id, all of them) read; compare-and-
    swap on read_at, so the count says how many were unread. Another person's id changes nothing."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
