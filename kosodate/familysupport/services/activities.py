"""After the match: the first meeting (事前打ち合わせ) that must come before the first activity of a
pair, cancellation with the rules' charges, the supporter's report and its fee, the family's
confirmation or dispute, the advisor's settlement, payment recorded, reminders and the month's
close. State changes are compare-and-swap on the status."""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import fees, selectors, selectors_staff
from ..models import Activity, Meeting, MonthClose
from .common import audit, notify
from .matching import REMINDER_TIME, request_reopen_for_date, requests_advance_due


def _pair_meeting(activity: Activity) -> Meeting | None:
    return Meeting.objects.filter(
        family_id=activity.request.family_id, supporter_id=activity.supporter_id
    ).first()


def meeting_gate_open(activity: Activity) -> bool:
    meeting = _pair_meeting(activity)
    return meeting is not None and meeting.cleared


def _notify_pair(meeting: Meeting, kind: str, title, body) -> None:
    for user in (meeting.family.user, meeting.supporter.member.user):
        notify(user, kind, title, body, "familysupport:home")


def meeting_schedule(*, actor, meeting: Meeting, when: datetime, place: str, request=None) -> None:
    if meeting.cleared:
        raise ValidationError(_("This meeting is already done."))
    with transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(
            status=Meeting.Status.SCHEDULED,
            scheduled_at=when,
            place=place,
            updated_at=timezone.now(),
        )
        audit(
            actor, "familysupport.meeting.schedule", meeting, request=request, at=when.isoformat()
        )
        _notify_pair(
            meeting,
            "familysupport.meeting",
            _("Your first meeting (事前打ち合わせ) is arranged"),
            _("%(when)s at %(place)s, with the advisor and the child.")
            % {"when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M"), "place": place},
        )


def meeting_held(*, actor, meeting: Meeting, request=None) -> bool:
    with transaction.atomic():
        done = Meeting.objects.filter(pk=meeting.pk, status=Meeting.Status.SCHEDULED).update(
            status=Meeting.Status.HELD, updated_at=timezone.now()
        )
        if done:
            audit(actor, "familysupport.meeting.held", meeting, request=request)
            _notify_pair(
                meeting,
                "familysupport.meeting",
                _("Your first meeting was held"),
                _("Activities with this supporter can now take place."),
            )
    return bool(done)


def meeting_waive(*, actor, meeting: Meeting, reason: str, request=None) -> bool:
    """An urgent case: the centre lets activities start without the meeting, with a reason; the
    waiver is audited."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for waiving the meeting.")})
    with transaction.atomic():
        done = Meeting.objects.filter(
            pk=meeting.pk, status__in=[Meeting.Status.NEEDED, Meeting.Status.SCHEDULED]
        ).update(status=Meeting.Status.WAIVED, waiver_reason=reason, updated_at=timezone.now())
        if done:
            audit(actor, "familysupport.meeting.waive", meeting, request=request, reason=reason)
    return bool(done)


def activity_cancel(*, user, activity: Activity, side: str, today: date | None = None) -> int:
    """Cancel one date. The family pays what the rules say (free until the day before, then the
    rules' minutes of fee); a supporter's cancellation reopens matching for that date at once.
    Returns the charge in yen."""
    today = today or timezone.localdate()
    if activity.date < today:
        raise ValidationError(_("A past activity cannot be cancelled."))
    rules = selectors.rules_get()
    charge = 0
    if side == "family":
        charge = fees.cancellation_fee(
            rules,
            day=activity.date,
            starts=activity.starts,
            ends=activity.ends,
            children=1 + activity.request.siblings,
            today=today,
        )
    with transaction.atomic():
        if not Activity.objects.filter(pk=activity.pk, status=Activity.Status.CONFIRMED).update(
            status=Activity.Status.CANCELLED, cancelled_by=side, cancel_fee=charge
        ):
            raise ValidationError(_("This activity can no longer be cancelled."))
        audit(user, "familysupport.activity.cancel", activity, side=side, charge=charge)
        other = activity.supporter.member.user if side == "family" else activity.request.family.user
        notify(
            other,
            "familysupport.activity.cancelled",
            _("An activity on %(day)s was cancelled") % {"day": activity.date.isoformat()},
            _("Cancelled by the family.")
            if side == "family"
            else _("Cancelled by the supporter. The centre is looking for another supporter now."),
            "familysupport:activity_detail",
            activity.pk,
        )
        if side == "supporter":
            request_reopen_for_date(activity=activity, without=activity.supporter)
    return charge


GATE_CLOSED = _(
    "The first meeting (事前打ち合わせ) with this family has not been held yet, so no "
    "activity can take place. Next step: the centre's advisor arranges the meeting."
)


def activity_no_show(*, user, activity: Activity, now: datetime | None = None) -> int:
    """The family did not come and had not cancelled: the matched supporter records it once the
    activity's time has begun, and the family owes the rules' no-show charge (the full booked
    time by default, CentreRules.no_show_full). The family is told; it is audited. Returns the
    charge in yen."""
    now = now or timezone.now()
    if activity.supporter is None or activity.supporter.member.user_id != user.pk:
        raise ValidationError(_("Only the matched supporter records a no-show."))
    if not meeting_gate_open(activity):
        raise ValidationError(GATE_CLOSED)
    if selectors.local_datetime(activity.date, activity.starts) > now:
        raise ValidationError(_("A no-show is recorded once the activity's time has begun."))
    charge = fees.no_show_fee(
        selectors.rules_get(),
        day=activity.date,
        starts=activity.starts,
        ends=activity.ends,
        children=1 + activity.request.siblings,
    )
    with transaction.atomic():
        if not Activity.objects.filter(pk=activity.pk, status=Activity.Status.CONFIRMED).update(
            status=Activity.Status.CANCELLED, cancelled_by="no_show", cancel_fee=charge
        ):
            raise ValidationError(_("This activity is no longer waiting to take place."))
        audit(user, "familysupport.activity.no_show", activity, charge=charge)
        notify(
            activity.request.family.user,
            "familysupport.activity.no_show",
            _("Recorded as a no-show: %(day)s") % {"day": activity.date.isoformat()},
            _(
                "The supporter recorded that nobody came and the activity was not cancelled. "
                "No-show charge: %(fee)s yen. If this is wrong, contact the centre."
            )
            % {"fee": f"{charge:,}"},
            "familysupport:activity_detail",
            activity.pk,
        )
    return charge


def report_file(
    *,
    user,
    activity: Activity,
    actual_start: time,
    actual_end: time,
    done: str,
    transport: int = 0,
    notes: str = "",
    today: date | None = None,
) -> Activity:
    """The supporter's 活動報告, after the activity; the fee is computed from the centre's rules.
    Refused before the first meeting of the pair is held (or waived)."""
    today = today or timezone.localdate()
    if activity.supporter is None or activity.supporter.member.user_id != user.pk:
        raise ValidationError(_("Only the matched supporter files this report."))
    if not meeting_gate_open(activity):
        raise ValidationError(GATE_CLOSED)
    if activity.date > today:
        raise ValidationError(_("The report is filed after the activity."))
    if actual_end <= actual_start:
        raise ValidationError({"actual_end": _("The end must be after the start.")})
    rules = selectors.rules_get()
    fee = fees.care_fee(
        rules,
        day=activity.date,
        starts=actual_start,
        ends=actual_end,
        children=1 + activity.request.siblings,
    )
    with transaction.atomic():
        if not Activity.objects.filter(pk=activity.pk, status=Activity.Status.CONFIRMED).update(
            status=Activity.Status.REPORTED,
            actual_start=actual_start,
            actual_end=actual_end,
            done=done,
            transport=transport,
            report_notes=notes,
            fee=fee,
            reported_at=timezone.now(),
        ):
            raise ValidationError(_("A report has already been filed for this activity."))
        audit(user, "familysupport.report.file", activity, fee=fee)
        notify(
            activity.request.family.user,
            "familysupport.report",
            _("The activity report for %(day)s is ready") % {"day": activity.date.isoformat()},
            _(
                "Fee %(fee)s yen and transport %(transport)s yen. Please confirm it or tell us "
                "what is wrong."
            )
            % {"fee": f"{fee:,}", "transport": f"{transport:,}"},
            "familysupport:activity_detail",
            activity.pk,
        )
    activity.refresh_from_db()
    return activity


def report_confirm(*, user, activity: Activity) -> bool:
    with transaction.atomic():
        done = Activity.objects.filter(
            pk=activity.pk, status=Activity.Status.REPORTED, request__family__user=user
        ).update(status=Activity.Status.SETTLED, settled_at=timezone.now())
        if done:
            audit(user, "familysupport.report.confirm", activity)
            notify(
                activity.supporter.member.user,
                "familysupport.report.confirmed",
                _("The family confirmed your report"),
                str(activity),
                "familysupport:activity_detail",
                activity.pk,
            )
    return bool(done)


def report_dispute(*, user, activity: Activity, reason: str) -> bool:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Tell us what is wrong with the report.")})
    with transaction.atomic():
        done = Activity.objects.filter(
            pk=activity.pk, status=Activity.Status.REPORTED, request__family__user=user
        ).update(status=Activity.Status.DISPUTED, dispute_reason=reason[:300])
        if done:
            audit(user, "familysupport.report.dispute", activity, reason=reason[:300])
    return bool(done)


def dispute_settle(*, actor, activity: Activity, fee: int, note: str = "", request=None) -> bool:
    """The advisor settles a disputed report at the fee agreed with both members."""
    with transaction.atomic():
        done = Activity.objects.filter(pk=activity.pk, status=Activity.Status.DISPUTED).update(
            status=Activity.Status.SETTLED, fee=fee, settled_at=timezone.now()
        )
        if done:
            audit(
                actor, "familysupport.report.settle", activity, request=request, fee=fee, note=note
            )
            for user in (activity.request.family.user, activity.supporter.member.user):
                notify(
                    user,
                    "familysupport.report.settled",
                    _("The advisor settled a report"),
                    _("Fee: %(fee)s yen.") % {"fee": f"{fee:,}"},
                    "familysupport:activity_detail",
                    activity.pk,
                )
    return bool(done)


def payment_record(*, user, activity: Activity) -> bool:
    """The supporter records that the family paid (money passes between members directly): a
    settled activity's fee, or a cancellation or no-show charge."""
    with transaction.atomic():
        done = Activity.objects.filter(
            Q(status=Activity.Status.SETTLED)
            | Q(status=Activity.Status.CANCELLED, cancel_fee__gt=0),
            pk=activity.pk,
            paid_at__isnull=True,
            supporter__member__user=user,
        ).update(paid_at=timezone.now())
        if done:
            audit(user, "familysupport.payment.record", activity)
    return bool(done)


def month_close(*, actor, month: date, request=None) -> MonthClose:
    """Close a month: refused while an activity of it still waits for its report or settlement."""
    first, after = selectors_staff.month_bounds(month)
    if first >= timezone.localdate().replace(day=1):
        raise ValidationError(_("Only a month that has ended can be closed."))
    open_ = Activity.objects.filter(
        date__gte=first,
        date__lt=after,
        status__in=[Activity.Status.CONFIRMED, Activity.Status.REPORTED, "disputed"],
    ).count()
    if open_:
        raise ValidationError(
            _("%(n)s activities of this month are not settled yet.") % {"n": open_}
        )
    settled = Activity.objects.filter(date__gte=first, date__lt=after, status="settled")
    try:
        with transaction.atomic():
            close = MonthClose.objects.create(
                month=first,
                closed_by=actor,
                activities=settled.count(),
                total_fee=sum(settled.values_list("fee", flat=True)),
            )
            audit(
                actor, "familysupport.month.close", close, request=request, month=first.isoformat()
            )
    except IntegrityError:
        raise ValidationError(_("This month is already closed.")) from None
    for profile_user in {
        a.supporter.member.user for a in settled.select_related("supporter__member__user")
    }:
        notify(
            profile_user,
            "familysupport.statement",
            _("Your monthly statement is ready"),
            first.strftime("%Y-%m"),
            "familysupport:statement",
        )
    return close


def reminders_send(*, now: datetime | None = None) -> int:
    """Remind both sides the day before each confirmed activity (once: compare-and-swap)."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    sent = 0
    for activity in selectors.activities_due_reminder(day=tomorrow):
        with transaction.atomic():
            if not Activity.objects.filter(pk=activity.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            for user in (activity.request.family.user, activity.supporter.member.user):
                notify(
                    user,
                    "familysupport.reminder",
                    _("Tomorrow: family support %(time)s") % {"time": str(activity)},
                    "",
                    "familysupport:activity_detail",
                    activity.pk,
                )
            sent += 1
    return sent


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The cron safety net of the scheduled tasks (manage.py familysupport_sweep): requests past
    their deadline move on, and from REMINDER_TIME on, tomorrow's activities not yet reminded are.
    Each step is a compare-and-swap: running it again, or in several places at once, does nothing
    twice."""
    now = now or timezone.now()
    moved = requests_advance_due(now=now)
    reminded = 0
    if timezone.localtime(now).time() >= REMINDER_TIME:
        reminded = reminders_send(now=now)
    return {"moved": moved, "reminded": reminded}
