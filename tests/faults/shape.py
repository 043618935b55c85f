"""The production shape (scripts/prod-local) started for one fault test and stopped after it.

Each test gets a database of its own, cloned from a template that is migrated and loaded with the
demo data once per run, and a Redis server of its own (so that a test may restart it without
touching the machine's Redis, which other test runs use). Everything listens on free loopback
ports. The test drives it from outside, as a load balancer's clients and an operator would.
"""

import contextlib
import http.client
import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEMO_PASSWORD = "Kosodate-demo-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_url(database_url: str, name: str) -> str:
    return urllib.parse.urlsplit(database_url)._replace(path=f"/{name}").geturl()


def admin_connect(database_url: str):
    return psycopg.connect(server_url(database_url, "postgres"), autocommit=True)


def database_recreate(database_url: str, name: str, template: str | None = None) -> None:
    with admin_connect(database_url) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        if template:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_drop(database_url: str, name: str) -> None:
    with admin_connect(database_url) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


class RedisServer:
    """A redis-server of the test's own, without persistence: a restart empties it."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@dataclass
class Shape:
    state: Path
    database_url: str
    redis: RedisServer
    port: int = field(default_factory=free_port)
    web_ports: tuple[int, int] = field(default_factory=lambda: (free_port(), free_port()))
    smtp_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mail_dir(self) -> Path:
        return self.state / "mail"

    def env(self, **extra: str) -> dict[str, str]:
        # From scratch, as a deployment's would be: nothing of the test run's own settings
        # (pytest-env's SECRET_KEY, STATIC_MANIFEST …) may leak into the shape.
        env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
        env.update(
            PROD_LOCAL_DIR=str(self.state),
            PROD_LOCAL_READY_FILE=str(self.state / "ready"),
            PORT=str(self.port),
            WEB_PORTS=" ".join(map(str, self.web_ports)),
            SMTP_PORT=str(self.smtp_port),
            PROD_DATABASE_URL=self.database_url,
            PROD_REDIS_URL=self.redis.url,
            DEMO="0",
            **extra,
        )
        return env

    def start(self, timeout: float = 180, **extra: str) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        self.log = (self.state / "prod-local.out").open("ab")
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "prod-local")],
            cwd=ROOT,
            env=self.env(**extra),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not (self.state / "ready").exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"prod-local ended: {self.output()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"prod-local not ready: {self.output()}")
            time.sleep(0.3)

    def output(self) -> str:
        return (self.state / "prod-local.out").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        # Whatever a killed script left behind (a test may have killed it on purpose).
        for pidfile in (self.state / "run").glob("*.pid"):
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pidfile.read_text()), signal.SIGKILL)

    def pid(self, name: str) -> int:
        return int((self.state / "run" / f"{name}.pid").read_text())

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        """Kill one process of the shape (its supervisor starts it again); returns the pid."""
        pid = self.pid(name)
        os.kill(pid, sig)
        return pid

    def kill_tree(self, name: str) -> list[int]:
        """SIGKILL one process of the shape and its children (a gunicorn master and its workers,
        with the requests they hold); the supervisor starts it again. Returns the pids."""
        pid = self.pid(name)
        pids = [pid, *children_of(pid)]
        for each in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(each, signal.SIGKILL)
        return pids

    def get_as(self, setup: dict, person: dict, path: str) -> tuple[int, str]:
        """A GET with a household's session (e.g. the page an application's answer redirects
        to, with its message)."""
        req = urllib.request.Request(self.base + path)
        req.add_header("Cookie", f"{setup['cookie']}={person['session']}")
        req.add_header("Accept-Language", "ja")
        try:
            with urllib.request.build_opener(NoRedirect()).open(req, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def text(self, path: str) -> str:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return response.read().decode()

    def manage(self, *args: str, timeout: float = 120) -> str:
        """A management command with the shape's settings, as an operator would run it."""
        env = self.env()
        env["DJANGO_ENV_FILE"] = str(self.state / "env")
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def sql(self, query: str, params=()) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def households(self, places: int, count: int) -> dict:
        """`count` signed-in households and an event with `places` places (tests/faults/households)."""
        env = self.env()
        env["DJANGO_ENV_FILE"] = str(self.state / "env")
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
        done = subprocess.run(
            [PYTHON, "-m", "tests.faults.households", str(places), str(count)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def apply(
        self, setup: dict, person: dict, timeout: float = 30, key: str = ""
    ) -> tuple[int, str, str]:
        """One household's application POST, as bench/events_rush.py sends it, with the form's
        idempotency key if given: (status, Location, body). A connection that breaks is
        status 0."""
        token = secrets.token_hex(16)  # an unmasked CSRF secret, sent as the cookie too
        fields = {"csrfmiddlewaretoken": token, "adults": 1, "children": person["child"]}
        if key:
            fields["idempotency_key"] = key
        body = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(
            f"{self.base}/events/{setup['event']}/apply/", data=body, method="POST"
        )
        req.add_header("Cookie", f"{setup['cookie']}={person['session']}; csrftoken={token}")
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
        req.add_header("Accept-Language", "ja")
        opener = urllib.request.build_opener(NoRedirect())
        try:
            with opener.open(req, timeout=timeout) as response:
                return response.status, response.headers.get("Location", ""), ""
        except urllib.error.HTTPError as error:
            return (
                error.code,
                error.headers.get("Location", ""),
                error.read().decode(errors="replace"),
            )
        except (OSError, http.client.HTTPException) as error:
            return 0, "", repr(error)

    def applications(self, event: int) -> list[tuple]:
        return self.sql(
            "SELECT household_id, status, waitlist_number FROM events_application "
            "WHERE event_id = %s",
            [event],
        )

    def get_json(self, path: str) -> dict:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return json.loads(response.read())

    def mail(self) -> list[str]:
        return [p.read_text(errors="replace") for p in sorted(self.mail_dir.glob("*.eml"))]


class Browser:
    """One person's cookies and the CSRF dance, over plain HTTP through nginx (urllib: what we
    assert is what the server answers, not what a browser renders)."""

    def __init__(self, shape: Shape):
        self.shape = shape
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, method: str, path: str, data: dict | None = None, timeout: float = 30):
        body = urllib.parse.urlencode(data or {}, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.shape.base + path, data=body, method=method)
        req.add_header("Accept-Language", "ja")
        if method == "POST":
            req.add_header("Origin", self.shape.base)
            req.add_header("Referer", self.shape.base + path)
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def csrf(self, html: str) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post_form(self, path: str, fields: dict, page: str | None = None, **kw):
        """GET the form page (or `page`), then POST `fields` with its CSRF token."""
        status, _, html = self.get(page or path)
        assert status == 200, (status, path)
        return self.request("POST", path, {"csrfmiddlewaretoken": self.csrf(html), **fields}, **kw)

    def sign_in(self, login: str, password: str = DEMO_PASSWORD) -> None:
        status, _headers, body = self.post_form(
            "/accounts/login/", {"login": login, "password": password}
        )
        assert status == 302, (status, body[:500])


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
