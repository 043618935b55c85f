"""The idempotency key (core/idempotency.py) on the events application form: the same POST sent
again — a person's retry after an error page, when the first had committed but its answer was
lost — answers with the first result. tests/faults/test_web.py shows it through nginx with a web
process killed."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from kosodate.core.models import IdempotencyKey
from kosodate.events.models import Application

from .factories import EventFactory

pytestmark = pytest.mark.django_db

KEY = "k" * 32


def _key(html: str) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert match, "no idempotency key on the form"
    return match.group(1)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _apply(client, user, event, **extra):
    children = [c.pk for c in user.household.children.all()]
    return client.post(
        reverse("events:apply", args=[event.pk]), {"adults": 1, "children": children, **extra}
    )


def test_each_render_of_the_form_has_a_new_key(client, make_family):
    family, event = make_family(), EventFactory()
    client.force_login(family)
    url = reverse("events:apply", args=[event.pk])
    first, second = _key(client.get(url).text), _key(client.get(url).text)
    assert first != second and len(first) >= 16


def test_the_same_application_sent_again_answers_with_the_first_result(client, make_family):
    family, event = make_family(), EventFactory(capacity=1)
    client.force_login(family)
    first = _apply(client, family, event, idempotency_key=KEY)
    again = _apply(client, family, event, idempotency_key=KEY)
    application = Application.objects.get()
    assert (
        first["Location"]
        == again["Location"]
        == reverse("events:application_detail", args=[application.pk])
    )
    # The person whose first answer was lost is told what happened, not "already applied".
    assert _messages(again)[-1] == _messages(first)[-1]
    assert IdempotencyKey.objects.get().result == str(application.pk)


def test_without_the_key_the_retry_is_refused_as_a_duplicate(client, make_family):
    """What the key changes: a retry without it is told "already applied" (the unique constraint
    still stops a second application)."""
    family, event = make_family(), EventFactory(capacity=1)
    client.force_login(family)
    first = _apply(client, family, event)
    again = _apply(client, family, event)
    assert Application.objects.count() == 1
    assert first["Location"] == again["Location"]
    assert _messages(again)[-1] != _messages(first)[-1]
    assert not IdempotencyKey.objects.exists()


def test_a_new_key_for_a_household_that_applied_is_still_a_duplicate(client, make_family):
    family, event = make_family(), EventFactory()
    client.force_login(family)
    _apply(client, family, event, idempotency_key=KEY)
    again = _apply(client, family, event, idempotency_key="n" * 32)
    assert Application.objects.count() == 1
    assert again["Location"] == reverse(
        "events:application_detail", args=[Application.objects.get().pk]
    )
    assert IdempotencyKey.objects.count() == 1


def test_the_key_is_the_persons_own(client, make_family):
    first, second, event = make_family(), make_family(), EventFactory(capacity=5)
    client.force_login(first)
    _apply(client, first, event, idempotency_key=KEY)
    client.force_login(second)
    _apply(client, second, event, idempotency_key=KEY)  # the same token: another key
    assert Application.objects.filter(event=event).count() == 2


def test_a_malformed_key_is_no_key(client, make_family):
    family, event = make_family(), EventFactory()
    client.force_login(family)
    response = _apply(client, family, event, idempotency_key="<script>")
    assert response.status_code == 302
    assert Application.objects.count() == 1 and not IdempotencyKey.objects.exists()
