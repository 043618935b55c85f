"""ファミサポ (family support): the centre's rules, its advisors, members (依頼・提供・両方),
orientation and training sessions, supporters' profiles, requests and how they are matched, first
meetings, activities with their reports and fees, and the month's close.

Rules are data (CentreRules, one row): the matching mode, the offer deadline, hours, fees and
cancellation charges. services.py is the only writer; fees.py computes fees from the rules."""

from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kosodate.accounts.models import Child


class MatchingMode(models.TextChoices):
    BROADCAST = "broadcast", _("Broadcast to every fitting supporter")
    SEARCH = "search", _("The family searches and asks")
    ADVISOR = "advisor", _("The advisor assigns")


class Skill(models.TextChoices):
    PICKUP = "pickup", _("Pick-up and drop-off")
    HOME_CARE = "home_care", _("Care at the supporter's home")
    SICK_RECOVERY = "sick_recovery", _("Care after illness")
    SIBLINGS = "siblings", _("Brothers and sisters together")
    EARLY_LATE = "early_late", _("Early morning and evening")


class CentreRules(models.Model):
    """The centre's rules, one row (pk=1); DOMAIN.md's defaults. Edited in the Django admin."""

    SINGLETON_ID = 1

    centre_name = models.CharField(
        _("centre"), max_length=100, default="ファミリー・サポート・センター"
    )
    centre_phone = models.CharField(_("centre phone"), max_length=20, blank=True)
    matching_mode = models.CharField(
        _("matching"), max_length=10, choices=MatchingMode.choices, default=MatchingMode.BROADCAST
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("hours to answer before the advisor takes over"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
    )
    known_supporter_hours = models.PositiveSmallIntegerField(
        _("hours the known supporter has first"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
    )
    opens_at = models.TimeField(_("activities from"), default=time(7, 0))
    closes_at = models.TimeField(_("activities until"), default=time(22, 0))
    early_until = models.TimeField(_("early rate before"), default=time(8, 0))
    late_from = models.TimeField(_("late rate from"), default=time(19, 0))
    weekday_rate = models.PositiveIntegerField(_("weekday fee per hour (yen)"), default=700)
    weekend_rate = models.PositiveIntegerField(
        _("weekend and holiday fee per hour (yen)"), default=900
    )
    early_late_rate = models.PositiveIntegerField(
        _("early and late fee per hour (yen)"), default=900
    )
    sibling_percent = models.PositiveSmallIntegerField(
        _("each further child, percent of the fee"),
        default=50,
        validators=[MaxValueValidator(100)],
    )
    step_minutes = models.PositiveSmallIntegerField(_("billed in steps of (minutes)"), default=30)
    minimum_minutes = models.PositiveSmallIntegerField(
        _("first period billed in full (minutes)"), default=60
    )
    free_cancel_days_before = models.PositiveSmallIntegerField(
        _("free cancellation until (days before)"), default=1
    )
    same_day_cancel_minutes = models.PositiveSmallIntegerField(
        _("cancelling on the day costs (minutes of fee)"), default=60
    )
    no_show_full = models.BooleanField(_("a no-show pays the full booked time"), default=True)
    min_age_months = models.PositiveSmallIntegerField(_("youngest child (months)"), default=6)
    certificate_valid_years = models.PositiveSmallIntegerField(
        _("training certificate valid for (years)"), default=3
    )
    membership_years = models.PositiveSmallIntegerField(
        _("membership valid for (years)"), default=1
    )

    class Meta:
        verbose_name = _("family-support rules")
        verbose_name_plural = _("family-support rules")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="fs_rules_singleton"),
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="fs_rules_hours"),
            models.CheckConstraint(condition=Q(step_minutes__gt=0), name="fs_rules_step"),
        ]

    def __str__(self) -> str:
        return self.centre_name


class Advisor(models.Model):
    """アドバイザー: a staff account assigned to the centre. Only advisors (and system
    administrators) open the centre's back office and see members' personal data."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fs_advisor"
    )
    active = models.BooleanField(_("active"), default=True)
    assigned_at = models.DateTimeField(_("assigned"), auto_now_add=True)

    class Meta:
        verbose_name = _("advisor")
        verbose_name_plural = _("advisors")

    def __str__(self) -> str:
        return self.user.full_name


class District(models.Model):
    """An area (school district or 町丁目). Distance is counted on a rough grid of districts."""

    name = models.CharField(_("district"), max_length=50, unique=True)
    grid_x = models.SmallIntegerField(default=0)
    grid_y = models.SmallIntegerField(default=0)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def distance(self, other: "District | None") -> int:
        if other is None:
            return 99
        return abs(self.grid_x - other.grid_x) + abs(self.grid_y - other.grid_y)


class Member(models.Model):
    """A resident's membership. A supporter is a member of kind SUPPORT or BOTH, with a profile."""

    class Kind(models.TextChoices):
        REQUEST = "request", _("Requesting member (依頼会員)")
        SUPPORT = "support", _("Supporter (提供会員)")
        BOTH = "both", _("Both (両方会員)")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied: come to the orientation")
        ACTIVE = "active", _("Member")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fs_member"
    )
    kind = models.CharField(_("membership"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.APPLIED
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="members", verbose_name=_("district")
    )
    card_number = models.CharField(_("membership card number"), max_length=20, blank=True)
    valid_until = models.DateField(_("membership valid until"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("membership confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied"), auto_now_add=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                fields=["card_number"], condition=~Q(card_number=""), name="fs_member_card_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | ~Q(card_number=""), name="fs_member_active_card"
            ),
        ]

    def __str__(self) -> str:
        return self.user.full_name

    @property
    def requests_help(self) -> bool:
        return self.kind in (self.Kind.REQUEST, self.Kind.BOTH)

    @property
    def supports(self) -> bool:
        return self.kind in (self.Kind.SUPPORT, self.Kind.BOTH)


class MemberPhoto(models.Model):
    """The membership photo the centre may take at the counter (optional). Re-encoded by
    kosodate.core.images (EXIF dropped), kept in the database, shown only to the centre's
    advisors through an access-checked view."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="photo")
    content = models.BinaryField()
    content_type = models.CharField(max_length=30)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership photo")
        verbose_name_plural = _("membership photos")

    def __str__(self) -> str:
        return f"photo of {self.member}"


class Session(models.Model):
    """An orientation (入会説明会) or a training course session (養成講座), with capacity."""

    class Kind(models.TextChoices):
        ORIENTATION = "orientation", _("Orientation (入会説明会)")
        TRAINING = "training", _("Training course (養成講座)")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100)
    starts_at = models.DateTimeField(_("starts"))
    place = models.CharField(_("place"), max_length=100)
    capacity = models.PositiveSmallIntegerField(_("places"), validators=[MinValueValidator(1)])
    published = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "pk"]

    def __str__(self) -> str:
        return f"{self.title} {self.starts_at:%Y-%m-%d %H:%M}"


class Attendance(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        ATTENDED = "attended", _("Attended")
        ABSENT = "absent", _("Absent")
        CANCELLED = "cancelled", _("Cancelled")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="attendances")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="fs_attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.session}"


class SupporterProfile(models.Model):
    """What a supporter offers. Residents see the display name, district and skills only."""

    class Status(models.TextChoices):
        TRAINING = "training", _("In training")
        APPROVED = "approved", _("Approved")
        SUSPENDED = "suspended", _("Suspended")

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(_("name shown to families"), max_length=30)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.TRAINING
    )
    can_pickup = models.BooleanField(Skill.PICKUP.label, default=False)
    can_home_care = models.BooleanField(Skill.HOME_CARE.label, default=False)
    can_sick_recovery = models.BooleanField(Skill.SICK_RECOVERY.label, default=False)
    can_siblings = models.BooleanField(Skill.SIBLINGS.label, default=False)
    can_early_late = models.BooleanField(Skill.EARLY_LATE.label, default=False)
    certificate_date = models.DateField(_("training certificate date"), null=True, blank=True)
    certificate_expires = models.DateField(_("certificate valid until"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    about = models.CharField(_("a word to families"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("supporter profile")
        verbose_name_plural = _("supporter profiles")
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def skills(self) -> list[str]:
        return [skill for skill in Skill.values if getattr(self, f"can_{skill}")]

    def skill_labels(self) -> list[str]:
        return [str(Skill(skill).label) for skill in self.skills]


class Availability(models.Model):
    """A weekly window a supporter can take activities in (weekday 0 = Monday)."""

    profile = models.ForeignKey(
        SupporterProfile, on_delete=models.CASCADE, related_name="availability"
    )
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        indexes = [models.Index(fields=["weekday", "starts", "ends"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="fs_avail_order")
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.starts:%H:%M}–{self.ends:%H:%M}"


class Insurance(models.Model):
    """補償保険 coverage recorded per fiscal year (April–March)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="insurance")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    policy = models.CharField(_("policy"), max_length=50)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "fiscal_year"], name="fs_insurance_once")
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.fiscal_year}"


class SupportRequest(models.Model):
    """A family's request, single or weekly, matched to one supporter for all its dates."""

    class Kind(models.TextChoices):
        PICKUP = "pickup", _("Pick-up from nursery or school")
        AFTER_SCHOOL = "after_school", _("Care after school")
        OUTING = "outing", _("Care while the parent is out")
        SICK_RECOVERY = "sick_recovery", _("Care after illness")

    class Status(models.TextChoices):
        OPEN = "open", _("Looking for a supporter")
        ADVISOR = "advisor", _("With the advisor")
        MATCHED = "matched", _("Supporter found")
        CANCELLED = "cancelled", _("Cancelled")

    class Stage(models.TextChoices):
        KNOWN = "known", _("Asked the supporter you know")
        MODE = "mode", _("Matching")
        ADVISOR = "advisor", _("Advisor")

    family = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="requests")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    siblings = models.PositiveSmallIntegerField(_("brothers and sisters also cared for"), default=0)
    kind = models.CharField(_("kind of help"), max_length=15, choices=Kind.choices)
    first_date = models.DateField(_("date"))
    until = models.DateField(_("repeat until"), null=True, blank=True)
    weekdays = models.JSONField(_("repeat on"), default=list, blank=True)
    starts = models.TimeField(_("starts at"))
    ends = models.TimeField(_("ends at"))
    place = models.CharField(_("place of care"), max_length=200)
    pickup = models.CharField(_("pick-up details"), max_length=200, blank=True)
    notes = models.TextField(_("notes (allergies, health)"), max_length=1000, blank=True)
    mode = models.CharField(max_length=10, choices=MatchingMode.choices)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.MODE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    respond_by = models.DateTimeField(_("answer by"), null=True, blank=True)
    supporter = models.ForeignKey(
        SupporterProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="matched"
    )
    fee_estimate = models.PositiveIntegerField(_("fee estimate (yen)"), default=0)
    unfilled_reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "respond_by"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="fs_request_order"),
            models.CheckConstraint(
                condition=~Q(status="matched") | Q(supporter__isnull=False),
                name="fs_request_matched_has_supporter",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.first_date}"

    @property
    def is_recurring(self) -> bool:
        return bool(self.weekdays)


class Offer(models.Model):
    """A request put to one supporter: by broadcast, by the family's ask, or by the advisor."""

    class Via(models.TextChoices):
        KNOWN = "known", _("Known supporter")
        BROADCAST = "broadcast", _("Broadcast")
        ASKED = "asked", _("Asked by the family")
        ADVISOR = "advisor", _("Proposed by the advisor")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for your answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        TAKEN = "taken", _("Taken by another supporter")
        CLOSED = "closed", _("Closed (no answer needed)")

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="offers")
    supporter = models.ForeignKey(SupporterProfile, on_delete=models.CASCADE, related_name="offers")
    via = models.CharField(max_length=10, choices=Via.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "supporter"], name="fs_offer_once"),
            # The backstop of "one supporter per request": the lock decides, this refuses a second.
            models.UniqueConstraint(
                fields=["request"], condition=Q(status="accepted"), name="fs_offer_one_accepted"
            ),
        ]
        indexes = [models.Index(fields=["supporter", "status"])]

    def __str__(self) -> str:
        return f"{self.request} → {self.supporter}"


class Meeting(models.Model):
    """事前打ち合わせ of a family and a supporter (with the advisor and the child), once per pair."""

    class Status(models.TextChoices):
        NEEDED = "needed", _("To be arranged")
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        WAIVED = "waived", _("Waived")

    family = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="meetings")
    supporter = models.ForeignKey(SupporterProfile, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEEDED)
    scheduled_at = models.DateTimeField(_("date and time"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    waiver_reason = models.CharField(_("reason"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["family", "supporter"], name="fs_meeting_pair"),
            models.CheckConstraint(
                condition=~Q(status="waived") | ~Q(waiver_reason=""), name="fs_waiver_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.family} · {self.supporter}"

    @property
    def cleared(self) -> bool:
        return self.status in (self.Status.HELD, self.Status.WAIVED)


class Activity(models.Model):
    """One date of a matched request: the care itself, its report, its fee and settlement."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        REPORTED = "reported", _("Report filed: waiting for the family")
        DISPUTED = "disputed", _("Disputed: the advisor will settle it")
        SETTLED = "settled", _("Settled")
        CANCELLED = "cancelled", _("Cancelled")

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="activities")
    supporter = models.ForeignKey(
        SupporterProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    date = models.DateField(_("date"))
    starts = models.TimeField(_("starts at"))
    ends = models.TimeField(_("ends at"))
    # Blank: the request's place. Set when the centre changes this one date's place.
    place = models.CharField(_("place of care"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    cancelled_by = models.CharField(max_length=10, blank=True)
    cancel_fee = models.PositiveIntegerField(default=0)
    actual_start = models.TimeField(_("actual start"), null=True, blank=True)
    actual_end = models.TimeField(_("actual end"), null=True, blank=True)
    done = models.TextField(_("what was done"), max_length=1000, blank=True)
    transport = models.PositiveIntegerField(_("transport costs (yen)"), default=0)
    report_notes = models.TextField(_("notes"), max_length=1000, blank=True)
    fee = models.PositiveIntegerField(_("fee (yen)"), default=0)
    dispute_reason = models.CharField(_("reason"), max_length=300, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "starts", "pk"]
        indexes = [
            models.Index(fields=["date", "status"]),
            # A supporter's activities by date: this month's load when ranking candidates, and
            # the overlap check when they accept or are given an activity.
            models.Index(fields=["supporter", "date"], name="fs_activity_supporter_date"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["request", "date"], name="fs_activity_once_a_day"),
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="fs_activity_order"),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True) | Q(actual_end__gt=F("actual_start")),
                name="fs_activity_actual_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.starts:%H:%M}–{self.ends:%H:%M}"

    @property
    def where(self) -> str:
        return self.place or self.request.place


class MonthClose(models.Model):
    """The centre closed this month: its reports are final and statements are issued."""

    month = models.DateField(unique=True)  # the first day of the month
    closed_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    activities = models.PositiveIntegerField(default=0)
    total_fee = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-month"]
        constraints = [models.CheckConstraint(condition=Q(month__day=1), name="fs_close_first")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
