"""core/idempotency.py's once(): the part no form shows (the forms: tests/events/ and
tests/childcare/test_idempotency.py)."""

import pytest
from django.core.exceptions import ValidationError

from kosodate.core import idempotency
from kosodate.core.models import IdempotencyKey
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY = "k" * 32


def test_a_twin_that_lost_the_race_answers_with_the_first_result(monkeypatch):
    """Sent again while the first was still running: it waited on the same lock, then met the
    duplicate check (or the key's constraint) once the first had committed (in its own
    transaction, which recall() then sees); the first one's result is its answer too."""
    family = UserFactory()
    # once() looks the key up only when the run failed (issue 16: no look-up before), by then
    # the first had committed.
    seen = iter(["first"])
    monkeypatch.setattr(idempotency, "recall", lambda **kw: next(seen))

    def twin():
        raise ValidationError("duplicate")

    answer = idempotency.once(
        user=family, scope="test", key=KEY, run=twin, result=str, recall_result=str.upper
    )
    assert answer == "FIRST"
    assert not IdempotencyKey.objects.exists()


def test_without_a_committed_first_the_error_stands():
    family = UserFactory()

    def refused():
        raise ValidationError("no")

    with pytest.raises(ValidationError):
        idempotency.once(
            user=family, scope="test", key=KEY, run=refused, result=str, recall_result=str
        )
    assert not IdempotencyKey.objects.exists()


def test_the_result_is_recorded_with_what_it_did():
    family = UserFactory()
    assert (
        idempotency.once(
            user=family, scope="test", key=KEY, run=lambda: 42, result=str, recall_result=int
        )
        == 42
    )
    assert (
        idempotency.once(
            user=family, scope="test", key=KEY, run=lambda: 43, result=str, recall_result=int
        )
        == 42
    )
    assert (
        idempotency.once(
            user=family, scope="test", key="", run=lambda: 44, result=str, recall_result=int
        )
        == 44
    )


def test_keys_older_than_two_days_are_purged():
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    family = UserFactory()
    old = IdempotencyKey.objects.create(user=family, scope="test", key="o" * 32, result="1")
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    IdempotencyKey.objects.create(user=family, scope="test", key=KEY, result="2")
    call_command("idempotency_keys_purge")
    assert list(IdempotencyKey.objects.values_list("result", flat=True)) == ["2"]
    call_command("idempotency_keys_purge")  # again: nothing more
    assert IdempotencyKey.objects.count() == 1
