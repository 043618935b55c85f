"""The statement budget of the rushes (issue 16, PERFORMANCE.md): how many SQL statements a
signed-in request sends from the request to the redirect, and how many while the capacity row
lock is held — counts, so these are real tests, not timings.

Counted on PostgreSQL with the production settings (sessions and the short-lived caches in
Redis, warm, as they are during a rush: each household opened the page before the opening).
"Statements" are what the database is asked to do; the transaction's BEGIN and COMMIT are
counted apart. "In the lock" is every statement after the first SELECT … FOR UPDATE up to the
COMMIT that releases it: adding one there makes these tests fail.

Where the statements go is listed in docs/benchmarks.md ("Statement budget")."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kosodate.core.idempotency import key_new
from kosodate.core.selectors import maintenance_active, municipality_get
from tests.events.factories import EventFactory
from tests.factories import ChildFactory, HouseholdFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def is_transaction_control(sql: str) -> bool:
    return sql.strip().upper().startswith(TRANSACTION_CONTROL)


class Budget:
    """The statements of one captured request: all of them, and those in the lock."""

    def __init__(self, captured: list[dict]):
        self.all = [q["sql"] for q in captured]
        self.statements = [sql for sql in self.all if not is_transaction_control(sql)]
        locks = [i for i, sql in enumerate(self.all) if " FOR UPDATE" in sql.upper()]
        self.in_lock: list[str] = []
        if locks:
            end = next(i for i in range(locks[0], len(self.all)) if self.all[i].upper() == "COMMIT")
            self.in_lock = [
                sql for sql in self.all[locks[0] + 1 : end] if not is_transaction_control(sql)
            ]

    def explain(self) -> str:
        return "\n".join(f"{i:2} {sql[:160]}" for i, sql in enumerate(self.all))


def _warm_process_caches() -> None:
    # What every request of a running site finds cached (Redis): the municipality's profile and
    # the maintenance windows.
    municipality_get()
    maintenance_active()


@pytest.fixture
def signed_in_family(client, municipality):
    household = HouseholdFactory()
    user = UserFactory(household=household, email="rush@example.jp")
    child = ChildFactory(household=household, birth_date=timezone.localdate() - timedelta(days=620))
    client.force_login(user)
    return user, child


# PERFORMANCE.md's ceiling is 8 statements, 4 in the lock; what the POSTs take now (the telling
# task's row written with the others, core.task_rows) is pinned, so that any statement more
# fails (docs/benchmarks.md says where they go).
EVENT_STATEMENTS = 7
EVENT_IN_LOCK = 3


def _apply(client, event, child) -> tuple:
    client.get(reverse("events:detail", args=[event.pk]))  # the page, open before the opening
    _warm_process_caches()
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            reverse("events:apply", args=[event.pk]),
            # As the form sends it: with its idempotency key (core/idempotency.py).
            {"adults": "1", "children": [child.pk], "idempotency_key": key_new()},
        )
    assert response.status_code == 302, response.content[:2000]
    return Budget(captured.captured_queries)


def test_an_event_application_takes_at_most_7_statements_3_of_them_in_the_lock(
    client, signed_in_family
):
    _user, child = signed_in_family
    event = EventFactory(capacity=20)
    budget = _apply(client, event, child)
    assert len(budget.statements) <= EVENT_STATEMENTS, budget.explain()
    assert len(budget.in_lock) <= EVENT_IN_LOCK, budget.explain()
    # The task that tells the family is written by the lock's last statement, with the rest.
    assert "django_tasks_database_dbtaskresult" in budget.in_lock[-1], budget.explain()
    # The one lock, taken once.
    assert sum(" FOR UPDATE" in sql for sql in budget.statements) == 1, budget.explain()


def test_the_budget_holds_on_a_full_event_with_a_long_waitlist(client, signed_in_family):
    """Waitlisted instead of confirmed, after 30 others: the same statements, whatever the
    length of the queue."""
    from kosodate.events.models import Application

    _user, child = signed_in_family
    event = EventFactory(capacity=1)
    for number in range(30):
        other = HouseholdFactory()
        Application.objects.create(
            event=event,
            household=other,
            user=UserFactory(household=other),
            adults=1,
            people=1,
            status=Application.Status.CONFIRMED if number == 0 else Application.Status.WAITLISTED,
            waitlist_number=None if number == 0 else number,
        )
    budget = _apply(client, event, child)
    assert Application.objects.get(household=signed_in_family[0].household).status == (
        Application.Status.WAITLISTED
    )
    assert len(budget.statements) <= EVENT_STATEMENTS, budget.explain()
    assert len(budget.in_lock) <= EVENT_IN_LOCK, budget.explain()


def test_a_statement_added_inside_the_lock_breaks_the_budget(client, signed_in_family, monkeypatch):
    """The budget test itself: one more statement under the event's lock is caught."""
    from kosodate.events import selectors

    counts = selectors.event_counts

    def one_more(**kwargs):
        from kosodate.events.models import Application

        Application.objects.filter(event=kwargs["event"]).exists()
        return counts(**kwargs)

    monkeypatch.setattr(selectors, "event_counts", one_more)
    _user, child = signed_in_family
    budget = _apply(client, EventFactory(capacity=20), child)
    assert len(budget.in_lock) == EVENT_IN_LOCK + 1, budget.explain()


# --- 一時預かり --------------------------------------------------------------------------------
@pytest.fixture
def childcare_request(client, municipality, resident):
    """A signed-in resident with a child registered at a facility that confirms at once (as in
    bench/childcare_rush.py), the day's row already there (the rush's first request made it)."""
    from kosodate.childcare.models import FacilityDay
    from tests.childcare.support import FacilityFactory, bookable_day, family, registered

    facility = FacilityFactory(auto_approve=True)
    [kid] = family(resident)
    registered(kid, facility)
    day = bookable_day()
    FacilityDay.objects.create(facility=facility, date=day)
    client.force_login(resident)
    client.get(reverse("childcare:facility_detail", args=[facility.pk]))
    return facility, kid, day


def _book(client, facility, kid, day) -> Budget:
    from tests.childcare.support import booking_data

    _warm_process_caches()
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            reverse("childcare:booking_send", args=[facility.pk]),
            {**booking_data(day, children=[kid]), "idempotency_key": key_new()},
        )
    assert response.status_code == 302, response.content[:2000]
    return Budget(captured.captured_queries)


# As for events, what the POST takes now, under PERFORMANCE.md's 8 and 4 (docs/benchmarks.md says
# where the statements go): the children locked with the quote's reads, then the day; any
# statement more fails.
BOOKING_STATEMENTS = 7
BOOKING_IN_LOCK = 3


def test_a_childcare_booking_stays_within_its_statements(client, childcare_request):
    budget = _book(client, *childcare_request)
    assert len(budget.statements) <= BOOKING_STATEMENTS, budget.explain()
    assert len(budget.in_lock) <= BOOKING_IN_LOCK, budget.explain()
    # Two locks, the children's first, then the day's (core/capacity.py's order).
    locks = [sql for sql in budget.statements if " FOR UPDATE" in sql.upper()]
    assert [("accounts_child" in sql.split("FROM")[1]) for sql in locks] == [True, False], locks
    assert "django_tasks_database_dbtaskresult" in budget.in_lock[-1], budget.explain()


def test_a_statement_added_inside_the_childcare_lock_breaks_the_budget(
    client, childcare_request, monkeypatch
):
    """The budget test itself: one more statement under the day's lock is caught."""
    from kosodate.childcare import selectors_lock
    from kosodate.childcare.models import Booking

    facts = selectors_lock.day_facts

    def one_more(**kwargs):
        Booking.objects.filter(day_id=kwargs["day_id"]).exists()
        return facts(**kwargs)

    monkeypatch.setattr(selectors_lock, "day_facts", one_more)
    budget = _book(client, *childcare_request)
    assert len(budget.in_lock) == BOOKING_IN_LOCK + 1, budget.explain()


def test_a_waitlisted_childcare_booking_takes_no_more(client, childcare_request):
    from kosodate.childcare.models import Booking

    facility, kid, day = childcare_request
    facility.places_age1_2 = 0
    facility.save()
    budget = _book(client, facility, kid, day)
    assert Booking.objects.get().status == Booking.Status.WAITLISTED
    assert len(budget.statements) <= BOOKING_STATEMENTS, budget.explain()
    assert len(budget.in_lock) <= BOOKING_IN_LOCK, budget.explain()


# --- The availability page ------------------------------------------------------------------
def test_the_availability_page_takes_at_most_2_statements_whatever_the_data(client, municipality):
    """50 facilities' worth of rows is not needed to show the shape: the count must not move
    when bookings and days are added, and the month cache (childcare/availability_cache.py)
    leaves one statement (the facilities, for the filter) when nothing changed."""
    from kosodate.childcare.models import FacilityDay
    from tests.childcare.support import FacilityFactory, bookable_day

    day = bookable_day()
    facilities = [FacilityFactory() for _ in range(3)]
    url = reverse("childcare:availability") + f"?band=age1_2&month={day:%Y-%m}"
    client.get(url)
    _warm_process_caches()

    def statements() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(Budget(captured.captured_queries).statements)

    assert statements() <= 1  # cached
    FacilityDay.objects.bulk_create(
        FacilityDay(facility=f, date=day.replace(day=d), held_age1_2=1)
        for f in facilities
        for d in range(1, 28)
    )
    from kosodate.childcare.availability_cache import availability_changed

    availability_changed()
    assert statements() <= 2  # computed
    assert statements() <= 1  # cached again
