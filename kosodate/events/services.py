"""Every change to events and applications (ARCHITECTURE.md: services.py).

Places follow the locking contract of kosodate/core/capacity.py: anything that takes or frees a
place runs inside capacity_locked() on the event's row, recounts the places from the application
rows and only then writes. State changes that a background command may race on (offers expiring,
the lottery, reminders) are compare-and-swap updates as well. Notifications are rows written in
the same transaction; their emails leave after commit (core.services.notification_send)."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosodate.accounts.models import Child
from kosodate.core import idempotency, waitlist
from kosodate.core.capacity import capacity_locked, locking_query
from kosodate.core.db import insert_together
from kosodate.core.services import messages_sent_inline
from kosodate.core.task_batches import TASK_BATCH_SIZE, task_batch
from kosodate.core.task_rows import QueuedTask
from kosodate.core.waitlist import StatusFlow

from . import selectors, tasks
from .models import Application, ApplicationStatusChange, Event
from .notices import (
    application_notify,
    application_state_notify,
    applications_state_notify,
    format_time,
)

# Applications wait, are offered, confirmed and cancelled through core's one waitlist policy
# (the offer deadline is Event.offer_policy); every status change is a compare-and-swap with a
# history row.
APPLICATIONS = StatusFlow(
    model=Application,
    history=ApplicationStatusChange,
    history_fk="application",
    changed_at="updated_at",
)
# The event's row, locked by every application of a rush: compiled once per process.
EVENT_ROW = locking_query(lambda pk: Event.objects.filter(pk=pk), "pk")


# --- Residents: applying ------------------------------------------------------------------------
def _application_check(
    *, event: Event, user, children: list[Child], adults: int, now: datetime
) -> None:
    if event.is_cancelled:
        raise ValidationError(_("This event has been cancelled."), code="cancelled")
    if now < event.applications_open_at:
        raise ValidationError(
            _("Applications open on %(time)s."),
            code="not_open",
            params={"time": format_time(event.applications_open_at)},
        )
    if now >= event.applications_close_at:
        raise ValidationError(_("Applications for this event have closed."), code="closed")
    if user.household_id is None:
        raise ValidationError(
            _("Register your household on My Page before applying."), code="no_household"
        )
    if any(child.household_id != user.household_id for child in children):
        raise ValidationError(_("Choose only your own children."), code="not_own_child")
    if adults < 0:
        raise ValidationError({"adults": _("Enter 0 or more.")}, code="adults")
    people = adults + len(children)
    if people < 1:
        raise ValidationError(_("Choose who will come."), code="nobody")
    if people > event.per_family_limit:
        raise ValidationError(
            _("At most %(limit)s people per family can come (you chose %(people)s)."),
            code="per_family_limit",
            params={"limit": event.per_family_limit, "people": people},
        )
    if event.has_age_range:
        if not children:
            raise ValidationError(
                {"children": _("This event is for children: choose at least one child.")},
                code="child_required",
            )
        too = [c for c in children if not event.birth_fits(c.birth_date)]
        if too:
            raise ValidationError(
                {
                    "children": _(
                        "%(names)s will not be of the target age on the day of the event."
                    )
                    % {"names": ", ".join(c.full_name for c in too)}
                },
                code="age",
            )
    if event.places_for(people) > event.capacity:
        raise ValidationError(
            _("The event has only %(capacity)s places."),
            code="capacity",
            params={"capacity": event.capacity},
        )


def application_create(
    *, event: Event, user, children: list[Child], adults: int, idempotency_key: str = ""
) -> Application:
    """Apply for an event for the user's household. Checked: window, target age, per-family limit,
    one active application per household (a unique constraint backs it). First come: confirmed if
    a place is left, else put on the waitlist with the next number — decided under the event's
    lock from the rows. Lottery: recorded for the draw. Raises ValidationError. The same form sent
    again (its idempotency key, core/idempotency.py) returns the application it made."""
    return idempotency.once(
        user=user,
        scope="events.application",
        key=idempotency_key,
        run=lambda: _application_create(event=event, user=user, children=children, adults=adults),
        result=lambda application: application.pk,
        recall_result=lambda pk: Application.objects.select_related("event").get(pk=pk),
    )


def _application_create(*, event: Event, user, children: list[Child], adults: int) -> Application:
    now = timezone.now()
    _application_check(event=event, user=user, children=children, adults=adults, now=now)
    people = adults + len(children)
    duplicate = ValidationError(
        _("Your household has already applied for this event."), code="duplicate"
    )
    try:
        with capacity_locked(EVENT_ROW.bound(pk=event.pk)) as (locked,):
            event = locked[0]
            # Everything may have changed while this request waited for the lock.
            _application_check(event=event, user=user, children=children, adults=adults, now=now)
            counts = selectors.event_counts(event=event, household_id=user.household_id)
            if counts["duplicate"]:
                raise duplicate
            application = Application(
                event=event, household_id=user.household_id, user=user, adults=adults, people=people
            )
            need = event.places_for(people)
            position = None
            if event.is_lottery:
                application.status = Application.Status.DRAW_PENDING
            elif counts["taken"] + need <= event.capacity and not counts["waiting"]:
                # Free places with families waiting exist only when none of them fits (a big
                # family in an event counted in people): a newcomer must not jump that queue.
                application.status = Application.Status.CONFIRMED
                application.confirmed_at = now
            else:
                application.status = Application.Status.WAITLISTED
                application.waitlist_number = counts["top"] + 1
                position = counts["waiting"] + 1
            application.save()
            # The family is told by the worker: the task row is written in this transaction (so
            # it exists exactly when the application does), the notifications and emails after
            # commit, outside the lock. The history row, the children, the key and the task in
            # one statement (core.db.insert_together): the lock is held for at most three
            # statements (tests/performance/).
            telling = QueuedTask(
                tasks.events_application_notify_task,
                application_id=application.pk,
                status=application.status,
                position=position,
            )
            insert_together(
                [
                    APPLICATIONS.history_row(
                        application, status=application.status, actor=user, now=now
                    ),
                    *(
                        Application.children.through(application=application, child=child)
                        for child in children
                    ),
                    *idempotency.key_rows(application),
                    *telling.rows,
                ]
            )
            telling.enqueued()
    except IntegrityError as error:
        # The unique constraint caught a double submission that raced past the check above.
        raise duplicate from error
    return application


def application_created_notify(
    *, application_id: int, status: str, position: int | None = None, context=None
) -> int:
    """Tell the family what became of their new application (run by the worker once the
    application's transaction has committed; application_create enqueues it), together with the
    families of up to TASK_BATCH_SIZE − 1 other applications whose tasks are waiting
    (core.task_batches: their tasks are done in this transaction). Nothing is said when an
    application has moved on meanwhile (cancelled, offered, drawn): that change told them itself.
    Returns how many applications were told."""
    own = {"application_id": application_id, "status": status, "position": position}
    # The emails go out from this task, after its commit (not as tasks of their own).
    with messages_sent_inline(), transaction.atomic():
        batch = {b["application_id"]: b for b in task_batch(context, own, size=TASK_BATCH_SIZE)}
        applications = Application.objects.select_related("event").filter(pk__in=batch)
        told = [
            (application, batch[application.pk].get("position"))
            for application in applications.order_by("pk")
            if application.status == batch[application.pk]["status"]
        ]
        if told:
            applications_state_notify(told)
    return len(told)


# --- Residents: cancelling, confirming an offer ----------------------------------------------
def application_cancel(*, application: Application, user) -> bool:
    """Cancel an active application of the user's household before the cancellation deadline;
    a place it held goes to the waitlist's next family. Returns False if already inactive."""
    now = timezone.now()
    event = application.event
    if now >= event.cancellation_deadline() and application.status in Application.HOLDING:
        raise ValidationError(
            _("Online cancellation ended on %(time)s. Please call the place of the event instead."),
            code="too_late",
            params={"time": format_time(event.cancellation_deadline())},
        )
    with capacity_locked(Event.objects.filter(pk=event.pk)) as (locked,):
        event = locked[0]
        if not APPLICATIONS.change(
            application,
            from_statuses=Application.ACTIVE,
            to=Application.Status.CANCELLED,
            now=now,
            actor=user,
            extra_filter={"household_id": user.household_id},
            cancelled_at=now,
            cancelled_by=Application.CancelledBy.RESIDENT,
            offer_expires_at=None,
        ):
            return False
        application_notify(
            application,
            "events.application_cancelled",
            _("Cancellation received: %(title)s"),
            _("Your application for %(title)s on %(date)s has been cancelled."),
        )
        _waitlist_promote(event=event, now=now)
    return True


def application_offer_accept(*, application: Application, user) -> bool:
    """Take the offered place: compare-and-swap OFFERED (and not expired) → CONFIRMED. Returns
    False when the offer is no longer open."""
    now = timezone.now()
    with transaction.atomic():
        updated = APPLICATIONS.change(
            application,
            from_statuses=[Application.Status.OFFERED],
            to=Application.Status.CONFIRMED,
            now=now,
            actor=user,
            extra_filter={"household_id": user.household_id, "offer_expires_at__gt": now},
            confirmed_at=now,
            offer_expires_at=None,
        )
        if updated:
            application_state_notify(application)
    return updated


# --- The waitlist -------------------------------------------------------------------------------
def _waitlist_promote(*, event: Event, now: datetime | None = None) -> int:
    """Offer each free place to exactly one waiting family, in waitlist order (call under the
    event's lock; the notifications are rows, emailed after commit). Returns how many offers."""
    now = now or timezone.now()
    if event.is_cancelled or (event.is_lottery and event.drawn_at is None):
        return 0
    free = [event.capacity - selectors.event_places_taken(event=event)]
    if free[0] <= 0:
        return 0

    def offered(application: Application) -> None:
        free[0] -= event.places_for(application.people)
        application_state_notify(application)

    waiting = Application.objects.filter(
        event=event, status=Application.Status.WAITLISTED
    ).order_by("waitlist_number")
    return waitlist.waitlist_offer(
        flow=APPLICATIONS,
        queue=waiting,
        policy=event.offer_policy,
        now=now,
        starts_at=lambda application: event.starts_at,
        fits=lambda application: 0 < event.places_for(application.people) <= free[0],
        offered=offered,
        expiry_task=tasks.events_offer_expire_task,
        expiry_kwarg="application_id",
    )


def offers_expire(*, now: datetime | None = None, application_id: int | None = None) -> int:
    """Every offer past its deadline (or only `application_id`'s) passes to the next family
    (events_expire_offers, events_offer_expire_task). Safe with several workers: each expiry is
    a compare-and-swap under the event's lock, so an offer expires once and each freed place is
    offered once. Returns how many expired."""
    now = now or timezone.now()
    expired = 0
    due = Application.objects.filter(status=Application.Status.OFFERED, offer_expires_at__lte=now)
    if application_id is not None:
        due = due.filter(pk=application_id)
    event_ids = due.order_by("event_id").values_list("event_id", flat=True).distinct()

    def passed_on(application: Application, deadline: datetime) -> None:
        application_notify(
            application,
            "events.offer_expired",
            _("The offered place has passed on: %(title)s"),
            _(
                "The place offered to you for %(title)s on %(date)s was not "
                "confirmed in time, so it has passed to the next family."
            ),
        )

    for event_id in list(event_ids):
        with capacity_locked(Event.objects.filter(pk=event_id)) as (locked,):
            if not locked:
                continue
            event = locked[0]
            stale = Application.objects.filter(
                event=event, status=Application.Status.OFFERED, offer_expires_at__lte=now
            ).select_related("event", "user")
            expired += waitlist.offers_expire(
                flow=APPLICATIONS,
                offers=list(stale),
                now=now,
                to=Application.Status.CANCELLED,
                expired=passed_on,
                cancelled_at=now,
                cancelled_by=Application.CancelledBy.OFFER_EXPIRED,
                offer_expires_at=None,
            )
            _waitlist_promote(event=event, now=now)
    return expired


def waitlists_close(*, now: datetime | None = None) -> int:
    """Once an event has started, whoever still waits did not get a place (落選) and is told so;
    open offers lapse. Compare-and-swap, so running it twice tells nobody twice."""
    now = now or timezone.now()
    closed = 0
    waiting = Application.objects.filter(
        event__starts_at__lte=now,
        status__in=[
            Application.Status.WAITLISTED,
            Application.Status.OFFERED,
            Application.Status.DRAW_PENDING,
        ],
    ).select_related("event", "user")
    for application in waiting:
        with transaction.atomic():
            if APPLICATIONS.change(
                application,
                from_statuses=[application.status],
                to=Application.Status.NOT_SELECTED,
                now=now,
                note="the event started",
                offer_expires_at=None,
            ):
                closed += 1
                application_notify(
                    application,
                    "events.not_selected",
                    _("No place came free: %(title)s"),
                    _(
                        "%(title)s on %(date)s has started and no place came free for you, so "
                        "your application has ended. Thank you for applying."
                    ),
                )
    return closed
