"""子育て相談: written consultations and booked chat sessions with 保育士・保健師・栄養士.

What varies between municipalities is data: the topics and the profession each routes to, the
emergency words, the answer templates, and one row of rules (working hours, the first-answer
target, reopening, booking and retention)."""

import uuid
from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosodate.core.models import BilingualMixin


class Profession(models.TextChoices):
    CHILDCARE = "childcare", _("Nursery teacher (保育士)")
    HEALTH = "health", _("Public health nurse (保健師)")
    NUTRITION = "nutrition", _("Dietitian (栄養士)")


class ConsultationRules(models.Model):
    """The municipality's rules for consultations (one row, edited in the Django admin)."""

    SINGLETON_ID = 1

    first_answer_working_hours = models.PositiveSmallIntegerField(
        _("first answer within (working hours)"),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
        help_text=_(
            "Counted only in the service's working hours on working days: 8 working hours of "
            "9:00–17:00 is one working day, so a question asked on a weekday is answered within "
            "24 hours and one asked on Friday evening by Monday evening."
        ),
    )
    working_day_starts = models.TimeField(_("working day starts"), default=time(9, 0))
    working_day_ends = models.TimeField(_("working day ends"), default=time(17, 0))
    closed_saturday = models.BooleanField(_("closed on Saturdays"), default=True)
    closed_sunday = models.BooleanField(_("closed on Sundays"), default=True)
    closed_holidays = models.BooleanField(_("closed on national holidays"), default=True)
    closed_year_end = models.BooleanField(
        _("closed over the New Year (29 December – 3 January)"), default=True
    )
    reopen_days = models.PositiveSmallIntegerField(
        _("a closed consultation can be reopened for (days)"), default=14
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("length of a booked session (minutes)"),
        default=10,
        validators=[MinValueValidator(5), MaxValueValidator(60)],
    )
    booking_closes_minutes = models.PositiveSmallIntegerField(
        _("booking closes before the session (minutes)"), default=30
    )
    cancel_until_minutes = models.PositiveSmallIntegerField(
        _("cancellation possible until before the session (minutes)"), default=30
    )
    reminder_minutes = models.PositiveSmallIntegerField(
        _("reminder before the session (minutes)"), default=180
    )
    video_url = models.URLField(
        _("external video meeting address (optional)"),
        blank=True,
        help_text=_("We do not host video: families get this link with their booked session."),
    )
    retention_child_age_years = models.PositiveSmallIntegerField(
        _("keep records until the child turns (years)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_(
            "Then photos are deleted and the messages anonymised; the counts for reports stay."
        ),
    )
    photo_max_bytes = models.PositiveIntegerField(
        _("largest photo (bytes)"), default=5 * 1024 * 1024
    )

    class Meta:
        verbose_name = _("consultation rules")
        verbose_name_plural = _("consultation rules")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="consultation_rules_singleton"),
            models.CheckConstraint(
                condition=Q(working_day_ends__gt=models.F("working_day_starts")),
                name="consultation_rules_day_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class Topic(BilingualMixin, models.Model):
    """発達, 授乳・離乳食, 睡眠 …: what the family chooses; it routes to a profession."""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50, blank=True)
    profession = models.CharField(_("answered by"), max_length=20, choices=Profession.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.localized("name")


class EmergencyWord(models.Model):
    """A word that signals an emergency or abuse: the page shows 119 / #8000 at once and the
    consultation is flagged for staff. It never blocks sending."""

    class Kind(models.TextChoices):
        EMERGENCY = "emergency", _("Emergency")
        ABUSE = "abuse", _("Abuse")
        SELF_HARM = "self_harm", _("Self-harm")

    word = models.CharField(_("word"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("emergency word")
        verbose_name_plural = _("emergency words")
        ordering = ["kind", "word"]

    def __str__(self) -> str:
        return self.word


class AnswerTemplate(models.Model):
    """A professional's answer template for one topic, kept as data."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="templates", verbose_name=_("topic")
    )
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=4000)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("answer template")
        verbose_name_plural = _("answer templates")
        ordering = ["topic", "order", "pk"]

    def __str__(self) -> str:
        return self.title


class StaffMember(models.Model):
    """Who may open consultations: professionals (a consultant account with a profession) and
    municipal staff given the consultations role (no profession: they read every profession's).
    Recorded here so that the accounts app keeps one role per person."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consultation_staff"
    )
    profession = models.CharField(
        _("profession"), max_length=20, choices=Profession.choices, blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("consultation staff member")
        verbose_name_plural = _("consultation staff")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_profession_display() or _('all professions')})"

    @property
    def is_supervisor(self) -> bool:
        return not self.profession


class Consultation(models.Model):
    """One consultation about one child: a written thread, or the chat of a booked session."""

    class Channel(models.TextChoices):
        WRITTEN = "written", _("Written question")
        SESSION = "session", _("Booked session")

    class Status(models.TextChoices):
        WAITING_STAFF = "waiting_staff", _("Waiting for an answer")
        WAITING_FAMILY = "waiting_family", _("Answered")
        CLOSED = "closed", pgettext_lazy("consultation", "Closed")

    class Outcome(models.TextChoices):
        ADVICE = "advice", _("Advice only")
        REFERRAL = "referral", _("Referred to the counter or a home visit")
        MEDICAL = "medical", _("Advised to see a doctor")
        FOLLOW_UP = "follow_up", _("Needs follow-up")

    channel = models.CharField(
        pgettext_lazy("consultation", "channel"),
        max_length=10,
        choices=Channel.choices,
        default=Channel.WRITTEN,
    )
    # Null once anonymised by the retention rule; the counts for reports stay.
    household = models.ForeignKey(
        "accounts.Household",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("household"),
    )
    child = models.ForeignKey(
        "accounts.Child",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("child"),
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("asked by"),
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="consultations", verbose_name=_("topic")
    )
    profession = models.CharField(_("profession"), max_length=20, choices=Profession.choices)
    child_age_months = models.PositiveSmallIntegerField(_("age in months when asked"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.WAITING_STAFF
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    flagged = models.BooleanField(_("flagged"), default=False)
    flag_words = models.JSONField(_("words that flagged it"), default=list, blank=True)
    created_at = models.DateTimeField(_("asked"))
    due_at = models.DateTimeField(_("first answer due"), null=True, blank=True)
    first_answered_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("last message"))
    closed_at = models.DateTimeField(pgettext_lazy("consultation", "closed"), null=True, blank=True)
    helpful = models.BooleanField(_("helpful"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["profession", "status", "flagged", "due_at"]),
            models.Index(fields=["assigned_to", "status"]),
            models.Index(fields=["child", "created_at"]),
            models.Index(fields=["household", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="consultation_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic}"


class Message(models.Model):
    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_staff = models.BooleanField(_("from staff"), default=False)
    # The professional's profession when they wrote it, shown to the family instead of a name.
    profession = models.CharField(
        _("profession"), max_length=20, choices=Profession.choices, blank=True
    )
    body = models.TextField(_("message"), max_length=4000)
    created_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["consultation", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.consultation_id} {self.created_at:%Y-%m-%d %H:%M}"


# Photos a family may attach to one message (each checked by kosodate.core.images.photo_clean).
MAX_PHOTOS = 3


def _new_key() -> str:
    return uuid.uuid4().hex


class Photo(models.Model):
    """A photo attached to a message, re-encoded (which drops EXIF, location included) and kept
    in the database, never under a public address: served by an access-checked view only."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="photos")
    # Unguessable as well as access-checked: a leaked URL of one photo names no other.
    key = models.CharField(max_length=32, unique=True, default=_new_key, editable=False)
    content = models.BinaryField()
    content_type = models.CharField(max_length=30)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"photo {self.pk}"


class StaffNote(models.Model):
    """A private note by staff: the family never sees it."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("note"), max_length=4000)
    created_at = models.DateTimeField(_("written"))

    class Meta:
        verbose_name = _("staff note")
        verbose_name_plural = _("staff notes")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"note #{self.consultation_id}"


class Handover(models.Model):
    """A consultation passed to another profession, with a note for the next professional. The
    professions it passed through may still open it."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="handovers"
    )
    from_profession = models.CharField(max_length=20, choices=Profession.choices)
    to_profession = models.CharField(max_length=20, choices=Profession.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), max_length=2000)
    created_at = models.DateTimeField(_("handed over"))

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"#{self.consultation_id} {self.from_profession} → {self.to_profession}"


class Slot(models.Model):
    """A bookable session (10 minutes by default) with one profession, published by staff."""

    profession = models.CharField(_("profession"), max_length=20, choices=Profession.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("professional"),
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("session slot")
        verbose_name_plural = _("session slots")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["profession", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["profession", "starts_at", "professional"], name="slot_unique_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_profession_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class Booking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Copied from the slot so that the database itself refuses a second booking of the same
    # profession on the same day (the locking contract checks first; this is the backstop).
    profession = models.CharField(max_length=20, choices=Profession.choices)
    day = models.DateField()
    consultation = models.OneToOneField(
        Consultation, on_delete=models.CASCADE, related_name="booking"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["slot__starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"], condition=Q(status="booked"), name="booking_one_per_slot"
            ),
            models.UniqueConstraint(
                fields=["booked_by", "profession", "day"],
                condition=Q(status="booked"),
                name="booking_one_per_profession_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slot} ({self.get_status_display()})"
