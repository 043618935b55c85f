"""The consultations' demo data (issue 15 item 12)."""

import pytest
from django.core.management import call_command

from kosodate.accounts.models import User
from kosodate.consultations.models import Booking, Consultation, StaffMember

pytestmark = pytest.mark.django_db


def test_demo_has_the_professionals_hanakos_records_and_a_flagged_one(capsys):
    call_command("demo_data")
    out = capsys.readouterr().out
    for username, profession in (
        ("hokenshi", "health"),
        ("eiyoshi", "nutrition"),
        ("hoikushi", "childcare"),
    ):
        user = User.objects.get(username=username)
        assert user.role == User.Role.CONSULTANT
        assert StaffMember.objects.get(user=user).profession == profession
        assert user.email in out
    hanako = User.objects.get(email="hanako@example.jp")
    sleep = Consultation.objects.get(household_id=hanako.household_id, topic__code="sleep")
    assert sleep.child.first_name == "はると" and sleep.status == "waiting_family"
    booking = Booking.objects.get(booked_by=hanako, status="booked")
    assert booking.profession == "nutrition" and booking.consultation.child == sleep.child
    assert Consultation.objects.filter(flagged=True).exclude(household_id=hanako.household_id)
