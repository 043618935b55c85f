"""Tasks that run in batches (issue 16 item 4): a rush queues a thousand tasks of one function
(tell this family about their application); the first one the worker runs takes up to `size` of
them at once, so the worker pays for claiming, starting and finishing a task once per batch, not
once per family, and the batch's emails go over one SMTP connection.

`task_batch(context, kwargs, size=…)`, called inside the task's transaction, returns the kwargs of
the batch: this task's own (when its row is still its own) and those of up to size − 1 other
ready tasks of the same function. Their rows (and its own) are marked done *in that
transaction*, with a compare-and-swap (SELECT … FOR UPDATE SKIP LOCKED, UPDATE … WHERE status):

- the work of a task is done exactly when its row is marked done: a rollback (an error, a worker
  killed before the commit) puts the others back to READY for any worker, and leaves its own
  RUNNING, which `task_batches_requeue_stale` (outbox_requeue_stale, from cron) puts back too;
- two workers never take the same task (the locked rows are skipped, the claim is conditional).

Only the database task backend (django_tasks_db) has rows to take; with any other backend each
task does its own work alone. django_tasks_db is a library, not an app of this project, so core
may use its model (imported lazily, where it is installed)."""

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.tasks.base import TaskResultStatus
from django.utils import timezone

# A task left RUNNING for this long belongs to a worker that stopped: a batch commits in seconds.
TASK_BATCH_LEASE = timedelta(minutes=5)

# How many tasks one run takes at once, by default: a rush's thousand families are ten batches,
# each one INSERT of notifications, one of emails, and one SMTP connection.
TASK_BATCH_SIZE = 100

# The paths of the tasks that run in batches (registered by `batched`): only these are put back
# in the queue by the sweep, since only their work is marked done in their own transaction.
_BATCHED: set[str] = set()


def batched(task):
    """Register a task (a django.tasks Task made with takes_context=True) as one that runs in
    batches through task_batch; returns it unchanged (use it under @task)."""
    _BATCHED.add(task.module_path)
    return task


def _model():
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the project installs it
        return None
    return DBTaskResult


def task_batch(context, kwargs: dict[str, Any], *, size: int) -> list[dict[str, Any]]:
    """The kwargs of this task's batch (see the module's docstring); call it inside the
    transaction that does their work. Without a context (a direct call) or a database backend,
    this task alone."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("task_batch marks tasks done: call it inside their transaction")
    result = getattr(context, "task_result", None)
    DBTaskResult = _model()
    if result is None or DBTaskResult is None or not _is_database_backend(result):
        return [kwargs]
    now = timezone.now()
    done = {"status": TaskResultStatus.SUCCESSFUL, "finished_at": now, "return_value": None}
    batch = []
    # Its own row: RUNNING since the worker claimed it. Put back in the queue by the sweep
    # meanwhile (a very slow worker), it is no longer ours: another batch may have taken it.
    if DBTaskResult.objects.filter(pk=result.id, status=TaskResultStatus.RUNNING).update(**done):
        batch.append(kwargs)
    others = list(
        DBTaskResult.objects.ready()
        .filter(
            task_path=result.task.module_path,
            backend_name=result.backend,
            queue_name=result.task.queue_name,
        )
        .exclude(pk=result.id)
        .select_for_update(skip_locked=True)
        .values_list("pk", "args_kwargs")[: max(0, size - len(batch))]
    )
    if not others:
        return batch
    marker = {"done in the batch of": str(result.id)}
    ids = [pk for pk, _ in others]
    taken = DBTaskResult.objects.filter(pk__in=ids, status=TaskResultStatus.READY).update(
        started_at=now, worker_ids=result.worker_ids, **{**done, "return_value": marker}
    )
    if taken != len(ids):
        # Another worker took some between the read and the write: possible only where the
        # database has no SKIP LOCKED (SQLite, which serialises the writes instead).
        ours = set(
            DBTaskResult.objects.filter(pk__in=ids, return_value=marker).values_list(
                "pk", flat=True
            )
        )
        others = [(pk, args_kwargs) for pk, args_kwargs in others if pk in ours]
    batch.extend(args_kwargs["kwargs"] for _, args_kwargs in others)
    return batch


def _is_database_backend(result) -> bool:
    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:  # pragma: no cover
        return False
    return isinstance(result.task.get_backend(), DatabaseBackend)


def task_batches_requeue_stale(*, older_than: timedelta = TASK_BATCH_LEASE) -> int:
    """Batched tasks left RUNNING longer than `older_than` (their worker stopped before its
    batch committed, so their work is not done) go back to the queue; returns how many."""
    from django.utils.module_loading import autodiscover_modules

    DBTaskResult = _model()
    if DBTaskResult is None:
        return 0
    autodiscover_modules("tasks")  # registers the batched tasks of every app (`batched`)
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING,
        task_path__in=sorted(_BATCHED),
        started_at__lt=timezone.now() - older_than,
    ).update(status=TaskResultStatus.READY)
