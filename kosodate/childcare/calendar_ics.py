"""A booking as an iCalendar (RFC 5545) event, for "add to my phone's calendar"."""

from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _utc(day, at) -> str:
    local = timezone.make_aware(datetime.combine(day, at))
    return local.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    # Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1).
    encoded, parts = line.encode(), []
    while len(encoded) > 75:
        cut = 75 if not parts else 74
        while cut and (encoded[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        parts.append(encoded[:cut].decode())
        encoded = encoded[cut:]
    parts.append(encoded.decode())
    return "\r\n ".join(parts)


def booking_ics(booking, request) -> str:
    url = settings.SITE_URL.rstrip("/") + reverse("childcare:booking_detail", args=[booking.code])
    facility = booking.facility
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Kosodate//Temporary childcare//JA",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:childcare-{booking.code}@{request.get_host().split(':')[0]}",
        f"DTSTAMP:{timezone.now().astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
        f"DTSTART:{_utc(booking.date, booking.start_time)}",
        f"DTEND:{_utc(booking.date, booking.end_time)}",
        f"SUMMARY:{_escape(f'{facility.display_name} ({booking.child.full_name})')}",
        f"LOCATION:{_escape(facility.display_address)}",
        f"DESCRIPTION:{_escape(f'{booking.get_status_display()} {booking.code}')}",
        f"URL:{url}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
