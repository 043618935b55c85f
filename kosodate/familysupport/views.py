"""Residents' pages of ファミサポ (families and supporters): joining, the supporter's profile and
training, searching supporters, requests with their fee estimate, offers, activities with their
reports, cancellation, the .ics, and the supporter's statement. Thin: parse → one service or
selector → render; every object is fetched through an access-checked getter (404 otherwise)."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.accounts.decorators import resident_services_required

from . import selectors
from .forms import (
    JoinForm,
    ProfileForm,
    ReasonForm,
    ReportForm,
    RequestForm,
    SearchForm,
    SessionChoiceForm,
    SupporterPickForm,
)
from .ics import activity_ics
from .models import Member, Session, SupportRequest
from .services import activities, matching, membership


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _member_or_404(request) -> Member:
    member = selectors.member_for(request.user)
    if member is None:
        raise Http404
    return member


def _family_or_404(request) -> Member:
    member = _member_or_404(request)
    if not member.requests_help:
        raise Http404
    return member


def _profile_or_404(request):
    profile = selectors.profile_for(request.user)
    if profile is None:
        raise Http404
    return profile


@require_safe
@resident_services_required
def home(request):
    member = selectors.member_for(request.user)
    profile = selectors.profile_for(request.user)
    context = {"member": member, "profile": profile, "rules": selectors.rules_get()}
    if member is not None:
        context.update(
            requests=selectors.requests_for_family(member=member)[:10],
            offers=selectors.offers_for_supporter(profile=profile).filter(status="open")
            if profile
            else [],
            activities=selectors.activities_for_member(member=member)[:10],
            meetings=selectors.meetings_for_member(member=member),
            training=selectors.sessions_open(kind=Session.Kind.TRAINING) if profile else [],
        )
    return render(request, "familysupport/home.html", context)


@require_http_methods(["GET", "POST"])
@resident_services_required
def join(request):
    if selectors.member_for(request.user) is not None:
        return redirect("familysupport:home")
    sessions = selectors.sessions_open(kind=Session.Kind.ORIENTATION)
    form = JoinForm(request.POST or None, sessions=sessions, districts=selectors.districts())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership.member_apply(
                user=request.user,
                kind=data["kind"],
                district=data["district"],
                session=data["session"],
                display_name=data["display_name"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("Thank you. We look forward to seeing you at the orientation.")
            )
            return redirect("familysupport:home")
    return render(request, "familysupport/join.html", {"form": form, "sessions": sessions})


@require_POST
@resident_services_required
def training_book(request):
    member = _member_or_404(request)
    sessions = selectors.sessions_open(kind=Session.Kind.TRAINING)
    form = SessionChoiceForm(request.POST, sessions=sessions)
    if form.is_valid():
        try:
            membership.training_book(member=member, session=form.cleaned_data["session"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your place at the training session is booked."))
    else:
        messages.error(request, _("Choose a training session."))
    return redirect("familysupport:home")


@require_http_methods(["GET", "POST"])
@resident_services_required
def profile_edit(request):
    profile = _profile_or_404(request)
    initial = {
        "display_name": profile.display_name,
        "about": profile.about,
        "skills": profile.skills,
    }
    for window in profile.availability.all():
        initial[f"from_{window.weekday}"] = window.starts
        initial[f"until_{window.weekday}"] = window.ends
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        membership.profile_update(
            profile=profile,
            display_name=data["display_name"],
            about=data["about"],
            skills=data["skills"],
            availability=data["availability"],
        )
        messages.success(request, _("Your profile is saved."))
        return redirect("familysupport:home")
    return render(request, "familysupport/profile.html", {"form": form, "profile": profile})


@require_safe
@resident_services_required
def supporter_search(request):
    member = _family_or_404(request)
    form = SearchForm(request.GET or None, districts=selectors.districts())
    filters = form.cleaned_data if form.is_valid() else {}
    district = filters.get("district")
    found = selectors.supporters_search(
        family=member,
        district_id=district.pk if district else None,
        skill=filters.get("skill", ""),
    )
    return render(request, "familysupport/search.html", {"form": form, "supporters": found})


def _request_form(request, member, data):
    return RequestForm(
        data, children=member.user.household.children.all() if member.user.household_id else []
    )


def _request_try(member, form):
    """The request's dates and fee if it would be accepted; errors land on the form."""
    data = form.cleaned_data
    child = member.user.household.children.filter(pk=data["child"]).first()
    rules = selectors.rules_get()
    try:
        dates = matching.request_check(
            member=member,
            child=child,
            first_date=data["first_date"],
            until=data["until"],
            weekdays=data["weekdays"],
            starts=data["starts"],
            ends=data["ends"],
            rules=rules,
        )
    except ValidationError as error:
        _add_errors(form, error)
        return None
    estimate = matching.request_estimate(
        rules=rules,
        dates=dates,
        starts=data["starts"],
        ends=data["ends"],
        siblings=data["siblings"],
    )
    return {"dates": dates, "estimate": estimate, "child": child}


@require_http_methods(["GET", "POST"])
@resident_services_required
def request_new(request):
    """The form; a valid one shows the dates and the fee estimate before anything is sent."""
    member = _family_or_404(request)
    if member.status != Member.Status.ACTIVE:
        return render(request, "familysupport/not_yet.html", {"member": member}, status=403)
    form = _request_form(request, member, request.POST or None)
    # "Change something" on the confirmation page posts the same values back to the form.
    if request.method == "POST" and form.is_valid() and not request.POST.get("edit"):
        checked = _request_try(member, form)
        if checked is not None:
            kinds = dict(SupportRequest.Kind.choices)
            return render(
                request,
                "familysupport/request_confirm.html",
                {"form": form, "kind": kinds[form.cleaned_data["kind"]], **checked},
            )
    return render(
        request, "familysupport/request_form.html", {"form": form, "rules": selectors.rules_get()}
    )


@require_POST
@resident_services_required
def request_send(request):
    member = _family_or_404(request)
    form = _request_form(request, member, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            sent = matching.request_create(
                member=member,
                child=member.user.household.children.filter(pk=data["child"]).first(),
                kind=data["kind"],
                first_date=data["first_date"],
                starts=data["starts"],
                ends=data["ends"],
                place=data["place"],
                until=data["until"],
                weekdays=data["weekdays"],
                siblings=data["siblings"],
                pickup=data["pickup"],
                notes=data["notes"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your request is sent."))
            return redirect("familysupport:request_detail", sent.pk)
    return render(
        request, "familysupport/request_form.html", {"form": form, "rules": selectors.rules_get()}
    )


@require_safe
@resident_services_required
def request_detail(request, pk: int):
    member = selectors.member_for(request.user)
    support_request = selectors.request_get_for_family(member=member, pk=pk)
    pick = None
    if support_request.mode == "search" and support_request.status == "open":
        pick = SupporterPickForm(candidates=selectors.supporters_fitting(request=support_request))
    return render(
        request,
        "familysupport/request_detail.html",
        {
            "req": support_request,
            "activities": support_request.activities.all(),
            "offers_open": support_request.offers.filter(status="open").count(),
            "pick": pick,
            "reason": matching.UNFILLED_REASONS.get(support_request.unfilled_reason, ""),
        },
    )


@require_POST
@resident_services_required
def request_ask(request, pk: int):
    member = selectors.member_for(request.user)
    support_request = selectors.request_get_for_family(member=member, pk=pk)
    candidates = selectors.supporters_fitting(request=support_request)
    form = SupporterPickForm(request.POST, candidates=candidates)
    if form.is_valid():
        try:
            matching.request_ask(
                member=member,
                request=support_request,
                supporter_ids=form.cleaned_data["supporters"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The supporters you chose are asked."))
            return redirect("familysupport:request_detail", pk)
    return render(
        request,
        "familysupport/request_detail.html",
        {
            "req": support_request,
            "activities": support_request.activities.all(),
            "pick": form,
            "offers_open": 0,
        },
        status=400,
    )


@require_http_methods(["GET", "POST"])
@resident_services_required
def request_cancel(request, pk: int):
    member = selectors.member_for(request.user)
    support_request = selectors.request_get_for_family(member=member, pk=pk)
    if request.method == "POST":
        if matching.request_cancel(member=member, request=support_request):
            messages.success(request, _("The request is cancelled."))
        else:
            messages.error(request, _("This request can no longer be cancelled here."))
        return redirect("familysupport:request_detail", pk)
    return render(request, "familysupport/request_cancel.html", {"req": support_request})


@require_safe
@resident_services_required
def offer_detail(request, pk: int):
    offer = selectors.offer_get_for_supporter(profile=selectors.profile_for(request.user), pk=pk)
    return render(
        request, "familysupport/offer_detail.html", {"offer": offer, "req": offer.request}
    )


@require_POST
@resident_services_required
def offer_accept(request, pk: int):
    profile = selectors.profile_for(request.user)
    offer = selectors.offer_get_for_supporter(profile=profile, pk=pk)
    try:
        won = matching.offer_accept(profile=profile, offer_id=offer.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("familysupport:offer_detail", pk)
    if won:
        messages.success(request, _("You have this request. Thank you!"))
        activity = offer.request.activities.order_by("date").first()
        return redirect("familysupport:activity_detail", activity.pk)
    messages.info(request, _("Another supporter accepted this request first. Thank you."))
    return redirect("familysupport:offer_detail", pk)


@require_POST
@resident_services_required
def offer_decline(request, pk: int):
    profile = selectors.profile_for(request.user)
    offer = selectors.offer_get_for_supporter(profile=profile, pk=pk)
    matching.offer_decline(profile=profile, offer_id=offer.pk)
    messages.info(request, _("You declined this request."))
    return redirect("familysupport:home")


@require_safe
@resident_services_required
def activity_detail(request, pk: int):
    activity, side = selectors.activity_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "familysupport/activity_detail.html",
        {
            "activity": activity,
            "req": activity.request,
            "side": side,
            "show_contact": selectors.contact_visible(activity=activity, side=side),
            "gate_open": activities.meeting_gate_open(activity),
            "today": timezone.localdate(),
            "dispute_form": ReasonForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@resident_services_required
def activity_cancel(request, pk: int):
    activity, side = selectors.activity_get_for_user(user=request.user, pk=pk)
    charge = selectors.cancellation_charge(activity=activity, side=side)
    if request.method == "POST":
        try:
            activities.activity_cancel(user=request.user, activity=activity, side=side)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The activity is cancelled."))
        return redirect("familysupport:activity_detail", pk)
    return render(
        request,
        "familysupport/activity_cancel.html",
        {"activity": activity, "side": side, "charge": charge},
    )


@require_POST
@resident_services_required
def no_show(request, pk: int):
    activity, side = selectors.activity_get_for_user(user=request.user, pk=pk)
    if side != "supporter":
        raise Http404
    try:
        charge = activities.activity_no_show(user=request.user, activity=activity)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Recorded as a no-show; the family is told. Charge: %(fee)s yen.")
            % {"fee": f"{charge:,}"},
        )
    return redirect("familysupport:activity_detail", pk)


@require_http_methods(["GET", "POST"])
@resident_services_required
def report_file(request, pk: int):
    activity, side = selectors.activity_get_for_user(user=request.user, pk=pk)
    if side != "supporter":
        raise Http404
    form = ReportForm(
        request.POST or None, initial={"actual_start": activity.starts, "actual_end": activity.ends}
    )
    if request.method == "POST" and form.is_valid():
        try:
            activities.report_file(user=request.user, activity=activity, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your report is filed. The family will confirm it."))
            return redirect("familysupport:activity_detail", pk)
    return render(
        request,
        "familysupport/report_form.html",
        {"form": form, "activity": activity, "gate_open": activities.meeting_gate_open(activity)},
    )


@require_POST
@resident_services_required
def report_confirm(request, pk: int):
    activity, side = selectors.activity_get_for_user(user=request.user, pk=pk)
    if side != "family":
        raise Http404
    if activities.report_confirm(user=request.user, activity=activity):
        messages.success(request, _("Thank you: the report is confirmed."))
    return redirect("familysupport:activity_detail", pk)


@require_POST
@resident_services_required
def report_dispute(request, pk: int):
    activity, side = selectors.activity_get_for_user(user=request.user, pk=pk)
    if side != "family":
        raise Http404
    form = ReasonForm(request.POST)
    if form.is_valid():
        activities.report_dispute(
            user=request.user, activity=activity, reason=form.cleaned_data["reason"]
        )
        messages.info(request, _("The advisor will look at the report with you both."))
        return redirect("familysupport:activity_detail", pk)
    return render(
        request,
        "familysupport/activity_detail.html",
        {
            "activity": activity,
            "req": activity.request,
            "side": side,
            "show_contact": False,
            "gate_open": activities.meeting_gate_open(activity),
            "dispute_form": form,
            "today": timezone.localdate(),
        },
        status=400,
    )


@require_POST
@resident_services_required
def payment_record(request, pk: int):
    activity, side = selectors.activity_get_for_user(user=request.user, pk=pk)
    if side != "supporter":
        raise Http404
    if activities.payment_record(user=request.user, activity=activity):
        messages.success(request, _("Payment recorded."))
    return redirect("familysupport:activity_detail", pk)


@require_safe
@resident_services_required
def activity_calendar(request, pk: int):
    activity, side = selectors.activity_get_for_user(user=request.user, pk=pk)
    if activity.status == "cancelled":
        raise Http404
    response = HttpResponse(
        activity_ics(activity, side=side, host=request.get_host()),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="familysupport-{activity.pk}.ics"'
    return response


@require_safe
@resident_services_required
def statement(request):
    profile = _profile_or_404(request)
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    return render(
        request,
        "familysupport/statement.html",
        {
            "statement": selectors.statement_for_supporter(profile=profile, month=first),
            "profile": profile,
        },
    )
