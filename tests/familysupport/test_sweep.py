"""manage.py familysupport_sweep: cron's safety net for the worker's scheduled tasks (matching
deadlines, day-before reminders). It does each thing once, however often it runs."""

from datetime import datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from kosodate.core.models import Notification
from kosodate.familysupport.models import Activity, SupportRequest

from . import support

pytestmark = pytest.mark.django_db


def _sweep() -> str:
    out = StringIO()
    call_command("familysupport_sweep", stdout=out)
    return out.getvalue()


def _at(day, clock) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


def test_the_sweep_moves_late_requests_and_reminds_once(rules, advisor):
    _matched, activity = support.matched()
    family = support.family_member()
    support.supporter()
    waiting = support.send_request(family, first_date=activity.date + timedelta(days=7))
    assert waiting.status == "open"
    the_day_before = activity.date - timedelta(days=1)

    with time_machine.travel(_at(the_day_before, time(8, 0))):
        assert _sweep() == "1 request(s) moved on, 0 activity reminder(s) sent\n"
    waiting.refresh_from_db()
    assert (waiting.status, waiting.unfilled_reason) == ("advisor", "no_answer")
    assert not Notification.objects.filter(kind="familysupport.reminder").exists()

    with time_machine.travel(_at(the_day_before, time(9, 30))):
        assert _sweep() == "0 request(s) moved on, 1 activity reminder(s) sent\n"
        notified = Notification.objects.count()
        assert _sweep() == "0 request(s) moved on, 0 activity reminder(s) sent\n"
    assert Notification.objects.count() == notified
    assert Notification.objects.filter(kind="familysupport.reminder").count() == 2
    assert Activity.objects.get(pk=activity.pk).reminded_at is not None
    assert SupportRequest.objects.filter(status="advisor").count() == 1


def test_the_sweep_with_nothing_due_does_nothing(rules):
    support.send_request(support.family_member())
    assert _sweep() == "0 request(s) moved on, 0 activity reminder(s) sent\n"
