"""Background work for the health app, run by `manage.py db_worker`. The daily reminder run is
started by cron (docs/deploy.md, "Periodic jobs"):

    0 9 * * *  cd /srv/kosodate && .venv/bin/python manage.py health_send_reminders

or by enqueuing this task from a scheduler. Either way, on one machine or several at once, each
reminder goes out once (services.reminder_claim)."""

from django.tasks import task

from . import services


@task()
def health_send_reminders_task() -> int:
    """Today's immunisation and checkup reminders; returns how many were sent."""
    return services.reminders_send()
