"""The health demo data (loaded by `manage.py demo_data`) shows a newcomer every feature: each
status on the timelines, a checkup, notices for the children's ages and area, and a reminder
on the notifications page. Checked on several days, so month lengths cannot break it."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kosodate.accounts.selectors import household_children
from kosodate.core.models import Notification, OutboundMessage
from kosodate.health import selectors
from kosodate.health.demo import health_demo_load
from kosodate.health.models import CheckupSession, HealthNotice

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "today", [date(2026, 3, 31), date(2026, 11, 25), date(2027, 2, 28), date(2028, 8, 31)]
)
def test_every_status_a_checkup_notices_and_a_reminder(resident, today):
    noon = datetime(today.year, today.month, today.day, 12, tzinfo=ZoneInfo("Asia/Tokyo"))
    with time_machine.travel(noon, tick=False):
        _check_demo(resident, today)


def _check_demo(resident, today):
    health_demo_load(resident=resident, today=today)
    baby, toddler = list(household_children(user=resident))[::-1]
    assert (baby.first_name, toddler.first_name) == ("はると", "さくら")
    statuses = set()
    for child in (baby, toddler):
        lines = selectors.schedule_for_child(child=child, today=today)
        assert "check" not in {line.status for line in lines}, child.first_name
        statuses |= {line.status for line in lines}
    assert {"due", "coming_up", "overdue", "later", "complete", "not_eligible"} <= statuses, (
        statuses
    )
    assert selectors.checkups_for_child(child=baby, today=today)
    assert selectors.checkups_for_child(child=toddler, today=today)
    assert CheckupSession.objects.filter(held_on__gt=today).exists()

    titles = {n.title for n in selectors.notices_for_household(household=resident.household)}
    assert "千代田地区の親子ひろば" in titles  # the area's notice
    assert "就学前健康診断のお知らせ" not in titles  # for 5-year-olds
    assert HealthNotice.objects.exclude(situation="").exists()  # staff see situation targeting

    reminder = Notification.objects.get(user=resident, kind="health.vaccine_reminder")
    assert "はると" in reminder.title and reminder.read_at is None
    assert OutboundMessage.objects.filter(kind="health.vaccine_reminder", user=resident).exists()


def test_loading_it_again_adds_nothing(resident):
    today = date(2026, 11, 25)
    health_demo_load(resident=resident, today=today)
    counts = (Notification.objects.count(), HealthNotice.objects.count())
    health_demo_load(resident=resident, today=today)
    assert (Notification.objects.count(), HealthNotice.objects.count()) == counts
