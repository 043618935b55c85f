"""The immunisation schedule engine: pure functions from a birth date, the doses a family ticked
off and the rule rows (kosodate/health/data/schedule_ja.json, loaded into ScheduleRule) to what
each vaccine needs next. No database, no clock: `today` is an argument, so every case is a test.

Every boundary is a term of kosodate/core/ages.py that states the law's wording, and every end is
inclusive (rule 4: "生後60月に至るまで" includes the day the child reaches 60 months):

* A plan is chosen by the child's age at the FIRST dose (band_from ≤ day ≤ band_until). That is
  how the 定期接種実施要領 lowers the number of doses when a series starts late (小児用肺炎球菌:
  first dose from 生後2月に至った日 to 生後7月に至るまで → 3 primary + 1 booster; from 生後7月に
  至った日の翌日 to 生後12月に至るまで → 2 + 1; …). Before a first dose, the plan is the one for
  the child's age today. A first dose given before the first band counts in the first plan (it
  keeps its "too early" warning).
* A dose may be given from max(earliest_age, last dose + min_interval) up to last_until (the legal
  limit, still free on that day). A dose marked skip_when_late whose limit passed is left out
  (pneumococcal primaries not done by 生後24月に至るまで: go on to the booster), and so is a dose
  whose skip_after_previous day the previous dose came after (pneumococcal primary 3 when primary
  2 came after 生後12月に至るまで). Any other missed dose ends the series: "no longer eligible".
* After advised_until a dose is still routine and free but not recommended (rotavirus first dose
  after 出生14週6日後): "not recommended: ask your doctor".
* The recommended window (標準的な接種期間) is rec_from..rec_until by age and/or
  rec_interval_from..rec_interval_until after the previous dose.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from kosodate.core.ages import (
    TermError,
    interval_day,
    interval_wording,
    term_day,
    term_parse,
    term_wording,
)

# "Coming up": a window that opens within this many days is shown as coming up; later ones as
# "later" (still on the timeline, but not shouting).
COMING_UP_DAYS = 30


class Status(StrEnum):
    DUE = "due"  # in the recommended window now
    AVAILABLE = "available"  # allowed and free now, before the recommended window
    COMING_UP = "coming_up"  # the first allowed day is within COMING_UP_DAYS
    LATER = "later"  # further ahead
    OVERDUE = "overdue"  # past the recommended window, still free (legal) until `last_date`
    ASK_DOCTOR = "ask_doctor"  # still free, but not recommended any more (rotavirus)
    NOT_ELIGIBLE = "not_eligible"  # the legal limit has passed (or was never reachable)
    NOT_ROUTINE = "not_routine"  # outside the routine programme (hepatitis B with HBIG)
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
    band_until: str = ""
    earliest_age: str = ""
    last_until: str = ""
    advised_until: str = ""
    rec_from: str = ""
    rec_until: str = ""
    min_interval: str = ""
    interval_from_dose: int | None = None  # 1-based dose the interval counts from; None: previous
    rec_interval_from: str = ""
    rec_interval_until: str = ""
    skip_when_late: bool = False
    skip_after_previous: str = ""
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
    advised_until: date | None = None  # after this day: free, but ask your doctor
    skipped: list[int] = field(default_factory=list)  # dose numbers left out
    early: list[date] = field(default_factory=list)  # doses given before they were allowed
    plan_rules: list[DoseRule] = field(default_factory=list)

    @property
    def next_dose_number(self) -> int | None:
        return self.next_rule.dose_number if self.next_rule else None


def _day(birth: date, text: str) -> date | None:
    return term_day(birth, text) if text else None


def _band(birth: date, rule: DoseRule) -> tuple[date, date | None]:
    return _day(birth, rule.band_from) or birth, _day(birth, rule.band_until)


def plans_by_band(rules: Iterable[DoseRule]) -> list[list[DoseRule]]:
    """The vaccine's plans: rows grouped by band, each sorted by dose number."""
    plans: dict[tuple[str, str], list[DoseRule]] = {}
    for rule in rules:
        plans.setdefault((rule.band_from, rule.band_until), []).append(rule)
    return [sorted(plan, key=lambda r: r.dose_number) for plan in plans.values()]


def _plans_in_order(birth: date, rules: Iterable[DoseRule]) -> list[list[DoseRule]]:
    return sorted(plans_by_band(rules), key=lambda plan: _band(birth, plan[0])[0])


def plan_for(birth: date, first_dose_on: date, rules: Iterable[DoseRule]) -> list[DoseRule]:
    """The plan that applies when the first dose is (or was) given on `first_dose_on`: the one
    whose band holds that day, the first plan for a day before every band, or [] after them."""
    plans = _plans_in_order(birth, rules)
    for plan in plans:
        start, end = _band(birth, plan[0])
        if start <= first_dose_on and (end is None or first_dose_on <= end):
            return plan
    if plans and first_dose_on < _band(birth, plans[0][0])[0]:
        return plans[0]
    return []


def _last_first_dose_date(birth: date, rules: Sequence[DoseRule]) -> date | None:
    """The last day any plan still lets a series start (for "free until …" before dose 1)."""
    ends = []
    for plan in plans_by_band(rules):
        limits = [_day(birth, plan[0].band_until), _day(birth, plan[0].last_until)]
        limits = [d for d in limits if d is not None]
        if limits:
            ends.append(min(limits))
    return max(ends) if ends else None


def _earliest(birth: date, rule: DoseRule, given: Sequence[date]) -> tuple[date, date | None]:
    """(the first day `rule` may be given after the doses `given`, the dose the interval counts
    from)."""
    earliest = _day(birth, rule.earliest_age) or birth
    reference = None
    if given:
        index = (rule.interval_from_dose - 1) if rule.interval_from_dose else len(given) - 1
        reference = given[min(index, len(given) - 1)]
        if rule.min_interval:
            earliest = max(earliest, interval_day(reference, rule.min_interval))
    elif rule.band_from:
        earliest = max(earliest, _band(birth, rule)[0])
    return earliest, reference


def _window(
    birth: date, rule: DoseRule, given: Sequence[date]
) -> tuple[date, date | None, date | None, date | None]:
    """(earliest, rec_from, rec_until, last_date) for `rule` after the doses `given`."""
    earliest, reference = _earliest(birth, rule, given)
    last_date = _day(birth, rule.last_until)
    rec_from = _day(birth, rule.rec_from)
    rec_until = _day(birth, rule.rec_until)
    if reference is not None and rule.rec_interval_from:
        candidate = interval_day(reference, rule.rec_interval_from)
        rec_from = max(rec_from, candidate) if rec_from else candidate
    if reference is not None and rule.rec_interval_until:
        candidate = interval_day(reference, rule.rec_interval_until)
        rec_until = min(rec_until, candidate) if rec_until else candidate
    rec_from = max(rec_from, earliest) if rec_from else earliest
    rec_until = rec_until or last_date
    if last_date is not None and rec_until is not None:
        rec_until = min(rec_until, last_date)
    if rec_until is not None and rec_until < rec_from:
        # The standard window has already been missed by the timing of earlier doses: the
        # dose is recommended as soon as it is allowed.
        rec_until = rec_from
    return earliest, rec_from, rec_until, last_date


def _left_out(birth: date, rule: DoseRule, done: Sequence[date], on: date) -> bool:
    last = _day(birth, rule.last_until)
    if rule.skip_when_late and last is not None and on > last:
        return True
    after = _day(birth, rule.skip_after_previous)
    return bool(done and after is not None and done[-1] > after)


def vaccine_schedule(
    *,
    birth: date,
    today: date,
    vaccine: VaccineInfo,
    rules: Sequence[DoseRule],
    doses_given: Iterable[date],
    not_routine: bool = False,
) -> VaccineSchedule:
    """Where one vaccine stands for a child born on `birth`, given the dates of the doses given.
    `not_routine`: the child is outside the routine programme for this vaccine."""
    given = sorted(doses_given)
    result = VaccineSchedule(vaccine=vaccine, status=Status.COMPLETE, doses_given=given)
    rules = [r for r in rules if r.vaccine == vaccine.code]
    if not_routine:
        result.status = Status.NOT_ROUTINE
        return result
    if not rules:
        result.status = Status.NOT_ELIGIBLE
        return result
    plan = plan_for(birth, given[0] if given else today, rules)
    result.plan_rules = plan
    if not plan:
        result.status = Status.CHECK if given else Status.NOT_ELIGIBLE
        if not given:
            result.last_date = _last_first_dose_date(birth, rules)
        return result

    # Walk the plan: doses given take the rows in order (a dose given too early still counts,
    # and is remembered as early); rows left out by their rule are skipped.
    remaining = list(given)
    done: list[date] = []
    for rule in plan:
        next_given = remaining[0] if remaining else None
        if _left_out(birth, rule, done, next_given or today):
            result.skipped.append(rule.dose_number)
            continue
        if next_given is not None:
            if next_given < _earliest(birth, rule, done)[0]:
                result.early.append(next_given)
            done.append(remaining.pop(0))
            continue
        earliest, rec_from, rec_until, last_date = _window(birth, rule, done)
        if not done:
            last_date = _last_first_dose_date(birth, rules)
        result.next_rule = rule
        result.earliest, result.rec_from, result.rec_until = earliest, rec_from, rec_until
        result.last_date = last_date
        result.advised_until = _day(birth, rule.advised_until)
        result.status = _status(today, result)
        break
    result.plan_size = len(plan) - len(result.skipped)
    if remaining:
        # More doses recorded than the plan has: nothing more is needed, but say so.
        result.status = Status.CHECK if result.next_rule else Status.COMPLETE
    return result


def _status(today: date, s: VaccineSchedule) -> Status:
    assert s.earliest is not None and s.rec_from is not None
    if s.last_date is not None and (today > s.last_date or s.earliest > s.last_date):
        return Status.NOT_ELIGIBLE
    if today < s.earliest:
        if (s.earliest - today).days <= COMING_UP_DAYS:
            return Status.COMING_UP
        return Status.LATER
    if s.advised_until is not None and today > s.advised_until:
        return Status.ASK_DOCTOR
    if today < s.rec_from:
        return Status.AVAILABLE
    if s.rec_until is None or today <= s.rec_until:
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
    not_routine: Iterable[str] = (),
) -> list[VaccineSchedule]:
    """Every routine vaccine for one child, in the data's order. Of alternative vaccines (a
    group), the one with doses recorded is shown, or the first of the group before any dose.
    `not_routine`: codes of the vaccines the child is outside the routine programme for."""
    excluded = set(not_routine)
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
                not_routine=vaccine.code in excluded,
            )
        )
    return shown


class DoseProblem(StrEnum):
    BEFORE_BIRTH = "before_birth"
    IN_FUTURE = "in_future"
    TOO_EARLY = "too_early"  # before the minimum age or interval: a warning, not a refusal
    AFTER_LIMIT = "after_limit"  # after the legal limit (not free): a warning
    NOT_NEEDED = "not_needed"  # the series was already complete: a warning
    NOT_ROUTINE = "not_routine"  # outside the routine programme for this child: a warning


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
    not_routine: bool = False,
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
        birth=birth,
        today=given_on,
        vaccine=vaccine,
        rules=rules,
        doses_given=earlier,
        not_routine=not_routine,
    )
    warnings: list[DoseProblem] = []
    if state.status == Status.COMPLETE:
        warnings.append(DoseProblem.NOT_NEEDED)
    elif state.earliest is not None and given_on < state.earliest:
        warnings.append(DoseProblem.TOO_EARLY)
    elif state.status in (Status.NOT_ELIGIBLE, Status.CHECK):
        warnings.append(DoseProblem.AFTER_LIMIT)
    elif state.status == Status.NOT_ROUTINE:
        warnings.append(DoseProblem.NOT_ROUTINE)
    return DoseCheck(
        errors=[], warnings=warnings, earliest=state.earliest, last_date=state.last_date
    )


def rule_from_fields(fields: dict) -> DoseRule:
    """A DoseRule from one row of the data file (or a ScheduleRule's values); validates ages."""
    known = set(DoseRule.__dataclass_fields__)
    values = {k: v for k, v in fields.items() if k in known and v is not None}
    for name in DAY_FIELDS:
        if values.get(name):
            term_parse(values[name])
    for name in INTERVAL_FIELDS:
        if values.get(name):
            interval_day(date(2000, 1, 1), values[name])
    return DoseRule(**values)


@dataclass(frozen=True)
class Wording:
    """One boundary of a row: its field, its term, the law's wording and the day it gives."""

    field: str
    term: str
    wording: str
    day: date


def rule_wording(values: dict, *, birth: date, previous: date) -> list[Wording]:
    """The law's wording of each boundary of a row (its field values), with the day it gives for
    a child born on `birth` whose previous dose was on `previous`. Malformed terms are left out
    (the form says what is wrong with them)."""
    lines = []
    for name in (*START_FIELDS[:1], "band_until", *START_FIELDS[1:], *END_FIELDS[1:]):
        text = values.get(name) or ""
        if not text:
            continue
        try:
            wording = term_wording(text, end=name in END_FIELDS)
            day = term_day(birth, text)
        except TermError:
            continue
        if name == "skip_after_previous":
            wording = f"前回の接種が{wording}に行われなかった場合は行わない"
        elif name == "advised_until":
            wording = f"{wording}が推奨(それ以降は医師と相談)"
        lines.append(Wording(name, text, wording, day))
    for name in INTERVAL_FIELDS:
        text = values.get(name) or ""
        if not text:
            continue
        try:
            lines.append(
                Wording(
                    name,
                    text,
                    interval_wording(text, end=name == "rec_interval_until"),
                    interval_day(previous, text),
                )
            )
        except TermError:
            continue
    return lines


# The row's fields by role: where a day starts something (「…から」), where it ends it (「…まで」,
# inclusive), and the intervals (minimum: 「…以上の間隔をおいて」; maximum: 「…までの間隔」).
START_FIELDS = ("band_from", "earliest_age", "rec_from")
END_FIELDS = ("band_until", "last_until", "advised_until", "rec_until", "skip_after_previous")
DAY_FIELDS = START_FIELDS + END_FIELDS
INTERVAL_FIELDS = ("min_interval", "rec_interval_from", "rec_interval_until")
__all__ = [
    "DAY_FIELDS",
    "INTERVAL_FIELDS",
    "DoseCheck",
    "DoseProblem",
    "DoseRule",
    "Status",
    "TermError",
    "VaccineInfo",
    "VaccineSchedule",
    "Wording",
    "child_schedule",
    "dose_check",
    "plan_for",
    "rule_wording",
    "vaccine_schedule",
]
