"""Run the real background worker from a test."""

import logging
import signal
from io import StringIO
from unittest import mock

from django.core.management import call_command

_SIGNALS = [s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGQUIT", None)) if s]
_LOGGERS = ("django.tasks", "django_tasks_db")


def run_worker() -> None:
    """`manage.py db_worker --batch`: run every task that is ready now, then return."""
    # The command installs its own signal handlers and logger levels for the whole process;
    # put pytest's back so Ctrl-C and later tests behave as usual.
    handlers = {s: signal.getsignal(s) for s in _SIGNALS}
    levels = {name: logging.getLogger(name).level for name in _LOGGERS}
    try:
        # Between tasks the worker closes database connections, as Django does between requests;
        # inside a test's transaction that would discard the test's data (PostgreSQL), so it is
        # skipped here, just as Django's test client skips it around requests.
        with mock.patch(
            "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
        ):
            call_command(
                "db_worker",
                "--batch",
                "--no-startup-delay",
                "--no-reload",
                "--interval=0",
                verbosity=0,
                stdout=StringIO(),
            )
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
