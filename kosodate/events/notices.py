"""What families are told about their applications: every guardian of the household, each in
their own language, in-app and by email after commit (core.waitlist.household_notify)."""

from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kosodate.core import waitlist

from .models import Application


def format_time(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


STATE_MESSAGES = {
    Application.Status.CONFIRMED: (
        "events.confirmed",
        _("Confirmed: %(title)s"),
        _("Your place at %(title)s on %(date)s (%(place)s) is confirmed."),
    ),
    Application.Status.DRAW_PENDING: (
        "events.draw_pending",
        _("Application received (lottery): %(title)s"),
        _(
            "We have your application for %(title)s on %(date)s. Places are drawn by lottery "
            "after applications close on %(close)s; we will tell you the result."
        ),
    ),
    Application.Status.WAITLISTED: (
        "events.waitlisted",
        _("On the waitlist: %(title)s"),
        _(
            "%(title)s on %(date)s is full. You are number %(position)s on the waitlist; if a "
            "place frees, we will offer it to you."
        ),
    ),
    Application.Status.OFFERED: (
        "events.offered",
        _("A place is free for you: %(title)s"),
        _(
            "A place at %(title)s on %(date)s is free for you. Please confirm by %(deadline)s; "
            "otherwise it passes to the next family."
        ),
    ),
}


def application_state_notify(application: Application, *, position: int | None = None) -> None:
    kind, title, body = STATE_MESSAGES[application.status]
    application_notify(application, kind, title, body, position=position)


def applications_state_notify(told: list[tuple[Application, int | None]]) -> int:
    """application_state_notify for many applications at once (with their waitlist positions,
    None to count them): one query for the guardians, one INSERT for the notifications, one for
    the emails (core.waitlist.households_notify_many). Returns how many guardians were told."""
    return waitlist.households_notify_many(
        [
            _application_note(application, *STATE_MESSAGES[application.status], position=position)
            for application, position in told
        ]
    )


def application_notify(application: Application, kind: str, title, body, **extra: Any) -> None:
    """Tell every guardian of the applying household (core.waitlist.household_notify), each in
    their own language."""
    note = _application_note(application, kind, title, body, **extra)
    waitlist.household_notify(
        household_id=note.household_id, kind=note.kind, url=note.url, text=note.text
    )


def _application_note(
    application: Application, kind: str, title, body, **extra: Any
) -> waitlist.HouseholdNote:
    event = application.event
    position = extra.pop("position", None) or ""
    if application.status == Application.Status.WAITLISTED and not position:
        position = Application.objects.filter(
            event_id=application.event_id,
            status=Application.Status.WAITLISTED,
            waitlist_number__lte=application.waitlist_number,
        ).count()

    def text() -> tuple[str, str]:
        params = {
            "title": event.localized_title,
            "date": format_time(event.starts_at),
            "place": event.localized_place,
            "bring": event.localized_bring or gettext("nothing in particular"),
            "close": format_time(event.applications_close_at),
            "deadline": format_time(application.offer_expires_at)
            if application.offer_expires_at
            else "",
            "position": position,
            **extra,
        }
        return str(title) % params, str(body) % params

    return waitlist.HouseholdNote(
        household_id=application.household_id,
        kind=kind,
        url=reverse("events:application_detail", args=[application.pk]),
        text=text,
    )
