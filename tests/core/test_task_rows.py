"""core.task_rows.QueuedTask: a task's row written with other rows in one statement (issue 16) is
the row the database backend's enqueue() writes, runs like it, and says it was queued like it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.tasks import task
from django.tasks.base import TaskResultStatus
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from kosodate.core.db import insert_together
from kosodate.core.models import AuditLog
from kosodate.core.task_rows import QueuedTask

from ..worker import run_worker

pytestmark = pytest.mark.django_db


@task(priority=7)
def add_task(*, a: int, b: int) -> int:
    return a + b


# The fields the backend fills in at the moment of writing: never equal between two rows.
_OWN = {"id", "enqueued_at"}


def _fields(row: DBTaskResult) -> dict:
    return {
        f.attname: getattr(row, f.attname)
        for f in DBTaskResult._meta.concrete_fields
        if f.attname not in _OWN
    }


@pytest.mark.parametrize("deferred", [False, True], ids=["now", "run_after"])
def test_the_row_is_the_one_enqueue_writes(deferred):
    when = timezone.now() + timedelta(hours=3)
    the_task = add_task.using(run_after=when) if deferred else add_task
    library = the_task.enqueue(a=1, b=[2, "二"])
    queued = QueuedTask(the_task, a=1, b=[2, "二"])
    insert_together(queued.rows)
    ours = DBTaskResult.objects.get(pk=queued.row.pk)
    theirs = DBTaskResult.objects.get(pk=library.id)
    assert _fields(ours) == _fields(theirs)
    assert ours.run_after == (when if deferred else get_date_max())
    assert ours.enqueued_at is not None
    assert queued.enqueued().id == ours.task_result.id


def test_written_in_the_same_statement_as_the_other_rows_and_run_by_the_worker():
    queued = QueuedTask(add_task, a=2, b=3)
    entry = AuditLog(action="test.task_rows", target_type="test", target_id="1")
    with CaptureQueriesContext(connection) as captured:
        insert_together([entry, *queued.rows])
    inserts = [q["sql"] for q in captured.captured_queries if "INSERT" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(inserts) == 1
        assert "django_tasks_database_dbtaskresult" in inserts[0]
    assert AuditLog.objects.filter(action="test.task_rows").exists()
    run_worker()
    row = DBTaskResult.objects.get(pk=queued.row.pk)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == 5


def test_enqueued_says_so_as_enqueue_does():
    from django.tasks.signals import task_enqueued

    heard = []

    def receiver(sender, task_result, **kwargs):
        heard.append(task_result)

    task_enqueued.connect(receiver)
    try:
        queued = QueuedTask(add_task, a=1, b=1)
        insert_together(queued.rows)
        result = queued.enqueued()
    finally:
        task_enqueued.disconnect(receiver)
    assert [r.id for r in heard] == [result.id]
    assert result.status == TaskResultStatus.READY
    assert result.kwargs == {"a": 1, "b": 1}


def test_another_backend_gets_the_task_by_enqueue(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    queued = QueuedTask(add_task, a=4, b=5)
    assert queued.rows == []
    result = queued.enqueued()
    assert result.kwargs == {"a": 4, "b": 5}
    assert result.status == TaskResultStatus.READY
    assert not DBTaskResult.objects.exists()
