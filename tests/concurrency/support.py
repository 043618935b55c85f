"""Helpers for tests that run real services in parallel threads, each with its own database
connection: `in_parallel`, and `sqlite_file_database` for the embedded default.

pytest-django keeps the SQLite test database in memory (shared cache), where SQLite locks whole
tables and never waits: parallel writers fail at once, which says nothing about the file database
a deployment uses (WAL, BEGIN IMMEDIATE, busy timeout). `sqlite_file_database()` copies the test
database, with what the test created so far, into a file and points new connections at it, so the
threads meet exactly the locking a real SQLite deployment has. On PostgreSQL it does nothing."""

import sqlite3
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, connections


def in_parallel(works, *, timeout: float = 120) -> tuple[list, list]:
    """Run each callable in its own thread, released together by a barrier. Returns (results,
    errors); each thread closes its database connections when done."""
    barrier = threading.Barrier(len(works))
    results, errors = [None] * len(works), []

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = works[index]()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results, errors


def in_thread(work):
    """Run one callable in a fresh thread (so it uses a fresh connection) and return its result."""
    [result], errors = in_parallel([work])
    if errors:
        raise errors[0]
    return result


@contextmanager
def sqlite_file_database():
    """On SQLite: copy the in-memory test database into a file and make every connection opened
    from now on (in other threads) use it; read results through in_thread(). The test's own
    connection keeps the in-memory copy, which its teardown flushes as usual."""
    if connection.vendor != "sqlite":
        yield
        return
    settings = connections.settings["default"]
    memory_name = settings["NAME"]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "test.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        settings["NAME"] = str(path)
        try:
            yield
        finally:
            settings["NAME"] = memory_name
