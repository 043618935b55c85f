"""The second step: SMS and email codes, methods, recovery codes, new-device notices and sessions, and the limit on guessing codes."""

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kosodate.core.client_ip import client_ip

from ..emails import email_bilingual_send
from ..models import (
    AccountLock,
    AuthEvent,
    SecondStepCode,
    SecondStepMethod,
    SecondStepPreference,
    User,
)
from .common import auth_event_record

# --- Second step (SMS / email codes) and sessions ----------------------------------------------
# allauth.mfa keeps the authenticator app, passkeys and recovery codes; the SMS and email codes
# are ours (kosodate.accounts.mfa.SecondStepStage asks for them at sign-in). SECURITY.md, "Second
# step": 6 digits, valid SECOND_STEP_CODE_SECONDS, accepted once, bound to the sign-in attempt,
# stored hashed, SECOND_STEP_CODE_MAX_ATTEMPTS wrong tries end the code, one resend a minute.

SECOND_STEP_CODE_DIGITS = 6


class SecondStepCodeError(Exception):
    """Why a code could not be sent: "wait" (resend too soon) or "rate_limited"."""

    def __init__(self, reason: str, *, retry_after: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _second_step_code_hash(*, attempt: str, code: str) -> str:
    from django.utils.crypto import salted_hmac

    # Keyed with SECRET_KEY and bound to the attempt: a leaked table cannot be brute-forced
    # offline over the 10^6 codes without the key.
    return salted_hmac(
        "kosodate.second_step_code", f"{attempt}:{code}", algorithm="sha256"
    ).hexdigest()


def second_step_code_send(
    *,
    user: User,
    kind: str,
    purpose: str,
    attempt: str,
    request=None,
    phone: str = "",
) -> SecondStepCode:
    """Send a new code by SMS (to `phone`, or the person's verified SMS method) or email (to the
    verified address), replacing any earlier code of the same attempt. Raises SecondStepCodeError
    when asked again within SECOND_STEP_CODE_RESEND_SECONDS or over the per-account / per-IP
    rate limit ("second_step_send" in ACCOUNT_RATE_LIMITS)."""
    from allauth.core import ratelimit

    now = timezone.now()
    earlier = SecondStepCode.objects.filter(
        user=user, purpose=purpose, attempt=attempt, used_at__isnull=True
    )
    last = earlier.order_by("-created_at").first()
    resend_seconds = settings.SECOND_STEP_CODE_RESEND_SECONDS
    if last is not None and (now - last.created_at).total_seconds() < resend_seconds:
        wait = resend_seconds - int((now - last.created_at).total_seconds())
        raise SecondStepCodeError("wait", retry_after=max(wait, 1))
    if request is not None and not ratelimit.consume(
        request, action="second_step_send", key=str(user.pk)
    ):
        auth_event_record(
            kind=AuthEvent.Kind.MFA_FAILURE, user=user, request=request, rate_limited=kind
        )
        raise SecondStepCodeError("rate_limited")
    if kind == SecondStepMethod.Kind.SMS and not phone:
        method = SecondStepMethod.objects.filter(user=user, kind=kind).first()
        phone = str(method.phone) if method else ""
    if kind == SecondStepMethod.Kind.SMS and not phone:
        raise SecondStepCodeError("no_phone")
    code = f"{secrets.randbelow(10**SECOND_STEP_CODE_DIGITS):0{SECOND_STEP_CODE_DIGITS}d}"
    minutes = settings.SECOND_STEP_CODE_SECONDS // 60
    with transaction.atomic():
        # Only the newest code of an attempt is valid.
        earlier.update(expires_at=now)
        record = SecondStepCode.objects.create(
            user=user,
            kind=kind,
            purpose=purpose,
            attempt=attempt,
            code_hash=_second_step_code_hash(attempt=attempt, code=code),
            phone=phone if kind == SecondStepMethod.Kind.SMS else "",
            created_at=now,
            expires_at=now + timedelta(seconds=settings.SECOND_STEP_CODE_SECONDS),
        )
        if kind == SecondStepMethod.Kind.SMS:
            from kosodate.core.services import message_sms_send

            # Short, bilingual, and says never to tell anyone (SMS phishing).
            message_sms_send(
                to=phone,
                body=(
                    f"子育てサポート 確認コード {code}（{minutes}分間有効）。"
                    "職員が電話やメールでコードを聞くことはありません。 / "
                    f"Kosodate code {code} (valid {minutes} min). Never share it."
                ),
                user=user,
                kind=f"second_step_{purpose}",
                secrets=[code],
            )
        else:
            email_bilingual_send(
                to=user.email,
                template="accounts/security/email/second_step_code",
                context={"user": user, "code": code, "minutes": minutes, "purpose": purpose},
                user=user,
                kind=f"second_step_{purpose}",
                secrets=[code],
            )
    return record


def second_step_code_verify(
    *, user: User, purpose: str, attempt: str, code: str, request=None
) -> bool:
    """True if `code` is the newest, unexpired, unused code of this attempt; it is then used up.
    A wrong code counts a try; the SECOND_STEP_CODE_MAX_ATTEMPTS-th wrong try ends the code. At
    sign-in, a wrong code also counts towards blocking the second step, and while it is blocked
    no code is accepted."""
    from django.utils.crypto import constant_time_compare

    from ..selectors import second_step_lock_active

    signin = purpose == SecondStepCode.Purpose.SIGNIN
    if signin and second_step_lock_active(user=user) is not None:
        auth_event_record(
            kind=AuthEvent.Kind.MFA_FAILURE,
            user=user,
            request=request,
            method="code",
            purpose=purpose,
            while_locked=True,
        )
        return False
    code = re.sub(r"\D", "", code or "")
    now = timezone.now()
    with transaction.atomic():
        record = (
            SecondStepCode.objects.select_for_update()
            .filter(
                user=user,
                purpose=purpose,
                attempt=attempt,
                used_at__isnull=True,
                expires_at__gt=now,
                failed_attempts__lt=settings.SECOND_STEP_CODE_MAX_ATTEMPTS,
            )
            .order_by("-created_at")
            .first()
        )
        if record is not None and constant_time_compare(
            record.code_hash, _second_step_code_hash(attempt=attempt, code=code)
        ):
            record.used_at = now
            record.save(update_fields=["used_at"])
            if signin:
                second_step_success_register(user=user)
            return True
        if record is not None:
            record.failed_attempts += 1
            record.save(update_fields=["failed_attempts"])
        auth_event_record(
            kind=AuthEvent.Kind.MFA_FAILURE,
            user=user,
            request=request,
            method=record.kind if record else "code",
            purpose=purpose,
            no_valid_code=record is None,
        )
    if signin:
        second_step_failure_register(
            user=user, request=request, method=record.kind if record else "code"
        )
    return False


# --- Guessing second-step codes ---------------------------------------------------------------
# Whoever reaches the second step knows the password. SECOND_STEP_LOCKOUT_ATTEMPTS wrong codes in
# a row (app, recovery, SMS or email code, whichever page) block code entry for
# SECOND_STEP_LOCKOUT_MINUTES; the owner is emailed and the auth log says so. A passkey, which
# cannot be guessed, still works; staff at the counter can lift the block (account_unlock).


def second_step_failure_register(*, user: User, request=None, method: str = "") -> bool:
    """Count one wrong second-step code for `user`. True if this one blocked the second step."""
    AccountLock.objects.get_or_create(user=user)
    with transaction.atomic():
        lock = AccountLock.objects.select_for_update().get(user=user)
        now = timezone.now()
        if lock.second_step_is_locked(now):
            return False
        if lock.second_step_locked_until is not None:
            lock.second_step_failed_count = 0
            lock.second_step_locked_until = None
        lock.second_step_failed_count += 1
        locks_now = lock.second_step_failed_count >= settings.SECOND_STEP_LOCKOUT_ATTEMPTS
        if locks_now:
            lock.second_step_locked_until = now + timedelta(
                minutes=settings.SECOND_STEP_LOCKOUT_MINUTES
            )
        lock.save(update_fields=["second_step_failed_count", "second_step_locked_until"])
        if locks_now:
            auth_event_record(
                kind=AuthEvent.Kind.MFA_LOCKED,
                user=user,
                request=request,
                method=method,
                until=lock.second_step_locked_until.isoformat(),
                minutes=settings.SECOND_STEP_LOCKOUT_MINUTES,
            )
            if user.email:
                email_bilingual_send(
                    to=user.email,
                    template="accounts/security/email/second_step_locked",
                    context={
                        "user": user,
                        "locked_until": lock.second_step_locked_until,
                        "attempts": settings.SECOND_STEP_LOCKOUT_ATTEMPTS,
                        "minutes": settings.SECOND_STEP_LOCKOUT_MINUTES,
                        "reset_url": settings.SITE_URL.rstrip("/")
                        + reverse("account_reset_password"),
                        "help_url": settings.SITE_URL.rstrip("/") + reverse("signin_help"),
                    },
                    user=user,
                    kind="second_step_locked",
                )
    return locks_now


def second_step_success_register(*, user: User) -> None:
    """A right code ends the run of wrong ones (never called while the second step is blocked)."""
    AccountLock.objects.filter(user=user, second_step_failed_count__gt=0).exclude(
        second_step_locked_until__gt=timezone.now()
    ).update(second_step_failed_count=0, second_step_locked_until=None)


def _second_step_changed_notify(*, user: User, change: str, method: str) -> None:
    if user.email:
        email_bilingual_send(
            to=user.email,
            template="accounts/security/email/method_changed",
            context={"user": user, "change": change, "method": method},
            user=user,
            kind=f"second_step_{change}",
        )


def second_step_method_add(*, user: User, kind: str, phone: str = "", request=None):
    """Turn on SMS codes (to a mobile that has just answered a code) or email codes. Never for a
    back-office account: staff use an authenticator app or a passkey (SECURITY.md)."""
    if user.is_back_office:
        raise PermissionDenied("Back-office accounts cannot use SMS or email codes")
    with transaction.atomic():
        method, _created = SecondStepMethod.objects.update_or_create(
            user=user, kind=kind, defaults={"phone": phone, "created_at": timezone.now()}
        )
        auth_event_record(kind=AuthEvent.Kind.MFA_ADDED, user=user, request=request, method=kind)
        _second_step_changed_notify(user=user, change="added", method=kind)
    return method


def second_step_method_remove(*, user: User, kind: str, request=None) -> bool:
    with transaction.atomic():
        deleted, _rows = SecondStepMethod.objects.filter(user=user, kind=kind).delete()
        if not deleted:
            return False
        SecondStepPreference.objects.filter(user=user, default_method=kind).delete()
        auth_event_record(kind=AuthEvent.Kind.MFA_REMOVED, user=user, request=request, method=kind)
        _second_step_changed_notify(user=user, change="removed", method=kind)
    return True


def second_step_default_set(*, user: User, method: str) -> None:
    SecondStepPreference.objects.update_or_create(user=user, defaults={"default_method": method})


def second_step_authenticator_event(*, user: User, change: str, type: str, request=None) -> None:
    """allauth.mfa added or removed an app, passkey or recovery codes (its signals call this):
    logged; allauth itself emails the owner (ACCOUNT_EMAIL_NOTIFICATIONS)."""
    kind = AuthEvent.Kind.MFA_ADDED if change == "added" else AuthEvent.Kind.MFA_REMOVED
    auth_event_record(kind=kind, user=user, request=request, method=type)
    if change == "removed":
        from allauth.mfa.models import Authenticator

        if not Authenticator.objects.filter(user=user, type=type).exists():
            SecondStepPreference.objects.filter(user=user, default_method=type).delete()


def recovery_code_used_notify(*, user: User, request=None) -> None:
    """Using a recovery code is worth knowing about: it may not have been the owner."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    auth_event_record(
        kind=AuthEvent.Kind.LOGIN_SUCCESS, user=user, request=request, recovery_code=True
    )
    authenticator = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.RECOVERY_CODES
    ).first()
    left = len(RecoveryCodes(authenticator).get_unused_codes()) if authenticator else 0
    if user.email:
        email_bilingual_send(
            to=user.email,
            template="accounts/security/email/recovery_code_used",
            context={"user": user, "left": left},
            user=user,
            kind="recovery_code_used",
        )


def new_device_signin_notify(*, user: User, request) -> bool:
    """Email the owner when a browser/device signs in that this account has not used before
    (judged by the user agent's browser and device family among earlier successful sign-ins)."""
    from user_agents import parse

    agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    earlier = (
        AuthEvent.objects.filter(user=user, kind=AuthEvent.Kind.LOGIN_SUCCESS)
        .order_by("-created_at")
        .values_list("user_agent", flat=True)[:50]
    )

    def family(value: str) -> tuple:
        parsed = parse(value or "")
        return parsed.browser.family, parsed.os.family, parsed.device.family

    if not earlier or any(family(ua) == family(agent) for ua in earlier):
        # The very first sign-in (just after registration) is no news either.
        return False
    if user.email:
        parsed = parse(agent)
        email_bilingual_send(
            to=user.email,
            template="accounts/security/email/new_device",
            context={
                "user": user,
                "browser": f"{parsed.browser.family} / {parsed.os.family}",
                "ip": client_ip(request) or "",
                "when": timezone.now(),
            },
            user=user,
            kind="new_device_signin",
        )
    return True


def user_session_end(*, user: User, session_pk: int, request=None) -> bool:
    """End one of the person's own sessions (from the sessions list)."""
    from allauth.usersessions.models import UserSession

    session = UserSession.objects.filter(user=user, pk=session_pk).first()
    if session is None:
        return False
    session.end()
    auth_event_record(kind=AuthEvent.Kind.LOGOUT, user=user, request=request, session_ended=True)
    return True
