"""Resident pages: my children's immunisation timelines and checkups, ticking off a dose, the
printable schedule and the .ics export, and how we reach the family. Thin: every child goes
through selectors.child_get_for_guardian (another household's child is a 404)."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.accounts.decorators import resident_services_required
from kosodate.accounts.selectors import household_children
from kosodate.core import selectors as core_selectors
from kosodate.core import services as core_services
from kosodate.core.ages import age_at

from . import selectors, services
from .forms import DoseForm, HepbHbigForm, PreferencesForm
from .ics import schedule_ics


def _child_context(child, today, *, with_forms: bool = False):
    months, weeks, days = age_at(child.birth_date, today)
    extra = {}
    if with_forms:
        extra["hepb_form"] = HepbHbigForm(
            initial={"hepb_with_hbig": selectors.child_hepb_hbig(child=child)}
        )
    return {
        **extra,
        "child": child,
        "age_months": months,
        "age_weeks": weeks,
        "age_days": days,
        "lines": selectors.schedule_for_child(child=child, today=today),
        "checkups": selectors.checkups_for_child(child=child, today=today),
        "today": today,
    }


@require_safe
@resident_services_required
def health_home(request):
    today = timezone.localdate()
    children = [
        _child_context(child, today)
        for child in household_children(user=request.user)
        if child.birth_date <= today
    ]
    household = request.user.household if request.user.household_id else None
    return render(
        request,
        "health/home.html",
        {
            "children": children,
            "notices": selectors.notices_for_household(household=household),
        },
    )


@require_safe
@resident_services_required
def health_child(request, pk: int):
    child = selectors.child_get_for_guardian(user=request.user, pk=pk)
    return render(
        request,
        "health/child.html",
        {
            **_child_context(child, timezone.localdate(), with_forms=True),
            "undo": _undo(request, child),
        },
    )


@require_POST
@resident_services_required
def health_child_hepb_hbig(request, pk: int):
    child = selectors.child_get_for_guardian(user=request.user, pk=pk)
    form = HepbHbigForm(request.POST)
    form.is_valid()  # a lone checkbox: absent means "no"
    services.child_hepb_hbig_set(
        child=child, hepb_with_hbig=form.cleaned_data.get("hepb_with_hbig", False)
    )
    messages.success(request, _("Your answer about hepatitis B was saved."))
    return redirect("health_child", pk=child.pk)


@require_safe
@resident_services_required
def health_child_print(request, pk: int):
    child = selectors.child_get_for_guardian(user=request.user, pk=pk)
    return render(request, "health/print.html", _child_context(child, timezone.localdate()))


@require_safe
@resident_services_required
def health_child_ics(request, pk: int):
    child = selectors.child_get_for_guardian(user=request.user, pk=pk)
    today = timezone.localdate()
    body = schedule_ics(
        child=child,
        lines=selectors.schedule_for_child(child=child, today=today),
        checkups=selectors.checkups_for_child(child=child, today=today, horizon_days=800),
        host=request.get_host(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="schedule-{child.pk}.ics"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@resident_services_required
def health_dose_add(request, pk: int):
    child = selectors.child_get_for_guardian(user=request.user, pk=pk)
    warned = request.method == "POST" and request.POST.get("warned") == "1"
    form = DoseForm(
        request.POST or None,
        initial={"vaccine": request.GET.get("vaccine"), "given_on": timezone.localdate()},
        show_confirm=warned,
    )
    warning = None
    if request.method == "POST" and form.is_valid():
        try:
            services.dose_record(
                user=request.user,
                child=child,
                vaccine=form.cleaned_data["vaccine"],
                given_on=form.cleaned_data["given_on"],
                confirmed=form.cleaned_data["confirm"],
            )
        except services.DoseWarning as error:
            # Show the warning with a "the date is right" box; the typed values stay.
            warning = error.messages
            form = DoseForm(request.POST, show_confirm=True)
            form.is_valid()
        except ValidationError as error:
            form.add_error("given_on", error)
        else:
            messages.success(request, _("The dose was recorded."))
            return redirect("health_child", pk=child.pk)
    return render(
        request,
        "health/dose_form.html",
        {"child": child, "form": form, "warning": warning},
    )


# The undo token of the dose removed last (issue 12 item 11), kept in the session so that the
# child's page can offer "put it back" for a while, without JavaScript.
UNDO_SESSION_KEY = "health_dose_undo"


@require_http_methods(["GET", "HEAD", "POST"])
@resident_services_required
def health_dose_delete(request, pk: int, dose_pk: int):
    """Asked first on a page of its own; once removed, the child's page offers to put it back."""
    child = selectors.child_get_for_guardian(user=request.user, pk=pk)
    dose = selectors.dose_get_for_guardian(user=request.user, child=child, pk=dose_pk)
    if request.method == "POST":
        request.session[UNDO_SESSION_KEY] = services.dose_delete(
            dose=dose, actor=request.user, request=request
        )
        messages.success(request, _("The dose was removed."))
        return redirect("health_child", pk=child.pk)
    return render(request, "health/dose_delete.html", {"child": child, "dose": dose})


@require_POST
@resident_services_required
def health_dose_restore(request, pk: int):
    child = selectors.child_get_for_guardian(user=request.user, pk=pk)
    try:
        services.dose_restore(
            token=request.POST.get("token", ""), child=child, actor=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The dose was put back."))
    request.session.pop(UNDO_SESSION_KEY, None)
    return redirect("health_child", pk=child.pk)


def _undo(request, child):
    """The dose just removed from this child's record, while it can still be put back."""
    token = request.session.get(UNDO_SESSION_KEY)
    detail = token and selectors.dose_undo_read(token, child=child)
    if not detail:
        return None
    return {
        "token": token,
        "vaccine": selectors.vaccine_get(code=detail["vaccine"]),
        "given_on": date.fromisoformat(detail["given_on"]),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@resident_services_required
def health_preferences(request):
    user = request.user
    preference = core_selectors.notification_preference_get(user=user)
    situations = (
        sorted(selectors.household_situations(household=user.household))
        if user.household_id
        else []
    )
    form = PreferencesForm(
        request.POST or None,
        initial={
            "email": preference.email,
            "sms_urgent": preference.sms_urgent,
            "situations": situations,
        },
    )
    if request.method == "POST" and form.is_valid():
        core_services.notification_preference_save(
            user=user,
            email=form.cleaned_data["email"],
            sms_urgent=form.cleaned_data["sms_urgent"],
        )
        if user.household_id:
            services.household_situations_set(
                household=user.household, situations=form.cleaned_data["situations"]
            )
        messages.success(request, _("Your choices were saved."))
        return redirect("health_preferences")
    return render(
        request,
        "health/preferences.html",
        {"form": form, "has_phone": bool(user.phone), "has_household": bool(user.household_id)},
    )
