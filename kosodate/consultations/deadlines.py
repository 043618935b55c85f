"""Response-time deadlines counted in the service's working hours: only the hours between the
working day's start and end, on days the service is open (no weekends, national holidays or 年末年始
when the municipality's rules say so)."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from kosodate.core.holidays import is_national_holiday, is_year_end

# A deadline is never further than this many calendar days away, whatever the rules (a guard
# against rules that would close every day).
MAX_DAYS = 400


def is_working_day(day: date, rules) -> bool:
    if rules.closed_saturday and day.weekday() == 5:
        return False
    if rules.closed_sunday and day.weekday() == 6:
        return False
    if rules.closed_holidays and is_national_holiday(day):
        return False
    return not (rules.closed_year_end and is_year_end(day))


def working_deadline(start: datetime, rules, *, hours: int | None = None) -> datetime:
    """The moment `hours` working hours (by default the first-answer target) after `start`."""
    remaining = timedelta(hours=rules.first_answer_working_hours if hours is None else hours)
    tz = timezone.get_current_timezone()
    local = timezone.localtime(start, tz)
    day = local.date()
    for _ in range(MAX_DAYS):
        if is_working_day(day, rules):
            opens = datetime.combine(day, rules.working_day_starts, tz)
            closes = datetime.combine(day, rules.working_day_ends, tz)
            begin = max(opens, local)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("The consultation rules leave no working day within a year.")
