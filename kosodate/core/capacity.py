"""The locking contract for anything with a limited number of places (ARCHITECTURE.md habit 3,
after pretix's locking.rst): temporary-care days, event sessions, consultation slots.

    with capacity_locked(Child.objects.filter(pk__in=ids), FacilityDay.objects.filter(pk=day.pk)):
        held = Booking.objects.filter(day=day, status__in=HOLDING).count()   # recount from rows
        if held < capacity:
            Booking.objects.create(...)                                      # then write

The block is one transaction. Its rows are locked once, on entry ("late": read and validate
everything you can before, outside the transaction), group by group in the order given and by
primary key inside a group. Every caller names its groups in the same order (for example children
before facility days), so two requests never wait for each other in a cycle. Inside the block,
count what is taken from the rows themselves — never from a cached or denormalised number read
before the lock — and write before leaving. Database constraints stay as the backstop.

On PostgreSQL the rows are locked with SELECT … FOR UPDATE. On SQLite, which has no row locks,
settings open every transaction with BEGIN IMMEDIATE (transaction_mode), so the whole block holds
the database's write lock from its first statement: the same guarantee, with less concurrency.

Only the rows of scarce resources belong here; side effects (email, notifications) are written
inside the block as rows and delivered on commit (habit 5).
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import models, transaction

from .observability import LOCK_WAIT_SECONDS
from .prepared import BoundQuery, PreparedQuery


def locking_query(build: Callable[..., models.QuerySet], *names: str) -> PreparedQuery:
    """The rows `build(**ids)` selects, locked in primary-key order, as a query compiled once per
    process (core.prepared): for a lock taken on every request of a rush, whose ORM compiling
    would otherwise cost more than the database's work. Pass it bound to capacity_locked():

        EVENT_ROW = locking_query(lambda pk: Event.objects.filter(pk=pk), "pk")
        with capacity_locked(EVENT_ROW.bound(pk=event.pk)) as (locked,): ...
    """
    return PreparedQuery(lambda **ids: build(**ids).select_for_update().order_by("pk"), *names)


@contextmanager
def capacity_locked(
    *querysets: models.QuerySet | BoundQuery, using: str | None = None
) -> Iterator[list]:
    """Open a transaction and lock the rows of each queryset (or bound locking_query()), in the
    order given (by primary key within each); yield them as one list per queryset. Nested inside
    another atomic block it still holds (the locks last until the outer transaction ends), but the
    lock is then no longer late: call it outside, so that nothing slow runs while the rows are
    locked."""
    first = querysets[0] if querysets else None
    alias = using or (first.db if isinstance(first, models.QuerySet) else "default")
    with transaction.atomic(using=alias):
        started = time.perf_counter()
        rows = [
            list(qs.select_for_update().order_by("pk"))
            if isinstance(qs, models.QuerySet)
            else qs.objects(using=alias)
            for qs in querysets
        ]
        LOCK_WAIT_SECONDS.labels("+".join(_label(qs, alias) for qs in querysets)).observe(
            time.perf_counter() - started
        )
        yield rows


@contextmanager
def capacity_locking(using: str | None = None) -> Iterator[None]:
    """capacity_locked()'s transaction, for a caller that locks the groups itself, one statement
    each, in the contract's order, because each of those statements reads what comes next as well
    (childcare.selectors_lock: the children with the quote's facts, then the day): the block is
    one transaction, and the rows stay locked until it ends."""
    with transaction.atomic(using=using):
        yield


@contextmanager
def lock_waited(resource: str) -> Iterator[None]:
    """Time a statement that takes a capacity lock itself (capacity_locking's callers) into the
    same lock-wait histogram as capacity_locked (docs/operations.md alerts on it)."""
    started = time.perf_counter()
    yield
    LOCK_WAIT_SECONDS.labels(resource).observe(time.perf_counter() - started)


def _label(query: models.QuerySet | BoundQuery, alias: str) -> str:
    model = query.model if isinstance(query, models.QuerySet) else query.prepared.model(alias)
    return model._meta.label


def lock_row_get_or_create(model: type[models.Model], **lookup) -> models.Model:
    """The row to lock for `lookup` (unique in the table), created if missing. Call it before
    capacity_locked(): two requests creating the same row at once both end up with the one row
    (the losing INSERT is ignored), and no transaction is held meanwhile."""
    row = model._default_manager.filter(**lookup).first()
    if row is None:
        model._default_manager.bulk_create([model(**lookup)], ignore_conflicts=True)
        row = model._default_manager.get(**lookup)
    return row
