"""Fault tests start the production shape (nginx, two gunicorn, two workers, PostgreSQL, Redis) and
break one part of it. They need PostgreSQL (the PostgreSQL leg of `make test` runs them), nginx and
redis-server (`make test` installs both when missing); without them they fail, never skip."""

import os
import shutil
import subprocess

import pytest

from .shape import PYTHON, ROOT, RedisServer, Shape, database_drop, database_recreate

TEMPLATE = "kosodate_faults_template"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.postgres)
            item.add_marker(pytest.mark.timeout(600))


@pytest.fixture(scope="session")
def faults_database_url():
    url = os.environ.get("DATABASE_URL", "")
    assert url.startswith("postgres"), "the fault tests run on PostgreSQL (DATABASE_URL)"
    for tool in ("nginx", "redis-server"):
        assert shutil.which(tool) or os.path.exists(f"/usr/sbin/{tool}"), (
            f"{tool} is missing: `make test` installs it (scripts/ensure-packages nginx redis)"
        )
    return url


@pytest.fixture(scope="session")
def faults_template(faults_database_url, tmp_path_factory):
    """A migrated database with the demo data, cloned for each test, and the keys it was made
    with (encrypted columns must decrypt in every clone)."""
    folder = tmp_path_factory.mktemp("faults-template")
    keys = folder / "keys.env"
    subprocess.run(
        [
            PYTHON,
            "-c",
            "import secrets; from cryptography.fernet import Fernet; "
            "print(f'SECRET_KEY={secrets.token_urlsafe(50)}'); "
            "print(f'FIELD_ENCRYPTION_KEYS={Fernet.generate_key().decode()}')",
        ],
        stdout=keys.open("w"),
        check=True,
    )
    url = f"{faults_database_url.rsplit('/', 1)[0]}/{TEMPLATE}"
    database_recreate(faults_database_url, TEMPLATE)
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update(
        DJANGO_ENV_FILE=str(keys),
        DATABASE_URL=url,
        DJANGO_DEBUG="0",
        SECURE_SSL="0",
        ALLOWED_HOSTS="127.0.0.1",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )
    # The demo's own email goes out once here (to a dummy backend), so that a test's queue holds
    # only what the test sends.
    for args in (["migrate", "--no-input"], ["demo_data"], ["db_worker", "--batch", "--no-reload"]):
        subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
        )
    return keys


@pytest.fixture
def shape_factory(faults_database_url, faults_template, tmp_path, request):
    """Start a production shape of this test's own, with extra settings for prod-local (e.g.
    SMTP_SINK=0 and an EMAIL_URL); stopped, with its database dropped, after the test."""
    started = []

    def start(**extra: str) -> Shape:
        name = f"kosodate_faults_{os.getpid()}"
        database_recreate(faults_database_url, name, template=TEMPLATE)
        state = tmp_path / "state"
        state.mkdir()
        shutil.copy(faults_template, state / "keys.env")
        redis = RedisServer(tmp_path / "redis")
        redis.start()
        running = Shape(
            state=state,
            database_url=f"{faults_database_url.rsplit('/', 1)[0]}/{name}",
            redis=redis,
        )
        started.append(running)
        running.start(**extra)
        return running

    yield start
    for running in started:
        running.stop()
        running.redis.stop()
        database_drop(faults_database_url, running.database_url.rsplit("/", 1)[1])
        # Keep the logs of a failed test for CI's artefacts.
        if getattr(request.node, "rep_call", None) and request.node.rep_call.failed:
            target = ROOT / "test-artifacts" / "faults" / request.node.name
            shutil.copytree(running.state / "logs", target, dirs_exist_ok=True)


@pytest.fixture
def shape(shape_factory):
    """The production shape as `make prod-local` starts it, for this test alone."""
    return shape_factory()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
