"""Every change to accounts data goes through here (keyword-only `noun_verb` functions).

Sections: shared helpers; registration; sign-in, lockout and reset; My Page; counter (staff).
"""

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosodate.core import audit
from kosodate.core.client_ip import client_ip
from kosodate.core.models import OutboundMessage
from kosodate.core.services import message_email_send

from .models import (
    AccountLock,
    AuthEvent,
    Child,
    Household,
    IdentityCheck,
    SecondStepCode,
    SecondStepMethod,
    SecondStepPreference,
    TermsAcceptance,
    TermsVersion,
    User,
)

# --- Shared -----------------------------------------------------------------------------------

MEMBER_NUMBER_DIGITS = 8


def _luhn_check_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def member_number_generate() -> str:
    """A random 利用者番号: 8 digits + a Luhn check digit, so a mistyped digit is caught before
    the database is asked. Random (not sequential) so numbers don't reveal how many people signed
    up or who registered next to whom."""
    body = str(
        secrets.randbelow(9 * 10 ** (MEMBER_NUMBER_DIGITS - 1)) + 10 ** (MEMBER_NUMBER_DIGITS - 1)
    )
    return body + _luhn_check_digit(body)


def member_number_is_well_formed(value: str) -> bool:
    return (
        len(value) == MEMBER_NUMBER_DIGITS + 1
        and value.isdigit()
        and _luhn_check_digit(value[:-1]) == value[-1]
    )


def user_create_with_member_number(**fields) -> User:
    """Create a user whose username is a fresh, unique 利用者番号 (retrying on the rare clash)."""
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return User.objects.create(username=member_number_generate(), **fields)
        except IntegrityError:
            if User.objects.filter(email__iexact=fields.get("email", "")).exists():
                raise
    raise RuntimeError("Could not issue a unique member number")


def terms_accept(*, user: User, terms: TermsVersion, ip_address: str | None = None) -> None:
    """Record that `user` accepted `terms` now (once per version)."""
    TermsAcceptance.objects.get_or_create(
        user=user,
        terms=terms,
        defaults={"accepted_at": timezone.now(), "ip_address": ip_address},
    )


def auth_event_record(*, kind: str, user: User | None = None, request=None, **detail) -> AuthEvent:
    """Append an authentication event (ASVS 16.3.1). Never stores a password or a code."""
    ip = user_agent = None
    if request is not None:
        ip = client_ip(request)
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    return AuthEvent.objects.create(
        kind=kind, user=user, ip_address=ip, user_agent=user_agent or "", detail=detail
    )


# --- Registration -----------------------------------------------------------------------------

# An unconfirmed registration lasts as long as its confirmation link (24 h): after that the same
# address may register again, so nobody can hold someone else's address by never confirming.
REGISTRATION_UNCONFIRMED_LIFETIME = timedelta(days=settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS)
_REGISTRATION_CHILD_FIELDS = (
    "last_name",
    "first_name",
    "last_name_kana",
    "first_name_kana",
    "birth_date",
    "sex",
    "allergies",
    "notes",
)


def registration_complete(
    *,
    request,
    guardian: dict,
    address: dict,
    children: list[dict],
    password_hash: str,
    terms: TermsVersion,
    language: str,
) -> User | None:
    """Create the household, the guardian (with a new 利用者番号), the children, the unverified
    email address and the terms acceptance in one transaction, then send the confirmation link.

    An address that already has an account creates nothing and returns None: its owner gets an
    email saying someone tried to register with it (allauth's "account already exists"), and the
    person registering sees the same page either way, so registration cannot be used to find out
    who has an account (ASVS 6.3.8)."""
    from kosodate.core.selectors import municipality_get

    email = guardian["email"]
    municipality = municipality_get()
    now = timezone.now()
    try:
        with transaction.atomic():
            _registration_unconfirmed_remove(email=email, now=now)
            if _email_has_account(email):
                raise _EmailTaken
            household = Household.objects.create(
                postal_code=address["postal_code"],
                prefecture=address["prefecture"],
                city=address["city"],
                town=address.get("town", ""),
                street=address["street"],
                municipality_code=address.get("municipality_code", ""),
                residence_code=address.get("residence_code", ""),
            )
            user = user_create_with_member_number(
                email=email,
                last_name=guardian["last_name"],
                first_name=guardian["first_name"],
                last_name_kana=guardian["last_name_kana"],
                first_name_kana=guardian["first_name_kana"],
                birth_date=guardian["birth_date"],
                phone=guardian["phone"],
                household=household,
                role=User.Role.RESIDENT,
                identity_status=(
                    User.IdentityStatus.PENDING
                    if municipality.require_counter_identity_check
                    else User.IdentityStatus.NOT_REQUIRED
                ),
                preferred_language=language,
                password=password_hash,
                password_changed_at=now,
                details_confirmed_at=now,
            )
            Child.objects.bulk_create(
                Child(household=household, **{f: row[f] for f in _REGISTRATION_CHILD_FIELDS})
                for row in children
            )
            _email_address_add_unverified(user=user, email=email)
            terms_accept(user=user, terms=terms, ip_address=client_ip(request))
    except _EmailTaken:
        user = None
    except IntegrityError:
        # Two registrations with one address at the same moment: the other one won.
        if not _email_has_account(email):
            raise
        user = None
    if user is not None:
        from allauth.account import signals

        signals.user_signed_up.send(sender=User, request=request, user=user)
    registration_confirmation_send(request=request, email=email, user=user)
    return user


class _EmailTaken(Exception):
    pass


def _email_has_account(email: str) -> bool:
    from allauth.account.models import EmailAddress

    return (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


def _email_address_add_unverified(*, user: User, email: str) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)


def _registration_unconfirmed_remove(*, email: str, now) -> bool:
    """Remove an account registered with this address that was never confirmed and whose link
    has expired (never signed in, no verified address): its household goes too when it has no
    other guardian. Returns whether one was removed."""
    from allauth.account.models import EmailAddress

    stale = (
        User.objects.select_for_update()
        .filter(
            email__iexact=email,
            role=User.Role.RESIDENT,
            last_login__isnull=True,
            date_joined__lt=now - REGISTRATION_UNCONFIRMED_LIFETIME,
        )
        .exclude(pk__in=EmailAddress.objects.filter(verified=True).values("user_id"))
        .first()
    )
    if stale is None:
        return False
    household = stale.household
    stale.delete()
    if household is not None and not household.guardians.exists():
        household.delete()
    return True


def registration_confirmation_send(*, request, email: str, user: User | None) -> bool:
    """Send the confirmation link (24 h, single use) for a registration — or, when the address
    belongs to an existing account (`user` None), allauth's "someone tried to register with
    your address" email to its owner. allauth's per-address cooldown applies: inside it nothing
    is sent (the earlier link still works). Returns whether an email went out."""
    from allauth.account.internal.flows.email_verification import (
        send_verification_email_to_address,
    )
    from allauth.account.models import EmailAddress

    if user is not None:
        address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
        if address is None or address.verified:
            return False
    else:
        address = EmailAddress(user=None, email=email)
    return send_verification_email_to_address(request, address, signup=True)


def registration_confirmation_resend(*, request, email: str) -> bool:
    """'Send it again' for a registration in this browser or an unconfirmed signed-in account.
    An address without an account gets nothing; one whose account is already confirmed gets the
    "already registered" email, exactly as a second registration would."""
    from allauth.account.models import EmailAddress

    address = (
        EmailAddress.objects.filter(email__iexact=email)
        .select_related("user")
        .order_by("verified")
        .first()
    )
    if address is None:
        return False
    if address.verified:
        return registration_confirmation_send(request=request, email=email, user=None)
    return registration_confirmation_send(request=request, email=email, user=address.user)


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
    _email_bilingual(
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


# --- My Page: details, children, email/phone/password, export, deletion -----------------------

GUARDIAN_FIELDS = ("last_name", "first_name", "last_name_kana", "first_name_kana", "birth_date")
HOUSEHOLD_ADDRESS_FIELDS = (
    "postal_code",
    "prefecture",
    "city",
    "town",
    "street",
    "municipality_code",
    "residence_code",
)
CHILD_FIELDS = (
    "last_name",
    "first_name",
    "last_name_kana",
    "first_name_kana",
    "birth_date",
    "sex",
    "allergies",
    "notes",
)


def _email_bilingual(*, to: str, template: str, context: dict, user=None, kind: str) -> None:
    """Queue an email from <template>_subject.txt / _message.txt, Japanese with English below
    (the same rendering as allauth's emails; the outbox adds the phishing footer)."""
    from .adapter import email_render_bilingual

    subject, body = email_render_bilingual(template, context)
    message_email_send(to=to, subject=subject, body=body, user=user, kind=kind)


def _changed_fields(instance, changes: dict) -> list[str]:
    return sorted(field for field, value in changes.items() if getattr(instance, field) != value)


def guardian_details_update(*, user: User, request=None, **changes) -> list[str]:
    """Change the guardian's names and date of birth and the household's address (only
    GUARDIAN_FIELDS and HOUSEHOLD_ADDRESS_FIELDS; an empty 住民票コード keeps the one stored).
    Saving counts as confirming the details. Returns the names of the fields that changed (the
    audit log gets the names, never the values)."""
    unknown = set(changes) - set(GUARDIAN_FIELDS) - set(HOUSEHOLD_ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"guardian_details_update() cannot change {sorted(unknown)}")
    if not changes.get("residence_code"):
        changes.pop("residence_code", None)
    user_changes = {f: v for f, v in changes.items() if f in GUARDIAN_FIELDS}
    address_changes = {f: v for f, v in changes.items() if f in HOUSEHOLD_ADDRESS_FIELDS}
    now = timezone.now()
    with transaction.atomic():
        stored = User.objects.select_for_update().get(pk=user.pk)
        changed = _changed_fields(stored, user_changes)
        for field, value in user_changes.items():
            setattr(user, field, value)
        if address_changes:
            household = (
                Household.objects.select_for_update().get(pk=stored.household_id)
                if stored.household_id
                else None
            )
            if household is None:
                household = Household.objects.create(**address_changes)
                user.household = household
                changed.append("household")
            else:
                household_changed = _changed_fields(household, address_changes)
                for field, value in address_changes.items():
                    setattr(household, field, value)
                if household_changed:
                    household.save(update_fields=[*household_changed, "updated_at"])
                    changed.extend(household_changed)
        user.details_confirmed_at = now
        user.save(update_fields=[*user_changes, "household", "details_confirmed_at"])
        if changed:
            audit.log(
                user,
                "account.details_update",
                user,
                subject_user=user,
                request=request,
                fields=sorted(changed),
            )
    return sorted(changed)


def details_confirm(*, user: User) -> None:
    """Record that the guardian checked their registration details are still right (yearly)."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(details_confirmed_at=now)
    user.details_confirmed_at = now


def _household_for_change(user: User) -> Household:
    if user.household_id is None:
        raise PermissionDenied("No household")
    return user.household


def child_create(*, user: User, request=None, **fields) -> Child:
    """Add a child to the guardian's own household (audit-logged without the child's data)."""
    unknown = set(fields) - set(CHILD_FIELDS)
    if unknown:
        raise TypeError(f"child_create() cannot set {sorted(unknown)}")
    household = _household_for_change(user)
    with transaction.atomic():
        child = Child.objects.create(household=household, **fields)
        audit.log(user, "child.create", child, subject_user=user, request=request)
    return child


def _child_check_owner(user: User, child: Child) -> None:
    # Views get the child through child_get_for_guardian (a 404 for anyone else); this second
    # check keeps a future caller from changing another household's child by mistake.
    if user.household_id is None or child.household_id != user.household_id:
        raise PermissionDenied("Not this guardian's child")


def child_update(*, user: User, child: Child, request=None, **changes) -> list[str]:
    """Change a child of the guardian's own household; returns what changed."""
    unknown = set(changes) - set(CHILD_FIELDS)
    if unknown:
        raise TypeError(f"child_update() cannot change {sorted(unknown)}")
    _child_check_owner(user, child)
    with transaction.atomic():
        stored = Child.objects.select_for_update().get(pk=child.pk)
        changed = _changed_fields(stored, changes)
        for field, value in changes.items():
            setattr(child, field, value)
        if changed:
            child.save(update_fields=[*changed, "updated_at"])
            audit.log(
                user, "child.update", child, subject_user=user, request=request, fields=changed
            )
    return changed


def child_delete(*, user: User, child: Child, request=None) -> None:
    """Remove a child from the guardian's own household."""
    _child_check_owner(user, child)
    with transaction.atomic():
        audit.log(user, "child.delete", child, subject_user=user, request=request)
        child.delete()


def user_phone_change(*, user: User, phone, request=None) -> bool:
    """Change the guardian's phone number (already normalised to E.164 by the form)."""
    with transaction.atomic():
        stored = User.objects.select_for_update().get(pk=user.pk)
        if stored.phone == phone:
            return False
        user.phone = phone
        user.save(update_fields=["phone"])
        audit.log(user, "account.phone_change", user, subject_user=user, request=request)
    return True


def account_data_export_record(*, user: User, fmt: str, request=None) -> None:
    """Log that the guardian downloaded their data (and in which format)."""
    audit.log(user, "account.data_export", user, subject_user=user, request=request, format=fmt)


def account_delete(*, user: User, request=None) -> bool:
    """Delete the guardian's account. The household and its children go too when no other
    guardian is left in it. Kept, unlinked from the person: audit-log entries and
    authentication events (with their details emptied). Copies of messages already sent are
    erased. A confirmation email goes to the address the account had. Returns whether the
    household was deleted."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        email = user.email
        household = user.household
        household_deleted = (
            household is not None and not household.guardians.exclude(pk=user.pk).exists()
        )
        audit.log(
            user, "account.delete", user, request=request, household_deleted=household_deleted
        )
        user_sessions_end(user=user)
        AuthEvent.objects.filter(user=user).update(user=None, detail={})
        OutboundMessage.objects.filter(user=user).exclude(
            status__in=[OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENDING]
        ).delete()
        user.delete()
        if household_deleted:
            household.delete()
        if email:
            _email_bilingual(
                to=email,
                template="accounts/mypage/email/account_deleted",
                context={"household_deleted": household_deleted},
                kind="account_deleted",
            )
    return household_deleted


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
            _email_bilingual(
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
    from .selectors import identity_check_for_recovery_today

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
            _email_bilingual(
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
            )
        else:
            _email_bilingual(
                to=user.email,
                template="accounts/security/email/second_step_code",
                context={"user": user, "code": code, "minutes": minutes, "purpose": purpose},
                user=user,
                kind=f"second_step_{purpose}",
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

    from .selectors import second_step_lock_active

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
                _email_bilingual(
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
        _email_bilingual(
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
        _email_bilingual(
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
        _email_bilingual(
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
