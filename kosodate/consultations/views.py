"""Families' pages: ask, the threads, close and reopen, photos, booked sessions and their chat.
Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.accounts.decorators import resident_services_required
from kosodate.accounts.selectors import household_children
from kosodate.core.access import is_resident

from . import selectors, services
from .forms import AskForm, BookForm, ChatForm, CheckWordsForm, CloseForm, ReplyForm
from .models import Booking, Consultation, Profession


def _resident_only(request):
    # Staff accounts have no household: the families' pages do not exist for them.
    if not is_resident(request.user):
        raise Http404


def _photo_response(photo) -> HttpResponse:
    response = HttpResponse(bytes(photo.content), content_type=photo.content_type)
    # Private: never kept by a shared cache, never sniffed as anything but the image it is.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@require_safe
@resident_services_required
def home(request):
    _resident_only(request)
    consultations = selectors.consultations_for_household(user=request.user)
    return render(
        request,
        "consultations/home.html",
        {
            "open": [c for c in consultations if c.status != Consultation.Status.CLOSED],
            "closed": [c for c in consultations if c.status == Consultation.Status.CLOSED],
            "rules": selectors.rules_get(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@resident_services_required
def ask(request):
    _resident_only(request)
    rules = selectors.rules_get()
    children = list(household_children(user=request.user))
    form = AskForm(
        request.POST or None,
        request.FILES or None,
        topics=selectors.topics_offered(),
        children=request.user.household.children.all() if request.user.household_id else [],
        max_bytes=rules.photo_max_bytes,
    )
    words = []
    if request.method == "POST":
        words = selectors.emergency_words_found(request.POST.get("body", ""))
        if form.is_valid():
            try:
                consultation = services.consultation_ask(
                    user=request.user,
                    child=form.cleaned_data["child"],
                    topic=form.cleaned_data["topic"],
                    body=form.cleaned_data["body"],
                    photos=form.cleaned_data["photos"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your question was sent."))
                return redirect("consultations:detail", consultation.pk)
    return render(
        request,
        "consultations/ask.html",
        {"form": form, "children": children, "rules": rules, "words": words},
    )


@require_POST
def check_words(request):
    """htmx: the emergency notice as the family types (before sending). Open to anyone: it only
    says whether the text contains one of the published words."""
    form = CheckWordsForm(request.POST)
    words = selectors.emergency_words_found(form.data.get("body", "")) if form.is_valid() else []
    return render(request, "consultations/_emergency.html", {"words": words, "live": True})


@require_safe
@resident_services_required
def detail(request, pk: int):
    consultation = selectors.consultation_get_for_resident(user=request.user, pk=pk)
    return _detail_render(request, consultation)


def _detail_render(request, consultation, *, reply_form=None, status=200):
    rules = selectors.rules_get()
    booking = getattr(consultation, "booking", None) if consultation.channel == "session" else None
    is_session = booking is not None
    live = is_session and selectors.session_is_live(slot=booking.slot)
    if reply_form is None:
        reply_form = ChatForm() if is_session else ReplyForm(max_bytes=rules.photo_max_bytes)
    until = selectors.reopen_until(consultation=consultation, rules=rules)
    return render(
        request,
        "consultations/detail.html",
        {
            "consultation": consultation,
            "thread": selectors.messages_for(consultation=consultation),
            "reply_form": reply_form,
            "close_form": CloseForm(),
            "booking": booking,
            "live": live,
            "reopen_until": until,
            "can_reopen": until is not None and timezone.now() <= until,
            "rules": rules,
            "words": consultation.flag_words,
        },
        status=status,
    )


@require_safe
@resident_services_required
def thread_partial(request, pk: int):
    """htmx polling of a session's chat (the page itself reloads without JavaScript)."""
    consultation = selectors.consultation_get_for_resident(user=request.user, pk=pk)
    return render(
        request,
        "consultations/_thread.html",
        {
            "consultation": consultation,
            "thread": selectors.messages_for(consultation=consultation),
            "photo_url": "consultations:photo",
        },
    )


@require_POST
@resident_services_required
def reply(request, pk: int):
    consultation = selectors.consultation_get_for_resident(user=request.user, pk=pk)
    rules = selectors.rules_get()
    is_session = consultation.channel == Consultation.Channel.SESSION
    if is_session:
        form = ChatForm(request.POST)
    else:
        form = ReplyForm(request.POST, request.FILES, max_bytes=rules.photo_max_bytes)
    if form.is_valid():
        if is_session and not selectors.session_is_live(slot=consultation.booking.slot):
            form.add_error(None, _("The chat is open only around the time of the session."))
        else:
            try:
                services.consultation_reply(
                    user=request.user,
                    consultation=consultation,
                    body=form.cleaned_data["body"],
                    photos=form.cleaned_data.get("photos", []),
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if not is_session:
                    messages.success(request, _("Your reply was sent."))
                return redirect("consultations:detail", consultation.pk)
    return _detail_render(request, consultation, reply_form=form, status=400)


@require_POST
@resident_services_required
def close(request, pk: int):
    consultation = selectors.consultation_get_for_resident(user=request.user, pk=pk)
    form = CloseForm(request.POST)
    helpful = form.cleaned_data["helpful"] if form.is_valid() else None
    if services.consultation_close(
        user=request.user, consultation=consultation, helpful=helpful, request=request
    ):
        messages.success(request, _("The consultation is closed. Thank you."))
    return redirect("consultations:detail", consultation.pk)


@require_POST
@resident_services_required
def reopen(request, pk: int):
    consultation = selectors.consultation_get_for_resident(user=request.user, pk=pk)
    try:
        services.consultation_reopen(user=request.user, consultation=consultation, request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The consultation is open again. Write your reply below."))
    return redirect("consultations:detail", consultation.pk)


@require_safe
@resident_services_required
def photo(request, pk: int, key: str):
    return _photo_response(selectors.photo_get_for_resident(user=request.user, pk=pk, key=key))


# --- Booked sessions --------------------------------------------------------------------------
@require_safe
@resident_services_required
def sessions(request):
    _resident_only(request)
    profession = request.GET.get("profession", "")
    if profession not in Profession.values:
        profession = Profession.HEALTH
    rows = selectors.slots_open(profession=profession)
    days: dict = {}
    for slot, free in rows:
        days.setdefault(timezone.localdate(slot.starts_at), []).append((slot, free))
    return render(
        request,
        "consultations/sessions.html",
        {
            "profession": profession,
            "professions": Profession.choices,
            "days": sorted(days.items()),
            "rules": selectors.rules_get(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@resident_services_required
def book(request, slot_pk: int):
    _resident_only(request)
    slot = selectors.slot_get_bookable(pk=slot_pk)
    form = BookForm(
        request.POST or None,
        topics=selectors.topics_offered(),
        children=request.user.household.children.all() if request.user.household_id else [],
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                booking = services.booking_create(
                    user=request.user,
                    slot=slot,
                    child=form.cleaned_data["child"],
                    topic=form.cleaned_data["topic"],
                    body=form.cleaned_data["body"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
                status = 409
            else:
                messages.success(request, _("Your session is booked."))
                return redirect("consultations:detail", booking.consultation_id)
    return render(request, "consultations/book.html", {"form": form, "slot": slot}, status=status)


@require_POST
@resident_services_required
def cancel(request, pk: int):
    consultation = selectors.consultation_get_for_resident(user=request.user, pk=pk)
    booking = getattr(consultation, "booking", None)
    if booking is None or booking.status != Booking.Status.BOOKED:
        raise Http404
    try:
        services.booking_cancel(user=request.user, booking=booking, request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Your session is cancelled."))
    return redirect("consultations:detail", consultation.pk)
