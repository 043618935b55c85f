"""Changes the centre makes to a confirmed activity (date, times, place; another supporter).
Every change tells the members concerned (in-app and by email, core's notification and outbox)
and is audited from here with what it was and what it became. A cancellation, by either side, is
activities.activity_cancel: it tells the other side and is audited the same way."""

from datetime import date, time

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosodate.core.capacity import capacity_locked

from .. import selectors
from ..models import Activity, Meeting, SupporterProfile, SupportRequest
from .common import audit, notify
from .matching import _schedule_reminders, clash_refuse, hours_check


def _describe(activity: Activity) -> dict[str, str]:
    return {
        "date": activity.date.isoformat(),
        "starts": activity.starts.strftime("%H:%M"),
        "ends": activity.ends.strftime("%H:%M"),
        "place": activity.where,
    }


def activity_change(
    *,
    actor,
    activity: Activity,
    day: date,
    starts: time,
    ends: time,
    place: str,
    request=None,
    today: date | None = None,
) -> Activity:
    """The centre changes a confirmed activity's date, times or place (as agreed with both
    members). Checked like a request (the centre's hours, the end after the start, not in the
    past, the child's ages), and refused when the supporter has another activity at the new time
    (under the supporter's row lock, as an accept). Both members are told; the change is audited
    with the before and after."""
    today = today or timezone.localdate()
    rules = selectors.rules_get()
    place = " ".join(place.split())
    errors: dict[str, list] = {}
    if day < today:
        errors.setdefault("day", []).append(_("The date has passed."))
    hours_check(errors, starts=starts, ends=ends, rules=rules)
    if not place:
        errors.setdefault("place", []).append(_("Enter the place of care."))
    child = activity.request.child
    if not errors.get("day") and not selectors.child_eligible(
        birth=child.birth_date, on=day, rules=rules
    ):
        errors.setdefault("day", []).append(
            _("%(name)s is outside family support's ages on %(day)s.")
            % {"name": child.first_name, "day": day.isoformat()}
        )
    if errors:
        raise ValidationError(errors)
    before = _describe(activity)
    after = {
        "date": day.isoformat(),
        "starts": starts.strftime("%H:%M"),
        "ends": ends.strftime("%H:%M"),
        "place": place,
    }
    if before == after:
        raise ValidationError(_("Nothing was changed."))
    with capacity_locked(
        SupportRequest.objects.filter(pk=activity.request_id),
        SupporterProfile.objects.filter(pk=activity.supporter_id),
    ):
        clash_refuse(
            supporter_id=activity.supporter_id,
            dates=[day],
            starts=starts,
            ends=ends,
            for_staff=True,
            exclude_pk=activity.pk,
        )
        if (
            Activity.objects.filter(request_id=activity.request_id, date=day)
            .exclude(pk=activity.pk)
            .exists()
        ):
            raise ValidationError({"day": _("This request already has an activity on that day.")})
        fields = {
            "date": day,
            "starts": starts,
            "ends": ends,
            "place": "" if place == activity.request.place else place,
        }
        if day != activity.date:
            fields["reminded_at"] = None
        if not Activity.objects.filter(pk=activity.pk, status=Activity.Status.CONFIRMED).update(
            **fields
        ):
            raise ValidationError(_("Only a confirmed activity can be changed."))
        audit(
            actor,
            "familysupport.activity.change",
            activity,
            subject=activity.request.family.user,
            request=request,
            before=before,
            after=after,
        )
        body = _("Now: %(date)s %(starts)s–%(ends)s at %(place)s (before: %(was)s).") % {
            **after,
            "was": "{date} {starts}–{ends} {place}".format(**before),
        }
        for user in (activity.request.family.user, activity.supporter.member.user):
            notify(
                user,
                "familysupport.activity.changed",
                _("An activity on %(day)s was changed") % {"day": before["date"]},
                body,
                "familysupport:activity_detail",
                activity.pk,
            )
        if day != activity.date:
            _schedule_reminders([day])
    activity.refresh_from_db()
    return activity


def activity_supporter_change(
    *, actor, activity: Activity, supporter_id: int, request=None
) -> Activity:
    """The centre gives a confirmed activity to another supporter who fits the request (the first
    one cannot come). Refused if the new supporter has another activity at that time (under their
    row lock). The pair's first meeting is needed as for any new pair. The family, the supporter
    who leaves and the one who comes are told; the change is audited."""
    if activity.status != Activity.Status.CONFIRMED:
        raise ValidationError(_("Only a confirmed activity can be changed."))
    profile = (
        selectors.supporters_fitting(request=activity.request)
        .filter(pk=supporter_id)
        .exclude(pk=activity.supporter_id)
        .select_related("member__user")
        .first()
    )
    if profile is None:
        raise ValidationError({"supporter": _("Choose one of the supporters shown.")})
    leaving = activity.supporter
    with capacity_locked(
        SupportRequest.objects.filter(pk=activity.request_id),
        SupporterProfile.objects.filter(pk=profile.pk),
    ):
        clash_refuse(
            supporter_id=profile.pk,
            dates=[activity.date],
            starts=activity.starts,
            ends=activity.ends,
            for_staff=True,
        )
        if not Activity.objects.filter(
            pk=activity.pk, status=Activity.Status.CONFIRMED, supporter=leaving
        ).update(supporter=profile, reminded_at=None):
            raise ValidationError(_("Only a confirmed activity can be changed."))
        meeting, _created = Meeting.objects.get_or_create(
            family=activity.request.family, supporter=profile
        )
        audit(
            actor,
            "familysupport.activity.supporter",
            activity,
            subject=activity.request.family.user,
            request=request,
            before=leaving.pk,
            after=profile.pk,
        )
        day = {"day": activity.date.isoformat()}
        next_step = (
            ""
            if meeting.cleared
            else " "
            + str(
                _("The centre's advisor will arrange a first meeting (事前打ち合わせ) before it.")
            )
        )
        notify(
            activity.request.family.user,
            "familysupport.activity.changed",
            _("The supporter for %(day)s changed") % day,
            str(_("%(name)s will help you.") % {"name": profile.display_name}) + next_step,
            "familysupport:activity_detail",
            activity.pk,
        )
        notify(
            leaving.member.user,
            "familysupport.activity.changed",
            _("The activity on %(day)s is no longer yours") % day,
            _("The centre gave it to another supporter. Thank you."),
            "familysupport:home",
        )
        notify(
            profile.member.user,
            "familysupport.activity.changed",
            _("You have a new activity on %(day)s") % day,
            str(activity) + next_step,
            "familysupport:activity_detail",
            activity.pk,
        )
    activity.refresh_from_db()
    return activity
