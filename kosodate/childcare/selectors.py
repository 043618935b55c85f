"""Reads for temporary childcare, including the access-checked getters: another household's
booking, child or registration, or another facility's booking for facility staff, is a 404."""

import calendar
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kosodate.accounts.models import User
from kosodate.core.prepared import PreparedQuery
from kosodate.core.registry import UpcomingItem

from . import availability_cache
from . import rules as R
from .models import (
    AgeBand,
    Booking,
    Facility,
    FacilityDay,
    FacilityStaff,
    Registration,
)


# --- Facilities -------------------------------------------------------------------------------
def facilities_active(*, area: str = "") -> list[Facility]:
    qs = Facility.objects.filter(is_active=True)
    if area:
        qs = qs.filter(area=area)
    return list(qs.order_by("area", "name", "pk"))


def facility_areas(*, facilities: list[Facility] | None = None) -> list[tuple[str, str]]:
    """(area, label in the current language) of the active facilities, for the area filter."""
    if facilities is None:
        facilities = Facility.objects.filter(is_active=True).only("area", "area_en")
    seen: dict[str, str] = {}
    for facility in facilities:
        if facility.area and facility.area not in seen:
            seen[facility.area] = facility.display_area
    return sorted(seen.items())


# Read on every booking POST of a rush: compiled once per process (core.prepared).
FACILITY_PUBLIC = PreparedQuery(lambda pk: Facility.objects.filter(pk=pk, is_active=True), "pk")


def facility_get_public(*, pk: int) -> Facility:
    facility = FACILITY_PUBLIC.first(pk=pk)
    if facility is None:
        raise Http404
    return facility


# --- The family's own registrations and bookings (children: accounts.selectors) ----------------
def registrations_for_household(*, user: User) -> list[Registration]:
    if user.household_id is None:
        return []
    return list(
        Registration.objects.filter(household_id=user.household_id)
        .select_related("facility", "child")
        .order_by("facility__name", "child__birth_date", "-created_at")
    )


def registrations_by_child(*, user: User, facility: Facility) -> dict[int, Registration]:
    """The open (or last) registration of each of the family's children with `facility`."""
    if user.household_id is None:
        return {}
    result: dict[int, Registration] = {}
    for registration in Registration.objects.filter(
        household_id=user.household_id, facility=facility
    ).order_by("created_at", "pk"):
        current = result.get(registration.child_id)
        if current is None or registration.status in Registration.OPEN_STATUSES:
            result[registration.child_id] = registration
    return result


# What a family must do before booking at a facility (issue 12 item 4): the facility page, the
# day view and the booking form's guard read it, so the 予約する button never leads to a form
# that will be refused.
BOOK_READY = "ready"  # a child's registration is active: the booking form
BOOK_PENDING = "pending"  # asked, not yet completed: wait for the facility
BOOK_REGISTER = "register"  # nothing asked yet (or declined): the registration form


def booking_readiness(
    *, user: User, facilities: list[Facility], child_id: int | None = None
) -> dict[int, str]:
    """Per facility pk: BOOK_READY, BOOK_PENDING or BOOK_REGISTER for the signed-in family (for
    one child when child_id is given); {} for a visitor or staff, who are not asked."""
    if not user.is_authenticated or user.is_back_office or user.household_id is None:
        return {}
    rows = Registration.objects.filter(
        household_id=user.household_id,
        facility__in=facilities,
        status__in=Registration.OPEN_STATUSES,
    )
    if child_id is not None:
        rows = rows.filter(child_id=child_id)
    result = {facility.pk: BOOK_REGISTER for facility in facilities}
    for facility_id, status in rows.values_list("facility_id", "status"):
        if status == Registration.Status.ACTIVE:
            result[facility_id] = BOOK_READY
        elif result[facility_id] != BOOK_READY:
            result[facility_id] = BOOK_PENDING
    return result


def bookings_for_household(*, user: User, upcoming: bool | None = None) -> QuerySet[Booking]:
    if user.household_id is None:
        return Booking.objects.none()
    qs = Booking.objects.filter(household_id=user.household_id).select_related("facility", "child")
    today = timezone.localdate()
    if upcoming is True:
        return qs.filter(date__gte=today).order_by("date", "start_time", "pk")
    if upcoming is False:
        return qs.filter(date__lt=today).order_by("-date", "-start_time", "-pk")
    return qs.order_by("-date", "pk")


def bookings_upcoming_for_mypage(*, user: User, limit: int = 5) -> list[Booking]:
    """For My Page's "Upcoming bookings": the family's next bookings that still stand."""
    return list(
        bookings_for_household(user=user, upcoming=True).filter(status__in=[*Booking.ACTIVE])[
            :limit
        ]
    )


def upcoming_for_mypage(*, user: User) -> list[UpcomingItem]:
    """My Page's merged "upcoming" list: the next bookings that still stand; a place offered
    from the waiting list needs the family's answer before its deadline."""
    items = []
    for booking in bookings_upcoming_for_mypage(user=user, limit=20):
        offered = booking.status == Booking.Status.OFFERED
        items.append(
            UpcomingItem(
                when=timezone.make_aware(datetime.combine(booking.date, booking.start_time)),
                kind=_("Temporary childcare"),
                title=f"{booking.facility.display_name}: {booking.child.full_name}",
                url=reverse("childcare:booking_detail", args=[booking.code]),
                status=booking.get_status_display(),
                needs_action=offered,
                action=_("Accept the place by %(deadline)s")
                % {
                    "deadline": formats.date_format(
                        timezone.localtime(booking.offer_expires_at), "DATETIME_FORMAT"
                    )
                }
                if offered and booking.offer_expires_at
                else "",
                deadline=booking.offer_expires_at if offered else None,
            )
        )
    return items


def booking_get_for_resident(*, user: User, code: str) -> Booking:
    """A booking of the signed-in guardian's household; any other is a 404."""
    if user.household_id is None:
        raise Http404
    booking = (
        Booking.objects.filter(code=code, household_id=user.household_id)
        .select_related("facility", "child", "household")
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def waitlist_position(*, booking: Booking) -> int | None:
    """1 for the next family to be offered a place, for a booking on the waiting list."""
    if booking.status != Booking.Status.WAITLISTED:
        return None
    ahead = Booking.objects.filter(day_id=booking.day_id, status=Booking.Status.WAITLISTED).filter(
        Q(created_at__lt=booking.created_at) | Q(created_at=booking.created_at, pk__lt=booking.pk)
    )
    return ahead.count() + 1


def penalty_points(*, household_id: int, rules: R.Rules, now: datetime | None = None) -> Decimal:
    """Late cancellations and no-shows of the last year, weighted by the rules (金沢市 style)."""
    since = (now or timezone.now()).date() - timedelta(days=365)
    counts = Booking.objects.filter(household_id=household_id, date__gte=since).aggregate(
        late=Count("pk", filter=Q(status=Booking.Status.CANCELLED, cancelled_late=True)),
        no_show=Count("pk", filter=Q(status=Booking.Status.NO_SHOW)),
    )
    return penalty_weighted(rules, counts["late"], counts["no_show"])


def penalty_weighted(rules: R.Rules, late_cancellations: int, no_shows: int) -> Decimal:
    return late_cancellations * rules.late_cancel_points + no_shows * rules.no_show_points


def child_month_usage(*, child_ids: list[int], day: date) -> dict[int, dict]:
    """Per child: the days booked in `day`'s month (any standing booking) and their hours."""
    first = day.replace(day=1)
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    usage = {pk: {"dates": set(), "hours": 0.0} for pk in child_ids}
    for booking in Booking.objects.filter(
        child_id__in=child_ids, date__range=(first, last), status__in=[*Booking.ACTIVE]
    ).only("child_id", "date", "start_time", "end_time"):
        usage[booking.child_id]["dates"].add(booking.date)
        usage[booking.child_id]["hours"] += booking.hours
    return usage


# --- Availability -----------------------------------------------------------------------------
@dataclass
class DayCell:
    facility: Facility
    day: date
    status: str  # rules.AVAILABLE / FEW / FULL / CLOSED, or "" outside the bookable range
    free: int = 0
    reason: str = ""  # why closed
    window: str = ""  # "not_open" / "open" / "closed"

    @property
    def label(self):
        return R.STATUS_LABELS.get(self.status, "")

    @property
    def symbol(self):
        return R.STATUS_SYMBOLS.get(self.status, "")


def _facility_days(facilities: list[Facility], first: date, last: date) -> dict:
    rows = FacilityDay.objects.filter(
        facility_id__in=[f.pk for f in facilities], date__range=(first, last)
    )
    return {(row.facility_id, row.date): row for row in rows}


def availability(
    *,
    facilities: list[Facility],
    band: str,
    first: date,
    last: date,
    now: datetime | None = None,
) -> dict[date, list[DayCell]]:
    """For each day from `first` to `last`, each facility's status for a child of `band`. Two
    queries whatever the number of bookings (the rules row is cached): the facilities are given,
    and each facility-day row carries its held places (models.FacilityDay)."""
    now = now or timezone.now()
    english = (get_language() or "ja").startswith("en")
    key = availability_key(facilities=facilities, band=band, first=first, last=last, now=now)
    if key is None:
        return _availability(facilities, band, first, last, now, english)
    # The month cache (availability_cache.py): one Redis read when nothing changed.
    compact = availability_cache.grid_get(key)
    if compact is not None:
        by_pk = {f.pk: f for f in facilities}
        return {
            day: [DayCell(by_pk[pk], day, *values) for pk, *values in cells]
            for day, cells in compact.items()
        }
    result = _availability(facilities, band, first, last, now, english)
    availability_cache.grid_set(
        key,
        {
            day: [(c.facility.pk, c.status, c.free, str(c.reason), c.window) for c in cells]
            for day, cells in result.items()
        },
    )
    return result


def availability_key(*, facilities, band: str, first: date, last: date, now: datetime):
    """The month cache's key for these cells (availability_cache.py), None while uncached."""
    version = availability_cache.version()
    if version is None:
        return None
    return "childcare:availability:{}:{}:{}:{}:{}:{}:{}".format(
        version,
        band,
        first.isoformat(),
        last.isoformat(),
        "en" if (get_language() or "ja").startswith("en") else "ja",
        timezone.localtime(now).strftime("%Y%m%d%H%M"),
        hashlib.sha256(",".join(str(f.pk) for f in facilities).encode()).hexdigest()[:24],
    )


def _availability(facilities, band, first, last, now, english) -> dict[date, list[DayCell]]:
    today = timezone.localdate(now)
    defaults = R.municipality_rules()
    # Facilities with the same rules share one Rules object, so what depends only on the rules
    # and the day (closed days, the booking window) is worked out once per day, not per facility:
    # 50 facilities × a month is 1,550 cells (docs/benchmarks.md, availability page).
    shared: dict[R.Rules, R.Rules] = {}
    rules = {}
    for facility in facilities:
        facility_rules = R.rules_for(facility, defaults)
        rules[facility.pk] = shared.setdefault(facility_rules, facility_rules)
    rows = _facility_days(facilities, first, last)
    by_rules_and_day: dict[tuple[int, date], tuple[str, str]] = {}
    result: dict[date, list[DayCell]] = {}
    day = first
    while day <= last:
        cells = []
        for facility in facilities:
            facility_rules = rules[facility.pk]
            key = (id(facility_rules), day)
            known = by_rules_and_day.get(key)
            if known is None:
                reason = R.closed_reason(facility_rules, day, english=english)
                window = "" if reason or day < today else R.window_state(facility_rules, day, now)
                known = by_rules_and_day[key] = (reason, window)
            row = rows.get((facility.pk, day))
            cells.append(_cell(facility, facility_rules, day, row, band, today, known, english))
        result[day] = cells
        day += timedelta(days=1)
    return result


def _cell(facility, rules, day, row, band, today, known, english) -> DayCell:
    """One facility's day; `known` is (closed reason, booking window) for its rules and day."""
    if row is not None and row.closed:
        reason = R.closed_reason(rules, day, row, english=english)
        return DayCell(facility, day, R.CLOSED, reason=reason)
    reason, window = known
    if reason:
        return DayCell(facility, day, R.CLOSED, reason=reason)
    if day < today:
        return DayCell(facility, day, "")
    capacity = R.capacity_for(facility, row)
    held = row.held() if row is not None else {}
    status, free = R.availability_status(capacity, held, band)
    return DayCell(facility, day, status, free=free, window=window)


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_weeks(month: date) -> list[list[date | None]]:
    """The month as weeks starting on Sunday (as Japanese calendars do), None outside it."""
    weeks = calendar.Calendar(firstweekday=6).monthdatescalendar(month.year, month.month)
    return [[d if d.month == month.month else None for d in week] for week in weeks]


# --- Facility staff and municipal staff -------------------------------------------------------
def staff_facilities(*, user: User) -> list[Facility]:
    """The facilities this staff member works at; municipal staff (and administrators) see all."""
    if user.is_municipal_staff:
        return list(Facility.objects.order_by("area", "name", "pk"))
    return list(Facility.objects.filter(staff_members__user=user).order_by("area", "name", "pk"))


def facility_get_for_staff(*, user: User, pk: int) -> Facility:
    """A facility the staff member works at (municipal staff: any); otherwise a 404."""
    qs = Facility.objects.filter(pk=pk)
    if not user.is_municipal_staff:
        qs = qs.filter(staff_members__user=user)
    facility = qs.first()
    if facility is None:
        raise Http404
    return facility


def facility_get_for_facility_staff(*, user: User, pk: int) -> Facility:
    """Only the facility's own staff (changes to bookings and registrations are theirs alone)."""
    facility = Facility.objects.filter(pk=pk, staff_members__user=user).first()
    if facility is None:
        raise Http404
    return facility


def is_facility_member(*, user: User, facility: Facility) -> bool:
    return FacilityStaff.objects.filter(user=user, facility=facility).exists()


def _staff_bookings(user: User) -> QuerySet[Booking]:
    qs = Booking.objects.select_related("facility", "child", "household", "requested_by")
    if user.is_municipal_staff:
        return qs
    return qs.filter(facility__staff_members__user=user)


def booking_get_for_staff(*, user: User, code: str) -> Booking:
    """A booking at a facility the staff member works at (municipal staff: any, to look at)."""
    booking = _staff_bookings(user).filter(code=code).first()
    if booking is None:
        raise Http404
    return booking


def booking_get_for_facility_staff(*, user: User, code: str) -> Booking:
    """A booking that this member of the facility's own staff may change; anyone else: 404."""
    booking = (
        Booking.objects.select_related("facility", "child", "household")
        .filter(code=code, facility__staff_members__user=user)
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def pending_bookings(*, user: User, facility: Facility | None = None) -> list[Booking]:
    qs = _staff_bookings(user).filter(status=Booking.Status.PENDING, date__gte=timezone.localdate())
    if facility is not None:
        qs = qs.filter(facility=facility)
    return list(qs.order_by("date", "created_at", "pk")[:200])


def registrations_for_staff(*, user: User, open_only: bool = True) -> list[Registration]:
    qs = Registration.objects.select_related("facility", "child", "household", "requested_by")
    if not user.is_municipal_staff:
        qs = qs.filter(facility__staff_members__user=user)
    if open_only:
        qs = qs.filter(
            status__in=[Registration.Status.REQUESTED, Registration.Status.INTERVIEW_SCHEDULED]
        )
    return list(qs.order_by("interview_at", "created_at", "pk")[:200])


def registration_get_for_staff(*, user: User, pk: int) -> Registration:
    qs = Registration.objects.select_related("facility", "child", "household", "requested_by")
    if not user.is_municipal_staff:
        qs = qs.filter(facility__staff_members__user=user)
    registration = qs.filter(pk=pk).first()
    if registration is None:
        raise Http404
    return registration


def registration_get_for_facility_staff(*, user: User, pk: int) -> Registration:
    registration = (
        Registration.objects.select_related("facility", "child", "household")
        .filter(pk=pk, facility__staff_members__user=user)
        .first()
    )
    if registration is None:
        raise Http404
    return registration


def roster(*, facility: Facility, day: date) -> list[Booking]:
    """Who comes that day (and who is waiting), with what carers need: age, allergies, pickup
    person, the guardian's phone. One query."""
    return list(
        Booking.objects.filter(
            facility=facility,
            date=day,
            status__in=[*Booking.HOLDING, Booking.Status.WAITLISTED],
        )
        .select_related("child", "requested_by")
        .order_by("status", "start_time", "child__last_name_kana", "pk")
    )


def facility_day_get(*, facility: Facility, day: date) -> FacilityDay | None:
    return FacilityDay.objects.filter(facility=facility, date=day).first()


def closures_upcoming(*, facility: Facility) -> list[FacilityDay]:
    return list(
        FacilityDay.objects.filter(
            facility=facility, closed=True, date__gte=timezone.localdate()
        ).order_by("date")[:100]
    )


def capacity_days_upcoming(*, facility: Facility) -> list[FacilityDay]:
    """Days with their own capacity set (not the usual one)."""
    return list(
        FacilityDay.objects.filter(facility=facility, date__gte=timezone.localdate())
        .filter(
            Q(places_age0__isnull=False)
            | Q(places_age1_2__isnull=False)
            | Q(places_age3__isnull=False)
            | Q(places_age4_5__isnull=False)
            | Q(carers__isnull=False)
        )
        .order_by("date")[:100]
    )


@dataclass
class UtilisationRow:
    facility: Facility
    place_days: int  # places offered over the month's open days
    used: int  # places taken (requested, confirmed, attended, no-show)
    attended: int
    no_show: int
    cancelled: int
    cancelled_late: int
    waitlisted: int

    @property
    def rate(self) -> int | None:
        return round(100 * self.used / self.place_days) if self.place_days else None


def utilisation(*, month: date) -> list[UtilisationRow]:
    """Per facility for a month: places offered (open days × the day's capacity for the band
    with most places) against places taken, and how bookings ended. Three queries."""
    first, last = month_bounds(month)
    facilities = list(Facility.objects.order_by("area", "name", "pk"))
    rows = _facility_days(facilities, first, last)
    counts = {
        row["facility_id"]: row
        for row in Booking.objects.filter(date__range=(first, last))
        .values("facility_id")
        .annotate(
            used=Count("pk", filter=Q(status__in=[*Booking.HOLDING])),
            attended=Count("pk", filter=Q(status=Booking.Status.ATTENDED)),
            no_show=Count("pk", filter=Q(status=Booking.Status.NO_SHOW)),
            cancelled=Count("pk", filter=Q(status=Booking.Status.CANCELLED)),
            cancelled_late=Count(
                "pk", filter=Q(status=Booking.Status.CANCELLED, cancelled_late=True)
            ),
            waitlisted=Count("pk", filter=Q(status=Booking.Status.WAITLISTED)),
        )
    }
    defaults = R.municipality_rules()
    result = []
    for facility in facilities:
        rules = R.rules_for(facility, defaults)
        place_days = 0
        day = first
        while day <= last:
            row = rows.get((facility.pk, day))
            if not R.closed_reason(rules, day, row):
                capacity = R.capacity_for(facility, row)
                place_days += max(capacity.size(b) for b in AgeBand.values)
            day += timedelta(days=1)
        c = counts.get(facility.pk, {})
        result.append(
            UtilisationRow(
                facility=facility,
                place_days=place_days,
                used=c.get("used", 0),
                attended=c.get("attended", 0),
                no_show=c.get("no_show", 0),
                cancelled=c.get("cancelled", 0),
                cancelled_late=c.get("cancelled_late", 0),
                waitlisted=c.get("waitlisted", 0),
            )
        )
    return result


def facility_stored(*, facility: Facility) -> Facility:
    """The facility's row as stored (a ModelForm has already copied the typed values onto the
    instance it was given: services compare with this)."""
    return Facility.objects.get(pk=facility.pk)


def registration_complete_refusal(*, registration: Registration, now=None) -> str:
    """Why the interview cannot be recorded as held yet ("" when it can): none is set, or its
    day has not come. The staff page shows this instead of the button."""
    if not registration.facility.requires_interview:
        return ""
    now = now or timezone.now()
    if registration.interview_at is None:
        return _(
            "Set the interview date first: an interview can be recorded as held only once it "
            "has taken place."
        )
    if timezone.localdate(registration.interview_at) > timezone.localdate(now):
        return _(
            "The interview is set for %(when)s: it can be recorded as held from that day, "
            "not before."
        ) % {
            "when": formats.date_format(
                timezone.localtime(registration.interview_at), "DATETIME_FORMAT"
            )
        }
    return ""
