"""The availability calendar's month cache (issue 16 item 5, kosodate/childcare/availability_cache.py):
a cached month is served without reading the facility days, and every kind of change that decides
a cell is visible on the very next read — a booking, a closure and its reopening, a day's and a
facility's capacity, a facility's rules, the municipality's rules. Never a stale 空きあり."""

from datetime import time

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kosodate.childcare import rules as R
from kosodate.childcare import selectors, services, services_facility
from kosodate.childcare.models import AgeBand, ChildcareRules

from .support import FacilityFactory, bookable_day, family, registered

pytestmark = pytest.mark.django_db

FREE = (R.AVAILABLE, R.FEW)  # 空きあり, 残りわずか


@pytest.fixture
def day():
    return bookable_day()


@pytest.fixture
def one_place(municipality):
    return FacilityFactory(places_age1_2=1, auto_approve=True)


def _cell(facility, day):
    first, last = selectors.month_bounds(day.replace(day=1))
    grid = selectors.availability(
        facilities=[facility], band=AgeBand.AGE1_2, first=first, last=last
    )
    return grid[day][0]


def _cached(facility, day):
    """Read twice; the second read is the cache's (no facility-day query)."""
    _cell(facility, day)
    with CaptureQueriesContext(connection) as queries:
        cell = _cell(facility, day)
    assert not [q for q in queries if "childcare_facilityday" in q["sql"]]
    return cell


def test_a_month_is_served_from_the_cache_until_something_changes(one_place, day):
    assert _cached(one_place, day).status in FREE


def test_a_booking_that_takes_the_last_place_is_visible_at_once(one_place, day, resident):
    [kid] = family(resident)
    registered(kid, one_place)
    assert _cached(one_place, day).status in FREE
    services.booking_request(
        user=resident,
        facility=one_place,
        children=[kid],
        day=day,
        start=time(9),
        end=time(12),
        reason="work",
        pickup_person="母",
    )
    assert _cell(one_place, day).status == R.FULL
    # And the freed place too.
    [booking] = one_place.bookings.all()
    services.booking_cancel(booking=booking, user=resident)
    assert _cell(one_place, day).status != R.FULL


def test_a_closure_and_its_reopening_are_visible_at_once(one_place, day, facility_staff):
    assert _cached(one_place, day).status in FREE
    services_facility.facility_day_close(
        facility=one_place, day=day, reason="設備点検", actor=facility_staff
    )
    assert _cell(one_place, day).status == R.CLOSED
    services_facility.facility_day_reopen(facility=one_place, day=day, actor=facility_staff)
    assert _cell(one_place, day).status in FREE


def test_a_days_capacity_is_visible_at_once(one_place, day, facility_staff):
    assert _cached(one_place, day).status in FREE
    services_facility.facility_day_capacity_set(
        facility=one_place, day=day, actor=facility_staff, places_age1_2=0
    )
    assert _cell(one_place, day).status == R.NOT_TAKEN  # no places for that age that day


def test_a_facilitys_capacity_is_visible_at_once(one_place, day, facility_staff):
    assert _cached(one_place, day).status in FREE
    services_facility.facility_capacity_update(
        facility=one_place, actor=facility_staff, places_age1_2=0
    )
    assert _cell(one_place, day).status == R.NOT_TAKEN


def test_a_facilitys_rules_are_visible_at_once(one_place, day, facility_staff):
    assert _cached(one_place, day).window == "open"
    services_facility.facility_rules_update(
        facility=one_place, actor=facility_staff, booking_opens_days_ahead=1
    )
    assert _cell(one_place, day).window == "not_open"


def test_the_municipalitys_rules_are_visible_at_once(one_place, day, admin_user, rf):
    assert _cached(one_place, day).window == "open"
    rules = ChildcareRules.objects.filter(pk=ChildcareRules.SINGLETON_ID).first() or ChildcareRules(
        pk=ChildcareRules.SINGLETON_ID
    )
    rules.booking_opens_days_ahead = 1
    request = rf.post("/admin/")
    request.user = admin_user
    site._registry[ChildcareRules].save_model(request, rules, form=None, change=True)
    assert _cell(one_place, day).window == "not_open"


def test_the_page_shows_full_right_after_the_last_place_is_taken(
    client, one_place, day, resident, other_resident
):
    [kid] = family(resident)
    registered(kid, one_place)
    url = (
        reverse("childcare:availability")
        + f"?band=age1_2&month={day:%Y-%m}&facility={one_place.pk}"
    )
    client.get(url)
    services.booking_request(
        user=resident,
        facility=one_place,
        children=[kid],
        day=day,
        start=time(9),
        end=time(12),
        reason="work",
        pickup_person="母",
    )
    grid = client.get(url).context["weeks"]
    [cell] = [c for week in grid for c in week if c and c["day"] == day]
    assert cell["status"] == R.FULL


# --- The calendar's days, cached beside the grid (selectors_calendar.py) ------------------------
def _days(facilities, day):
    from kosodate.childcare import selectors_calendar

    first, last = selectors.month_bounds(day.replace(day=1))
    return selectors_calendar.availability_days(
        facilities=facilities, band=AgeBand.AGE1_2, first=first, last=last
    )


def _days_cached(facilities, day, monkeypatch):
    """Read twice; the second read rebuilds no cell (the grid is not even read)."""
    _days(facilities, day)
    with monkeypatch.context() as patched:
        patched.setattr(selectors, "availability", lambda **kw: pytest.fail("grid rebuilt"))
        return _days(facilities, day)[day]


def test_the_calendar_days_follow_a_booking_and_its_cancellation_at_once(
    one_place, day, resident, monkeypatch
):
    other = FacilityFactory(places_age1_2=1, auto_approve=True)
    [kid] = family(resident)
    registered(kid, one_place)
    status, free, _reason = _days_cached([one_place], day, monkeypatch)
    assert status in FREE and free == 1
    status, count, _reason = _days_cached([one_place, other], day, monkeypatch)
    assert status in FREE and count == 2
    services.booking_request(
        user=resident,
        facility=one_place,
        children=[kid],
        day=day,
        start=time(9),
        end=time(12),
        reason="work",
        pickup_person="母",
    )
    assert _days([one_place], day)[day][0] == R.FULL
    status, count, _reason = _days([one_place, other], day)[day]
    assert status in FREE and count == 1
    [booking] = one_place.bookings.all()
    services.booking_cancel(booking=booking, user=resident)
    assert _days([one_place], day)[day][0] in FREE
    assert _days([one_place, other], day)[day][1] == 2


def test_the_calendar_days_follow_a_closure_at_once(one_place, day, facility_staff, monkeypatch):
    assert _days_cached([one_place], day, monkeypatch)[0] in FREE
    services_facility.facility_day_close(
        facility=one_place, day=day, reason="設備点検", actor=facility_staff
    )
    status, _free, reason = _days([one_place], day)[day]
    assert (status, reason) == (R.CLOSED, "設備点検")
