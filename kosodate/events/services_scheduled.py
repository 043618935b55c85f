"""What the worker runs on a schedule (tasks.py, and the cron fallbacks in management/commands):
the lottery draw once applications close, and the day-before reminders. Both are compare-and-swap
claims, so several workers running them at once draw and remind exactly once."""

import random
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosodate.core import audit
from kosodate.core.capacity import capacity_locked

from . import selectors, services
from .models import Application, Event
from .notices import application_notify, application_state_notify


# --- The lottery --------------------------------------------------------------------------------
def lottery_order(*, application_ids: list[int], seed: str) -> list[int]:
    """The drawn order: anyone can repeat it from the stored seed and the applications' ids."""
    order = sorted(application_ids)
    random.Random(seed).shuffle(order)  # noqa: S311 (reproducible on purpose; the seed is secret until drawn)
    return order


def _lottery_claim(*, event_id: int, now: datetime, seed: str) -> bool:
    # Compare-and-swap on drawn_at: of several workers only one draws.
    return bool(
        Event.objects.filter(pk=event_id, drawn_at__isnull=True, cancelled_at__isnull=True).update(
            drawn_at=now, draw_seed=seed, updated_at=now
        )
    )


def lottery_draw(*, event: Event, now: datetime | None = None) -> bool:
    """Draw the lottery of an event whose window has closed, once: winners in drawn order are
    confirmed while places last, the others waitlisted in drawn order; everyone is told. Returns
    False if it was drawn already (or is not due)."""
    now = now or timezone.now()
    if not event.is_lottery or now < event.applications_close_at:
        return False
    with capacity_locked(Event.objects.filter(pk=event.pk)) as (locked,):
        event = locked[0]
        seed = secrets.token_hex(16)
        if not _lottery_claim(event_id=event.pk, now=now, seed=seed):
            return False
        event.drawn_at, event.draw_seed = now, seed
        pending = {
            a.pk: a
            for a in Application.objects.filter(
                event=event, status=Application.Status.DRAW_PENDING
            ).select_related("event", "user")
        }
        order = lottery_order(application_ids=list(pending), seed=seed)
        Event.objects.filter(pk=event.pk).update(draw_order=order)
        event.draw_order = order
        taken = selectors.event_places_taken(event=event)
        number = 0
        for application_id in order:
            application = pending[application_id]
            need = event.places_for(application.people)
            if taken + need <= event.capacity:
                taken += need
                to, fields = Application.Status.CONFIRMED, {"confirmed_at": now}
            else:
                number += 1
                to, fields = Application.Status.WAITLISTED, {"waitlist_number": number}
            if services.APPLICATIONS.change(
                application,
                from_statuses=[Application.Status.DRAW_PENDING],
                to=to,
                now=now,
                note="lottery",
                **fields,
            ):
                application_state_notify(application)
        audit.log(
            None, "event.lottery_draw", event, seed=seed, order=order, applications=len(order)
        )
    return True


def lotteries_run_due(*, now: datetime | None = None) -> int:
    """Draw every lottery whose window has closed (events_run_due_draws); returns how many this
    call drew."""
    now = now or timezone.now()
    due = Event.objects.filter(
        mode=Event.Mode.LOTTERY,
        drawn_at__isnull=True,
        cancelled_at__isnull=True,
        applications_close_at__lte=now,
    )
    return sum(1 for event in list(due) if lottery_draw(event=event, now=now))


# --- Reminders ----------------------------------------------------------------------------------
def reminders_send(*, now: datetime | None = None) -> int:
    """The day before an event, remind every confirmed family, exactly once (compare-and-swap on
    reminded_at). Returns how many were reminded."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()))
    due = Application.objects.filter(
        status=Application.Status.CONFIRMED,
        reminded_at__isnull=True,
        event__cancelled_at__isnull=True,
        event__starts_at__gte=start,
        event__starts_at__lt=start + timedelta(days=1),
    ).select_related("event", "user")
    sent = 0
    for application in due:
        with transaction.atomic():
            if Application.objects.filter(
                pk=application.pk, reminded_at__isnull=True, status=Application.Status.CONFIRMED
            ).update(reminded_at=now):
                sent += 1
                application_notify(
                    application,
                    "events.reminder",
                    _("Tomorrow: %(title)s"),
                    _(
                        "A reminder: %(title)s is tomorrow, %(date)s, at %(place)s.\n"
                        "What to bring: %(bring)s"
                    ),
                )
    return sent
