"""The availability calendar's month cache (issue 16, PERFORMANCE.md: availability p95 ≤ 60 ms).

A month's grid (every facility's status for every day, for one age band) is cached in Redis under
a key that names everything it depends on: the facilities, the band, the month, the language, the
minute (the booking window opens and closes with time) and the availability version. The version
changes when anything that decides a cell changes: a booking taking or freeing a place (the day's
held counts, services._Day.write_held), a closure or its reopening, a day's or a facility's
capacity, a facility's rules, the municipality's rules. A changed version names other keys, so
the next page is computed from the database at once: never a stale 空きあり after a place is taken.

The version is bumped when the change commits (and at once, for the changing request's own
reads). A page that read the old version before the commit may store its grid under the old key;
nobody reads that key again. While Redis cannot be reached nothing is cached (core.cache)."""

import time

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from kosodate.core.cache import UNREACHABLE, cache_read, cache_write

VERSION_KEY = "childcare:availability:version"
GRID_SECONDS = 60


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or evicted): a new one that was never used
        cache.set(VERSION_KEY, time.time_ns(), None)
    except UNREACHABLE:
        pass


def availability_changed() -> None:
    """Something a cell depends on changed: pages computed from now on read the database."""
    _bump()
    transaction.on_commit(_bump, robust=True)


def version() -> int | None:
    """The current version (None while Redis is unreachable: then nothing is cached)."""
    current = cache_read(VERSION_KEY)
    if current is None:
        try:
            cache.add(VERSION_KEY, time.time_ns(), None)
        except UNREACHABLE:
            return None
        current = cache_read(VERSION_KEY)
    return current


def grid_get(key: str):
    return cache_read(key)


def grid_set(key: str, value) -> None:
    cache_write(key, value, GRID_SECONDS)


def _changed(sender, **kwargs) -> None:
    availability_changed()


def connect() -> None:
    """Saved or deleted through the ORM (services, the admin, the demo data): the version moves.
    Queryset update()s that change what a cell shows call availability_changed() themselves."""
    from .models import ChildcareRules, Facility, FacilityDay

    for model in (ChildcareRules, Facility, FacilityDay):
        post_save.connect(_changed, sender=model, dispatch_uid=f"availability-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"availability-d-{model.__name__}")
