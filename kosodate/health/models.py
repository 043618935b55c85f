"""予防接種 and 乳幼児健診: the schedule rules (data staff can correct), doses a family ticked off,
the municipality's checkups, notices targeted by age and area, and reminder markers."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosodate.core.ages import TermError, interval_wording, term_parse
from kosodate.core.models import BilingualMixin


def validate_day_term(value: str) -> None:
    if not value:
        return
    try:
        term_parse(value)
    except TermError:
        raise ValidationError(
            _(
                'Write a day like "2m" (生後2月に至った日), "7m+" (the day after it), "1y" (1歳に達した'
                '日), "6w0d" (出生6週0日後), "S", "S-1y", "S-1d" (school entry) or "F12", "F16end" '
                "(the fiscal year the child turns 12 or 16)."
            ),
            code="age",
        ) from None


# Migration 0001 names the validator of the first notation.
validate_age = validate_day_term


def validate_interval_term(value: str) -> None:
    if not value:
        return
    try:
        interval_wording(value)
    except TermError:
        raise ValidationError(
            _('Write an interval like "27d" (27日以上の間隔) or "6m" (6月以上の間隔).'),
            code="interval",
        ) from None


def _day_field(verbose_name, help_text=""):
    return models.CharField(
        verbose_name,
        max_length=12,
        blank=True,
        validators=[validate_day_term],
        help_text=help_text,
    )


def _interval_field(verbose_name, help_text=""):
    return models.CharField(
        verbose_name,
        max_length=12,
        blank=True,
        validators=[validate_interval_term],
        help_text=help_text,
    )


class Vaccine(BilingualMixin, models.Model):
    """A routine vaccine (定期接種) and its stage; its doses are ScheduleRule rows."""

    class Sex(models.TextChoices):
        ANY = "", _("Every child")
        FEMALE = "female", _("Girls only")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    group = models.SlugField(
        _("alternatives group"),
        max_length=30,
        blank=True,
        help_text=_("Vaccines in one group are alternatives (e.g. the two rotavirus vaccines)."),
    )
    sex = models.CharField(_("for"), max_length=10, blank=True, choices=Sex.choices)
    only_if_started = models.BooleanField(
        _("shown only once a dose is recorded"),
        default=False,
        help_text=_(
            "For an older route some children started on (the 4-in-1 and Hib vaccines, before April 2024)."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    note = models.TextField(_("note"), blank=True)
    note_en = models.TextField(_("note (English)"), blank=True)
    source = models.CharField(_("source"), max_length=300)

    class Meta:
        verbose_name = _("vaccine")
        verbose_name_plural = _("vaccines")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def localized_name(self) -> str:
        return self.localized("name")

    @property
    def localized_note(self) -> str:
        return self.localized("note")


class ScheduleRule(BilingualMixin, models.Model):
    """One dose of one plan of a vaccine, as the 定期接種実施要領 sets it. Each boundary is a term
    of kosodate/core/ages.py that states the law's wording ("2m": 生後2月に至った日から as a
    start, 生後2月に至るまで as an end; "27d": 27日以上の間隔); every end is inclusive."""

    vaccine = models.ForeignKey(
        Vaccine, on_delete=models.CASCADE, related_name="rules", verbose_name=_("vaccine")
    )
    band_from = _day_field(
        _("plan: first dose from"), _("「…から」: the plan applies from this day (included).")
    )
    band_until = _day_field(
        _("plan: first dose until"),
        _("「…まで」「…に至るまで」: up to and including this day."),
    )
    dose_number = models.PositiveSmallIntegerField(_("dose number"))
    label = models.CharField(_("label"), max_length=50)
    label_en = models.CharField(_("label (English)"), max_length=50)
    earliest_age = _day_field(_("earliest day"))
    last_until = _day_field(
        _("free until"), _("The legal limit: the last day the dose is a routine (free) dose.")
    )
    advised_until = _day_field(
        _("recommended until"),
        _(
            "After this day the dose is still free but not recommended: families are told to "
            "ask their doctor (rotavirus first dose after 出生14週6日後)."
        ),
    )
    rec_from = _day_field(_("standard period from"))
    rec_until = _day_field(_("standard period until"))
    min_interval = _interval_field(
        _("minimum interval"), _("「N日以上の間隔」: allowed from the previous dose + N + 1 days.")
    )
    interval_from_dose = models.PositiveSmallIntegerField(
        _("interval counted from dose"),
        null=True,
        blank=True,
        help_text=_("Empty: from the previous dose."),
    )
    rec_interval_from = _interval_field(_("standard interval from"))
    rec_interval_until = _interval_field(_("standard interval until"))
    skip_when_late = models.BooleanField(
        _("left out when late"),
        default=False,
        help_text=_("After its limit this dose is left out and the series goes on."),
    )
    skip_after_previous = _day_field(
        _("left out when the previous dose came after"),
        _(
            "This dose is left out when the previous one was given after this day "
            "(pneumococcal primary 3 when primary 2 came after 生後12月に至るまで)."
        ),
    )
    source = models.CharField(_("source"), max_length=300)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("schedule rule")
        verbose_name_plural = _("schedule rules")
        ordering = ["vaccine__order", "vaccine__code", "band_from", "dose_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["vaccine", "band_from", "dose_number"], name="schedule_rule_unique_dose"
            ),
            models.CheckConstraint(
                condition=Q(dose_number__gte=1), name="schedule_rule_dose_number_positive"
            ),
        ]

    def __str__(self) -> str:
        band = f" [{self.band_from}–{self.band_until}]" if self.band_from else ""
        return f"{self.vaccine.code}{band} #{self.dose_number} {self.label}"

    @property
    def localized_label(self) -> str:
        return self.localized("label")


class DoseRecord(models.Model):
    """A dose the family ticked off (the date written in the 母子手帳)."""

    child = models.ForeignKey(
        "accounts.Child", on_delete=models.CASCADE, related_name="doses", verbose_name=_("child")
    )
    vaccine = models.ForeignKey(
        Vaccine, on_delete=models.PROTECT, related_name="doses", verbose_name=_("vaccine")
    )
    given_on = models.DateField(_("date given"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("dose given")
        verbose_name_plural = _("doses given")
        ordering = ["given_on", "pk"]
        constraints = [
            # One vaccine is not given twice on one day: a double tap is one dose.
            models.UniqueConstraint(
                fields=["child", "vaccine", "given_on"], name="dose_record_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vaccine.code} {self.given_on}"


class ChildImmunisation(models.Model):
    """What the family told us that changes a child's routine programme. Kept in the health app
    (not on Child) because only the schedule reads it."""

    child = models.OneToOneField(
        "accounts.Child", on_delete=models.CASCADE, related_name="immunisation"
    )
    hepb_with_hbig = models.BooleanField(
        _("hepatitis B vaccine given with HBIG to prevent mother-to-child infection"),
        default=False,
        help_text=_(
            "Babies given hepatitis B immune globulin (HBIG) with the vaccine because the mother "
            "carries the virus have these doses under health insurance: they are outside the "
            "routine programme (予防接種法施行規則)."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("child's immunisation details")
        verbose_name_plural = _("children's immunisation details")

    def __str__(self) -> str:
        return f"{self.child_id}"


class Checkup(BilingualMixin, models.Model):
    """A 乳幼児健診 the municipality holds, for children of an age range, and how it is held."""

    class Method(models.TextChoices):
        GROUP = "group", _("Group session at the health centre")
        VOUCHER = "voucher", _("Voucher at a clinic")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    age_from = _day_field(_("from"), _("「…から」: the first day of the checkup's age."))
    age_until = _day_field(_("until"), _("「…まで」: the last day (included)."))
    method = models.CharField(_("how it is held"), max_length=10, choices=Method.choices)
    place = models.CharField(_("place"), max_length=200, blank=True)
    place_en = models.CharField(_("place (English)"), max_length=200, blank=True)
    note = models.TextField(_("what to bring and know"), blank=True)
    note_en = models.TextField(_("what to bring and know (English)"), blank=True)
    legal = models.BooleanField(
        _("required by law (Maternal and Child Health Act, art. 12)"), default=False
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("health checkup")
        verbose_name_plural = _("health checkups")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def localized_name(self) -> str:
        return self.localized("name")

    @property
    def localized_place(self) -> str:
        return self.localized("place")

    @property
    def localized_note(self) -> str:
        return self.localized("note")


class CheckupSession(models.Model):
    """One date of a group checkup, for the children born in a range (usually one month)."""

    checkup = models.ForeignKey(
        Checkup, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("checkup")
    )
    held_on = models.DateField(_("date"))
    reception = models.CharField(_("reception hours"), max_length=50, blank=True)
    born_from = models.DateField(_("for children born from"))
    born_until = models.DateField(_("for children born until"))

    class Meta:
        verbose_name = _("checkup session")
        verbose_name_plural = _("checkup sessions")
        ordering = ["held_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(born_until__gte=models.F("born_from")),
                name="checkup_session_birth_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.checkup} {self.held_on}"


class HealthNotice(BilingualMixin, models.Model):
    """Information for families whose child is in an age range (in months), optionally only in
    an area or a household situation. Shown on My Page; public notices stay announcements."""

    class Situation(models.TextChoices):
        SINGLE_PARENT = "single_parent", _("Single-parent family")
        MULTIPLE_BIRTH = "multiple_birth", _("Twins or more")
        FOREIGN_LANGUAGE = "foreign_language", _("Prefers a language other than Japanese")
        DISABILITY = "disability", _("Child with a disability or special needs")

    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    body_en = models.TextField(_("body (English)"), blank=True)
    age_from_months = models.PositiveSmallIntegerField(_("child age from (months)"), default=0)
    age_to_months = models.PositiveSmallIntegerField(
        _("child age to (months, inclusive)"), default=215
    )
    postal_prefix = models.CharField(
        _("postal code starts with"), max_length=7, blank=True, help_text=_("Empty: every area.")
    )
    town = models.CharField(
        _("town"), max_length=100, blank=True, help_text=_("Empty: every town.")
    )
    situation = models.CharField(
        _("household situation"),
        max_length=30,
        blank=True,
        choices=Situation.choices,
        help_text=_("Empty: every household."),
    )
    published = models.BooleanField(_("published"), default=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    ends_at = models.DateTimeField(_("show until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("notice for families")
        verbose_name_plural = _("notices for families")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_to_months__gte=models.F("age_from_months")),
                name="health_notice_age_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def localized_title(self) -> str:
        return self.localized("title")

    @property
    def localized_body(self) -> str:
        return self.localized("body")


class HouseholdSituation(models.Model):
    """A situation the family chose to tell us, so matching notices reach them (optional)."""

    household = models.ForeignKey(
        "accounts.Household", on_delete=models.CASCADE, related_name="health_situations"
    )
    situation = models.CharField(max_length=30, choices=HealthNotice.Situation.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["household", "situation"], name="household_situation_once"
            )
        ]

    def __str__(self) -> str:
        return self.get_situation_display()


class ReminderSent(models.Model):
    """The marker that makes each reminder go out once: the row is inserted before sending, and
    the unique constraint lets only one worker insert it."""

    class Kind(models.TextChoices):
        VACCINE_CLOSING = "vaccine_closing", _("Vaccine window closing")
        CHECKUP = "checkup", _("Checkup coming")

    child = models.ForeignKey("accounts.Child", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The rule (vaccine dose) or checkup the reminder is about, as "<model>:<pk>[:<date>]".
    key = models.CharField(max_length=60)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["child", "kind", "key"], name="reminder_sent_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
