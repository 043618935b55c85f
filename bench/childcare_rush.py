"""一時預かり opening rush (issue 5, item 10): N signed-in households request the same facility day
with P places within a few seconds, against gunicorn + PostgreSQL (+ Redis for sessions and
cache), with a bare Django view measured on the same server in the same run; then the
availability page with 50 facilities × a year of bookings (query count and latency).

    .venv/bin/python bench/childcare_rush.py                        # 500 households, 10 places
    .venv/bin/python bench/childcare_rush.py --spread 3             # arrivals over 3 seconds
    .venv/bin/python bench/childcare_rush.py --skip-availability    # the rush only

Everything runs on 127.0.0.1: a database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/kosodate_childcare_bench, created and migrated if missing),
Redis DB 7 (BENCH_REDIS_URL). The HTTP client, the bare view (bench/events_urls.py, selected by
bench/events_settings.py) and the CPU accounting are shared with bench/events_rush.py. Every
household sends one real POST of the booking form (session cookie, CSRF token, its child, a
reason, the pickup person) and counts as answered when it is redirected to its booking's page —
confirmed (the facility confirms at once while places are free) or on the waiting list. The
database is then checked: exactly P confirmed, everyone else waitlisted, nobody twice. Results
and commands: docs/benchmarks.md."""

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.events_rush import (  # noqa: E402 (after the path is set)
    PYTHON,
    bench_env,
    cpu_snapshot,
    cpu_used,
    ensure_database,
    http,
    pct,
    run_bare,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/kosodate_childcare_bench"
FACILITY = "ベンチ保育園"
AVAILABILITY_PREFIX = "ベンチ施設"


# --- Inside Django (run as a subprocess with the bench settings) --------------------------------
def _municipality() -> None:
    from kosodate.core.models import Municipality

    Municipality.objects.get_or_create(
        pk=1,
        defaults={
            "name": "こもれび市",
            "code": "131016",
            "counter_name": "こども家庭課",
            "counter_address": "市役所2階",
            "counter_phone": "03-0000-1234",
            "counter_hours": "平日 8:30〜17:15",
        },
    )


def _households(count: int) -> list:
    """`count` residents (bench00000…), each with a household and a child of about 16 months."""
    from datetime import timedelta

    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from kosodate.accounts.models import Child, Household, User

    existing = User.objects.filter(username__startswith="bench").count()
    if existing < count:
        today = timezone.localdate()
        households = Household.objects.bulk_create(
            [
                Household(
                    postal_code="1000001", prefecture="東京都", city="こもれび市", street=f"{n}"
                )
                for n in range(existing, count)
            ]
        )
        users = []
        for n, household in zip(range(existing, count), households, strict=True):
            user = User(
                username=f"bench{n:05d}",
                email=f"bench{n:05d}@example.jp",
                last_name="山田",
                first_name=f"{n}",
                household=household,
            )
            user.set_unusable_password()
            users.append(user)
        users = User.objects.bulk_create(users)
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
        )
        Child.objects.bulk_create(
            [
                Child(
                    household=household,
                    last_name="山田",
                    first_name="さくら",
                    last_name_kana="ヤマダ",
                    first_name_kana="サクラ",
                    birth_date=today - timedelta(days=500),
                    sex=Child.Sex.FEMALE,
                )
                for household in households
            ]
        )
    return list(User.objects.filter(username__startswith="bench").order_by("username")[:count])


def prepare(households: int, places: int) -> dict:
    """Residents signed in (sessions in Redis), their children registered with a facility that
    confirms at once, and a bookable day with `places` places for their age."""
    from django.conf import settings
    from django.test import Client
    from django_tasks_db.models import DBTaskResult

    from kosodate.accounts.models import Child
    from kosodate.childcare import rules as R
    from kosodate.childcare.models import Booking, Facility, FacilityDay, Registration
    from kosodate.core.models import Notification, OutboundMessage

    _municipality()
    users = _households(households)
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
    DBTaskResult.objects.all().delete()  # no worker runs in the bench: drop queued deliveries
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
    clients = []
    for user in users:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        # The family has the page open before the rush, as a real one would: its session's
        # first request (the sessions-list row, the terms check) is not part of the rush.
        warm = client.get(f"/childcare/facilities/{facility.pk}/")
        assert warm.status_code == 200, warm.status_code
        clients.append(
            {
                "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "child": children[user.household_id],
            }
        )
    return {
        "facility": facility.pk,
        "day": day.isoformat(),
        "clients": clients,
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

    _municipality()
    users = _households(500)
    url = "/childcare/?band=age1_2&month=" + timezone.localdate().strftime("%Y-%m")

    def queries() -> int:
        client = Client(HTTP_ACCEPT_LANGUAGE="ja", HTTP_HOST="127.0.0.1")  # in ALLOWED_HOSTS
        client.get(url)  # caches filled
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

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


def in_django(argv: list[str]) -> None:
    import django

    django.setup()
    if argv[0] == "prepare":
        print(json.dumps(prepare(int(argv[1]), int(argv[2]))))
    elif argv[0] == "verify":
        print(json.dumps(verify(int(argv[1]))))
    elif argv[0] == "availability":
        print(json.dumps(prepare_availability(int(argv[1]), int(argv[2]))))


# --- The load -----------------------------------------------------------------------------------
async def run_rush(port: int, setup: dict, concurrency: int, spread: float) -> dict:
    semaphore = asyncio.Semaphore(concurrency)
    latencies, errors, statuses = [], [], {}
    path = f"/childcare/facilities/{setup['facility']}/book/send/"

    async def one(client, delay):
        if delay:
            await asyncio.sleep(delay)
        token = secrets.token_hex(16)  # an unmasked 32-character CSRF secret, also the cookie
        body = (
            f"csrfmiddlewaretoken={token}&date={setup['day']}&start=09%3A00&end=15%3A00"
            f"&children={client['child']}&reason=work&pickup_person=%E6%AF%8D&notes="
        ).encode()
        headers = [
            f"Cookie: {setup['cookie']}={client['session']}; csrftoken={token}",
            "Content-Type: application/x-www-form-urlencoded",
        ]
        async with semaphore:
            try:
                status, location, elapsed = await http(
                    port, "POST", path, headers=headers, body=body
                )
            except OSError as exc:
                errors.append(repr(exc))
                return
        statuses[status] = statuses.get(status, 0) + 1
        if status == 302 and "/childcare/bookings/" in location:
            latencies.append(elapsed)
        else:
            errors.append(f"{status} {location}")

    clients = list(setup["clients"])
    random.shuffle(clients)
    delays = [random.uniform(0, spread) if spread else 0 for _ in clients]
    started = time.perf_counter()
    await asyncio.gather(*(one(c, d) for c, d in zip(clients, delays, strict=True)))
    wall = time.perf_counter() - started
    return {
        "households": len(clients),
        "wall_s": wall,
        "rps": len(clients) / wall,
        "errors": len(errors),
        "error_samples": errors[:5],
        "statuses": statuses,
        **pct(latencies),
    }


async def run_get(port: int, path: str, count: int, concurrency: int) -> dict:
    semaphore = asyncio.Semaphore(concurrency)
    latencies, errors = [], 0

    async def one():
        nonlocal errors
        async with semaphore:
            status, _, elapsed = await http(port, "GET", path)
        if status == 200:
            latencies.append(elapsed)
        else:
            errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    wall = time.perf_counter() - started
    return {"requests": count, "rps": count / wall, "errors": errors, **pct(latencies)}


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
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    env = bench_env(database_url, redis_url)
    ensure_database(database_url)
    subprocess.run([PYTHON, "manage.py", "migrate", "--verbosity=0"], cwd=ROOT, env=env, check=True)
    here = [PYTHON, __file__, "--in-django"]

    def django(*argv) -> dict:
        out = subprocess.run(
            [*here, *map(str, argv)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if out.returncode:
            sys.stderr.write(out.stderr)
            raise SystemExit(f"bench step {argv[0]!r} failed (its error output is above)")
        return json.loads(out.stdout)

    setup = django("prepare", args.households, args.places)
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            f"--bind=127.0.0.1:{args.port}",
            f"--workers={args.workers}",
            "--backlog=4096",
            "--timeout=120",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    availability = None
    try:
        deadline = time.time() + 30
        while True:
            try:
                status, _, _ = asyncio.run(http(args.port, "GET", "/bench/bare/"))
                if status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.2)
        database = database_url.rsplit("/", 1)[1]
        asyncio.run(run_bare(args.port, 200, 20))  # warm every worker first
        before = cpu_snapshot(server.pid, database)
        bare = asyncio.run(run_bare(args.port, args.bare_requests, min(args.concurrency, 200)))
        middle = cpu_snapshot(server.pid, database)
        rush = asyncio.run(run_rush(args.port, setup, args.concurrency, args.spread))
        time.sleep(0.5)
        after = cpu_snapshot(server.pid, database)
        checked = django("verify", setup["facility"])
        if not args.skip_availability:
            data = django("availability", args.facilities, args.per_day)
            asyncio.run(run_get(args.port, data["url"], 20, 4))  # warm
            page = asyncio.run(run_get(args.port, data["url"], args.availability_requests, 4))
            availability = {**data, "page": page}
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        "households": args.households,
        "places": args.places,
        "workers": args.workers,
        "spread_s": args.spread,
        "rush": rush,
        "bare": bare,
        "cpu_ms_per_bare_request": cpu_used(before, middle) / args.bare_requests * 1000,
        "cpu_ms_per_booking": cpu_used(middle, after) / args.households * 1000,
        "throughput_ratio_to_bare": rush["rps"] / bare["rps"],
        "database": checked,
        "availability": availability,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"rush: {args.households} households, {args.places} places, spread {args.spread}s")
    print(
        f"  answered in {rush['wall_s']:.2f} s, {rush['rps']:.0f} requests/s, "
        f"errors {rush['errors']} {rush['error_samples']}"
    )
    print(
        f"  latency p50 {rush.get('p50_ms', 0):.0f} ms, p95 {rush.get('p95_ms', 0):.0f} ms, "
        f"p99 {rush.get('p99_ms', 0):.0f} ms, max {rush.get('max_ms', 0):.0f} ms"
    )
    print(
        f"  CPU per booking request (gunicorn + PostgreSQL): {result['cpu_ms_per_booking']:.1f} ms"
    )
    print(
        f"bare view: {bare['rps']:.0f} requests/s, p50 {bare.get('p50_ms', 0):.0f} ms, "
        f"CPU {result['cpu_ms_per_bare_request']:.2f} ms/request, errors {bare['errors']}"
    )
    print(f"ratio (booking requests/s ÷ bare requests/s): {result['throughput_ratio_to_bare']:.3f}")
    print(f"database: {checked}")
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
        in_django(sys.argv[2:])
    else:
        main()
