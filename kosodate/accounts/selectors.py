"""Reads of accounts data, including access-checked getters (another household's object → 404)."""

from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.db.models.functions import Concat
from django.http import Http404
from django.utils import timezone

from kosodate.core.prepared import PreparedQuery
from kosodate.core.text import to_katakana

from .models import (
    AccountLock,
    AuthEvent,
    Child,
    IdentityCheck,
    SecondStepCode,
    SecondStepMethod,
    TermsAcceptance,
    TermsVersion,
    User,
)


def terms_current() -> TermsVersion | None:
    """The newest terms version in effect now."""
    return TermsVersion.objects.filter(effective_at__lte=timezone.now()).first()


def terms_needs_acceptance(*, user: User) -> TermsVersion | None:
    """The current terms if this user has not accepted them yet, else None."""
    current = terms_current()
    if current is None:
        return None
    if TermsAcceptance.objects.filter(user=user, terms=current).exists():
        return None
    return current


def child_get_for_guardian(*, user: User, pk: int) -> Child:
    """A child of the signed-in guardian's household; anyone else's child is a 404."""
    if user.household_id is None:
        raise Http404
    child = Child.objects.filter(pk=pk, household_id=user.household_id).first()
    if child is None:
        raise Http404
    return child


# --- Sign-in ----------------------------------------------------------------------------------
def account_lock_active(*, user: User) -> AccountLock | None:
    """The user's lock if it holds now (it lifts itself when locked_until passes)."""
    return AccountLock.objects.filter(user=user, locked_until__gt=timezone.now()).first()


def second_step_lock_active(*, user: User) -> AccountLock | None:
    """The user's lock if their second step is blocked now (too many wrong codes)."""
    return AccountLock.objects.filter(
        user=user, second_step_locked_until__gt=timezone.now()
    ).first()


# --- My Page ----------------------------------------------------------------------------------
DETAILS_CONFIRMATION_INTERVAL = timedelta(days=365)


def details_confirmation_due(*, user: User, now=None) -> bool:
    """A resident is asked once a year whether address, phone and children are still right.
    Counted from the last confirmation or edit, or from registration: someone who has just typed
    their details is not asked to confirm them again."""
    if not user.is_resident:
        return False
    now = now or timezone.now()
    last = user.details_confirmed_at or user.date_joined
    return last <= now - DETAILS_CONFIRMATION_INTERVAL


def password_change_reminder_due(*, user: User, municipality, now=None) -> bool:
    """The optional, never forced reminder to change an old password (SECURITY.md 6.2.10): only
    when the municipality set password_change_reminder_days."""
    days = municipality.password_change_reminder_days
    if not days or not user.has_usable_password():
        return False
    now = now or timezone.now()
    last = user.password_changed_at or user.date_joined
    return last <= now - timedelta(days=days)


def household_children(*, user: User) -> QuerySet[Child]:
    """The children of the user's household, youngest last (none without a household): the one
    reader every app uses (My Page, booking and application forms)."""
    if user.household_id is None:
        return Child.objects.none()
    return Child.objects.filter(household_id=user.household_id).order_by("birth_date", "pk")


# The children of a household, read on every application POST of a rush to check the form:
# compiled once per process (core.prepared).
HOUSEHOLD_CHILDREN = PreparedQuery(
    lambda household_id: Child.objects.filter(household_id=household_id).order_by(
        "birth_date", "pk"
    ),
    "household_id",
)


def household_children_list(*, user: User) -> list[Child]:
    """household_children() as a list, from the query compiled once per process."""
    if user.household_id is None:
        return []
    return HOUSEHOLD_CHILDREN.objects(household_id=user.household_id)


def account_data_export(*, user: User) -> dict:
    """Everything the system holds about the guardian and their household, for download."""
    from allauth.account.models import EmailAddress

    household = user.household

    def when(value):
        return timezone.localtime(value).isoformat() if value else None

    data = {
        "exported_at": when(timezone.now()),
        "guardian": {
            "member_number": user.member_number,
            "last_name": user.last_name,
            "first_name": user.first_name,
            "last_name_kana": user.last_name_kana,
            "first_name_kana": user.first_name_kana,
            "birth_date": user.birth_date.isoformat() if user.birth_date else None,
            "email": user.email,
            "phone": str(user.phone) if user.phone else "",
            "preferred_language": user.preferred_language,
            "identity_status": user.identity_status,
            "registered_at": when(user.date_joined),
            "last_sign_in_at": when(user.last_login),
            "password_changed_at": when(user.password_changed_at),
            "details_confirmed_at": when(user.details_confirmed_at),
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "household": None,
        "other_guardians": [],
        "children": [],
        "terms_acceptances": [
            {"version": a.terms.version, "accepted_at": when(a.accepted_at)}
            for a in user.terms_acceptances.select_related("terms").order_by("accepted_at")
        ],
        "identity_checks": [
            {"method": c.method, "purpose": c.purpose, "checked_at": when(c.checked_at)}
            for c in user.identity_checks.order_by("checked_at")
        ],
        "sign_in_history": [
            {
                "event": e.kind,
                "time": when(e.created_at),
                "ip_address": e.ip_address or "",
                "browser": e.user_agent,
            }
            for e in AuthEvent.objects.filter(user=user).order_by("created_at", "pk").iterator()
        ],
    }
    if household is not None:
        data["household"] = {
            "postal_code": household.postal_code,
            "prefecture": household.prefecture,
            "city": household.city,
            "town": household.town,
            "street": household.street,
            "residence_code": household.residence_code,
            "registered_at": when(household.created_at),
        }
        data["other_guardians"] = [
            {"last_name": g.last_name, "first_name": g.first_name}
            for g in household.guardians.exclude(pk=user.pk).order_by("pk")
        ]
        data["children"] = [
            {
                "last_name": c.last_name,
                "first_name": c.first_name,
                "last_name_kana": c.last_name_kana,
                "first_name_kana": c.first_name_kana,
                "birth_date": c.birth_date.isoformat(),
                "sex": c.sex,
                "allergies": c.allergies,
                "notes": c.notes,
            }
            for c in household.children.all()
        ]
    return data


# --- Counter (staff) --------------------------------------------------------------------------
RESIDENT_SEARCH_LIMIT = 50


def search_text(value: str) -> str:
    """What a name search compares: NFKC (full-width letters, half-width kana), no spaces, kana
    as katakana, so 「やまだ　はなこ」 finds ヤマダ ハナコ."""
    return to_katakana(value).replace(" ", "")


def _counter_accounts():
    """Accounts the counter may find and act on: residents only. A superuser or staff account is
    never one, whatever its role says (issue 10 item 1): a system administrator handles those in
    the admin."""
    return User.objects.filter(role=User.Role.RESIDENT, is_superuser=False, is_staff=False)


def residents_search(
    *,
    name: str = "",
    birth_date: date | None = None,
    phone=None,
    email: str = "",
    member_number: str = "",
    limit: int = RESIDENT_SEARCH_LIMIT,
) -> list[User]:
    """Residents matching every criterion given: name or kana (guardian's or a child's, any
    part), date of birth (the guardian's or a child's), phone (E.164), email, member number. At most `limit`, in kana order, with households, children and locks loaded."""
    qs = _counter_accounts()
    if name:
        needle = search_text(name)
        children = Child.objects.annotate(
            _name=Concat("last_name", "first_name"),
            _kana=Concat("last_name_kana", "first_name_kana"),
        ).filter(Q(_name__icontains=needle) | Q(_kana__icontains=needle))
        qs = qs.annotate(
            _name=Concat("last_name", "first_name"),
            _kana=Concat("last_name_kana", "first_name_kana"),
        ).filter(
            Q(_name__icontains=needle)
            | Q(_kana__icontains=needle)
            | Q(household_id__in=children.values("household_id"))
        )
    if birth_date:
        qs = qs.filter(
            Q(birth_date=birth_date)
            | Q(household_id__in=Child.objects.filter(birth_date=birth_date).values("household_id"))
        )
    if phone:
        qs = qs.filter(phone=phone)
    if email:
        qs = qs.filter(email__iexact=email)
    if member_number:
        qs = qs.filter(username=member_number)
    return list(
        qs.select_related("household", "lock")
        .prefetch_related("household__children")
        .order_by("last_name_kana", "first_name_kana", "pk")[:limit]
    )


def resident_get_for_staff(*, pk: int) -> User:
    """A resident's account for the counter; staff and superuser accounts are not managed here
    (a 404)."""
    resident = _counter_accounts().filter(pk=pk).select_related("household", "lock").first()
    if resident is None:
        raise Http404
    return resident


def identity_check_for_recovery_today(*, resident: User) -> IdentityCheck | None:
    """Today's (local date) identity check for account recovery, which recovery actions need."""
    start_of_day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        IdentityCheck.objects.filter(
            user=resident,
            purpose=IdentityCheck.Purpose.RECOVERY,
            checked_at__gte=start_of_day,
        )
        .order_by("-checked_at")
        .first()
    )


def resident_record_for_staff(*, resident: User) -> dict:
    """What the counter page shows about a resident, in a fixed number of queries."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    lock = getattr(resident, "lock", None)
    return {
        "children": household_children(user=resident),
        "email_addresses": list(EmailAddress.objects.filter(user=resident).order_by("pk")),
        "identity_checks": list(
            resident.identity_checks.select_related("checked_by").order_by("-checked_at")[:20]
        ),
        "recovery_check": identity_check_for_recovery_today(resident=resident),
        "second_step_methods": [
            str(Authenticator.Type(t).label)
            for t in sorted(
                set(Authenticator.objects.filter(user=resident).values_list("type", flat=True))
            )
        ],
        "locked_until": lock.locked_until if lock and lock.is_locked() else None,
        "auth_events": list(AuthEvent.objects.filter(user=resident)[:20]),
    }


# --- Second step and sessions -----------------------------------------------------------------

# Strongest first: the default when the person has not chosen one.
SECOND_STEP_STRENGTH_ORDER = ("webauthn", "totp", "sms", "email")


def second_step_methods_available(*, user) -> list[str]:
    """The methods `user` can use at sign-in now ("webauthn", "totp", "sms", "email"), strongest
    first. Email codes count only while the municipality allows them; back-office accounts use
    an app or a passkey only (SMS and email codes never count for them)."""
    from allauth.mfa.models import Authenticator

    from kosodate.core.selectors import municipality_get

    from .models import SecondStepMethod

    found = set(
        Authenticator.objects.filter(
            user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).values_list("type", flat=True)
    )
    kinds = set()
    if not user.is_back_office:
        kinds = set(SecondStepMethod.objects.filter(user=user).values_list("kind", flat=True))
    if "email" in kinds and not municipality_get().email_second_step_enabled:
        kinds.discard("email")
    found |= kinds
    return [m for m in SECOND_STEP_STRENGTH_ORDER if m in found]


def second_step_default(*, user) -> str | None:
    from .models import SecondStepPreference

    available = second_step_methods_available(user=user)
    if not available:
        return None
    preference = SecondStepPreference.objects.filter(user=user).first()
    if preference and preference.default_method in available:
        return preference.default_method
    return available[0]


def second_step_summary(*, user) -> dict:
    """Everything the security settings page shows about the second step."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    from kosodate.core.selectors import municipality_get

    from .models import SecondStepMethod

    authenticators = list(Authenticator.objects.filter(user=user).order_by("created_at"))
    totp = next((a for a in authenticators if a.type == Authenticator.Type.TOTP), None)
    passkeys = [a.wrap() for a in authenticators if a.type == Authenticator.Type.WEBAUTHN]
    recovery = next(
        (a for a in authenticators if a.type == Authenticator.Type.RECOVERY_CODES), None
    )
    methods = {m.kind: m for m in SecondStepMethod.objects.filter(user=user)}
    return {
        "totp": totp,
        "passkeys": passkeys,
        "recovery_codes": recovery,
        "recovery_codes_left": len(RecoveryCodes(recovery).get_unused_codes()) if recovery else 0,
        "sms": methods.get("sms"),
        "email": methods.get("email"),
        "email_allowed": municipality_get().email_second_step_enabled and not user.is_back_office,
        "codes_allowed": not user.is_back_office,
        "available": second_step_methods_available(user=user),
        "default": second_step_default(user=user),
    }


def user_has_strong_second_step(*, user) -> bool:
    """An authenticator app or a passkey: what back-office accounts must have."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def auth_events_recent(*, user, limit: int = 20):
    return AuthEvent.objects.filter(user=user).order_by("-created_at", "-pk")[:limit]


def auth_events_search(*, query: str = "", since=None, until=None, kind: str = ""):
    """The staff authentication event log: by member number, email or name, and time."""
    events = AuthEvent.objects.select_related("user").order_by("-created_at", "-pk")
    if query:
        events = events.filter(
            Q(user__username__icontains=query)
            | Q(user__email__icontains=query)
            | Q(user__last_name__icontains=query)
            | Q(user__first_name__icontains=query)
        )
    if since:
        events = events.filter(created_at__gte=since)
    if until:
        events = events.filter(created_at__lt=until)
    if kind:
        events = events.filter(kind=kind)
    return events


def user_sessions_list(*, user, current_key: str = "") -> list[dict]:
    """The person's signed-in sessions, newest activity first, with the browser and device
    read from the user agent."""
    from allauth.usersessions.models import UserSession
    from user_agents import parse

    rows = []
    for session in UserSession.objects.filter(user=user).order_by("-last_seen_at"):
        if not session.exists():
            continue
        agent = parse(session.user_agent or "")
        rows.append(
            {
                "pk": session.pk,
                "browser": f"{agent.browser.family} {agent.browser.version_string}".strip(),
                "device": f"{agent.os.family} / {agent.device.family}",
                "ip": session.ip,
                "created_at": session.created_at,
                "last_seen_at": session.last_seen_at,
                "is_current": session.session_key == current_key,
            }
        )
    return rows


# --- Email addresses and second-step methods (My Page, security settings, sign-in) -------------
def email_state(*, user: User) -> dict:
    """Whether the person has a confirmed address, and the newest address still unconfirmed."""
    from allauth.account.models import EmailAddress

    verified = EmailAddress.objects.filter(user=user, verified=True).exists()
    pending = EmailAddress.objects.filter(user=user, verified=False).order_by("pk").last()
    return {"email_verified": verified, "email_pending": pending}


def email_addresses_current_and_new(*, user: User) -> tuple:
    """(the address in use, the one waiting for confirmation or None) for the email page."""
    from allauth.account.models import EmailAddress

    current = EmailAddress.objects.get_verified(user) or EmailAddress.objects.get_primary(user)
    new = EmailAddress.objects.get_new(user)
    return current, (new if new and new != current else None)


def second_step_method_get(*, user: User, kind: str) -> SecondStepMethod | None:
    return SecondStepMethod.objects.filter(user=user, kind=kind).first()


def second_step_code_sent(*, user: User, kind: str, attempt: str) -> bool:
    """Whether a sign-in code was already sent for this sign-in attempt."""
    return SecondStepCode.objects.filter(
        user=user, kind=kind, purpose=SecondStepCode.Purpose.SIGNIN, attempt=attempt
    ).exists()
