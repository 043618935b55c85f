"""A deploy while serving, in the documented order (docs/deploy.md, "Deploying while serving"):
an additive migration applied while the old code still serves, then the web processes restarted
one at a time (SIGHUP: gunicorn replaces its workers gracefully), then the workers (SIGTERM: the
supervisor starts them again, as systemd would). Requests — pages and applications — go on
throughout, and every one is answered: never a 5xx, never a broken connection.

The migration is a throwaway one, made for this test in a temporary app outside the project: a
column added to the busiest table (events_application, written by every application meanwhile)
and a new table. Nothing of it stays in the project."""

import os
import signal
import subprocess
import textwrap
import threading
import time
from collections import Counter

from .shape import PYTHON, ROOT, Browser, children_of

HOUSEHOLDS = 80


PROBE_MIGRATION = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("events", "__latest__")]
    operations = [
        # A column the old code does not know, with a default (PostgreSQL adds it without
        # rewriting the table): Django names every column it reads, so old code is unaffected.
        migrations.RunSQL(
            "ALTER TABLE events_application ADD COLUMN deploy_probe text NOT NULL DEFAULT ''",
            "ALTER TABLE events_application DROP COLUMN deploy_probe",
        ),
        migrations.CreateModel(
            name="Probe",
            fields=[("id", models.BigAutoField(primary_key=True)), ("note", models.TextField())],
        ),
    ]
"""


def probe_app(folder) -> None:
    """A temporary app with one additive migration, and settings that install it."""
    package = folder / "deploy_probe"
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "migrations" / "__init__.py").write_text("")
    (package / "migrations" / "0001_initial.py").write_text(PROBE_MIGRATION)
    (package / "models.py").write_text(
        textwrap.dedent(
            """
            from django.db import models


            class Probe(models.Model):
                note = models.TextField()
            """
        )
    )
    (folder / "deploy_probe_settings.py").write_text(
        "from config.settings import *  # noqa: F403\n\n"
        'INSTALLED_APPS = [*INSTALLED_APPS, "deploy_probe"]  # noqa: F405\n'
    )


def test_an_additive_migration_and_restarts_while_serving_answer_every_request(shape, tmp_path):
    setup = shape.households(places=20, count=HOUSEHOLDS)
    folder = tmp_path / "probe"
    probe_app(folder)
    answers: list[tuple[str, str, int]] = []  # (phase, what, status)
    phase = ["before"]
    stop = threading.Event()

    def pages() -> None:
        browser = Browser(shape)
        paths = ["/", "/events/", f"/events/{setup['event']}/", "/healthz"]
        n = 0
        while not stop.is_set():
            path = paths[n % len(paths)]
            try:
                status = browser.get(path, timeout=30)[0]
            except OSError:
                status = 0
            answers.append((phase[0], path, status))
            n += 1

    def applications() -> None:
        for person in setup["households"]:
            if stop.is_set():
                return
            status, _, _ = shape.apply(setup, person, key=os.urandom(18).hex())
            answers.append((phase[0], "apply", status))
            time.sleep(0.1)

    threads = [threading.Thread(target=pages) for _ in range(3)]
    threads.append(threading.Thread(target=applications))
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        # 1. migrate, with the old code serving.
        phase[0] = "migrate"
        env = shape.env()
        env.update(
            DJANGO_ENV_FILE=str(shape.state / "env"),
            DJANGO_SETTINGS_MODULE="deploy_probe_settings",
            PYTHONPATH=f"{folder}:{ROOT}",
        )
        done = subprocess.run(
            [PYTHON, "manage.py", "migrate", "deploy_probe", "--no-input"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        time.sleep(2)
        # 2. the web processes, one at a time: gunicorn starts new workers, then lets the old
        # ones finish what they hold.
        phase[0] = "restart web"
        for port in shape.web_ports:
            master = shape.pid(f"web-{port}")
            before = set(children_of(master))
            shape.kill(f"web-{port}", signal.SIGHUP)
            deadline = time.monotonic() + 60
            while not (set(children_of(master)) - before) or len(children_of(master)) < 2:
                assert time.monotonic() < deadline, "gunicorn did not reload its workers"
                time.sleep(0.2)
            time.sleep(1)
        # 3. the workers: SIGTERM, the task in hand finishes; the supervisor starts them again.
        phase[0] = "restart workers"
        for name in sorted(p.stem for p in (shape.state / "run").glob("worker-*.pid")):
            old = shape.kill(name, signal.SIGTERM)
            deadline = time.monotonic() + 60
            while (shape.state / "run" / f"{name}.pid").read_text().strip() in ("", str(old)):
                assert time.monotonic() < deadline, f"{name} was not started again"
                time.sleep(0.2)
        phase[0] = "after"
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)

    by_phase = Counter((p, status) for p, _, status in answers)
    print(f"answers by phase: {dict(by_phase)}")
    bad = [(p, what, status) for p, what, status in answers if status not in (200, 302)]
    assert not bad, bad[:20]
    for each in ("before", "migrate", "restart web", "restart workers", "after"):
        assert any(p == each for p, _, _ in answers), f"nothing was asked during {each}"
    # The column is there, the old code went on writing rows without it, nothing doubled.
    assert shape.sql(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'events_application' AND column_name = 'deploy_probe'"
    ) == [(1,)]
    applied = sum(1 for _, what, status in answers if what == "apply" and status == 302)
    rows = shape.applications(setup["event"])
    assert len(rows) == applied == len({household for household, _, _ in rows})
    assert shape.get_json("/healthz")["status"] == "ok"
