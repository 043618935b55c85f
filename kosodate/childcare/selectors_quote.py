"""The booking checks: everything the rules say about a request before it is sent (read-only; the
service checks again under the lock)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kosodate.accounts.models import Child, User

from . import rules as R
from .models import (
    AgeBand,
    Facility,
    FacilityDay,
    Registration,
)
from .selectors import child_month_usage, penalty_weighted
from .selectors_lock import RequestFacts, request_facts


@dataclass
class QuoteLine:
    child: Child
    band: str
    fee: int
    waitlist: bool = False  # if sent now, it would go on the waiting list


@dataclass
class Quote:
    facility: Facility
    day: date
    start: time
    end: time
    lines: list[QuoteLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Children who need a registration (or its interview) first: (child, registration or None).
    registration_needed: list[tuple[Child, Registration | None]] = field(default_factory=list)
    cancel_deadline: datetime | None = None
    row: FacilityDay | None = None  # the facility-day row, if it exists yet
    rules: R.Rules | None = None  # the facility's rules, as the quote applied them

    @property
    def total_fee(self) -> int:
        return sum(line.fee for line in self.lines)

    @property
    def hours(self) -> float:
        return R.half_hours(self.start, self.end) / 2


def booking_quote(
    *,
    user: User,
    facility: Facility,
    children: list[Child],
    day: date,
    start: time,
    end: time,
    now: datetime | None = None,
    limits: bool = True,
    facts: RequestFacts | None = None,
) -> Quote:
    """Everything the rules say about this request before it is sent: problems in the family's
    words, the fee per child, and whether each child would get a place or go on the waiting list
    (a preview: the service decides under the lock). `limits=False` leaves out the limits per
    child (a query), for the service that checks them under the lock anyway. `facts` are the
    database's part (selectors_lock.request_facts, one statement), read here if not given."""
    now = now or timezone.now()
    if facts is None:
        facts = request_facts(
            household_id=user.household_id,
            facility_id=facility.pk,
            children=children,
            day=day,
            now=now,
        )
    rules = R.rules_for(facility)
    quote = Quote(
        facility, day, start, end, cancel_deadline=R.cancel_deadline(rules, day), rules=rules
    )
    problems = quote.problems
    if not facility.is_active:
        problems.append(_("This facility is not taking bookings at the moment."))
    row = quote.row = facts.row
    today = timezone.localdate(now)
    if day < today:
        problems.append(_("The date has passed. Choose a date from today on."))
    else:
        window = R.window_state(rules, day, now)
        if window == "not_open":
            opens = timezone.localtime(R.booking_opens_at(rules, day))
            problems.append(
                _("Bookings for this day open on %(date)s.")
                % {"date": opens.strftime("%Y-%m-%d %H:%M")}
            )
        elif window == "closed":
            closes = timezone.localtime(R.booking_closes_at(rules, day))
            problems.append(
                _("Bookings for this day closed at %(date)s. Please contact the facility by phone.")
                % {"date": closes.strftime("%Y-%m-%d %H:%M")}
            )
        reason = R.closed_reason(rules, day, row)
        if reason:
            problems.append(
                _("The facility is closed on that day (%(reason)s).") % {"reason": reason}
            )
    problems.extend(_time_problems(rules, facility, start, end))
    if not children:
        problems.append(_("Choose at least one child."))
    if any(child.household_id != user.household_id for child in children):
        raise Http404  # a tampered form: not this family's child
    hours_ok = not _time_problems(rules, facility, start, end)
    registrations = facts.registrations
    for child in children:
        registration = registrations.get(child.pk)
        if registration is None or registration.status != Registration.Status.ACTIVE:
            quote.registration_needed.append((child, registration))
            if registration is None:
                problems.append(
                    _(
                        "%(child)s is not registered with this facility yet. Register first; "
                        "then you can book."
                    )
                    % {"child": child.full_name}
                )
            else:
                problems.append(
                    _(
                        "The registration of %(child)s with this facility is not complete yet "
                        "(%(status)s). You can book once the facility has completed it."
                    )
                    % {"child": child.full_name, "status": registration.get_status_display()}
                )
        age_problem = R.age_problem(rules, child.birth_date, day)
        if age_problem:
            problems.append(f"{child.full_name}: {age_problem}")
            continue
        band = R.age_band(child.birth_date, day)
        quote.lines.append(
            QuoteLine(child=child, band=band, fee=R.fee_yen(rules, start, end) if hours_ok else 0)
        )
    if limits:
        problems.extend(
            limit_problems(
                rules=rules, children=children, day=day, hours=quote.hours if hours_ok else 0
            )
        )
    if user.household_id is not None and rules.suspension_points:
        points = penalty_weighted(rules, facts.late_cancellations, facts.no_shows)
        if points >= rules.suspension_points:
            problems.append(
                _(
                    "Online booking is paused for your family because of late cancellations or "
                    "no-shows in the last year (%(points)s points). Please contact the counter."
                )
                % {"points": points}
            )
    # Preview of places (the copy on the day row; the service recounts under the lock).
    capacity = R.capacity_for(facility, row)
    held = dict(row.held()) if row is not None else {b: 0 for b in AgeBand.values}
    for line in quote.lines:
        if capacity.free(held, line.band) > 0:
            held[line.band] = held.get(line.band, 0) + 1
        else:
            line.waitlist = True
    return quote


def _time_problems(rules: R.Rules, facility: Facility, start: time, end: time) -> list[str]:
    problems = []
    if end <= start:
        return [_("The end time must be after the start time.")]
    if start.minute % 30 or end.minute % 30:
        problems.append(_("Times are in 30-minute steps (for example 9:00 or 9:30)."))
    if start < facility.opens_at or end > facility.closes_at:
        problems.append(
            _("The facility cares for children from %(opens)s to %(closes)s.")
            % {
                "opens": facility.opens_at.strftime("%H:%M"),
                "closes": facility.closes_at.strftime("%H:%M"),
            }
        )
    if R.half_hours(start, end) > rules.max_hours_per_day * 2:
        problems.append(
            _("A booking can be at most %(hours)s hours a day.")
            % {"hours": rules.max_hours_per_day}
        )
    return problems


def limit_problems(
    *,
    rules: R.Rules,
    children: list[Child],
    day: date,
    hours: float,
    usage: dict[int, dict] | None = None,
) -> list[str]:
    """Per child: one booking a day, and the monthly limits (days and hours), counting every
    standing booking (waiting list included). `usage` is child_month_usage's, if already read."""
    problems = []
    if usage is None:
        usage = child_month_usage(child_ids=[c.pk for c in children], day=day)
    for child in children:
        used = usage[child.pk]
        if day in used["dates"]:
            problems.append(
                _("%(child)s already has a booking (or a waiting-list place) on that day.")
                % {"child": child.full_name}
            )
            continue
        if rules.monthly_max_days is not None and len(used["dates"]) + 1 > rules.monthly_max_days:
            problems.append(
                _("%(child)s would exceed %(limit)s days of care this month.")
                % {"child": child.full_name, "limit": rules.monthly_max_days}
            )
        if rules.monthly_max_hours is not None and used["hours"] + hours > rules.monthly_max_hours:
            problems.append(
                _("%(child)s would exceed %(limit)s hours of care this month.")
                % {"child": child.full_name, "limit": rules.monthly_max_hours}
            )
    return problems
