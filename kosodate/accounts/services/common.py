"""Shared by every flow: member numbers, terms acceptance, the auth event log."""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from kosodate.core.client_ip import client_ip

from ..models import (
    AuthEvent,
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
