"""The idempotency key (core/idempotency.py) on the 一時預かり request: it goes through the
confirmation page, and the same request sent again answers with the first result."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from kosodate.childcare.models import Booking

from .support import bookable_day, booking_data

pytestmark = pytest.mark.django_db

KEY = "k" * 32


def _key(html: str) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert match, "no idempotency key on the form"
    return match.group(1)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_booking_key_goes_through_the_confirmation_page(client, resident, facility, child):
    client.force_login(resident)
    day = bookable_day()
    form = client.get(reverse("childcare:booking_create", args=[facility.pk]))
    key = _key(form.text)
    confirm = client.post(
        reverse("childcare:booking_create", args=[facility.pk]),
        booking_data(day, children=[child], idempotency_key=key),
    )
    assert confirm.status_code == 200 and _key(confirm.text) == key


def test_the_same_booking_sent_again_answers_with_the_first_result(
    client, resident, facility, child
):
    client.force_login(resident)
    url = reverse("childcare:booking_send", args=[facility.pk])
    data = booking_data(bookable_day(), children=[child], idempotency_key=KEY)
    first, again = client.post(url, data), client.post(url, data)
    booking = Booking.objects.get()
    assert first.status_code == again.status_code == 302
    assert again["Location"] == reverse("childcare:booking_detail", args=[booking.code])
    assert _messages(again)[-1] == _messages(first)[-1]
    # Without the key, the same request is refused: the child has a booking that day.
    data.pop("idempotency_key")
    refused = client.post(url, data)
    assert refused.status_code == 200 and "すでに予約" in refused.text
    assert Booking.objects.count() == 1
