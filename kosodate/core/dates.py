"""Dates typed into URLs and filters: the one range the system accepts, and strict parsing.

Python's dates run from year 1 to 9999, so "the month before 0001-01" or "the month after
9999-12" is an OverflowError, and a query on year 9999 is a database error on some backends.
Every date or month that comes from a URL or a filter is parsed here and refused (None) when it is
malformed or outside EARLIEST–LATEST; the view then shows a message or falls back, never a 500
(issue 10.8). Calendars, rosters, reports and log filters have no business outside these years.
Birth dates are form fields with their own rules (core.text, with form_date_validate below).
"""

import re
from datetime import date

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


def out_of_range_message() -> str:
    """What a page says when it was asked for a month or day outside the range."""
    return gettext("Only %(first)s to %(last)s can be shown: this month is shown instead.") % {
        "first": EARLIEST.year,
        "last": LATEST.year,
    }


_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def date_in_range(value: date) -> bool:
    return EARLIEST <= value <= LATEST


def day_parse(value: str | None) -> date | None:
    """A YYYY-MM-DD day within the range, or None."""
    match = _DAY.fullmatch((value or "").strip())
    if not match:
        return None
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
    return day if date_in_range(day) else None


def month_parse(value: str | None) -> date | None:
    """The first day of a YYYY-MM month within the range, or None."""
    match = _MONTH.fullmatch((value or "").strip())
    if not match:
        return None
    try:
        first = date(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None
    return first if date_in_range(first) else None


# A date typed into a form (a birth date, a dose, a closure, a session) may lie further back than
# a calendar, but never in year 1 or 9999, where the arithmetic after it overflows. 1800, not 1900:
# a guardian's mistyped 1890 should meet the registration form's own "check the year of birth".
FORM_EARLIEST = date(1800, 1, 1)


def form_date_validate(value: date) -> None:
    """The validator of every date form field: refuse years the system cannot count with."""
    from django.core.exceptions import ValidationError

    if not FORM_EARLIEST <= value <= LATEST:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s.")
            % {"first": FORM_EARLIEST.year, "last": LATEST.year},
            code="date_out_of_range",
        )
