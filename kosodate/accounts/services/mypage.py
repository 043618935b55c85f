"""My Page: the guardian's details, children, phone, data export and account deletion."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from kosodate.core import audit
from kosodate.core.models import OutboundMessage

from ..emails import email_bilingual_send
from ..models import (
    AuthEvent,
    Child,
    Household,
    User,
)
from .signin import user_sessions_end

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
            email_bilingual_send(
                to=email,
                template="accounts/mypage/email/account_deleted",
                context={"household_deleted": household_deleted},
                kind="account_deleted",
            )
    return household_deleted
