"""Background work for temporary childcare, run by `manage.py db_worker`."""

from django.tasks import task

from . import services


@task()
def offer_expire_task(*, booking_id: int) -> int:
    """At an offer's deadline: pass the place on if the family has not confirmed it (a no-op
    if they did, or if the periodic command got there first)."""
    return services.booking_offers_expire(booking_id=booking_id)
