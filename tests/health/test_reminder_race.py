"""Reminders under several workers at once, on PostgreSQL: each reminder goes out exactly once.
The sent-marker row (ReminderSent, unique on child, kind and key) is inserted before sending; the
constraint lets one worker win and the others skip (without it every worker would send)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from kosodate.core.models import Notification, OutboundMessage
from kosodate.health.loading import schedule_data_load
from kosodate.health.models import ReminderSent, ScheduleRule, Vaccine
from kosodate.health.services import reminders_send
from tests.factories import ChildFactory, HouseholdFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: DATABASE_URL=postgres://… (make test runs it)")


def test_parallel_workers_send_each_reminder_once(resident):
    schedule_data_load(vaccine_model=Vaccine, rule_model=ScheduleRule)
    resident.household = HouseholdFactory()
    resident.save()
    # MR 1st dose free until the day before the 2nd birthday, 10 days from now.
    ChildFactory(
        household=resident.household, birth_date=timezone.localdate() - timedelta(days=720)
    )
    workers = 4
    barrier = threading.Barrier(workers)
    sent, errors = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            sent.append(reminders_send())
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    markers = ReminderSent.objects.count()
    assert markers >= 1
    assert sum(sent) == markers
    assert Notification.objects.filter(user=resident).count() == markers
    assert OutboundMessage.objects.filter(user=resident).count() == markers
