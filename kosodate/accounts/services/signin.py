"""Sign-in, lockout and password reset: failures counted per account, the lock, sessions and passwords."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..emails import email_bilingual_send
from ..models import (
    AccountLock,
    AuthEvent,
    User,
)
from .common import auth_event_record

# --- Sign-in, lockout, password reset ---------------------------------------------------------
# The per-account lock (SECURITY.md, "Failed sign-ins and lockout"): one AccountLock row per user,
# changed only while holding its row lock, so parallel wrong passwords count exactly and lock the
# account once (tests/accounts/test_lockout_race.py proves it on PostgreSQL; on SQLite the
# BEGIN IMMEDIATE transaction mode serialises the same block). The adapter calls these for the
# account the typed identifier names, whichever identifier (email or member number) it was.


def login_failure_register(*, user: User, request=None) -> bool:
    """Count one failed sign-in for `user`. The failure that reaches the municipality's threshold
    locks the account for its lockout_minutes and emails the owner, once per lock; failures while
    locked are logged but neither counted nor extend the lock. True if this failure locked it."""
    from kosodate.core.selectors import municipality_get

    rules = municipality_get()
    # Created outside the row lock (get_or_create copes with a parallel insert), so the locked
    # read below always has a row to lock.
    AccountLock.objects.get_or_create(user=user)
    with transaction.atomic():
        lock = AccountLock.objects.select_for_update().get(user=user)
        now = timezone.now()
        if lock.is_locked(now):
            auth_event_record(
                kind=AuthEvent.Kind.LOGIN_FAILURE, user=user, request=request, while_locked=True
            )
            return False
        if lock.locked_until is not None:
            # The previous lock has run out: counting starts again.
            lock.failed_count = 0
            lock.locked_until = None
        lock.failed_count += 1
        lock.last_failure_at = now
        locks_now = lock.failed_count >= rules.lockout_threshold
        if locks_now:
            lock.locked_until = now + timedelta(minutes=rules.lockout_minutes)
        lock.save(update_fields=["failed_count", "locked_until", "last_failure_at"])
        auth_event_record(
            kind=AuthEvent.Kind.LOGIN_FAILURE,
            user=user,
            request=request,
            consecutive=lock.failed_count,
        )
        if locks_now:
            auth_event_record(
                kind=AuthEvent.Kind.LOCKED,
                user=user,
                request=request,
                until=lock.locked_until.isoformat(),
                minutes=rules.lockout_minutes,
            )
            _account_locked_notify(user=user, lock=lock, rules=rules)
    return locks_now


def _account_locked_notify(*, user: User, lock: AccountLock, rules) -> None:
    # Queued inside the transaction that locked: sent once it commits, never for a rolled-back
    # lock. It says what happened and the two ways in now (wait, or reset the password).
    if not user.email:
        return
    email_bilingual_send(
        to=user.email,
        template="accounts/signin/email/account_locked",
        context={
            "user": user,
            "locked_until": lock.locked_until,
            "threshold": rules.lockout_threshold,
            "minutes": rules.lockout_minutes,
            "reset_url": settings.SITE_URL.rstrip("/") + reverse("account_reset_password"),
            "help_url": settings.SITE_URL.rstrip("/") + reverse("signin_help"),
            "municipality": rules,
        },
        user=user,
        kind="account_locked",
    )


def login_success_register(*, user: User, request=None) -> None:
    """A correct password ends the run of failures (the adapter never calls this for an account
    that is locked: a lock holds even against the right password)."""
    AccountLock.objects.filter(user=user, failed_count__gt=0).exclude(
        locked_until__gt=timezone.now()
    ).update(failed_count=0, locked_until=None)


def account_lock_clear_after_reset(*, user: User, request=None) -> bool:
    """A completed password reset lifts the lock and the second-step block and forgets earlier
    failures: whoever knew the old password (and guessed codes with it) is cut off, so the owner
    is not kept out by their guesses. True if the account or its second step was locked."""
    with transaction.atomic():
        lock = AccountLock.objects.select_for_update().filter(user=user).first()
        if lock is None or (
            lock.failed_count == 0
            and lock.locked_until is None
            and lock.second_step_failed_count == 0
            and lock.second_step_locked_until is None
        ):
            return False
        was_locked = lock.is_locked() or lock.second_step_is_locked()
        lock.failed_count = lock.second_step_failed_count = 0
        lock.locked_until = lock.second_step_locked_until = None
        lock.save(
            update_fields=[
                "failed_count",
                "locked_until",
                "second_step_failed_count",
                "second_step_locked_until",
            ]
        )
        if was_locked:
            auth_event_record(
                kind=AuthEvent.Kind.UNLOCKED, user=user, request=request, by="password_reset"
            )
    return was_locked


def user_sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """End every signed-in session of `user` (allauth.usersessions keeps one row per session),
    except the one with `keep_session_key`. Returns how many were ended."""
    from allauth.usersessions.models import UserSession

    ended = 0
    for session in UserSession.objects.filter(user=user):
        if keep_session_key and session.session_key == keep_session_key:
            continue
        session.end()
        ended += 1
    return ended


def user_sign_out_everywhere(*, request) -> int:
    """Sign out on all devices: end every session of the signed-in person, this one included.
    Returns how many sessions ended."""
    from django.contrib.auth import logout

    user = request.user
    ended = user_sessions_end(user=user)
    auth_event_record(
        kind=AuthEvent.Kind.LOGOUT, user=user, request=request, everywhere=True, sessions=ended
    )
    logout(request)
    return ended


def user_password_set(*, user: User, password: str, request=None, via_reset: bool = False) -> None:
    """Set a new password (change, set, or reset by link). The hash changes, so every reset link
    already sent is void. Every other session of the person ends: a change keeps only the session
    that made it; a reset keeps none (whoever used the link signs in again, second step and
    all)."""
    keep_key = None
    if not via_reset and request is not None and request.user.pk == user.pk:
        keep_key = request.session.session_key
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    user_sessions_end(user=user, keep_session_key=keep_key)
    if via_reset:
        account_lock_clear_after_reset(user=user, request=request)
        auth_event_record(kind=AuthEvent.Kind.PASSWORD_RESET, user=user, request=request)
    else:
        auth_event_record(kind=AuthEvent.Kind.PASSWORD_CHANGED, user=user, request=request)
