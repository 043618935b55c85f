"""Popular class rush (issue 6, item 8): N signed-in households apply for a first-come class with
P places, against gunicorn + PostgreSQL (+ Redis for sessions and cache), with a bare Django view
measured on the same server in the same run.

    .venv/bin/python bench/events_rush.py                    # 1,000 households, 20 places, at once
    .venv/bin/python bench/events_rush.py --spread 60        # the same rush spread over one minute
    .venv/bin/python bench/events_rush.py --households 200   # smaller

Everything runs on 127.0.0.1: a database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/kosodate_events_bench, created and migrated if missing), Redis
DB 8 (BENCH_REDIS_URL). The load generator is a small asyncio HTTP/1.1 client (no dependency):
every household sends one real POST of the application form (session cookie, CSRF token, one
child, one adult) and counts as answered when the server redirects it to its application's page.
Afterwards the database is checked: exactly P confirmed, everyone else waitlisted with a unique
number. CPU per application is the CPU time of gunicorn's processes and of the PostgreSQL backends
serving this database, before and after the rush, divided by N; then the worker (manage.py
db_worker --batch) delivers what the rush queued (an email to every household, to a dummy email
backend: building and recording each message counts, an SMTP server's work does not) and its CPU,
with the database's meanwhile, is added as "worker". Results and commands: docs/benchmarks.md."""

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/kosodate_events_bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def bench_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.events_settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": "kosodate-bench",
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            "FIELD_ENCRYPTION_KEYS": "Vmx4b0R3d2hqUG9zN2R2dGtVbE9hYmR2cEVZc3dxYmY=",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL": "0",
            "STATIC_MANIFEST": "0",
            "DJANGO_ENV_FILE": "",
            "DJANGO_DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            # collectstatic is not run for the benchmark; WhiteNoise's warning says only that.
            "PYTHONWARNINGS": "ignore:No directory at",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
    )
    return env


# --- Inside Django (run as a subprocess with the bench settings) --------------------------------
def django_setup() -> None:
    import django

    django.setup()


def prepare(households: int, places: int) -> dict:
    """Households with one child each, signed in (sessions in Redis), and a fresh event."""
    from datetime import timedelta

    from allauth.account.models import EmailAddress
    from django.test import Client
    from django.utils import timezone

    from kosodate.accounts.models import Child, Household, User
    from kosodate.core.models import Municipality, Notification, OutboundMessage
    from kosodate.events import services
    from kosodate.events.models import Application, Event

    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another task backend: nothing queued by earlier runs to clear
        DBTaskResult = None

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
    Application.objects.all().delete()
    Event.objects.all().delete()
    Notification.objects.filter(kind__startswith="events.").delete()
    OutboundMessage.objects.filter(kind__startswith="events.").delete()
    if DBTaskResult is not None:
        DBTaskResult.objects.all().delete()  # this database is the benchmark's own
    existing = User.objects.filter(username__startswith="bench").count()
    if existing < households:
        today = timezone.localdate()
        new_households = Household.objects.bulk_create(
            [
                Household(
                    postal_code="1000001",
                    prefecture="東京都",
                    city="こもれび市",
                    street=f"{n}-1",
                )
                for n in range(existing, households)
            ]
        )
        users = []
        for n, household in zip(range(existing, households), new_households, strict=True):
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
                for household in new_households
            ]
        )
    now = timezone.now()
    event = services.event_create(
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
    clients = []
    users = User.objects.filter(username__startswith="bench").order_by("username")[:households]
    children = dict(Child.objects.values_list("household_id", "pk"))
    from django.conf import settings

    for user in users:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        # The family has the page open before the rush, as a real one would: its session's
        # first request (the sessions-list row, the terms check) is not part of the rush.
        warm = client.get(f"/events/{event.pk}/")
        assert warm.status_code == 200, warm.status_code
        clients.append(
            {
                "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "child": children[user.household_id],
            }
        )
    return {"event": event.pk, "clients": clients, "cookie": settings.SESSION_COOKIE_NAME}


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


def in_django(argv: list[str]) -> None:
    django_setup()
    if argv[0] == "prepare":
        print(json.dumps(prepare(int(argv[1]), int(argv[2]))))
    elif argv[0] == "verify":
        print(json.dumps(verify(int(argv[1]))))


# --- The load generator --------------------------------------------------------------------------
async def http(port: int, method: str, path: str, *, headers=(), body: bytes = b""):
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Connection: close",
        "Accept-Language: ja",
        *headers,
        f"Content-Length: {len(body)}",
        "",
        "",
    ]
    writer.write("\r\n".join(lines).encode() + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    elapsed = time.perf_counter() - started
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status = int(head.split(" ", 2)[1]) if head.startswith("HTTP/") else 0
    location = ""
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "location":
            location = value.strip()
    return status, location, elapsed


async def run_bare(port: int, count: int, concurrency: int) -> dict:
    semaphore = asyncio.Semaphore(concurrency)
    latencies, errors = [], 0

    async def one():
        nonlocal errors
        async with semaphore:
            status, _, elapsed = await http(port, "GET", "/bench/bare/")
        if status == 200:
            latencies.append(elapsed)
        else:
            errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    wall = time.perf_counter() - started
    return {
        "requests": count,
        "wall_s": wall,
        "rps": count / wall,
        "errors": errors,
        **pct(latencies),
    }


async def run_rush(port: int, setup: dict, concurrency: int, spread: float) -> dict:
    semaphore = asyncio.Semaphore(concurrency)
    latencies, errors, statuses = [], [], {}
    path = f"/events/{setup['event']}/apply/"

    async def one(client, delay):
        if delay:
            await asyncio.sleep(delay)
        token = secrets.token_hex(16)  # an unmasked 32-character CSRF secret, also the cookie
        body = f"csrfmiddlewaretoken={token}&adults=1&children={client['child']}".encode()
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
        if status == 302 and "/events/mine/" in location:
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


def pct(values: list[float]) -> dict:
    if not values:
        return {}
    values = sorted(values)

    def at(q):
        return values[min(len(values) - 1, int(q * len(values)))] * 1000

    return {
        "p50_ms": statistics.median(values) * 1000,
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": values[-1] * 1000,
    }


# --- CPU accounting -------------------------------------------------------------------------------
def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def _postgres_backends(database: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if cmdline.startswith("postgres:") and f" {database} " in cmdline:
                found.append(int(entry.name))
    return found


def cpu_snapshot(master: int, database: str) -> dict[int, float]:
    pids = [master, *_children(master), *_postgres_backends(database)]
    return {pid: _cpu_seconds(pid) for pid in pids}


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


def run_worker(env: dict[str, str], database: str) -> dict:
    """Drain the task queue once (the emails of the rush) and measure the worker's CPU and the
    database's meanwhile."""
    import resource

    backends = {pid: _cpu_seconds(pid) for pid in _postgres_backends(database)}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [
            PYTHON,
            "manage.py",
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--verbosity=0",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    wall = time.perf_counter() - started
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker = used.ru_utime + used.ru_stime - children.ru_utime - children.ru_stime
    after = {pid: _cpu_seconds(pid) for pid in _postgres_backends(database)}
    return {"wall_s": wall, "cpu_s": worker + cpu_used(backends, after)}


# --- Orchestration --------------------------------------------------------------------------------
def ensure_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


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
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    env = bench_env(database_url, redis_url)
    ensure_database(database_url)
    subprocess.run([PYTHON, "manage.py", "migrate", "--verbosity=0"], cwd=ROOT, env=env, check=True)
    here = [PYTHON, __file__, "--in-django"]
    setup = json.loads(
        subprocess.run(
            [*here, "prepare", str(args.households), str(args.places)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
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
        # Warm every worker (imports, database connections) before measuring.
        asyncio.run(run_bare(args.port, 200, 20))
        before = cpu_snapshot(server.pid, database)
        bare = asyncio.run(run_bare(args.port, args.bare_requests, min(args.concurrency, 200)))
        middle = cpu_snapshot(server.pid, database)
        rush = asyncio.run(run_rush(args.port, setup, args.concurrency, args.spread))
        time.sleep(0.5)
        after = cpu_snapshot(server.pid, database)
    finally:
        server.terminate()
        server.wait(timeout=30)
    worker = run_worker(env, database)
    checked = json.loads(
        subprocess.run(
            [*here, "verify", str(setup["event"])],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    result = {
        "households": args.households,
        "places": args.places,
        "workers": args.workers,
        "spread_s": args.spread,
        "rush": rush,
        "bare": bare,
        "cpu_ms_per_bare_request": cpu_used(before, middle) / args.bare_requests * 1000,
        "cpu_ms_per_application_web_db": cpu_used(middle, after) / args.households * 1000,
        "cpu_ms_per_application": (cpu_used(middle, after) + worker["cpu_s"])
        / args.households
        * 1000,
        "worker": worker,
        "throughput_ratio_to_bare": rush["rps"] / bare["rps"],
        "database": checked,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"rush: {args.households} households, {args.places} places, spread {args.spread}s")
    print(
        f"  answered in {rush['wall_s']:.2f} s, {rush['rps']:.0f} applications/s, "
        f"errors {rush['errors']} {rush['error_samples']}"
    )
    print(
        f"  latency p50 {rush.get('p50_ms', 0):.0f} ms, p95 {rush.get('p95_ms', 0):.0f} ms, "
        f"p99 {rush.get('p99_ms', 0):.0f} ms, max {rush.get('max_ms', 0):.0f} ms"
    )
    print(
        f"  CPU per application: {result['cpu_ms_per_application']:.1f} ms (gunicorn + PostgreSQL "
        f"{result['cpu_ms_per_application_web_db']:.1f} ms, then the worker delivering the emails "
        f"in {worker['wall_s']:.1f} s)"
    )
    print(
        f"bare view: {bare['rps']:.0f} requests/s, p50 {bare.get('p50_ms', 0):.0f} ms, "
        f"CPU {result['cpu_ms_per_bare_request']:.2f} ms/request, errors {bare['errors']}"
    )
    print(f"ratio (applications/s ÷ bare requests/s): {result['throughput_ratio_to_bare']:.3f}")
    print(f"database: {checked}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--in-django":
        in_django(sys.argv[2:])
    else:
        main()
