"""ファミサポ: one supporter, one place at a time. A supporter offered two requests whose times
overlap (two families, two request rows, so the one-winner lock of each request does not meet the
other) presses "accept" on both at once, from two tabs. Exactly one is theirs; the other is refused
with the overlap's reason and leaves nothing behind. The supporter's row, locked after the
request's, is what serialises them: the "unlocked" variant (capacity_locked() without its locks)
shows the race is real. Runs on PostgreSQL and on SQLite (file database)."""

import time
from datetime import time as clock

import pytest
from django.core.exceptions import ValidationError

from kosodate.familysupport.models import Activity, Offer
from kosodate.familysupport.services import matching
from tests.familysupport import support

from .support import in_parallel, in_thread, sqlite_file_database
from .test_familysupport_accept import _without_lock

pytestmark = pytest.mark.django_db(transaction=True)

TRIES = 3


@pytest.fixture(params=["locked", "unlocked"])
def lock_mode(request, monkeypatch):
    original = matching.request_dates

    def slow_dates(**kwargs):
        # Between the overlap check's read and the activity's write: let the two accepts meet.
        time.sleep(0.1)
        return original(**kwargs)

    monkeypatch.setattr(matching, "request_dates", slow_dates)
    if request.param == "unlocked":
        monkeypatch.setattr(matching, "capacity_locked", _without_lock)
    return request.param


def _race(profile, day) -> tuple[list, list, int]:
    first = support.send_request(support.family_member(), first_date=day)  # 15:00–17:00
    second = support.send_request(
        support.family_member(), first_date=day, starts=clock(16), ends=clock(18)
    )
    offers = [Offer.objects.get(request=r, supporter=profile).pk for r in (first, second)]
    works = [(lambda pk=pk: matching.offer_accept(profile=profile, offer_id=pk)) for pk in offers]
    with sqlite_file_database():
        results, errors = in_parallel(works)
        activities = in_thread(
            lambda: Activity.objects.filter(supporter=profile, request__in=[first, second]).count()
        )
    return results, errors, activities


def test_two_overlapping_accepts_at_once_give_the_supporter_one(lock_mode, municipality):
    support.centre()
    profile = support.supporter()
    outcomes = []
    for n in range(TRIES):
        day = support.next_weekday(n % 7, after_days=2 + 7 * n)
        results, errors, activities = _race(profile, day)
        outcomes.append((results, errors, activities))
        if lock_mode == "locked":
            assert results.count(True) == 1, (results, errors)
            assert len(errors) == 1 and isinstance(errors[0], ValidationError)
            assert errors[0].code == "overlap"
            assert activities == 1
    if lock_mode == "unlocked":
        # Without the locks, at least one try gives the supporter both overlapping activities.
        assert any(activities == 2 for _results, _errors, activities in outcomes), outcomes
