"""Registration: a new household, its first guardian and children, and the confirmation email."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kosodate.core.client_ip import client_ip

from ..models import (
    Child,
    Household,
    TermsVersion,
    User,
)
from .common import terms_accept, user_create_with_member_number

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
