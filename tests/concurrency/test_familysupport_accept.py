"""ファミサポ: one supporter per activity, however many accept at once (issue 14, item 12).

40 supporters get the same broadcast and all press "accept" together, each in its own thread
with its own database connection. Exactly one wins; the 39 others are told it is taken; the
request has one supporter and one activity. The "unlocked" variant runs the same accept without
capacity_locked()'s lock (PostgreSQL) or without its transaction (SQLite, where BEGIN IMMEDIATE is
the lock), and the guarantee breaks: the race is real. Runs on both databases; on SQLite through a
file database as a deployment has it (tests/concurrency/support.py)."""

import time
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from kosodate.familysupport.models import Activity, Offer, SupportRequest
from kosodate.familysupport.services import matching
from tests.familysupport import support

from .support import in_parallel, in_thread, sqlite_file_database

pytestmark = pytest.mark.django_db(transaction=True)

SUPPORTERS = 40


@contextmanager
def _without_lock(*querysets, using=None):
    """capacity_locked() minus the lock: PostgreSQL keeps the transaction but no SELECT … FOR
    UPDATE; SQLite (whose lock is the IMMEDIATE transaction itself) runs each statement alone."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            yield [list(qs.order_by("pk")) for qs in querysets]
    else:
        yield [list(qs.order_by("pk")) for qs in querysets]


@pytest.fixture(params=["locked", "unlocked"])
def lock_mode(request, monkeypatch):
    original = matching.request_dates

    def slow_dates(**kwargs):
        # Between reading the request's status and writing the match: let the rush overlap.
        time.sleep(0.05)
        return original(**kwargs)

    monkeypatch.setattr(matching, "request_dates", slow_dates)
    if request.param == "unlocked":
        monkeypatch.setattr(matching, "capacity_locked", _without_lock)
    return request.param


def test_forty_supporters_accept_at_once_exactly_one_wins(lock_mode, municipality):
    support.centre()
    family = support.family_member()
    profiles = [support.supporter() for _ in range(SUPPORTERS)]
    request = support.send_request(family)
    offers = {o.supporter_id: o.pk for o in Offer.objects.filter(request=request)}
    assert len(offers) == SUPPORTERS
    works = [
        (lambda p=p: matching.offer_accept(profile=p, offer_id=offers[p.pk])) for p in profiles
    ]
    with sqlite_file_database():
        results, errors = in_parallel(works)
        state = in_thread(
            lambda: (
                SupportRequest.objects.get(pk=request.pk).supporter_id,
                Activity.objects.filter(request_id=request.pk).count(),
                sorted(
                    Offer.objects.filter(request_id=request.pk).values_list("status", flat=True)
                ),
            )
        )
    supporter_id, activities, statuses = state
    winners = [p.pk for p, won in zip(profiles, results, strict=True) if won is True]
    holds = (
        not errors
        and len(winners) == 1
        and supporter_id == winners[0]
        and activities == 1
        and statuses == ["accepted"] + ["taken"] * (SUPPORTERS - 1)
    )
    if lock_mode == "locked":
        assert not errors, errors[:3]
        assert len(winners) == 1
        assert supporter_id == winners[0]
        assert activities == 1
        assert statuses == ["accepted"] + ["taken"] * (SUPPORTERS - 1)
    else:
        assert not holds, "without the lock the rush should have broken the guarantee"
