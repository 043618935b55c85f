"""An activity as an iCalendar event (icalendar), for "add to my phone's calendar". The address
is never in it: the file outlives the match."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from .selectors import local_datetime


def activity_ics(activity, *, side: str, host: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Kosodate//Family support//JA")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"familysupport-{activity.pk}@{host.split(':')[0]}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", local_datetime(activity.date, activity.starts))
    event.add("dtend", local_datetime(activity.date, activity.ends))
    who = activity.supporter.display_name if side == "family" else activity.request.child.first_name
    event.add("summary", f"ファミサポ ({who})")
    event.add(
        "url",
        settings.SITE_URL.rstrip("/")
        + reverse("familysupport:activity_detail", args=[activity.pk]),
    )
    calendar.add_component(event)
    return calendar.to_ical()
