"""Booked sessions: slots published by staff, bookings under the locking contract of
kosodate/core/capacity.py, cancellations and reminders (rules as data: ConsultationRules).

The concurrency tests patch `capacity_locked` here, where it is used."""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kosodate.accounts.models import User
from kosodate.core import audit
from kosodate.core.capacity import capacity_locked
from kosodate.core.services import notification_send

from .. import selectors
from ..models import Booking, Consultation, Message, Slot, StaffMember, Topic
from .common import NOTIFY_KIND, flag_words


def slots_publish(
    *,
    member: StaffMember,
    profession: str,
    day: date,
    start,
    count: int,
    professional: User | None = None,
    request=None,
) -> list[Slot]:
    """Publish `count` consecutive slots of the rules' length from `start` on `day`; slots that
    exist already are left as they are."""
    if not member.is_supervisor and profession != member.profession:
        raise ValidationError({"profession": _("You can publish slots of your profession only.")})
    if not 1 <= count <= 36:
        raise ValidationError({"count": _("Publish between 1 and 36 slots at a time.")})
    rules = selectors.rules_get()
    tz = timezone.get_current_timezone()
    first = datetime.combine(day, start, tz)
    if first <= timezone.now():
        raise ValidationError({"day": _("Choose a time in the future.")})
    length = timedelta(minutes=rules.slot_minutes)
    slots = [
        Slot(
            profession=profession,
            starts_at=first + i * length,
            ends_at=first + (i + 1) * length,
            professional=professional,
            published_by=member.user,
        )
        for i in range(count)
    ]
    with transaction.atomic():
        Slot.objects.bulk_create(slots, ignore_conflicts=True)
        audit.log(
            member.user,
            "consultation.slots_publish",
            request=request,
            profession=profession,
            first=first.isoformat(),
            count=count,
        )
    return slots


def booking_create(
    *, user: User, slot: Slot, child, topic: Topic, body: str = "", request=None
) -> Booking:
    """Book a slot for one of the household's children. Under the locking contract (the
    resident's row, then the slot's): the slot is free and the resident has no other booking of
    this profession that day, counted from the rows after the lock; the database's unique
    constraints are the backstop."""
    if child.household_id != user.household_id or user.household_id is None:
        raise ValidationError({"child": _("Choose one of your children.")})
    rules = selectors.rules_get()
    now = timezone.now()
    if slot.starts_at < now + timedelta(minutes=rules.booking_closes_minutes):
        raise ValidationError(
            _("This time can no longer be booked. Please choose a later one."), code="past"
        )
    day = timezone.localdate(slot.starts_at)
    try:
        with capacity_locked(User.objects.filter(pk=user.pk), Slot.objects.filter(pk=slot.pk)) as (
            _users,
            slots,
        ):
            if not slots:
                raise ValidationError(_("This time is no longer offered."), code="gone")
            if Booking.objects.filter(slot=slot, status=Booking.Status.BOOKED).exists():
                raise ValidationError(
                    _("Someone else booked this time a moment ago. Please choose another."),
                    code="taken",
                )
            if Booking.objects.filter(
                booked_by=user, profession=slot.profession, day=day, status=Booking.Status.BOOKED
            ).exists():
                raise ValidationError(
                    _("You already have a session with this profession on that day."),
                    code="same_day",
                )
            consultation = Consultation.objects.create(
                channel=Consultation.Channel.SESSION,
                household_id=user.household_id,
                child=child,
                asked_by=user,
                topic=topic,
                profession=slot.profession,
                child_age_months=selectors.child_age_months(child=child),
                created_at=now,
                last_message_at=now,
                assigned_to=slot.professional,
                status=Consultation.Status.WAITING_STAFF,
            )
            if body.strip():
                words = flag_words(body)
                Message.objects.create(
                    consultation=consultation, author=user, body=body.strip(), created_at=now
                )
                if words:
                    Consultation.objects.filter(pk=consultation.pk).update(
                        flagged=True, flag_words=words
                    )
            booking = Booking.objects.create(
                slot=slot,
                booked_by=user,
                profession=slot.profession,
                day=day,
                consultation=consultation,
                created_at=now,
            )
            audit.log(
                user, "consultation.book", booking, subject_user=user, request=request, slot=slot.pk
            )
            _reminder_schedule(booking, rules)
    except IntegrityError:
        # Only reachable if the lock were bypassed; the constraint keeps the slot single.
        raise ValidationError(
            _("Someone else booked this time a moment ago. Please choose another."), code="taken"
        ) from None
    return booking


def booking_cancel(*, user: User, booking: Booking, request=None) -> bool:
    rules = selectors.rules_get()
    now = timezone.now()
    if booking.slot.starts_at < now + timedelta(minutes=rules.cancel_until_minutes):
        raise ValidationError(
            _("It is too late to cancel online. Please call the counter."), code="too_late"
        )
    with transaction.atomic():
        updated = Booking.objects.filter(
            pk=booking.pk, booked_by=user, status=Booking.Status.BOOKED
        ).update(status=Booking.Status.CANCELLED, cancelled_at=now)
        if updated:
            Consultation.objects.filter(pk=booking.consultation_id).update(
                status=Consultation.Status.CLOSED, closed_at=now
            )
            audit.log(
                user, "consultation.booking_cancel", booking, subject_user=user, request=request
            )
    return bool(updated)


def _reminder_schedule(booking: Booking, rules) -> None:
    run_after = booking.slot.starts_at - timedelta(minutes=rules.reminder_minutes)

    def enqueue():
        from .. import tasks

        tasks.consultations_send_reminders_task.using(run_after=run_after).enqueue()

    transaction.on_commit(enqueue, robust=True)


def reminders_send(*, now: datetime | None = None) -> int:
    """Remind each family of its session once (compare-and-swap on reminded_at)."""
    now = now or timezone.now()
    rules = selectors.rules_get()
    due = Booking.objects.filter(
        status=Booking.Status.BOOKED,
        reminded_at__isnull=True,
        slot__starts_at__gt=now,
        slot__starts_at__lte=now + timedelta(minutes=rules.reminder_minutes),
    ).select_related("slot", "booked_by")
    sent = 0
    for booking in due:
        with transaction.atomic():
            if not Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            user = booking.booked_by
            if user is not None:
                when = timezone.localtime(booking.slot.starts_at).strftime("%m/%d %H:%M")
                with translation.override(user.preferred_language or "ja"):
                    title = _("Reminder: your consultation session at %(time)s") % {"time": when}
                notification_send(
                    user=user,
                    kind=NOTIFY_KIND,
                    title=title,
                    body=_("Open the link at the time of the session to chat."),
                    url=reverse("consultations:detail", args=[booking.consultation_id]),
                )
            sent += 1
    return sent
