"""Back-office pages for temporary childcare (/staff/childcare/). Facility staff see and change
only their own facility's bookings, registrations and settings; municipal staff see every
facility (read-only) and the utilisation report. Each action is its own POST URL."""

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.core.access import (
    facility_or_municipal_staff_required,
    municipal_staff_required,
)
from kosodate.core.dates import day_parse, month_parse, out_of_range_message

from . import rules as R
from . import selectors, services, services_facility, services_registration
from .forms import CapacityForm, ClosureForm, DayCapacityForm, DeclineForm, InterviewForm, RulesForm
from .models import STAFF_RATIOS, AgeBand, Booking

childcare_staff_required = facility_or_municipal_staff_required


def _parse_day(value: str) -> date:
    # A malformed or far-away day (9999-12-31) is no page: 404, as any unknown URL.
    day = day_parse(value)
    if day is None:
        raise Http404
    return day


@require_safe
@childcare_staff_required
def index(request):
    """The queue: requests waiting for a decision and registrations in progress."""
    return render(
        request,
        "childcare/staff/index.html",
        {
            "facilities": selectors.staff_facilities(user=request.user),
            "pending": selectors.pending_bookings(user=request.user),
            "registrations": selectors.registrations_for_staff(user=request.user),
            "today": timezone.localdate(),
            "municipal": request.user.is_municipal_staff,
        },
    )


# --- Bookings ---------------------------------------------------------------------------------
@require_safe
@childcare_staff_required
def booking_detail(request, code: str):
    booking = selectors.booking_get_for_staff(user=request.user, code=code)
    return render(
        request,
        "childcare/staff/booking_detail.html",
        {
            "booking": booking,
            "events": list(booking.events.select_related("actor")),
            "can_change": selectors.is_facility_member(
                user=request.user, facility=booking.facility
            ),
            "decline_form": DeclineForm(),
            "position": selectors.waitlist_position(booking=booking),
            "today": timezone.localdate(),
        },
    )


def _booking_action(request, code, action, success):
    booking = selectors.booking_get_for_facility_staff(user=request.user, code=code)
    try:
        action(booking=booking, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, success)
    target = request.POST.get("next", "")
    if target.startswith("/staff/childcare/") and "//" not in target:
        return redirect(target)
    return redirect("childcare_staff:booking_detail", code=booking.code)


@require_POST
@childcare_staff_required
def booking_approve(request, code: str):
    return _booking_action(
        request, code, services.booking_approve, _("Approved: the family has been told.")
    )


@require_http_methods(["GET", "HEAD", "POST"])
@childcare_staff_required
def booking_decline(request, code: str):
    booking = selectors.booking_get_for_facility_staff(user=request.user, code=code)
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_decline(
                booking=booking,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Declined: the family has been told the reason."))
            return redirect("childcare_staff:booking_detail", code=booking.code)
    return render(
        request, "childcare/staff/booking_decline.html", {"booking": booking, "form": form}
    )


@require_POST
@childcare_staff_required
def booking_attended(request, code: str):
    return _booking_action(
        request, code, services.booking_mark_attended, _("Recorded as attended.")
    )


@require_POST
@childcare_staff_required
def booking_no_show(request, code: str):
    return _booking_action(
        request, code, services.booking_mark_no_show, _("Recorded as a no-show.")
    )


# --- Registrations and interviews -------------------------------------------------------------
@require_safe
@childcare_staff_required
def registration_detail(request, pk: int):
    registration = selectors.registration_get_for_staff(user=request.user, pk=pk)
    return render(
        request,
        "childcare/staff/registration_detail.html",
        {
            "registration": registration,
            "can_change": selectors.is_facility_member(
                user=request.user, facility=registration.facility
            ),
            "interview_form": InterviewForm(initial={"interview_at": registration.interview_at}),
            "decline_form": DeclineForm(),
            "complete_refusal": selectors.registration_complete_refusal(registration=registration),
        },
    )


def _registration_form_action(request, pk, form_class, call, success):
    registration = selectors.registration_get_for_facility_staff(user=request.user, pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(registration, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, success)
            return redirect("childcare_staff:registration_detail", pk=registration.pk)
    forms = {"interview_form": InterviewForm(), "decline_form": DeclineForm()}
    forms["interview_form" if form_class is InterviewForm else "decline_form"] = form
    return render(
        request,
        "childcare/staff/registration_detail.html",
        {
            "registration": registration,
            "can_change": True,
            "complete_refusal": selectors.registration_complete_refusal(registration=registration),
            **forms,
        },
    )


@require_POST
@childcare_staff_required
def registration_interview(request, pk: int):
    return _registration_form_action(
        request,
        pk,
        InterviewForm,
        lambda registration, data: services_registration.registration_interview_schedule(
            registration=registration,
            actor=request.user,
            interview_at=data["interview_at"],
            request=request,
        ),
        _("The interview date is set: the family has been told."),
    )


@require_POST
@childcare_staff_required
def registration_decline(request, pk: int):
    return _registration_form_action(
        request,
        pk,
        DeclineForm,
        lambda registration, data: services_registration.registration_decline(
            registration=registration, actor=request.user, reason=data["reason"], request=request
        ),
        _("Declined: the family has been told the reason."),
    )


@require_POST
@childcare_staff_required
def registration_complete(request, pk: int):
    registration = selectors.registration_get_for_facility_staff(user=request.user, pk=pk)
    try:
        services_registration.registration_complete(
            registration=registration, actor=request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Registration complete: the family can now book."))
    return redirect("childcare_staff:registration_detail", pk=registration.pk)


# --- A facility: overview, roster, capacity, closures, rules -----------------------------------
@require_safe
@childcare_staff_required
def facility(request, pk: int):
    the_facility = selectors.facility_get_for_staff(user=request.user, pk=pk)
    today = timezone.localdate()
    return render(
        request,
        "childcare/staff/facility.html",
        {
            "facility": the_facility,
            "today": today,
            "can_change": selectors.is_facility_member(user=request.user, facility=the_facility),
            "pending": selectors.pending_bookings(user=request.user, facility=the_facility),
            "rules": R.rules_for(the_facility),
        },
    )


@require_safe
@childcare_staff_required
def roster(request, pk: int, day: str):
    """The day roster, printable: children, ages, allergies, pickup person, guardian's phone."""
    the_facility = selectors.facility_get_for_staff(user=request.user, pk=pk)
    if request.GET.get("date"):
        # The "another day" form (GET, works without JavaScript).
        jump = _parse_day(request.GET["date"])
        return redirect("childcare_staff:roster", pk=the_facility.pk, day=jump.isoformat())
    the_day = _parse_day(day)
    bookings = selectors.roster(facility=the_facility, day=the_day)
    services_facility.roster_viewed(
        facility=the_facility, day=the_day, actor=request.user, request=request
    )
    row = selectors.facility_day_get(facility=the_facility, day=the_day)
    capacity = R.capacity_for(the_facility, row)
    held = row.held() if row else dict.fromkeys(AgeBand.values, 0)
    return render(
        request,
        "childcare/staff/roster.html",
        {
            "facility": the_facility,
            "day": the_day,
            "previous_day": the_day - timedelta(days=1),
            "next_day": the_day + timedelta(days=1),
            "coming": [b for b in bookings if b.status in Booking.HOLDING],
            "waiting": [b for b in bookings if b.status == Booking.Status.WAITLISTED],
            "bands": [
                (AgeBand(band).label, held.get(band, 0), capacity.size(band))
                for band in AgeBand.values
            ],
            "closed_reason": R.closed_reason(R.rules_for(the_facility), the_day, row),
            "can_change": selectors.is_facility_member(user=request.user, facility=the_facility),
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@childcare_staff_required
def capacity(request, pk: int):
    the_facility = selectors.facility_get_for_facility_staff(user=request.user, pk=pk)
    form = CapacityForm(request.POST or None, instance=the_facility)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.Meta.fields}
        # The ModelForm copied the values onto the instance already: compare with the stored row.
        stored = selectors.facility_stored(facility=the_facility)
        services_facility.facility_capacity_update(
            facility=stored, actor=request.user, request=request, **changes
        )
        messages.success(request, _("The usual capacity was saved."))
        return redirect("childcare_staff:capacity", pk=the_facility.pk)
    return _capacity_page(request, the_facility, form, DayCapacityForm())


def _capacity_page(request, the_facility, form, day_form):
    return render(
        request,
        "childcare/staff/capacity.html",
        {
            "facility": the_facility,
            "form": form,
            "day_form": day_form,
            "days": selectors.capacity_days_upcoming(facility=the_facility),
            "ratios": [(AgeBand(b).label, r) for b, r in STAFF_RATIOS.items()],
        },
    )


@require_POST
@childcare_staff_required
def capacity_day(request, pk: int):
    the_facility = selectors.facility_get_for_facility_staff(user=request.user, pk=pk)
    day_form = DayCapacityForm(request.POST)
    if day_form.is_valid():
        data = dict(day_form.cleaned_data)
        day = data.pop("date")
        services_facility.facility_day_capacity_set(
            facility=the_facility, day=day, actor=request.user, request=request, **data
        )
        messages.success(request, _("The capacity for %(date)s was saved.") % {"date": day})
        return redirect("childcare_staff:capacity", pk=the_facility.pk)
    return _capacity_page(request, the_facility, CapacityForm(instance=the_facility), day_form)


@require_http_methods(["GET", "HEAD", "POST"])
@childcare_staff_required
def closures(request, pk: int):
    the_facility = selectors.facility_get_for_facility_staff(user=request.user, pk=pk)
    form = ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = services_facility.facility_day_close(
                facility=the_facility,
                day=form.cleaned_data["date"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("The day is closed. Bookings cancelled and families told: %(count)s.")
                % {"count": cancelled},
            )
            return redirect("childcare_staff:closures", pk=the_facility.pk)
    return render(
        request,
        "childcare/staff/closures.html",
        {
            "facility": the_facility,
            "form": form,
            "closures": selectors.closures_upcoming(facility=the_facility),
        },
    )


@require_POST
@childcare_staff_required
def closure_reopen(request, pk: int):
    the_facility = selectors.facility_get_for_facility_staff(user=request.user, pk=pk)
    day = day_parse(request.POST.get("date"))
    if day is None:
        return redirect("childcare_staff:closures", pk=the_facility.pk)
    if services_facility.facility_day_reopen(
        facility=the_facility, day=day, actor=request.user, request=request
    ):
        messages.success(request, _("The facility is open again on %(date)s.") % {"date": day})
    return redirect("childcare_staff:closures", pk=the_facility.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@childcare_staff_required
def facility_rules(request, pk: int):
    the_facility = selectors.facility_get_for_facility_staff(user=request.user, pk=pk)
    form = RulesForm(request.POST or None, instance=the_facility)
    if request.method == "POST" and form.is_valid():
        stored = selectors.facility_stored(facility=the_facility)
        services_facility.facility_rules_update(
            facility=stored,
            actor=request.user,
            request=request,
            **{name: form.cleaned_data[name] for name in form.Meta.fields},
        )
        messages.success(request, _("The facility's rules were saved."))
        return redirect("childcare_staff:facility", pk=the_facility.pk)
    return render(request, "childcare/staff/rules.html", {"facility": the_facility, "form": form})


# --- Municipal staff: utilisation -------------------------------------------------------------
@require_safe
@municipal_staff_required
def utilisation(request):
    month = month_parse(request.GET.get("month"))
    if month is None:
        if request.GET.get("month"):
            messages.warning(request, out_of_range_message())
        month = timezone.localdate().replace(day=1)
    rows = selectors.utilisation(month=month)
    previous = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = selectors.month_bounds(month)[1] + timedelta(days=1)
    return render(
        request,
        "childcare/staff/utilisation.html",
        {
            "rows": rows,
            "month": month,
            "previous": previous.strftime("%Y-%m"),
            "following": following.strftime("%Y-%m"),
        },
    )
