"""Facility staff: the queue, approve (re-checking capacity), decline with a reason, attendance,
capacity per day, closures; municipal staff see everything but change nothing."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kosodate.childcare import services, services_facility
from kosodate.childcare.models import Booking, FacilityDay
from kosodate.core.models import AuditLog, Notification, OutboundMessage
from tests.worker import run_worker

from .support import bookable_day

pytestmark = pytest.mark.django_db


def _request(user, facility, child, day=None):
    [booking] = services.booking_request(
        user=user,
        facility=facility,
        children=[child],
        day=day or bookable_day(),
        start=time(9),
        end=time(12),
        reason="work",
        pickup_person="母",
    )
    return booking


def test_queue_shows_pending_requests_of_my_facility(
    client, facility_staff, staffed_facility, resident, child
):
    booking = _request(resident, staffed_facility, child)
    run_worker()  # who is told, is told by the worker after the request's transaction
    client.force_login(facility_staff)
    page = client.get(reverse("childcare_staff:index")).content.decode()
    assert reverse("childcare_staff:booking_detail", args=[booking.code]) in page
    # Staff were told in-app (not by email).
    assert Notification.objects.filter(user=facility_staff, kind="childcare.staff").exists()
    assert not OutboundMessage.objects.filter(user=facility_staff).exists()


def test_approve_confirms_and_tells_the_family(
    client, facility_staff, staffed_facility, resident, child
):
    booking = _request(resident, staffed_facility, child)
    client.force_login(facility_staff)
    response = client.post(reverse("childcare_staff:booking_approve", args=[booking.code]))
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert OutboundMessage.objects.filter(user=resident, kind="childcare.confirmed").count() == 1
    assert AuditLog.objects.filter(
        action="childcare.booking.approve", actor=facility_staff
    ).exists()
    # Approving twice changes nothing and sends nothing more.
    client.post(reverse("childcare_staff:booking_approve", args=[booking.code]))
    assert OutboundMessage.objects.filter(user=resident, kind="childcare.confirmed").count() == 1


def test_approve_rechecks_capacity_at_that_moment(
    client, facility_staff, staffed_facility, resident, child, other_resident, other_child
):
    day = bookable_day()
    first = _request(resident, staffed_facility, child, day)
    second = _request(other_resident, staffed_facility, other_child, day)
    # A carer is off sick: the day now has one place for this age.
    services_facility.facility_day_capacity_set(
        facility=staffed_facility, day=day, actor=facility_staff, places_age1_2=1
    )
    client.force_login(facility_staff)
    client.post(reverse("childcare_staff:booking_approve", args=[first.code]))
    response = client.post(
        reverse("childcare_staff:booking_approve", args=[second.code]), follow=True
    )
    assert "定員を超えます" in response.content.decode()
    second.refresh_from_db()
    assert second.status == "pending"


def test_decline_needs_a_reason_and_frees_the_place(
    client, facility_staff, staffed_facility, resident, child, other_resident, other_child
):
    staffed_facility.places_age1_2 = 1
    staffed_facility.save()
    day = bookable_day()
    first = _request(resident, staffed_facility, child, day)
    waiting = _request(other_resident, staffed_facility, other_child, day)
    assert waiting.status == "waitlisted"
    client.force_login(facility_staff)
    url = reverse("childcare_staff:booking_decline", args=[first.code])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert "必須" in response.content.decode()
    first.refresh_from_db()
    assert first.status == "pending"
    client.post(url, {"reason": "当日は園外活動のため"})
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert first.status == "declined" and first.decline_reason == "当日は園外活動のため"
    assert waiting.status == "offered"
    message = OutboundMessage.objects.get(user=resident, kind="childcare.declined")
    assert "当日は園外活動のため" in message.body


def test_attendance_from_the_day_of_care(client, facility_staff, staffed_facility, resident, child):
    import time_machine

    booking = _request(resident, staffed_facility, child)
    services.booking_approve(booking=booking, actor=facility_staff)
    client.force_login(facility_staff)
    client.post(reverse("childcare_staff:booking_no_show", args=[booking.code]))
    booking.refresh_from_db()
    assert booking.status == "confirmed"  # not before the day
    on_the_day = timezone.make_aware(datetime.combine(booking.date, time(13)))
    with time_machine.travel(on_the_day, tick=False):
        client.force_login(facility_staff)
        client.post(reverse("childcare_staff:booking_no_show", args=[booking.code]))
        booking.refresh_from_db()
        assert booking.status == "no_show"
        client.post(reverse("childcare_staff:booking_attended", args=[booking.code]))
    booking.refresh_from_db()
    assert booking.status == "attended"
    kinds = set(Notification.objects.filter(user=resident).values_list("kind", flat=True))
    assert {"childcare.no_show", "childcare.attended"} <= kinds


def test_roster_lists_what_carers_need_and_is_logged(
    client, facility_staff, staffed_facility, resident, child
):
    booking = _request(resident, staffed_facility, child)
    client.force_login(facility_staff)
    url = reverse("childcare_staff:roster", args=[staffed_facility.pk, booking.date.isoformat()])
    page = client.get(url).content.decode()
    assert child.full_name in page
    assert "卵" in page  # allergies
    assert "母" in page  # pickup person
    assert "090-1234-5678" in page  # the guardian's phone
    assert AuditLog.objects.filter(action="childcare.roster.view", actor=facility_staff).exists()


def test_closing_a_day_cancels_its_bookings_with_the_reason(
    client, facility_staff, staffed_facility, resident, child
):
    booking = _request(resident, staffed_facility, child)
    client.force_login(facility_staff)
    client.post(
        reverse("childcare_staff:closures", args=[staffed_facility.pk]),
        {"date": booking.date.isoformat(), "reason": "設備点検"},
    )
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancelled_by == "facility"
    assert "設備点検" in OutboundMessage.objects.get(kind="childcare.cancelled_by_facility").body
    assert FacilityDay.objects.get(facility=staffed_facility, date=booking.date).closed
    # Families can no longer book it.
    availability = client.get(
        reverse("childcare:day", args=[booking.date.isoformat()])
        + f"?facility={staffed_facility.pk}"
    ).content.decode()
    assert "設備点検" in availability


def test_more_carers_on_a_day_offer_places_to_the_waiting_list(
    client, facility_staff, staffed_facility, resident, child, other_resident, other_child
):
    staffed_facility.places_age1_2 = 1
    staffed_facility.save()
    day = bookable_day()
    _request(resident, staffed_facility, child, day)
    waiting = _request(other_resident, staffed_facility, other_child, day)
    client.force_login(facility_staff)
    client.post(
        reverse("childcare_staff:capacity_day", args=[staffed_facility.pk]),
        {"date": day.isoformat(), "places_age1_2": "2"},
    )
    waiting.refresh_from_db()
    assert waiting.status == "offered"


def test_carers_mode_uses_the_staff_ratios(
    client, facility_staff, staffed_facility, resident, child
):
    client.force_login(facility_staff)
    response = client.post(
        reverse("childcare_staff:capacity", args=[staffed_facility.pk]),
        {
            "capacity_mode": "carers",
            "carers": "2",
            "places_age0": "0",
            "places_age1_2": "0",
            "places_age3": "0",
            "places_age4_5": "0",
            "max_children": "",
        },
    )
    assert response.status_code == 302
    staffed_facility.refresh_from_db()
    from kosodate.childcare import rules as R

    capacity = R.capacity_for(staffed_facility)
    # 2 carers: 6 babies, or 12 one-year-olds, or 3 babies + 6 one-year-olds.
    assert capacity.size("age0") == 6
    assert capacity.size("age1_2") == 12
    assert capacity.free({"age0": 3}, "age1_2") == 6
    assert capacity.free({"age0": 3, "age1_2": 6}, "age4_5") == 0


def test_rules_form_saves_overrides(client, facility_staff, staffed_facility):
    client.force_login(facility_staff)
    url = reverse("childcare_staff:rules", args=[staffed_facility.pk])
    assert "空欄の場合は市の設定値" in client.get(url).content.decode()
    data = {
        "opens_at": "09:00",
        "closes_at": "16:00",
        "fee_per_hour": "800",
        "cutoff_time": "16:30",
        "cutoff_days_before": "1",
        "auto_approve": "on",
        "open_on_saturdays": "unknown",
    }
    assert client.post(url, data).status_code == 302
    staffed_facility.refresh_from_db()
    assert staffed_facility.fee_per_hour == 800
    assert staffed_facility.cutoff_days_before == 1
    assert staffed_facility.auto_approve
    assert staffed_facility.min_age_days is None


def test_municipal_staff_see_but_cannot_change(
    client, municipal_staff, facility_staff, staffed_facility, resident, child
):
    booking = _request(resident, staffed_facility, child)
    client.force_login(municipal_staff)
    assert client.get(reverse("childcare_staff:index")).status_code == 200
    assert (
        client.get(reverse("childcare_staff:booking_detail", args=[booking.code])).status_code
        == 200
    )
    assert (
        client.post(reverse("childcare_staff:booking_approve", args=[booking.code])).status_code
        == 404
    )
    assert (
        client.get(reverse("childcare_staff:capacity", args=[staffed_facility.pk])).status_code
        == 404
    )
    page = client.get(reverse("childcare_staff:utilisation")).content.decode()
    assert staffed_facility.name in page
    booking.refresh_from_db()
    assert booking.status == "pending"


def test_utilisation_counts(municipal_staff, facility_staff, staffed_facility, resident, child):
    from kosodate.childcare import selectors

    booking = _request(resident, staffed_facility, child)
    [row] = selectors.utilisation(month=booking.date)
    assert row.used == 1
    assert row.place_days > 0
    services.booking_cancel(booking=booking, user=resident)
    [row] = selectors.utilisation(month=booking.date)
    assert (row.used, row.cancelled) == (0, 1)
    assert Booking.objects.count() == 1
    assert timedelta(0) == timedelta(0)
