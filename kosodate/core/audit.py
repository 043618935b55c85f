"""The audit log's one entry point and its vocabulary (after pretix's `log_action` and its
registry of action types): every action written to the audit trail is registered once, with a
label in English (msgid) and Japanese (msgstr), so the staff audit page says 「予約を承認」 and
never `childcare.booking.approve`.

    # kosodate/<app>/audit_actions.py, imported from the app's AppConfig.ready():
    from django.utils.translation import gettext_lazy as _
    from kosodate.core import audit

    BOOKING_APPROVE = audit.register("childcare.booking.approve", _("Booking approved"))

    # in a service (services.py only; a test fails when a view, form or admin writes the log):
    audit.log(actor, BOOKING_APPROVE, booking, request=request, subject_user=guardian, day=str(day))

`data` (keyword arguments) becomes the entry's JSON `detail`; `subject_user` (whose personal data
this touches) and `request` (for the client address) are the two reserved names. An action that
is not registered raises ValueError, in tests and in production alike: the vocabulary is the
contract of the audit page."""

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise

from .client_ip import client_ip
from .models import AuditLog


@dataclass(frozen=True)
class ActionType:
    key: str
    label: str | Promise


_actions: dict[str, ActionType] = {}


def register(key: str, label: str | Promise) -> str:
    """Register an action type (idempotent for the same key); returns the key, to be used as the
    caller's constant."""
    if not key or len(key) > (AuditLog._meta.get_field("action").max_length or 0):
        raise ValueError(f"audit action key {key!r}: empty or too long")
    _actions[key] = ActionType(key, label)
    return key


def action_types() -> list[ActionType]:
    """Every registered action type, by key."""
    return sorted(_actions.values(), key=lambda action: action.key)


def is_registered(key: str) -> bool:
    return key in _actions


def label(key: str) -> str | Promise:
    """The action's label in the active language (an unknown key, from an older version, shows
    as itself)."""
    action = _actions.get(key)
    return action.label if action is not None else key


def log(
    actor,
    action: str,
    target: models.Model | None = None,
    /,
    *,
    subject_user=None,
    request=None,
    **data: Any,
) -> AuditLog:
    """Append one entry to the audit log (never updated or deleted afterwards). Call it from a
    service, inside the transaction of the change it records."""
    if action not in _actions:
        raise ValueError(
            f"audit action {action!r} is not registered (kosodate.core.audit.register)"
        )
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        subject_user=subject_user,
        detail=data,
        ip_address=client_ip(request),
    )
