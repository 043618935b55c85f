"""一時預かり (temporary childcare): facilities and their rules, capacity per day and age band,
children's registrations with facilities (and the first interview), and bookings with their
status history.

Rules are data: ChildcareRules holds the municipality's defaults (DOMAIN.md), a Facility may
override the ones that vary between facilities (a null field means "the municipality's value").
rules.py combines them; services.py is the only writer."""

import secrets
from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosodate.accounts.models import Child, Household
from kosodate.core.models import BilingualMixin


class AgeBand(models.TextChoices):
    """Age bands of the staffing standard (保育士配置基準), by the child's age in full years on the
    day of care."""

    AGE0 = "age0", _("Under 1 year")
    AGE1_2 = "age1_2", _("1–2 years")
    AGE3 = "age3", _("3 years")
    AGE4_5 = "age4_5", _("4–5 years")


# Children per qualified carer (DOMAIN.md; 3–5 year figures since 1 April 2024). With carers on
# duty, a facility may take any mix of ages as long as Σ children / ratio ≤ carers. Multiplying by
# 150 (the least common multiple of the ratios) keeps that sum in exact integers: a child of each
# band "weighs" 150 / ratio units, and a carer provides 150.
STAFF_RATIOS = {AgeBand.AGE0: 3, AgeBand.AGE1_2: 6, AgeBand.AGE3: 15, AgeBand.AGE4_5: 25}
CARER_UNITS = 150
BAND_UNITS = {band: CARER_UNITS // ratio for band, ratio in STAFF_RATIOS.items()}
# The per-band fields on Facility and FacilityDay, in AgeBand order.
BAND_FIELDS = {
    AgeBand.AGE0: "age0",
    AgeBand.AGE1_2: "age1_2",
    AgeBand.AGE3: "age3",
    AgeBand.AGE4_5: "age4_5",
}


class CapacityMode(models.TextChoices):
    PLACES = "places", _("Places per age band")
    CARERS = "carers", _("Carers on duty × staff ratios")


class Reason(models.TextChoices):
    WORK = "work", _("Work")
    MEDICAL = "medical", _("Hospital or clinic visit")
    CEREMONY = "ceremony", _("Wedding or funeral")
    REFRESH = "refresh", _("Rest and refresh")
    CARE = "care", _("Caring for a family member")
    OTHER = "other", _("Other")


class ChildcareRules(models.Model):
    """The municipality's rules for temporary childcare: one row (pk 1). Defaults as in DOMAIN.md;
    sources: 横浜市 (limits 120 h / 15 days a month; cut-off 16:30 the day before), 千代田区 (500
    yen/h up to 4 h, 800 after; 60 h a month), 港区 (8 times a month), 金沢市 (penalty points:
    0.5 late cancellation, 1 no-show, suspended at 2)."""

    SINGLETON_ID = 1

    min_age_days = models.PositiveSmallIntegerField(
        _("youngest age (days old)"),
        default=57,
        help_text=_(
            "Days old on the day of care, the day of birth being day 0. 57 days is the usual minimum."
        ),
    )
    min_age_months = models.PositiveSmallIntegerField(
        _("youngest age (months)"),
        default=0,
        validators=[MaxValueValidator(72)],
        help_text=_(
            "Completed months on the day of care (a child born on 31 January is one month old on "
            "1 March). Some facilities take children from 6 months; 0 = only the days above count."
        ),
    )
    booking_opens_days_ahead = models.PositiveSmallIntegerField(
        _("bookings open (days ahead)"), default=31, validators=[MinValueValidator(1)]
    )
    cutoff_days_before = models.PositiveSmallIntegerField(
        _("bookings close (days before)"), default=2, validators=[MaxValueValidator(31)]
    )
    cutoff_time = models.TimeField(_("bookings close at"), default=time(17, 0))
    max_hours_per_day = models.PositiveSmallIntegerField(
        _("longest booking (hours a day)"),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    monthly_max_days = models.PositiveSmallIntegerField(
        _("days per child per month"),
        null=True,
        blank=True,
        default=15,
        help_text=_("Empty: no limit."),
    )
    monthly_max_hours = models.PositiveSmallIntegerField(
        _("hours per child per month"),
        null=True,
        blank=True,
        default=120,
        help_text=_("Empty: no limit."),
    )
    fee_per_hour = models.PositiveIntegerField(_("fee per hour (yen)"), default=500)
    fee_tier_hours = models.PositiveSmallIntegerField(
        _("hours at the first rate"),
        null=True,
        blank=True,
        help_text=_("Empty: one rate for every hour."),
    )
    fee_per_hour_after_tier = models.PositiveIntegerField(
        _("fee per hour after those hours (yen)"), null=True, blank=True
    )
    cancel_deadline_days_before = models.PositiveSmallIntegerField(
        _("free cancellation until (days before)"), default=1
    )
    cancel_deadline_time = models.TimeField(
        _("free cancellation until (time)"), default=time(17, 0)
    )
    late_cancel_points = models.DecimalField(
        _("penalty points for a late cancellation"), max_digits=3, decimal_places=1, default=0.5
    )
    no_show_points = models.DecimalField(
        _("penalty points for a no-show"), max_digits=3, decimal_places=1, default=1
    )
    suspension_points = models.DecimalField(
        _("bookings refused from (points in the last year)"),
        max_digits=3,
        decimal_places=1,
        default=2,
        help_text=_("0: never refuse."),
    )
    offer_confirm_hours = models.PositiveSmallIntegerField(
        _("hours to confirm a place offered from the waiting list"),
        default=24,
        validators=[MinValueValidator(1)],
    )
    closed_on_saturdays = models.BooleanField(_("closed on Saturdays"), default=False)
    closed_on_sundays = models.BooleanField(_("closed on Sundays"), default=True)
    closed_on_national_holidays = models.BooleanField(
        _("closed on national holidays"), default=True
    )
    closed_new_year = models.BooleanField(_("closed 29 December – 3 January"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("temporary childcare rules")
        verbose_name_plural = _("temporary childcare rules")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="childcare_rules_singleton"),
        ]

    def __str__(self) -> str:
        return str(_("temporary childcare rules"))


class Facility(BilingualMixin, models.Model):
    """A place offering temporary care (保育園の一時保育室, 子育て支援センター…)."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    area = models.CharField(_("area"), max_length=50, blank=True)
    area_en = models.CharField(_("area (English)"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200)
    address_en = models.CharField(_("address (English)"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    description = models.TextField(_("about the facility"), blank=True)
    description_en = models.TextField(_("about the facility (English)"), blank=True)
    what_to_bring = models.TextField(_("what to bring"), blank=True)
    what_to_bring_en = models.TextField(_("what to bring (English)"), blank=True)
    opens_at = models.TimeField(_("care from"), default=time(8, 30))
    closes_at = models.TimeField(_("care until"), default=time(17, 0))
    requires_interview = models.BooleanField(
        _("an interview is needed before the first booking"), default=True
    )
    auto_approve = models.BooleanField(
        _("confirm requests at once while places are free"),
        default=False,
        help_text=_("Otherwise staff approve each request; a request holds its place meanwhile."),
    )
    is_active = models.BooleanField(_("taking bookings"), default=True)

    capacity_mode = models.CharField(
        _("capacity is given as"),
        max_length=10,
        choices=CapacityMode.choices,
        default=CapacityMode.PLACES,
    )
    places_age0 = models.PositiveSmallIntegerField(_("places under 1 year"), default=0)
    places_age1_2 = models.PositiveSmallIntegerField(_("places 1–2 years"), default=0)
    places_age3 = models.PositiveSmallIntegerField(_("places 3 years"), default=0)
    places_age4_5 = models.PositiveSmallIntegerField(_("places 4–5 years"), default=0)
    carers = models.PositiveSmallIntegerField(_("carers on duty"), default=0)
    max_children = models.PositiveSmallIntegerField(
        _("children at most (room size)"),
        null=True,
        blank=True,
        help_text=_("Empty: only the ratios limit it."),
    )

    # Overrides of the municipality's rules (null: the municipality's value applies).
    min_age_days = models.PositiveSmallIntegerField(
        _("youngest age (days old)"), null=True, blank=True
    )
    min_age_months = models.PositiveSmallIntegerField(
        _("youngest age (months)"), null=True, blank=True, validators=[MaxValueValidator(72)]
    )
    booking_opens_days_ahead = models.PositiveSmallIntegerField(
        _("bookings open (days ahead)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    cutoff_days_before = models.PositiveSmallIntegerField(
        _("bookings close (days before)"), null=True, blank=True, validators=[MaxValueValidator(31)]
    )
    cutoff_time = models.TimeField(_("bookings close at"), null=True, blank=True)
    max_hours_per_day = models.PositiveSmallIntegerField(
        _("longest booking (hours a day)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    fee_per_hour = models.PositiveIntegerField(_("fee per hour (yen)"), null=True, blank=True)
    fee_tier_hours = models.PositiveSmallIntegerField(
        _("hours at the first rate"), null=True, blank=True
    )
    fee_per_hour_after_tier = models.PositiveIntegerField(
        _("fee per hour after those hours (yen)"), null=True, blank=True
    )
    cancel_deadline_days_before = models.PositiveSmallIntegerField(
        _("free cancellation until (days before)"), null=True, blank=True
    )
    cancel_deadline_time = models.TimeField(
        _("free cancellation until (time)"), null=True, blank=True
    )
    open_on_saturdays = models.BooleanField(
        _("open on Saturdays"), null=True, blank=True, help_text=_("Empty: as the municipality.")
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["area", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="facility_closes_after_opening"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.localized("name")

    @property
    def display_area(self) -> str:
        return self.localized("area")

    @property
    def display_address(self) -> str:
        return self.localized("address")

    @property
    def localized_description(self) -> str:
        return self.localized("description")

    @property
    def localized_what_to_bring(self) -> str:
        return self.localized("what_to_bring")


class FacilityStaff(models.Model):
    """Which facility a facility-staff account works at (they see only its bookings)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="staff_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="childcare_facilities"
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("facility staff member")
        verbose_name_plural = _("facility staff")
        constraints = [
            models.UniqueConstraint(fields=["facility", "user"], name="facility_staff_once")
        ]

    def __str__(self) -> str:
        return f"{self.facility_id}: {self.user_id}"


class FacilityDay(models.Model):
    """One facility on one date: the row the capacity lock takes (core/capacity.py), a closure,
    capacity set for that day only, and how many children of each band hold a place — a copy
    recounted from the bookings under the lock and written with them, for the availability pages
    (which then read one row per facility and day, however many bookings there are)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed"), default=False)
    closed_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)
    # Capacity for this day only (null: the facility's usual capacity).
    places_age0 = models.PositiveSmallIntegerField(_("places under 1 year"), null=True, blank=True)
    places_age1_2 = models.PositiveSmallIntegerField(_("places 1–2 years"), null=True, blank=True)
    places_age3 = models.PositiveSmallIntegerField(_("places 3 years"), null=True, blank=True)
    places_age4_5 = models.PositiveSmallIntegerField(_("places 4–5 years"), null=True, blank=True)
    carers = models.PositiveSmallIntegerField(_("carers on duty"), null=True, blank=True)
    held_age0 = models.PositiveSmallIntegerField(default=0)
    held_age1_2 = models.PositiveSmallIntegerField(default=0)
    held_age3 = models.PositiveSmallIntegerField(default=0)
    held_age4_5 = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("facility day")
        verbose_name_plural = _("facility days")
        constraints = [
            models.UniqueConstraint(fields=["facility", "date"], name="facility_day_once"),
        ]
        indexes = [models.Index(fields=["date", "facility"])]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.date}"

    def held(self) -> dict[str, int]:
        return {band: getattr(self, f"held_{field}") for band, field in BAND_FIELDS.items()}


class Registration(models.Model):
    """利用登録: a child registered with a facility. Facilities that require it meet the family
    first (面談): the family proposes dates, the facility sets one and later records it done,
    which completes the registration. Bookings need a completed registration."""

    class Status(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("registration", "Requested")
        INTERVIEW_SCHEDULED = "interview_scheduled", _("Interview arranged")
        ACTIVE = "active", pgettext_lazy("registration", "Registered")
        DECLINED = "declined", pgettext_lazy("registration", "Declined")

    OPEN_STATUSES = (Status.REQUESTED, Status.INTERVIEW_SCHEDULED, Status.ACTIVE)

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="registrations")
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="childcare_registrations"
    )
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    preferred_date_1 = models.DateField(_("first choice"), null=True, blank=True)
    preferred_date_2 = models.DateField(_("second choice"), null=True, blank=True)
    preferred_date_3 = models.DateField(_("third choice"), null=True, blank=True)
    preferred_note = models.CharField(_("times that suit you"), max_length=200, blank=True)
    interview_at = models.DateTimeField(_("interview"), null=True, blank=True)
    interview_done_at = models.DateTimeField(_("interview held"), null=True, blank=True)
    decline_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("facility registration")
        verbose_name_plural = _("facility registrations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open registration per child and facility (a declined one may be asked again).
            models.UniqueConstraint(
                fields=["facility", "child"],
                condition=Q(status__in=["requested", "interview_scheduled", "active"]),
                name="registration_open_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="interview_scheduled") | Q(interview_at__isnull=False),
                name="registration_interview_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id}: {self.child_id} ({self.status})"


def booking_code_generate() -> str:
    # Unguessable on its own, though every lookup is also checked against the household or the
    # facility (selectors.py): the code only keeps URLs short and free of sequential numbers.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class Booking(models.Model):
    """One child's booking for one day at one facility."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("booking", "Requested")
        CONFIRMED = "confirmed", pgettext_lazy("booking", "Confirmed")
        DECLINED = "declined", pgettext_lazy("booking", "Declined")
        WAITLISTED = "waitlisted", _("On the waiting list")
        OFFERED = "offered", _("Place offered: please confirm")
        CANCELLED = "cancelled", pgettext_lazy("booking", "Cancelled")
        ATTENDED = "attended", pgettext_lazy("childcare booking", "Attended")
        NO_SHOW = "no_show", _("No-show")

    class CancelledBy(models.TextChoices):
        FAMILY = "family", _("the family")
        FACILITY = "facility", _("the facility")
        SYSTEM = "system", _("the system")

    # A booking in these statuses takes one place on its day (a request holds its place until the
    # facility decides; an offer from the waiting list holds it until the deadline).
    HOLDING = (
        Status.PENDING,
        Status.CONFIRMED,
        Status.OFFERED,
        Status.ATTENDED,
        Status.NO_SHOW,
    )
    # A child has at most one of these a day (a database constraint).
    ACTIVE = (*HOLDING, Status.WAITLISTED)
    CANCELLABLE = (Status.PENDING, Status.CONFIRMED, Status.WAITLISTED, Status.OFFERED)

    code = models.CharField(
        _("booking number"), max_length=12, unique=True, default=booking_code_generate
    )
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="bookings")
    day = models.ForeignKey(FacilityDay, on_delete=models.PROTECT, related_name="bookings")
    date = models.DateField(_("date"))
    start_time = models.TimeField(pgettext_lazy("start time", "from"))
    end_time = models.TimeField(pgettext_lazy("end time", "until"))
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="childcare_bookings")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Children booked together in one request share it.
    request_group = models.CharField(max_length=32, db_index=True)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    reason_detail = models.CharField(_("reason (details)"), max_length=200, blank=True)
    pickup_person = models.CharField(_("who picks the child up"), max_length=100)
    notes = models.TextField(_("notes for the carers"), blank=True, max_length=1000)
    fee_yen = models.PositiveIntegerField(pgettext_lazy("childcare fee", "fee (yen)"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    cancelled_by = models.CharField(
        _("cancelled by"), max_length=10, choices=CancelledBy.choices, blank=True
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    cancelled_late = models.BooleanField(_("cancelled after the deadline"), default=False)
    offer_expires_at = models.DateTimeField(_("confirm by"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["date", "start_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="booking_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["child", "date"],
                condition=Q(
                    status__in=[
                        "pending",
                        "confirmed",
                        "offered",
                        "attended",
                        "no_show",
                        "waitlisted",
                    ]
                ),
                name="booking_one_active_per_child_and_day",
            ),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(offer_expires_at__isnull=False),
                name="booking_offer_has_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="booking_declined_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["day", "status"]),
            models.Index(fields=["household", "date"]),
            models.Index(fields=["status", "date"]),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def hours(self) -> float:
        start = self.start_time.hour * 60 + self.start_time.minute
        end = self.end_time.hour * 60 + self.end_time.minute
        return (end - start) / 60


class BookingEvent(models.Model):
    """The status history of a booking, shown to the family and to staff."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("status"), max_length=12, choices=Booking.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("booking history entry")
        verbose_name_plural = _("booking history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.booking_id} → {self.status}"
