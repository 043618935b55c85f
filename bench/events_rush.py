"""Popular class rush (issue 6, item 8): N signed-in households apply for a first-come class with
P places, against gunicorn + PostgreSQL (+ Redis for sessions and cache), with a bare Django view
measured on the same server in the same run.

    .venv/bin/python bench/events_rush.py                    # 1,000 households, 20 places, at once
    .venv/bin/python bench/events_rush.py --spread 60        # the same rush spread over one minute
    .venv/bin/python bench/events_rush.py --households 200   # smaller

Everything runs on 127.0.0.1: a database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/kosodate_events_bench, created and migrated if missing), Redis
DB 8 (BENCH_REDIS_URL). The load generator, the server and the CPU accounting are bench/harness.py,
shared with bench/childcare_rush.py (a small asyncio HTTP/1.1 client, no dependency): every household sends one real POST of the application form (session cookie, CSRF token, one
child, one adult) and counts as answered when the server redirects it to its application's page.
Afterwards the database is checked: exactly P confirmed, everyone else waitlisted with a unique
number. CPU per application is the CPU time of gunicorn's processes and of the PostgreSQL backends
serving this database, before and after the rush, divided by N; then the worker (manage.py
db_worker --batch) delivers what the rush queued (an email to every household, to a dummy email
local SMTP sink in this process (bench/harness.py SmtpSink: building, sending and recording each
message counts, the SMTP server's work does not) and its CPU, with the database's meanwhile, is
added as "worker", and printed per email with and without the worker's start. Results and commands: docs/benchmarks.md."""

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/kosodate_events_bench"


# --- Inside Django (run as a subprocess with the bench settings) --------------------------------
def prepare(households: int, places: int) -> dict:
    """Households with one child each, signed in (sessions in Redis), and a fresh event."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from kosodate.core.models import Notification, OutboundMessage
    from kosodate.events import services_staff
    from kosodate.events.models import Application, Event

    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another task backend: nothing queued by earlier runs to clear
        DBTaskResult = None

    harness.municipality()
    Application.objects.all().delete()
    Event.objects.all().delete()
    Notification.objects.filter(kind__startswith="events.").delete()
    OutboundMessage.objects.filter(kind__startswith="events.").delete()
    if DBTaskResult is not None:
        DBTaskResult.objects.all().delete()  # this database is the benchmark's own
    users = harness.households(households)
    now = timezone.now()
    event = services_staff.event_create(
        actor=None,
        title="人気の親子講座",
        description="ベンチマーク用の講座です。",
        category=Event.Category.CLASS,
        place="こもれび子育て支援センター",
        starts_at=now + timedelta(days=10),
        ends_at=now + timedelta(days=10, hours=1),
        min_age_months=0,
        max_age_months=36,
        capacity=places,
        applications_open_at=now - timedelta(minutes=1),
        applications_close_at=now + timedelta(days=9),
    )
    return {
        "event": event.pk,
        "clients": harness.signed_in(users, page=f"/events/{event.pk}/"),
        "cookie": settings.SESSION_COOKIE_NAME,
    }


def verify(event_id: int) -> dict:
    from django.db.models import Count

    from kosodate.core.models import OutboundMessage
    from kosodate.events.models import Application

    rows = Application.objects.filter(event_id=event_id)
    numbers = list(
        rows.filter(status="waitlisted")
        .order_by("waitlist_number")
        .values_list("waitlist_number", flat=True)
    )
    return {
        "applications": rows.count(),
        "confirmed": rows.filter(status="confirmed").count(),
        "waitlisted": len(numbers),
        "waitlist_numbers_unique_and_gapless": numbers == list(range(1, len(numbers) + 1)),
        "other": rows.exclude(status__in=["confirmed", "waitlisted"]).count(),
        "emails": dict(
            OutboundMessage.objects.filter(kind__startswith="events.")
            .values_list("status")
            .annotate(n=Count("pk"))
        ),
    }


STEPS = {"prepare": prepare, "verify": verify}


# --- The run ------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=1000)
    parser.add_argument("--places", type=int, default=20)
    parser.add_argument("--workers", type=int, default=5, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=1000, help="requests in flight")
    parser.add_argument("--spread", type=float, default=0.0, help="seconds to spread arrivals")
    parser.add_argument("--bare-requests", type=int, default=2000)
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--json", action="store_true", help="print the result as JSON only")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="run the web workers under cProfile; write DIR/web.prof and print the top frames "
        "(the timings of a profiled run are not the benchmark's)",
    )
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
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
                path=f"/events/{setup['event']}/apply/",
                form=lambda client: f"adults=1&children={client['child']}",
                answered="/events/mine/",
                concurrency=args.concurrency,
                spread=args.spread,
            )
        )

    with harness.serving(env, port=args.port, workers=args.workers, profile=args.profile) as server:
        measured = harness.measure(
            server,
            database_url=database_url,
            port=args.port,
            bare_requests=args.bare_requests,
            concurrency=args.concurrency,
            rush=rush,
        )
    worker = harness.run_worker(env, database_url, profile=args.profile)
    checked = harness.django_step(__file__, env, "verify", setup["event"])
    rush_result, bare = measured["rush"], measured["bare"]
    result = {
        "households": args.households,
        "places": args.places,
        "workers": args.workers,
        "spread_s": args.spread,
        "rush": rush_result,
        "bare": bare,
        "cpu_ms_per_bare_request": measured["bare_cpu_s"] / args.bare_requests * 1000,
        "cpu_ms_per_application_web_db": measured["rush_cpu_s"] / args.households * 1000,
        "cpu_ms_per_application_db": measured["rush_db_cpu_s"] / args.households * 1000,
        "cpu_ms_per_application": (measured["rush_cpu_s"] + worker["cpu_s"])
        / args.households
        * 1000,
        "worker": worker,
        "throughput_ratio_to_bare": rush_result["rps"] / bare["rps"],
        "database": checked,
    }
    if args.profile:
        result["profile"] = harness.profile_report(args.profile)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    if args.profile:
        print("\n".join(result["profile"]))
    harness.print_rush(result, what="applications")
    if database_url.startswith("sqlite"):
        # SQLite runs inside the web processes: their CPU is the database's too.
        web_db = f"gunicorn with SQLite in it {result['cpu_ms_per_application_web_db']:.1f} ms"
    else:
        web_db = (
            f"gunicorn + PostgreSQL {result['cpu_ms_per_application_web_db']:.1f} ms, of which "
            f"PostgreSQL {result['cpu_ms_per_application_db']:.1f} ms"
        )
    print(
        f"CPU per application: {result['cpu_ms_per_application']:.1f} ms ({web_db}; then the "
        f"worker delivering the emails in {worker['wall_s']:.1f} s)"
    )
    harness.print_worker(worker)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--in-django":
        harness.in_django(STEPS, sys.argv[2:])
    else:
        main()
