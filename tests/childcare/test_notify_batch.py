"""一時預かり's requests are told in batches by the worker (core/task_batches.py, as events'
applications): each family once, with its own state and waitlist number; the staff get a note
for each request they must decide, as when each task ran alone."""

import re
from datetime import time

import pytest
from django.tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kosodate.childcare import services
from kosodate.core.models import Notification, OutboundMessage
from tests.core import test_outbox_batch
from tests.factories import UserFactory
from tests.worker import run_worker

from .support import bookable_day, family, registered, staff_of

pytestmark = pytest.mark.django_db(transaction=True)
mail_server = test_outbox_batch.mail_server  # the fixture: a local SMTP server that counts


def _families(facility, count):
    made = []
    for n in range(count):
        user = UserFactory(email=f"parent{n}@example.jp")
        [kid] = family(user)
        registered(kid, facility)
        made.append((user, kid))
    return made


def _request(user, facility, child, day):
    return services.booking_request(
        user=user,
        facility=facility,
        children=[child],
        day=day,
        start=time(9),
        end=time(12),
        reason="work",
        pickup_person="母",
    )


def test_requests_are_told_in_batches_over_one_connection_each(
    facility,
    mail_server,
    monkeypatch,
):
    monkeypatch.setattr(services, "TASK_BATCH_SIZE", 4)
    facility.auto_approve = True
    facility.places_age1_2 = 3
    facility.save()
    families = _families(facility, 7)
    day = bookable_day()
    for user, kid in families:
        _request(user, facility, kid, day)
    run_worker()
    told = Notification.objects.filter(kind__startswith="childcare.")
    assert sorted(told.values_list("user", flat=True)) == sorted(u.pk for u, _ in families)
    assert told.filter(kind="childcare.confirmed").count() == 3
    waitlisted = told.filter(kind="childcare.waitlisted")
    numbers = sorted(int(re.search(r"(\d+)番目", n.body).group(1)) for n in waitlisted)
    assert waitlisted.count() == 4 and numbers == [1, 2, 3, 4], numbers
    emails = OutboundMessage.objects.filter(kind__startswith="childcare.")
    assert set(emails.values_list("status", flat=True)) == {OutboundMessage.Status.SENT}
    assert sorted(mail_server.delivered) == sorted(u.email for u, _ in families)
    assert len(mail_server.sessions) == 2  # 4 + 3
    tasks = DBTaskResult.objects.filter(task_path__endswith="booking_request_notify_task")
    assert set(tasks.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}


def test_staff_get_a_note_for_each_request_to_decide(facility, facility_staff, mailoutbox):
    staff_of(facility_staff, facility)
    families = _families(facility, 3)
    day = bookable_day()
    for user, kid in families:
        _request(user, facility, kid, day)
    run_worker()
    assert Notification.objects.filter(kind="childcare.pending").count() == 3
    assert Notification.objects.filter(user=facility_staff, kind="childcare.staff").count() == 3
    assert len(mailoutbox) == 3  # the families; staff notes are in-app only
