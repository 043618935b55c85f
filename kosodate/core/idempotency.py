"""A form that does something once (apply for an event, request 一時預かり) carries an idempotency
key: a random token made each time the form is rendered, in a hidden field. The service runs the
POST through once(): what it writes and the key's row commit together, so the same POST sent again
(the person's retry after an error page, when the first had committed but its answer was lost, for
example because the web process was killed) answers with the first POST's result instead of doing
it again, or of refusing it as a duplicate.

    class ApplicationForm(IdempotentForm): ...

    def application_create(*, ..., idempotency_key: str = "") -> Application:
        return idempotency.once(
            user=user, scope="events.application", key=idempotency_key,
            run=lambda: _application_create(...), result=lambda a: a.pk,
            recall_result=lambda pk: Application.objects.get(pk=pk),
        )

A POST without a key (a form rendered before the key existed) runs as before. The key is the
person's own: the same token sent by someone else is another key. nginx never repeats a POST on
its own (scripts/prod-local): only the person does, and this makes that safe.
"""

import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import IdempotencyKey

FIELD = "idempotency_key"
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def key_new() -> str:
    return secrets.token_urlsafe(24)


class IdempotencyKeyField(forms.CharField):
    """Hidden; a new key at each render of an unbound form (a callable initial); a bound form
    that is shown again keeps the key it was sent with (nothing was done yet)."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("initial", key_new)
        super().__init__(max_length=64, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        # A malformed key is no key: the POST is applied as one without (never refused for it).
        return value if value and _SHAPE.match(value) else ""


class IdempotentForm(forms.Form):
    """Mix into a form whose POST must be applied once."""

    idempotency_key = IdempotencyKeyField()


def recall(*, user, scope: str, key: str) -> str | None:
    """The recorded result of the POST sent with this key, or None if none committed."""
    if not key or user is None or user.pk is None:
        return None
    return (
        IdempotencyKey.objects.filter(user=user, scope=scope, key=key)
        .values_list("result", flat=True)
        .first()
    )


def once[T](
    *,
    user,
    scope: str,
    key: str,
    run: Callable[[], T],
    result: Callable[[T], Any],
    recall_result: Callable[[str], T],
) -> T:
    """run() once for this user, scope and key: run, and record str(result(…)) in the same
    transaction (run() may write the record itself with key_rows()). If a POST with the key has
    committed, the run fails on the service's duplicate check or the key's unique constraint, is
    rolled back, and recall_result(the recorded result) is returned instead. A twin sent while the first was still running (it waited on the
    same lock) fails on the duplicate check or the key's unique constraint: it then answers with
    the first one's result too."""
    if not key:
        return run()
    # No look-up first (issue 16: a statement less per POST): a repeated POST runs again, and
    # its duplicate check or the key's unique constraint rolls it back and recalls the first.
    pending = _Pending(user=user, scope=scope, key=key, result=result)
    token = _PENDING.set(pending)
    try:
        with transaction.atomic():
            value = run()
            if not pending.taken:
                IdempotencyKey.objects.create(**pending.fields(value))
    except (IntegrityError, ValidationError):
        first = recall(user=user, scope=scope, key=key)
        if first is not None:
            return recall_result(first)
        raise
    finally:
        _PENDING.reset(token)
    return value


@dataclass
class _Pending:
    user: Any
    scope: str
    key: str
    result: Callable[[Any], Any]
    taken: bool = False

    def fields(self, value) -> dict[str, Any]:
        return {
            "user": self.user,
            "scope": self.scope,
            "key": self.key,
            "result": str(self.result(value)),
        }


_PENDING: ContextVar[_Pending | None] = ContextVar("idempotency_pending", default=None)


def key_rows(value) -> list[IdempotencyKey]:
    """Inside once()'s run(): the key's row (unsaved) recording `value` as the result, for the
    service to write with its own rows in one statement (core.db.insert_together) while it holds
    a lock; once() then does not write it. Empty when the POST has no key."""
    pending = _PENDING.get()
    if pending is None or pending.taken:
        return []
    pending.taken = True
    return [IdempotencyKey(**pending.fields(value))]


KEEP = timedelta(days=2)


def keys_purge(*, older_than: timedelta = KEEP) -> int:
    """Delete the keys recorded more than `older_than` ago (manage.py idempotency_keys_purge,
    daily). A retry comes within minutes; a form sent again after its key is gone is refused as a
    duplicate by the service's own check, never applied twice."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
