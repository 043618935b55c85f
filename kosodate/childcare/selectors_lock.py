"""The booking request's reads around the day's lock, in as few statements as the lock allows
(issue 16, PERFORMANCE.md: at most 8 statements for the POST, at most 4 of them while the day is
locked; tests/performance/test_statement_budget.py).

Hand-written SQL on PostgreSQL, because the ORM can neither lock the rows of one table while it
reads rows of others in the same statement, nor put two reads of different shapes in one. The
contract's order (core/capacity.py: the children first, then the facility day) is kept by two
statements that each lock one group:

1. request_facts(lock=True): locks the children (FOR UPDATE OF the child rows) and reads what the
   quote needs: each child's open registration with the facility, the household's late
   cancellations and no-shows of the last year, the facility-day row if it exists.
2. day_lock(): locks the facility day and draws the new bookings' ids from their sequence, so that
   the bookings and their history rows are written in one statement (core.db.insert_together).
3. day_facts(): once both are locked (a statement's snapshot is taken when it starts, so it must
   come after the lock): the children's standing bookings that month and the day's bookings
   counted per band and status.

Elsewhere (SQLite has no row locks: settings open every transaction with BEGIN IMMEDIATE, so the
transaction holds the write lock from its first statement) the same facts come from the ORM's
separate queries."""

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from kosodate.accounts.models import Child
from kosodate.core.capacity import lock_waited

from .models import AgeBand, Booking, FacilityDay, Registration
from .selectors import child_month_usage

_DAY_FIELDS = [f.attname for f in FacilityDay._meta.concrete_fields]
_DAY_COLUMNS = ", ".join(f'd."{f.column}"' for f in FacilityDay._meta.concrete_fields)


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _placeholders(values: list) -> str:
    return ", ".join(["%s"] * len(values))


@dataclass
class RequestFacts:
    """What the quote reads from the database: the day row (None if it does not exist yet), the
    open registration of each child with the facility, and the household's penalties."""

    row: FacilityDay | None = None
    registrations: dict[int, Registration] = field(default_factory=dict)
    late_cancellations: int = 0
    no_shows: int = 0


def request_facts(
    *,
    household_id: int | None,
    facility_id: int,
    children: list[Child],
    day: date,
    now: datetime,
    lock: bool = False,
) -> RequestFacts:
    """The quote's reads in one statement (two or three elsewhere). lock=True locks the children's
    rows as well, in the transaction the caller has opened: the first group of the lock."""
    since = timezone.localdate(now) - timedelta(days=365)
    child_ids = sorted(c.pk for c in children)
    if not _postgresql() or not child_ids:
        return _request_facts_orm(household_id, facility_id, child_ids, day, since, lock)
    statuses = list(Registration.OPEN_STATUSES)
    # Only column names and %s placeholders are interpolated into the SQL (noqa: S608 below).
    sql = f"""
        SELECT c.id, r.id, r.status, p.late, p.no_show, {_DAY_COLUMNS}
        FROM accounts_child c
        LEFT JOIN childcare_registration r
          ON r.child_id = c.id AND r.facility_id = %s AND r.status IN ({_placeholders(statuses)})
        LEFT JOIN childcare_facilityday d ON d.facility_id = %s AND d.date = %s
        CROSS JOIN (
          SELECT COUNT(*) FILTER (WHERE b.status = %s AND b.cancelled_late) AS late,
                 COUNT(*) FILTER (WHERE b.status = %s) AS no_show
          FROM childcare_booking b WHERE b.household_id = %s AND b.date >= %s
        ) p
        WHERE c.id IN ({_placeholders(child_ids)})
        ORDER BY c.id
        {"FOR UPDATE OF c" if lock else ""}"""  # noqa: S608
    params = [
        facility_id,
        *statuses,
        facility_id,
        day,
        Booking.Status.CANCELLED,
        Booking.Status.NO_SHOW,
        household_id,
        since,
        *child_ids,
    ]
    facts = RequestFacts()
    with connection.cursor() as cursor, lock_waited("childcare.Child") if lock else nullcontext():
        cursor.execute(sql, params)
        for child_id, reg_id, reg_status, late, no_show, *day_values in cursor.fetchall():
            facts.late_cancellations, facts.no_shows = late, no_show
            if reg_id is not None:
                facts.registrations[child_id] = Registration(
                    id=reg_id, child_id=child_id, facility_id=facility_id, status=reg_status
                )
            if facts.row is None and day_values[0] is not None:
                facts.row = FacilityDay.from_db(connection.alias, _DAY_FIELDS, day_values)
    return facts


def _request_facts_orm(household_id, facility_id, child_ids, day, since, lock) -> RequestFacts:
    from django.db.models import Count, Q

    if lock:
        with lock_waited("childcare.Child"):
            list(Child.objects.filter(pk__in=child_ids).select_for_update().order_by("pk"))
    facts = RequestFacts(row=FacilityDay.objects.filter(facility_id=facility_id, date=day).first())
    facts.registrations = {
        r.child_id: r
        for r in Registration.objects.filter(
            facility_id=facility_id, child_id__in=child_ids, status__in=Registration.OPEN_STATUSES
        )
    }
    if household_id is not None:
        counts = Booking.objects.filter(household_id=household_id, date__gte=since).aggregate(
            late=Count("pk", filter=Q(status=Booking.Status.CANCELLED, cancelled_late=True)),
            no_show=Count("pk", filter=Q(status=Booking.Status.NO_SHOW)),
        )
        facts.late_cancellations, facts.no_shows = counts["late"], counts["no_show"]
    return facts


def day_lock(
    *, day_id: int, new_bookings: int, lock: bool = True
) -> tuple[FacilityDay, list[int] | None]:
    """Lock the facility day (the second group of the lock) and, on PostgreSQL, draw the ids of
    the `new_bookings` bookings about to be written (None elsewhere: they get theirs on insert).
    lock=False only for the tests that show the race the lock prevents."""
    if not _postgresql():
        with lock_waited("childcare.FacilityDay"):
            [row] = FacilityDay.objects.filter(pk=day_id).select_for_update()
        return row, None
    sql = f"""
        SELECT {_DAY_COLUMNS},
          (SELECT array_agg(nextval(pg_get_serial_sequence('childcare_booking', 'id')))
           FROM generate_series(1, %s))
        FROM childcare_facilityday d WHERE d.id = %s
        {"FOR UPDATE OF d" if lock else ""}"""  # noqa: S608
    with connection.cursor() as cursor, lock_waited("childcare.FacilityDay"):
        cursor.execute(sql, [new_bookings, day_id])
        *values, ids = cursor.fetchone()
    return FacilityDay.from_db(connection.alias, _DAY_FIELDS, values), list(ids or ())


@dataclass
class DayFacts:
    usage: dict[int, dict]  # per child: {"dates": set, "hours": float} that month
    held: dict[str, int]  # places held per band
    waiting: dict[str, int]  # waiting-list requests per band
    earliest_offer: datetime | None  # the first deadline of an open offer


def day_facts(*, day_id: int, child_ids: list[int], day: date) -> DayFacts:
    """Under the lock: the children's month (for the limits per child) and the day's counts (the
    places, recounted from the bookings), in one statement on PostgreSQL."""
    if not _postgresql():
        from .services import _day_counts

        return DayFacts(child_month_usage(child_ids=child_ids, day=day), *_day_counts(day_id))
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    active = list(Booking.ACTIVE)
    counted = [*Booking.HOLDING, Booking.Status.WAITLISTED]
    sql = f"""
        SELECT b.child_id, b.date, b.start_time, b.end_time, NULL, NULL, NULL, NULL
        FROM childcare_booking b
        WHERE b.child_id IN ({_placeholders(child_ids)}) AND b.date BETWEEN %s AND %s
          AND b.status IN ({_placeholders(active)})
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, b.age_band, b.status, COUNT(*), MIN(b.offer_expires_at)
        FROM childcare_booking b
        WHERE b.day_id = %s AND b.status IN ({_placeholders(counted)})
        GROUP BY b.age_band, b.status"""  # noqa: S608
    facts = DayFacts(
        usage={pk: {"dates": set(), "hours": 0.0} for pk in child_ids},
        held=dict.fromkeys(AgeBand.values, 0),
        waiting=dict.fromkeys(AgeBand.values, 0),
        earliest_offer=None,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*child_ids, first, last, *active, day_id, *counted])
        rows = cursor.fetchall()
    for child_id, on, start, end, band, status, n, earliest in rows:
        if child_id is not None:
            used = facts.usage[child_id]
            used["dates"].add(on)
            used["hours"] += (end.hour * 60 + end.minute - start.hour * 60 - start.minute) / 60
            continue
        if status == Booking.Status.WAITLISTED:
            facts.waiting[band] += n
        else:
            facts.held[band] += n
        if earliest is not None and (
            facts.earliest_offer is None or earliest < facts.earliest_offer
        ):
            facts.earliest_offer = earliest
    return facts
