"""ファミサポ matching (issue 14, item 17): a centre of S supporters and F families on PostgreSQL.

1. The advisor's candidates query (selectors.candidates_ranked: fitting supporters ranked by
   district, past activities with the family and this month's load) for R requests of random
   families: queries per call (must not grow with the data) and latency p50/p95.
2. The broadcast of one request to every fitting supporter (services.matching.request_create):
   offers and notifications queued per second; then the outbox delivered by the worker's own
   function (core.services.message_deliver, Django's dummy email backend: the database work of a
   delivery, not an SMTP server's) per second.

    .venv/bin/python bench/familysupport_matching.py                      # 400 supporters, 2,000 families
    .venv/bin/python bench/familysupport_matching.py --supporters 40 --families 200

A database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/kosodate_familysupport_bench, created and migrated if missing;
its ファミサポ rows are replaced on each run). Settings and helpers come from
bench/harness.py. Results and commands: docs/benchmarks.md."""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import PYTHON, bench_env, ensure_database, migrate, municipality  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/kosodate_familysupport_bench"
DISTRICTS = 20  # a 5 × 4 grid of school districts


def pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def _reset_and_build(supporters: int, families: int, seed: int) -> dict:
    """Replace the bench's ファミサポ rows: districts, S approved supporters (weekday hours, most
    skills), F confirmed families with a child each, and a month of past activities so the
    ranking's counts have rows to count."""
    from datetime import time as clock
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from kosodate.accounts.models import Child, Household, User
    from kosodate.core.models import Notification, OutboundMessage
    from kosodate.familysupport.models import (
        Activity,
        Availability,
        CentreRules,
        District,
        Meeting,
        Member,
        Offer,
        SupporterProfile,
        SupportRequest,
    )

    rng = random.Random(seed)
    today = timezone.localdate()
    password = make_password(None)
    with transaction.atomic():
        municipality()
        for model in (
            Activity,
            Offer,
            Meeting,
            SupportRequest,
            Availability,
            SupporterProfile,
            Member,
            Notification,
            OutboundMessage,
        ):
            model.objects.all().delete()
        User.objects.filter(username__startswith="fsbench").delete()
        Household.objects.filter(street__startswith="fsbench").delete()
        CentreRules.objects.update_or_create(pk=1, defaults={"matching_mode": "broadcast"})
        districts = [
            District.objects.get_or_create(
                name=f"ベンチ学区{n:02d}", defaults={"grid_x": n % 5, "grid_y": n // 5}
            )[0]
            for n in range(DISTRICTS)
        ]
        total = supporters + families
        households = Household.objects.bulk_create(
            Household(
                postal_code="1000001", prefecture="東京都", city="こもれび市", street=f"fsbench-{n}"
            )
            for n in range(total)
        )
        users = User.objects.bulk_create(
            User(
                username=f"fsbench{n:05d}",
                email=f"fsbench{n:05d}@example.jp",
                last_name="ベンチ",
                first_name=str(n),
                password=password,
                household=households[n],
            )
            for n in range(total)
        )
        Child.objects.bulk_create(
            Child(
                household=households[n],
                last_name="ベンチ",
                first_name="こ",
                last_name_kana="ベンチ",
                first_name_kana="コ",
                sex="female",
                birth_date=today - timedelta(days=rng.randint(365, 9 * 365)),
            )
            for n in range(supporters, total)
        )
        members = Member.objects.bulk_create(
            Member(
                user=users[n],
                kind="support" if n < supporters else "request",
                district=districts[rng.randrange(DISTRICTS)],
                status="active",
                card_number=f"B{n:06d}",
                valid_until=today + timedelta(days=365),
            )
            for n in range(total)
        )
        profiles = SupporterProfile.objects.bulk_create(
            SupporterProfile(
                member=members[n],
                display_name=f"支援{n}",
                status="approved",
                certificate_date=today,
                certificate_expires=today + timedelta(days=900),
                can_pickup=True,
                can_home_care=rng.random() < 0.8,
                can_sick_recovery=rng.random() < 0.2,
                can_siblings=rng.random() < 0.5,
                can_early_late=rng.random() < 0.3,
            )
            for n in range(supporters)
        )
        Availability.objects.bulk_create(
            Availability(
                profile=p,
                weekday=w,
                starts=clock(rng.choice([7, 8, 9])),
                ends=clock(rng.choice([18, 19, 20])),
            )
            for p in profiles
            for w in range(5)
            if rng.random() < 0.8
        )
        family_members = members[supporters:]
        children = {c.household_id: c for c in Child.objects.filter(household__in=households)}
        # A month of history: each supporter has had a few activities with random families.
        requests, activity_rows = [], []
        for profile in profiles:
            for k in range(rng.randint(0, 6)):
                family = rng.choice(family_members)
                requests.append(
                    SupportRequest(
                        family=family,
                        child=children[family.user.household_id],
                        kind="pickup",
                        first_date=today - timedelta(days=k + 1),
                        starts=clock(15),
                        ends=clock(17),
                        place="保育園",
                        mode="broadcast",
                        status="matched",
                        supporter=profile,
                    )
                )
        requests = SupportRequest.objects.bulk_create(requests)
        for request in requests:
            activity_rows.append(
                Activity(
                    request=request,
                    supporter=request.supporter,
                    date=request.first_date,
                    starts=request.starts,
                    ends=request.ends,
                    status="settled",
                    fee=1400,
                )
            )
        Activity.objects.bulk_create(activity_rows)
    # Statistics for the planner, as autovacuum gathers them on a live database after bulk
    # changes: planned blind (every table "1 row"), the fitting query nests loops over the
    # weekly hours and measures a state no running centre is in.
    from django.db import connection

    with connection.cursor() as cursor:
        for model in (Activity, Availability, District, Member, SupporterProfile, SupportRequest):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    return {"supporters": supporters, "families": families, "past_activities": len(activity_rows)}


def _candidates(rounds: int, seed: int) -> dict:
    from datetime import time as clock
    from datetime import timedelta

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kosodate.familysupport import selectors
    from kosodate.familysupport.models import Member, SupportRequest

    rng = random.Random(seed)
    families = list(Member.objects.filter(kind="request").select_related("district", "user"))
    day = timezone.localdate() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    timings, queries, found = [], set(), []
    for _ in range(rounds):
        family = rng.choice(families)
        request = SupportRequest(
            family=family,
            kind=rng.choice(["pickup", "after_school"]),
            first_date=day,
            starts=clock(15),
            ends=clock(17),
            siblings=0,
            weekdays=[],
        )
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            ranked = selectors.candidates_ranked(request=request)
            timings.append((time.perf_counter() - started) * 1000)
        queries.add(len(captured))
        found.append(len(ranked))
    return {
        "rounds": rounds,
        "queries_per_call": sorted(queries),
        "p50_ms": round(pct(timings, 50), 1),
        "p95_ms": round(pct(timings, 95), 1),
        "max_ms": round(max(timings), 1),
        "candidates_mean": round(sum(found) / len(found), 1),
    }


def _broadcast() -> dict:
    """One request in the busiest district, broadcast to every fitting supporter."""
    from datetime import time as clock
    from datetime import timedelta

    from django.db.models import Count
    from django.utils import timezone

    from kosodate.core.models import OutboundMessage
    from kosodate.core.services import message_deliver
    from kosodate.familysupport.models import Member, Offer
    from kosodate.familysupport.services import matching

    busiest = (
        Member.objects.filter(kind="support")
        .values("district")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["district"]
    )
    family = (
        Member.objects.filter(kind="request", district_id=busiest)
        .select_related("user__household", "district")
        .first()
    )
    day = timezone.localdate() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    OutboundMessage.objects.all().delete()
    started = time.perf_counter()
    request = matching.request_create(
        member=family,
        child=family.user.household.children.first(),
        kind="pickup",
        first_date=day,
        starts=clock(15),
        ends=clock(17),
        place="保育園",
    )
    queued_seconds = time.perf_counter() - started
    offers = Offer.objects.filter(request=request).count()
    ids = list(OutboundMessage.objects.filter(status="queued").values_list("pk", flat=True))
    started = time.perf_counter()
    sent = sum(message_deliver(message_id=pk) == "sent" for pk in ids)
    delivered_seconds = time.perf_counter() - started
    return {
        "offers": offers,
        "queued_messages": len(ids),
        "queue_seconds": round(queued_seconds, 3),
        "queued_per_second": round(len(ids) / queued_seconds, 1) if queued_seconds else None,
        "delivered": sent,
        "deliver_seconds": round(delivered_seconds, 3),
        "delivered_per_second": round(sent / delivered_seconds, 1) if delivered_seconds else None,
    }


def in_django(args) -> None:
    import django

    django.setup()
    from django.conf import settings

    # The tasks backend would enqueue a delivery task per message (a row each): keep that, it is
    # part of what a broadcast costs.
    settings.DEBUG = False
    result = {"built": _reset_and_build(args.supporters, args.families, args.seed)}
    result["candidates"] = _candidates(args.rounds, args.seed)
    result["broadcast"] = _broadcast()
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--supporters", type=int, default=400)
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=200, help="candidate queries timed")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--in-django", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_django:
        in_django(args)
        return
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    env = bench_env(database_url, redis_url)
    ensure_database(database_url)
    migrate(env)
    out = subprocess.run(
        [PYTHON, __file__, "--in-django", *sys.argv[1:]],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
