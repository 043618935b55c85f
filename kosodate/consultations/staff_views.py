"""/staff/consultations/: the professionals' queue, a consultation with the family's history,
answers with templates, notes, hand-overs, slots and the monthly report. Only professionals of
the service and municipal staff given the role get in (selectors.staff_member_for); every look at
a consultation is audit-logged."""

from datetime import date
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.core.access import Role, back_office_required
from kosodate.core.ages import completed_months
from kosodate.core.csv import csv_response

from . import reports, selectors, services
from .forms import (
    AnswerForm,
    AssignForm,
    ChatForm,
    HandoverForm,
    MonthForm,
    NoteForm,
    OutcomeForm,
    SlotPublishForm,
)
from .models import Consultation, Profession
from .views import _photo_response


def consultation_staff_required(view):
    """Back office sign-in, then the consultations role (a StaffMember row); the member is passed
    to the view. Anyone else in the back office gets the 403 page."""

    @back_office_required(roles=[Role.CONSULTANT, Role.MUNICIPAL_STAFF])
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        member = selectors.staff_member_for(request.user)
        if member is None:
            return render(request, "core/forbidden.html", status=403)
        return view(request, member, *args, **kwargs)

    return wrapped


@require_safe
@consultation_staff_required
def queue(request, member):
    view = request.GET.get("view", "unassigned")
    if view not in selectors.QUEUE_VIEWS:
        view = "unassigned"
    profession = request.GET.get("profession", "")
    if profession not in Profession.values:
        profession = ""
    now = timezone.now()
    rows = selectors.queue(member=member, view=view, profession=profession, now=now)
    _queue_rows_label(rows, now)
    return render(
        request,
        "consultations/staff/queue.html",
        {
            "member": member,
            "view": view,
            "profession": profession,
            "professions": Profession.choices,
            "consultations": rows,
            "detail_prefix": reverse("consultations_staff:queue"),
            "counts": selectors.queue_counts(member=member, now=now),
            "now": now,
            "views": [
                ("unassigned", _("Unassigned")),
                ("mine", _("Mine")),
                ("waiting_family", _("Waiting for the family")),
                ("overdue", pgettext("answer deadline", "Overdue")),
                ("all_open", _("All open")),
            ],
        },
    )


def _queue_rows_label(rows, now) -> None:
    """The queue's per-row words, each distinct one translated once: rendering {% url %},
    {% blocktranslate count %} and get_FOO_display for a hundred rows was most of the page's
    time (bench/consultations_queue.py)."""
    statuses = {value: str(label) for value, label in Consultation.Status.choices}
    ages: dict[int, str] = {}
    counts: dict[int, str] = {}
    for c in rows:
        c.status_label = statuses[c.status]
        if c.child_age_months not in ages:
            ages[c.child_age_months] = ngettext(
                "%(months)s month", "%(months)s months", c.child_age_months
            ) % {"months": c.child_age_months}
        c.age_label = ages[c.child_age_months]
        if c.message_count not in counts:
            counts[c.message_count] = ngettext(
                "%(n)s message", "%(n)s messages", c.message_count
            ) % {"n": c.message_count}
        c.count_label = counts[c.message_count]
        c.due_label = timezone.localtime(c.due_at).strftime("%m/%d %H:%M") if c.due_at else ""
        c.is_overdue = c.status == Consultation.Status.WAITING_STAFF and c.due_at and c.due_at < now


def _detail(request, member, consultation, *, forms=None, status=200):
    services.consultation_record_view(member=member, consultation=consultation, request=request)
    forms = forms or {}
    template = selectors.template_get(consultation=consultation, pk=request.GET.get("template"))
    booking = getattr(consultation, "booking", None)
    answer_form = forms.get("answer") or (
        ChatForm() if booking else AnswerForm(initial={"body": template.body} if template else None)
    )
    child = consultation.child
    health = None
    if child is not None:
        from kosodate.health.selectors import checkups_for_child, schedule_for_child

        health = {
            "age_months": completed_months(child.birth_date, timezone.localdate()),
            "schedule": schedule_for_child(child=child)[:6],
            "checkups": checkups_for_child(child=child),
        }
    return render(
        request,
        "consultations/staff/detail.html",
        {
            "member": member,
            "consultation": consultation,
            "thread": selectors.messages_for(consultation=consultation),
            "history": selectors.history_for_child(member=member, consultation=consultation),
            "handovers": selectors.handovers_for(consultation=consultation),
            "notes": selectors.notes_for(consultation=consultation),
            "templates": selectors.templates_for(consultation=consultation),
            "reads": selectors.reads_for(consultation=consultation),
            "health": health,
            "booking": booking,
            "live": booking is not None and selectors.session_is_live(slot=booking.slot),
            "answer_form": answer_form,
            "note_form": forms.get("note") or NoteForm(),
            "handover_form": forms.get("handover") or HandoverForm(),
            "assign_form": forms.get("assign")
            or AssignForm(colleagues=selectors.colleagues_for(profession=consultation.profession)),
            "outcome_form": forms.get("outcome")
            or OutcomeForm(initial={"outcome": consultation.outcome}),
            "video_url": selectors.rules_get().video_url,
        },
        status=status,
    )


@require_safe
@consultation_staff_required
def detail(request, member, pk: int):
    consultation = selectors.consultation_get_for_staff(member=member, pk=pk)
    return _detail(request, member, consultation)


@require_safe
@consultation_staff_required
def thread_partial(request, member, pk: int):
    consultation = selectors.consultation_get_for_staff(member=member, pk=pk)
    return render(
        request,
        "consultations/_thread.html",
        {
            "consultation": consultation,
            "thread": selectors.messages_for(consultation=consultation),
            "photo_url": "consultations_staff:photo",
            "staff_view": True,
        },
    )


@require_safe
@consultation_staff_required
def photo(request, member, pk: int, key: str):
    return _photo_response(selectors.photo_get_for_staff(member=member, pk=pk, key=key))


def _post(request, member, pk, form_class, name, action, done_message):
    consultation = selectors.consultation_get_for_staff(member=member, pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(consultation, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done_message)
            return redirect("consultations_staff:detail", consultation.pk)
    return _detail(request, member, consultation, forms={name: form}, status=400)


@require_POST
@consultation_staff_required
def answer(request, member, pk: int):
    return _post(
        request,
        member,
        pk,
        AnswerForm,
        "answer",
        lambda c, data: services.consultation_answer(
            member=member, consultation=c, body=data["body"], request=request
        ),
        _("Your answer was sent. The family has been notified."),
    )


@require_POST
@consultation_staff_required
def note(request, member, pk: int):
    return _post(
        request,
        member,
        pk,
        NoteForm,
        "note",
        lambda c, data: services.staff_note_add(
            member=member, consultation=c, body=data["body"], request=request
        ),
        _("Note saved."),
    )


@require_POST
@consultation_staff_required
def handover(request, member, pk: int):
    consultation = selectors.consultation_get_for_staff(member=member, pk=pk)
    form = HandoverForm(request.POST)
    if form.is_valid():
        try:
            services.consultation_hand_over(
                member=member,
                consultation=consultation,
                to_profession=form.cleaned_data["to_profession"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Handed over."))
            return redirect("consultations_staff:queue")
    return _detail(request, member, consultation, forms={"handover": form}, status=400)


@require_POST
@consultation_staff_required
def take(request, member, pk: int):
    consultation = selectors.consultation_get_for_staff(member=member, pk=pk)
    if services.consultation_take(member=member, consultation=consultation, request=request):
        messages.success(request, _("You took this consultation."))
    else:
        messages.error(request, _("A colleague took this consultation first."))
    return redirect("consultations_staff:detail", consultation.pk)


@require_POST
@consultation_staff_required
def assign(request, member, pk: int):
    consultation = selectors.consultation_get_for_staff(member=member, pk=pk)
    form = AssignForm(
        request.POST, colleagues=selectors.colleagues_for(profession=consultation.profession)
    )
    if form.is_valid():
        try:
            services.consultation_assign(
                member=member,
                consultation=consultation,
                to_user=form.cleaned_data["to_user"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Assigned."))
            return redirect("consultations_staff:detail", consultation.pk)
    return _detail(request, member, consultation, forms={"assign": form}, status=400)


@require_POST
@consultation_staff_required
def outcome(request, member, pk: int):
    return _post(
        request,
        member,
        pk,
        OutcomeForm,
        "outcome",
        lambda c, data: services.consultation_set_outcome(
            member=member, consultation=c, outcome=data["outcome"], request=request
        ),
        _("Outcome saved."),
    )


@require_POST
@consultation_staff_required
def chat(request, member, pk: int):
    consultation = selectors.consultation_get_for_staff(member=member, pk=pk)
    form = ChatForm(request.POST)
    booking = getattr(consultation, "booking", None)
    if form.is_valid():
        if booking is None or not selectors.session_is_live(slot=booking.slot):
            form.add_error(None, _("The chat is open only around the time of the session."))
        else:
            services.session_message_staff(
                member=member, consultation=consultation, body=form.cleaned_data["body"]
            )
            return redirect("consultations_staff:detail", consultation.pk)
    return _detail(request, member, consultation, forms={"answer": form}, status=400)


# --- Slots ------------------------------------------------------------------------------------
@require_http_methods(["GET", "HEAD", "POST"])
@consultation_staff_required
def slots(request, member):
    form = SlotPublishForm(
        request.POST or None, initial={"profession": member.profession or Profession.HEALTH}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = services.slots_publish(
                    member=member,
                    profession=form.cleaned_data["profession"],
                    day=form.cleaned_data["day"],
                    start=form.cleaned_data["start"],
                    count=form.cleaned_data["count"],
                    professional=member.user if member.profession else None,
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("%(n)s slots published.") % {"n": len(created)})
                return redirect("consultations_staff:slots")
    return render(
        request,
        "consultations/staff/slots.html",
        {"form": form, "slots": selectors.slots_for_staff(member=member)},
        status=status,
    )


# --- Report -----------------------------------------------------------------------------------
def _month(request) -> date:
    form = MonthForm(request.GET)
    if form.is_valid() and form.cleaned_data["month"]:
        return form.cleaned_data["month"].replace(day=1)
    return timezone.localdate().replace(day=1)


@require_safe
@consultation_staff_required
def report(request, member):
    month = _month(request)
    return render(
        request,
        "consultations/staff/report.html",
        {"report": selectors.monthly_report(month=month), "month": month},
    )


@require_safe
@consultation_staff_required
def report_csv(request, member):
    month = _month(request)
    response = csv_response(
        f"consultations-{month:%Y-%m}.csv",
        reports.report_rows(selectors.monthly_report(month=month)),
    )
    services.report_csv_record(member=member, month=month, request=request)
    return response
