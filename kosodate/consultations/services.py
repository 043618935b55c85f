"""Every change to consultations (ARCHITECTURE.md: services.py).

State changes that two people may race on (taking a consultation, closing it, booking a slot) are
compare-and-swap updates or run under the locking contract of kosodate/core/capacity.py. Every
staff action and every look at a consultation is audit-logged. Families are told of an answer in
the app and by email, with no content in either, only a link (the mail may be read by others)."""

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

from . import selectors
from .deadlines import working_deadline
from .models import (
    Booking,
    Consultation,
    Handover,
    Message,
    Photo,
    Profession,
    Slot,
    StaffMember,
    StaffNote,
    Topic,
)
from .photos import MAX_PHOTOS, CleanPhoto

NOTIFY_KIND = "consultation"


def _require_text(body: str, field: str = "body") -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({field: _("Write your message.")}, code="empty")
    return body


def _add_photos(message: Message, photos: list[CleanPhoto]) -> None:
    Photo.objects.bulk_create(
        Photo(
            message=message,
            content=p.content,
            content_type=p.content_type,
            width=p.width,
            height=p.height,
        )
        for p in photos
    )


def _flag_words(text: str) -> list[str]:
    return [w.word for w in selectors.emergency_words_found(text)]


# --- The family's side ------------------------------------------------------------------------
def consultation_ask(
    *,
    user: User,
    child,
    topic: Topic,
    body: str,
    photos: list[CleanPhoto] = (),
    request=None,
    now: datetime | None = None,
) -> Consultation:
    """Send a written question about one of the household's children; routed by the topic to a
    profession, with its first-answer deadline in working hours. Words that signal an emergency
    flag it for staff (it is sent all the same). All or nothing."""
    body = _require_text(body)
    if child.household_id != user.household_id or user.household_id is None:
        raise ValidationError({"child": _("Choose one of your children.")})
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("Attach at most 3 photos.")})
    now = now or timezone.now()
    rules = selectors.rules_get()
    words = _flag_words(body)
    with transaction.atomic():
        consultation = Consultation.objects.create(
            household_id=user.household_id,
            child=child,
            asked_by=user,
            topic=topic,
            profession=topic.profession,
            child_age_months=selectors.child_age_months(child=child, on=timezone.localdate(now)),
            flagged=bool(words),
            flag_words=words,
            created_at=now,
            last_message_at=now,
            due_at=working_deadline(now, rules),
        )
        message = Message.objects.create(
            consultation=consultation, author=user, body=body, created_at=now
        )
        _add_photos(message, list(photos))
        audit.log(
            user,
            "consultation.ask",
            consultation,
            subject_user=user,
            request=request,
            topic=topic.code,
            flagged=bool(words),
            photos=len(photos),
        )
    return consultation


def consultation_reply(
    *,
    user: User,
    consultation: Consultation,
    body: str,
    photos: list[CleanPhoto] = (),
    request=None,
    now: datetime | None = None,
) -> Message:
    """The family writes again; the thread goes back to the professionals with a new deadline.
    A closed thread takes no reply (reopen it first)."""
    body = _require_text(body)
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("Attach at most 3 photos.")})
    now = now or timezone.now()
    words = _flag_words(body)
    is_session = consultation.channel == Consultation.Channel.SESSION
    with transaction.atomic():
        # Compare-and-swap on the status: a reply racing a close either lands before it or fails.
        changes = {"last_message_at": now}
        if not is_session:
            changes.update(
                status=Consultation.Status.WAITING_STAFF,
                due_at=working_deadline(now, selectors.rules_get()),
            )
        if words:
            changes["flagged"] = True
        updated = (
            Consultation.objects.filter(pk=consultation.pk, household_id=user.household_id)
            .exclude(status=Consultation.Status.CLOSED)
            .update(**changes)
        )
        if not updated:
            raise ValidationError(
                _("This consultation is closed. Reopen it to write again, or ask a new question."),
                code="closed",
            )
        if words:
            consultation.flag_words = sorted(set(consultation.flag_words) | set(words))
            consultation.save(update_fields=["flag_words"])
        message = Message.objects.create(
            consultation=consultation, author=user, body=body, created_at=now
        )
        _add_photos(message, list(photos))
    for field, value in changes.items():
        setattr(consultation, field, value)
    return message


def consultation_close(
    *, user: User, consultation: Consultation, helpful: bool | None, request=None
) -> bool:
    """The family closes the thread, saying whether it helped. False if it was closed already."""
    now = timezone.now()
    with transaction.atomic():
        updated = (
            Consultation.objects.filter(pk=consultation.pk, household_id=user.household_id)
            .exclude(status=Consultation.Status.CLOSED)
            .update(status=Consultation.Status.CLOSED, closed_at=now, helpful=helpful)
        )
        if updated:
            audit.log(
                user,
                "consultation.close",
                consultation,
                subject_user=user,
                request=request,
                helpful=helpful,
            )
    if updated:
        consultation.status, consultation.closed_at = Consultation.Status.CLOSED, now
        consultation.helpful = helpful
    return bool(updated)


def consultation_reopen(*, user: User, consultation: Consultation, request=None) -> None:
    """Open a closed written consultation again, within the rules' days after it was closed."""
    rules = selectors.rules_get()
    until = selectors.reopen_until(consultation=consultation, rules=rules)
    now = timezone.now()
    if until is None or now > until:
        raise ValidationError(
            _("This consultation can no longer be reopened. Please ask a new question."),
            code="too_late",
        )
    with transaction.atomic():
        updated = Consultation.objects.filter(
            pk=consultation.pk,
            household_id=user.household_id,
            status=Consultation.Status.CLOSED,
            closed_at__gte=now - timedelta(days=rules.reopen_days),
        ).update(
            status=Consultation.Status.WAITING_STAFF,
            closed_at=None,
            helpful=None,
            due_at=working_deadline(now, rules),
            last_message_at=now,
        )
        if not updated:
            raise ValidationError(_("This consultation is not closed."), code="not_closed")
        audit.log(user, "consultation.reopen", consultation, subject_user=user, request=request)
    consultation.status, consultation.closed_at = Consultation.Status.WAITING_STAFF, None


# --- Staff ------------------------------------------------------------------------------------
def consultation_record_view(*, member: StaffMember, consultation: Consultation, request=None):
    """Every look at a consultation by staff goes on record (who read what, and when)."""
    audit.log(
        member.user,
        selectors.VIEW_ACTION,
        consultation,
        subject_user=consultation.asked_by,
        request=request,
    )


def _family_notify(consultation: Consultation, title) -> None:
    user = consultation.asked_by
    if user is None:
        return
    notification_send(
        user=user,
        kind=NOTIFY_KIND,
        title=title,
        # Deliberately no content: only a link (habit: nothing personal in an email).
        body=_("Sign in and open the link to read it."),
        url=reverse("consultations:detail", args=[consultation.pk]),
    )


def consultation_answer(
    *,
    member: StaffMember,
    consultation: Consultation,
    body: str,
    request=None,
    now: datetime | None = None,
) -> Message:
    """A professional answers: the thread waits for the family, which is told (no content in the
    notification). Whoever answers an unassigned consultation takes it."""
    body = _require_text(body)
    now = now or timezone.now()
    user = member.user
    with transaction.atomic():
        updated = (
            Consultation.objects.filter(pk=consultation.pk)
            .exclude(status=Consultation.Status.CLOSED)
            .update(last_message_at=now)
        )
        if not updated:
            raise ValidationError(_("This consultation is closed."), code="closed")
        if consultation.channel == Consultation.Channel.WRITTEN:
            Consultation.objects.filter(pk=consultation.pk).update(
                status=Consultation.Status.WAITING_FAMILY
            )
        Consultation.objects.filter(pk=consultation.pk, first_answered_at__isnull=True).update(
            first_answered_at=now
        )
        Consultation.objects.filter(pk=consultation.pk, assigned_to__isnull=True).update(
            assigned_to=user
        )
        message = Message.objects.create(
            consultation=consultation,
            author=user,
            from_staff=True,
            profession=member.profession or consultation.profession,
            body=body,
            created_at=now,
        )
        audit.log(
            user,
            "consultation.answer",
            consultation,
            subject_user=consultation.asked_by,
            request=request,
        )
        if consultation.channel == Consultation.Channel.WRITTEN:
            _family_notify(consultation, _("A professional has answered your consultation"))
    consultation.refresh_from_db()
    return message


def consultation_take(*, member: StaffMember, consultation: Consultation, request=None) -> bool:
    """Take an unassigned consultation; False if a colleague took it first."""
    with transaction.atomic():
        updated = Consultation.objects.filter(pk=consultation.pk, assigned_to__isnull=True).update(
            assigned_to=member.user
        )
        if updated:
            audit.log(member.user, "consultation.take", consultation, request=request)
    if updated:
        consultation.assigned_to = member.user
    return bool(updated)


def consultation_assign(
    *, member: StaffMember, consultation: Consultation, to_user: User, request=None
) -> None:
    """Give the consultation to a colleague of its profession."""
    target = selectors.staff_member_for(to_user)
    if target is None or target.profession != consultation.profession:
        raise ValidationError(
            {"to_user": _("Choose a professional of this consultation's profession.")}
        )
    with transaction.atomic():
        Consultation.objects.filter(pk=consultation.pk).update(assigned_to=to_user)
        audit.log(member.user, "consultation.assign", consultation, request=request, to=to_user.pk)
    consultation.assigned_to = to_user


def consultation_hand_over(
    *, member: StaffMember, consultation: Consultation, to_profession: str, note: str, request=None
) -> Handover:
    """Pass the consultation to another profession with a note; it joins that profession's
    unassigned queue."""
    note = _require_text(note, "note")
    if to_profession not in Profession.values or to_profession == consultation.profession:
        raise ValidationError({"to_profession": _("Choose another profession.")})
    now = timezone.now()
    with transaction.atomic():
        updated = (
            Consultation.objects.filter(pk=consultation.pk, profession=consultation.profession)
            .exclude(status=Consultation.Status.CLOSED)
            .update(profession=to_profession, assigned_to=None)
        )
        if not updated:
            raise ValidationError(
                _("This consultation was closed or handed over meanwhile."), code="stale"
            )
        handover = Handover.objects.create(
            consultation=consultation,
            from_profession=consultation.profession,
            to_profession=to_profession,
            by=member.user,
            note=note,
            created_at=now,
        )
        audit.log(
            member.user,
            "consultation.hand_over",
            consultation,
            request=request,
            **{"from": consultation.profession, "to": to_profession},
        )
    consultation.profession, consultation.assigned_to = to_profession, None
    return handover


def staff_note_add(
    *, member: StaffMember, consultation: Consultation, body: str, request=None
) -> StaffNote:
    body = _require_text(body)
    with transaction.atomic():
        note = StaffNote.objects.create(
            consultation=consultation, author=member.user, body=body, created_at=timezone.now()
        )
        audit.log(member.user, "consultation.note", consultation, request=request)
    return note


def consultation_set_outcome(
    *, member: StaffMember, consultation: Consultation, outcome: str, request=None
) -> None:
    if outcome not in Consultation.Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    with transaction.atomic():
        Consultation.objects.filter(pk=consultation.pk).update(outcome=outcome)
        audit.log(
            member.user, "consultation.outcome", consultation, request=request, outcome=outcome
        )
    consultation.outcome = outcome


# --- Booked sessions --------------------------------------------------------------------------
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
                words = _flag_words(body)
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
        from . import tasks

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


def session_message_staff(
    *, member: StaffMember, consultation: Consultation, body: str, request=None
) -> Message:
    """The professional writes in a session's chat (the same record as an answer)."""
    return consultation_answer(member=member, consultation=consultation, body=body, request=request)


def report_csv_record(*, member: StaffMember, month: date, request=None) -> None:
    """Downloading the monthly CSV is a staff action like any other: on record."""
    audit.log(member.user, "consultation.report_csv", request=request, month=f"{month:%Y-%m}")


# --- Defaults ----------------------------------------------------------------------------------
def defaults_ensure() -> None:
    """Create the default topics and emergency words that are missing (idempotent; rows the
    municipality changed are left as they are)."""
    from .defaults import TOPICS, WORDS
    from .models import EmergencyWord

    for order, (code, name, name_en, profession) in enumerate(TOPICS):
        Topic.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "profession": profession, "order": order},
        )
    for word, kind in WORDS:
        EmergencyWord.objects.get_or_create(word=word, defaults={"kind": kind})


# --- Retention --------------------------------------------------------------------------------
ANONYMISED_TEXT = "（保存期間を過ぎたため削除しました）"


def retention_apply(*, today: date | None = None) -> int:
    """Apply the retention rule: for children who reached the rule's age, delete the photos and
    the private notes, blank the messages and detach the family; the topic, profession, dates,
    flags and outcome stay for the reports. Returns how many were anonymised."""
    now = timezone.now()
    count = 0
    for consultation in selectors.retention_due(today=today):
        with transaction.atomic():
            Photo.objects.filter(message__consultation=consultation).delete()
            StaffNote.objects.filter(consultation=consultation).delete()
            Message.objects.filter(consultation=consultation).update(
                body=ANONYMISED_TEXT, author=None
            )
            Handover.objects.filter(consultation=consultation).update(note=ANONYMISED_TEXT)
            Consultation.objects.filter(pk=consultation.pk, anonymised_at__isnull=True).update(
                household=None,
                child=None,
                asked_by=None,
                flag_words=[],
                anonymised_at=now,
                status=Consultation.Status.CLOSED,
                closed_at=consultation.closed_at or now,
            )
            audit.log(None, "consultation.anonymise", consultation)
        count += 1
    return count
