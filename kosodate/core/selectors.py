"""Reads of the core tables."""

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from .cache import cache_read, cache_write
from .models import (
    Announcement,
    AuditLog,
    MaintenanceWindow,
    Municipality,
    NotificationPreference,
    OutboundMessage,
)

MUNICIPALITY_CACHE_KEY = "core:municipality:v1"
MUNICIPALITY_CACHE_SECONDS = 60

# Every request that could be refused (sign-in, any POST) and every top page asks whether a
# maintenance window is on, so the windows that have not ended yet are cached briefly. The services
# that change a window delete the key; the timeout bounds how stale another web process can be
# when the cache is local memory rather than the shared Redis.
MAINTENANCE_CACHE_KEY = "core:maintenance:v1"
MAINTENANCE_CACHE_SECONDS = 30
# More pending windows than this would be a mistake; the lookup stays small whatever happens.
MAINTENANCE_CACHE_LIMIT = 20


# System checks with this tag find what keeps residents out of a deployment that otherwise works
# (e.g. no terms published: registration closed). The staff dashboard shows them.
SETUP_CHECK_TAG = "kosodate_setup"


def setup_problems() -> list:
    """The warnings and errors of the setup checks (apps register them with SETUP_CHECK_TAG)."""
    from django.core import checks

    found = checks.run_checks(tags=[SETUP_CHECK_TAG], databases=["default"])
    return [message for message in found if message.level >= checks.WARNING]


def municipality_get() -> Municipality:
    """The municipality profile, cached briefly (it is read on every page). Falls back to an
    unsaved default row until a system administrator or the demo data has created one."""
    municipality = cache_read(MUNICIPALITY_CACHE_KEY)
    if municipality is None:
        municipality = Municipality.objects.filter(pk=Municipality.SINGLETON_ID).first()
        if municipality is None:
            return Municipality(
                pk=Municipality.SINGLETON_ID,
                name="(未設定)",
                name_en="(not set up)",
                code="000000",
                counter_name="",
                counter_address="",
                counter_phone="",
                counter_hours="",
            )
        cache_write(MUNICIPALITY_CACHE_KEY, municipality, MUNICIPALITY_CACHE_SECONDS)
    return municipality


# --- Announcements ----------------------------------------------------------------------------
def announcements_current() -> QuerySet[Announcement]:
    """Published announcements whose period includes now, newest first."""
    return Announcement.objects.current()


def announcement_get_public(*, pk: int) -> Announcement:
    """A published announcement that has started; ended ones stay readable by their link (it may
    have been shared), but are no longer listed. Anything else is a 404."""
    announcement = Announcement.objects.filter(
        pk=pk, published=True, starts_at__lte=timezone.now()
    ).first()
    if announcement is None:
        raise Http404
    return announcement


def announcements_for_staff() -> QuerySet[Announcement]:
    """Every announcement, for the back office list (one query, no per-row lookups)."""
    return Announcement.objects.select_related("created_by").order_by("-starts_at", "-pk")


def audit_entries_for_staff(*, action: str = "") -> QuerySet[AuditLog]:
    """The audit log, newest first, optionally one action type (one query per page)."""
    entries = AuditLog.objects.select_related("actor", "subject_user").order_by(
        "-created_at", "-pk"
    )
    return entries.filter(action=action) if action else entries


def announcement_get_for_staff(*, pk: int) -> Announcement:
    announcement = Announcement.objects.filter(pk=pk).first()
    if announcement is None:
        raise Http404
    return announcement


def announcements_current_count() -> int:
    return Announcement.objects.current().count()


# --- Maintenance ------------------------------------------------------------------------------
def _maintenance_pending() -> list[MaintenanceWindow]:
    """Windows that have not ended yet, earliest first, from the short-lived cache."""
    windows = cache_read(MAINTENANCE_CACHE_KEY)
    if windows is None:
        windows = list(
            MaintenanceWindow.objects.filter(ends_at__gt=timezone.now()).order_by("starts_at")[
                :MAINTENANCE_CACHE_LIMIT
            ]
        )
        cache_write(MAINTENANCE_CACHE_KEY, windows, MAINTENANCE_CACHE_SECONDS)
    return windows


def maintenance_active() -> MaintenanceWindow | None:
    """The window in force now; if windows overlap, the one ending last (Retry-After uses it)."""
    now = timezone.now()
    active = [w for w in _maintenance_pending() if w.starts_at <= now < w.ends_at]
    return max(active, key=lambda w: w.ends_at, default=None)


def maintenance_upcoming() -> list[MaintenanceWindow]:
    """Windows not started yet whose announcement period has begun (shown on the top page)."""
    now = timezone.now()
    return [w for w in _maintenance_pending() if w.announce_from <= now < w.starts_at]


def maintenance_scheduled() -> list[MaintenanceWindow]:
    """Every window that has not started yet, announced or not, for staff."""
    now = timezone.now()
    return [w for w in _maintenance_pending() if w.starts_at > now]


def maintenance_windows_for_staff(*, limit: int = 50) -> QuerySet[MaintenanceWindow]:
    """Recent and future windows, newest first, for the back office list."""
    return MaintenanceWindow.objects.select_related("created_by").order_by("-starts_at")[:limit]


def maintenance_window_get_for_staff(*, pk: int) -> MaintenanceWindow:
    window = MaintenanceWindow.objects.filter(pk=pk).first()
    if window is None:
        raise Http404
    return window


# --- Messages (outbox) ------------------------------------------------------------------------
def messages_failed_count() -> int:
    """Messages whose delivery failed for good, for the back office dashboard (staff retry them in
    the admin: Outgoing messages → "Delivery problem")."""
    return OutboundMessage.objects.failed().count()


def outbox_messages_recent(*, limit: int = 100) -> QuerySet[OutboundMessage]:
    """The newest messages, for the development outbox."""
    return OutboundMessage.objects.order_by("-created_at", "-pk")[:limit]


def outbox_message_get(*, pk: int) -> OutboundMessage:
    """One message for the development outbox (DEBUG only; the view checks)."""
    message = OutboundMessage.objects.filter(pk=pk).first()
    if message is None:
        raise Http404
    return message


# --- Notifications ----------------------------------------------------------------------------
def notifications_for_user(*, user, limit: int = 100) -> QuerySet:
    """The person's newest notifications (only their own)."""
    from .models import Notification

    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")[:limit]


def notifications_unread_count(*, user) -> int:
    from .models import Notification

    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_preference_get(*, user) -> NotificationPreference:
    """The person's channel choices (the defaults if they never chose: email on, SMS off)."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference or NotificationPreference(user=user)
