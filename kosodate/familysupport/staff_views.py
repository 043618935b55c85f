"""The centre's back office at /staff/familysupport/: members and applications, sessions and
training, the matching queue with ranked candidates, first meetings, reports to check, and the
month's close with statistics and the national report's CSV. Only the centre's advisors (and
system administrators) open it; every look at a member's record is audited."""

from datetime import date
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.core.access import back_office_required
from kosodate.core.csv import csv_response

from . import selectors, selectors_staff
from .forms import (
    WEEKDAY_CHOICES,
    ActivityChangeForm,
    ApproveForm,
    CardForm,
    InsuranceForm,
    MeetingForm,
    MonthForm,
    ProposeForm,
    ReasonForm,
    SessionForm,
    SettleForm,
    SupporterChangeForm,
)
from .services import activities, changes, matching, membership
from .services.common import record_viewed


def advisor_required(view):
    """Signed-in back-office staff with the centre's advisor assignment; others get the 403 page."""

    @back_office_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not selectors.advisor_active(request.user):
            return render(request, "core/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _month_param(request) -> date:
    form = MonthForm(request.GET or None)
    if form.is_valid():
        return form.cleaned_data["month"].replace(day=1)
    return timezone.localdate().replace(day=1)


@require_safe
@advisor_required
def index(request):
    return render(
        request,
        "familysupport/staff/index.html",
        {
            "applied": selectors_staff.members_list(status="applied").count(),
            "queue": selectors_staff.advisor_queue().count(),
            "meetings": selectors_staff.meetings_open().count(),
            "reports": selectors_staff.reports_to_check().filter(status="disputed").count(),
        },
    )


@require_safe
@advisor_required
def member_list(request):
    status = request.GET.get("status", "")
    return render(
        request,
        "familysupport/staff/member_list.html",
        {"members": selectors_staff.members_list(status=status)[:200], "status": status},
    )


@require_safe
@advisor_required
def member_detail(request, pk: int):
    member = selectors_staff.member_get_for_staff(pk=pk)
    record_viewed(actor=request.user, target=member, subject=member.user, request=request)
    profile = getattr(member, "profile", None)
    weekdays = dict(WEEKDAY_CHOICES)
    record = selectors_staff.supporter_record(profile=profile) if profile else None
    if record:
        record["hours"] = [
            (weekdays[w.weekday], w.starts, w.ends) for w in record.pop("availability")
        ]
    return render(
        request,
        "familysupport/staff/member_detail.html",
        {
            "member": member,
            "profile": profile,
            "record": record,
            "has_photo": selectors_staff.member_has_photo(member=member),
            "card_form": CardForm(),
            "approve_form": ApproveForm(),
            "insurance_form": InsuranceForm(initial={"fiscal_year": timezone.localdate().year}),
            "attendances": member.attendances.select_related("session"),
            "insurance": member.insurance.order_by("-fiscal_year"),
            "activities": selectors.activities_for_member(member=member).filter(
                date__gte=timezone.localdate(), status="confirmed"
            )[:50],
        },
    )


def _member_action(request, pk, form_class, action):
    member = selectors_staff.member_get_for_staff(pk=pk)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            action(member, form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("familysupport_staff:member", pk)


@require_POST
@advisor_required
def member_confirm(request, pk: int):
    return _member_action(
        request,
        pk,
        CardForm,
        lambda m, d: membership.member_confirm(
            actor=request.user,
            member=m,
            card_number=d["card_number"],
            photo=d["photo"],
            request=request,
        ),
    )


@require_safe
@advisor_required
def member_photo(request, pk: int):
    """The membership photo, for the centre's advisors only (shown on the member's page, whose
    look is audited); private, never cached by a shared cache."""
    photo = selectors_staff.member_photo_get_for_staff(pk=pk)
    response = HttpResponse(bytes(photo.content), content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@require_POST
@advisor_required
def supporter_approve(request, pk: int):
    def approve(member, data):
        if not hasattr(member, "profile"):
            raise ValidationError(_("This member is not a supporter."))
        membership.supporter_approve(
            actor=request.user,
            profile=member.profile,
            certificate_date=data["certificate_date"],
            request=request,
        )

    return _member_action(request, pk, ApproveForm, approve)


@require_POST
@advisor_required
def insurance_record(request, pk: int):
    return _member_action(
        request,
        pk,
        InsuranceForm,
        lambda m, d: membership.insurance_record(
            actor=request.user, member=m, request=request, **d
        ),
    )


@require_http_methods(["GET", "POST"])
@advisor_required
def session_list(request):
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        membership.session_create(actor=request.user, request=request, **form.cleaned_data)
        messages.success(request, _("The session is published."))
        return redirect("familysupport_staff:sessions")
    return render(
        request,
        "familysupport/staff/session_list.html",
        {"form": form, "sessions": selectors_staff.sessions_all()[:100]},
    )


@require_http_methods(["GET", "POST"])
@advisor_required
def session_detail(request, pk: int):
    session = selectors_staff.session_get(pk=pk)
    if request.method == "POST":
        came = {int(v) for v in request.POST.getlist("attended") if v.isdigit()}
        membership.attendance_record(
            actor=request.user, session=session, attended_ids=came, request=request
        )
        messages.success(request, _("Attendance saved."))
        return redirect("familysupport_staff:session", pk)
    return render(
        request,
        "familysupport/staff/session_detail.html",
        {"session": session, "attendances": selectors_staff.session_attendances(session=session)},
    )


@require_safe
@advisor_required
def queue(request):
    return render(
        request, "familysupport/staff/queue.html", {"requests": selectors_staff.advisor_queue()}
    )


@require_safe
@advisor_required
def request_detail(request, pk: int):
    support_request = selectors_staff.request_get_for_staff(pk=pk)
    record_viewed(
        actor=request.user,
        target=support_request,
        subject=support_request.family.user,
        request=request,
    )
    return render(
        request,
        "familysupport/staff/request_detail.html",
        {
            "req": support_request,
            "candidates": selectors.candidates_ranked(request=support_request),
            "offers": support_request.offers.select_related("supporter"),
            "activities": support_request.activities.select_related("supporter"),
            "reason": matching.UNFILLED_REASONS.get(support_request.unfilled_reason, ""),
        },
    )


@require_POST
@advisor_required
def request_propose(request, pk: int):
    support_request = selectors_staff.request_get_for_staff(pk=pk)
    form = ProposeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose one of the candidates shown."))
        matching.advisor_propose(
            actor=request.user,
            request=support_request,
            supporter_id=form.cleaned_data["supporter"],
            http=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The supporter is asked."))
    return redirect("familysupport_staff:request", pk)


@require_safe
@advisor_required
def meeting_list(request):
    return render(
        request,
        "familysupport/staff/meeting_list.html",
        {"meetings": selectors_staff.meetings_open()},
    )


@require_http_methods(["GET", "POST"])
@advisor_required
def meeting_detail(request, pk: int):
    meeting = selectors_staff.meeting_get_for_staff(pk=pk)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            activities.meeting_schedule(
                actor=request.user,
                meeting=meeting,
                request=request,
                when=form.cleaned_data["scheduled_at"],
                place=form.cleaned_data["place"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The meeting is arranged; both members are told."))
            return redirect("familysupport_staff:meeting", pk)
    return render(
        request,
        "familysupport/staff/meeting_detail.html",
        {"meeting": meeting, "form": form, "waive_form": ReasonForm()},
    )


@require_POST
@advisor_required
def meeting_held(request, pk: int):
    meeting = selectors_staff.meeting_get_for_staff(pk=pk)
    if activities.meeting_held(actor=request.user, meeting=meeting, request=request):
        messages.success(request, _("The meeting is marked held."))
    else:
        messages.error(request, _("Arrange the meeting first."))
    return redirect("familysupport_staff:meeting", pk)


@require_POST
@advisor_required
def meeting_waive(request, pk: int):
    meeting = selectors_staff.meeting_get_for_staff(pk=pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        activities.meeting_waive(
            actor=request.user, meeting=meeting, request=request, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The meeting is waived."))
        return redirect("familysupport_staff:meeting", pk)
    return render(
        request,
        "familysupport/staff/meeting_detail.html",
        {"meeting": meeting, "form": MeetingForm(), "waive_form": form},
        status=400,
    )


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_http_methods(["GET", "POST"])
@advisor_required
def activity_detail(request, pk: int):
    """A confirmed activity: the centre changes its date, times or place, or gives it to another
    supporter; both members are told (services.changes)."""
    activity = selectors_staff.activity_get_for_staff(pk=pk)
    form = ActivityChangeForm(
        request.POST or None,
        initial={
            "day": activity.date,
            "starts": activity.starts,
            "ends": activity.ends,
            "place": activity.where,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            changes.activity_change(
                actor=request.user, activity=activity, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The activity is changed; both members are told."))
            return redirect("familysupport_staff:activity", pk)
    record_viewed(
        actor=request.user, target=activity, subject=activity.request.family.user, request=request
    )
    candidates = []
    if activity.status == "confirmed":
        candidates = list(
            selectors.supporters_fitting(request=activity.request).exclude(
                pk=activity.supporter_id
            )[:50]
        )
    return render(
        request,
        "familysupport/staff/activity_detail.html",
        {
            "activity": activity,
            "form": form,
            "supporter_form": SupporterChangeForm(candidates=candidates),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@advisor_required
def activity_supporter(request, pk: int):
    activity = selectors_staff.activity_get_for_staff(pk=pk)
    form = SupporterChangeForm(
        request.POST,
        candidates=selectors.supporters_fitting(request=activity.request).exclude(
            pk=activity.supporter_id
        ),
    )
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose one of the supporters shown."))
        changes.activity_supporter_change(
            actor=request.user,
            activity=activity,
            supporter_id=form.cleaned_data["supporter"],
            request=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The activity has another supporter; everyone is told."))
    return redirect("familysupport_staff:activity", pk)


@require_safe
@advisor_required
def report_list(request):
    return render(
        request,
        "familysupport/staff/report_list.html",
        {"reports": selectors_staff.reports_to_check()},
    )


@require_http_methods(["GET", "POST"])
@advisor_required
def report_detail(request, pk: int):
    activity = selectors_staff.activity_get_for_staff(pk=pk)
    form = SettleForm(request.POST or None, initial={"fee": activity.fee})
    if request.method == "POST" and form.is_valid():
        if activities.dispute_settle(
            actor=request.user, activity=activity, request=request, **form.cleaned_data
        ):
            messages.success(request, _("The report is settled."))
            return redirect("familysupport_staff:reports")
        form.add_error(None, _("Only a disputed report is settled here."))
    record_viewed(
        actor=request.user, target=activity, subject=activity.request.family.user, request=request
    )
    return render(
        request, "familysupport/staff/report_detail.html", {"activity": activity, "form": form}
    )


@require_http_methods(["GET", "POST"])
@advisor_required
def month(request):
    first = _month_param(request)
    if request.method == "POST":
        form = MonthForm(request.POST)
        if form.is_valid():
            try:
                activities.month_close(
                    actor=request.user, month=form.cleaned_data["month"], request=request
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("The month is closed; statements are issued."))
            first = form.cleaned_data["month"].replace(day=1)
        return redirect(f"{request.path}?month={first:%Y-%m}")
    return render(
        request,
        "familysupport/staff/month.html",
        {
            "summary": selectors_staff.month_summary(month=first),
            "form": MonthForm(initial={"month": first}),
        },
    )


@require_safe
@advisor_required
def month_csv(request):
    first = _month_param(request)
    membership.national_report_downloaded(actor=request.user, month=first, request=request)
    return csv_response(
        f"familysupport-{first:%Y-%m}.csv", selectors_staff.national_report_rows(month=first)
    )
