"""People who sign in (residents and staff), households and children, the terms they accepted,
identity checks at the counter, the per-account lock, and the authentication event log."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from kosodate.core import access
from kosodate.core.fields import EncryptedTextField
from kosodate.core.models import BilingualMixin


class Household(models.Model):
    """A family: one or more guardians (users) and their children, living at one address."""

    postal_code = models.CharField(_("postal code"), max_length=7)
    prefecture = models.CharField(_("prefecture"), max_length=10)
    city = models.CharField(_("city, ward, town or village"), max_length=50)
    town = models.CharField(_("town"), max_length=100, blank=True)
    street = models.CharField(_("block, number and building"), max_length=200)
    municipality_code = models.CharField(_("municipality code"), max_length=6, blank=True)
    # 住民票コード: optional, encrypted at rest, shown masked. The 12-digit 個人番号 is never stored.
    residence_code = EncryptedTextField(_("住民票コード"), blank=True)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return f"{self.prefecture}{self.city}{self.town}{self.street}"

    @property
    def address(self) -> str:
        return f"〒{self.postal_code[:3]}-{self.postal_code[3:]} {self}"

    @property
    def residence_code_masked(self) -> str:
        code = self.residence_code
        return "•" * 7 + code[-4:] if code else ""


class KosodateUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """A system administrator (`createsuperuser`) is back-office staff: never the resident
        role, which would put it within reach of the counter's recovery pages."""
        extra_fields.setdefault("role", User.Role.MUNICIPAL_STAFF)
        if extra_fields["role"] == User.Role.RESIDENT:
            raise ValueError("A superuser cannot have the resident role.")
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. Residents sign in with their email address or their 利用者番号
    (member number, issued at registration); `username` holds the member number."""

    Role = access.Role  # the roles and their checks live in core (kosodate.core.access)

    class IdentityStatus(models.TextChoices):
        NOT_REQUIRED = "not_required", _("Not required")
        PENDING = "pending", _("Waiting for the identity check at the counter")
        VERIFIED = "verified", _("Identity checked")

    email = models.EmailField(_("email address"), blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.RESIDENT)
    last_name_kana = models.CharField(_("family name (kana)"), max_length=50, blank=True)
    first_name_kana = models.CharField(_("given name (kana)"), max_length=50, blank=True)
    phone = PhoneNumberField(_("phone"), blank=True, region="JP")
    # The guardian's own date of birth (asked at registration; the counter searches by it).
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="guardians",
        verbose_name=_("household"),
    )
    identity_status = models.CharField(
        _("identity check"),
        max_length=20,
        choices=IdentityStatus.choices,
        default=IdentityStatus.NOT_REQUIRED,
    )
    preferred_language = models.CharField(
        _("language for messages"), max_length=5, choices=settings.LANGUAGES, default="ja"
    )
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)
    details_confirmed_at = models.DateTimeField(
        _("registration details last confirmed"), null=True, blank=True
    )

    objects = KosodateUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="user_email_unique_ci", condition=~Q(email="")
            )
        ]

    @property
    def member_number(self) -> str:
        return self.username

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def full_name_kana(self) -> str:
        return f"{self.last_name_kana} {self.first_name_kana}".strip()

    # For templates; each is the one rule in kosodate.core.access.
    @property
    def is_resident(self) -> bool:
        return access.is_resident(self)

    @property
    def is_back_office(self) -> bool:
        """Staff of any kind (facility, municipal, consultants) and system administrators."""
        return access.is_back_office(self)

    @property
    def is_municipal_staff(self) -> bool:
        return access.is_municipal_staff(self)


class Child(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", _("Girl")
        MALE = "male", _("Boy")
        OTHER = "other", _("Other")
        UNANSWERED = "unanswered", _("Prefer not to say")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="children", verbose_name=_("household")
    )
    last_name = models.CharField(_("family name"), max_length=50)
    first_name = models.CharField(_("given name"), max_length=50)
    last_name_kana = models.CharField(_("family name (kana)"), max_length=50)
    first_name_kana = models.CharField(_("given name (kana)"), max_length=50)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=12, choices=Sex.choices)
    allergies = models.TextField(_("allergies"), blank=True, max_length=1000)
    notes = models.TextField(_("notes for carers"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["birth_date", "pk"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}"

    @property
    def full_name_kana(self) -> str:
        return f"{self.last_name_kana} {self.first_name_kana}"


class TermsVersion(BilingualMixin, models.Model):
    """A version of the terms of use and privacy policy. The newest one in effect is current;
    a new version asks everyone to accept again."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body = models.TextField(_("terms of use and privacy policy"))
    body_en = models.TextField(_("terms of use and privacy policy (English)"), blank=True)
    effective_at = models.DateTimeField(_("in effect from"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("terms version")
        verbose_name_plural = _("terms versions")
        ordering = ["-effective_at", "-pk"]

    def __str__(self) -> str:
        return self.version


class TermsAcceptance(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="terms_acceptances")
    terms = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(_("accepted"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("terms acceptance")
        verbose_name_plural = _("terms acceptances")
        constraints = [
            models.UniqueConstraint(fields=["user", "terms"], name="terms_accepted_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.terms_id}"


class IdentityCheck(models.Model):
    """窓口での本人確認: how identity was checked, by whom, when. Never the card's number."""

    class Method(models.TextChoices):
        MYNUMBER_CARD = "mynumber_card", _("My Number Card")
        DRIVERS_LICENSE = "drivers_license", _("Driver's licence")
        HEALTH_INSURANCE_CARD = "health_insurance_card", _("Health insurance card")
        OTHER = "other", _("Other")

    class Purpose(models.TextChoices):
        ACTIVATION = "activation", _("Opening the account")
        RECOVERY = "recovery", _("Account recovery")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identity_checks")
    method = models.CharField(_("document shown"), max_length=30, choices=Method.choices)
    method_note = models.CharField(_("note"), max_length=200, blank=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    checked_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="identity_checks_done"
    )
    checked_at = models.DateTimeField(_("checked"), default=timezone.now)

    class Meta:
        verbose_name = _("identity check")
        verbose_name_plural = _("identity checks")
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} ({self.checked_at:%Y-%m-%d})"


class AccountLock(models.Model):
    """Consecutive failed sign-ins for one account, whichever identifier was typed, and
    consecutive wrong second-step codes (app, recovery, SMS or email code) after a right
    password. Updated under a row lock (select_for_update) so parallel attempts count exactly."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="lock")
    failed_count = models.PositiveSmallIntegerField(_("consecutive failures"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    second_step_failed_count = models.PositiveSmallIntegerField(
        _("consecutive wrong second-step codes"), default=0
    )
    second_step_locked_until = models.DateTimeField(
        _("second step locked until"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("account lock")
        verbose_name_plural = _("account locks")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.failed_count}"

    def is_locked(self, now=None) -> bool:
        now = now or timezone.now()
        return self.locked_until is not None and self.locked_until > now

    def second_step_is_locked(self, now=None) -> bool:
        now = now or timezone.now()
        return self.second_step_locked_until is not None and self.second_step_locked_until > now


class AuthEvent(models.Model):
    """Every authentication event: success, failure, lock, unlock, reset, second-step changes."""

    class Kind(models.TextChoices):
        LOGIN_SUCCESS = "login_success", _("Signed in")
        LOGIN_FAILURE = "login_failure", _("Sign-in failed")
        LOCKED = "locked", _("Account locked")
        UNLOCKED = "unlocked", _("Account unlocked")
        LOGOUT = "logout", _("Signed out")
        PASSWORD_RESET = "password_reset", _("Password reset")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        EMAIL_CHANGED = "email_changed", _("Email changed")
        MFA_ADDED = "mfa_added", _("Second step added")
        MFA_REMOVED = "mfa_removed", _("Second step removed")
        MFA_FAILURE = "mfa_failure", _("Second step failed")
        MFA_LOCKED = "mfa_locked", _("Second step locked")

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="auth_events"
    )
    kind = models.CharField(
        pgettext_lazy("what happened at sign-in", "event"),
        max_length=20,
        choices=Kind.choices,
        db_index=True,
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("authentication event")
        verbose_name_plural = _("authentication events")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}"


class SecondStepMethod(models.Model):
    """A second step by SMS or email code (allauth.mfa keeps the authenticator app, passkeys and
    recovery codes in its Authenticator table). An SMS method exists only once its mobile number
    answered a code. Which method is asked first is SecondStepPreference."""

    class Kind(models.TextChoices):
        SMS = "sms", _("SMS code")
        EMAIL = "email", _("Email code")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="second_step_methods")
    kind = models.CharField(_("method"), max_length=10, choices=Kind.choices)
    # The verified mobile (E.164) for SMS; empty for email (codes go to the verified address).
    phone = PhoneNumberField(_("mobile number"), blank=True, region="JP")
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("second-step method")
        verbose_name_plural = _("second-step methods")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="second_step_method_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class SecondStepPreference(models.Model):
    """The method asked first at sign-in; the others are offered as links."""

    class Method(models.TextChoices):
        TOTP = "totp", _("Authenticator app")
        WEBAUTHN = "webauthn", _("Passkey")
        SMS = "sms", _("SMS code")
        EMAIL = "email", _("Email code")

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="second_step_preference"
    )
    default_method = models.CharField(_("default method"), max_length=10, choices=Method.choices)

    class Meta:
        verbose_name = _("second-step preference")
        verbose_name_plural = _("second-step preferences")

    def __str__(self) -> str:
        return f"{self.user_id} {self.default_method}"


class SecondStepCode(models.Model):
    """A 6-digit code sent by SMS or email: stored hashed, valid a few minutes, accepted once,
    ended by too many wrong tries. `attempt` binds a sign-in code to one sign-in attempt (a random
    value kept in allauth's login state); a phone-verification code binds to the session's
    set-up instead."""

    class Purpose(models.TextChoices):
        SIGNIN = "signin", _("Sign-in")
        VERIFY_PHONE = "verify_phone", _("Mobile number check")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="second_step_codes")
    kind = models.CharField(_("sent by"), max_length=10, choices=SecondStepMethod.Kind.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    attempt = models.CharField(_("attempt"), max_length=64, db_index=True)
    code_hash = models.CharField(_("code (hashed)"), max_length=128)
    phone = PhoneNumberField(_("mobile number"), blank=True, region="JP")
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)

    class Meta:
        verbose_name = _("second-step code")
        verbose_name_plural = _("second-step codes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.purpose}"
