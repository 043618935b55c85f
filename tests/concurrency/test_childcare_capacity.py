"""一時預かり: no overbooking, ever (issue 5, item 8), on PostgreSQL.

Many families request the last places of a day, and staff approve requests, all at the same
moment: each in its own thread with its own connection, released by a barrier. The "unlocked"
variant replaces kosodate.core.capacity.capacity_locked in the childcare services with a
transaction that does not lock the facility-day row, and asserts that the day then IS
overbooked: the race these tests look for is real, and the row lock is what prevents it.
(tests/concurrency/test_childcare_capacity_sqlite.py shows the same guarantee on SQLite.)
"""

import time
from contextlib import contextmanager
from datetime import time as clock

import pytest
from django.db import connection, transaction

from kosodate.childcare import services, services_facility
from kosodate.childcare.models import Booking, FacilityDay, Registration
from tests.childcare.support import FacilityFactory, bookable_day
from tests.factories import ChildFactory, HouseholdFactory, UserFactory

from .support import in_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: DATABASE_URL=postgres://… (make test runs it)")


@contextmanager
def _atomic_without_lock(*querysets, using=None):
    """capacity_locked() minus SELECT … FOR UPDATE: what the code would be without the lock."""
    with transaction.atomic():
        yield [list(qs.order_by("pk")) for qs in querysets]


def _without_lock(monkeypatch):
    """The booking request's own lock statements (childcare/selectors_lock.py) minus FOR UPDATE."""
    from kosodate.childcare import selectors_lock

    request_facts, day_lock = selectors_lock.request_facts, selectors_lock.day_lock
    monkeypatch.setattr(
        selectors_lock, "request_facts", lambda **kw: request_facts(**{**kw, "lock": False})
    )
    monkeypatch.setattr(selectors_lock, "day_lock", lambda **kw: day_lock(**kw, lock=False))


@pytest.fixture
def slow_recount(monkeypatch):
    """Counting the places held is slowed a little, so that parallel requests really overlap
    between counting and writing (on an idle machine they might otherwise run in turn)."""
    original = services._day_counts

    def recount(day_id):
        counts = original(day_id)
        time.sleep(0.03)
        return counts

    monkeypatch.setattr(services, "_day_counts", recount)
    # The booking request counts with its month's read, in one statement (selectors_lock.py).
    from kosodate.childcare import selectors_lock

    day_facts = selectors_lock.day_facts

    def facts_slowly(**kwargs):
        facts = day_facts(**kwargs)
        time.sleep(0.03)
        return facts

    monkeypatch.setattr(selectors_lock, "day_facts", facts_slowly)


@pytest.fixture(params=["locked", "unlocked"])
def lock_mode(request, monkeypatch, slow_recount):
    if request.param == "unlocked":
        monkeypatch.setattr(services, "capacity_locked", _atomic_without_lock)
        _without_lock(monkeypatch)
    return request.param


def families(facility, count: int) -> list[tuple]:
    """(guardian, child) pairs, each child about two years old and registered with facility."""
    pairs = []
    for n in range(count):
        household = HouseholdFactory()
        user = UserFactory(household=household, email=f"rush{n}@example.jp")
        child = ChildFactory(household=household)
        Registration.objects.create(
            facility=facility, child=child, household=household, status="active"
        )
        pairs.append((user, child))
    return pairs


def request_work(facility, day, user, child):
    def work():
        return services.booking_request(
            user=user,
            facility=facility,
            children=[child],
            day=day,
            start=clock(9),
            end=clock(15),
            reason="work",
            pickup_person="母",
        )

    return work


def holding(facility, day) -> int:
    return Booking.objects.filter(
        facility=facility, date=day, status__in=list(Booking.HOLDING)
    ).count()


def test_parallel_requests_never_overbook(lock_mode, municipality):
    facility = FacilityFactory(places_age1_2=3, auto_approve=True)
    day = bookable_day()
    pairs = families(facility, 20)
    _, errors = in_parallel([request_work(facility, day, u, c) for u, c in pairs])
    held = holding(facility, day)
    if lock_mode == "locked":
        assert not errors, errors
        assert held == 3
        assert Booking.objects.filter(status="confirmed").count() == 3
        assert Booking.objects.filter(status="waitlisted").count() == 17
        assert FacilityDay.objects.get(facility=facility, date=day).held_age1_2 == 3
    else:
        assert held > 3, "the race did not show without the lock"


def test_requests_and_approvals_at_the_last_places(lock_mode, municipality, facility_staff):
    """Four requests already hold places out of five; staff approve them while twelve more
    families ask for the last place."""
    facility = FacilityFactory(places_age1_2=5)
    services_facility.facility_staff_add(facility=facility, user=facility_staff)
    day = bookable_day()
    pairs = families(facility, 16)
    early = [request_work(facility, day, u, c)()[0] for u, c in pairs[:4]]
    assert {b.status for b in early} == {"pending"}
    works = [request_work(facility, day, u, c) for u, c in pairs[4:]]
    works += [
        (lambda booking=booking: services.booking_approve(booking=booking, actor=facility_staff))
        for booking in early
    ]
    _, errors = in_parallel(works)
    held = holding(facility, day)
    if lock_mode == "locked":
        assert not errors, errors
        assert held == 5
        assert Booking.objects.filter(status="confirmed").count() == 4
        assert Booking.objects.filter(status="pending").count() == 1
        assert Booking.objects.filter(status="waitlisted").count() == 11
    else:
        assert held > 5, "the race did not show without the lock"


def test_cancellations_offer_each_freed_place_once(municipality, slow_recount):
    """Two confirmed families cancel while eight more ask: each freed place is offered to exactly
    one family, in order, and the day never holds more than its two places."""
    facility = FacilityFactory(places_age1_2=2, auto_approve=True)
    day = bookable_day()
    pairs = families(facility, 14)
    confirmed = [request_work(facility, day, u, c)()[0] for u, c in pairs[:2]]
    waiting = [request_work(facility, day, u, c)()[0] for u, c in pairs[2:6]]
    assert {b.status for b in waiting} == {"waitlisted"}
    works = [
        (lambda b=b, u=u: services.booking_cancel(booking=b, user=u))
        for b, (u, _) in zip(confirmed, pairs[:2], strict=True)
    ]
    works += [request_work(facility, day, u, c) for u, c in pairs[6:]]
    _, errors = in_parallel(works)
    assert not errors, errors
    assert holding(facility, day) == 2
    offered = list(
        Booking.objects.filter(status="offered").order_by("created_at").values_list("pk", flat=True)
    )
    assert offered == [waiting[0].pk, waiting[1].pk]  # the first two in the queue, once each
    assert Booking.objects.filter(status="waitlisted").count() == 2 + 8
