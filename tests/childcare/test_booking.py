"""Booking at the HTTP level: the fee is shown before anything is saved, places are given while
they fit and the waiting list takes the rest, every change is told to the family (in-app and by
email), and bad input leaves nothing half-saved."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY

from kosodate.childcare import services, services_scheduled
from kosodate.childcare.models import Booking, FacilityDay, Registration
from kosodate.core.models import Notification, OutboundMessage
from tests.worker import run_worker

from .support import bookable_day, booking_data, family, registered

pytestmark = pytest.mark.django_db

JST_MONDAY_2026_06_01 = datetime.fromisoformat("2026-06-01T09:00:00+09:00")


def _send(client, facility, data):
    return client.post(reverse("childcare:booking_send", args=[facility.pk]), data)


def test_the_fee_is_shown_before_sending_and_nothing_is_saved(client, resident, facility, child):
    client.force_login(resident)
    day = bookable_day()
    response = client.post(
        reverse("childcare:booking_create", args=[facility.pk]),
        booking_data(day, children=[child], start="09:00", end="13:30"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "2,250" in page  # 4.5 h × 500 yen
    assert reverse("childcare:booking_send", args=[facility.pk]) in page
    assert not Booking.objects.exists()


def test_request_holds_a_place_and_the_family_is_told(client, resident, facility, child):
    client.force_login(resident)
    day = bookable_day()
    response = _send(client, facility, booking_data(day, children=[child]))
    run_worker()  # the family is told by the worker, after the request's transaction
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("childcare:booking_detail", args=[booking.code])
    assert booking.status == Booking.Status.PENDING
    assert booking.fee_yen == 3000
    assert booking.age_band == "age1_2"
    assert FacilityDay.objects.get(facility=facility, date=day).held_age1_2 == 1
    notification = Notification.objects.get(user=resident)
    assert notification.kind == "childcare.pending"
    assert notification.url == reverse("childcare:booking_detail", args=[booking.code])
    email = OutboundMessage.objects.get(user=resident, kind="childcare.pending")
    assert facility.name in email.subject
    page = client.get(response.url).content.decode()
    assert "申請中" in page


def test_auto_approving_facility_confirms_at_once(client, resident, facility, child):
    facility.auto_approve = True
    facility.save()
    client.force_login(resident)
    _send(client, facility, booking_data(bookable_day(), children=[child]))
    run_worker()
    assert Booking.objects.get().status == Booking.Status.CONFIRMED
    assert OutboundMessage.objects.filter(kind="childcare.confirmed").count() == 1


def test_full_day_puts_the_request_on_the_waiting_list(client, resident, facility, child):
    facility.places_age1_2 = 0
    facility.places_age0 = 1
    facility.save()
    client.force_login(resident)
    _send(client, facility, booking_data(bookable_day(), children=[child]))
    run_worker()
    booking = Booking.objects.get()
    assert booking.status == Booking.Status.WAITLISTED
    assert "1" in Notification.objects.get(kind="childcare.waitlisted").body


def test_two_children_in_one_request(client, resident, facility):
    facility.places_age1_2 = 1
    facility.save()
    kids = family(resident, children=2)
    for kid in kids:
        registered(kid, facility)
    client.force_login(resident)
    _send(client, facility, booking_data(bookable_day(), children=kids))
    statuses = sorted(Booking.objects.values_list("status", flat=True))
    assert statuses == ["pending", "waitlisted"]
    assert len(set(Booking.objects.values_list("request_group", flat=True))) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": "15:00", "end": "09:00"}, "終了時刻は開始時刻より後"),
        ({"start": "07:00"}, "正しく選択してください"),
        ({"date": "2020-04-01"}, "日付が過ぎています"),
        ({"pickup_person": ""}, "必須"),
        ({"start": "08:30", "end": "17:00"}, "8時間まで"),
    ],
)
def test_bad_input_is_explained_and_nothing_saved(
    client, resident, facility, child, change, message
):
    client.force_login(resident)
    data = {**booking_data(bookable_day(), children=[child]), **change}
    response = _send(client, facility, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Booking.objects.exists()
    assert not Notification.objects.exists()
    # What was typed stays in the form.
    if change.get("pickup_person", None) != "":
        assert "山田花子(母)" in response.content.decode()


def test_another_households_child_is_refused(client, resident, facility, child, other_child):
    client.force_login(resident)
    response = _send(client, facility, booking_data(bookable_day(), children=[other_child]))
    assert response.status_code == 200
    assert "正しく選択してください" in response.content.decode()
    assert not Booking.objects.exists()


def test_the_chosen_children_are_checked_against_the_households(
    client, resident, facility, child, other_child
):
    """The booking POST checks the posted ids against the household's children read once
    (core.forms.ChildrenField with rows): another household's child, an id that is no number and
    a repeated id are refused or taken as Django's own field does."""
    client.force_login(resident)
    day = bookable_day()
    for posted, code in (
        ([child.pk, other_child.pk], "invalid_choice"),
        (["x"], "invalid_pk_value"),
    ):
        data = {**booking_data(day, children=[]), "children": posted}
        response = _send(client, facility, data)
        assert response.status_code == 200 and not Booking.objects.exists()
        [error] = response.context["form"].errors.as_data()["children"]
        assert error.code == code
        # Shown again from the rows read for the check: the household's own child only.
        page = response.content.decode()
        assert f'name="children" value="{child.pk}"' in page
        assert f'value="{other_child.pk}"' not in page
    response = _send(client, facility, {**booking_data(day, children=[child, child])})
    assert response.status_code == 302
    assert list(Booking.objects.values_list("child", flat=True)) == [child.pk]


def test_closed_days_are_refused(client, resident, facility, child):
    client.force_login(resident)
    day = bookable_day()
    while day.weekday() != 6:
        day += timedelta(days=1)
    response = _send(client, facility, booking_data(day, children=[child]))
    assert "休み" in response.content.decode()
    assert not Booking.objects.exists()


def test_booking_window(client, resident, facility, child):
    client.force_login(resident)
    too_far = bookable_day(after_days=40)
    response = _send(client, facility, booking_data(too_far, children=[child]))
    assert "受付開始" in response.content.decode()
    too_late = bookable_day(after_days=1)
    if (too_late - timezone.localdate()).days < 2:
        response = _send(client, facility, booking_data(too_late, children=[child]))
        assert "受付は" in response.content.decode()
    assert not Booking.objects.exists()


def test_booking_needs_a_completed_registration(client, resident, facility):
    [kid] = family(resident)
    registered(kid, facility, status=Registration.Status.INTERVIEW_SCHEDULED)
    client.force_login(resident)
    response = client.post(
        reverse("childcare:booking_create", args=[facility.pk]),
        booking_data(bookable_day(), children=[kid]),
    )
    page = response.content.decode()
    assert "面談" in page
    assert reverse("childcare:registration_list") in page
    assert not Booking.objects.exists()


def test_one_booking_per_child_and_day(client, resident, facility, child):
    client.force_login(resident)
    day = bookable_day()
    _send(client, facility, booking_data(day, children=[child]))
    response = _send(client, facility, booking_data(day, children=[child], start="10:00"))
    assert "すでに予約" in response.content.decode()
    assert Booking.objects.count() == 1


def test_monthly_limit_counts_days(client, resident, facility, child):
    from kosodate.childcare.models import ChildcareRules

    ChildcareRules.objects.create(pk=1, monthly_max_days=1)
    client.force_login(resident)
    with time_machine.travel(JST_MONDAY_2026_06_01, tick=False):
        _send(client, facility, booking_data(date(2026, 6, 8), children=[child]))
        response = _send(client, facility, booking_data(date(2026, 6, 9), children=[child]))
    assert "上限の1日" in response.content.decode()
    assert Booking.objects.count() == 1


def test_cancel_frees_the_place_for_the_waiting_list(
    client, resident, other_resident, facility, child, other_child
):
    facility.places_age1_2 = 1
    facility.save()
    day = bookable_day()
    [first] = services.booking_request(
        user=resident,
        facility=facility,
        children=[child],
        day=day,
        start=booking_time("09:00"),
        end=booking_time("12:00"),
        reason="work",
        pickup_person="母",
    )
    [second] = services.booking_request(
        user=other_resident,
        facility=facility,
        children=[other_child],
        day=day,
        start=booking_time("09:00"),
        end=booking_time("12:00"),
        reason="work",
        pickup_person="父",
    )
    assert (first.status, second.status) == ("pending", "waitlisted")
    client.force_login(resident)
    response = client.post(reverse("childcare:booking_cancel", args=[first.code]))
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "cancelled" and not first.cancelled_late
    assert second.status == "offered"
    assert second.offer_expires_at > timezone.now()
    assert Notification.objects.filter(user=other_resident, kind="childcare.offered").exists()
    # The family confirms the offered place.
    client.force_login(other_resident)
    client.post(reverse("childcare:booking_accept", args=[second.code]))
    second.refresh_from_db()
    assert second.status == "confirmed"
    assert list(second.events.values_list("status", flat=True)) == [
        "waitlisted",
        "offered",
        "confirmed",
    ]


def test_late_cancellation_is_recorded(client, resident, facility, child):
    day = bookable_day()
    [booking] = services.booking_request(
        user=resident,
        facility=facility,
        children=[child],
        day=day,
        start=booking_time("09:00"),
        end=booking_time("12:00"),
        reason="work",
        pickup_person="母",
    )
    deadline = timezone.make_aware(datetime.combine(day - timedelta(days=1), booking_time("17:00")))
    with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
        client.force_login(resident)
        page = client.get(reverse("childcare:booking_cancel", args=[booking.code])).content.decode()
        assert "期限後のキャンセル" in page
        client.post(reverse("childcare:booking_cancel", args=[booking.code]))
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancelled_late
    assert Notification.objects.filter(kind="childcare.cancelled_late").exists()


def test_unconfirmed_offer_passes_to_the_next_family(
    resident, other_resident, facility, child, other_child, municipality
):
    from tests.factories import UserFactory

    facility.places_age1_2 = 1
    facility.save()
    third_user = UserFactory()
    [third_child] = family(third_user)
    registered(third_child, facility)
    day = bookable_day()
    args = {
        "facility": facility,
        "day": day,
        "start": booking_time("09:00"),
        "end": booking_time("12:00"),
        "reason": "work",
        "pickup_person": "母",
    }
    [first] = services.booking_request(user=resident, children=[child], **args)
    [second] = services.booking_request(user=other_resident, children=[other_child], **args)
    [third] = services.booking_request(user=third_user, children=[third_child], **args)
    services.booking_cancel(booking=first, user=resident)
    second.refresh_from_db()
    assert second.status == "offered"
    services_scheduled.booking_offers_expire(now=second.offer_expires_at + timedelta(seconds=1))
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == "cancelled" and second.cancel_reason == "offer_expired"
    assert third.status == "offered"
    assert Notification.objects.filter(user=other_resident, kind="childcare.offer_expired").exists()
    # Accepting after the deadline is refused.
    with pytest.raises(ValidationError):
        services.booking_offer_accept(booking=second, user=other_resident)


def booking_time(value):
    from datetime import datetime

    return datetime.strptime(value, "%H:%M").time()


def test_the_request_measures_its_lock_waits(client, resident, facility, child):
    # docs/operations.md alerts on kosodate_lock_wait_seconds: the booking request, which locks
    # the children and the day with statements of its own (selectors_lock), is counted there too.
    def waits(resource):
        sample = "kosodate_lock_wait_seconds_count"
        return REGISTRY.get_sample_value(sample, {"resource": resource}) or 0

    before = {r: waits(r) for r in ("childcare.Child", "childcare.FacilityDay")}
    client.force_login(resident)
    _send(client, facility, booking_data(bookable_day(), children=[child]))
    assert Booking.objects.count() == 1
    assert {r: waits(r) - n for r, n in before.items()} == {
        "childcare.Child": 1,
        "childcare.FacilityDay": 1,
    }
