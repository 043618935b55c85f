"""子育て相談 (issue 15, item 14): the professional's queue page with 5,000 consultations and
50,000 messages, and 200 residents booking 20 session slots at once.

    .venv/bin/python bench/consultations_queue.py
    .venv/bin/python bench/consultations_queue.py --consultations 1000 --requests 100

Runs in one process against PostgreSQL (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/kosodate_consult_bench, created and migrated if missing; its
consultation tables are emptied first) and Redis DB 8 (BENCH_REDIS_URL) for sessions and cache.

- Queue: a signed-in 保健師 opens /staff/consultations/?view=all_open through Django's test client
  (every middleware, the view, the template; no network and no gunicorn). Timed over --requests
  requests after two warm-ups; the number of database queries is counted at a tenth of the data
  and at all of it, to show it stays flat.
- Booking rush: --residents residents arrive at once and --workers threads (as many web workers,
  each with its own database connection) serve them, each calling the booking service (the same
  call the booking view makes) for one of --slots slots; afterwards the database is checked:
  every slot booked exactly once.

Results and how they were obtained: docs/benchmarks.md."""

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/kosodate_consult_bench"


def setup(database_url: str, redis_url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": "kosodate-consult-bench",
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            "FIELD_ENCRYPTION_KEYS": "Vmx4b0R3d2hqUG9zN2R2dGtVbE9hYmR2cEVZc3dxYmY=",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL": "0",
            "STATIC_MANIFEST": "0",
            "DJANGO_ENV_FILE": "",
            "DJANGO_DEBUG": "0",
            "LOG_LEVEL": "ERROR",
            "PYTHONWARNINGS": "ignore:No directory at",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
    )
    sys.path.insert(0, str(ROOT))
    import psycopg

    base, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        check=True,
        env=os.environ,
    )
    import django

    django.setup()


def people(n_households: int):
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.utils import timezone

    from kosodate.accounts.models import Child, Household, User
    from kosodate.consultations.models import StaffMember

    User.objects.filter(username__startswith="bench-").delete()
    nurse = User.objects.create_user(
        username="bench-nurse", email="bench-nurse@example.jp", role=User.Role.CONSULTANT
    )
    EmailAddress.objects.create(user=nurse, email=nurse.email, verified=True, primary=True)
    TOTP.activate(nurse, generate_totp_secret())
    StaffMember.objects.create(user=nurse, profession="health")
    households = Household.objects.bulk_create(
        Household(postal_code="1000001", prefecture="東京都", city="こもれび市", street="1-1")
        for _ in range(n_households)
    )
    users = User.objects.bulk_create(
        User(
            username=f"bench-r{n}",
            email=f"bench-r{n}@example.jp",
            household=household,
            role=User.Role.RESIDENT,
        )
        for n, household in enumerate(households)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
    )
    today = timezone.localdate()
    children = Child.objects.bulk_create(
        Child(
            household=household,
            last_name="山田",
            first_name="はると",
            last_name_kana="ヤマダ",
            first_name_kana="ハルト",
            birth_date=today - timedelta(days=200 + n % 900),
            sex="male",
        )
        for n, household in enumerate(households)
    )
    return nurse, users, children


def sign_in_with_app(client, user) -> None:
    """A session as after a real sign-in with the authenticator app (the back office asks which
    second step this session used)."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.account.internal.userkit import user_id_to_str
    from allauth.mfa.models import Authenticator

    client.force_login(user)
    app = Authenticator.objects.get(user=user, type="totp")
    session = client.session
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "username": user.username},
        {"method": "mfa", "at": time.time(), "id": app.pk, "type": app.type},
    ]
    session.save()


def consultations(count: int, messages_each: int, users, children, nurse) -> None:
    from django.utils import timezone

    from kosodate.consultations.models import Consultation, Message, Topic

    topics = list(Topic.objects.all())
    now = timezone.now()
    rng = random.Random(15)
    rows = []
    for n in range(count):
        k = n % len(users)
        created = now - timedelta(hours=rng.randint(1, 24 * 60))
        status = rng.choice(["waiting_staff", "waiting_staff", "waiting_family", "closed"])
        rows.append(
            Consultation(
                household_id=users[k].household_id,
                child=children[k],
                asked_by=users[k],
                topic=rng.choice(topics),
                profession="health",
                child_age_months=rng.randint(0, 60),
                status=status,
                assigned_to=nurse if rng.random() < 0.2 else None,
                flagged=rng.random() < 0.03,
                created_at=created,
                due_at=created + timedelta(hours=24),
                last_message_at=created,
                closed_at=created + timedelta(days=1) if status == "closed" else None,
            )
        )
    made = Consultation.objects.bulk_create(rows, batch_size=1000)
    Message.objects.bulk_create(
        (
            Message(
                consultation=c,
                author=c.asked_by if i % 2 == 0 else nurse,
                from_staff=i % 2 == 1,
                body="夜に何度も起きます。どうしたらよいでしょうか。" * 3,
                created_at=c.created_at + timedelta(minutes=i),
            )
            for c in made
            for i in range(messages_each)
        ),
        batch_size=5000,
    )


def analyze() -> None:
    """Statistics for the planner, as autovacuum keeps them in production (a bulk load leaves
    none, and the plans then are a fresh table's, not a running system's)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def time_queue(client, requests: int, url="/staff/consultations/?view=all_open"):
    from django.db import connection

    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (response.status_code, response.get("Location"))
    executed = []
    # Counted by an execute wrapper: the request's own start resets connection.queries.
    with connection.execute_wrapper(lambda execute, *a: executed.append(1) or execute(*a)):
        client.get(url)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return times, len(executed)


def rush(residents: int, slots_n: int, workers: int, users, children) -> dict:
    """All residents arrive at once; `workers` threads (as many web workers, one database
    connection each) serve them in turn. A resident's time counts from the release, so waiting
    for a free worker is included."""
    import queue as queue_module

    from django.core.exceptions import ValidationError
    from django.db import connections
    from django.utils import timezone

    from kosodate.consultations import services
    from kosodate.consultations.models import Booking, Slot, Topic

    topic = Topic.objects.get(code="feeding")
    start = timezone.now() + timedelta(days=1)
    slots = [
        Slot.objects.create(
            profession="nutrition",
            starts_at=start + timedelta(minutes=10 * n),
            ends_at=start + timedelta(minutes=10 * (n + 1)),
        )
        for n in range(slots_n)
    ]
    pending = queue_module.SimpleQueue()
    for n in range(residents):
        pending.put(n)
    barrier = threading.Barrier(workers + 1)
    outcomes, errors, latencies = [], [], []
    lock = threading.Lock()
    released = [0.0]

    def worker():
        try:
            barrier.wait(timeout=60)
            while True:
                try:
                    n = pending.get_nowait()
                except queue_module.Empty:
                    return
                try:
                    services.booking_create(
                        user=users[n], slot=slots[n % slots_n], child=children[n], topic=topic
                    )
                    result = "booked"
                except ValidationError as error:
                    result = error.code
                except Exception as exc:  # anything but the clear refusal is an error
                    result = None
                    with lock:
                        errors.append(repr(exc))
                with lock:
                    if result is not None:
                        outcomes.append(result)
                    latencies.append((time.perf_counter() - released[0]) * 1000)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    released[0] = time.perf_counter()
    barrier.wait(timeout=60)
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - released[0]
    booked = list(Booking.objects.filter(status="booked").values_list("slot_id", flat=True))
    return {
        "booked": outcomes.count("booked"),
        "refused_taken": outcomes.count("taken"),
        "other_outcomes": sorted(set(outcomes) - {"booked", "taken"}),
        "errors": errors[:3],
        "error_count": len(errors),
        "slots_taken_twice": len(booked) - len(set(booked)),
        "slots_booked": len(set(booked)),
        "elapsed_s": round(elapsed, 2),
        "p95_ms": round(statistics.quantiles(latencies, n=20)[18], 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--consultations", type=int, default=5000)
    parser.add_argument("--messages-each", type=int, default=10)
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--slots", type=int, default=20)
    parser.add_argument("--workers", type=int, default=20)
    args = parser.parse_args()
    setup(
        os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB),
        os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"),
    )
    from django.core.cache import cache
    from django.test import Client

    from kosodate.consultations.models import Booking, Consultation, Slot
    from kosodate.consultations.services import defaults_ensure
    from kosodate.core.models import Municipality

    cache.clear()
    # The municipality's row, as every deployment has (without it every page reads it again).
    Municipality.objects.get_or_create(
        pk=Municipality.SINGLETON_ID,
        defaults={
            "name": "こもれび市",
            "code": "131016",
            "counter_name": "こども家庭課",
            "counter_address": "こもれび市役所",
            "counter_phone": "03-0000-0000",
            "counter_hours": "平日 8:30〜17:15",
        },
    )
    Booking.objects.all().delete()
    Slot.objects.all().delete()
    Consultation.objects.all().delete()
    defaults_ensure()
    nurse, users, children = people(max(args.households, args.residents))
    client = Client()
    sign_in_with_app(client, nurse)

    tenth = args.consultations // 10
    consultations(tenth, args.messages_each, users, children, nurse)
    analyze()
    _, small_queries = time_queue(client, 5)
    consultations(args.consultations - tenth, args.messages_each, users, children, nurse)
    analyze()
    times, queries = time_queue(client, args.requests)
    q = statistics.quantiles(times, n=100)
    # The baseline in the same run: the back office's dashboard for the same signed-in person.
    base, _ = time_queue(client, args.requests, url="/staff/")
    b = statistics.quantiles(base, n=100)
    print(
        f"queue: {Consultation.objects.count()} consultations, "
        f"{args.consultations * args.messages_each} messages, {args.requests} requests: "
        f"p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, max {max(times):.1f} ms; "
        f"queries {small_queries} at {tenth} consultations, {queries} at {args.consultations}; "
        f"baseline /staff/ dashboard p50 {b[49]:.1f} ms, p95 {b[94]:.1f} ms"
    )
    result = rush(args.residents, args.slots, args.workers, users, children)
    print(
        f"booking rush: {args.residents} residents, {args.slots} slots, "
        f"{args.workers} workers: {result}"
    )


if __name__ == "__main__":
    main()
