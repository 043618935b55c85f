"""Background work for temporary childcare, run by `manage.py db_worker`."""

from django.tasks import task

from kosodate.core.task_batches import batched

from . import services, services_scheduled


@task()
def offer_expire_task(*, booking_id: int) -> int:
    """At an offer's deadline: pass the place on if the family has not confirmed it (a no-op
    if they did, or if the periodic command got there first)."""
    return services_scheduled.booking_offers_expire(booking_id=booking_id)


@batched
@task(priority=5, takes_context=True)
def booking_request_notify_task(context, *, booking_ids: list[int], positions: list[int]) -> int:
    """Tell the family (and the staff, for a request to decide) about a new booking request;
    enqueued in the request's own transaction, so it runs once the bookings exist. Tells the
    families of the other waiting requests with it, in one batch (core.task_batches)."""
    return services.booking_request_notify(
        booking_ids=booking_ids, positions=positions, context=context
    )
