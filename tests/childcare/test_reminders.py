"""The day-before reminder goes out exactly once per booking, however many workers run the
command at the same time (a compare-and-swap on reminder_sent_at)."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from kosodate.childcare import services, services_scheduled
from kosodate.core.models import Notification, OutboundMessage

from .support import bookable_day

pytestmark = pytest.mark.django_db


def _confirmed(resident, facility, child, staff):
    [booking] = services.booking_request(
        user=resident,
        facility=facility,
        children=[child],
        day=bookable_day(),
        start=time(9),
        end=time(12),
        reason="work",
        pickup_person="母",
    )
    services.booking_approve(booking=booking, actor=staff)
    return booking


def test_reminder_once(resident, staffed_facility, child, facility_staff):
    booking = _confirmed(resident, staffed_facility, child, facility_staff)
    the_day_before = timezone.make_aware(
        datetime.combine(booking.date - timedelta(days=1), time(12))
    )
    with time_machine.travel(the_day_before, tick=False):
        call_command("send_childcare_reminders")
        call_command("send_childcare_reminders")
        assert services_scheduled.booking_reminders_send() == 0
    assert Notification.objects.filter(kind="childcare.reminder").count() == 1
    message = OutboundMessage.objects.get(kind="childcare.reminder")
    assert "着替え" in message.body  # what to bring
    booking.refresh_from_db()
    assert booking.reminder_sent_at is not None


def test_no_reminder_for_other_days_or_cancelled(resident, staffed_facility, child, facility_staff):
    booking = _confirmed(resident, staffed_facility, child, facility_staff)
    two_days_before = timezone.make_aware(
        datetime.combine(booking.date - timedelta(days=2), time(12))
    )
    with time_machine.travel(two_days_before, tick=False):
        assert services_scheduled.booking_reminders_send() == 0
    services.booking_cancel(booking=booking, user=resident)
    the_day_before = two_days_before + timedelta(days=1)
    with time_machine.travel(the_day_before, tick=False):
        assert services_scheduled.booking_reminders_send() == 0


def test_reminder_in_the_guardians_language(resident, staffed_facility, child, facility_staff):
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    booking = _confirmed(resident, staffed_facility, child, facility_staff)
    the_day_before = timezone.make_aware(
        datetime.combine(booking.date - timedelta(days=1), time(12))
    )
    with time_machine.travel(the_day_before, tick=False):
        services_scheduled.booking_reminders_send()
    message = OutboundMessage.objects.get(kind="childcare.reminder")
    assert message.subject.startswith("Reminder: temporary care tomorrow")
    assert "A change of clothes" in message.body
