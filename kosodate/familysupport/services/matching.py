"""Requests and matching. A request goes first to the supporter the family already knows, then to
the centre's mode (broadcast to every fitting supporter, the family's own search, or the advisor);
when nobody accepts by the deadline it falls back to the advisor. Whichever way, the first accept
wins, decided once under the request's row lock (core.capacity), backed by a unique constraint."""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosodate.accounts.models import Child
from kosodate.core.capacity import capacity_locked
from kosodate.core.waitlist import task_schedule

from .. import fees, selectors
from ..models import (
    Activity,
    Advisor,
    CentreRules,
    MatchingMode,
    Meeting,
    Member,
    Offer,
    SupporterProfile,
    SupportRequest,
)
from .common import audit, notify

MAX_DATES = 80
REMINDER_TIME = time(9, 0)
UNFILLED_REASONS = {
    "no_fitting": _("No supporter fits the area, skills and hours"),
    "no_answer": _("Nobody accepted in time"),
    "all_declined": _("Every supporter asked declined"),
}


def hours_check(errors: dict[str, list], *, starts: time, ends: time, rules) -> None:
    """The centre's opening hours and an end after the start, for a request and for a change of
    a confirmed activity alike: messages added to `errors` by field."""
    if starts < rules.opens_at or ends > rules.closes_at:
        errors.setdefault("starts", []).append(
            _("Activities run between %(opens)s and %(closes)s.")
            % {
                "opens": rules.opens_at.strftime("%H:%M"),
                "closes": rules.closes_at.strftime("%H:%M"),
            }
        )
    if ends <= starts:
        errors.setdefault("ends", []).append(_("The end must be after the start."))


def request_dates(*, first_date: date, until: date | None, weekdays: list[int]) -> list[date]:
    """The request's dates: one, or every chosen weekday from the first date until `until`."""
    if not weekdays or until is None:
        return [first_date]
    days, day = [], first_date
    while day <= until and len(days) <= MAX_DATES:
        if day.weekday() in weekdays:
            days.append(day)
        day += timedelta(days=1)
    return days


def request_check(
    *,
    member: Member,
    child: Child | None,
    first_date: date,
    until: date | None,
    weekdays: list[int],
    starts: time,
    ends: time,
    rules: CentreRules,
) -> list[date]:
    """Every rule a request must meet; raises ValidationError naming the field, else its dates."""
    errors: dict[str, list] = {}
    today = timezone.localdate()
    if member.status != Member.Status.ACTIVE or not member.requests_help:
        raise ValidationError(_("Only confirmed requesting members can send requests."))
    if child is None or child.household_id != member.user.household_id:
        errors.setdefault("child", []).append(_("Choose one of your own children."))
    if first_date < today:
        errors.setdefault("first_date", []).append(_("The date has passed."))
    hours_check(errors, starts=starts, ends=ends, rules=rules)
    if weekdays:
        if until is None:
            errors.setdefault("until", []).append(_("Enter the last date of the repeat."))
        elif until < first_date:
            errors.setdefault("until", []).append(_("The repeat must end after the first date."))
        elif member.valid_until and until > member.valid_until:
            errors.setdefault("until", []).append(
                _("Your membership ends on %(day)s: the repeat cannot go past it.")
                % {"day": member.valid_until.isoformat()}
            )
    elif member.valid_until and first_date > member.valid_until:
        errors.setdefault("first_date", []).append(
            _("Your membership ends on %(day)s.") % {"day": member.valid_until.isoformat()}
        )
    if errors:
        raise ValidationError(errors)
    dates = request_dates(first_date=first_date, until=until, weekdays=weekdays)
    if not dates:
        raise ValidationError({"weekdays": _("No date falls on the chosen days.")})
    if len(dates) > MAX_DATES:
        raise ValidationError(
            {"until": _("A repeat can have at most %(n)s dates.") % {"n": MAX_DATES}}
        )
    for day in (dates[0], dates[-1]):
        if not selectors.child_eligible(birth=child.birth_date, on=day, rules=rules):
            raise ValidationError(
                {
                    "child": _(
                        "Family support is for children from %(months)s months old to the end "
                        "of primary school: %(name)s is outside this on %(day)s."
                    )
                    % {"months": rules.min_age_months, "name": child.first_name, "day": day}
                }
            )
    return dates


def request_estimate(
    *, rules: CentreRules, dates: list[date], starts: time, ends: time, siblings: int
) -> int:
    return sum(
        fees.care_fee(rules, day=day, starts=starts, ends=ends, children=1 + siblings)
        for day in dates
    )


def _schedule_advance(run_after: datetime) -> None:
    from .. import tasks

    task_schedule(tasks.familysupport_advance_task, run_after=run_after)


def _schedule_reminders(dates: list[date]) -> None:
    """The day-before reminder of each date, at REMINDER_TIME (the sweep sends each once)."""
    from .. import tasks

    for day in dates:
        at = timezone.make_aware(datetime.combine(day - timedelta(days=1), REMINDER_TIME))
        task_schedule(tasks.familysupport_reminders_task, run_after=at)


def request_create(
    *,
    member: Member,
    child: Child | None,
    kind: str,
    first_date: date,
    starts: time,
    ends: time,
    place: str,
    until: date | None = None,
    weekdays: list[int] | None = None,
    siblings: int = 0,
    pickup: str = "",
    notes: str = "",
) -> SupportRequest:
    """Check and send a request; it goes to the known supporter first, else to the centre's mode.
    Nothing is saved when a rule is broken."""
    rules = selectors.rules_get()
    weekdays = sorted(set(weekdays or []))
    dates = request_check(
        member=member,
        child=child,
        first_date=first_date,
        until=until,
        weekdays=weekdays,
        starts=starts,
        ends=ends,
        rules=rules,
    )
    now = timezone.now()
    with transaction.atomic():
        request = SupportRequest.objects.create(
            family=member,
            child=child,
            kind=kind,
            first_date=first_date,
            until=until if weekdays else None,
            weekdays=weekdays,
            starts=starts,
            ends=ends,
            place=place,
            pickup=pickup,
            notes=notes,
            siblings=siblings,
            mode=rules.matching_mode,
            fee_estimate=request_estimate(
                rules=rules, dates=dates, starts=starts, ends=ends, siblings=siblings
            ),
        )
        audit(member.user, "familysupport.request.create", request, dates=len(dates))
        _route(request=request, rules=rules, now=now)
    return request


def _route(*, request: SupportRequest, rules: CentreRules, now: datetime) -> None:
    known = selectors.supporter_known(family=request.family)
    if known and selectors.supporters_fitting(request=request, rules=rules).filter(pk=known.pk):
        request.stage = SupportRequest.Stage.KNOWN
        request.respond_by = now + timedelta(hours=rules.known_supporter_hours)
        request.save(update_fields=["stage", "respond_by"])
        _offer_send(request=request, supporters=[known], via=Offer.Via.KNOWN)
        _schedule_advance(request.respond_by)
        return
    _start_mode(request=request, rules=rules, now=now)


def _offer_send(*, request: SupportRequest, supporters, via: str) -> int:
    offers = Offer.objects.bulk_create(
        [Offer(request=request, supporter=s, via=via) for s in supporters], ignore_conflicts=True
    )
    title = _("A family-support request: %(day)s %(starts)s–%(ends)s") % {
        "day": request.first_date.isoformat(),
        "starts": request.starts.strftime("%H:%M"),
        "ends": request.ends.strftime("%H:%M"),
    }
    body = _("Open it to see the details and accept it. The first to accept gets it.")
    users = {s.pk: s.member.user for s in supporters}
    sent = Offer.objects.filter(request=request, supporter_id__in=users, status=Offer.Status.OPEN)
    for offer in sent:
        notify(
            users[offer.supporter_id],
            "familysupport.offer",
            title,
            body,
            "familysupport:offer_detail",
            offer.pk,
        )
    return len(offers)


def _start_mode(*, request: SupportRequest, rules: CentreRules, now: datetime) -> None:
    request.stage = SupportRequest.Stage.MODE
    request.respond_by = now + timedelta(hours=rules.offer_hours)
    request.save(update_fields=["stage", "respond_by"])
    if request.mode == MatchingMode.ADVISOR:
        _to_advisor(request=request, reason="")
        return
    if request.mode == MatchingMode.BROADCAST:
        already = Offer.objects.filter(request=request).values("supporter_id")
        fitting = list(
            selectors.supporters_fitting(request=request, rules=rules)
            .exclude(pk__in=already)
            .select_related("member__user")
        )
        if not fitting:
            _to_advisor(request=request, reason="no_fitting")
            return
        _offer_send(request=request, supporters=fitting, via=Offer.Via.BROADCAST)
    _schedule_advance(request.respond_by)


def _to_advisor(*, request: SupportRequest, reason: str) -> None:
    updated = SupportRequest.objects.filter(
        pk=request.pk, status=SupportRequest.Status.OPEN
    ).update(
        status=SupportRequest.Status.ADVISOR,
        stage=SupportRequest.Stage.ADVISOR,
        unfilled_reason=reason,
    )
    if not updated:
        return
    request.status, request.unfilled_reason = SupportRequest.Status.ADVISOR, reason
    Offer.objects.filter(request=request, status=Offer.Status.OPEN).update(
        status=Offer.Status.CLOSED
    )
    notify(
        request.family.user,
        "familysupport.request.advisor",
        _("The centre's advisor is finding a supporter for you"),
        str(UNFILLED_REASONS.get(reason, _("The centre matches this request."))),
        "familysupport:request_detail",
        request.pk,
    )
    for advisor in Advisor.objects.filter(active=True).select_related("user"):
        notify(
            advisor.user,
            "familysupport.queue",
            _("A request is waiting in the matching queue"),
            f"#{request.pk} {request.first_date}",
            "familysupport_staff:request",
            request.pk,
        )


def request_ask(*, member: Member, request: SupportRequest, supporter_ids: list[int]) -> int:
    """Search mode: the family asks the supporters it chose, each of whom must fit the request (an
    id that does not, tampered or stale, is refused and nothing is sent)."""
    if request.family_id != member.pk or request.status != SupportRequest.Status.OPEN:
        raise ValidationError(_("This request is no longer looking for a supporter."))
    if not supporter_ids:
        raise ValidationError({"supporters": _("Choose at least one supporter.")})
    fitting = list(
        selectors.supporters_fitting(request=request)
        .filter(pk__in=supporter_ids)
        .select_related("member__user")
    )
    if len(fitting) != len(set(supporter_ids)):
        raise ValidationError({"supporters": _("Choose supporters from the list shown.")})
    with transaction.atomic():
        sent = _offer_send(request=request, supporters=fitting, via=Offer.Via.ASKED)
        audit(member.user, "familysupport.request.ask", request, supporters=sorted(supporter_ids))
    return sent


def clash_refuse(
    *,
    supporter_id: int,
    dates: list[date],
    starts: time,
    ends: time,
    for_staff: bool = False,
    exclude_pk=None,
) -> None:
    """Refuse a second activity at the same time for one supporter. Call it under the supporter's
    row lock (capacity_locked, after the request's), so two accepts cannot both pass."""
    clash = selectors.activity_clash(
        supporter_id=supporter_id, dates=dates, starts=starts, ends=ends, exclude_pk=exclude_pk
    )
    if clash is None:
        return
    when = {
        "day": clash.date.isoformat(),
        "starts": clash.starts.strftime("%H:%M"),
        "ends": clash.ends.strftime("%H:%M"),
    }
    if for_staff:
        message = _(
            "The supporter already has an activity on %(day)s from %(starts)s to %(ends)s, "
            "which overlaps this time. Choose another time or another supporter."
        )
    else:
        message = _(
            "You already have an activity on %(day)s from %(starts)s to %(ends)s, which "
            "overlaps this one. A supporter cannot take two activities at the same time: "
            "decline this request, or ask the centre to change the other activity first."
        )
    raise ValidationError(message % when, code="overlap")


def offer_accept(*, profile: SupporterProfile, offer_id: int) -> bool:
    """The supporter accepts. True: they got it. False: somebody was first, or it was closed.
    Decided once, under the request's row lock; everyone else is told it is taken. Refused
    (ValidationError) when the supporter already has an activity at an overlapping time: checked
    under the supporter's row lock too (locked after the request's, always in that order), so
    two overlapping requests accepted at once cannot both be theirs."""
    offer = Offer.objects.filter(pk=offer_id, supporter=profile).first()
    if offer is None:
        raise ValidationError(_("This request was not offered to you."))
    now = timezone.now()
    with capacity_locked(
        SupportRequest.objects.filter(pk=offer.request_id),
        SupporterProfile.objects.filter(pk=profile.pk),
    ) as ([request], _supporter):
        offer = Offer.objects.get(pk=offer_id)
        if offer.status != Offer.Status.OPEN or request.status not in (
            SupportRequest.Status.OPEN,
            SupportRequest.Status.ADVISOR,
        ):
            return False
        dates = request_dates(
            first_date=request.first_date, until=request.until, weekdays=request.weekdays
        )
        clash_refuse(supporter_id=profile.pk, dates=dates, starts=request.starts, ends=request.ends)
        Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.ACCEPTED, answered_at=now)
        request.status, request.supporter, request.matched_at = "matched", profile, now
        request.save(update_fields=["status", "supporter", "matched_at"])
        Activity.objects.bulk_create(
            Activity(
                request=request,
                supporter=profile,
                date=day,
                starts=request.starts,
                ends=request.ends,
            )
            for day in dates
        )
        Meeting.objects.get_or_create(family=request.family, supporter=profile)
        _schedule_reminders(dates)
        taken = list(
            Offer.objects.filter(request=request, status=Offer.Status.OPEN).select_related(
                "supporter__member__user"
            )
        )
        Offer.objects.filter(pk__in=[o.pk for o in taken]).update(status=Offer.Status.TAKEN)
        audit(profile.member.user, "familysupport.offer.accept", request, via=offer.via)
    notify(
        request.family.user,
        "familysupport.request.matched",
        _("A supporter accepted your request"),
        _("%(name)s will help you. See the next steps on the request's page.")
        % {"name": profile.display_name},
        "familysupport:request_detail",
        request.pk,
    )
    for other in taken:
        notify(
            other.supporter.member.user,
            "familysupport.offer.taken",
            _("This request has been taken"),
            _("Another supporter accepted it first. Thank you for looking."),
            "familysupport:offer_detail",
            other.pk,
        )
    return True


def offer_decline(*, profile: SupporterProfile, offer_id: int) -> bool:
    offer = Offer.objects.filter(pk=offer_id, supporter=profile).select_related("request").first()
    if offer is None:
        raise ValidationError(_("This request was not offered to you."))
    with transaction.atomic():
        if not Offer.objects.filter(pk=offer.pk, status=Offer.Status.OPEN).update(
            status=Offer.Status.DECLINED, answered_at=timezone.now()
        ):
            return False
        request = SupportRequest.objects.get(pk=offer.request_id)
        if request.status != SupportRequest.Status.OPEN:
            return True
        if offer.via == Offer.Via.KNOWN:
            _start_mode(request=request, rules=selectors.rules_get(), now=timezone.now())
        elif not Offer.objects.filter(request=request, status=Offer.Status.OPEN).exists() and (
            request.mode == MatchingMode.BROADCAST
        ):
            _to_advisor(request=request, reason="all_declined")
    return True


def advisor_propose(*, actor, request: SupportRequest, supporter_id: int, http=None) -> Offer:
    """The advisor proposes one of the ranked candidates; the supporter then accepts."""
    if request.status not in (SupportRequest.Status.ADVISOR, SupportRequest.Status.OPEN):
        raise ValidationError(_("This request is no longer looking for a supporter."))
    profile = (
        selectors.supporters_fitting(request=request)
        .filter(pk=supporter_id)
        .select_related("member__user")
        .first()
    )
    if profile is None:
        raise ValidationError({"supporter": _("Choose one of the candidates shown.")})
    with transaction.atomic():
        Offer.objects.filter(request=request, supporter=profile).exclude(
            status=Offer.Status.OPEN
        ).delete()
        _offer_send(request=request, supporters=[profile], via=Offer.Via.ADVISOR)
        audit(actor, "familysupport.request.propose", request, request=http, supporter=profile.pk)
    return Offer.objects.get(request=request, supporter=profile)


def requests_advance_due(*, now: datetime | None = None) -> int:
    """Move on every request past its deadline: from the known supporter to the centre's mode,
    and from the mode to the advisor. Compare-and-swap on the stage: safe in several workers."""
    now = now or timezone.now()
    rules = selectors.rules_get()
    moved = 0
    due = SupportRequest.objects.filter(status=SupportRequest.Status.OPEN, respond_by__lte=now)
    for request in due.select_related("family__user", "family__district"):
        if request.stage == SupportRequest.Stage.KNOWN:
            with transaction.atomic():
                if SupportRequest.objects.filter(
                    pk=request.pk, stage=SupportRequest.Stage.KNOWN, status="open"
                ).update(stage=SupportRequest.Stage.MODE):
                    Offer.objects.filter(request=request, status=Offer.Status.OPEN).update(
                        status=Offer.Status.CLOSED
                    )
                    _start_mode(request=request, rules=rules, now=now)
                    moved += 1
        else:
            with transaction.atomic():
                before = request.status
                _to_advisor(request=request, reason="no_answer")
                moved += request.status != before
    return moved


def request_cancel(*, member: Member, request: SupportRequest) -> bool:
    """The family withdraws a request still looking for a supporter (a matched one is cancelled
    date by date, with the cancellation rules)."""
    with transaction.atomic():
        updated = SupportRequest.objects.filter(
            pk=request.pk,
            family=member,
            status__in=[SupportRequest.Status.OPEN, SupportRequest.Status.ADVISOR],
        ).update(status=SupportRequest.Status.CANCELLED)
        if updated:
            Offer.objects.filter(request=request, status=Offer.Status.OPEN).update(
                status=Offer.Status.CLOSED
            )
            audit(member.user, "familysupport.request.cancel", request)
    return bool(updated)


def request_reopen_for_date(*, activity: Activity, without: SupporterProfile) -> SupportRequest:
    """A supporter cancelled one date: matching starts again at once for that date, without them."""
    old = activity.request
    request = SupportRequest.objects.create(
        family=old.family,
        child=old.child,
        siblings=old.siblings,
        kind=old.kind,
        first_date=activity.date,
        starts=activity.starts,
        ends=activity.ends,
        place=old.place,
        pickup=old.pickup,
        notes=old.notes,
        mode=old.mode,
        fee_estimate=0,
    )
    Offer.objects.create(
        request=request, supporter=without, via=Offer.Via.BROADCAST, status=Offer.Status.DECLINED
    )
    _start_mode(request=request, rules=selectors.rules_get(), now=timezone.now())
    return request
