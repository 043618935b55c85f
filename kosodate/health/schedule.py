"""The immunisation schedule engine: pure functions from a birth date, the doses a family ticked
off and the rule rows (kosodate/health/data/schedule_ja.json, loaded into ScheduleRule) to what
each vaccine needs next. No database, no clock: `today` is an argument, so every case is a test.

How the rows say it (each row is one dose of one "plan"):

* A plan is chosen by the child's age at the FIRST dose (band_from ≤ age < band_before). That is
  how the 定期接種実施要領 lowers the number of doses when a series starts late (小児用肺炎球菌:
  started at 7–11 months → 2 primary + 1 booster; 12–23 months → 2; 24–59 months → 1). Before a
  first dose, the plan is the one for the child's age today.
* A dose may be given from max(earliest_age, last dose + min_interval) and up to the day before
  last_before (the legal limit, "…に至るまで"). After that a dose marked skip_when_late is simply
  left out (pneumococcal primaries not done by 24 months: go on to the booster); any other
  missed dose ends the series: "no longer eligible" (at the family's own cost from then on).
* The recommended window (標準的な接種期間) is rec_from..rec_before by age and/or
  rec_interval_from..rec_interval_before after the previous dose.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from .ages import Age, age_parse, age_reached, interval_end

# "Coming up": a window that opens within this many days is shown as coming up; later ones as
# "later" (still on the timeline, but not shouting).
COMING_UP_DAYS = 30


class Status(StrEnum):
    DUE = "due"  # in the recommended window now
    COMING_UP = "coming_up"  # the window opens within COMING_UP_DAYS
    LATER = "later"  # further ahead
    OVERDUE = "overdue"  # past the recommended window, still free (legal) until `last_date`
    NOT_ELIGIBLE = "not_eligible"  # the legal limit has passed (or was never reachable)
    COMPLETE = "complete"  # every dose of the plan is given
    CHECK = "check"  # the doses given do not fit any plan: ask the doctor


@dataclass(frozen=True)
class DoseRule:
    """One row of the schedule data (see ScheduleRule for the meaning of each field)."""

    vaccine: str
    dose_number: int
    label: str = ""
    label_en: str = ""
    band_from: str = ""
    band_before: str = ""
    earliest_age: str = ""
    last_before: str = ""
    rec_from: str = ""
    rec_before: str = ""
    min_interval: str = ""
    interval_from_dose: int | None = None  # 1-based dose the interval counts from; None: previous
    rec_interval_from: str = ""
    rec_interval_before: str = ""
    skip_when_late: bool = False
    source: str = ""
    pk: int | None = None


@dataclass(frozen=True)
class VaccineInfo:
    code: str
    name: str
    group: str = ""  # vaccines sharing a group are alternatives (rotavirus 1-valent / 5-valent)
    sex: str = ""  # "female": only for girls (HPV)
    order: int = 0
    only_if_started: bool = False  # an older route (四種混合 + Hib): shown once a dose is recorded


@dataclass
class VaccineSchedule:
    """What one vaccine needs now, for one child."""

    vaccine: VaccineInfo
    status: Status
    doses_given: list[date]
    plan_size: int = 0  # doses in the plan that applies (after the catch-up rule)
    next_rule: DoseRule | None = None
    earliest: date | None = None  # the first day the next dose may be given
    rec_from: date | None = None  # the recommended window of the next dose
    rec_until: date | None = None  # (inclusive)
    last_date: date | None = None  # the last day the next dose is free (legal limit, inclusive)
    skipped: list[int] = field(default_factory=list)  # dose numbers left out (skip_when_late)
    plan_rules: list[DoseRule] = field(default_factory=list)

    @property
    def next_dose_number(self) -> int | None:
        return self.next_rule.dose_number if self.next_rule else None


def _reached(birth: date, text: str) -> date | None:
    return age_reached(birth, text) if text else None


def _in_band(birth: date, on: date, rule: DoseRule) -> bool:
    start = _reached(birth, rule.band_from)
    end = _reached(birth, rule.band_before)
    return (start is None or on >= start) and (end is None or on < end)


def plans_by_band(rules: Iterable[DoseRule]) -> list[list[DoseRule]]:
    """The vaccine's plans: rows grouped by band, each sorted by dose number."""
    plans: dict[tuple[str, str], list[DoseRule]] = {}
    for rule in rules:
        plans.setdefault((rule.band_from, rule.band_before), []).append(rule)
    return [sorted(plan, key=lambda r: r.dose_number) for plan in plans.values()]


def plan_for(birth: date, first_dose_on: date, rules: Iterable[DoseRule]) -> list[DoseRule]:
    """The plan that applies when the first dose is (or was) given on `first_dose_on`, or [] if
    that day is in no plan's band."""
    for plan in plans_by_band(rules):
        if _in_band(birth, first_dose_on, plan[0]):
            return plan
    return []


def _starting_plan(birth: date, today: date, rules: Sequence[DoseRule]) -> list[DoseRule]:
    """Before any dose: the plan for today's age, or the earliest plan if the child is too
    young for every band."""
    plan = plan_for(birth, today, rules)
    if plan:
        return plan
    plans = sorted(plans_by_band(rules), key=lambda p: _reached(birth, p[0].band_from) or birth)
    first = plans[0] if plans else []
    if first and (_reached(birth, first[0].band_from) or birth) > today:
        return first
    return []


def _last_first_dose_date(birth: date, rules: Sequence[DoseRule]) -> date | None:
    """The last day any plan still lets a series start (for "free until …" before dose 1)."""
    ends = []
    for plan in plans_by_band(rules):
        limits = [
            d for d in (_reached(birth, plan[0].band_before), _reached(birth, plan[0].last_before))
        ]
        limits = [d for d in limits if d is not None]
        if limits:
            ends.append(min(limits) - timedelta(days=1))
    return max(ends) if ends else None


def _window(
    birth: date, rule: DoseRule, given: Sequence[date]
) -> tuple[date, date | None, date | None, date | None]:
    """(earliest, rec_from, rec_until, last_date) for `rule` after the doses `given`."""
    earliest = _reached(birth, rule.earliest_age) or birth
    reference = None
    if given:
        index = (rule.interval_from_dose - 1) if rule.interval_from_dose else len(given) - 1
        reference = given[min(index, len(given) - 1)]
        if rule.min_interval:
            earliest = max(earliest, interval_end(reference, rule.min_interval))
    if not given and rule.band_from:
        earliest = max(earliest, _reached(birth, rule.band_from))
    last_before = _reached(birth, rule.last_before)
    last_date = last_before - timedelta(days=1) if last_before else None

    rec_from = _reached(birth, rule.rec_from)
    rec_before = _reached(birth, rule.rec_before)
    if reference is not None and rule.rec_interval_from:
        candidate = interval_end(reference, rule.rec_interval_from)
        rec_from = max(rec_from, candidate) if rec_from else candidate
    if reference is not None and rule.rec_interval_before:
        candidate = interval_end(reference, rule.rec_interval_before)
        rec_before = min(rec_before, candidate) if rec_before else candidate
    rec_from = max(rec_from, earliest) if rec_from else earliest
    rec_until = rec_before - timedelta(days=1) if rec_before else last_date
    if last_date is not None and rec_until is not None:
        rec_until = min(rec_until, last_date)
    if rec_until is not None and rec_until < rec_from:
        # The standard window has already been missed by the timing of earlier doses: the
        # dose is recommended as soon as it is allowed.
        rec_until = rec_from
    return earliest, rec_from, rec_until, last_date


def vaccine_schedule(
    *,
    birth: date,
    today: date,
    vaccine: VaccineInfo,
    rules: Sequence[DoseRule],
    doses_given: Iterable[date],
) -> VaccineSchedule:
    """Where one vaccine stands for a child born on `birth`, given the dates of the doses given."""
    given = sorted(doses_given)
    result = VaccineSchedule(vaccine=vaccine, status=Status.COMPLETE, doses_given=given)
    rules = [r for r in rules if r.vaccine == vaccine.code]
    if not rules:
        result.status = Status.NOT_ELIGIBLE
        return result
    plan = plan_for(birth, given[0], rules) if given else _starting_plan(birth, today, rules)
    result.plan_rules = plan
    if not plan:
        result.status = Status.CHECK if given else Status.NOT_ELIGIBLE
        if not given:
            result.last_date = _last_first_dose_date(birth, rules)
        return result

    # Walk the plan: doses given take the rows in order; rows whose legal limit passed before
    # the next dose was given (or before today) are skipped when the row allows it.
    remaining = list(given)
    done: list[date] = []
    for rule in plan:
        last_before = _reached(birth, rule.last_before)
        next_given = remaining[0] if remaining else None
        on = next_given or today
        if rule.skip_when_late and last_before is not None and on >= last_before:
            result.skipped.append(rule.dose_number)
            continue
        if next_given is not None:
            done.append(remaining.pop(0))
            continue
        earliest, rec_from, rec_until, last_date = _window(birth, rule, done)
        if not done:
            last_date = _last_first_dose_date(birth, rules)
        result.next_rule = rule
        result.earliest, result.rec_from, result.rec_until = earliest, rec_from, rec_until
        result.last_date = last_date
        result.status = _status(today, earliest, rec_from, rec_until, last_date)
        break
    result.plan_size = len(plan) - len(result.skipped)
    if remaining:
        # More doses recorded than the plan has: nothing more is needed, but say so.
        result.status = Status.CHECK if result.next_rule else Status.COMPLETE
    return result


def _status(
    today: date, earliest: date, rec_from: date, rec_until: date | None, last_date: date | None
) -> Status:
    if last_date is not None and (today > last_date or earliest > last_date):
        return Status.NOT_ELIGIBLE
    if today < earliest or today < rec_from:
        if (rec_from - today).days <= COMING_UP_DAYS:
            return Status.COMING_UP
        return Status.LATER
    if rec_until is None or today <= rec_until:
        return Status.DUE
    return Status.OVERDUE


def child_schedule(
    *,
    birth: date,
    today: date,
    sex: str,
    vaccines: Sequence[VaccineInfo],
    rules: Sequence[DoseRule],
    doses: dict[str, list[date]],
) -> list[VaccineSchedule]:
    """Every routine vaccine for one child, in the data's order. Of alternative vaccines (a
    group), the one with doses recorded is shown, or the first of the group before any dose."""
    shown: list[VaccineSchedule] = []
    groups_with_doses = {v.group for v in vaccines if v.group and doses.get(v.code)}
    groups_seen: set[str] = set()
    for vaccine in sorted(vaccines, key=lambda v: (v.order, v.code)):
        if vaccine.sex and vaccine.sex != sex:
            continue
        if vaccine.only_if_started and not doses.get(vaccine.code):
            continue
        if vaccine.group:
            if vaccine.group in groups_with_doses and not doses.get(vaccine.code):
                continue
            if vaccine.group in groups_seen:
                continue
            groups_seen.add(vaccine.group)
        shown.append(
            vaccine_schedule(
                birth=birth,
                today=today,
                vaccine=vaccine,
                rules=rules,
                doses_given=doses.get(vaccine.code, []),
            )
        )
    return shown


class DoseProblem(StrEnum):
    BEFORE_BIRTH = "before_birth"
    IN_FUTURE = "in_future"
    TOO_EARLY = "too_early"  # before the minimum age or interval: a warning, not a refusal
    AFTER_LIMIT = "after_limit"  # after the legal limit (not free): a warning
    NOT_NEEDED = "not_needed"  # the series was already complete: a warning


@dataclass(frozen=True)
class DoseCheck:
    errors: list[DoseProblem]
    warnings: list[DoseProblem]
    earliest: date | None = None
    last_date: date | None = None


def dose_check(
    *,
    birth: date,
    today: date,
    vaccine: VaccineInfo,
    rules: Sequence[DoseRule],
    doses_given: Iterable[date],
    given_on: date,
) -> DoseCheck:
    """What is wrong with recording a dose given on `given_on`: errors (impossible dates) and
    warnings (earlier than the minimum age or interval, or after the free period) — doctors
    sometimes have reasons, so the family may confirm a warned date."""
    errors: list[DoseProblem] = []
    if given_on < birth:
        errors.append(DoseProblem.BEFORE_BIRTH)
    if given_on > today:
        errors.append(DoseProblem.IN_FUTURE)
    if errors:
        return DoseCheck(errors=errors, warnings=[])
    earlier = sorted(d for d in doses_given if d <= given_on)
    state = vaccine_schedule(
        birth=birth, today=given_on, vaccine=vaccine, rules=rules, doses_given=earlier
    )
    warnings: list[DoseProblem] = []
    if state.status == Status.COMPLETE:
        warnings.append(DoseProblem.NOT_NEEDED)
    elif state.earliest is not None and given_on < state.earliest:
        warnings.append(DoseProblem.TOO_EARLY)
    elif state.status in (Status.NOT_ELIGIBLE, Status.CHECK):
        warnings.append(DoseProblem.AFTER_LIMIT)
    return DoseCheck(
        errors=[], warnings=warnings, earliest=state.earliest, last_date=state.last_date
    )


def rule_from_fields(fields: dict) -> DoseRule:
    """A DoseRule from one row of the data file (or a ScheduleRule's values); validates ages."""
    known = set(DoseRule.__dataclass_fields__)
    values = {k: v for k, v in fields.items() if k in known and v is not None}
    for name in AGE_FIELDS:
        if values.get(name):
            age_parse(values[name])
    return DoseRule(**values)


AGE_FIELDS = (
    "band_from",
    "band_before",
    "earliest_age",
    "last_before",
    "rec_from",
    "rec_before",
    "min_interval",
    "rec_interval_from",
    "rec_interval_before",
)

__all__ = [
    "Age",
    "DoseCheck",
    "DoseProblem",
    "DoseRule",
    "Status",
    "VaccineInfo",
    "VaccineSchedule",
    "child_schedule",
    "dose_check",
    "plan_for",
    "vaccine_schedule",
]
