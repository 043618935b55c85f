"""core.holidays: Japan's national holidays (with 振替休日 and 国民の休日) and 年末年始, the one
calendar of days off that 一時預かり, 相談 and ファミサポ share."""

from datetime import date

import pytest

from kosodate.core.holidays import is_national_holiday, is_year_end, national_holiday


@pytest.mark.parametrize(
    ("day", "ja", "en"),
    [
        (date(2027, 1, 1), "元日", "New Year's Day"),
        (date(2026, 5, 4), "みどりの日", "Greenery Day"),
        (date(2027, 5, 3), "憲法記念日", "Constitution Day"),
        # 11 February 2029 is a Sunday: Monday the 12th is the 振替休日.
        (date(2029, 2, 12), "振替休日", "Substitute Holiday"),
        # 22 September 2026, between 敬老の日 (21st) and 秋分の日 (23rd): 国民の休日.
        (date(2026, 9, 22), "国民の休日", "National Holiday"),
    ],
)
def test_national_holidays_by_name(day, ja, en):
    assert national_holiday(day) == ja
    assert national_holiday(day, english=True) == en
    assert is_national_holiday(day)


def test_an_ordinary_day_is_no_holiday():
    assert national_holiday(date(2026, 12, 4)) == ""
    assert not is_national_holiday(date(2026, 12, 4))


@pytest.mark.parametrize(
    ("day", "closed"),
    [
        (date(2026, 12, 28), False),
        (date(2026, 12, 29), True),
        (date(2026, 12, 31), True),
        (date(2027, 1, 3), True),
        (date(2027, 1, 4), False),
    ],
)
def test_year_end_runs_from_29_december_to_3_january(day, closed):
    assert is_year_end(day) is closed
