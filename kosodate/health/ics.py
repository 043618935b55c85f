"""A child's schedule as an iCalendar file (RFC 5545), written by hand: all-day events only, so
no time zones are needed. Each vaccine's next dose is one event over its recommended window plus
one on the last free day; each checkup is an event on its session date (or over its window)."""

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from .schedule import Status


def _escape(text: str) -> str:
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets are folded (RFC 5545 3.1), never inside a UTF-8 character."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > (75 if not out else 74):
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return [out[0]] + [" " + part for part in out[1:]]


def _event(uid: str, host: str, start: date, end: date, summary: str, description: str = ""):
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}@{host}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
        # DTEND of an all-day event is exclusive.
        f"DTEND;VALUE=DATE:{end + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{_escape(summary)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{_escape(description)}")
    lines.append("END:VEVENT")
    return lines


def schedule_ics(*, child, lines, checkups, host: str) -> str:
    host = host.split(":")[0] or "kosodate"
    out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//kosodate//health//JA", "CALSCALE:GREGORIAN"]
    name = child.first_name
    for line in lines:
        state = line.state
        if state.status in (Status.COMPLETE, Status.NOT_ELIGIBLE, Status.NOT_ROUTINE, Status.CHECK):
            continue
        vaccine = line.vaccine.localized_name
        label = line.rule.localized_label if line.rule else ""
        start = state.rec_from or state.earliest
        until = state.rec_until or state.last_date or start
        if start and until:
            out += _event(
                f"child{child.pk}-{line.vaccine.code}-{state.next_dose_number}-window",
                host,
                start,
                max(start, until),
                f"{name}: {vaccine} {label}",
                _("Recommended period") + f": {start:%Y-%m-%d} – {until:%Y-%m-%d}",
            )
        if state.last_date:
            out += _event(
                f"child{child.pk}-{line.vaccine.code}-{state.next_dose_number}-last",
                host,
                state.last_date,
                state.last_date,
                _("%(name)s: last free day for %(vaccine)s")
                % {"name": name, "vaccine": f"{vaccine} {label}"},
            )
    for checkup_line in checkups:
        session = checkup_line.next_session
        start = session.held_on if session else checkup_line.window_from
        end = session.held_on if session else checkup_line.window_until
        out += _event(
            f"child{child.pk}-checkup-{checkup_line.checkup.code}",
            host,
            start,
            end,
            f"{name}: {checkup_line.checkup.localized_name}",
            checkup_line.checkup.localized_place,
        )
    out.append("END:VCALENDAR")
    folded = [part for line in out for part in _fold(line)]
    return "\r\n".join(folded) + "\r\n"
