"""The lock under parallel attempts, on PostgreSQL (SECURITY.md: "holds under parallel attempts").

Many wrong passwords for one account arrive at the same moment, each in its own thread with its
own database connection. The row lock (select_for_update) in services.login_failure_register
makes them count one after another: the count is exact, the account locks exactly once, and its
owner gets exactly one email. Without the row lock the threads read the same count and overwrite
each other's increments (checked: removing select_for_update() makes both tests fail).
"""

import threading
import time

import pytest
from django.db import connection, connections

from kosodate.accounts import services
from kosodate.accounts.models import AccountLock, AuthEvent
from kosodate.core.models import OutboundMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: DATABASE_URL=postgres://… (make test runs it)")


@pytest.fixture
def slow_save(monkeypatch):
    """Hold each attempt a moment between reading the count and writing it back, so the threads
    really overlap there (on an idle machine they might otherwise happen to run in turn)."""
    original = AccountLock.save

    def save(self, *args, **kwargs):
        time.sleep(0.05)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AccountLock, "save", save)


def _in_parallel(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_parallel_wrong_passwords_lock_exactly_once(resident, slow_save):
    attempts = 12  # more than the threshold (5), all at once
    results = _in_parallel(attempts, lambda: services.login_failure_register(user=resident))

    lock = AccountLock.objects.get(user=resident)
    assert lock.is_locked()
    assert lock.failed_count == 5
    assert results.count(True) == 1  # exactly one attempt locked it
    assert AuthEvent.objects.filter(user=resident, kind=AuthEvent.Kind.LOCKED).count() == 1
    failures = AuthEvent.objects.filter(user=resident, kind=AuthEvent.Kind.LOGIN_FAILURE)
    assert failures.count() == attempts  # every attempt logged…
    assert failures.filter(detail__while_locked=True).count() == attempts - 5  # …7 after the lock
    assert OutboundMessage.objects.filter(kind="account_locked").count() == 1


def test_parallel_failures_below_the_threshold_are_all_counted(resident, slow_save):
    _in_parallel(4, lambda: services.login_failure_register(user=resident))
    lock = AccountLock.objects.get(user=resident)
    assert lock.failed_count == 4
    assert not lock.is_locked()
    # The fifth, later, locks.
    assert services.login_failure_register(user=resident) is True
