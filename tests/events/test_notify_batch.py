"""The worker tells a rush's families in batches (issue 16 item 4, core/task_batches.py): the
first task it runs takes the other waiting tasks of the same function, tells all their families
in one transaction (marking their tasks done in it), and sends the emails over one SMTP
connection. Every family is told exactly once; a worker that stops before its batch commits, or
between the commit and the emails, leaves everything to be done again."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kosodate.core import task_batches
from kosodate.core.models import Notification, OutboundMessage
from kosodate.events import services
from kosodate.events.models import Application
from tests.core import test_outbox_batch
from tests.worker import run_worker

from .factories import EventFactory

pytestmark = pytest.mark.django_db(transaction=True)
mail_server = test_outbox_batch.mail_server  # the fixture: a local SMTP server that counts


def _apply(families, *, capacity=2):
    # Room for `capacity` families of two (an adult and a child), whatever the event counts.
    event = EventFactory()
    event.capacity = capacity * event.places_for(2)
    event.save(update_fields=["capacity"])
    for family in families:
        children = list(family.household.children.all())
        services.application_create(event=event, user=family, children=children, adults=1)
    return event


def _tasks():
    return DBTaskResult.objects.filter(task_path__endswith="events_application_notify_task")


def test_n_applications_are_told_in_batches_over_one_connection_each(
    make_family,
    mail_server,
    monkeypatch,
):
    monkeypatch.setattr(services, "TASK_BATCH_SIZE", 5)
    families = [make_family() for _ in range(12)]
    _apply(families)
    assert _tasks().filter(status=TaskResultStatus.READY).count() == 12
    run_worker()
    # Each family told once: one notification and one email each, of its own state.
    told = Notification.objects.filter(kind__startswith="events.")
    assert sorted(told.values_list("user", flat=True)) == sorted(f.pk for f in families)
    assert told.filter(kind="events.confirmed").count() == 2
    waitlisted = told.filter(kind="events.waitlisted").order_by("pk")
    # Each waiting family hears its own position (1…10), in the order they applied.
    positions = [int(re.search(r"(\d+)", n.body.split("。")[1]).group(1)) for n in waitlisted]
    assert sorted(positions) == list(range(1, 11))
    emails = OutboundMessage.objects.filter(kind__startswith="events.")
    assert emails.count() == 12
    assert set(emails.values_list("status", flat=True)) == {OutboundMessage.Status.SENT}
    assert sorted(mail_server.delivered) == sorted(f.email for f in families)
    # Three batches (5 + 5 + 2), each over its own single connection.
    assert len(mail_server.sessions) == 3
    # Every task is done: three ran, the other nine were done by their batch.
    assert _tasks().filter(status=TaskResultStatus.SUCCESSFUL).count() == 12
    run_worker()  # nothing left to do: nobody is told twice
    assert told.count() == 12 and len(mail_server.delivered) == 12


def test_an_application_that_moved_on_is_not_told_of_its_first_state(make_family, mailoutbox):
    families = [make_family() for _ in range(3)]
    event = _apply(families, capacity=3)
    cancelled = Application.objects.get(event=event, household=families[1].household)
    services.application_cancel(application=cancelled, user=families[1])
    run_worker()
    confirmed = Notification.objects.filter(kind="events.confirmed")
    assert sorted(confirmed.values_list("user", flat=True)) == [families[0].pk, families[2].pk]
    assert not Notification.objects.filter(user=families[1], kind="events.confirmed").exists()


def test_a_batch_that_rolls_back_leaves_every_task_to_be_done_again(make_family, mailoutbox):
    """A worker killed before its batch commits: the tasks it took are ready again at once; its
    own, left running, goes back to the queue by the sweep (outbox_requeue_stale, from cron)."""
    families = [make_family() for _ in range(4)]
    _apply(families)
    own = _tasks().order_by("enqueued_at").first()
    own.claim("a-worker-that-will-die")  # as db_worker does before running it

    class Killed(Exception):
        pass

    with pytest.raises(Killed), transaction.atomic():
        context = type("Context", (), {"task_result": own.task_result})()
        batch = task_batches.task_batch(context, {"own": True}, size=10)
        assert len(batch) == 4  # its own and the three others
        assert _tasks().filter(status=TaskResultStatus.SUCCESSFUL).count() == 4
        raise Killed
    assert _tasks().filter(status=TaskResultStatus.READY).count() == 3
    assert _tasks().get(pk=own.pk).status == TaskResultStatus.RUNNING
    run_worker()  # the three others are told; the dead worker's own task waits for the sweep
    assert Notification.objects.filter(kind__startswith="events.").count() == 3
    out = StringIO()
    call_command("outbox_requeue_stale", "--minutes", "0", stdout=out)
    assert "Put 1 task(s) left running by a stopped worker back in the queue." in out.getvalue()
    run_worker()
    told = Notification.objects.filter(kind__startswith="events.")
    assert sorted(told.values_list("user", flat=True)) == sorted(f.pk for f in families)
    assert len(mailoutbox) == 4


def test_a_task_another_worker_takes_between_the_read_and_the_claim_stays_its(make_family):
    """Where the database has no SKIP LOCKED (SQLite), another worker may take a ready task after
    this batch read it and before this batch claims it: the batch leaves it out and marks only
    what it took (the compare-and-swap in task_batch). Simulated on either database by taking one
    of them between the batch's read and its claim, as the other worker would."""
    families = [make_family() for _ in range(4)]
    _apply(families)
    own, *others = _tasks().order_by("enqueued_at")
    own.claim("this-worker")
    stolen = others[1]
    table = DBTaskResult._meta.db_table
    state = {"read": False, "taken": False}

    def another_worker_takes_one(execute, sql, params, many, context):
        # Just before the claim (the first UPDATE after the read of the ready tasks).
        verb = sql.lstrip().split(None, 1)[0].upper()
        if table in sql and verb == "SELECT":
            state["read"] = True
        elif table in sql and verb == "UPDATE" and state["read"] and not state["taken"]:
            state["taken"] = True
            DBTaskResult.objects.filter(pk=stolen.pk).update(
                status=TaskResultStatus.RUNNING, worker_ids=["another-worker"]
            )
        return execute(sql, params, many, context)

    with transaction.atomic():
        context = type("Context", (), {"task_result": own.task_result})()
        with connection.execute_wrapper(another_worker_takes_one):
            batch = task_batches.task_batch(context, {"own": True}, size=10)
    assert state["taken"]
    expected = [{"own": True}] + [o.args_kwargs["kwargs"] for o in others if o.pk != stolen.pk]
    assert sorted(map(repr, batch)) == sorted(map(repr, expected))
    stolen.refresh_from_db()
    assert stolen.status == TaskResultStatus.RUNNING and stolen.worker_ids == ["another-worker"]
    assert stolen.return_value is None  # not marked as done in this batch
    done = _tasks().filter(status=TaskResultStatus.SUCCESSFUL)
    assert sorted(done.values_list("pk", flat=True)) == sorted(
        o.pk for o in [own, *others] if o.pk != stolen.pk
    )


def test_a_task_whose_row_was_put_back_does_not_tell_its_family_twice(make_family, mailoutbox):
    """A worker so slow that the sweep put its task back in the queue (and another worker took
    it) does not tell that family when it finally runs its batch: the row is no longer its own."""
    [family] = [make_family()]
    _apply([family])
    own = _tasks().get()
    own.claim("a-slow-worker")
    _tasks().filter(pk=own.pk).update(status=TaskResultStatus.READY)  # the sweep, meanwhile
    run_worker()  # another worker tells the family
    context = type("Context", (), {"task_result": own.task_result})()
    application = Application.objects.get()
    told = services.application_created_notify(
        application_id=application.pk, status=application.status, context=context
    )
    assert told == 0
    assert Notification.objects.filter(kind__startswith="events.").count() == 1
    assert len(mailoutbox) == 1


def test_a_worker_stopped_between_its_commit_and_the_emails_loses_none(
    make_family, mailoutbox, monkeypatch
):
    """The families are told (the notifications committed); the emails, queued without a task,
    are given one by the sweep and sent once."""
    from kosodate.core import services_outbox

    families = [make_family() for _ in range(3)]
    _apply(families)

    def stopped(**kwargs):
        raise KeyboardInterrupt  # the process ends here

    with monkeypatch.context() as patched:
        patched.setattr(services_outbox, "messages_deliver", stopped)
        run_worker()
    assert Notification.objects.filter(kind__startswith="events.").count() == 3
    queued = OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED)
    assert queued.count() == 3 and not mailoutbox
    queued.update(next_attempt_at=OutboundMessage.objects.get(pk=queued[0].pk).created_at)
    call_command("outbox_requeue_stale", "--minutes", "0", stdout=StringIO())
    run_worker()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(f.email for f in families)
    assert Notification.objects.filter(kind__startswith="events.").count() == 3


def test_the_sweep_leaves_a_running_batch_within_its_lease_alone(make_family):
    _apply([make_family()])
    own = _tasks().get()
    own.claim("a-busy-worker")
    assert task_batches.task_batches_requeue_stale() == 0
    assert task_batches.task_batches_requeue_stale(older_than=timedelta(0)) == 1
