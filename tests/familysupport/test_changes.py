"""Every change to a confirmed activity tells the other party and is audited (issue 14, item 6:
"notify on every change"): the centre changing its date, times or place, the centre giving it to
another supporter, and a cancellation by either side. Each is a notification on the person's
page and an email through the outbox, and an audit entry written by the service."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kosodate.core.models import AuditLog, Notification, OutboundMessage
from kosodate.familysupport.models import Activity, Meeting
from kosodate.familysupport.services import activities, changes

from . import support

pytestmark = pytest.mark.django_db


def _told(user, kind="familysupport.activity.changed") -> bool:
    """A notification of `kind` on the person's page and an email to them in the outbox."""
    return (
        Notification.objects.filter(user=user, kind=kind).exists()
        and OutboundMessage.objects.filter(
            recipient=user.email, kind=kind, channel="email"
        ).exists()
    )


def _nothing_told():
    return not Notification.objects.filter(kind="familysupport.activity.changed").exists()


def test_the_centre_changes_the_time_and_place_and_both_are_told(rules, advisor):
    request, activity = support.matched()
    family, supporter = request.family.user, activity.supporter.member.user
    later = activity.date + timedelta(days=1)
    Activity.objects.filter(pk=activity.pk).update(reminded_at=activity.request.created_at)
    changed = changes.activity_change(
        actor=advisor,
        activity=activity,
        day=later,
        starts=time(16),
        ends=time(18),
        place="こもれび児童館",
    )
    assert (changed.date, changed.starts, changed.ends, changed.where) == (
        later,
        time(16),
        time(18),
        "こもれび児童館",
    )
    assert changed.reminded_at is None  # a new day: reminded again the day before it
    assert _told(family) and _told(supporter)
    body = Notification.objects.filter(user=family, kind="familysupport.activity.changed").get()
    assert "16:00" in body.body and "こもれび児童館" in body.body
    entry = AuditLog.objects.get(action="familysupport.activity.change")
    assert entry.actor == advisor and entry.subject_user == family
    assert (
        entry.detail["before"]["starts"] == "15:00" and entry.detail["after"]["starts"] == "16:00"
    )
    assert entry.detail["after"]["place"] == "こもれび児童館"


@pytest.mark.parametrize(
    ("changes_", "field"),
    [
        ({"day": -3}, "day"),
        ({"starts": time(6), "ends": time(8)}, "starts"),
        ({"starts": time(18), "ends": time(17)}, "ends"),
        ({"place": "  "}, "place"),
    ],
    ids=["past", "before-opening", "end-before-start", "no-place"],
)
def test_a_bad_change_is_explained_and_nothing_changes(rules, advisor, changes_, field):
    _request, activity = support.matched()
    fields = {"day": activity.date, "starts": time(15), "ends": time(17), "place": "児童館"}
    fields.update(changes_)
    if isinstance(fields["day"], int):
        fields["day"] = timezone.localdate() + timedelta(days=fields["day"])
    with pytest.raises(ValidationError) as caught:
        changes.activity_change(actor=advisor, activity=activity, **fields)
    assert field in caught.value.message_dict
    assert Activity.objects.get(pk=activity.pk).place == ""
    assert _nothing_told()
    assert not AuditLog.objects.filter(action="familysupport.activity.change").exists()


def test_a_change_onto_the_supporters_other_activity_is_refused(rules, advisor):
    profile = support.supporter()
    _one, first = support.matched(profile=profile)
    _two, second = support.matched(profile=profile, day=first.date + timedelta(days=1))
    with pytest.raises(ValidationError) as caught:
        changes.activity_change(
            actor=advisor,
            activity=second,
            day=first.date,
            starts=time(16),
            ends=time(18),
            place=second.where,
        )
    assert caught.value.code == "overlap" and "15:00" in caught.value.messages[0]
    assert Activity.objects.get(pk=second.pk).date == first.date + timedelta(days=1)
    assert _nothing_told()


def test_the_centre_gives_the_activity_to_another_supporter(client, rules, advisor):
    request, activity = support.matched()
    leaving = activity.supporter
    coming = support.supporter(name="ひまわり")
    changed = changes.activity_supporter_change(
        actor=advisor, activity=activity, supporter_id=coming.pk
    )
    assert changed.supporter == coming
    for user in (request.family.user, leaving.member.user, coming.member.user):
        assert _told(user)
    # A new pair: their first meeting comes before the activity.
    assert Meeting.objects.get(family=request.family, supporter=coming).status == "needed"
    assert not activities.meeting_gate_open(changed)
    entry = AuditLog.objects.get(action="familysupport.activity.supporter")
    assert (entry.detail["before"], entry.detail["after"]) == (leaving.pk, coming.pk)
    # The supporter who left no longer opens the activity (nor the family's address).
    client.force_login(leaving.member.user)
    page = reverse("familysupport:activity_detail", args=[activity.pk])
    assert client.get(page).status_code == 404
    client.force_login(coming.member.user)
    assert client.get(page).status_code == 200


def test_another_supporter_who_is_busy_then_or_does_not_fit_is_refused(rules, advisor):
    _request, activity = support.matched()
    busy = support.supporter()
    support.matched(profile=busy, day=activity.date)  # 15:00–17:00 that day too
    far = support.supporter(where=support.district("遠い町", 9, 9))
    with pytest.raises(ValidationError) as caught:
        changes.activity_supporter_change(actor=advisor, activity=activity, supporter_id=busy.pk)
    assert "supporter" in caught.value.message_dict  # busy then: not among those shown
    with pytest.raises(ValidationError) as caught:
        changes.activity_supporter_change(actor=advisor, activity=activity, supporter_id=far.pk)
    assert "supporter" in caught.value.message_dict
    assert Activity.objects.get(pk=activity.pk).supporter == activity.supporter
    assert _nothing_told()


@pytest.mark.parametrize("side", ["family", "supporter"])
def test_a_cancellation_by_either_side_tells_the_other_and_is_audited(rules, side):
    request, activity = support.matched(day=support.next_weekday(3, after_days=9))
    family, supporter = request.family.user, activity.supporter.member.user
    by, other = (family, supporter) if side == "family" else (supporter, family)
    activities.activity_cancel(user=by, activity=activity, side=side)
    assert _told(other, "familysupport.activity.cancelled")
    assert not Notification.objects.filter(user=by, kind="familysupport.activity.cancelled")
    entry = AuditLog.objects.get(action="familysupport.activity.cancel")
    assert entry.actor == by and entry.detail["side"] == side


def test_the_advisor_changes_an_activity_through_the_page(client, rules, advisor):
    _request, activity = support.matched()
    client.force_login(advisor)
    page = reverse("familysupport_staff:activity", args=[activity.pk])
    assert "こもれび保育園" in client.get(page).content.decode()
    bad = client.post(
        page,
        {"day": activity.date.isoformat(), "starts": "18:00", "ends": "17:00", "place": "児童館"},
    )
    assert bad.status_code == 400 and "終了" in bad.content.decode()
    response = client.post(
        page,
        {"day": activity.date.isoformat(), "starts": "15:30", "ends": "17:30", "place": "児童館"},
        follow=True,
    )
    assert "両会員に知らせました" in response.content.decode()
    assert Activity.objects.get(pk=activity.pk).starts == time(15, 30)
    coming = support.supporter()
    response = client.post(
        reverse("familysupport_staff:activity_supporter", args=[activity.pk]),
        {"supporter": coming.pk},
        follow=True,
    )
    assert "関係する全員に知らせました" in response.content.decode()
    assert Activity.objects.get(pk=activity.pk).supporter == coming


# --- A no-show (issue 14 item 7: "the full booked time for a no-show") ----------------------------
def _begun(activity):
    from kosodate.familysupport.selectors import local_datetime

    return local_datetime(activity.date, activity.starts) + timedelta(minutes=20)


def test_a_no_show_charges_the_full_booked_time_and_tells_the_family(rules):
    request, activity = support.matched()
    supporter = activity.supporter.member.user
    with pytest.raises(ValidationError):  # not before its time has begun
        activities.activity_no_show(user=supporter, activity=activity)
    charge = activities.activity_no_show(user=supporter, activity=activity, now=_begun(activity))
    assert charge == 1400  # 15:00–17:00 on a weekday, 700 yen an hour
    activity.refresh_from_db()
    assert (activity.status, activity.cancelled_by, activity.cancel_fee) == (
        "cancelled",
        "no_show",
        1400,
    )
    assert _told(request.family.user, "familysupport.activity.no_show")
    entry = AuditLog.objects.get(action="familysupport.activity.no_show")
    assert entry.actor == supporter and entry.detail["charge"] == 1400
    # Recorded once; the charge can then be recorded as paid.
    with pytest.raises(ValidationError):
        activities.activity_no_show(user=supporter, activity=activity, now=_begun(activity))
    assert activities.payment_record(user=supporter, activity=activity)


def test_no_charge_for_a_no_show_when_the_rules_say_so(rules):
    support.centre(no_show_full=False)
    _request, activity = support.matched()
    supporter = activity.supporter.member.user
    assert activities.activity_no_show(user=supporter, activity=activity, now=_begun(activity)) == 0


def test_only_the_matched_supporter_after_the_meeting_records_a_no_show(rules):
    request, activity = support.matched(meeting_status=Meeting.Status.NEEDED)
    with pytest.raises(ValidationError):
        activities.activity_no_show(
            user=activity.supporter.member.user, activity=activity, now=_begun(activity)
        )
    with pytest.raises(ValidationError):
        activities.activity_no_show(
            user=request.family.user, activity=activity, now=_begun(activity)
        )
    assert Activity.objects.get(pk=activity.pk).status == "confirmed"


def test_the_supporter_records_a_no_show_on_the_page(client, rules):
    _request, activity = support.matched()
    Activity.objects.filter(pk=activity.pk).update(date=timezone.localdate() - timedelta(days=1))
    client.force_login(activity.supporter.member.user)
    page = reverse("familysupport:activity_detail", args=[activity.pk])
    assert reverse("familysupport:no_show", args=[activity.pk]) in client.get(page).content.decode()
    response = client.post(reverse("familysupport:no_show", args=[activity.pk]), follow=True)
    body = response.content.decode()
    assert "無断欠席として記録し" in body and "無断欠席の料金" in body
    assert Activity.objects.get(pk=activity.pk).cancelled_by == "no_show"
