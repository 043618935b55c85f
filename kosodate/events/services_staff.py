"""Staff's changes to events (ARCHITECTURE.md: services): creating, editing, copying and
cancelling an event, the background work each event schedules, attendance and messages to the
participants. Residents' applications and the waitlist are in services.py, whose locking contract
(core/capacity.py) these follow where places change."""

from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosodate.core import audit, waitlist
from kosodate.core.capacity import capacity_locked

from . import tasks
from .models import Application, Event
from .notices import application_notify
from .services import APPLICATIONS, _waitlist_promote

# Reminders go out the day before at this local time.
REMINDER_TIME = time(9, 0)

# What staff may change on an event, in the order the staff form shows them (EventStaffForm).
EVENT_EDITABLE_FIELDS = (
    "organiser",
    "title",
    "title_en",
    "category",
    "description",
    "description_en",
    "place",
    "place_en",
    "starts_at",
    "ends_at",
    "min_age_months",
    "max_age_months",
    "min_school_grade",
    "max_school_grade",
    "capacity",
    "capacity_unit",
    "per_family_limit",
    "fee",
    "bring",
    "bring_en",
    "mode",
    "applications_open_at",
    "applications_close_at",
    "offer_hours",
    "cancel_hours_before",
)


# --- Background work, scheduled on commit ----------------------------------------------------
# Each task is idempotent and safe in several workers, so a duplicate or a cron run of the same
# management command does no harm.
def _event_schedule(event: Event) -> None:
    if event.is_lottery and event.drawn_at is None:
        waitlist.task_schedule(
            tasks.events_run_due_draws_task, run_after=event.applications_close_at
        )
    day_before = timezone.localdate(event.starts_at) - timedelta(days=1)
    waitlist.task_schedule(
        tasks.events_send_reminders_task,
        run_after=timezone.make_aware(datetime.combine(day_before, REMINDER_TIME)),
    )
    waitlist.task_schedule(tasks.events_expire_offers_task, run_after=event.starts_at)


# --- Staff: events ------------------------------------------------------------------------------
def _event_check(event: Event) -> None:
    errors: dict[str, Any] = {}
    if event.starts_at and event.ends_at and event.ends_at <= event.starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    if (
        event.applications_open_at
        and event.applications_close_at
        and event.applications_close_at <= event.applications_open_at
    ):
        errors["applications_close_at"] = _("Applications must close after they open.")
    elif (
        event.applications_close_at
        and event.starts_at
        and (event.applications_close_at > event.starts_at)
    ):
        errors["applications_close_at"] = _("Applications must close before the event starts.")
    if (
        event.min_age_months is not None
        and event.max_age_months is not None
        and event.max_age_months < event.min_age_months
    ):
        errors["max_age_months"] = _("The oldest age must not be below the youngest.")
    if (
        event.min_school_grade is not None
        and event.max_school_grade is not None
        and event.max_school_grade < event.min_school_grade
    ):
        errors["max_school_grade"] = _("The oldest school year must not be below the youngest.")
    if errors:
        raise ValidationError(errors)


def event_create(*, actor, request=None, **fields: Any) -> Event:
    """Create an event (checked: times in order, age range); audit-logged."""
    unknown = set(fields) - set(EVENT_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"event_create() cannot set {sorted(unknown)}")
    event = Event(**fields, created_by=actor if getattr(actor, "is_authenticated", False) else None)
    _event_check(event)
    with transaction.atomic():
        event.save()
        audit.log(actor, "event.create", event, request=request, title=event.title)
        _event_schedule(event)
    return event


def event_update(*, event: Event, actor, request=None, **changes: Any) -> Event:
    """Change an event's fields; more places are offered to the waitlist at once. The mode
    cannot change once someone applied, nor anything once the lottery was drawn except texts."""
    unknown = set(changes) - set(EVENT_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"event_update() cannot change {sorted(unknown)}")
    with capacity_locked(Event.objects.filter(pk=event.pk)) as (locked,):
        stored = locked[0]
        changed = sorted(f for f, v in changes.items() if getattr(stored, f) != v)
        if "mode" in changed and stored.applications.exists():
            raise ValidationError(
                {"mode": _("People have applied already: the way places are given stays.")}
            )
        for field, value in changes.items():
            setattr(event, field, value)
        _event_check(event)
        if not changed:
            return event
        event.save(update_fields=[*changed, "updated_at"])
        audit.log(actor, "event.update", event, request=request, fields=changed)
        _event_schedule(event)
        if not event.is_cancelled and (not event.is_lottery or event.drawn_at is not None):
            _waitlist_promote(event=event)
    return event


def event_copy_initial(*, event: Event) -> dict[str, Any]:
    """The fields of a new event copied from `event` (the staff then change the dates)."""
    return {field: getattr(event, field) for field in EVENT_EDITABLE_FIELDS}


def event_cancel(*, event: Event, actor, reason: str = "", request=None) -> int:
    """Cancel the event and every active application, telling each applicant. Compare-and-swap:
    cancelling twice tells nobody twice. Returns how many applications were cancelled."""
    now = timezone.now()
    with capacity_locked(Event.objects.filter(pk=event.pk)):
        if not Event.objects.filter(pk=event.pk, cancelled_at__isnull=True).update(
            cancelled_at=now, cancel_reason=reason, updated_at=now
        ):
            return 0
        event.cancelled_at, event.cancel_reason = now, reason
        applications = [
            application
            for application in Application.objects.filter(
                event=event, status__in=Application.ACTIVE
            ).order_by("pk")
            if APPLICATIONS.change(
                application,
                from_statuses=Application.ACTIVE,
                to=Application.Status.CANCELLED,
                now=now,
                actor=actor,
                note=reason,
                cancelled_at=now,
                cancelled_by=Application.CancelledBy.EVENT,
                offer_expires_at=None,
            )
        ]
        audit.log(
            actor,
            "event.cancel",
            event,
            request=request,
            title=event.title,
            applications=len(applications),
        )
        for application in applications:
            application_notify(
                application,
                "events.event_cancelled",
                _("Cancelled: %(title)s"),
                _(
                    "We are sorry: %(title)s on %(date)s has been cancelled.\n%(reason)s\n"
                    "Your application has been cancelled; there is nothing you need to do."
                ),
                reason=reason,
            )
    return len(applications)


# --- Staff: attendance and messages ---------------------------------------------------------
def attendance_record(*, event: Event, attended_ids: set[int], actor, request=None) -> int:
    """Mark who came among the confirmed families (the others as absent); audit-logged."""
    confirmed = Application.objects.filter(event=event, status=Application.Status.CONFIRMED)
    with transaction.atomic():
        came = confirmed.filter(pk__in=attended_ids).update(attended=True)
        confirmed.exclude(pk__in=attended_ids).update(attended=False)
        audit.log(actor, "event.attendance", event, request=request, attended=sorted(attended_ids))
    return came


def participants_message(*, event: Event, actor, subject: str, body: str, request=None) -> int:
    """Send a message to every family holding a place (a notification and an email each);
    audit-logged. Returns how many were told."""
    applications = list(
        Application.objects.filter(event=event, status__in=Application.HOLDING).select_related(
            "user"
        )
    )
    url = reverse("events:mine")
    with transaction.atomic():
        for application in applications:
            waitlist.household_notify(
                household_id=application.household_id,
                kind="events.staff_message",
                url=url,
                text=lambda: (f"{subject} ({event.title})", body),
            )
        audit.log(
            actor,
            "event.message",
            event,
            request=request,
            subject=subject,
            recipients=len(applications),
        )
    return len(applications)


def participants_viewed(*, event: Event, actor, request=None, export: bool = False) -> None:
    """Looking at (or downloading) the participants list shows children's ages and allergies and
    guardians' phones: logged (SECURITY.md: every look at personal data)."""
    audit.log(
        actor,
        "event.participants_export" if export else "event.participants_view",
        event,
        request=request,
    )
