"""Per-channel preferences for what the health app sends, and the schedule data loader."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from kosodate.core.models import Notification, OutboundMessage
from kosodate.health.models import NotificationPreference, ScheduleRule
from kosodate.health.services import household_notify

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
    rule.rec_before = "9m"
    rule.save()
    call_command("health_load_schedule")
    rule.refresh_from_db()
    assert rule.rec_before == "9m"
    call_command("health_load_schedule", "--update")
    rule.refresh_from_db()
    assert rule.rec_before == "8m"


def test_a_malformed_age_is_refused_in_the_admin_form(schedule):
    rule = ScheduleRule.objects.get(vaccine__code="bcg", dose_number=1)
    rule.last_before = "1 year"
    with pytest.raises(ValidationError, match="2m"):
        rule.full_clean()
