"""Background work of the core app, run by `manage.py db_worker` (django_tasks_db)."""

from django.tasks import task

from . import services


# Above the default priority: sign-in codes and verification links are awaited by someone
# looking at the screen, unlike reminders or lottery draws.
@task(priority=10)
def message_deliver_task(*, message_id: int) -> str:
    """Deliver one outbox message; retries are scheduled by the service, not by raising."""
    return services.message_deliver(message_id=message_id)
