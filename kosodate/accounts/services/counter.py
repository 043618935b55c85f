"""The counter (staff): identity checks, recovery, email changes, reset links, unlocking."""

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosodate.core import audit

from ..emails import email_bilingual_send
from ..models import (
    AccountLock,
    AuthEvent,
    IdentityCheck,
    SecondStepMethod,
    SecondStepPreference,
    User,
)
from .common import auth_event_record

# --- Counter (staff): identity check, recovery, unlock ----------------------------------------

# A run of this many digits (spaces and hyphens between them allowed) looks like a card or ID
# number: the 12-digit 個人番号, the 11-digit 住民票コード, a 12-digit licence number. Notes must
# never hold one (DOMAIN.md); a date or a counter number is shorter.
CARD_NUMBER_PATTERN = re.compile(r"\d(?:[\s\-]*\d){9,}")


def identity_note_has_card_number(note: str) -> bool:
    return bool(CARD_NUMBER_PATTERN.search(note))


def resident_view_record(*, staff: User, resident: User, request=None) -> None:
    """Log that a staff member opened a resident's record (SECURITY.md: every look is logged)."""
    audit.log(staff, "resident.view", resident, subject_user=resident, request=request)


def identity_check_record(
    *,
    staff: User,
    resident: User,
    method: str,
    purpose: str,
    note: str = "",
    request=None,
) -> IdentityCheck:
    """Record how a resident's identity was checked at the counter (never a card's number); an
    account waiting for this check opens (identity VERIFIED) and the resident is told by email."""
    _counter_target_check(resident)
    if identity_note_has_card_number(note):
        raise ValidationError(
            {"method_note": _("Do not write card or ID numbers in the note.")},
            code="card_number",
        )
    with transaction.atomic():
        check = IdentityCheck.objects.create(
            user=resident,
            method=method,
            method_note=note,
            purpose=purpose,
            checked_by=staff,
            checked_at=timezone.now(),
        )
        # Compare-and-swap: two staff recording at once open the account (and email) once.
        activated = bool(
            User.objects.filter(pk=resident.pk, identity_status=User.IdentityStatus.PENDING).update(
                identity_status=User.IdentityStatus.VERIFIED
            )
        )
        if activated:
            resident.identity_status = User.IdentityStatus.VERIFIED
        audit.log(
            staff,
            "identity_check.record",
            check,
            subject_user=resident,
            request=request,
            method=method,
            purpose=purpose,
            activated=activated,
        )
        if activated and resident.email:
            email_bilingual_send(
                to=resident.email,
                template="accounts/staff/email/identity_verified",
                context={"resident": resident, "site_url": settings.SITE_URL},
                user=resident,
                kind="identity_verified",
            )
    return check


def _counter_target_check(resident: User) -> None:
    # The views reach residents through resident_get_for_staff (a 404 for anyone else); this
    # keeps a future caller from pointing the counter at a staff or superuser account.
    if resident.is_superuser or resident.is_staff or resident.role != User.Role.RESIDENT:
        raise PermissionDenied("The counter acts on resident accounts only")


def _recovery_check_required(resident: User) -> IdentityCheck:
    from ..selectors import identity_check_for_recovery_today

    _counter_target_check(resident)
    check = identity_check_for_recovery_today(resident=resident)
    if check is None:
        raise PermissionDenied("Recovery needs an identity check for recovery recorded today")
    return check


def counter_email_change(*, staff: User, resident: User, email: str, request) -> None:
    """After today's identity check for recovery: start changing a resident's email address. The
    new address gets a verification link and replaces the old one only once verified (allauth's
    change-email flow, which also tells the old address). Raises ValidationError if another
    account uses the address."""
    from allauth.account.models import EmailAddress

    _recovery_check_required(resident)
    email = email.strip().lower()
    if (
        User.objects.filter(email__iexact=email).exclude(pk=resident.pk).exists()
        or EmailAddress.objects.filter(email__iexact=email).exclude(user=resident).exists()
    ):
        raise ValidationError(
            {"email": _("Another account uses this email address.")}, code="email_taken"
        )
    if (
        email == (resident.email or "").lower()
        and EmailAddress.objects.filter(user=resident, email__iexact=email, verified=True).exists()
    ):
        raise ValidationError(
            {"email": _("This is already the resident's verified address.")}, code="same_email"
        )
    with transaction.atomic():
        EmailAddress.objects.add_new_email(request, resident, email)
        audit.log(
            staff,
            "recovery.email_change",
            resident,
            subject_user=resident,
            request=request,
            new_email=email,
        )


def counter_reset_link_issue(*, staff: User, resident: User, request=None) -> str:
    """After today's identity check for recovery: a one-time password-reset link for the
    resident, to be handed over on paper. It is allauth's reset key: valid for
    PASSWORD_RESET_TIMEOUT, void once the password changes (or the email addresses change).
    Staff see the link, never a password."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    _recovery_check_required(resident)
    key = default_token_generator.make_token(resident)
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(resident), "key": key},
    )
    audit.log(
        staff,
        "recovery.reset_link_issue",
        resident,
        subject_user=resident,
        request=request,
        valid_seconds=settings.PASSWORD_RESET_TIMEOUT,
    )
    # The official address, not whatever host name the counter's browser used.
    return settings.SITE_URL.rstrip("/") + path


def counter_second_step_reset(*, staff: User, resident: User, request=None) -> list[str]:
    """After today's identity check for recovery: remove every second-step method of the resident
    (authenticator app, recovery codes, passkeys, SMS and email codes), so they can sign in with
    their password and set one up again. The resident is told by email. Returns the removed types."""
    from allauth.mfa.models import Authenticator

    _recovery_check_required(resident)
    with transaction.atomic():
        authenticators = Authenticator.objects.select_for_update().filter(user=resident)
        code_methods = SecondStepMethod.objects.filter(user=resident)
        types = sorted({a.type for a in authenticators} | {m.kind for m in code_methods})
        authenticators.delete()
        code_methods.delete()
        SecondStepPreference.objects.filter(user=resident).delete()
        if not types:
            return []
        auth_event_record(
            kind=AuthEvent.Kind.MFA_REMOVED,
            user=resident,
            request=request,
            by="counter",
            types=types,
        )
        audit.log(
            staff,
            "recovery.second_step_reset",
            resident,
            subject_user=resident,
            request=request,
            types=types,
        )
        if resident.email:
            email_bilingual_send(
                to=resident.email,
                template="accounts/staff/email/second_step_reset",
                context={"resident": resident, "site_url": settings.SITE_URL},
                user=resident,
                kind="second_step_reset",
            )
    return types


def account_unlock(*, staff: User, resident: User, request=None) -> bool:
    """Lift a resident's sign-in lock and second-step lock now (compare-and-swap: False if
    neither was locked), and forget every throttle kept for the account, its email addresses and
    its 利用者番号, so "you can sign in now" is true the moment the counter says it."""
    _counter_target_check(resident)
    now = timezone.now()
    with transaction.atomic():
        unlocked = AccountLock.objects.filter(
            Q(locked_until__gt=now) | Q(second_step_locked_until__gt=now), user=resident
        ).update(
            failed_count=0,
            locked_until=None,
            second_step_failed_count=0,
            second_step_locked_until=None,
        )
        if unlocked:
            auth_event_record(
                kind=AuthEvent.Kind.UNLOCKED, user=resident, request=request, by="staff"
            )
            audit.log(staff, "account.unlock", resident, subject_user=resident, request=request)
    account_throttles_clear(user=resident, request=request)
    return bool(unlocked)


# The allauth rate-limit actions that keep a count per account, email address or 利用者番号
# (ACCOUNT_RATE_LIMITS), with how each one names its key.
def _throttle_keys(user: User, request=None) -> dict[str, set[str]]:
    from urllib.parse import urlsplit

    from allauth.account.models import EmailAddress

    emails = {
        e.lower() for e in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    }
    if user.email:
        emails.add(user.email.lower())
    # allauth's sign-in key is "<host>:<identifier>"; the host is the one the person typed, which
    # is the official address (or the one the counter uses, the same site).
    hosts = {urlsplit(settings.SITE_URL).netloc}
    if request is not None:
        hosts.add(request.get_host())
    identifiers = emails | {user.username.lower()}
    return {
        "login_failed": {f"{h}:{i}" for h in hosts for i in identifiers}
        | {f"mfa-auth-user-{user.pk}"},
        "reset_password": emails,
        "reset_password_address": emails,
        "confirm_email": emails,
        "second_step_send": {str(user.pk)},
    }


def account_throttles_clear(*, user: User, request=None) -> None:
    """Forget the per-key rate-limit counts of this account (sign-in, second step, password
    reset, confirmation emails). Per-IP counts stay: they protect against spraying."""
    from allauth.core.internal import ratelimit as allauth_ratelimit
    from django.core.cache import cache

    for action, keys in _throttle_keys(user, request).items():
        rates = allauth_ratelimit.get_rates(app="allauth.account", action=action)
        cache_keys = [
            allauth_ratelimit.get_cache_key(
                None, app="allauth.account", action=action, rate=rate, key=key
            )
            for rate in rates
            if rate.per == "key"
            for key in keys
        ]
        if cache_keys:
            cache.delete_many(cache_keys)


def password_reset_email_allowed(*, request, email: str) -> bool:
    """Whether a reset request for `email` may send another email now. Counted per address and
    requester (client IP), so a stranger's requests use up the stranger's quota, not the
    owner's; and per address overall, so nobody can flood an inbox. A refused request is
    answered like any other: every link already sent keeps working for its 60 minutes."""
    from allauth.core import ratelimit
    from allauth.core.internal.ratelimit import get_ip

    address = email.strip().lower()
    return ratelimit.consume(
        request, action="reset_password_email", key=f"{address}|{get_ip(request)}"
    ) and ratelimit.consume(request, action="reset_password_address", key=address)
