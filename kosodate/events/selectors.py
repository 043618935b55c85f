"""Reads for events and applications, with the access-checked getters (another household's
application is a 404)."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kosodate.accounts.models import Child
from kosodate.core.access import is_municipal_staff
from kosodate.core.prepared import PreparedQuery
from kosodate.core.registry import UpcomingItem

from .models import Application, Event

HOLDING_Q = Q(applications__status__in=Application.HOLDING)


def events_with_places() -> QuerySet[Event]:
    """Events annotated with what is taken (families and people holding a place) and how many
    wait, in one query whatever the number of applications."""
    return Event.objects.annotate(
        taken_families=Count("applications", filter=HOLDING_Q),
        taken_people=Coalesce(
            Sum("applications__people", filter=HOLDING_Q), Value(0), output_field=IntegerField()
        ),
        waiting=Count(
            "applications",
            filter=Q(
                applications__status__in=[
                    Application.Status.WAITLISTED,
                    Application.Status.DRAW_PENDING,
                ]
            ),
        ),
    )


def event_places_left(event: Event) -> int:
    """Places left of an event from events_with_places()."""
    taken = event.places(families=event.taken_families, people=event.taken_people)
    return max(event.capacity - taken, 0)


def event_places_taken(*, event: Event) -> int:
    """Places held right now, counted from the rows (call it under the event's lock)."""
    counts = Application.objects.filter(event=event, status__in=Application.HOLDING).aggregate(
        families=Count("pk"), people=Coalesce(Sum("people"), 0)
    )
    return event.places(**counts)


def _counts_query(event_id: int, household_id: int) -> QuerySet:
    holding = Q(status__in=Application.HOLDING)
    return (
        Application.objects.filter(event_id=event_id)
        .values("event_id")
        .annotate(
            taken_families=Count("pk", filter=holding),
            taken_people=Coalesce(Sum("people", filter=holding), 0),
            waiting=Count("pk", filter=Q(status=Application.Status.WAITLISTED)),
            top=Coalesce(Max("waitlist_number"), 0),
            duplicate=Count(
                "pk", filter=Q(household_id=household_id, status__in=Application.ACTIVE)
            ),
        )
        .values_list(*COUNTS)
    )


COUNTS = ("taken_families", "taken_people", "waiting", "top", "duplicate")
# Compiled once per process (core.prepared): it runs while the event's row is locked, and the
# ORM's building and compiling of its five aggregates cost ten times what PostgreSQL spends on it.
COUNTS_QUERY = PreparedQuery(_counts_query, "event_id", "household_id")


def event_counts(*, event: Event, household_id: int) -> dict[str, int]:
    """In one query (an application holds the event's lock meanwhile, so it must be short): places
    taken, families waiting, the highest waitlist number given, and whether this household has an
    active application already."""
    rows = COUNTS_QUERY.rows(event_id=event.pk, household_id=household_id or 0)
    # No row when the event has no application yet (the counts are grouped by the event).
    counts = dict(zip(COUNTS, rows[0] if rows else (0,) * len(COUNTS), strict=True))
    counts["taken"] = event.places(families=counts["taken_families"], people=counts["taken_people"])
    return counts


def events_for_residents(
    *,
    children: list[Child] | None = None,
    from_date: date | None = None,
    place: str = "",
    free_only: bool = False,
    now=None,
) -> list[Event]:
    """Upcoming events not cancelled, filtered: `children` (any of them fits the target age on
    the day), from a date, at a place, with places left (first-come) or still taking lottery
    applications."""
    now = now or timezone.now()
    events = events_with_places().filter(cancelled_at__isnull=True, ends_at__gt=now)
    if from_date is not None:
        start = timezone.make_aware(datetime.combine(from_date, time.min))
        events = events.filter(starts_at__gte=start)
    if place:
        events = events.filter(Q(place=place) | Q(place_en=place))
    result = []
    for event in events.order_by("starts_at", "pk"):
        event.places_left = event_places_left(event)
        if free_only:
            if event.is_lottery:
                if not (event.drawn_at is None and event.applications_close_at > now):
                    continue
            elif event.places_left <= 0:
                continue
        if (
            children is not None
            and event.has_age_range
            and not any(event.birth_fits(c.birth_date) for c in children)
        ):
            continue
        result.append(event)
    return result


def events_in_month(*, first: date) -> list[Event]:
    """Events not cancelled starting in the month of `first` (a month's first day)."""
    following = (first + timedelta(days=32)).replace(day=1)
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(following, time.min))
    return list(
        Event.objects.filter(
            cancelled_at__isnull=True, starts_at__gte=start, starts_at__lt=end
        ).order_by("starts_at", "pk")
    )


def event_places() -> list[str]:
    """Every place of an upcoming event, for the filter."""
    return list(
        Event.objects.filter(cancelled_at__isnull=True, ends_at__gt=timezone.now())
        .order_by("place")
        .values_list("place", flat=True)
        .distinct()
    )


def _with_active_application(events: QuerySet[Event], household_id: int) -> QuerySet[Event]:
    return events.annotate(
        active_application_id=Subquery(
            Application.objects.filter(
                event=OuterRef("pk"), household_id=household_id, status__in=Application.ACTIVE
            )
            .order_by("-pk")
            .values("pk")[:1]
        )
    )


# The application POST's read of the event (without places), compiled once per process.
EVENT_FOR_HOUSEHOLD = PreparedQuery(
    lambda pk, household_id: _with_active_application(
        Event.objects.filter(pk=pk, cancelled_at__isnull=True), household_id
    ),
    "pk",
    "household_id",
)


def event_get_public(*, pk: int, household_id: int | None = None, places: bool = True) -> Event:
    """An event residents may see (not cancelled ones, which have ended for them), in one query:
    with `places`, what is left (event.places_left); with `household_id`, the id of that
    household's live application (event.active_application_id, None if it has none)."""
    if household_id is not None and not places:
        event = EVENT_FOR_HOUSEHOLD.first(pk=pk, household_id=household_id)
        if event is None:
            raise Http404("No event matches the given query.")
        return event
    events = events_with_places() if places else Event.objects.all()
    if household_id is not None:
        events = _with_active_application(events, household_id)
    event = get_object_or_404(events, pk=pk, cancelled_at__isnull=True)
    if places:
        event.places_left = event_places_left(event)
    if household_id is None:
        event.active_application_id = None
    return event


def event_places_left_fill(event: Event) -> None:
    """event.places_left for an event read without `places` (one query)."""
    counts = event_counts(event=event, household_id=0)
    event.places_left = max(event.capacity - counts["taken"], 0)


def _run_by(user) -> Q:
    """The events `user` runs: every one for municipal staff (and system administrators), those
    that name the user's own centre for a centre's staff (issue 10.2)."""
    if is_municipal_staff(user):
        return Q()
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return Q(organiser__staff_members__user=user)


def staff_may_run_events(user) -> bool:
    """Whether `user` has any event to run: the rule of the events staff pages and of their menu
    entry (`back_office_required(allowed=...)`, `StaffMenuEntry.allowed`)."""
    return is_municipal_staff(user) or Event.objects.filter(_run_by(user)).exists()


def event_get_for_staff(*, user, pk: int) -> Event:
    """An event `user` runs; any other is a 404 (a centre's staff do not learn of the others)."""
    event = get_object_or_404(events_with_places().filter(_run_by(user)), pk=pk)
    event.places_left = event_places_left(event)
    return event


def events_for_staff(*, user) -> QuerySet[Event]:
    return events_with_places().filter(_run_by(user)).order_by("-starts_at", "-pk")


def application_active_for_household(
    *, event: Event, household_id: int | None
) -> Application | None:
    """The household's live application for the event, or None (by id: no household row read)."""
    if household_id is None:
        return None
    return (
        Application.objects.filter(
            event=event, household_id=household_id, status__in=Application.ACTIVE
        )
        .order_by("-pk")
        .first()
    )


def application_get_for_resident(*, user, pk: int) -> Application:
    """The application if it belongs to the user's household; a 404 otherwise."""
    if user.household_id is None:
        raise Http404
    return get_object_or_404(
        Application.objects.select_related("event", "user").prefetch_related("children", "history"),
        pk=pk,
        household_id=user.household_id,
    )


def applications_for_household(*, household) -> list[Application]:
    if household is None:
        return []
    applications = list(
        Application.objects.filter(household=household)
        .select_related("event")
        .prefetch_related("children")
        .order_by("-event__starts_at", "-pk")
    )
    application_positions_fill(applications)
    return applications


def application_positions_fill(applications: list[Application]) -> None:
    """Set `.position` (1 = next in line) on the waitlisted ones, in one query."""
    waiting = [a for a in applications if a.status == Application.Status.WAITLISTED]
    if not waiting:
        return
    numbers = (
        Application.objects.filter(
            event_id__in={a.event_id for a in waiting}, status=Application.Status.WAITLISTED
        )
        .order_by("event_id", "waitlist_number")
        .values_list("event_id", "waitlist_number")
    )
    ranks: dict[tuple[int, int], int] = {}
    counters: dict[int, int] = {}
    for event_id, number in numbers:
        counters[event_id] = counters.get(event_id, 0) + 1
        ranks[(event_id, number)] = counters[event_id]
    for application in waiting:
        application.position = ranks.get((application.event_id, application.waitlist_number))


def event_participants(*, event: Event) -> list[Application]:
    """Applications holding a place or waiting, with their children and guardian, for staff."""
    return list(
        Application.objects.filter(event=event)
        .exclude(status__in=[Application.Status.CANCELLED, Application.Status.NOT_SELECTED])
        .select_related("user", "household")
        .prefetch_related("children")
        .order_by("status", "waitlist_number", "pk")
    )


def upcoming_for_mypage(*, household) -> list[UpcomingItem]:
    """My Page's merged "upcoming" list: the family's applications for events still to come; a
    place offered from the waitlist needs the family's answer before its deadline."""
    items = []
    for application in applications_upcoming_for_mypage(household=household, limit=20):
        offered = application.status == Application.Status.OFFERED
        status = application.get_status_display()
        if application.status == Application.Status.WAITLISTED and application.position:
            status = _("On the waitlist: number %(n)s") % {"n": application.position}
        items.append(
            UpcomingItem(
                when=application.event.starts_at,
                kind=_("Events and classes"),
                title=application.event.localized_title,
                url=reverse("events:application_detail", args=[application.pk]),
                status=status,
                needs_action=offered,
                action=_("Confirm the place by %(deadline)s")
                % {
                    "deadline": formats.date_format(
                        timezone.localtime(application.offer_expires_at), "DATETIME_FORMAT"
                    )
                }
                if offered and application.offer_expires_at
                else "",
                deadline=application.offer_expires_at if offered else None,
            )
        )
    return items


def applications_upcoming_for_mypage(*, household, limit: int = 5) -> list[Application]:
    """For My Page's "Upcoming bookings": the family's applications for events still to come."""
    if household is None:
        return []
    applications = list(
        Application.objects.filter(
            household=household,
            status__in=Application.ACTIVE,
            event__starts_at__gte=timezone.now(),
        )
        .select_related("event")
        .order_by("event__starts_at", "pk")[:limit]
    )
    application_positions_fill(applications)
    return applications
