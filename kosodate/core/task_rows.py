"""A task queued by the statement that writes the rows it is about (issue 16).

A rush's application or booking queues the task that tells the family in its own transaction, so
that the task exists exactly when the application does. `task.enqueue()` writes that row with a
statement of its own, while the capacity lock is held, through the ORM's `create()`. With the
database task backend (django_tasks_db) the row can instead join the rows the request writes
anyway, in the one statement of `core.db.insert_together`:

    telling = QueuedTask(tasks.booking_request_notify_task, booking_ids=ids, positions=positions)
    insert_together([*bookings, *history, *telling.rows])
    telling.enqueued()

`rows` is the unsaved row, built as the backend's `enqueue()` builds it (tests/core/
test_task_rows.py compares the two field by field, so an upgrade of the library that changes the
row fails there); `enqueued()`, once the statement has run, sends the `task_enqueued` signal as
`enqueue()` does and returns the task's result. With any other backend `rows` is empty and
`enqueued()` enqueues the task the ordinary way. django_tasks_db is a library, not an app of
this project, so core may use it (imported lazily, where it is installed).
"""

from typing import Any

from django.db import models


def _database_backend(task) -> Any:
    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:  # pragma: no cover - the project installs it
        return None
    backend = task.get_backend()
    return backend if isinstance(backend, DatabaseBackend) else None


class QueuedTask:
    """`task.enqueue(**kwargs)`, with its row written among other rows (see the module)."""

    def __init__(self, task, **kwargs: Any):
        self.task = task
        self.kwargs = kwargs
        self.row: models.Model | None = None
        backend = _database_backend(task)
        if backend is not None:
            from django_tasks_db.compat import normalize_json
            from django_tasks_db.models import DBTaskResult, get_date_max

            backend.validate_task(task)
            # What DatabaseBackend._task_to_db_task passes to create(); run_after as its
            # pre_save signal handler sets it (insert_together sends no signals).
            self.row = DBTaskResult(
                id=backend._get_id(),
                args_kwargs=normalize_json({"args": (), "kwargs": kwargs}),
                priority=task.priority,
                task_path=task.module_path,
                queue_name=task.queue_name,
                run_after=task.run_after or get_date_max(),
                backend_name=backend.alias,
            )
        self._backend = backend

    @property
    def rows(self) -> list[models.Model]:
        """The task's row to write with the others, or nothing (another backend)."""
        return [self.row] if self.row is not None else []

    def enqueued(self):
        """Call once the rows are written: what `enqueue()` does after its INSERT (the signal),
        or, with another backend, `enqueue()` itself. Returns the task's result."""
        if self.row is None:
            return self.task.enqueue(**self.kwargs)
        from django_tasks_db.compat import task_enqueued

        result = self.row.task_result
        task_enqueued.send(type(self._backend), task_result=result)
        return result
