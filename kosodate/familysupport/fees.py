"""Fees from the centre's rules (CentreRules): billed in steps (30 minutes) with the first period
(one hour) in full, each step at the weekday, weekend/holiday or early/late hourly rate, a share of
the fee for each further child, transport at cost; and cancellation charges. Pure functions."""

import math
from datetime import date, datetime, time, timedelta

from kosodate.core.holidays import is_national_holiday

from .models import CentreRules


def is_weekend_or_holiday(day: date) -> bool:
    return day.weekday() >= 5 or is_national_holiday(day)


def _minutes(starts: time, ends: time) -> int:
    return (ends.hour * 60 + ends.minute) - (starts.hour * 60 + starts.minute)


def billed_minutes(rules: CentreRules, starts: time, ends: time) -> int:
    """The minutes billed: whole steps, and never less than the first period."""
    minutes = max(0, _minutes(starts, ends))
    steps = math.ceil(minutes / rules.step_minutes) * rules.step_minutes
    return max(rules.minimum_minutes, steps)


def _step_rate(rules: CentreRules, day: date, at: time) -> int:
    rate = rules.weekday_rate
    if is_weekend_or_holiday(day):
        rate = max(rate, rules.weekend_rate)
    if at < rules.early_until or at >= rules.late_from:
        rate = max(rate, rules.early_late_rate)
    return rate


def care_fee(
    rules: CentreRules, *, day: date, starts: time, ends: time, children: int = 1, minutes=None
) -> int:
    """The fee in yen for care from `starts` to `ends` on `day` (or for `minutes` billed from
    `starts`), for `children` children: each step at its own rate, further children at
    rules.sibling_percent of the one child's fee."""
    billed = billed_minutes(rules, starts, ends) if minutes is None else minutes
    at = datetime.combine(day, starts)
    one_child = 0
    for _step in range(0, billed, rules.step_minutes):
        one_child += _step_rate(rules, day, at.time()) * rules.step_minutes
        at += timedelta(minutes=rules.step_minutes)
    one_child = one_child // 60
    further = max(0, children - 1) * one_child * rules.sibling_percent // 100
    return one_child + further


def cancellation_fee(
    rules: CentreRules, *, day: date, starts: time, ends: time, children: int, today: date
) -> int:
    """What cancelling costs the family: nothing until rules.free_cancel_days_before days before,
    then rules.same_day_cancel_minutes of fee."""
    if (day - today).days >= rules.free_cancel_days_before:
        return 0
    return care_fee(
        rules,
        day=day,
        starts=starts,
        ends=ends,
        children=children,
        minutes=rules.same_day_cancel_minutes,
    )


def no_show_fee(rules: CentreRules, *, day: date, starts: time, ends: time, children: int) -> int:
    """A no-show pays the full booked time (when the rules say so)."""
    if not rules.no_show_full:
        return 0
    return care_fee(rules, day=day, starts=starts, ends=ends, children=children)
