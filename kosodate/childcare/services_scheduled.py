"""What the worker runs on a schedule (tasks.py, and the cron fallbacks in management/commands):
offers whose deadline has gone pass to the next family, waiting-list requests end when their day
begins, and the day-before reminders go out exactly once. Split out of services.py (600 lines)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kosodate.core.capacity import capacity_locked

from . import notices, services
from .models import Booking, FacilityDay

S = Booking.Status


def booking_offers_expire(*, now: datetime | None = None, booking_id: int | None = None) -> int:
    """Pass on every offer whose deadline has gone (to the next family waiting), and end waiting-
    list requests whose day has begun. Returns the number of days settled."""
    now = now or timezone.now()
    offers = Booking.objects.filter(status=S.OFFERED, offer_expires_at__lte=now)
    if booking_id is not None:
        offers = offers.filter(pk=booking_id)
    day_ids = set(offers.values_list("day_id", flat=True))
    for day_id in sorted(day_ids):
        row = FacilityDay.objects.select_related("facility").get(pk=day_id)
        with capacity_locked(FacilityDay.objects.filter(pk=day_id)) as ([row_locked],):
            services._day_settle(services._day_load(row_locked, row.facility), now=now)
    if booking_id is None:
        _waitlists_close(now=now)
    return len(day_ids)


def _waitlists_close(*, now: datetime) -> int:
    today = timezone.localdate(now)
    ended = 0
    # A waiting-list request whose day has come got no place: tell the family it has ended.
    for booking in Booking.objects.filter(status=S.WAITLISTED, date__lte=today).select_related(
        "facility", "child", "household"
    ):
        if services._booking_starts_at(booking) > now:
            continue
        with transaction.atomic():
            if services.BOOKINGS.change(
                booking,
                from_statuses=[S.WAITLISTED],
                to=S.CANCELLED,
                now=now,
                note="waiting list closed",
                cancelled_by=Booking.CancelledBy.SYSTEM,
                cancel_reason="waitlist_closed",
            ):
                notices.family_notify(booking=booking, event="waitlist_closed")
                ended += 1
    return ended


def booking_reminders_send(*, now: datetime | None = None) -> int:
    """The day-before reminder for every confirmed booking of tomorrow, exactly once each even
    with several workers: the reminder_sent_at flag is claimed by compare-and-swap in the same
    transaction that writes the notification (a failure rolls both back)."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    sent = 0
    candidates = Booking.objects.filter(
        date=tomorrow, status=S.CONFIRMED, reminder_sent_at__isnull=True
    ).select_related("facility", "child", "household")
    for booking in candidates:
        with transaction.atomic():
            claimed = Booking.objects.filter(
                pk=booking.pk, status=S.CONFIRMED, reminder_sent_at__isnull=True
            ).update(reminder_sent_at=now)
            if claimed:
                notices.family_notify(booking=booking, event="reminder")
                sent += 1
    return sent
