"""Back-office pages for events (/staff/events/): create, edit, copy, cancel; the participants
list (printable, CSV), attendance and a message to every participant. Looking at participants
(children's ages and allergies) is audit-logged."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.core import ages
from kosodate.core.access import (
    FACILITY_OR_MUNICIPAL,
    back_office_required,
    municipal_staff_required,
)
from kosodate.core.csv import csv_response

from . import selectors, services_staff
from .forms import EventCancelForm, EventStaffForm, ParticipantsMessageForm
from .models import Application

# Events belong to municipal staff, or to the organising centre's own staff when an event names
# one (Event.organiser). Facility staff once saw and exported every event's participants — names,
# phones, children's allergies — and could edit and message any event (issue 10.2). Now a
# centre's staff reach these pages only while an event names their centre, the list shows only
# those events, and every other event is a 404 (selectors.event_get_for_staff). New events are
# the municipality's to create: municipal staff name the centre that runs one.
events_staff_required = back_office_required(
    roles=FACILITY_OR_MUNICIPAL, allowed=selectors.staff_may_run_events
)


def _add_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_safe
@events_staff_required
def event_list(request):
    events = list(selectors.events_for_staff(user=request.user)[:200])
    for event in events:
        event.places_left = selectors.event_places_left(event)
    return render(request, "events/staff/list.html", {"events": events, "now": timezone.now()})


@require_http_methods(["GET", "HEAD", "POST"])
@municipal_staff_required
def event_create(request, copy_from: int | None = None):
    initial = {}
    source = None
    if copy_from is not None:
        source = selectors.event_get_for_staff(user=request.user, pk=copy_from)
        initial = services_staff.event_copy_initial(event=source)
    form = EventStaffForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            event = services_staff.event_create(
                actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("The event was created."))
            return redirect("events_staff:detail", event.pk)
    return render(request, "events/staff/form.html", {"form": form, "source": source})


@require_http_methods(["GET", "HEAD", "POST"])
@events_staff_required
def event_edit(request, pk: int):
    event = selectors.event_get_for_staff(user=request.user, pk=pk)
    form = EventStaffForm(
        request.POST or None, instance=event, organiser_editable=request.user.is_municipal_staff
    )
    if request.method == "POST" and form.is_valid():
        try:
            services_staff.event_update(
                event=event, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("The event was saved."))
            return redirect("events_staff:detail", event.pk)
    return render(request, "events/staff/form.html", {"form": form, "event": event})


@require_http_methods(["GET", "HEAD", "POST"])
@events_staff_required
def event_cancel(request, pk: int):
    event = selectors.event_get_for_staff(user=request.user, pk=pk)
    form = EventCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        count = services_staff.event_cancel(
            event=event, actor=request.user, reason=form.cleaned_data["reason"], request=request
        )
        messages.success(
            request,
            _("The event was cancelled; %(count)s applicant(s) were told.") % {"count": count},
        )
        return redirect("events_staff:detail", event.pk)
    return render(request, "events/staff/cancel.html", {"form": form, "event": event})


def _participant_rows(event) -> list[dict]:
    day = timezone.localdate(event.starts_at)
    rows = []
    for application in selectors.event_participants(event=event):
        rows.append(
            {
                "application": application,
                "children": [
                    {
                        "child": child,
                        "months": ages.completed_months(child.birth_date, day),
                    }
                    for child in application.children.all()
                ],
            }
        )
    return rows


@require_safe
@events_staff_required
def event_detail(request, pk: int):
    event = selectors.event_get_for_staff(user=request.user, pk=pk)
    rows = _participant_rows(event)
    services_staff.participants_viewed(event=event, actor=request.user, request=request)
    return render(
        request,
        "events/staff/detail.html",
        {
            "event": event,
            "confirmed": [
                r for r in rows if r["application"].status == Application.Status.CONFIRMED
            ],
            "others": [r for r in rows if r["application"].status != Application.Status.CONFIRMED],
        },
    )


@require_safe
@events_staff_required
def participants_csv(request, pk: int):
    event = selectors.event_get_for_staff(user=request.user, pk=pk)
    services_staff.participants_viewed(
        event=event, actor=request.user, request=request, export=True
    )
    header = [
        _("Status"),
        _("Waitlist number"),
        _("Guardian"),
        _("Phone"),
        _("Email"),
        _("Adults"),
        _("Child"),
        _("Age (months)"),
        _("Allergies"),
        pgettext("event attendance", "Attended"),
    ]
    return csv_response(
        f"event-{event.pk}-participants.csv", [header, *_participant_csv_rows(event)]
    )


def _participant_csv_rows(event):
    for row in _participant_rows(event):
        application = row["application"]
        user = application.user
        base = [
            application.get_status_display(),
            application.waitlist_number or "",
            user.full_name if user else "",
            str(user.phone) if user and user.phone else "",
            user.email if user else "",
            application.adults,
        ]
        attended = {True: _("yes"), False: _("no"), None: ""}[application.attended]
        for item in row["children"] or [None]:
            if item is None:
                yield [*base, "", "", "", attended]
            else:
                child = item["child"]
                yield [*base, child.full_name, item["months"], child.allergies, attended]


@require_POST
@events_staff_required
def attendance(request, pk: int):
    event = selectors.event_get_for_staff(user=request.user, pk=pk)
    ids = {int(value) for value in request.POST.getlist("attended") if value.isdigit()}
    came = services_staff.attendance_record(
        event=event, attended_ids=ids, actor=request.user, request=request
    )
    messages.success(request, _("Attendance saved: %(count)s family(ies) came.") % {"count": came})
    return redirect("events_staff:detail", event.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@events_staff_required
def participants_message(request, pk: int):
    event = selectors.event_get_for_staff(user=request.user, pk=pk)
    form = ParticipantsMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        count = services_staff.participants_message(
            event=event, actor=request.user, request=request, **form.cleaned_data
        )
        messages.success(
            request, _("The message was sent to %(count)s family(ies).") % {"count": count}
        )
        return redirect("events_staff:detail", event.pk)
    return render(request, "events/staff/message.html", {"form": form, "event": event})
