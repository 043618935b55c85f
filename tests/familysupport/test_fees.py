"""Fees from the centre's rules: 30-minute steps with the first hour in full, weekday / weekend /
early-late rates, siblings, and the cancellation charges (issue 14 items 7 and 8)."""

from datetime import date, time

import pytest

from kosodate.familysupport import fees
from kosodate.familysupport.models import CentreRules

TUESDAY = date(2026, 12, 8)
SATURDAY = date(2026, 12, 12)
HOLIDAY = date(2026, 11, 23)  # 勤労感謝の日, a Monday


@pytest.fixture
def rules():
    return CentreRules(weekday_rate=700, weekend_rate=900, early_late_rate=960)


@pytest.mark.parametrize(
    ("starts", "ends", "expected"),
    [
        (time(10, 0), time(10, 20), 700),  # under an hour: the first hour in full
        (time(10, 0), time(11, 0), 700),
        (time(10, 0), time(11, 1), 1050),  # 61 minutes: one more 30-minute step
        (time(10, 0), time(11, 30), 1050),
        (time(10, 0), time(12, 0), 1400),
    ],
)
def test_weekday_steps_with_the_first_hour_in_full(rules, starts, ends, expected):
    assert fees.care_fee(rules, day=TUESDAY, starts=starts, ends=ends) == expected


def test_weekend_and_holiday_rate(rules):
    assert fees.care_fee(rules, day=SATURDAY, starts=time(10), ends=time(12)) == 1800
    assert fees.care_fee(rules, day=HOLIDAY, starts=time(10), ends=time(11)) == 900


def test_early_and_late_steps_at_their_own_rate(rules):
    # 18:30–19:30: one step at the weekday rate, one at the late rate.
    assert fees.care_fee(rules, day=TUESDAY, starts=time(18, 30), ends=time(19, 30)) == 350 + 480
    assert fees.care_fee(rules, day=TUESDAY, starts=time(7, 0), ends=time(8, 0)) == 960


def test_siblings_at_the_rules_percent(rules):
    rules.sibling_percent = 50
    assert fees.care_fee(rules, day=TUESDAY, starts=time(10), ends=time(11), children=3) == 1400


def test_cancellation_free_until_the_day_before_then_one_hour(rules):
    args = {"day": TUESDAY, "starts": time(10), "ends": time(13), "children": 1}
    assert fees.cancellation_fee(rules, today=date(2026, 12, 7), **args) == 0
    assert fees.cancellation_fee(rules, today=TUESDAY, **args) == 700
    assert fees.no_show_fee(rules, **args) == 2100


def test_cancellation_rules_are_data(rules):
    rules.free_cancel_days_before = 2
    rules.same_day_cancel_minutes = 120
    args = {"day": TUESDAY, "starts": time(10), "ends": time(13), "children": 1}
    assert fees.cancellation_fee(rules, today=date(2026, 12, 7), **args) == 1400
    rules.no_show_full = False
    assert fees.no_show_fee(rules, **args) == 0
