"""Every change to temporary childcare goes through here.

Capacity follows the locking contract (kosodate/core/capacity.py): anything that takes or frees a
place locks the facility-day row (children's rows first when a request is made), recounts the
places held from the bookings, writes, then settles the day — expired offers pass on, and
families on the waiting list are offered any place that fits — all in one transaction. Status
changes are compare-and-swap updates, so nothing is approved, promoted or reminded twice. Every
change is told to the family (notices.py), in-app and by email, delivered after commit."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosodate.accounts.models import Child, User
from kosodate.core import audit, idempotency, waitlist
from kosodate.core.capacity import capacity_locked, capacity_locking, lock_row_get_or_create
from kosodate.core.db import insert_together
from kosodate.core.services import messages_sent_inline
from kosodate.core.task_batches import TASK_BATCH_SIZE, task_batch
from kosodate.core.task_rows import QueuedTask
from kosodate.core.waitlist import StatusFlow

from . import notices, selectors_lock, selectors_quote, tasks
from . import rules as R
from .availability_cache import availability_changed
from .models import (
    BAND_FIELDS,
    AgeBand,
    Booking,
    BookingEvent,
    Facility,
    FacilityDay,
)

S = Booking.Status


# Bookings wait, are offered, confirmed and cancelled through core's one waitlist policy; every
# status change is a compare-and-swap with a history row (BookingEvent).
BOOKINGS = StatusFlow(
    model=Booking, history=BookingEvent, history_fk="booking", changed_at="status_changed_at"
)


# --- The facility day under its lock ------------------------------------------------------------
@dataclass
class _Day:
    row: FacilityDay
    facility: Facility
    rules: R.Rules
    capacity: R.Capacity
    held: dict[str, int]  # places held per band, counted from the bookings
    waiting: dict[str, int]  # waiting-list requests per band
    earliest_offer: datetime | None  # the first deadline of an open offer

    def held_changed(self) -> bool:
        return self.held != self.row.held()

    def write_held(self, now: datetime) -> None:
        """Store the held counts on the day row (the copy the availability pages read), if they
        changed."""
        for queryset, values in self.held_update(now):
            queryset.update(**values)

    def held_update(self, now: datetime) -> list[tuple[QuerySet, dict]]:
        """The update that stores the held counts, if they changed, for the caller to run (with
        other writes, core.db.insert_together); the row and the availability version move now."""
        if not self.held_changed():
            return []
        availability_changed()
        values = {f"held_{BAND_FIELDS[b]}": max(0, n) for b, n in self.held.items()}
        for name, n in values.items():
            setattr(self.row, name, n)
        return [(FacilityDay.objects.filter(pk=self.row.pk), {**values, "updated_at": now})]


def _day_counts(day_id: int) -> tuple[dict, dict, datetime | None]:
    """(held per band, waiting per band, earliest offer deadline) from the day's bookings: one
    query, whatever the length of the waiting list."""
    held = dict.fromkeys(AgeBand.values, 0)
    waiting = dict.fromkeys(AgeBand.values, 0)
    earliest = None
    for row in (
        Booking.objects.filter(day_id=day_id, status__in=[*Booking.HOLDING, S.WAITLISTED])
        .values("age_band", "status")
        .annotate(n=Count("pk"), earliest=Min("offer_expires_at"))
    ):
        if row["status"] == S.WAITLISTED:
            waiting[row["age_band"]] += row["n"]
        else:
            held[row["age_band"]] += row["n"]
        if row["earliest"] is not None and (earliest is None or row["earliest"] < earliest):
            earliest = row["earliest"]
    return held, waiting, earliest


def _day_load(
    row: FacilityDay, facility: Facility, counts: tuple | None = None, rules: R.Rules | None = None
) -> _Day:
    # Called with the row locked: the count comes from the bookings, never from the copy
    # (`counts`: _day_counts' result, if read with something else under the lock).
    held, waiting, earliest = counts or _day_counts(row.pk)
    return _Day(
        row=row,
        facility=facility,
        rules=rules or R.rules_for(facility),
        capacity=R.capacity_for(facility, row),
        held=held,
        waiting=waiting,
        earliest_offer=earliest,
    )


def _booking_starts_at(booking: Booking) -> datetime:
    return timezone.make_aware(datetime.combine(booking.date, booking.start_time))


def _day_settle(day: _Day, *, now: datetime, write: bool = True) -> None:
    """Pass on offers whose deadline has gone, offer free places to the waiting list in order,
    and (write=True) store the held counts. Called in every locked block that frees a place, and
    before a request takes one, so that families already waiting keep their turn."""
    offers_expired = day.earliest_offer is not None and day.earliest_offer <= now
    room_for_waiting = any(
        n and day.capacity.free(day.held, band) > 0 for band, n in day.waiting.items()
    )
    if offers_expired or room_for_waiting:
        _day_queue_settle(day, now=now)
    if write:
        day.write_held(now)


def _day_queue_settle(day: _Day, *, now: datetime) -> None:
    queue = list(
        Booking.objects.filter(day_id=day.row.pk, status__in=[S.WAITLISTED, S.OFFERED])
        .select_related("facility", "child")
        .order_by("created_at", "pk")
    )

    def expired(booking: Booking, deadline: datetime) -> None:
        day.held[booking.age_band] -= 1
        notices.family_notify(booking=booking, event="offer_expired", deadline=deadline)

    def offered(booking: Booking) -> None:
        day.held[booking.age_band] += 1
        day.waiting[booking.age_band] -= 1
        notices.family_notify(booking=booking, event="offered", deadline=booking.offer_expires_at)

    waitlist.offers_expire(
        flow=BOOKINGS,
        offers=queue,
        now=now,
        to=S.CANCELLED,
        expired=expired,
        cancelled_by=Booking.CancelledBy.SYSTEM,
        cancel_reason="offer_expired",
    )
    # The worker passes each offer on at its deadline (tasks.offer_expire_task); the periodic
    # command (expire_childcare_offers) is the safety net if the task is lost.
    waitlist.waitlist_offer(
        flow=BOOKINGS,
        queue=queue,
        policy=day.rules.offer_policy,
        now=now,
        starts_at=_booking_starts_at,
        fits=lambda booking: day.capacity.free(day.held, booking.age_band) > 0,
        offered=offered,
        expiry_task=tasks.offer_expire_task,
        expiry_kwarg="booking_id",
    )
    day.earliest_offer = min(
        (b.offer_expires_at for b in queue if b.status == S.OFFERED), default=None
    )


def _day_row(facility: Facility, day: date) -> FacilityDay:
    return lock_row_get_or_create(FacilityDay, facility=facility, date=day)


# --- Booking requests -------------------------------------------------------------------------
def booking_request(
    *,
    user: User,
    facility: Facility,
    children: list[Child],
    day: date,
    start: time,
    end: time,
    reason: str,
    pickup_person: str,
    reason_detail: str = "",
    notes: str = "",
    now: datetime | None = None,
    idempotency_key: str = "",
) -> list[Booking]:
    """Request care for one or more of the family's children on one day. Each child gets a
    place (申請中, or 確定 where the facility confirms at once) while one fits, otherwise goes on
    the waiting list — decided under the day's lock, so the day never holds more children than
    its capacity. Raises ValidationError (nothing saved) if any rule refuses the request. The
    same form sent again (its idempotency key, core/idempotency.py) returns the bookings it made."""
    return idempotency.once(
        user=user,
        scope="childcare.booking",
        key=idempotency_key,
        run=lambda: _booking_request(
            user=user,
            facility=facility,
            children=children,
            day=day,
            start=start,
            end=end,
            reason=reason,
            pickup_person=pickup_person,
            reason_detail=reason_detail,
            notes=notes,
            now=now or timezone.now(),
        ),
        result=lambda bookings: bookings[0].request_group,
        recall_result=lambda group: list(
            Booking.objects.filter(request_group=group).select_related("child").order_by("pk")
        ),
    )


def _booking_request(
    *,
    user: User,
    facility: Facility,
    children: list[Child],
    day: date,
    start: time,
    end: time,
    reason: str,
    pickup_person: str,
    reason_detail: str,
    notes: str,
    now: datetime,
) -> list[Booking]:
    # The lock's two groups in the contract's order, each locked by a statement that reads what
    # comes next (selectors_lock.py): the children, with the quote's facts; then the day.
    with capacity_locking():
        facts = selectors_lock.request_facts(
            household_id=user.household_id,
            facility_id=facility.pk,
            children=children,
            day=day,
            now=now,
            lock=True,
        )
        # The limits per child are checked under the lock below (they decide there), not twice.
        quote = selectors_quote.booking_quote(
            user=user,
            facility=facility,
            children=children,
            day=day,
            start=start,
            end=end,
            now=now,
            limits=False,
            facts=facts,
        )
        if quote.problems:
            raise ValidationError(quote.problems)
        rules = quote.rules or R.rules_for(facility)
        row = quote.row or _day_row(facility, day)
        group, child_ids = uuid.uuid4().hex, sorted(c.pk for c in children)
        row, booking_ids = selectors_lock.day_lock(day_id=row.pk, new_bookings=len(quote.lines))
        if row.closed:
            raise ValidationError(_("The facility has just closed that day."))
        day_facts = selectors_lock.day_facts(day_id=row.pk, child_ids=child_ids, day=day)
        # Limits per child again, now that no other request for these children can run.
        problems = selectors_quote.limit_problems(
            rules=rules, children=children, day=day, hours=quote.hours, usage=day_facts.usage
        )
        if problems:
            raise ValidationError(problems)
        state = _day_load(
            row, facility, (day_facts.held, day_facts.waiting, day_facts.earliest_offer), rules
        )
        # Waiting families keep their turn: whatever fits them is offered first.
        _day_settle(state, now=now, write=False)
        waiting_before = sum(state.waiting.values())
        bookings = []
        for index, line in enumerate(quote.lines):
            if state.capacity.free(state.held, line.band) > 0:
                status = S.CONFIRMED if facility.auto_approve else S.PENDING
                state.held[line.band] += 1
            else:
                status = S.WAITLISTED
            bookings.append(
                Booking(
                    id=booking_ids[index] if booking_ids else None,
                    facility=facility,
                    day=row,
                    date=day,
                    start_time=start,
                    end_time=end,
                    child=line.child,
                    household_id=user.household_id,
                    requested_by=user,
                    request_group=group,
                    age_band=line.band,
                    reason=reason,
                    reason_detail=reason_detail,
                    pickup_person=pickup_person,
                    notes=notes,
                    fee_yen=line.fee,
                    status=status,
                    created_at=now,
                    status_changed_at=now,
                )
            )
        positions = []
        position = waiting_before
        for booking in bookings:
            if booking.status == S.WAITLISTED:
                position += 1
            positions.append(position)
        if booking_ids is None:
            Booking.objects.bulk_create(bookings)
        # The family (and, for a request to decide, the staff) are told by the worker: the task
        # row is written in this transaction, the notifications and emails after commit.
        telling = QueuedTask(
            tasks.booking_request_notify_task,
            booking_ids=[b.pk for b in bookings],
            positions=positions,
        )
        # The bookings (ids drawn by day_lock), their history, the key, the telling task and
        # the day's held counts: one statement on PostgreSQL (core.db.insert_together).
        insert_together(
            [
                *(bookings if booking_ids else ()),
                *(BOOKINGS.history_row(b, status=b.status, actor=user, now=now) for b in bookings),
                *idempotency.key_rows(bookings),
                *telling.rows,
            ],
            updates=state.held_update(now),
        )
        telling.enqueued()
    return bookings


def _staff_url() -> str:
    from django.urls import reverse

    return reverse("childcare_staff:index")


def booking_request_notify(*, booking_ids: list[int], positions: list[int], context=None) -> int:
    """Tell the family what became of each booking of their request, and the facility's staff
    of a request to decide (run by the worker once the request has committed; booking_request
    enqueues it), together with up to TASK_BATCH_SIZE − 1 other requests whose tasks are
    waiting (core.task_batches: their tasks are done in this transaction). A booking that has
    moved on meanwhile (cancelled, offered, decided) is not told of its first state: that change
    told the family itself. Returns how many bookings were told."""
    own = {"booking_ids": booking_ids, "positions": positions}
    # The emails go out from this task, after its commit (not as tasks of their own).
    with messages_sent_inline(), transaction.atomic():
        batch = task_batch(context, own, size=TASK_BATCH_SIZE)
        bookings = {
            b.pk: b
            for b in Booking.objects.filter(
                pk__in=[pk for request in batch for pk in request["booking_ids"]]
            ).select_related("facility", "child")
        }
        notes, to_decide, rules = [], [], {}
        for request in batch:
            pairs = zip(request["booking_ids"], request["positions"], strict=True)
            for booking_id, position in pairs:
                booking = bookings.get(booking_id)
                if booking is None or booking.status_changed_at != booking.created_at:
                    continue
                if booking.facility_id not in rules:
                    rules[booking.facility_id] = R.rules_for(booking.facility)
                notes.append(_new_note(booking, rules[booking.facility_id], position=position))
            pending = [
                bookings[pk]
                for pk in request["booking_ids"]
                if pk in bookings and bookings[pk].status == S.PENDING
            ]
            if pending:
                to_decide.append(pending[0].facility)
        waitlist.households_notify_many(notes)
        for facility in to_decide:  # a note to the staff for each request, as one at a time
            notices.staff_notify(
                facility=facility,
                title=gettext_lazy("New booking request: %(facility)s"),
                url=_staff_url(),
            )
    return len(notes)


def _new_note(booking: Booking, rules: R.Rules, *, position: int) -> waitlist.HouseholdNote:
    if booking.status == S.WAITLISTED:
        return notices.family_note(booking=booking, event="waitlisted", position=position)
    if booking.status == S.CONFIRMED:
        return notices.family_note(
            booking=booking, event="confirmed", deadline=R.cancel_deadline(rules, booking.date)
        )
    return notices.family_note(booking=booking, event="pending")


# --- Facility decisions -----------------------------------------------------------------------
def booking_approve(*, booking: Booking, actor: User, request=None, now=None) -> Booking:
    """申請中 → 確定, re-checking capacity at this moment (staff may have lowered it since the
    request took its place). Raises ValidationError if it no longer fits or was decided."""
    now = now or timezone.now()
    with capacity_locked(FacilityDay.objects.filter(pk=booking.day_id)) as ([row],):
        state = _day_load(row, booking.facility)
        others = dict(state.held)
        others[booking.age_band] -= 1  # this request's own place
        if state.capacity.free(others, booking.age_band) <= 0:
            raise ValidationError(
                _(
                    "The day is over capacity for this age: approving would exceed it. Raise the "
                    "day's capacity, or decline the request."
                )
            )
        if not BOOKINGS.change(
            booking, from_statuses=[S.PENDING], to=S.CONFIRMED, actor=actor, now=now
        ):
            raise ValidationError(_("This request has already been decided."))
        audit.log(
            actor,
            "childcare.booking.approve",
            booking,
            subject_user=booking.requested_by,
            request=request,
        )
        notices.family_notify(
            booking=booking,
            event="confirmed",
            deadline=R.cancel_deadline(state.rules, booking.date),
        )
        _day_settle(state, now=now)
    return booking


def booking_decline(
    *, booking: Booking, actor: User, reason: str, request=None, now=None
) -> Booking:
    """申請中 or キャンセル待ち → 不承認 with the facility's reason (required); a held place goes to
    the waiting list."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the family a reason."))
    with capacity_locked(FacilityDay.objects.filter(pk=booking.day_id)) as ([row],):
        state = _day_load(row, booking.facility)
        was = Booking.objects.filter(pk=booking.pk).values_list("status", flat=True).first()
        if not BOOKINGS.change(
            booking,
            from_statuses=[S.PENDING, S.WAITLISTED],
            to=S.DECLINED,
            actor=actor,
            now=now,
            note=reason,
            decline_reason=reason,
        ):
            raise ValidationError(_("This request has already been decided."))
        if was in Booking.HOLDING:
            state.held[booking.age_band] -= 1
        audit.log(
            actor,
            "childcare.booking.decline",
            booking,
            subject_user=booking.requested_by,
            request=request,
            reason=reason,
        )
        notices.family_notify(booking=booking, event="declined", reason=reason)
        _day_settle(state, now=now)
    return booking


def booking_mark_attended(*, booking: Booking, actor: User, request=None, now=None) -> Booking:
    """確定 → 利用済 (or a no-show corrected), on or after the day."""
    return _attendance(booking, S.ATTENDED, [S.CONFIRMED, S.NO_SHOW], actor, request, now)


def booking_mark_no_show(*, booking: Booking, actor: User, request=None, now=None) -> Booking:
    """確定 → 無断キャンセル (or an attendance corrected), on or after the day; counts towards the
    family's penalty points."""
    return _attendance(booking, S.NO_SHOW, [S.CONFIRMED, S.ATTENDED], actor, request, now)


def _attendance(booking, to, from_statuses, actor, request, now) -> Booking:
    now = now or timezone.now()
    if booking.date > timezone.localdate(now):
        raise ValidationError(_("Attendance can be recorded from the day of care."))
    # Both statuses hold the place, so the count does not change: no lock needed.
    with transaction.atomic():
        if not BOOKINGS.change(booking, from_statuses=from_statuses, to=to, actor=actor, now=now):
            raise ValidationError(_("This booking cannot be marked that way now."))
        audit.log(
            actor,
            f"childcare.booking.{to}",
            booking,
            subject_user=booking.requested_by,
            request=request,
        )
        notices.family_notify(booking=booking, event=to)
    return booking


# --- The family's changes ---------------------------------------------------------------------
def booking_cancel(*, booking: Booking, user: User, now=None) -> Booking:
    """Cancel by the family: free until the cancellation deadline; after it, a booking that held
    a place is recorded as late (penalty points). The place goes to the waiting list at once."""
    now = now or timezone.now()
    rules = R.rules_for(booking.facility)
    with capacity_locked(FacilityDay.objects.filter(pk=booking.day_id)) as ([row],):
        state = _day_load(row, booking.facility)
        was = Booking.objects.filter(pk=booking.pk).values_list("status", flat=True).first()
        late = was in (S.PENDING, S.CONFIRMED) and now > R.cancel_deadline(rules, booking.date)
        if not BOOKINGS.change(
            booking,
            from_statuses=Booking.CANCELLABLE,
            to=S.CANCELLED,
            actor=user,
            now=now,
            note="late" if late else "",
            cancelled_by=Booking.CancelledBy.FAMILY,
            cancelled_late=late,
        ):
            raise ValidationError(_("This booking can no longer be cancelled online."))
        if was in Booking.HOLDING:
            state.held[booking.age_band] -= 1
        notices.family_notify(booking=booking, event="cancelled_late" if late else "cancelled")
        _day_settle(state, now=now)
    return booking


def booking_offer_accept(*, booking: Booking, user: User, now=None) -> Booking:
    """Take the place offered from the waiting list, before its deadline (the place is already
    held for this booking, so no recount is needed)."""
    now = now or timezone.now()
    rules = R.rules_for(booking.facility)
    with transaction.atomic():
        if not BOOKINGS.change(
            booking,
            from_statuses=[S.OFFERED],
            to=S.CONFIRMED,
            actor=user,
            now=now,
            extra_filter={"offer_expires_at__gt": now},
        ):
            raise ValidationError(_("This offer has ended: the place passed to the next family."))
        notices.family_notify(
            booking=booking, event="confirmed", deadline=R.cancel_deadline(rules, booking.date)
        )
    return booking
