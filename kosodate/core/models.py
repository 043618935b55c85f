"""The municipality's profile and rules, announcements, maintenance windows, the outbox of every
message sent, and the audit log."""

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedTextField

if TYPE_CHECKING:
    from .registry import ServiceSwitch


class BilingualMixin:
    """Content typed by staff in Japanese, with an optional English version."""

    def localized(self, field: str) -> str:
        if (get_language() or "ja").startswith("en"):
            english = getattr(self, f"{field}_en", "")
            if english:
                return english
        return getattr(self, field)


class Municipality(BilingualMixin, models.Model):
    """One deployment serves one municipality: this single row holds its profile, which services
    it switched on, and the rule values the services read. Edited in the Django admin."""

    SINGLETON_ID = 1
    # The switches of the services a municipality may offer. A switch means something only while
    # its service is installed (registered in core.registry): the admin shows those only, and the
    # demo switches on only those.
    SERVICE_FLAGS = (
        "childcare_enabled",
        "events_enabled",
        "familysupport_enabled",
        "consultations_enabled",
        "health_info_enabled",
    )

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    code = models.CharField(
        _("municipality code (JIS X 0402)"),
        max_length=6,
        validators=[RegexValidator(r"^\d{5,6}$", _("Enter the 5- or 6-digit code."))],
        help_text=_("Addresses whose postal code maps to this code count as residents."),
    )
    system_name = models.CharField(_("system name"), max_length=100, default="子育てサポート")
    system_name_en = models.CharField(
        _("system name (English)"), max_length=100, default="Childcare Support", blank=True
    )

    counter_name = models.CharField(_("counter"), max_length=100)
    counter_name_en = models.CharField(_("counter (English)"), max_length=100, blank=True)
    counter_address = models.CharField(_("counter address"), max_length=200)
    counter_address_en = models.CharField(
        _("counter address (English)"), max_length=200, blank=True
    )
    counter_phone = models.CharField(_("counter phone"), max_length=20)
    counter_email = models.EmailField(_("counter email"), blank=True)
    counter_hours = models.CharField(_("counter hours"), max_length=200)
    counter_hours_en = models.CharField(_("counter hours (English)"), max_length=200, blank=True)

    childcare_enabled = models.BooleanField(_("temporary childcare"), default=True)
    events_enabled = models.BooleanField(_("events and classes"), default=True)
    familysupport_enabled = models.BooleanField(_("family support"), default=True)
    consultations_enabled = models.BooleanField(_("consultations"), default=True)
    health_info_enabled = models.BooleanField(_("immunisations and checkups"), default=True)

    # Account rules (SECURITY.md, DOMAIN.md). Each is a default a municipality may tighten.
    lockout_threshold = models.PositiveSmallIntegerField(
        _("failed sign-ins before a lock"),
        default=5,
        validators=[MinValueValidator(3), MaxValueValidator(10)],
    )
    lockout_minutes = models.PositiveSmallIntegerField(
        _("lock duration (minutes)"),
        default=30,
        validators=[MinValueValidator(30), MaxValueValidator(60)],
    )
    password_requires_letters_and_digits = models.BooleanField(
        _("passwords must contain letters and digits"), default=True
    )
    password_change_reminder_days = models.PositiveSmallIntegerField(
        _("remind to change a password after (days, 0 = never)"), default=0
    )
    require_counter_identity_check = models.BooleanField(
        _("require an identity check at the counter before services open"), default=False
    )
    allow_outside_residents = models.BooleanField(
        _("allow people living outside the municipality"), default=False
    )
    ask_residence_code = models.BooleanField(_("ask for the 住民票コード"), default=False)
    email_second_step_enabled = models.BooleanField(
        _("allow email codes as a second step"), default=True
    )
    trusted_browser_days = models.PositiveSmallIntegerField(
        _("days a browser may skip the second step"),
        default=14,
        validators=[MaxValueValidator(30)],
    )
    identity_check_instructions = models.TextField(
        _("what to bring to the identity check"), blank=True
    )
    identity_check_instructions_en = models.TextField(
        _("what to bring to the identity check (English)"), blank=True
    )

    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipality")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="municipality_singleton"),
            models.CheckConstraint(
                condition=Q(lockout_minutes__gte=30, lockout_minutes__lte=60),
                name="municipality_lockout_minutes_30_60",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.localized("name")

    @property
    def display_system_name(self) -> str:
        return self.localized("system_name")

    @property
    def localized_counter_name(self) -> str:
        return self.localized("counter_name")

    @property
    def localized_counter_address(self) -> str:
        return self.localized("counter_address")

    @property
    def localized_counter_hours(self) -> str:
        return self.localized("counter_hours")

    @property
    def enabled_services(self) -> list["ServiceSwitch"]:
        """The installed services (registered by their apps) this municipality switched on."""
        from .registry import services

        return [service for service in services() if getattr(self, service.flag)]

    def disabled_service_paths(self) -> tuple[str, ...]:
        """Path prefixes of the services switched off (their pages answer 404)."""
        from .registry import services

        return tuple(
            path
            for service in services()
            if not getattr(self, service.flag)
            for path in service.paths
        )


class AnnouncementQuerySet(models.QuerySet):
    def current(self, now=None):
        now = now or timezone.now()
        return self.filter(published=True, starts_at__lte=now).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now)
        )


class Announcement(BilingualMixin, models.Model):
    """お知らせ: published by staff for a period, shown on the top page and on its own page."""

    class Importance(models.TextChoices):
        NORMAL = "normal", _("Notice")
        IMPORTANT = "important", _("Important")
        URGENT = "urgent", _("Urgent")

    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    body_en = models.TextField(_("body (English)"), blank=True)
    importance = models.CharField(
        _("importance"), max_length=10, choices=Importance.choices, default=Importance.NORMAL
    )
    published = models.BooleanField(_("published"), default=True)
    starts_at = models.DateTimeField(_("show from"), default=timezone.now)
    ends_at = models.DateTimeField(_("show until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["published", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="announcement_ends_after_start",
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


class MaintenanceWindowQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(starts_at__lte=now, ends_at__gt=now)

    def upcoming_announced(self, now=None):
        now = now or timezone.now()
        return self.filter(announce_from__lte=now, starts_at__gt=now)


class MaintenanceWindow(BilingualMixin, models.Model):
    """メンテナンス: during the window sign-in and every change are refused with a 503; before it,
    from `announce_from`, the top page announces it."""

    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    announce_from = models.DateTimeField(
        _("announce from"), help_text=_("When the top page starts announcing this window.")
    )
    message = models.TextField(_("message"), blank=True)
    message_en = models.TextField(_("message (English)"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = MaintenanceWindowQuerySet.as_manager()

    class Meta:
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="maintenance_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(announce_from__lte=models.F("starts_at")),
                name="maintenance_announced_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M}"

    @property
    def localized_message(self) -> str:
        return self.localized("message")


class OutboundMessageQuerySet(models.QuerySet):
    @staticmethod
    def _stuck_q(now) -> Q:
        # Queued past its time, or sending for longer than any send takes: its task was lost (or
        # no worker runs), or its worker died mid-send.
        cutoff = (now or timezone.now()) - OutboundMessage.STUCK_AFTER
        return Q(status=OutboundMessage.Status.QUEUED, next_attempt_at__lt=cutoff) | Q(
            status=OutboundMessage.Status.SENDING, last_attempt_at__lt=cutoff
        )

    def failed(self):
        return self.filter(status=OutboundMessage.Status.FAILED)

    def stuck(self, now=None):
        return self.filter(self._stuck_q(now))

    def needing_attention(self, now=None):
        """What staff may send again: failed or stuck messages."""
        return self.filter(Q(status=OutboundMessage.Status.FAILED) | self._stuck_q(now))


class OutboundMessage(models.Model):
    """Every email and SMS the system sends, recorded before delivery and delivered by the worker;
    one whose delivery keeps failing stays here as FAILED for staff to see and retry."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # Far longer than one send may take (the SMTP timeout is 20 s), so a message this late is
    # certainly not in anybody's hands.
    STUCK_AFTER = timedelta(minutes=15)

    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbound_messages",
    )
    kind = models.CharField(_("kind"), max_length=50, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    # What may be read back: for a message carrying a secret (a reset or confirmation link, a
    # sign-in code) the text with each secret replaced by REDACTED, from the start.
    body = models.TextField(_("body"))
    # The text as it is delivered, only for a message carrying a secret and only until it is
    # delivered; encrypted (FIELD_ENCRYPTION_KEYS), never shown in the admin.
    sealed_body = EncryptedTextField(_("sealed body"), blank=True, default="", editable=False)
    redacted = models.BooleanField(_("secrets removed"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # When the worker is due to try (again); with last_attempt_at it tells a message waiting for
    # its retry from one stuck because its task was lost or its worker died mid-send.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outbound_message_sent_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient}: {self.subject or self.body[:30]}"

    @property
    def deliverable_body(self) -> str:
        """The text the recipient gets: the sealed one while a secret waits for delivery."""
        return self.sealed_body or self.body


class AuditLog(models.Model):
    """Who did what to whom, when and from where. Append-only: the admin shows it read-only."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_actions",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries_about",
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class Notification(models.Model):
    """お知らせ to one person, shown on their notifications page (and usually also emailed).
    Title and body are stored in the language the person chose when it was sent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    # A path on this site (e.g. the booking's page), never an outside address.
    url = models.CharField(_("link"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(url="") | Q(url__startswith="/"), name="notification_url_is_local"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How a person wants to hear from us, per channel. In-app notifications are always kept;
        security messages always go by email whatever is chosen here (SECURITY.md). Read by
    core.services.notification_send for every app's notifications."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.BooleanField(_("by email"), default=True)
    sms_urgent = models.BooleanField(_("by SMS, urgent messages only"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        # Moved from the health app (issue 13) without moving the data: the table keeps its name.
        db_table = "health_notificationpreference"
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user}"


class IdempotencyKey(models.Model):
    """A form's POST that has been applied, by the key the form carried (core/idempotency.py):
    the same POST sent again (a retry after an error page) answers with what it did the first
    time instead of doing it twice. Written in the same transaction as what it records."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=50)
    key = models.CharField(max_length=64)
    result = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"], name="core_idempotency_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
