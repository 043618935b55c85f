"""The childcare demo data (kosodate/childcare/demo.py, loaded by `manage.py demo_data`) lets a
newcomer try every flow: as a resident (hanako, taro) and as facility staff (hoiku)."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from django.utils import timezone

from kosodate.accounts.models import User
from kosodate.childcare import rules as R
from kosodate.childcare.models import Booking, Facility, Registration
from kosodate.core.demo import demo_data_load

pytestmark = pytest.mark.django_db

S = Booking.Status


def test_every_status_a_newcomer_meets_is_there_and_loads_once():
    demo_data_load()
    counts = (Booking.objects.count(), Registration.objects.count())
    demo_data_load()
    assert (Booking.objects.count(), Registration.objects.count()) == counts

    household = {
        email.split("@")[0]: household_id
        for email, household_id in User.objects.values_list("email", "household_id")
    }
    hanako = Booking.objects.filter(household_id=household["hanako"])
    # hanako sees a confirmed booking (with its .ics), a request awaiting the facility, a
    # cancellation and a past attendance in her history.
    assert {S.CONFIRMED, S.PENDING, S.CANCELLED, S.ATTENDED} <= set(
        hanako.values_list("status", flat=True)
    )
    # taro waits behind はると: cancelling that booking offers him the place.
    waiting = Booking.objects.get(household_id=household["taro"], status=S.WAITLISTED)
    assert hanako.filter(day=waiting.day, status__in=Booking.HOLDING).exists()
    # A facility that requires an interview, where nobody is registered yet, for the resident's
    # own registration flow; and a request in hoiku's queue waiting for an interview date.
    assert (
        Facility.objects.filter(requires_interview=True).exclude(registrations__isnull=False)
    ).exists()
    assert Registration.objects.filter(status=Registration.Status.REQUESTED).exists()
    # hoiku has something to approve or decline and a confirmed booking on or before today to
    # mark attended or no-show.
    today = timezone.localdate()
    komorebi = Facility.objects.get(staff_members__user__username="hoiku")
    assert komorebi.bookings.filter(status=S.PENDING).exists()
    attendance = komorebi.bookings.get(status=S.CONFIRMED, date__lte=today)
    assert not R.closed_reason(R.rules_for(komorebi), attendance.date)


def test_hoiku_can_mark_the_demo_attendance(client):
    demo_data_load()
    hoiku = User.objects.get(username="hoiku")
    TOTP.activate(hoiku, generate_totp_secret())  # staff set one up on first sign-in
    client.force_login(hoiku)
    booking = Booking.objects.get(status=S.CONFIRMED, date__lte=timezone.localdate())
    response = client.post(reverse("childcare_staff:booking_attended", args=[booking.code]))
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == S.ATTENDED
