"""Ages and periods counted the way the law counts them. The ONE place in Kosodate that does date
arithmetic on ages or intervals (tests/core/test_no_age_arithmetic.py fails on any other).

Sources (all public):
  年齢計算ニ関スル法律 (ages count from the day of birth, by 民法143条), 民法143条 (a period of months
  or years ends the day before the corresponding day, or, when the last month has no such day, on
  the last day of that month), 学校教育法17条 (school entry and the end of primary school), MHLW
  事務連絡 平成26年3月11日「定期の予防接種における対象者の解釈について」 and the 定期接種実施要領
  (令和8年10月1日改正) for the vaccination wording.

The rules, numbered as in docs/immunisation.md (and issue 11):

1. 「生後n月に至った日」(also 「達した日」) is the day BEFORE the same day of the month n months
   after birth. Born 2013-04-01: 生後1月 = 04-30, 生後6月 = 09-30, 1歳 = 2014-03-31.
2. When that month has no such day, it is the LAST day of that month. Born 7/31: 生後2月 = 9/30;
   born 12/29, 12/30 or 12/31: 生後2月 = 2/28 in a common year.
3. 「n歳に達した日」 is the day before the nth birthday (= 生後12n月に至った日).
4. 「〜から」 starts ON the 至った日; 「〜に至るまで」「達するまで」「未満」 INCLUDE it. So the day before a
   birthday counts both as "n歳以上" and as "n歳未満".  (Predicates: `from_reached`,
   `until_reached`.)
5. 「生後n月に至った日の翌日」 is the n-month anniversary itself; for years, the birthday.
6. 出生W週D日後 is birth + (7W + D) days; both ends of such a range are inclusive.
7. 「N日以上の間隔をおいて」: the next dose is allowed on or after previous + (N+1) days (中N日).
8. 「M月以上の間隔をおいて」: on or after the same day of the month M months later; when that month
   has no such day, the M months end on its last day (rule 2), so from the 1st of the next month.

Everyday ages ("a child of 6 months", event and 一時預かり age limits) are *completed* months or
years on the day: the number of anniversaries (rule 5) on or before that day — `completed_months`.
Pure functions of `datetime.date`; no database, no clock."""

import calendar
from datetime import date, timedelta

__all__ = [
    "after_interval_days",
    "after_interval_months",
    "age_at",
    "birthday",
    "completed_months",
    "completed_years",
    "fiscal_year_end_turning",
    "fiscal_year_start_turning",
    "from_reached",
    "months_anniversary",
    "months_reached",
    "primary_school_end",
    "school_entry",
    "school_grade",
    "school_year",
    "until_reached",
    "weeks_days_after",
    "years_reached",
]

ONE_DAY = timedelta(days=1)


def _month_shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _corresponding_day(start: date, months: int) -> date | None:
    """The same day of the month `months` later, or None when that month has no such day."""
    year, month = _month_shift(start.year, start.month, months)
    if start.day > calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, start.day)


def _period_end(start: date, months: int) -> date:
    """民法143条 for a period of `months` counted from `start` inclusive (初日算入, as ages are):
    the day before the corresponding day, or the last day of a month that has none."""
    if months < 0:
        raise ValueError("a period cannot be negative")
    same = _corresponding_day(start, months)
    if same is not None:
        return same - ONE_DAY
    year, month = _month_shift(start.year, start.month, months)
    return date(year, month, calendar.monthrange(year, month)[1])


# --- The law's days (rules 1-6) ------------------------------------------------------------------
def months_reached(birth: date, months: int) -> date:
    """「生後n月に至った日」 (rules 1, 2): born 2013-04-01 → 生後1月 = 2013-04-30; born 7/31 →
    生後2月 = 9/30. `months_reached(birth, 0)` is the day before birth (so "from 生後0月" is
    from birth when read with rule 5)."""
    return _period_end(birth, months)


def years_reached(birth: date, years: int) -> date:
    """「n歳に達した日」 (rule 3): the day before the nth birthday. Born 2013-04-01 → 1歳 =
    2014-03-31; born 29 February → 28 February of a common year."""
    return _period_end(birth, 12 * years)


def months_anniversary(birth: date, months: int) -> date:
    """「生後n月に至った日の翌日」 (rule 5): the n-month anniversary. Born 1/31 → 1 month on 3/1
    (in 2/29 or 2/28 the child *reaches* one month, at the end of that day)."""
    return months_reached(birth, months) + ONE_DAY


def birthday(birth: date, years: int) -> date:
    """「n歳に達した日の翌日」 (rule 5): the nth birthday; born 29 February → 1 March in a
    common year."""
    return years_reached(birth, years) + ONE_DAY


def weeks_days_after(birth: date, weeks: int, days: int = 0) -> date:
    """「出生W週D日後」 (rule 6): birth + 7W + D days. Born 2020-08-01: 6週0日後 = 09-12,
    14週6日後 = 11-13."""
    return birth + timedelta(days=7 * weeks + days)


def from_reached(day: date, reached: date) -> bool:
    """Rule 4, 「〜から」: is `day` on or after the 至った日 `reached`?"""
    return day >= reached


def until_reached(day: date, reached: date) -> bool:
    """Rule 4, 「〜に至るまで」「〜未満」: is `day` on or before the 至った日 `reached` (inclusive)?"""
    return day <= reached


# --- Intervals between doses (rules 7-8) --------------------------------------------------------
def after_interval_days(previous: date, days: int) -> date:
    """「N日以上の間隔をおいて」 (rule 7): the first day allowed after a dose on `previous` is
    previous + N + 1 (中N日). 27日 → the same weekday four weeks later; 6日 → +7."""
    if days < 0:
        raise ValueError("an interval cannot be negative")
    return previous + timedelta(days=days + 1)


def after_interval_months(previous: date, months: int) -> date:
    """「M月以上の間隔をおいて」 (rule 8): the same day of the month M months later (5/1 + 3 →
    8/1); when that month has no such day, the 1st of the month after (11/30 + 3 → 3/1)."""
    return _period_end(previous, months) + ONE_DAY


# --- Everyday ages: completed months and years on a day -------------------------------------------
def completed_months(birth: date, on: date) -> int:
    """The child's age in completed months on the day `on`: how many monthly anniversaries
    (rule 5) fell on or before it. Born 1/31: 0 on 2/29, 1 on 3/1. 0 before birth."""
    if on < birth:
        return 0
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    if months_anniversary(birth, months) > on:
        months -= 1
    return months


def completed_years(birth: date, on: date) -> int:
    """The age in completed years on `on` (満年齢 on that day: the birthday counts)."""
    return completed_months(birth, on) // 12


def age_at(birth: date, on: date) -> tuple[int, int, int]:
    """(completed months, weeks, days) on `on`, for display: weeks and days since birth count the
    day of birth as day 0 (rule 6)."""
    days = (on - birth).days
    return completed_months(birth, on), days // 7, days % 7


# --- School and fiscal years (学校教育法17条) -------------------------------------------------------
def school_year(day: date) -> int:
    """The 年度 (school and fiscal year, April to March) that `day` is in, by its starting year."""
    return day.year if day.month >= 4 else day.year - 1


def school_entry(birth: date) -> date:
    """小学校就学の始期: the first 1 April after the day the child reaches 6 (満6歳に達した日の翌日
    以後における最初の学年の初め). Born 1 April 2020 → 2026-04-01; born 2 April 2020 → 2027-04-01."""
    after = birthday(birth, 6)
    return date(school_year(after) + (0 if after.month == 4 and after.day == 1 else 1), 4, 1)


def primary_school_end(birth: date) -> date:
    """The last day of primary school (小学校修了, the end of the school year in which the child
    reaches 12): 31 March, six school years after school entry."""
    return date(school_entry(birth).year + 6, 3, 31)


def school_grade(birth: date, on: date) -> int:
    """The school year the child is in on `on` by age: 1-6 primary (小1-小6), 7-9 junior high
    (中1-中3), ...; 0 in the year before school entry (年長), negative earlier."""
    return school_year(on) - school_entry(birth).year + 1


def fiscal_year_start_turning(birth: date, years: int) -> date:
    """「n歳となる日の属する年度の初日」: 1 April of the 年度 containing the day the child reaches
    `years` (rule 3). Born 1 April 2014: 12歳 on 2026-03-31 → 2025-04-01 (小6)."""
    return date(school_year(years_reached(birth, years)), 4, 1)


def fiscal_year_end_turning(birth: date, years: int) -> date:
    """「n歳となる日の属する年度の末日」: 31 March ending that 年度."""
    return date(school_year(years_reached(birth, years)) + 1, 3, 31)
