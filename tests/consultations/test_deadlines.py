"""First-answer deadlines in working hours (issue 15 item 11): only 9:00–17:00 on working days
count; weekends, national holidays and 年末年始 do not."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from kosodate.consultations.deadlines import is_working_day, working_deadline
from kosodate.consultations.models import ConsultationRules

TOKYO = ZoneInfo("Asia/Tokyo")


def at(*args):
    return datetime(*args, tzinfo=TOKYO)


@pytest.fixture
def rules():
    return ConsultationRules()  # the defaults: 8 working hours of 9:00–17:00


@pytest.mark.parametrize(
    ("asked", "due"),
    [
        # Friday evening: nothing counts until Monday 9:00, answered by Monday 17:00.
        (at(2026, 12, 4, 19, 30), at(2026, 12, 7, 17, 0)),
        # Friday afternoon: two hours on Friday, six on Monday.
        (at(2026, 12, 4, 15, 0), at(2026, 12, 7, 15, 0)),
        # Saturday and Sunday count for nothing.
        (at(2026, 12, 5, 10, 0), at(2026, 12, 7, 17, 0)),
        # A weekday morning before opening: the same day's end.
        (at(2026, 12, 8, 7, 0), at(2026, 12, 8, 17, 0)),
        # 年末年始: asked on 28 December (Monday) afternoon, the office is closed from the 29th
        # to 3 January, and 2027-01-04 is a Monday.
        (at(2026, 12, 28, 16, 0), at(2027, 1, 4, 16, 0)),
        (at(2026, 12, 30, 10, 0), at(2027, 1, 4, 17, 0)),
        # 成人の日 (2027-01-11, Monday) is a national holiday.
        (at(2027, 1, 8, 18, 0), at(2027, 1, 12, 17, 0)),
    ],
)
def test_deadline(rules, asked, due):
    assert working_deadline(asked, rules) == due


def test_twenty_four_working_hours_span_three_working_days(rules):
    assert working_deadline(at(2026, 12, 4, 19, 0), rules, hours=24) == at(2026, 12, 9, 17, 0)


def test_rules_are_data(rules):
    rules.closed_year_end = False
    rules.working_day_starts, rules.working_day_ends = time(10, 0), time(20, 0)
    assert is_working_day(at(2026, 12, 29).date(), rules)
    assert working_deadline(at(2026, 12, 28, 19, 0), rules) == at(2026, 12, 29, 17, 0)
