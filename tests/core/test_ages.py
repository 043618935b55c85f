"""The law's counting rules (kosodate/core/ages.py), as table tests from the worked examples of
issue 11 and the MHLW texts, and as properties over every birth date from 2020 to 2030."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kosodate.core import ages

D = date


@pytest.mark.parametrize(
    ("birth", "months", "reached"),
    [
        # Rule 1: the day before the same day n months later (事務連絡 H26.3.11's example).
        (D(2013, 4, 1), 1, D(2013, 4, 30)),
        (D(2013, 4, 1), 3, D(2013, 6, 30)),
        (D(2013, 4, 1), 6, D(2013, 9, 30)),
        (D(2013, 4, 1), 12, D(2014, 3, 31)),
        (D(2024, 4, 10), 2, D(2024, 6, 9)),
        # Rule 2: no such day in that month → its last day.
        (D(2020, 7, 31), 2, D(2020, 9, 30)),
        (D(2022, 12, 29), 2, D(2023, 2, 28)),
        (D(2022, 12, 30), 2, D(2023, 2, 28)),
        (D(2022, 12, 31), 2, D(2023, 2, 28)),
        (D(2023, 12, 30), 2, D(2024, 2, 29)),
        (D(2023, 12, 29), 2, D(2024, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2020, 1, 31), 1, D(2020, 2, 29)),
        (D(2021, 1, 31), 1, D(2021, 2, 28)),
        (D(2024, 8, 31), 1, D(2024, 9, 30)),
        (D(2024, 1, 1), 1, D(2024, 1, 31)),
        (D(2024, 3, 1), 1, D(2024, 3, 31)),
        (D(2024, 3, 1), 0, D(2024, 2, 29)),
    ],
)
def test_months_reached_rules_1_and_2(birth, months, reached):
    assert ages.months_reached(birth, months) == reached
    # Rule 5: its next day is the anniversary.
    assert ages.months_anniversary(birth, months) == reached + timedelta(days=1)


@pytest.mark.parametrize(
    ("birth", "years", "reached", "anniversary"),
    [
        (D(2013, 4, 1), 1, D(2014, 3, 31), D(2014, 4, 1)),
        (D(2020, 2, 29), 1, D(2021, 2, 28), D(2021, 3, 1)),
        (D(2020, 2, 29), 4, D(2024, 2, 28), D(2024, 2, 29)),
        (D(2020, 3, 1), 1, D(2021, 2, 28), D(2021, 3, 1)),
        (D(2020, 12, 31), 6, D(2026, 12, 30), D(2026, 12, 31)),
    ],
)
def test_years_reached_is_the_day_before_the_birthday_rule_3(birth, years, reached, anniversary):
    assert ages.years_reached(birth, years) == reached
    assert ages.birthday(birth, years) == anniversary


def test_from_and_until_both_include_the_day_reached_rule_4():
    birth = D(2013, 4, 1)
    reached = ages.years_reached(birth, 1)  # 2014-03-31
    assert ages.from_reached(reached, reached) and ages.until_reached(reached, reached)
    assert not ages.from_reached(reached - timedelta(days=1), reached)
    assert not ages.until_reached(reached + timedelta(days=1), reached)


@pytest.mark.parametrize(
    ("weeks", "days", "expected"),
    [
        (6, 0, D(2020, 9, 12)),
        (14, 6, D(2020, 11, 13)),
        (24, 0, D(2021, 1, 16)),
        (32, 0, D(2021, 3, 13)),
    ],
)
def test_weeks_and_days_after_birth_rule_6(weeks, days, expected):
    birth = D(2020, 8, 1)
    assert ages.weeks_days_after(birth, weeks, days) == expected
    assert (expected - birth).days == 7 * weeks + days


@pytest.mark.parametrize(("days", "plus"), [(6, 7), (20, 21), (27, 28), (60, 61), (139, 140)])
def test_interval_of_n_days_is_n_plus_one_rule_7(days, plus):
    previous = D(2024, 5, 1)
    assert ages.after_interval_days(previous, days) == previous + timedelta(days=plus)


def test_interval_of_27_days_is_the_same_weekday_four_weeks_later_rule_7():
    previous = D(2024, 5, 1)
    allowed = ages.after_interval_days(previous, 27)
    assert allowed.weekday() == previous.weekday() and (allowed - previous).days == 28


@pytest.mark.parametrize(
    ("previous", "months", "allowed"),
    [
        (D(2024, 5, 1), 3, D(2024, 8, 1)),
        (D(2024, 4, 10), 6, D(2024, 10, 10)),
        (D(2024, 11, 30), 3, D(2025, 3, 1)),  # no 30 February: the 3 months end on 2/28
        (D(2023, 11, 29), 3, D(2024, 2, 29)),
        (D(2024, 8, 31), 1, D(2024, 10, 1)),
    ],
)
def test_interval_of_m_months_is_the_same_day_rule_8(previous, months, allowed):
    assert ages.after_interval_months(previous, months) == allowed


@pytest.mark.parametrize(
    ("birth", "on", "months"),
    [
        (D(2024, 1, 31), D(2024, 2, 29), 0),  # reaches 1 month at the end of 2/29
        (D(2024, 1, 31), D(2024, 3, 1), 1),
        (D(2024, 1, 31), D(2024, 3, 30), 1),
        (D(2024, 1, 31), D(2024, 3, 31), 2),
        (D(2024, 4, 10), D(2024, 5, 9), 0),
        (D(2024, 4, 10), D(2024, 5, 10), 1),
        (D(2024, 4, 10), D(2024, 4, 10), 0),
        (D(2024, 4, 10), D(2024, 4, 9), 0),
        (D(2020, 2, 29), D(2021, 2, 28), 11),
        (D(2020, 2, 29), D(2021, 3, 1), 12),
    ],
)
def test_completed_months_counts_anniversaries(birth, on, months):
    assert ages.completed_months(birth, on) == months


def test_completed_years():
    assert ages.completed_years(D(2020, 4, 2), D(2026, 4, 1)) == 5
    assert ages.completed_years(D(2020, 4, 2), D(2026, 4, 2)) == 6
    assert ages.completed_years(D(2020, 2, 29), D(2024, 2, 29)) == 4


@pytest.mark.parametrize(
    ("birth", "entry", "end"),
    [
        (D(2020, 4, 1), D(2026, 4, 1), D(2032, 3, 31)),  # 早生まれ: reaches 6 on 3/31
        (D(2020, 4, 2), D(2027, 4, 1), D(2033, 3, 31)),
        (D(2020, 2, 29), D(2026, 4, 1), D(2032, 3, 31)),
        (D(2020, 12, 31), D(2027, 4, 1), D(2033, 3, 31)),
        (D(2021, 3, 31), D(2027, 4, 1), D(2033, 3, 31)),
    ],
)
def test_school_entry_and_end_of_primary_school(birth, entry, end):
    assert ages.school_entry(birth) == entry
    assert ages.primary_school_end(birth) == end
    assert ages.school_grade(birth, entry) == 1
    assert ages.school_grade(birth, end) == 6
    assert ages.school_grade(birth, end + timedelta(days=1)) == 7
    assert ages.school_grade(birth, entry - timedelta(days=1)) == 0


def test_fiscal_year_turning_uses_the_day_the_age_is_reached():
    # HPV: 12歳となる日の属する年度の初日 — born 1 April reaches 12 on 31 March (小6's year).
    assert ages.fiscal_year_start_turning(D(2014, 4, 1), 12) == D(2025, 4, 1)
    assert ages.fiscal_year_start_turning(D(2014, 4, 2), 12) == D(2026, 4, 1)
    assert ages.fiscal_year_end_turning(D(2014, 4, 2), 16) == D(2031, 3, 31)


def test_age_at_counts_weeks_from_day_zero():
    assert ages.age_at(D(2020, 8, 1), D(2020, 11, 13)) == (3, 14, 6)


def test_negative_periods_are_refused():
    with pytest.raises(ValueError):
        ages.months_reached(D(2020, 1, 1), -1)
    with pytest.raises(ValueError):
        ages.after_interval_days(D(2020, 1, 1), -1)


# --- Properties over every birth date from 2020 to 2030 ------------------------------------------
births = st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31))
month_counts = st.integers(min_value=0, max_value=240)


@given(birth=births, n=month_counts)
def test_n_month_date_is_never_after_the_anniversary(birth, n):
    reached = ages.months_reached(birth, n)
    anniversary = ages.months_anniversary(birth, n)
    assert reached < anniversary
    # and it is in the right month: the nth month after birth, or the last day before it.
    same_or_next = (birth.year * 12 + birth.month - 1 + n) - (reached.year * 12 + reached.month - 1)
    assert same_or_next in (0, 1)


@given(birth=births, n=st.integers(min_value=0, max_value=239))
def test_consecutive_month_bands_neither_overlap_nor_leave_a_gap(birth, n):
    # A band "from 生後n月に至った日の翌日 until 生後(n+1)月に至るまで" and the next one.
    band_end = ages.months_reached(birth, n + 1)
    next_band_start = ages.months_anniversary(birth, n + 1)
    assert next_band_start - band_end == timedelta(days=1)
    assert ages.months_anniversary(birth, n) <= band_end


@given(birth=births, n=month_counts)
def test_completed_months_changes_exactly_on_the_anniversary(birth, n):
    anniversary = ages.months_anniversary(birth, n)
    assert ages.completed_months(birth, anniversary) == n
    if n:
        assert ages.completed_months(birth, anniversary - timedelta(days=1)) == n - 1


@given(previous=births, n=st.integers(min_value=0, max_value=400), days_before=st.integers(1, 400))
def test_interval_of_n_days_is_never_allowed_before_n_plus_one(previous, n, days_before):
    allowed = ages.after_interval_days(previous, n)
    assert allowed == previous + timedelta(days=n + 1)
    assert (allowed - timedelta(days=days_before) - previous).days < n + 1


@given(previous=births, m=st.integers(min_value=1, max_value=60))
def test_interval_of_m_months_is_at_least_m_months(previous, m):
    allowed = ages.after_interval_months(previous, m)
    assert ages.completed_months(previous, allowed) == m
    assert ages.completed_months(previous, allowed - timedelta(days=1)) == m - 1


@given(birth=births)
def test_school_entry_is_the_first_april_after_reaching_six(birth):
    entry = ages.school_entry(birth)
    assert (entry.month, entry.day) == (4, 1)
    assert entry > ages.years_reached(birth, 6)
    assert date(entry.year - 1, 4, 1) <= ages.years_reached(birth, 6)


@given(on=st.dates(min_value=D(2026, 1, 1), max_value=D(2040, 12, 31)), years=st.integers(1, 20))
def test_latest_birth_reached_years_is_the_boundary_of_years_reached(on, years):
    # Retention ("until the child turns 6") filters births in the database by this one day.
    latest = ages.latest_birth_reached_years(on, years)
    assert ages.years_reached(latest, years) <= on
    assert ages.years_reached(latest + timedelta(days=1), years) > on


def test_latest_birth_reached_years_counts_the_day_before_the_birthday():
    # Born 2020-12-06: 6歳に達する on 2026-12-05 (the day before the birthday), not on the 6th.
    assert ages.latest_birth_reached_years(D(2026, 12, 5), 6) == D(2020, 12, 6)
    # Born 29 February 2020 reaches 6 on 2026-02-28 (the day before its "birthday", 1 March).
    assert ages.years_reached(D(2020, 2, 29), 6) <= D(2026, 2, 28)
    assert ages.latest_birth_reached_years(D(2026, 2, 28), 6) >= D(2020, 2, 29)
