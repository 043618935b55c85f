"""一時預かり: no overbooking on the embedded default, SQLite, too (issue 5, item 8).

The same rush as test_childcare_capacity.py, on a file database as a deployment has it (WAL,
transaction_mode IMMEDIATE, busy timeout: tests/concurrency/support.py). SQLite has no row locks:
there the guarantee comes from BEGIN IMMEDIATE, which makes capacity_locked()'s transaction take
the database's write lock at its start, so requests recount one after another, and nobody sees
"database is locked" (they wait up to the timeout instead). The "unlocked" variant runs the same
code without capacity_locked()'s transaction and lock, and the day is overbooked. Not marked
postgres: it runs on both databases (on PostgreSQL the row lock gives the same result).
"""

import time
from contextlib import contextmanager, nullcontext
from datetime import time as clock

import pytest

from kosodate.childcare import services
from kosodate.childcare.models import Booking, Registration
from tests.childcare.support import FacilityFactory, bookable_day
from tests.factories import ChildFactory, HouseholdFactory, UserFactory

from .support import in_parallel, in_thread, sqlite_file_database

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def _no_transaction_no_lock(*querysets, using=None):
    """capacity_locked() without its transaction and lock: every statement on its own."""
    yield [list(qs.order_by("pk")) for qs in querysets]


@pytest.fixture(params=["locked", "unlocked"])
def lock_mode(request, monkeypatch):
    original = services._day_counts

    def recount(day_id):
        counts = original(day_id)
        time.sleep(0.03)  # let parallel requests overlap between counting and writing
        return counts

    monkeypatch.setattr(services, "_day_counts", recount)
    if request.param == "unlocked":
        monkeypatch.setattr(services, "capacity_locked", _no_transaction_no_lock)
        monkeypatch.setattr(services, "capacity_locking", nullcontext)
    return request.param


def test_parallel_requests_never_overbook(lock_mode, municipality):
    facility = FacilityFactory(places_age1_2=3, auto_approve=True)
    day = bookable_day()
    pairs = []
    for n in range(10):
        household = HouseholdFactory()
        user = UserFactory(household=household, email=f"rush{n}@example.jp")
        child = ChildFactory(household=household)
        Registration.objects.create(
            facility=facility, child=child, household=household, status="active"
        )
        pairs.append((user, child))

    def request(user, child):
        return lambda: services.booking_request(
            user=user,
            facility=facility,
            children=[child],
            day=day,
            start=clock(9),
            end=clock(15),
            reason="work",
            pickup_person="母",
        )

    with sqlite_file_database():
        _, errors = in_parallel([request(u, c) for u, c in pairs])
        counts = in_thread(
            lambda: {
                status: Booking.objects.filter(status=status).count()
                for status in ("confirmed", "waitlisted")
            }
        )
    if lock_mode == "locked":
        assert not errors, errors  # no "database is locked" reaches anyone
        assert counts == {"confirmed": 3, "waitlisted": 7}
    else:
        assert counts["confirmed"] > 3, "the race did not show without the lock"
