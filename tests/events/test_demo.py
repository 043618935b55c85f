"""The demo events: one of each mode and state, made once however often the demo loads."""

import pytest

from kosodate.accounts.models import User
from kosodate.core.demo import demo_data_load
from kosodate.events import selectors
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
    assert {"confirmed", "waitlisted", "draw_pending", "cancelled", "offered"} <= statuses
    # 花子 can try each resident flow: an offer to confirm, and an open class to apply for.
    hanako = User.objects.get(email="hanako@example.jp")
    assert Application.objects.get(user=hanako, status="offered").offer_expires_at is not None
    open_to_her = [
        event
        for event in selectors.events_for_residents(free_only=True)
        if event.window_is_open()
        and not event.applications.filter(household_id=hanako.household_id).exists()
        and any(event.child_fits(child) for child in hanako.household.children.all())
    ]
    assert any(event.mode == Event.Mode.FIRST_COME for event in open_to_her)
