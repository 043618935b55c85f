"""Core's one waitlist-and-offer policy (kosodate/core/waitlist.py, docs/waitlist.md): the offer
deadline as data, and compare-and-swap status changes that keep their history."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kosodate.core.waitlist import OfferPolicy

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_an_offer_lasts_its_hours_when_the_start_is_far():
    policy = OfferPolicy(hours=48)
    assert policy.deadline(now=NOW, starts_at=NOW + timedelta(days=7)) == NOW + timedelta(hours=48)


def test_an_offer_ends_at_the_start_at_the_latest():
    policy = OfferPolicy(hours=48)
    start = NOW + timedelta(hours=5)
    assert policy.deadline(now=NOW, starts_at=start) == start
    assert policy.deadline(now=NOW, starts_at=NOW) is None  # the start has come: no offer
    assert policy.deadline(now=NOW, starts_at=NOW - timedelta(minutes=1)) is None


def test_an_offer_ends_before_the_start_and_is_not_made_when_too_short():
    """The events' data: ends 3 hours before the start, and no offer under 1 hour."""
    policy = OfferPolicy(hours=48, ends_before_start=timedelta(hours=3), minimum=timedelta(hours=1))
    start = NOW + timedelta(hours=10)
    assert policy.deadline(now=NOW, starts_at=start) == start - timedelta(hours=3)
    assert policy.deadline(now=NOW, starts_at=NOW + timedelta(hours=4)) == NOW + timedelta(hours=1)
    assert policy.deadline(now=NOW, starts_at=NOW + timedelta(hours=3, minutes=59)) is None


@pytest.mark.django_db
def test_a_status_change_is_compare_and_swap_and_recorded_once(make_family_application):
    from kosodate.events.services import APPLICATIONS

    application = make_family_application()
    now = timezone.now()
    kwargs = {"from_statuses": ["confirmed"], "to": "cancelled", "now": now}
    assert APPLICATIONS.change(application, **kwargs, cancelled_at=now)
    assert application.status == "cancelled" and application.cancelled_at == now
    assert not APPLICATIONS.change(application, **kwargs)  # already changed: nothing written
    assert [h.status for h in application.history.all()] == ["confirmed", "cancelled"]


@pytest.fixture
def make_family_application(municipality):
    from kosodate.events import services
    from tests.events.factories import EventFactory
    from tests.factories import HouseholdFactory, UserFactory

    def make():
        event = EventFactory(capacity=2, min_age_months=None, max_age_months=None)
        user = UserFactory(household=HouseholdFactory())
        return services.application_create(event=event, user=user, children=[], adults=1)

    return make
