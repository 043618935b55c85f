"""The rules as data, applied: a facility's effective rules (its overrides over the municipality's
defaults), closed days, ages and age bands, the booking window, fees, the cancellation deadline,
and capacity arithmetic. Pure functions on values, no database writes."""

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosodate.core import ages
from kosodate.core.cache import cache_read, cache_write
from kosodate.core.holidays import is_year_end, national_holiday
from kosodate.core.waitlist import OfferPolicy

from .models import (
    BAND_FIELDS,
    BAND_UNITS,
    CARER_UNITS,
    AgeBand,
    CapacityMode,
    ChildcareRules,
    Facility,
    FacilityDay,
)

RULES_CACHE_KEY = "childcare:rules:v1"
RULES_CACHE_SECONDS = 60
SLOT_MINUTES = 30


@dataclass(frozen=True)
class Rules:
    min_age_days: int
    min_age_months: int
    booking_opens_days_ahead: int
    cutoff_days_before: int
    cutoff_time: time
    max_hours_per_day: int
    monthly_max_days: int | None
    monthly_max_hours: int | None
    fee_per_hour: int
    fee_tier_hours: int | None
    fee_per_hour_after_tier: int | None
    cancel_deadline_days_before: int
    cancel_deadline_time: time
    late_cancel_points: Decimal
    no_show_points: Decimal
    suspension_points: Decimal
    offer_confirm_hours: int
    closed_on_saturdays: bool
    closed_on_sundays: bool
    closed_on_national_holidays: bool
    closed_new_year: bool

    @property
    def offer_policy(self) -> OfferPolicy:
        """The offer deadline (docs/waitlist.md): the facility's hours to confirm, ending at the
        start of care at the latest; any time left before the start is worth an offer."""
        return OfferPolicy(hours=self.offer_confirm_hours)


# Rules a facility may set for itself; the rest are the municipality's alone (limits per child
# per month and penalty points count across facilities).
FACILITY_OVERRIDES = (
    "min_age_days",
    "min_age_months",
    "booking_opens_days_ahead",
    "cutoff_days_before",
    "cutoff_time",
    "max_hours_per_day",
    "fee_per_hour",
    "fee_tier_hours",
    "fee_per_hour_after_tier",
    "cancel_deadline_days_before",
    "cancel_deadline_time",
)


def municipality_rules() -> ChildcareRules:
    """The municipality's row, cached briefly; an unsaved row of defaults until one is saved."""
    row = cache_read(RULES_CACHE_KEY)
    if row is None:
        row = ChildcareRules.objects.filter(pk=ChildcareRules.SINGLETON_ID).first()
        if row is None:
            row = ChildcareRules(pk=ChildcareRules.SINGLETON_ID)
        cache_write(RULES_CACHE_KEY, row, RULES_CACHE_SECONDS)
    return row


def rules_for(facility: Facility, defaults: ChildcareRules | None = None) -> Rules:
    defaults = defaults or municipality_rules()
    values = {f.name: getattr(defaults, f.name) for f in fields(Rules)}
    for name in FACILITY_OVERRIDES:
        value = getattr(facility, name)
        if value is not None:
            values[name] = value
    if facility.open_on_saturdays is not None:
        values["closed_on_saturdays"] = not facility.open_on_saturdays
    return Rules(**values)


# --- Closed days ------------------------------------------------------------------------------
# The national holidays and 年末年始 are core's (core.holidays), shared with 相談 and ファミサポ.
def closed_reason(
    rules: Rules, day: date, facility_day: FacilityDay | None = None, *, english: bool = False
) -> str:
    """Why the facility is closed that day, in words for the family, or "" if open."""
    if facility_day is not None and facility_day.closed:
        return facility_day.closed_reason or str(_("Closed by the facility"))
    if rules.closed_new_year and is_year_end(day):
        return str(_("New Year holidays"))
    if rules.closed_on_national_holidays:
        name = national_holiday(day, english=english)
        if name:
            return name
    if rules.closed_on_sundays and day.weekday() == 6:
        return str(_("Sunday"))
    if rules.closed_on_saturdays and day.weekday() == 5:
        return str(_("Saturday"))
    return ""


# --- Ages (counted by kosodate/core/ages.py) ---------------------------------------------------
def age_band(birth_date: date, on: date) -> AgeBand | None:
    if on < birth_date:
        return None
    years = ages.completed_years(birth_date, on)
    if years == 0:
        return AgeBand.AGE0
    if years <= 2:
        return AgeBand.AGE1_2
    if years == 3:
        return AgeBand.AGE3
    return AgeBand.AGE4_5


def age_problem(rules: Rules, birth_date: date, on: date) -> str:
    """Why a child of this birth date cannot be cared for on `on` under these rules, or ""."""
    # Completed days and months on the day of care: 57 days old is the day of birth + 57, and
    # "6 months" is the 6-month anniversary (born 31 Jan: 1 March is one month).
    youngest = max(
        ages.weeks_days_after(birth_date, 0, rules.min_age_days),
        ages.months_anniversary(birth_date, rules.min_age_months),
    )
    if on < youngest:
        return str(_("Children can be cared for from %(date)s (the youngest age here).")) % {
            "date": youngest.isoformat()
        }
    if on >= ages.school_entry(birth_date):
        return str(_("Temporary care is for children who have not started primary school."))
    return ""


# --- Booking window and deadlines ---------------------------------------------------------------
def _local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def booking_opens_at(rules: Rules, day: date) -> datetime:
    return _local(day - timedelta(days=rules.booking_opens_days_ahead), time.min)


def booking_closes_at(rules: Rules, day: date) -> datetime:
    return _local(day - timedelta(days=rules.cutoff_days_before), rules.cutoff_time)


def cancel_deadline(rules: Rules, day: date) -> datetime:
    return _local(
        day - timedelta(days=rules.cancel_deadline_days_before), rules.cancel_deadline_time
    )


def window_state(rules: Rules, day: date, now: datetime) -> str:
    """ "not_open", "open" or "closed" (past the cut-off)."""
    if now < booking_opens_at(rules, day):
        return "not_open"
    if now >= booking_closes_at(rules, day):
        return "closed"
    return "open"


def half_hours(start: time, end: time) -> int:
    return ((end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)) // SLOT_MINUTES


def time_slots(opens_at: time, closes_at: time) -> list[time]:
    """Every 30-minute mark from opening to closing, both included."""
    slots, minutes = [], opens_at.hour * 60 + opens_at.minute
    # A facility opening at 8:15 still books on the half hour: the first mark is 8:30.
    minutes += (-minutes) % SLOT_MINUTES
    end = closes_at.hour * 60 + closes_at.minute
    while minutes <= end:
        slots.append(time(minutes // 60, minutes % 60))
        minutes += SLOT_MINUTES
    return slots


def fee_yen(rules: Rules, start: time, end: time) -> int:
    """The fee for one child: per half hour at half the hourly rate, the hours past
    fee_tier_hours at the second rate (千代田区: 500 yen/h up to 4 h, 800 after)."""
    halves = half_hours(start, end)
    if rules.fee_tier_hours and rules.fee_per_hour_after_tier is not None:
        first = min(halves, rules.fee_tier_hours * 2)
        return (first * rules.fee_per_hour + (halves - first) * rules.fee_per_hour_after_tier) // 2
    return halves * rules.fee_per_hour // 2


# --- Capacity ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Capacity:
    mode: str
    places: dict[str, int]  # per band (PLACES mode)
    carers: int  # CARERS mode
    max_children: int | None

    def free(self, held: dict[str, int], band: str) -> int:
        """How many more children of `band` fit, given those holding places (may be negative
        when capacity was lowered below the children already booked)."""
        total = sum(held.values())
        if self.mode == CapacityMode.CARERS:
            spare_units = self.carers * CARER_UNITS - sum(
                held.get(b, 0) * BAND_UNITS[b] for b in BAND_UNITS
            )
            free = spare_units // BAND_UNITS[band]
        else:
            free = self.places.get(band, 0) - held.get(band, 0)
        if self.max_children is not None:
            free = min(free, self.max_children - total)
        return free

    def size(self, band: str) -> int:
        """Places for `band` on an empty day (for "残りわずか" and reports)."""
        return self.free({}, band)


def capacity_for(facility: Facility, facility_day: FacilityDay | None = None) -> Capacity:
    def pick(field: str) -> int:
        if facility_day is not None and getattr(facility_day, field) is not None:
            return getattr(facility_day, field)
        return getattr(facility, field)

    return Capacity(
        mode=facility.capacity_mode,
        places={band: pick(f"places_{field}") for band, field in BAND_FIELDS.items()},
        carers=pick("carers"),
        max_children=facility.max_children,
    )


# What the families see per facility and day (DOMAIN.md: 空きあり / 残りわずか / 満 / 休園).
AVAILABLE, FEW, FULL, CLOSED, NOT_TAKEN = "available", "few", "full", "closed", "not_taken"
STATUS_LABELS = {
    AVAILABLE: _("Places free"),
    FEW: _("Few places left"),
    FULL: _("Full (waiting list)"),
    CLOSED: _("Closed"),
    NOT_TAKEN: _("No care for this age"),
}
# 休 is Japanese: an English page shows its own short mark (the key below the calendar explains).
STATUS_SYMBOLS = {
    AVAILABLE: "○",
    FEW: "△",
    FULL: "×",
    CLOSED: pgettext_lazy("calendar mark of a closed day (one or two characters)", "Cl"),
    NOT_TAKEN: "−",
}


def availability_status(capacity: Capacity, held: dict[str, int], band: str) -> tuple[str, int]:
    free = capacity.free(held, band)
    if capacity.size(band) <= 0:
        return NOT_TAKEN, 0  # no child of that age that day (no places or no carers)
    if free <= 0:
        return FULL, 0
    # "Few" at two places or a fifth of the day's places, whichever is more.
    if free <= max(2, capacity.size(band) // 5):
        return FEW, free
    return AVAILABLE, free
