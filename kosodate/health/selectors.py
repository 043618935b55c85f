"""Reads for the health pages: the schedule per child (rules from the table, the engine in
schedule.py), upcoming checkups, notices that apply to a household. Access-checked getters raise
404 for another household's child."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.core import signing
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kosodate.accounts.models import Child, Household, User
from kosodate.core import ages

from .models import (
    Checkup,
    CheckupSession,
    ChildImmunisation,
    DoseRecord,
    HealthNotice,
    HouseholdSituation,
    ScheduleRule,
    Vaccine,
)
from .schedule import DoseRule, Status, VaccineInfo, VaccineSchedule, child_schedule

# A removed dose can be put back for this long (issue 12 item 11: asked first, then undo); the
# token services.dose_delete signs carries what the dose was.
DOSE_UNDO_SECONDS = 10 * 60
DOSE_UNDO_SALT = "kosodate.health.dose_undo"

# How far ahead "upcoming" checkups look.
CHECKUP_HORIZON_DAYS = 120


def child_get_for_guardian(*, user: User, pk: int) -> Child:
    """A child of the signed-in guardian's household; anyone else's child is a 404."""
    if user.household_id is None:
        raise Http404
    child = Child.objects.filter(pk=pk, household_id=user.household_id).first()
    if child is None:
        raise Http404
    return child


def dose_get_for_guardian(*, user: User, child: Child, pk: int) -> DoseRecord:
    dose = DoseRecord.objects.filter(pk=pk, child=child).select_related("vaccine").first()
    if dose is None or child.household_id != user.household_id:
        raise Http404
    return dose


def dose_undo_read(token: str, *, child: Child) -> dict | None:
    """What an undo token puts back for `child`, or None once expired, forged or another
    child's."""
    try:
        detail = signing.loads(token, salt=DOSE_UNDO_SALT, max_age=DOSE_UNDO_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(detail, dict) or detail.get("child") != child.pk:
        return None
    return detail


def vaccine_get(*, code: str) -> Vaccine:
    vaccine = Vaccine.objects.filter(code=code).first()
    if vaccine is None:
        raise Http404
    return vaccine


@dataclass
class ScheduleData:
    vaccines: dict[str, Vaccine]
    infos: list[VaccineInfo]
    rules: list[DoseRule]
    rule_rows: dict[int, ScheduleRule]


def schedule_data() -> ScheduleData:
    """Every vaccine and rule row, as the engine takes them (two queries)."""
    vaccines = {v.code: v for v in Vaccine.objects.all()}
    infos = [
        VaccineInfo(
            code=v.code,
            name=v.name,
            group=v.group,
            sex=v.sex,
            order=v.order,
            only_if_started=v.only_if_started,
        )
        for v in vaccines.values()
    ]
    rows = list(ScheduleRule.objects.select_related("vaccine"))
    rules = [
        DoseRule(
            vaccine=row.vaccine.code,
            dose_number=row.dose_number,
            label=row.label,
            label_en=row.label_en,
            band_from=row.band_from,
            band_until=row.band_until,
            earliest_age=row.earliest_age,
            last_until=row.last_until,
            advised_until=row.advised_until,
            rec_from=row.rec_from,
            rec_until=row.rec_until,
            min_interval=row.min_interval,
            interval_from_dose=row.interval_from_dose,
            rec_interval_from=row.rec_interval_from,
            rec_interval_until=row.rec_interval_until,
            skip_when_late=row.skip_when_late,
            skip_after_previous=row.skip_after_previous,
            source=row.source,
            pk=row.pk,
        )
        for row in rows
    ]
    return ScheduleData(vaccines, infos, rules, {row.pk: row for row in rows})


def doses_by_vaccine(*, child: Child) -> dict[str, list[date]]:
    doses: dict[str, list[date]] = defaultdict(list)
    for code, given_on in DoseRecord.objects.filter(child=child).values_list(
        "vaccine__code", "given_on"
    ):
        doses[code].append(given_on)
    return doses


# The vaccine that infants given HBIG for mother-to-child prevention are outside of.
HEPATITIS_B = "hepb"


def child_not_routine(*, child: Child) -> set[str]:
    """The vaccines this child is outside the routine programme for (what the family told us)."""
    info = ChildImmunisation.objects.filter(child=child).first()
    return {HEPATITIS_B} if info is not None and info.hepb_with_hbig else set()


def child_hepb_hbig(*, child: Child) -> bool:
    return HEPATITIS_B in child_not_routine(child=child)


@dataclass
class ScheduleLine:
    """One vaccine on a child's timeline, ready for a template."""

    vaccine: Vaccine
    state: VaccineSchedule
    rule: ScheduleRule | None
    doses: list[DoseRecord]

    @property
    def status(self) -> str:
        return self.state.status.value

    @property
    def sort_key(self):
        order = [
            Status.OVERDUE,
            Status.DUE,
            Status.ASK_DOCTOR,
            Status.AVAILABLE,
            Status.COMING_UP,
            Status.LATER,
            Status.CHECK,
            Status.COMPLETE,
            Status.NOT_ROUTINE,
            Status.NOT_ELIGIBLE,
        ]
        return (order.index(self.state.status), self.state.rec_from or date.max)


def schedule_for_child(
    *, child: Child, today: date | None = None, data: ScheduleData | None = None
) -> list[ScheduleLine]:
    """The child's timeline: every routine vaccine with its next dose and status, the most
    pressing first (overdue, due now, coming up …)."""
    today = today or timezone.localdate()
    data = data or schedule_data()
    records = list(DoseRecord.objects.filter(child=child).select_related("vaccine"))
    doses: dict[str, list[date]] = defaultdict(list)
    for record in records:
        doses[record.vaccine.code].append(record.given_on)
    states = child_schedule(
        birth=child.birth_date,
        today=today,
        sex=child.sex,
        vaccines=data.infos,
        rules=data.rules,
        doses=doses,
        not_routine=child_not_routine(child=child),
    )
    lines = [
        ScheduleLine(
            vaccine=data.vaccines[state.vaccine.code],
            state=state,
            rule=data.rule_rows.get(state.next_rule.pk) if state.next_rule else None,
            doses=[r for r in records if r.vaccine.code == state.vaccine.code],
        )
        for state in states
    ]
    return sorted(lines, key=lambda line: line.sort_key)


def child_age_months(*, child: Child, on: date | None = None) -> int:
    return ages.completed_months(child.birth_date, on or timezone.localdate())


@dataclass
class CheckupLine:
    checkup: Checkup
    window_from: date
    window_until: date  # inclusive
    sessions: list[CheckupSession]

    @property
    def next_session(self) -> CheckupSession | None:
        return self.sessions[0] if self.sessions else None


def checkups_for_child(
    *, child: Child, today: date | None = None, horizon_days: int = CHECKUP_HORIZON_DAYS
) -> list[CheckupLine]:
    """The checkups whose age window is open now or opens within the horizon, each with the
    group sessions meant for this child's birth date (from today on)."""
    today = today or timezone.localdate()
    lines = []
    checkups = list(Checkup.objects.all())
    sessions = list(
        CheckupSession.objects.filter(
            held_on__gte=today,
            born_from__lte=child.birth_date,
            born_until__gte=child.birth_date,
        )
    )
    for checkup in checkups:
        start = ages.term_day(child.birth_date, checkup.age_from)
        until = ages.term_day(child.birth_date, checkup.age_until)
        if until < today or start > today + timedelta(days=horizon_days):
            continue
        lines.append(
            CheckupLine(
                checkup=checkup,
                window_from=start,
                window_until=until,
                sessions=[s for s in sessions if s.checkup_id == checkup.pk],
            )
        )
    return lines


def household_situations(*, household: Household) -> set[str]:
    return set(
        HouseholdSituation.objects.filter(household=household).values_list("situation", flat=True)
    )


def notices_for_household(
    *, household: Household | None, now=None, limit: int = 20
) -> list[HealthNotice]:
    """The published notices that apply to one of the household's children now (age in
    months), its area (postal code prefix, town) and its situations; newest first."""
    if household is None:
        return []
    now = now or timezone.now()
    today = timezone.localdate(now)
    months_old = [
        ages.completed_months(birth, today)
        for birth in Child.objects.filter(household=household).values_list("birth_date", flat=True)
        if birth <= today
    ]
    if not months_old:
        return []
    age_q = Q()
    for months in set(months_old):
        age_q |= Q(age_from_months__lte=months, age_to_months__gte=months)
    situations = household_situations(household=household)
    notices = (
        HealthNotice.objects.filter(published=True, published_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .filter(age_q)
        .filter(Q(town="") | Q(town=household.town))
        .filter(Q(situation="") | Q(situation__in=situations))
    )
    result = []
    for notice in notices:
        if notice.postal_prefix and not household.postal_code.startswith(notice.postal_prefix):
            continue
        result.append(notice)
        if len(result) >= limit:
            break
    return result


def notices_for_staff() -> QuerySet[HealthNotice]:
    return HealthNotice.objects.all()


def schedule_for_staff(*, today: date) -> dict:
    """The staff schedule page: every rule, every checkup, the checkup dates still to come."""
    return {
        "rules": ScheduleRule.objects.select_related("vaccine"),
        "checkups": Checkup.objects.all(),
        "sessions": CheckupSession.objects.filter(held_on__gte=today).select_related("checkup"),
    }


def schedule_rule_get_for_staff(*, pk: int) -> ScheduleRule:
    rule = ScheduleRule.objects.select_related("vaccine").filter(pk=pk).first()
    if rule is None:
        raise Http404
    return rule


def checkup_session_get_for_staff(*, pk: int) -> CheckupSession:
    session = CheckupSession.objects.select_related("checkup").filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def notice_get_for_staff(*, pk: int) -> HealthNotice:
    notice = HealthNotice.objects.filter(pk=pk).first()
    if notice is None:
        raise Http404
    return notice
