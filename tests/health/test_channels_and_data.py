"""Per-channel preferences (for every app's notifications), and the schedule data loader."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from kosodate.core.models import Notification, NotificationPreference, OutboundMessage
from kosodate.core.services import notification_send
from kosodate.health.models import ScheduleRule
from kosodate.health.services import household_notify, reminders_send
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_phone(resident):
    resident.phone = "+819012345678"
    resident.save()
    return resident


def test_default_is_in_app_and_email(with_phone):
    household_notify(user=with_phone, kind="health.test", title="件名", body="本文", urgent=True)
    assert Notification.objects.filter(user=with_phone).count() == 1
    channels = set(OutboundMessage.objects.values_list("channel", flat=True))
    assert channels == {OutboundMessage.Channel.EMAIL}


def test_sms_for_urgent_only_when_chosen(with_phone):
    NotificationPreference.objects.create(user=with_phone, email=False, sms_urgent=True)
    household_notify(user=with_phone, kind="health.test", title="通常", body="本文")
    assert not OutboundMessage.objects.exists()
    household_notify(user=with_phone, kind="health.test", title="緊急", body="本文", urgent=True)
    message = OutboundMessage.objects.get()
    assert message.channel == OutboundMessage.Channel.SMS
    assert message.recipient == "+819012345678"
    assert Notification.objects.filter(user=with_phone).count() == 2


def test_staff_corrections_survive_a_reload_unless_update(schedule):
    rule = ScheduleRule.objects.get(vaccine__code="bcg", dose_number=1)
    rule.rec_until = "9m"
    rule.save()
    call_command("health_load_schedule")
    rule.refresh_from_db()
    assert rule.rec_until == "9m"
    call_command("health_load_schedule", "--update")
    rule.refresh_from_db()
    assert rule.rec_until == "8m"


def test_a_malformed_age_is_refused_in_the_admin_form(schedule):
    rule = ScheduleRule.objects.get(vaccine__code="bcg", dose_number=1)
    rule.last_until = "1 year"
    with pytest.raises(ValidationError, match="2m"):
        rule.full_clean()


def test_every_app_s_notifications_follow_the_choice(with_phone):
    # Childcare and events call core.services.notification_send directly: the household's
    # choice (email off, SMS for urgent) applies to their messages too.
    NotificationPreference.objects.create(user=with_phone, email=False, sms_urgent=True)
    notification_send(user=with_phone, kind="childcare.confirmed", title="予約確定", body="本文")
    assert not OutboundMessage.objects.exists()
    notification_send(
        user=with_phone, kind="childcare.cancelled", title="中止", body="本文", urgent=True
    )
    assert list(OutboundMessage.objects.values_list("channel", flat=True)) == [
        OutboundMessage.Channel.SMS
    ]
    assert Notification.objects.filter(user=with_phone).count() == 2


def test_urgent_sms_only_to_a_mobile_number(resident):
    resident.phone = "+81312345678"  # a Tokyo landline
    resident.save()
    NotificationPreference.objects.create(user=resident, email=True, sms_urgent=True)
    notification_send(user=resident, kind="health.test", title="緊急", body="本文", urgent=True)
    assert list(OutboundMessage.objects.values_list("channel", flat=True)) == [
        OutboundMessage.Channel.EMAIL
    ]


def test_a_vaccine_window_closing_within_a_week_is_urgent(resident_with_baby_and_toddler):
    resident, _baby, toddler = resident_with_baby_and_toddler
    resident.phone = "+819012345678"
    resident.save()
    NotificationPreference.objects.create(user=resident, email=True, sms_urgent=True)
    # MR 1st dose: free until the day before the 2nd birthday, 20 days from now: not urgent.
    toddler.birth_date = timezone.localdate() - timedelta(days=730 - 20)
    toddler.save()
    reminders_send()
    assert not OutboundMessage.objects.filter(channel=OutboundMessage.Channel.SMS).exists()
    # Another child whose MR window closes in 5 days: urgent, so an SMS as well.
    ChildFactory(
        household=resident.household,
        first_name="あおい",
        birth_date=timezone.localdate() - timedelta(days=730 - 5),
    )
    reminders_send()
    sms = OutboundMessage.objects.get(channel=OutboundMessage.Channel.SMS)
    assert "あおい" in sms.body and "MR" in sms.body
