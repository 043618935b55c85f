"""Background work for events, run by `manage.py db_worker`; the management commands of the
same names run them from cron as well (a safety net). Each is safe to run in several workers at
once. services.py enqueues them on commit: the draw when a lottery's window closes, the expiry
when an offer's deadline passes, the reminder the day before an event."""

from django.tasks import task

from kosodate.core.task_batches import batched

from . import services, services_scheduled


@task()
def events_expire_offers_task() -> int:
    """Offers past their deadline pass on; waitlists of started events close."""
    return services.offers_expire() + services.waitlists_close()


@task()
def events_offer_expire_task(*, application_id: int) -> int:
    """At an offer's deadline: pass the place on if the family has not confirmed it (a no-op if
    they did, or if the sweep got there first)."""
    return services.offers_expire(application_id=application_id)


@task()
def events_run_due_draws_task() -> int:
    return services_scheduled.lotteries_run_due()


@task()
def events_send_reminders_task() -> int:
    return services_scheduled.reminders_send()


@batched
@task(priority=5, takes_context=True)
def events_application_notify_task(
    context, *, application_id: int, status: str, position: int | None = None
) -> int:
    """Tell a family what became of their application (confirmed, waitlisted, lottery); enqueued
    in the application's own transaction, so it runs once the application exists. Tells the
    families of the other waiting tasks with it, in one batch (core.task_batches)."""
    return services.application_created_notify(
        application_id=application_id, status=status, position=position, context=context
    )
