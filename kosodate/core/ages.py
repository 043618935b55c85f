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
import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "TermError",
    "after_interval_days",
    "after_interval_months",
    "age_at",
    "birthday",
    "completed_months",
    "completed_years",
    "earliest_birth_under",
    "fiscal_year_end_turning",
    "fiscal_year_start_turning",
    "from_reached",
    "interval_day",
    "interval_wording",
    "latest_birth_reaching",
    "months_anniversary",
    "months_reached",
    "primary_school_end",
    "school_entry",
    "school_grade",
    "school_year",
    "term_day",
    "term_parse",
    "term_wording",
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


def earliest_birth_under(on: date, years: int) -> date:
    """The earliest birth date of a child who has not yet completed `years` on `on` (whose
    `years`th birthday is after `on`): "children under 18" are those born on or after it."""
    birth = date(on.year - years, on.month, 1) - timedelta(days=3)
    while birthday(birth, years) <= on:
        birth += ONE_DAY
    return birth


def latest_birth_reached_years(on: date, years: int) -> date:
    """The latest birth date of a child who has reached `years` (「n歳に達した」, rule 3: the day
    before the birthday) on or before `on`: "children who have turned 6" are those born on or
    before it. Born 29 February counts like everyone else, through `years_reached`."""
    birth = date(on.year - years, on.month, 1) + timedelta(days=35)
    while years_reached(birth, years) > on:
        birth -= ONE_DAY
    return birth


def latest_birth_reaching(on: date, text: str) -> date:
    """The latest birth date of a child for whom the day term `text` ("3m", "1y+") falls on or
    before `on` (for choosing who a checkup session is for)."""
    birth = on
    while term_day(birth, text) > on:
        birth -= timedelta(days=28)
    while term_day(birth + ONE_DAY, text) <= on:
        birth += ONE_DAY
    return birth


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


# --- Rules as data: terms that say which convention they use ------------------------------------
# A schedule row (or a checkup) names its boundaries with short terms, each of which is one
# wording of the law, so a row states its convention and staff can read it back:
#
#   day terms (a day in the child's life)            as a start ("…から") / as an end ("…まで")
#   "2m"     生後2月に至った日 (rules 1-2)             生後2月に至った日から / 生後2月に至るまで
#   "7m+"    生後7月に至った日の翌日 (rule 5)          生後7月に至った日の翌日から / …の翌日まで
#   "1y"     1歳に達した日 (rule 3)                    1歳に達した日から / 1歳に達するまで
#   "15y+"   15歳に達した日の翌日 (the birthday)       15歳に達した日の翌日から / …
#   "6w0d"   出生6週0日後 (rule 6; "0d" is birth)      出生6週0日後から / 出生6週0日後まで
#   "S", "S-1y", "S-1d"  小学校就学の始期, 1年前の日, 前日
#   "F12", "F16end"      12歳となる日の属する年度の初日, 16歳となる日の属する年度の末日
#
#   interval terms (after a previous dose)          as a minimum / as a recommended maximum
#   "27d"    27日以上の間隔をおいて (rule 7: +28)      27日以上の間隔 / 56日までの間隔 (+57)
#   "6m"     6月以上の間隔をおいて (rule 8)            6月以上の間隔 / 13月までの間隔
#
# Every end is inclusive: the term names the last day (rule 4).

_DAY_TERM = re.compile(
    r"^(?:(?P<n>\d{1,3})(?P<unit>[my])(?P<next>\+)?"
    r"|(?=\d)(?:(?P<w>\d{1,3})w)?(?:(?P<d>\d{1,4})d)?"
    r"|S(?:-(?P<s_n>\d{1,2})(?P<s_unit>[yd]))?"
    r"|F(?P<f>\d{1,2})(?P<f_end>end)?)$"
)
_INTERVAL_TERM = re.compile(r"^(?P<n>\d{1,4})(?P<unit>[dm])$")


class TermError(ValueError):
    """A term that is not one of the law's wordings above."""


@dataclass(frozen=True)
class Term:
    kind: str  # "months", "years", "days", "school", "fiscal"
    n: int = 0
    next_day: bool = False  # 「…の翌日」
    before: int = 0  # school: years or days before school entry
    before_unit: str = ""  # "y" or "d"
    end: bool = False  # fiscal: 年度の末日 instead of 初日


def term_parse(text: str) -> Term:
    """Parse a day term ("2m", "7m+", "1y", "14w6d", "S-1y", "F16end"); TermError otherwise."""
    match = _DAY_TERM.match((text or "").strip())
    if match is None or not (text or "").strip():
        raise TermError(text)
    if match["unit"]:
        kind = "months" if match["unit"] == "m" else "years"
        return Term(kind=kind, n=int(match["n"]), next_day=bool(match["next"]))
    if match["f"]:
        return Term(kind="fiscal", n=int(match["f"]), end=bool(match["f_end"]))
    if text.strip().startswith("S"):
        return Term(kind="school", before=int(match["s_n"] or 0), before_unit=match["s_unit"] or "")
    return Term(kind="days", n=7 * int(match["w"] or 0) + int(match["d"] or 0))


def term_day(birth: date, text: str | Term) -> date:
    """The day a term names for a child born on `birth`."""
    term = term_parse(text) if isinstance(text, str) else text
    if term.kind == "months":
        day = months_reached(birth, term.n)
    elif term.kind == "years":
        day = years_reached(birth, term.n)
    elif term.kind == "days":
        return weeks_days_after(birth, 0, term.n)
    elif term.kind == "fiscal":
        return (fiscal_year_end_turning if term.end else fiscal_year_start_turning)(birth, term.n)
    else:
        entry = school_entry(birth)
        if term.before_unit == "y":
            return date(entry.year - term.before, 4, 1)
        return entry - timedelta(days=term.before)
    return day + ONE_DAY if term.next_day else day


def term_wording(text: str, *, end: bool = False) -> str:
    """The law's wording of a day term, as a start (「…から」) or an end (「…まで」)."""
    term = term_parse(text)
    if term.kind == "months":
        if term.next_day:
            core = f"生後{term.n}月に至った日の翌日"
        else:
            return f"生後{term.n}月に至るまで" if end else f"生後{term.n}月に至った日から"
    elif term.kind == "years":
        if term.next_day:
            core = f"{term.n}歳に達した日の翌日"
        else:
            return f"{term.n}歳に達するまで" if end else f"{term.n}歳に達した日から"
    elif term.kind == "days":
        weeks, days = divmod(term.n, 7)
        core = f"出生{weeks}週{days}日後" if term.n else "出生の日"
    elif term.kind == "fiscal":
        core = f"{term.n}歳となる日の属する年度の{'末日' if term.end else '初日'}"
    elif term.before_unit == "y":
        core = f"小学校就学の始期に達する日の{term.before}年前の日"
    elif term.before_unit == "d":
        core = "小学校就学の始期に達する日の" + (
            "前日" if term.before == 1 else f"{term.before}日前の日"
        )
    else:
        core = "小学校就学の始期"
    return core + ("まで" if end else "から")


def _interval_parse(text: str) -> tuple[int, str]:
    match = _INTERVAL_TERM.match((text or "").strip())
    if match is None:
        raise TermError(text)
    return int(match["n"]), match["unit"]


def interval_day(previous: date, text: str) -> date:
    """The day an interval term gives after a dose on `previous`: "27d" (27日の間隔) →
    previous + 28 (rule 7), "6m" → the same day six months later (rule 8). As a minimum it is
    the first day allowed; as a recommended maximum ("56日までの間隔") the last day."""
    n, unit = _interval_parse(text)
    return after_interval_days(previous, n) if unit == "d" else after_interval_months(previous, n)


def interval_wording(text: str, *, end: bool = False) -> str:
    """「27日以上の間隔をおいて」 as a minimum, 「56日までの間隔」 as a maximum."""
    n, unit = _interval_parse(text)
    amount = f"{n}日" if unit == "d" else f"{n}月"
    return f"{amount}までの間隔" if end else f"{amount}以上の間隔をおいて"
