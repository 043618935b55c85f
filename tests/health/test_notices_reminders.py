"""Notices by age, area and situation; reminders sent exactly once by the household's channels."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from kosodate.core.models import Notification, NotificationPreference, OutboundMessage
from kosodate.health.models import (
    Checkup,
    CheckupSession,
    HealthNotice,
    HouseholdSituation,
    ReminderSent,
    Vaccine,
)
from kosodate.health.selectors import notices_for_household
from kosodate.health.services import dose_record, reminder_claim, reminders_send

pytestmark = pytest.mark.django_db


def notice(title, **kwargs):
    return HealthNotice.objects.create(title=title, body="本文", **kwargs)


def test_notices_match_a_childs_age_area_and_situation(resident_with_baby_and_toddler):
    resident, _baby, _toddler = resident_with_baby_and_toddler  # 2 months and 20 months
    household = resident.household
    baby_class = notice("赤ちゃん教室", age_from_months=0, age_to_months=6)
    toddler_class = notice("1歳半の歯科健診", age_from_months=18, age_to_months=23)
    notice("3歳向け", age_from_months=36, age_to_months=47)
    notice("別の地域", age_from_months=0, age_to_months=60, postal_prefix="530")
    here = notice(
        "この地域", age_from_months=0, age_to_months=60, postal_prefix="100", town="千代田"
    )
    twins = notice("多胎児の支援", age_from_months=0, age_to_months=60, situation="multiple_birth")
    notice("公開前", age_from_months=0, age_to_months=60, published=False)
    notice("終了", age_from_months=0, age_to_months=60, ends_at=timezone.now() - timedelta(days=1))
    shown = notices_for_household(household=household)
    assert set(shown) == {baby_class, toddler_class, here}
    HouseholdSituation.objects.create(household=household, situation="multiple_birth")
    assert twins in notices_for_household(household=household)


def test_notices_newest_first(resident_with_baby_and_toddler):
    resident, _, _ = resident_with_baby_and_toddler
    older = notice("古い", published_at=timezone.now() - timedelta(days=3))
    newer = notice("新しい", published_at=timezone.now() - timedelta(days=1))
    assert notices_for_household(household=resident.household) == [newer, older]


def test_no_household_no_notices(resident):
    assert notices_for_household(household=None) == []


def _due_soon(resident_with_baby_and_toddler):
    """The toddler (20 months) has no MR 1st dose: free until the day before the 2nd birthday,
    which is more than 30 days off; move the birth date so it closes in 10 days."""
    resident, _baby, toddler = resident_with_baby_and_toddler
    toddler.birth_date = timezone.localdate() - timedelta(days=730 - 10)
    toddler.save()
    return resident, toddler


def test_vaccine_reminder_goes_out_once(
    resident_with_baby_and_toddler, django_capture_on_commit_callbacks
):
    resident, toddler = _due_soon(resident_with_baby_and_toddler)
    with django_capture_on_commit_callbacks():
        first = reminders_send()
    assert first >= 1
    notification = Notification.objects.get(user=resident, title__contains="MR")
    assert toddler.first_name in notification.title
    emails = OutboundMessage.objects.filter(user=resident, kind="health.vaccine_reminder")
    count = emails.count()
    assert count >= 1
    assert reminders_send() == 0
    call_command("health_send_reminders")
    assert emails.count() == count
    assert ReminderSent.objects.count() == first


def test_reminder_claim_is_compare_and_swap(resident_with_baby_and_toddler):
    _, baby, _ = resident_with_baby_and_toddler
    assert reminder_claim(child=baby, kind="checkup", key="session:1") is True
    assert reminder_claim(child=baby, kind="checkup", key="session:1") is False


def test_reminders_follow_channel_preferences(resident_with_baby_and_toddler):
    resident, _toddler = _due_soon(resident_with_baby_and_toddler)
    NotificationPreference.objects.create(user=resident, email=False)
    reminders_send()
    assert Notification.objects.filter(user=resident).exists()  # in-app always
    assert not OutboundMessage.objects.filter(user=resident).exists()


def test_checkup_session_reminder(resident_with_baby_and_toddler):
    resident, baby, _ = resident_with_baby_and_toddler
    checkup = Checkup.objects.get(code="m3")
    session = CheckupSession.objects.create(
        checkup=checkup,
        held_on=baby.birth_date + timedelta(days=105),
        born_from=baby.birth_date - timedelta(days=10),
        born_until=baby.birth_date + timedelta(days=10),
    )
    today = session.held_on - timedelta(days=5)
    reminders_send(today=today)
    assert Notification.objects.filter(user=resident, kind="health.checkup_reminder").count() == 1
    reminders_send(today=today + timedelta(days=1))
    assert Notification.objects.filter(user=resident, kind="health.checkup_reminder").count() == 1


def test_completed_vaccine_gets_no_reminder(resident_with_baby_and_toddler):
    resident, toddler = _due_soon(resident_with_baby_and_toddler)
    dose_record(
        user=resident,
        child=toddler,
        vaccine=Vaccine.objects.get(code="mr1"),
        given_on=timezone.localdate() - timedelta(days=1),
    )
    reminders_send()
    assert not Notification.objects.filter(user=resident, title__contains="MR").exists()


def test_the_background_task_sends_each_reminder_once(resident_with_baby_and_toddler):
    from kosodate.health.tasks import health_send_reminders_task

    resident, _toddler = _due_soon(resident_with_baby_and_toddler)
    assert health_send_reminders_task.call() >= 1
    assert health_send_reminders_task.call() == 0
    assert Notification.objects.filter(user=resident, title__contains="MR").count() == 1
