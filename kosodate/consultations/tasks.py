"""Background work for consultations, run by `manage.py db_worker`; the management commands of
the same names run them from cron as a safety net. Each is safe to run twice."""

from django.tasks import task

from . import services


@task()
def consultations_send_reminders_task() -> int:
    return services.reminders_send()


@task()
def consultations_apply_retention_task() -> int:
    return services.retention_apply()
