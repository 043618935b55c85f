"""Ages as the 定期接種実施要領 counts them, from a birth date. Pure functions, no database.

An age in the schedule data is a short string, so a staff member can read and correct it:

    "2m"      2 months        "14w6d"  14 weeks 6 days     "7y6m"  7 years 6 months
    "S"       school entry (小学校就学の始期: the first 1 April on or after the 6th birthday)
    "S-1y"    one year before school entry
    "F12"     the first day (1 April) of the fiscal year in which the child turns 12

Two conventions, both from the law, and each function says which it uses:

* Years and months (年齢計算ニ関スル法律 + 民法143条): one *reaches* an age at the end of the day
  before the corresponding day, so on the corresponding day itself the child "has reached" it
  (生後2月に至った日 = the day two months after birth, e.g. born 10 Apr → 10 Jun). When the
  corresponding day does not exist (born 31 Jan, one month later), the period ends with the last
  day of that month, so the age is reached on the 1st of the next month (1 Mar).
  "…に至るまで" (until reaching) therefore ends the day BEFORE that date: "1歳に至るまで" is up to
  the day before the first birthday.
* Weeks and days (rotavirus: 出生6週0日後, 出生14週6日後): counted in days with the day of birth as
  day 0, the way the vaccine's package insert and the 実施要領 count them. So "15w" is the day of
  birth + 105 days, and "14w6d" (+104 days) is the last day a first dose may be given.

A mixed string ("1y2w") adds the calendar part first, then the days."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

_PART = re.compile(r"(\d+)([ymwd])")
_AGE = re.compile(r"^(?:(?P<anchor>S|F\d{1,2})(?P<sign>[+-])?)?(?P<rest>(?:\d+[ymwd])*)$")


class AgeFormatError(ValueError):
    pass


@dataclass(frozen=True)
class Age:
    """A parsed age: an optional anchor (school entry, fiscal year) then a signed offset."""

    anchor: str = ""  # "", "S" or "F<n>"
    sign: int = 1
    years: int = 0
    months: int = 0
    days: int = 0  # weeks are stored as days


def age_parse(text: str) -> Age:
    """Parse "2m", "14w6d", "S-1y", "F12"; AgeFormatError for anything else."""
    text = (text or "").strip().replace(" ", "")
    match = _AGE.match(text)
    if not text or match is None or (match["sign"] and not match["rest"]):
        raise AgeFormatError(text)
    rest = match["rest"]
    if not match["anchor"] and not rest:
        raise AgeFormatError(text)
    years = months = days = 0
    for number, unit in _PART.findall(rest):
        value = int(number)
        if unit == "y":
            years += value
        elif unit == "m":
            months += value
        elif unit == "w":
            days += 7 * value
        else:
            days += value
    return Age(
        anchor=match["anchor"] or "",
        sign=-1 if match["sign"] == "-" else 1,
        years=years,
        months=months,
        days=days,
    )


def _calendar_add(start: date, *, years: int = 0, months: int = 0, sign: int = 1) -> date:
    """The day an age in years/months is reached (民法143条: the corresponding day, or the day
    after the end of a month that has no corresponding day)."""
    if not years and not months:
        return start
    delta = relativedelta(years=sign * years, months=sign * months)
    shifted = start + delta
    if sign > 0 and shifted.day != start.day:
        # relativedelta clipped 31 Jan + 1 month to 28 Feb: the period ends with the end of
        # February, so the age is reached on 1 March.
        return shifted + timedelta(days=1)
    return shifted


def school_entry(birth: date) -> date:
    """小学校就学の始期 (学校教育法17条): the first school year starting after the day the child
    reaches 6. The child reaches 6 at the end of the day before the 6th birthday, so this is the
    first 1 April on or after the birthday — a child born on 1 April starts a year earlier than
    one born on 2 April."""
    birthday = _calendar_add(birth, years=6)
    start = date(birthday.year, 4, 1)
    return start if start >= birthday else date(birthday.year + 1, 4, 1)


def fiscal_year_start_turning(birth: date, years: int) -> date:
    """1 April of the fiscal year containing the day the child turns `years` ("…歳となる日の属する
    年度"). One turns an age on the day before the birthday (年齢計算ニ関スル法律)."""
    turns = _calendar_add(birth, years=years) - timedelta(days=1)
    return date(turns.year if turns.month >= 4 else turns.year - 1, 4, 1)


def age_reached(birth: date, age: Age | str) -> date:
    """The first day on which the child is `age` old (see the module docstring)."""
    if isinstance(age, str):
        age = age_parse(age)
    if age.anchor == "S":
        base = school_entry(birth)
    elif age.anchor.startswith("F"):
        base = fiscal_year_start_turning(birth, int(age.anchor[1:]))
    else:
        base = birth
    day = _calendar_add(base, years=age.years, months=age.months, sign=age.sign)
    return day + timedelta(days=age.sign * age.days)


def interval_end(start: date, interval: Age | str) -> date:
    """The first day that is `interval` after `start` ("27d" → start + 27 days, "6m" → the
    corresponding day six months later): a dose may be given on that day ("27日以上の間隔")."""
    if isinstance(interval, str):
        interval = age_parse(interval)
    if interval.anchor:
        raise AgeFormatError("an interval cannot have an anchor")
    day = _calendar_add(start, years=interval.years, months=interval.months)
    return day + timedelta(days=interval.days)


def age_at(birth: date, on: date) -> tuple[int, int, int]:
    """(months, weeks, days) old on `on`, for display: whole months by the legal convention,
    and the weeks and days since birth (day of birth = day 0)."""
    months = 0
    while age_reached(birth, Age(months=months + 1)) <= on:
        months += 1
    days = (on - birth).days
    return months, days // 7, days % 7
