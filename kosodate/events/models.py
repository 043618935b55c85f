"""講座・イベント: events at support centres, and each household's application to one of them
(confirmed, waiting for the lottery, on the waitlist, offered a freed place, cancelled, not
selected). Places are counted from the applications' rows under the event's row lock
(kosodate/core/capacity.py); the constraints below are the backstop."""

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosodate.accounts.models import Child, Household
from kosodate.core import ages
from kosodate.core.models import BilingualMixin
from kosodate.core.waitlist import OfferPolicy

# An offer of a freed place (docs/waitlist.md) ends this long before the event starts at the
# latest, and is not made at all when less than OFFER_MIN would be left to answer.
OFFER_ENDS_BEFORE_START = timedelta(hours=3)
OFFER_MIN = timedelta(hours=1)


class SchoolGrade(models.IntegerChoices):
    """School years by age (kosodate/core/ages.py school_grade): 0 is the year before primary
    school (年長)."""

    NURSERY_3 = -2, _("3-year-old class (年少)")
    NURSERY_4 = -1, _("4-year-old class (年中)")
    NURSERY_5 = 0, _("5-year-old class (年長)")
    PRIMARY_1 = 1, _("Primary year 1 (小1)")
    PRIMARY_2 = 2, _("Primary year 2 (小2)")
    PRIMARY_3 = 3, _("Primary year 3 (小3)")
    PRIMARY_4 = 4, _("Primary year 4 (小4)")
    PRIMARY_5 = 5, _("Primary year 5 (小5)")
    PRIMARY_6 = 6, _("Primary year 6 (小6)")
    JUNIOR_1 = 7, _("Junior high year 1 (中1)")
    JUNIOR_2 = 8, _("Junior high year 2 (中2)")
    JUNIOR_3 = 9, _("Junior high year 3 (中3)")


class Event(BilingualMixin, models.Model):
    class Category(models.TextChoices):
        CLASS = "class", pgettext_lazy("event category", "Class")
        PLAY = "play", pgettext_lazy("event category", "Play session")
        MEETUP = "meetup", pgettext_lazy("event category", "Parents' meetup")
        HEALTH = "health", pgettext_lazy("event category", "Health checkup related")
        OTHER = "other", pgettext_lazy("event category", "Other")

    class Mode(models.TextChoices):
        FIRST_COME = "first_come", _("First come, first served")
        LOTTERY = "lottery", _("Lottery")

    class CapacityUnit(models.TextChoices):
        FAMILIES = "families", _("families")
        PEOPLE = "people", _("people")

    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"))
    description_en = models.TextField(_("description (English)"), blank=True)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    place = models.CharField(_("place"), max_length=200)
    place_en = models.CharField(_("place (English)"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    min_age_months = models.PositiveSmallIntegerField(
        _("youngest child (months)"),
        null=True,
        blank=True,
        help_text=_(
            "Completed months on the day of the event (a child born on 31 January is one month "
            "old on 1 March)."
        ),
    )
    max_age_months = models.PositiveSmallIntegerField(
        _("oldest child (months)"),
        null=True,
        blank=True,
        help_text=_(
            "A child of this many completed months on the day of the event may still come."
        ),
    )
    min_school_grade = models.SmallIntegerField(
        _("youngest school year"),
        null=True,
        blank=True,
        choices=SchoolGrade.choices,
        help_text=_(
            "The school year the child is in by age on the day of the event (学年: a child born "
            "on 1 April is in the year above one born on 2 April)."
        ),
    )
    max_school_grade = models.SmallIntegerField(
        _("oldest school year"), null=True, blank=True, choices=SchoolGrade.choices
    )
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    capacity_unit = models.CharField(
        _("capacity counts"),
        max_length=10,
        choices=CapacityUnit.choices,
        default=CapacityUnit.FAMILIES,
    )
    per_family_limit = models.PositiveSmallIntegerField(
        _("people per family at most"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("Children and adults together."),
    )
    fee = models.PositiveIntegerField(pgettext_lazy("event fee", "fee (yen)"), default=0)
    bring = models.TextField(_("what to bring"), blank=True)
    bring_en = models.TextField(_("what to bring (English)"), blank=True)
    applications_open_at = models.DateTimeField(_("applications open"))
    applications_close_at = models.DateTimeField(_("applications close"))
    mode = models.CharField(
        _("how places are given"), max_length=12, choices=Mode.choices, default=Mode.FIRST_COME
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("hours to confirm a freed place"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text=_("Shorter automatically when the event is close."),
    )
    cancel_hours_before = models.PositiveSmallIntegerField(
        _("online cancellation until (hours before the start)"),
        default=24,
        validators=[MaxValueValidator(336)],
    )
    cancelled_at = models.DateTimeField(_("event cancelled"), null=True, blank=True)
    cancel_reason = models.TextField(
        pgettext_lazy("an event called off", "reason for cancelling"), blank=True
    )
    # The lottery, recorded so anyone can check it: random.Random(draw_seed).shuffle() over the
    # ids of the applications waiting for the draw, sorted ascending, gives draw_order.
    drawn_at = models.DateTimeField(_("lottery drawn"), null=True, blank=True)
    draw_seed = models.CharField(_("lottery seed"), max_length=64, blank=True)
    draw_order = models.JSONField(_("lottery order"), default=list, blank=True)
    # The centre that runs the event (a facility with its own staff, childcare.FacilityStaff):
    # its staff run this event as municipal staff do, and no other (issue 10.2). Named by the
    # app label only: events imports nothing of childcare, the staff scope is a join.
    organiser = models.ForeignKey(
        "childcare.Facility",
        verbose_name=_("organising centre"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Its own staff may run this event (participants, attendance, messages). Empty: an "
            "event of the municipality, run by municipal staff only."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(applications_close_at__gt=F("applications_open_at")),
                name="event_window_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(applications_close_at__lte=F("starts_at")),
                name="event_window_closes_before_start",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_capacity_positive"),
            models.CheckConstraint(
                condition=Q(min_age_months__isnull=True)
                | Q(max_age_months__isnull=True)
                | Q(max_age_months__gte=F("min_age_months")),
                name="event_age_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(min_school_grade__isnull=True)
                | Q(max_school_grade__isnull=True)
                | Q(max_school_grade__gte=F("min_school_grade")),
                name="event_school_grades_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def localized_title(self) -> str:
        return self.localized("title")

    @property
    def localized_description(self) -> str:
        return self.localized("description")

    @property
    def localized_place(self) -> str:
        return self.localized("place")

    @property
    def localized_bring(self) -> str:
        return self.localized("bring")

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_lottery(self) -> bool:
        return self.mode == self.Mode.LOTTERY

    @property
    def counts_people(self) -> bool:
        return self.capacity_unit == self.CapacityUnit.PEOPLE

    def places(self, *, families: int, people: int) -> int:
        """Places taken by `families` families of `people` people in all, in the unit the
        capacity counts: the one place where an event counts people or families."""
        return people if self.counts_people else families

    def places_for(self, people: int) -> int:
        """Places one family of `people` people takes."""
        return self.places(families=1, people=people)

    @property
    def offer_policy(self) -> OfferPolicy:
        return OfferPolicy(
            hours=self.offer_hours, ends_before_start=OFFER_ENDS_BEFORE_START, minimum=OFFER_MIN
        )

    @property
    def has_age_range(self) -> bool:
        return any(
            value is not None
            for value in (
                self.min_age_months,
                self.max_age_months,
                self.min_school_grade,
                self.max_school_grade,
            )
        )

    def window_is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.applications_open_at <= now < self.applications_close_at

    def age_fits(self, months: int) -> bool:
        if self.min_age_months is not None and months < self.min_age_months:
            return False
        return self.max_age_months is None or months <= self.max_age_months

    def grade_fits(self, grade: int) -> bool:
        if self.min_school_grade is not None and grade < self.min_school_grade:
            return False
        return self.max_school_grade is None or grade <= self.max_school_grade

    def birth_fits(self, birth_date) -> bool:
        """Is a child born on `birth_date` of the target age and school year on the day of the
        event (completed months; school year by age, kosodate/core/ages.py)?"""
        day = timezone.localdate(self.starts_at)
        return self.age_fits(ages.completed_months(birth_date, day)) and self.grade_fits(
            ages.school_grade(birth_date, day)
        )

    def child_fits(self, child: Child) -> bool:
        return self.birth_fits(child.birth_date)

    def cancellation_deadline(self):
        return self.starts_at - timezone.timedelta(hours=self.cancel_hours_before)


class Application(models.Model):
    """One household's application to one event."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        DRAW_PENDING = "draw_pending", _("Waiting for the lottery")
        WAITLISTED = "waitlisted", _("On the waitlist")
        OFFERED = "offered", _("A place is offered: please confirm")
        CANCELLED = "cancelled", _("Cancelled")
        NOT_SELECTED = "not_selected", _("Not selected")

    # What holds a place: an offer keeps its place until it is confirmed or expires.
    HOLDING = (Status.CONFIRMED, Status.OFFERED)
    # One of these per household and event (the unique constraint below).
    ACTIVE = (Status.CONFIRMED, Status.DRAW_PENDING, Status.WAITLISTED, Status.OFFERED)

    class CancelledBy(models.TextChoices):
        RESIDENT = "resident", _("by you")
        OFFER_EXPIRED = "offer_expired", _("the offer was not confirmed in time")
        EVENT = "event", _("the event was cancelled")

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="applications", verbose_name=_("event")
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.CASCADE,
        related_name="event_applications",
        verbose_name=_("household"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="event_applications",
        verbose_name=_("applied by"),
    )
    children = models.ManyToManyField(
        Child, blank=True, related_name="event_applications", verbose_name=_("children")
    )
    adults = models.PositiveSmallIntegerField(_("adults"), default=1)
    # adults + children, stored so that places in people are summed in SQL.
    people = models.PositiveSmallIntegerField(_("people"))
    status = models.CharField(_("status"), max_length=14, choices=Status.choices)
    # Order on the waitlist: a number given once, under the event's lock, never reused.
    waitlist_number = models.PositiveIntegerField(_("waitlist number"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.CharField(
        _("cancelled"), max_length=14, choices=CancelledBy.choices, blank=True
    )
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    created_at = models.DateTimeField(_("applied"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["event", "status"]),
            models.Index(fields=["status", "offer_expires_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "household"],
                condition=Q(status__in=["confirmed", "draw_pending", "waitlisted", "offered"]),
                name="event_application_one_active_per_household",
            ),
            models.UniqueConstraint(
                fields=["event", "waitlist_number"],
                condition=Q(waitlist_number__isnull=False),
                name="event_application_waitlist_number_unique",
            ),
            models.CheckConstraint(condition=Q(people__gte=1), name="event_application_people"),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(offer_expires_at__isnull=False),
                name="event_application_offer_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}/{self.household_id}: {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class ApplicationStatusChange(models.Model):
    """The status history of an application: one row for every state change, written with it
    (kosodate/core/waitlist.py StatusFlow), shown to the family and to staff."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="history", verbose_name=_("application")
    )
    status = models.CharField(_("status"), max_length=14, choices=Application.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("application history entry")
        verbose_name_plural = _("application history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} → {self.status}"
