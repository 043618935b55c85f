"""What the family (and facility staff) are told about each change, in the reader's language.
Every change to a booking or registration goes through `family_notify` (in-app + email), so no
change is silent (issue 5, item 5)."""

from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from kosodate.core.services import notification_send
from kosodate.core.waitlist import HouseholdNote, household_notify


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _day(value) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _booking_facts(booking) -> dict:
    return {
        "facility": booking.facility.display_name,
        "child": booking.child.full_name,
        "date": _day(booking.date),
        "start": booking.start_time.strftime("%H:%M"),
        "end": booking.end_time.strftime("%H:%M"),
        "fee": formats.number_format(booking.fee_yen, force_grouping=True),
    }


def _booking_text(booking, event: str, extra: dict) -> tuple[str, str]:
    facts = {**_booking_facts(booking), **extra}
    what = _("%(child)s at %(facility)s on %(date)s, %(start)s–%(end)s") % facts
    facts["what"] = what
    texts = {
        "pending": (
            _("Booking request received: %(facility)s, %(date)s"),
            _(
                "We received your request for %(what)s. The facility will reply; your place is "
                "held meanwhile. Fee: %(fee)s yen."
            ),
        ),
        "confirmed": (
            _("Booking confirmed: %(facility)s, %(date)s"),
            _(
                "Your booking for %(what)s is confirmed. Fee: %(fee)s yen. You can cancel free "
                "of charge until %(deadline)s."
            ),
        ),
        "waitlisted": (
            _("On the waiting list: %(facility)s, %(date)s"),
            _(
                "The day is full, so your request for %(what)s is on the waiting list "
                "(number %(position)s). If a place frees up we offer it to you at once and tell "
                "you by email."
            ),
        ),
        "declined": (
            _("Booking declined: %(facility)s, %(date)s"),
            _("The facility declined your request for %(what)s. Reason: %(reason)s"),
        ),
        "offered": (
            _("A place is free for you: please confirm by %(deadline)s"),
            _(
                "A place has freed up for %(what)s. Confirm it on the booking page by "
                "%(deadline)s; after that it passes to the next family on the waiting list."
            ),
        ),
        "offer_expired": (
            _("The offered place passed to the next family: %(facility)s, %(date)s"),
            _(
                "The place offered for %(what)s was not confirmed by %(deadline)s, so it passed "
                "to the next family on the waiting list."
            ),
        ),
        "cancelled": (
            _("Booking cancelled: %(facility)s, %(date)s"),
            _("Your booking for %(what)s is cancelled."),
        ),
        "cancelled_late": (
            _("Booking cancelled: %(facility)s, %(date)s"),
            _(
                "Your booking for %(what)s is cancelled. It was cancelled after the free "
                "cancellation deadline and is recorded as a late cancellation."
            ),
        ),
        "cancelled_by_facility": (
            _("The facility cancelled your booking: %(facility)s, %(date)s"),
            _("The facility cancelled your booking for %(what)s. Reason: %(reason)s"),
        ),
        "waitlist_closed": (
            _("No place became free: %(facility)s, %(date)s"),
            _(
                "Your waiting-list request for %(what)s has ended: the booking deadline passed "
                "without a place freeing up."
            ),
        ),
        "attended": (
            _("Thank you for using %(facility)s"),
            _("The facility recorded %(what)s as attended."),
        ),
        "no_show": (
            _("Recorded as a no-show: %(facility)s, %(date)s"),
            _(
                "The facility recorded %(what)s as a no-show (not cancelled and not attended). "
                "If this is a mistake, please contact the facility."
            ),
        ),
        "reminder": (
            _("Reminder: temporary care tomorrow at %(facility)s"),
            _(
                "This is a reminder of your booking for %(what)s. Please bring: %(bring)s. "
                "If you cannot come, cancel on the booking page."
            ),
        ),
    }
    title, body = texts[event]
    return title % facts, body % facts


def family_notify(*, booking, event: str, **extra) -> None:
    """Tell every guardian of the booking's household about a change (in-app and email), each
    in their own language."""
    note = family_note(booking=booking, event=event, **extra)
    household_notify(household_id=note.household_id, kind=note.kind, url=note.url, text=note.text)


def family_note(*, booking, event: str, **extra) -> HouseholdNote:
    """What family_notify tells, for core.waitlist.households_notify_many (a batch)."""

    def text() -> tuple[str, str]:
        values = {key: _localize(value) for key, value in extra.items()}
        if event == "reminder":
            values["bring"] = booking.facility.localized("what_to_bring") or "-"
        return _booking_text(booking, event, values)

    return HouseholdNote(
        household_id=booking.household_id,
        kind=f"childcare.{event}",
        url=reverse("childcare:booking_detail", args=[booking.code]),
        text=text,
    )


def _localize(value):
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return _when(value)
    return str(value)


def _registration_text(registration, event: str) -> tuple[str, str]:
    facts = {
        "facility": registration.facility.display_name,
        "child": registration.child.full_name,
        "interview": _when(registration.interview_at) if registration.interview_at else "",
        "reason": registration.decline_reason,
    }
    texts = {
        "requested": (
            _("Registration requested: %(facility)s"),
            _(
                "We sent your request to register %(child)s with %(facility)s. The facility "
                "will contact you to arrange the next step."
            ),
        ),
        "interview_scheduled": (
            _("Interview arranged: %(facility)s"),
            _(
                "The interview for %(child)s at %(facility)s is on %(interview)s. Please bring "
                "your child and the maternal and child health handbook."
            ),
        ),
        "active": (
            _("Registration complete: %(facility)s"),
            _("%(child)s is now registered with %(facility)s. You can book temporary care."),
        ),
        "declined": (
            _("Registration declined: %(facility)s"),
            _("%(facility)s declined the registration of %(child)s. Reason: %(reason)s"),
        ),
    }
    title, body = texts[event]
    return title % facts, body % facts


def registration_notify(*, registration, event: str) -> None:
    household_notify(
        household_id=registration.household_id,
        kind=f"childcare.registration_{event}",
        url=reverse("childcare:registration_list"),
        text=lambda: _registration_text(registration, event),
    )


def staff_notify(*, facility, title, url: str) -> None:
    """An in-app note to the facility's staff (no email: they work from the queue). `title` is a
    lazy string with %(facility)s, translated into each reader's language."""
    for membership in facility.staff_members.select_related("user"):
        user = membership.user
        with translation.override(user.preferred_language or "ja"):
            notification_send(
                user=user,
                kind="childcare.staff",
                title=str(title) % {"facility": facility.display_name},
                body="",
                url=url,
                email=False,
            )
