"""The one harness of the rush benchmarks (bench/childcare_rush.py, bench/events_rush.py): what a
rush needs besides its own scenario.

- Outside Django: the environment of a benchmark run (`bench_env`: a database and a Redis DB of its
  own, bench/settings.py), `ensure_database` + `migrate`, `django_step` (run the scenario's
  `--in-django` step in a subprocess, read its JSON), `serving` (gunicorn on 127.0.0.1, waited for),
  the asyncio HTTP/1.1 load generator (`http`, `run_get`, `run_bare`, `run_posts`), percentiles
  (`pct`), CPU accounting of gunicorn's processes and of the PostgreSQL backends serving the
  database (`cpu_snapshot`, `cpu_used`), the task worker's run (`run_worker`), and `measure`,
  which runs the bare view and then the rush on one server and gives the CPU of each.
- Inside Django: `municipality`, `households` (N residents, each with a household and a child,
  bulk-inserted once and reused) and `signed_in` (a session per resident, its page opened once).

Only standard library and the project's own dependencies: no load-testing package."""

import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- The environment of a run -------------------------------------------------------------------
def bench_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
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
    if not redis_url:
        # The embedded default (make run): no Redis; sessions in the database, a cache per process.
        del env["REDIS_URL"]
    return env


def ensure_database(database_url: str) -> None:
    """Create the PostgreSQL database if missing (an SQLite file is created by migrate)."""
    if not database_url.startswith("postgres"):
        return
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def migrate(env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "manage.py", "migrate", "--verbosity=0"], cwd=ROOT, env=env, check=True)


def django_step(script: str, env: dict[str, str], *argv) -> dict:
    """Run `script --in-django argv…` (a step of the scenario, inside Django with the bench
    settings) and return the JSON it prints."""
    out = subprocess.run(
        [PYTHON, script, "--in-django", *map(str, argv)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"bench step {argv[0]!r} failed (its error output is above)")
    return json.loads(out.stdout)


@contextmanager
def serving(
    env: dict[str, str], *, port: int, workers: int, profile: str | None = None
) -> Iterator[subprocess.Popen]:
    """gunicorn with the site (and the bare view) on 127.0.0.1:`port`, once it answers. With
    `profile` (a directory), every web worker runs under cProfile (bench/gunicorn_profile.py)."""
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--backlog=4096",
        "--timeout=120",
        "--log-level=warning",
    ]
    if profile:
        Path(profile).mkdir(parents=True, exist_ok=True)
        for old in Path(profile).glob("web-*.prof"):
            old.unlink()
        command.append("--config=python:bench.gunicorn_profile")
        env = {**env, "BENCH_PROFILE_DIR": str(Path(profile).resolve())}
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.time() + 30
        while True:
            try:
                status, _, _ = asyncio.run(http(port, "GET", "/bench/bare/"))
                if status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- Inside Django (the scenario's --in-django steps) -------------------------------------------
def municipality() -> None:
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


def households(count: int) -> list:
    """`count` residents (bench00000…), each with a household and a child of about 16 months;
    made once (bulk-inserted) and reused by later runs."""
    from datetime import timedelta

    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from kosodate.accounts.models import Child, Household, User

    existing = User.objects.filter(username__startswith="bench").count()
    if existing < count:
        today = timezone.localdate()
        made = Household.objects.bulk_create(
            [
                Household(
                    postal_code="1000001", prefecture="東京都", city="こもれび市", street=f"{n}-1"
                )
                for n in range(existing, count)
            ]
        )
        users = []
        for n, household in zip(range(existing, count), made, strict=True):
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
                for household in made
            ]
        )
    return list(User.objects.filter(username__startswith="bench").order_by("username")[:count])


def signed_in(users: list, *, page: str) -> list[dict]:
    """A session for each resident (in Redis), with `page` opened once, as a real family has the
    page open before the rush: its session's first request (the sessions-list row, the terms
    check) is not part of the rush. Returns {"session", "child"} per resident."""
    from django.conf import settings
    from django.test import Client

    from kosodate.accounts.models import Child

    children = dict(
        Child.objects.filter(household_id__in=[u.household_id for u in users]).values_list(
            "household_id", "pk"
        )
    )
    clients = []
    for user in users:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        warm = client.get(page)
        assert warm.status_code == 200, warm.status_code
        clients.append(
            {
                "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "child": children[user.household_id],
            }
        )
    return clients


def in_django(steps: dict[str, Callable[..., dict]], argv: list[str]) -> None:
    """Run one named step with integer arguments and print its JSON result."""
    import django

    django.setup()
    print(json.dumps(steps[argv[0]](*map(int, argv[1:]))))


# --- The load generator -------------------------------------------------------------------------
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
    return {
        "requests": count,
        "wall_s": wall,
        "rps": count / wall,
        "errors": errors,
        **pct(latencies),
    }


async def run_bare(port: int, count: int, concurrency: int) -> dict:
    """The bare view (bench/urls.py): the framework's ceiling on this machine."""
    return await run_get(port, "/bench/bare/", count, concurrency)


async def run_posts(
    port: int,
    *,
    clients: list[dict],
    cookie: str,
    path: str,
    form: Callable[[dict], str],
    answered: str,
    concurrency: int,
    spread: float,
) -> dict:
    """Every client POSTs `form(client)` (urlencoded, without the CSRF token, which is added) to
    `path` with its session, released at once or over `spread` seconds in random order; a
    request counts as answered when it is redirected to a location containing `answered`."""
    semaphore = asyncio.Semaphore(concurrency)
    latencies, errors, statuses = [], [], {}

    async def one(client, delay):
        if delay:
            await asyncio.sleep(delay)
        token = secrets.token_hex(16)  # an unmasked 32-character CSRF secret, also the cookie
        body = f"csrfmiddlewaretoken={token}&{form(client)}".encode()
        headers = [
            f"Cookie: {cookie}={client['session']}; csrftoken={token}",
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
        if status == 302 and answered in location:
            latencies.append(elapsed)
        else:
            errors.append(f"{status} {location}")

    clients = list(clients)
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


# --- CPU accounting -----------------------------------------------------------------------------
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


def cpu_used(
    before: dict[int, float], after: dict[int, float], only: set[int] | None = None
) -> float:
    return sum(after[pid] - before.get(pid, 0.0) for pid in after if only is None or pid in only)


def measure(
    server: subprocess.Popen,
    *,
    database_url: str,
    port: int,
    bare_requests: int,
    concurrency: int,
    rush: Callable[[], dict],
) -> dict:
    """On a running server: warm every worker, then the bare view, then `rush()`; returns both
    results with the CPU seconds (gunicorn + this database's backends) each took."""
    database = database_url.rsplit("/", 1)[1]
    asyncio.run(run_bare(port, 200, 20))  # imports and database connections, in every worker
    before = cpu_snapshot(server.pid, database)
    bare = asyncio.run(run_bare(port, bare_requests, min(concurrency, 200)))
    middle = cpu_snapshot(server.pid, database)
    result = rush()
    time.sleep(0.5)
    after = cpu_snapshot(server.pid, database)
    backends = set(_postgres_backends(database))
    return {
        "bare": bare,
        "rush": result,
        "bare_cpu_s": cpu_used(before, middle),
        "rush_cpu_s": cpu_used(middle, after),
        # The database's share (its backends), to tell the web's CPU from PostgreSQL's.
        "rush_db_cpu_s": cpu_used(middle, after, only=backends),
    }


class SmtpSink:
    """A local SMTP server (aiosmtpd, in a thread of this process, whose CPU is not counted: it is
    the mail server's work) that counts what the worker delivers: messages, connections, and
    each outbox Message-ID, so that the rush's emails really go over SMTP and none twice."""

    def __init__(self):
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.sessions: set[int] = set()
        self.message_ids: dict[str, int] = {}
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        import re

        self.sessions.add(id(session))
        match = re.search(rb"^Message-ID:\s*(<[^>]+>)", envelope.content, re.M | re.I)
        key = match.group(1).decode() if match else "(none)"
        self.message_ids[key] = self.message_ids.get(key, 0) + 1
        return "250 Message accepted for delivery"

    def __enter__(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def counts(self) -> dict:
        return {
            "emails": sum(self.message_ids.values()),
            "distinct_message_ids": len(self.message_ids),
            "connections": len(self.sessions),
        }


class _Backends:
    """The CPU of this database's PostgreSQL backends while a worker runs, sampled every 50 ms:
    the worker's own backend exits with it, so a snapshot taken afterwards would miss it."""

    def __init__(self, database: str):
        import threading

        self.database = database
        self.start = {pid: _cpu_seconds(pid) for pid in _postgres_backends(database)}
        self.last = dict(self.start)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self):
        while not self.stopping.wait(0.05):
            for pid in _postgres_backends(self.database):
                seconds = _cpu_seconds(pid)
                if seconds:
                    self.last[pid] = seconds

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()
        for pid in _postgres_backends(self.database):
            self.last[pid] = _cpu_seconds(pid) or self.last.get(pid, 0.0)

    def cpu_s(self) -> float:
        return sum(seconds - self.start.get(pid, 0.0) for pid, seconds in self.last.items())


def _worker_cpu(env: dict[str, str], database: str, profiled: list[str] = ()) -> float:
    """Run the worker until the queue is empty; the CPU seconds of it and of the database."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with _Backends(database) as backends:
        subprocess.run(
            [
                PYTHON,
                *profiled,
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
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime - children.ru_utime - children.ru_stime + backends.cpu_s()


def run_worker(env: dict[str, str], database_url: str, *, profile: str | None = None) -> dict:
    """Drain the task queue once (the notifications and emails of the rush) and measure the CPU
    of the worker and of the database meanwhile (with the backend serving the worker, sampled
    while it runs). The emails go over SMTP to a local sink (SmtpSink), counted there. Then the
    worker runs once more with nothing to do: the CPU of starting it (imports, Django's setup),
    which a long-running worker pays once, not per email. With `profile` (a directory), the
    worker runs under cProfile and writes DIR/worker.prof."""
    database = database_url.rsplit("/", 1)[1]
    profiled = []
    if profile:
        Path(profile).mkdir(parents=True, exist_ok=True)
        profiled = ["-m", "cProfile", "-o", str(Path(profile).resolve() / "worker.prof")]
    env = {k: v for k, v in env.items() if k != "EMAIL_BACKEND"}
    started = time.perf_counter()
    with SmtpSink() as sink:
        cpu = _worker_cpu({**env, "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}"}, database, profiled)
    wall = time.perf_counter() - started
    start_cpu = _worker_cpu({**env, "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}"}, database)
    return {"wall_s": wall, "cpu_s": cpu, "start_cpu_s": start_cpu, "smtp": sink.counts()}


def profile_report(profile: str, *, top: int = 10) -> list[str]:
    """Merge the web workers' stats into <profile>/web.prof and return the top frames by own
    time (tottime) and by cumulative time, as printed lines."""
    import io
    import pstats

    files = sorted(str(p) for p in Path(profile).glob("web-*.prof"))
    if not files:
        return ["no profile was written (did the workers exit cleanly?)"]
    stats = pstats.Stats(*files)
    stats.dump_stats(str(Path(profile) / "web.prof"))
    lines = [f"profile of {len(files)} web workers: {Path(profile) / 'web.prof'} (snakeviz-ready)"]
    # By own time; by cumulative time; and the project's own frames by cumulative time (where
    # the request's time goes, below the WSGI and middleware wrappers).
    for order, restriction in (("tottime", ()), ("cumulative", ()), ("cumulative", ("kosodate/",))):
        out = io.StringIO()
        pstats.Stats(*files, stream=out).sort_stats(order).print_stats(*restriction, top)
        table = out.getvalue().split("ncalls", 1)[-1].strip().splitlines()[1:]
        lines += [
            f"top {top} by {order}{' in kosodate/' if restriction else ''}:",
            *("  " + line.strip() for line in table if line.strip()),
        ]
    return lines


def print_rush(result: dict, *, what: str) -> None:
    """The lines both rushes print: the rush, its latency, the bare view and the ratio."""
    rush, bare = result["rush"], result["bare"]
    print(
        f"rush: {result['households']} households, {result['places']} places, "
        f"spread {result['spread_s']}s"
    )
    print(
        f"  answered in {rush['wall_s']:.2f} s, {rush['rps']:.0f} {what}/s, "
        f"errors {rush['errors']} {rush['error_samples']}"
    )
    print(
        f"  latency p50 {rush.get('p50_ms', 0):.0f} ms, p95 {rush.get('p95_ms', 0):.0f} ms, "
        f"p99 {rush.get('p99_ms', 0):.0f} ms, max {rush.get('max_ms', 0):.0f} ms"
    )
    print(
        f"bare view: {bare['rps']:.0f} requests/s, p50 {bare.get('p50_ms', 0):.0f} ms, "
        f"CPU {result['cpu_ms_per_bare_request']:.2f} ms/request, errors {bare['errors']}"
    )
    print(f"ratio ({what}/s ÷ bare requests/s): {result['throughput_ratio_to_bare']:.3f}")
    print(f"database: {result['database']}")


def print_worker(worker: dict) -> None:
    """The worker's line: CPU per email (worker + database), with and without its start."""
    smtp = worker["smtp"]
    emails = max(1, smtp["emails"])
    print(
        f"worker: {smtp['emails']} emails over SMTP ({smtp['distinct_message_ids']} distinct "
        f"Message-IDs, {smtp['connections']} connections) in {worker['wall_s']:.1f} s; CPU per "
        f"email (worker + PostgreSQL) {worker['cpu_s'] / emails * 1000:.2f} ms, of which the "
        f"worker's start {worker['start_cpu_s'] / emails * 1000:.2f} ms "
        f"({worker['start_cpu_s']:.2f} s once)"
    )
