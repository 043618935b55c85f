"""The demo events: one of each mode and state, made once however often the demo loads."""

import pytest

from kosodate.core.demo import demo_data_load
from kosodate.events.models import Application, Event

pytestmark = pytest.mark.django_db


def test_demo_events_cover_each_state_and_load_once():
    demo_data_load()
    counts = (Event.objects.count(), Application.objects.count())
    demo_data_load()
    assert (Event.objects.count(), Application.objects.count()) == counts
    assert Event.objects.filter(mode=Event.Mode.LOTTERY, drawn_at__isnull=False).count() == 1
    assert Event.objects.filter(cancelled_at__isnull=False).count() == 1
    statuses = set(Application.objects.values_list("status", flat=True))
    assert {"confirmed", "waitlisted", "draw_pending", "cancelled"} <= statuses
