"""Japan's calendar of days off, one module for every service (一時預かり's closed days, 相談's
working hours, ファミサポ's holiday rate): the national holidays (国民の祝日, with 振替休日 and
国民の休日) from the `holidays` library, and 年末年始 as municipal offices keep it.

The library is imported when this module is, that is when the process starts (`holidays` loads
the tables of every country on its first use, 50–100 ms of CPU): a web process then pays it
with its other imports, not in the first family's request of the day, which, in a rush, is
answered while a row is locked. A year's table is built on its first use (well under a
millisecond) and kept."""

from datetime import date
from functools import lru_cache

from holidays import HolidayBase
from holidays.countries.japan import Japan


@lru_cache(maxsize=16)
def _japan(year: int, language: str) -> HolidayBase:
    return Japan(years=year, language=language)


def national_holiday(day: date, *, english: bool = False) -> str:
    """The holiday's name (振替休日 included), in Japanese or English, or "" on other days."""
    return _japan(day.year, "en_US" if english else "ja").get(day) or ""


def is_national_holiday(day: date) -> bool:
    return day in _japan(day.year, "ja")


def is_year_end(day: date) -> bool:
    """年末年始: 29 December to 3 January, as municipal offices close."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
