"""一時預かり opening rush (issue 5, item 10): N signed-in households request the same facility day
with P places within a few seconds, against gunicorn + PostgreSQL (+ Redis for sessions and
cache), with a bare Django view measured on the same server in the same run; then the
availability page with 50 facilities × a year of bookings (query count and latency).

    .venv/bin/python bench/childcare_rush.py                        # 500 households, 10 places
    .venv/bin/python bench/childcare_rush.py --spread 3             # arrivals over 3 seconds
    .venv/bin/python bench/childcare_rush.py --skip-availability    # the rush only

Everything runs on 127.0.0.1: a database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/kosodate_childcare_bench, created and migrated if missing),
Redis DB 7 (BENCH_REDIS_URL). The HTTP client, the server, the bare view (bench/urls.py) and the
CPU accounting are bench/harness.py, shared with bench/events_rush.py. Every
household sends one real POST of the booking form (session cookie, CSRF token, its child, a
reason, the pickup person) and counts as answered when it is redirected to its booking's page —
confirmed (the facility confirms at once while places are free) or on the waiting list. The
worker (manage.py db_worker --batch) then tells every family, by email over SMTP to a local sink
(bench/harness.py run_worker), and its CPU with the database's meanwhile is added to the CPU per
booking. The database is then checked: exactly P confirmed, everyone else waitlisted, nobody
twice, a notification and a sent email per booking. Results
and commands: docs/benchmarks.md."""

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/kosodate_childcare_bench"
FACILITY = "ベンチ保育園"
AVAILABILITY_PREFIX = "ベンチ施設"


# --- Inside Django (run as a subprocess with the bench settings) --------------------------------
def prepare(households: int, places: int) -> dict:
    """Residents signed in (sessions in Redis), their children registered with a facility that
    confirms at once, and a bookable day with `places` places for their age."""
    from django.conf import settings
    from django_tasks_db.models import DBTaskResult

    from kosodate.accounts.models import Child
    from kosodate.childcare import rules as R
    from kosodate.childcare.models import Booking, Facility, FacilityDay, Registration
    from kosodate.core.models import Notification, OutboundMessage

    harness.municipality()
    users = harness.households(households)
    facility, _ = Facility.objects.get_or_create(
        name=FACILITY,
        defaults={
            "address": "東京都こもれび市本町1-1",
            "auto_approve": True,
            "requires_interview": False,
        },
    )
    Facility.objects.filter(pk=facility.pk).update(
        places_age1_2=places, auto_approve=True, is_active=True
    )
    Booking.objects.filter(facility=facility).delete()
    FacilityDay.objects.filter(facility=facility).delete()
    # A previous run's availability data books these children every day (once a day each).
    Booking.objects.filter(facility__name__startswith=AVAILABILITY_PREFIX).delete()
    FacilityDay.objects.filter(facility__name__startswith=AVAILABILITY_PREFIX).delete()
    Notification.objects.filter(kind__startswith="childcare.").delete()
    OutboundMessage.objects.filter(kind__startswith="childcare.").delete()
    DBTaskResult.objects.all().delete()  # this database is the benchmark's own
    children = dict(Child.objects.values_list("household_id", "pk"))
    registered = set(
        Registration.objects.filter(facility=facility).values_list("child_id", flat=True)
    )
    Registration.objects.bulk_create(
        [
            Registration(
                facility=facility,
                child_id=children[u.household_id],
                household_id=u.household_id,
                status="active",
            )
            for u in users
            if children[u.household_id] not in registered
        ]
    )
    day = _bookable_day(R, facility)
    return {
        "facility": facility.pk,
        "day": day.isoformat(),
        "clients": harness.signed_in(users, page=f"/childcare/facilities/{facility.pk}/"),
        "cookie": settings.SESSION_COOKIE_NAME,
    }


def _bookable_day(R, facility):
    from datetime import timedelta

    from django.utils import timezone

    rules = R.rules_for(facility)
    day = timezone.localdate() + timedelta(days=rules.cutoff_days_before + 1)
    while R.closed_reason(rules, day):
        day += timedelta(days=1)
    return day


def verify(facility_id: int) -> dict:
    from django.db.models import Count

    from kosodate.childcare.models import Booking, FacilityDay
    from kosodate.core.models import Notification, OutboundMessage

    rows = Booking.objects.filter(facility_id=facility_id)
    per_child = rows.values("child_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    day = FacilityDay.objects.filter(facility_id=facility_id).first()
    return {
        "bookings": rows.count(),
        "confirmed": rows.filter(status="confirmed").count(),
        "waitlisted": rows.filter(status="waitlisted").count(),
        "other": rows.exclude(status__in=["confirmed", "waitlisted"]).count(),
        "children_booked_twice": per_child,
        "held_copy_on_the_day_row": day.held_age1_2 if day else None,
        # Told by the worker: one notification and one email per booking (one guardian each).
        "notifications": Notification.objects.filter(kind__startswith="childcare.").count(),
        "emails": dict(
            OutboundMessage.objects.filter(kind__startswith="childcare.")
            .values_list("status")
            .annotate(n=Count("pk"))
        ),
    }


def prepare_availability(facilities: int, per_day: int) -> dict:
    """`facilities` facilities with a year of bookings (`per_day` children a day each, spread
    over the residents' children), bulk-inserted; and the query count of the availability page
    for a month, before and after."""
    from datetime import time as clock
    from datetime import timedelta

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kosodate.accounts.models import Child
    from kosodate.childcare import rules as R
    from kosodate.childcare.models import Booking, BookingEvent, Facility, FacilityDay

    harness.municipality()
    users = harness.households(500)
    url = "/childcare/?band=age1_2&month=" + timezone.localdate().strftime("%Y-%m")

    def queries() -> dict:
        """The page's queries computed (the month cache emptied by a version change, as a
        booking does) and then served from the month cache."""
        from kosodate.childcare.availability_cache import availability_changed

        client = Client(HTTP_ACCEPT_LANGUAGE="ja", HTTP_HOST="127.0.0.1")  # in ALLOWED_HOSTS
        client.get(url)  # caches filled (municipality, rules)
        availability_changed()
        counts = {}
        for what in ("computed", "cached"):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts[what] = len(captured)
        return counts

    Booking.objects.filter(facility__name__startswith=AVAILABILITY_PREFIX).delete()
    FacilityDay.objects.filter(facility__name__startswith=AVAILABILITY_PREFIX).delete()
    Facility.objects.filter(name__startswith=AVAILABILITY_PREFIX).delete()
    # The rush's bookings (already verified) would collide with these: a child books once a day.
    Booking.objects.filter(facility__name=FACILITY).delete()
    Facility.objects.filter(name=FACILITY).update(is_active=False)
    made = Facility.objects.bulk_create(
        [
            Facility(
                name=f"{AVAILABILITY_PREFIX}{n:02d}",
                area=["北部", "南部", "中央"][n % 3],
                address="東京都こもれび市本町1-1",
                places_age0=3,
                places_age1_2=per_day,
                places_age3=3,
                places_age4_5=3,
            )
            for n in range(facilities)
        ]
    )
    empty_queries = queries()
    children = list(
        Child.objects.filter(household__guardians__in=users).values_list("pk", "household_id")
    )
    guardian = {u.household_id: u.pk for u in users}
    start = timezone.localdate() - timedelta(days=180)
    bookings = 0
    for facility_index, facility in enumerate(made):
        rules = R.rules_for(facility)
        days, rows = [], []
        for offset in range(365):
            day = start + timedelta(days=offset)
            if not R.closed_reason(rules, day):
                days.append(FacilityDay(facility=facility, date=day, held_age1_2=per_day))
        days = FacilityDay.objects.bulk_create(days, batch_size=2000)
        for day_index, row in enumerate(days):
            for k in range(per_day):
                # A child books at most once a day: facility f takes children f·per_day … on
                # every day (50 × 8 = 400 different children a day, out of 500).
                pk, household = children[(facility_index * per_day + k) % len(children)]
                rows.append(
                    Booking(
                        facility=facility,
                        day=row,
                        date=row.date,
                        start_time=clock(9),
                        end_time=clock(15),
                        child_id=pk,
                        household_id=household,
                        requested_by_id=guardian[household],
                        request_group=f"bench-{facility_index}-{day_index}",
                        age_band="age1_2",
                        reason="work",
                        pickup_person="母",
                        fee_yen=3000,
                        status="attended" if row.date < timezone.localdate() else "confirmed",
                    )
                )
        Booking.objects.bulk_create(rows, batch_size=5000)
        bookings += len(rows)
    events = BookingEvent.objects.count()
    return {
        "facilities": facilities,
        "bookings": bookings,
        "facility_days": FacilityDay.objects.filter(facility__in=made).count(),
        "queries_without_bookings": empty_queries,
        "queries_with_a_year_of_bookings": queries(),
        "history_rows": events,
        "url": url,
    }


STEPS = {"prepare": prepare, "verify": verify, "availability": prepare_availability}


# --- The run ------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--places", type=int, default=10)
    parser.add_argument("--workers", type=int, default=5, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=500, help="requests in flight")
    parser.add_argument("--spread", type=float, default=0.0, help="seconds to spread arrivals")
    parser.add_argument("--bare-requests", type=int, default=1000)
    parser.add_argument("--facilities", type=int, default=50)
    parser.add_argument("--per-day", type=int, default=8, help="bookings per facility and day")
    parser.add_argument("--availability-requests", type=int, default=200)
    parser.add_argument("--skip-availability", action="store_true")
    parser.add_argument("--port", type=int, default=8772)
    parser.add_argument("--json", action="store_true", help="print the result as JSON only")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="run the web workers under cProfile; write DIR/web.prof and print the top frames "
        "(the timings of a profiled run are not the benchmark's)",
    )
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    env = harness.bench_env(database_url, redis_url)
    harness.ensure_database(database_url)
    harness.migrate(env)
    setup = harness.django_step(__file__, env, "prepare", args.households, args.places)

    def rush() -> dict:
        return asyncio.run(
            harness.run_posts(
                args.port,
                clients=setup["clients"],
                cookie=setup["cookie"],
                path=f"/childcare/facilities/{setup['facility']}/book/send/",
                form=lambda client: (
                    f"date={setup['day']}&start=09%3A00&end=15%3A00&children={client['child']}"
                    "&reason=work&pickup_person=%E6%AF%8D&notes="
                ),
                answered="/childcare/bookings/",
                concurrency=args.concurrency,
                spread=args.spread,
            )
        )

    availability = None
    with harness.serving(env, port=args.port, workers=args.workers, profile=args.profile) as server:
        measured = harness.measure(
            server,
            database_url=database_url,
            port=args.port,
            bare_requests=args.bare_requests,
            concurrency=args.concurrency,
            rush=rush,
        )
        # The worker tells every family (notifications and emails), before the availability
        # data below replaces the rush's bookings.
        worker = harness.run_worker(env, database_url, profile=args.profile)
        checked = harness.django_step(__file__, env, "verify", setup["facility"])
        if not args.skip_availability:
            data = harness.django_step(__file__, env, "availability", args.facilities, args.per_day)
            asyncio.run(harness.run_get(args.port, data["url"], 20, 4))  # warm
            page = asyncio.run(
                harness.run_get(args.port, data["url"], args.availability_requests, 4)
            )
            availability = {**data, "page": page}
    rush_result, bare = measured["rush"], measured["bare"]
    result = {
        "households": args.households,
        "places": args.places,
        "workers": args.workers,
        "spread_s": args.spread,
        "rush": rush_result,
        "bare": bare,
        "cpu_ms_per_bare_request": measured["bare_cpu_s"] / args.bare_requests * 1000,
        "cpu_ms_per_booking_web_db": measured["rush_cpu_s"] / args.households * 1000,
        "cpu_ms_per_booking": (measured["rush_cpu_s"] + worker["cpu_s"]) / args.households * 1000,
        "worker": worker,
        "throughput_ratio_to_bare": rush_result["rps"] / bare["rps"],
        "database": checked,
        "availability": availability,
    }
    if args.profile:
        result["profile"] = harness.profile_report(args.profile)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    if args.profile:
        print("\n".join(result["profile"]))
    harness.print_rush(result, what="booking requests")
    print(
        f"CPU per booking request: {result['cpu_ms_per_booking']:.1f} ms (gunicorn + PostgreSQL "
        f"{result['cpu_ms_per_booking_web_db']:.1f} ms, then the worker telling the families in "
        f"{worker['wall_s']:.1f} s)"
    )
    harness.print_worker(worker)
    if availability:
        page = availability["page"]
        print(
            f"availability: {availability['facilities']} facilities, {availability['bookings']} "
            f"bookings; queries {availability['queries_without_bookings']} without bookings, "
            f"{availability['queries_with_a_year_of_bookings']} with them; "
            f"p50 {page.get('p50_ms', 0):.0f} ms, p95 {page.get('p95_ms', 0):.0f} ms, "
            f"{page['rps']:.0f} requests/s (4 at a time), errors {page['errors']}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--in-django":
        harness.in_django(STEPS, sys.argv[2:])
    else:
        main()
