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
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

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
    """run() once for this user, scope and key. If a POST with the key has committed, return
    recall_result(its recorded result) without running. Otherwise run, and record str(result(…))
    in the same transaction. A twin sent while the first was still running (it waited on the
    same lock) fails on the duplicate check or the key's unique constraint: it then answers with
    the first one's result too."""
    if not key:
        return run()
    first = recall(user=user, scope=scope, key=key)
    if first is not None:
        return recall_result(first)
    try:
        with transaction.atomic():
            value = run()
            IdempotencyKey.objects.create(
                user=user, scope=scope, key=key, result=str(result(value))
            )
    except (IntegrityError, ValidationError):
        first = recall(user=user, scope=scope, key=key)
        if first is not None:
            return recall_result(first)
        raise
    return value
