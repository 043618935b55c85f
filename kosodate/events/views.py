"""Residents' pages: the event list, month calendar and detail (open to everyone), applying, and "my
applications" with cancel, confirm an offered place and the .ics file. Thin: parse, call one
service or selector, render."""

import calendar
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.accounts.decorators import resident_services_required
from kosodate.accounts.selectors import household_children, household_children_list
from kosodate.core.dates import month_parse, out_of_range_message

from . import selectors, services
from .forms import ApplicationForm, EventFilterForm
from .ics import event_ics


def _signed_in_resident(request) -> bool:
    return request.user.is_authenticated and getattr(request.user, "is_resident", False)


@require_safe
def event_list(request):
    signed_in = _signed_in_resident(request)
    children = list(household_children(user=request.user)) if signed_in else []
    data = request.GET.copy() if request.GET else None
    form = EventFilterForm(data, places=selectors.event_places(), signed_in=signed_in)
    filters = form.cleaned_data if form.is_valid() else {}
    for_mine = signed_in and bool(children) and filters.get("for_whom", "mine") != "all"
    if signed_in and not data:
        form = EventFilterForm(
            initial={"for_whom": "mine" if children else "all"},
            places=selectors.event_places(),
            signed_in=signed_in,
        )
    events = selectors.events_for_residents(
        children=children if for_mine else None,
        from_date=filters.get("from_date"),
        place=filters.get("place", ""),
        free_only=filters.get("free_only", False),
    )
    return render(
        request,
        "events/list.html",
        {"form": form, "events": events, "for_mine": for_mine, "children": children},
    )


@require_safe
def event_calendar(request):
    """The month's events as a calendar (Sunday first, as Japanese calendars are); ?month=YYYY-MM."""
    today = timezone.localdate()
    first = month_parse(request.GET.get("month"))
    if first is None:
        if request.GET.get("month"):
            messages.warning(request, out_of_range_message())
        first = today.replace(day=1)
    by_day: dict[date, list] = {}
    for event in selectors.events_in_month(first=first):
        by_day.setdefault(timezone.localdate(event.starts_at), []).append(event)
    weeks = [
        [(day, by_day.get(day, []), day.month == first.month) for day in week]
        for week in calendar.Calendar(firstweekday=calendar.SUNDAY).monthdatescalendar(
            first.year, first.month
        )
    ]
    previous = (first - timezone.timedelta(days=1)).replace(day=1)
    following = (first + timezone.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "events/calendar.html",
        {
            "first": first,
            "weeks": weeks,
            "previous": previous,
            "following": following,
            "today": today,
        },
    )


@require_safe
def event_detail(request, pk: int):
    event = selectors.event_get_public(pk=pk)
    application = None
    if _signed_in_resident(request):
        application = selectors.application_active_for_household(
            event=event, household_id=request.user.household_id
        )
    return render(
        request,
        "events/detail.html",
        {"event": event, "application": application, "now": timezone.now()},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@resident_services_required
def application_create(request, pk: int):
    # One query for the event and the household's live application; a POST does not count the
    # places (the service counts them under the lock), unless the form is shown again.
    posted = request.method == "POST"
    event = selectors.event_get_public(
        pk=pk, household_id=request.user.household_id, places=not posted
    )
    form = ApplicationForm(
        request.POST or None,
        children_queryset=household_children(user=request.user),
        # A POST checks the chosen children against the household's, read in one prepared query.
        children_rows=household_children_list(user=request.user) if posted else None,
    )
    # A POST goes to the service even when the household has applied: if it is the same form sent
    # again (its idempotency key), the service answers with the application it made.
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(
                event=event,
                user=request.user,
                children=list(form.cleaned_data["children"]),
                adults=form.cleaned_data["adults"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ValidationError as error:
            if event.active_application_id is None:
                _add_error(form, error)
        else:
            messages.success(request, _application_message(application))
            return redirect("events:application_detail", application.pk)
    if event.active_application_id is not None:
        messages.info(request, _("Your household has already applied for this event."))
        return redirect("events:application_detail", event.active_application_id)
    if posted:
        selectors.event_places_left_fill(event)
    return render(request, "events/apply.html", {"event": event, "form": form})


def _add_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _application_message(application) -> str:
    status = application.status
    if status == application.Status.CONFIRMED:
        return _("Your place is confirmed.")
    if status == application.Status.DRAW_PENDING:
        return _("Your application is recorded. Places are drawn by lottery after it closes.")
    return _("The event is full: you are on the waitlist.")


@require_safe
@resident_services_required
def application_list(request):
    applications = selectors.applications_for_household(household=request.user.household)
    now = timezone.now()
    return render(
        request,
        "events/mine.html",
        {
            "current": [a for a in applications if a.event.ends_at > now],
            "past": [a for a in applications if a.event.ends_at <= now],
        },
    )


@require_safe
@resident_services_required
def application_detail(request, pk: int):
    application = selectors.application_get_for_resident(user=request.user, pk=pk)
    selectors.application_positions_fill([application])
    now = timezone.now()
    event = application.event
    return render(
        request,
        "events/application.html",
        {
            "application": application,
            "event": event,
            "can_cancel": application.is_active
            and (
                application.status not in application.HOLDING or now < event.cancellation_deadline()
            ),
            "now": now,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@resident_services_required
def application_cancel(request, pk: int):
    application = selectors.application_get_for_resident(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            cancelled = services.application_cancel(application=application, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if cancelled:
                messages.success(request, _("Your application has been cancelled."))
            else:
                messages.info(request, _("This application was no longer active."))
        return redirect("events:application_detail", application.pk)
    return render(request, "events/cancel.html", {"application": application})


@require_POST
@resident_services_required
def offer_accept(request, pk: int):
    application = selectors.application_get_for_resident(user=request.user, pk=pk)
    if services.application_offer_accept(application=application, user=request.user):
        messages.success(request, _("Your place is confirmed."))
    else:
        messages.error(request, _("This offer is no longer open."))
    return redirect("events:application_detail", application.pk)


@require_safe
@resident_services_required
def application_ics(request, pk: int):
    application = selectors.application_get_for_resident(user=request.user, pk=pk)
    response = HttpResponse(
        event_ics(application.event, request=request), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="event-{application.event_id}.ics"'
    return response
