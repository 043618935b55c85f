"""Residents' pages for temporary childcare (/childcare/). Facilities and free places are public;
registering and booking need a usable account (resident_services_required), and every object
is fetched through an access-checked selector (another household's → 404)."""

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.accounts.decorators import resident_services_required
from kosodate.accounts.selectors import household_children, household_children_list
from kosodate.core.dates import day_parse
from kosodate.core.holidays import national_holiday

from . import (
    calendar_ics,
    selectors,
    selectors_calendar,
    selectors_quote,
    services,
    services_registration,
)
from . import rules as R
from .forms import AvailabilityForm, BookingForm, RegistrationForm
from .models import AgeBand, Booking, Reason, Registration


def _children(request):
    if request.user.is_authenticated and not request.user.is_back_office:
        return list(household_children(user=request.user))
    return []


def _parse_day(value: str) -> date:
    # A malformed or far-away day (9999-12-31) is no page: 404, as any unknown URL.
    day = day_parse(value)
    if day is None:
        raise Http404
    return day


def _filters(request):
    """The calendar's filters, shared by the month and the day view."""
    children = _children(request)
    all_facilities = selectors.facilities_active()
    params = request.GET.copy()
    if not params.get("child") and not params.get("band"):
        # Nothing chosen: the family's youngest child, or for a visitor the band the page names;
        # the form shows what the calendar shows.
        if children:
            youngest = max(children, key=lambda c: (c.birth_date, c.pk))
            params["child"] = str(youngest.pk)
        else:
            params["band"] = AgeBand.AGE1_2
    form = AvailabilityForm(
        params,
        children=children,
        areas=selectors.facility_areas(facilities=all_facilities),
        facilities=all_facilities,
    )
    form.is_valid()
    data = form.cleaned_data
    month = data.get("month") or timezone.localdate().replace(day=1)
    child = next((c for c in children if c.pk == data.get("child")), None)
    facilities = [
        f
        for f in all_facilities
        if (not data.get("area") or f.area == data["area"])
        and (not data.get("facility") or f.pk == data["facility"])
    ]
    return form, month, child, facilities, data


def _band(child, on: date, fallback: str) -> str:
    if child is not None:
        return R.age_band(child.birth_date, on) or AgeBand.AGE0
    return fallback or AgeBand.AGE1_2


def _query(data, **changes) -> str:
    from django.utils.http import urlencode

    params = {
        key: value
        for key, value in {
            "child": data.get("child"),
            "band": data.get("band"),
            "area": data.get("area"),
            "facility": data.get("facility"),
            **changes,
        }.items()
        if value not in (None, "")
    }
    return urlencode(params)


@require_safe
def availability(request):
    """The month calendar of free places across facilities (htmx swaps the calendar only)."""
    form, month, child, facilities, data = _filters(request)
    first, last = selectors.month_bounds(month)
    today = timezone.localdate()
    band = _band(child, max(first, today), data.get("band"))
    days = selectors_calendar.availability_days(
        facilities=facilities, band=band, first=first, last=last
    )
    single = len(facilities) == 1
    weeks = []
    for week in selectors.month_weeks(month):
        row = []
        for day in week:
            if day is None:
                row.append(None)
                continue
            status, count, reason = days.get(day, ("", 0, ""))
            row.append(
                {
                    "day": day,
                    "status": status,
                    "count": count,
                    "label": R.STATUS_LABELS.get(status, ""),
                    "symbol": R.STATUS_SYMBOLS.get(status, ""),
                    "reason": reason,
                    "past": day < today,
                    "today": day == today,
                }
            )
        weeks.append(row)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return render(
        request,
        "childcare/availability.html",
        {
            "form": form,
            "weeks": weeks,
            "month": first,
            "single": facilities[0] if single else None,
            "facility_count": len(facilities),
            "child": child,
            "band_label": AgeBand(band).label,
            "query": _query(data),
            "previous_query": _query(data, month=previous.strftime("%Y-%m")),
            "next_query": _query(data, month=following.strftime("%Y-%m")),
            "show_previous": previous >= today.replace(day=1),
            # 2023-01-01 was a Sunday: the week's names in the page's language.
            "weekday_names": [
                formats.date_format(date(2023, 1, 1) + timedelta(days=n), "D") for n in range(7)
            ],
            "status_labels": [
                (R.STATUS_SYMBOLS[key], R.STATUS_LABELS[key])
                for key in (R.AVAILABLE, R.FEW, R.FULL, R.CLOSED, R.NOT_TAKEN)
            ],
        },
    )


@require_safe
def day_view(request, day: str):
    """One day: each facility's status for the child's age, with a link to book."""
    the_day = _parse_day(day)
    _form, _month, child, facilities, data = _filters(request)
    band = _band(child, the_day, data.get("band"))
    cells = selectors.availability(facilities=facilities, band=band, first=the_day, last=the_day)[
        the_day
    ]
    readiness = selectors.booking_readiness(
        user=request.user, facilities=[c.facility for c in cells], child_id=child and child.pk
    )
    return render(
        request,
        "childcare/day.html",
        {
            "day": the_day,
            "rows": [(cell, readiness.get(cell.facility.pk)) for cell in cells],
            "child": child,
            "band_label": AgeBand(band).label,
            "query": _query(data),
            "month_query": _query(data, month=the_day.strftime("%Y-%m")),
            "holiday": national_holiday(the_day, english=request.LANGUAGE_CODE.startswith("en")),
        },
    )


@require_safe
def facility_list(request):
    area = request.GET.get("area", "")
    return render(
        request,
        "childcare/facility_list.html",
        {
            "facilities": selectors.facilities_active(area=area),
            "areas": selectors.facility_areas(),
            "area": area,
        },
    )


def _facility_facts(facility):
    rules = R.rules_for(facility)
    return {
        "rules": rules,
        "fee_one_hour": R.fee_yen(
            rules, datetime(2000, 1, 1, 9).time(), datetime(2000, 1, 1, 10).time()
        ),
        "closures": selectors.closures_upcoming(facility=facility)[:10],
    }


@require_safe
def facility_detail(request, pk: int):
    facility = selectors.facility_get_public(pk=pk)
    children = _children(request)
    registrations = (
        selectors.registrations_by_child(user=request.user, facility=facility) if children else {}
    )
    return render(
        request,
        "childcare/facility_detail.html",
        {
            "facility": facility,
            **_facility_facts(facility),
            "children_status": [(child, registrations.get(child.pk)) for child in children],
            "can_book": any(r.status == Registration.Status.ACTIVE for r in registrations.values()),
            "readiness": selectors.booking_readiness(user=request.user, facilities=[facility]).get(
                facility.pk
            ),
            "unregistered": any(
                child.pk not in registrations
                or registrations[child.pk].status == Registration.Status.DECLINED
                for child in children
            ),
        },
    )


# --- Registration (利用登録) ---------------------------------------------------------------------
@require_http_methods(["GET", "HEAD", "POST"])
@resident_services_required
def registration_create(request, pk: int):
    facility = selectors.facility_get_public(pk=pk)
    children_qs = household_children(user=request.user)
    form = RegistrationForm(request.POST or None, facility=facility, children_qs=children_qs)
    if request.method == "POST" and form.is_valid():
        try:
            services_registration.registration_request(
                user=request.user,
                facility=facility,
                children=list(form.cleaned_data["children"]),
                preferred_dates=form.preferred_dates if facility.requires_interview else [],
                preferred_note=form.cleaned_data.get("preferred_note", ""),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Your registration request was sent. The facility will contact you.")
                if facility.requires_interview
                else _("Your registration request was sent."),
            )
            return redirect("childcare:registration_list")
    return render(
        request,
        "childcare/registration_form.html",
        {"facility": facility, "form": form, "has_children": children_qs.exists()},
    )


@require_safe
@resident_services_required
def registration_list(request):
    return render(
        request,
        "childcare/registration_list.html",
        {"registrations": selectors.registrations_for_household(user=request.user)},
    )


# --- Booking ------------------------------------------------------------------------------------
def _booking_form(request, facility, data=None):
    initial = {}
    if "date" in request.GET:
        initial["date"] = request.GET["date"]
    return BookingForm(
        data,
        facility=facility,
        # A POST checks the chosen children against the household's, read in one prepared query
        # (and shows them again from those rows if it is refused): no queryset is needed then.
        children_qs=household_children(user=request.user) if data is None else None,
        children_rows=household_children_list(user=request.user) if data is not None else None,
        initial=initial,
    )


def _quote(request, facility, form):
    return selectors_quote.booking_quote(
        user=request.user,
        facility=facility,
        children=list(form.cleaned_data["children"]),
        day=form.cleaned_data["date"],
        start=form.cleaned_data["start"],
        end=form.cleaned_data["end"],
    )


@require_http_methods(["GET", "HEAD", "POST"])
@resident_services_required
def booking_create(request, pk: int):
    """The request form; sending it shows the fee and what will happen, before anything is
    saved (booking_send saves)."""
    facility = selectors.facility_get_public(pk=pk)
    if request.method != "POST":
        # No child registered yet: the registration step, never a form that will be refused.
        # Staff are not asked (no entry for them): they see the form, as before.
        readiness = selectors.booking_readiness(user=request.user, facilities=[facility]).get(
            facility.pk
        )
        if readiness == selectors.BOOK_REGISTER:
            messages.info(
                request, _("Register your child with this facility first; then you can book.")
            )
            return redirect("childcare:registration_create", pk=facility.pk)
        if readiness == selectors.BOOK_PENDING:
            messages.info(
                request,
                _(
                    "Your registration with this facility is waiting for the facility's check: you can book once it is complete."
                ),
            )
            return redirect("childcare:registration_list")
    form = _booking_form(request, facility, request.POST or None)
    quote = None
    if request.method == "POST" and form.is_valid():
        quote = _quote(request, facility, form)
        if not quote.problems:
            return render(
                request,
                "childcare/booking_confirm.html",
                {
                    "facility": facility,
                    "form": form,
                    "quote": quote,
                    "reason_label": Reason(form.cleaned_data["reason"]).label,
                },
            )
        for problem in quote.problems:
            form.add_error(None, problem)
    return render(
        request,
        "childcare/booking_form.html",
        {
            "facility": facility,
            "form": form,
            "quote": quote,
            **_facility_facts(facility),
        },
    )


@require_POST
@resident_services_required
def booking_send(request, pk: int):
    facility = selectors.facility_get_public(pk=pk)
    form = _booking_form(request, facility, request.POST)
    if form.is_valid():
        try:
            bookings = services.booking_request(
                user=request.user,
                facility=facility,
                children=list(form.cleaned_data["children"]),
                day=form.cleaned_data["date"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                reason=form.cleaned_data["reason"],
                reason_detail=form.cleaned_data["reason_detail"],
                pickup_person=form.cleaned_data["pickup_person"],
                notes=form.cleaned_data["notes"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            for booking in bookings:
                messages.success(
                    request,
                    _("%(child)s: %(status)s")
                    # The label from the enum: get_status_display() rebuilds the choices' dict.
                    % {
                        "child": booking.child.full_name,
                        "status": Booking.Status(booking.status).label,
                    },
                )
            if len(bookings) == 1:
                return redirect("childcare:booking_detail", code=bookings[0].code)
            return redirect("childcare:booking_list")
    return render(
        request,
        "childcare/booking_form.html",
        {"facility": facility, "form": form, **_facility_facts(facility)},
        status=200,
    )


@require_safe
@resident_services_required
def booking_list(request):
    return render(
        request,
        "childcare/booking_list.html",
        {
            "upcoming": list(selectors.bookings_for_household(user=request.user, upcoming=True)),
            "past": list(selectors.bookings_for_household(user=request.user, upcoming=False)[:50]),
        },
    )


@require_safe
@resident_services_required
def booking_detail(request, code: str):
    booking = selectors.booking_get_for_resident(user=request.user, code=code)
    rules = R.rules_for(booking.facility)
    deadline = R.cancel_deadline(rules, booking.date)
    return render(
        request,
        "childcare/booking_detail.html",
        {
            "booking": booking,
            "events": list(booking.events.select_related("actor")),
            "position": selectors.waitlist_position(booking=booking),
            "cancel_deadline": deadline,
            "cancellable": booking.status in Booking.CANCELLABLE,
            "would_be_late": booking.status in (Booking.Status.PENDING, Booking.Status.CONFIRMED)
            and timezone.now() > deadline,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@resident_services_required
def booking_cancel(request, code: str):
    booking = selectors.booking_get_for_resident(user=request.user, code=code)
    rules = R.rules_for(booking.facility)
    deadline = R.cancel_deadline(rules, booking.date)
    error = None
    if request.method == "POST":
        try:
            services.booking_cancel(booking=booking, user=request.user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, _("The booking is cancelled."))
            return redirect("childcare:booking_detail", code=booking.code)
    return render(
        request,
        "childcare/booking_cancel.html",
        {
            "booking": booking,
            "cancel_deadline": deadline,
            "late": booking.status in (Booking.Status.PENDING, Booking.Status.CONFIRMED)
            and timezone.now() > deadline,
            "cancellable": booking.status in Booking.CANCELLABLE,
            "error": error,
        },
    )


@require_POST
@resident_services_required
def booking_accept(request, code: str):
    booking = selectors.booking_get_for_resident(user=request.user, code=code)
    try:
        services.booking_offer_accept(booking=booking, user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("The place is yours: your booking is confirmed."))
    return redirect("childcare:booking_detail", code=booking.code)


@require_safe
@resident_services_required
def booking_ics(request, code: str):
    """The booking as an iCalendar file, to add to a phone's calendar."""
    booking = selectors.booking_get_for_resident(user=request.user, code=code)
    response = HttpResponse(
        calendar_ics.booking_ics(booking, request), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="booking-{booking.code}.ics"'
    return response
