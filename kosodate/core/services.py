"""Every change to the core tables goes through here (ARCHITECTURE.md: services.py)."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from . import audit
from .models import (
    Announcement,
    MaintenanceWindow,
    Municipality,
    Notification,
    NotificationPreference,
)
from .selectors import MAINTENANCE_CACHE_KEY, MUNICIPALITY_CACHE_KEY

# The outbox lives in core/services_outbox.py; its public names stay importable from here.
from .services_outbox import (  # noqa: F401
    MESSAGE_REDACTED,
    MESSAGE_RETRY_FIRST_DELAY,
    MESSAGE_RETRY_MAX_DELAY,
    MESSAGE_SENDING_LEASE,
    MessageNotAccepted,
    message_deliver,
    message_email_footer,
    message_email_send,
    message_enqueue_orphans,
    message_redact,
    message_requeue_stale,
    message_retry,
    message_retry_delay,
    message_sms_send,
    messages_email_send_many,
    messages_logger,
    messages_sent_inline,
)


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


def notifications_send_many(notes: list[dict[str, Any]]) -> list[Notification]:
    """notification_send for many people at once (user, kind, title, body, url; email as the
    person chose, never SMS: nothing urgent comes this way): the notifications in one INSERT, the
    emails in another. Titles and bodies are already in each person's language. For a task that
    tells many families at once (core.task_batches); read the users with
    select_related("notification_preference"), or it costs a query each."""
    made = Notification.objects.bulk_create(
        [
            Notification(
                user=note["user"],
                kind=note["kind"],
                title=" ".join(str(note["title"]).split())[:200],
                body=str(note["body"]).strip(),
                url=note.get("url", ""),
            )
            for note in notes
        ]
    )
    site = settings.SITE_URL.rstrip("/")
    messages_email_send_many(
        [
            {
                "to": n.user.email,
                "subject": n.title,
                "body": f"{n.body}\n\n{site}{n.url}" if n.url else n.body,
                "user": n.user,
                "kind": n.kind,
            }
            for n in made
            if n.user.email and _notification_channels(n.user)[0]
        ]
    )
    return made


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
