"""Background work for ファミサポ, run by `manage.py db_worker` (and from cron by the management
command familysupport_sweep, a safety net). Each sweep is idempotent and safe in several workers."""

from django.tasks import task

from .services import activities, matching


@task()
def familysupport_advance_task() -> int:
    """Requests past their deadline move on: known supporter → the mode → the advisor."""
    return matching.requests_advance_due()


@task()
def familysupport_reminders_task() -> int:
    return activities.reminders_send()
