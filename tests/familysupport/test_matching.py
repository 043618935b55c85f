"""Requests and matching through the services: broadcast with one winner, the known supporter
first, the deadline's fallback to the advisor, search with a tampered id, the advisor's ranked
candidates, and the bad input of issue 14 item 14 (nothing half-saved)."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kosodate.core.models import Notification
from kosodate.familysupport import selectors, selectors_staff
from kosodate.familysupport.models import (
    Activity,
    Meeting,
    Member,
    Offer,
    SupportRequest,
)
from kosodate.familysupport.services import matching

from . import support

pytestmark = pytest.mark.django_db


def test_broadcast_reaches_every_fitting_supporter_and_one_wins(rules):
    family = support.family_member()
    near = [support.supporter() for _ in range(3)]
    support.supporter(where=support.district("遠い町", 9, 9))  # out of reach
    support.supporter(hours=(time(7), time(12)))  # not free in the afternoon
    request = support.send_request(family)
    assert request.status == "open" and request.fee_estimate == 1400
    assert set(request.offers.values_list("supporter", flat=True)) == {p.pk for p in near}
    first, second = (request.offers.get(supporter=p) for p in near[:2])
    assert matching.offer_accept(profile=near[0], offer_id=first.pk) is True
    assert matching.offer_accept(profile=near[1], offer_id=second.pk) is False
    request.refresh_from_db()
    assert request.status == "matched" and request.supporter == near[0]
    assert Activity.objects.filter(request=request, supporter=near[0]).count() == 1
    assert set(request.offers.values_list("status", flat=True)) == {"accepted", "taken"}
    assert Notification.objects.filter(user=near[2].member.user, kind="familysupport.offer.taken")
    assert Meeting.objects.get(family=family, supporter=near[0]).status == "needed"


def test_recurring_request_makes_an_activity_per_date(rules):
    family = support.family_member()
    profile = support.supporter()
    first = support.next_weekday(1)
    request = support.send_request(
        family, first_date=first, weekdays=[1, 3], until=first + timedelta(days=13)
    )
    assert matching.offer_accept(profile=profile, offer_id=request.offers.get().pk)
    dates = list(Activity.objects.filter(request=request).values_list("date", flat=True))
    assert [d.weekday() for d in dates] == [1, 3, 1, 3]


def test_known_supporter_is_asked_first_then_the_broadcast(rules):
    family = support.family_member()
    known, other = support.supporter(), support.supporter()
    support.matched(member=family, profile=known)
    request = support.send_request(family, first_date=support.next_weekday(3, after_days=9))
    assert request.stage == "known"
    assert list(request.offers.values_list("supporter", flat=True)) == [known.pk]
    assert matching.requests_advance_due(now=request.respond_by + timedelta(seconds=1)) == 1
    request.refresh_from_db()
    assert request.stage == "mode"
    assert set(request.offers.filter(status="open").values_list("supporter", flat=True)) == {
        other.pk
    }


def test_nobody_accepts_in_time_the_advisor_takes_over(rules, advisor):
    family = support.family_member()
    support.supporter()
    request = support.send_request(family)
    assert matching.requests_advance_due(now=timezone.now()) == 0
    assert matching.requests_advance_due(now=request.respond_by) == 1
    request.refresh_from_db()
    assert (request.status, request.unfilled_reason) == ("advisor", "no_answer")
    assert not request.offers.filter(status="open").exists()
    assert Notification.objects.filter(user=advisor, kind="familysupport.queue").exists()
    assert list(selectors_staff.advisor_queue()) == [request]


def test_no_fitting_supporter_goes_straight_to_the_advisor(rules, advisor):
    request = support.send_request(support.family_member())
    assert (request.status, request.unfilled_reason) == ("advisor", "no_fitting")


def test_advisor_ranks_candidates_and_proposes_one(rules, advisor):
    support.centre(matching_mode="advisor")
    family = support.family_member()
    far = support.supporter(where=support.district("隣の学区", 1, 1))
    near_busy = support.supporter()
    near_free = support.supporter()
    support.matched(member=support.family_member(), profile=near_busy)
    # Busier this month, but not at the request's time (that would rule them out).
    Activity.objects.filter(supporter=near_busy).update(starts=time(9), ends=time(10))
    request = support.send_request(family)
    assert request.status == "advisor"
    ranked = selectors.candidates_ranked(request=request)
    assert [p.pk for p in ranked] == [near_free.pk, near_busy.pk, far.pk]
    assert [p.distance for p in ranked] == [0, 0, 2]
    offer = matching.advisor_propose(actor=advisor, request=request, supporter_id=near_free.pk)
    assert matching.offer_accept(profile=near_free, offer_id=offer.pk)


def test_advisor_cannot_propose_a_supporter_who_does_not_fit(rules, advisor):
    support.centre(matching_mode="advisor")
    request = support.send_request(support.family_member())
    outsider = support.supporter(where=support.district("遠い町", 9, 9))
    with pytest.raises(ValidationError):
        matching.advisor_propose(actor=advisor, request=request, supporter_id=outsider.pk)
    assert not Offer.objects.exists()


def test_search_mode_asks_only_fitting_supporters(rules):
    support.centre(matching_mode="search")
    family = support.family_member()
    fits = support.supporter()
    outsider = support.supporter(where=support.district("遠い町", 9, 9))
    request = support.send_request(family)
    assert not request.offers.exists()
    with pytest.raises(ValidationError) as caught:
        matching.request_ask(member=family, request=request, supporter_ids=[fits.pk, outsider.pk])
    assert "supporters" in caught.value.message_dict
    assert not request.offers.exists()  # nothing half-sent
    assert matching.request_ask(member=family, request=request, supporter_ids=[fits.pk]) == 1


def test_declining_every_broadcast_offer_goes_to_the_advisor(rules, advisor):
    family = support.family_member()
    profile = support.supporter()
    request = support.send_request(family)
    assert matching.offer_decline(profile=profile, offer_id=request.offers.get().pk)
    request.refresh_from_db()
    assert (request.status, request.unfilled_reason) == ("advisor", "all_declined")


def test_accepting_an_offer_made_to_another_supporter_is_refused(rules):
    family = support.family_member()
    offered = support.supporter()
    request = support.send_request(family)
    outsider = support.supporter(where=support.district("遠い町", 9, 9))
    with pytest.raises(ValidationError):
        matching.offer_accept(profile=outsider, offer_id=request.offers.get(supporter=offered).pk)
    request.refresh_from_db()
    assert request.status == "open" and request.supporter is None


# --- Bad input (item 14): a clear message, nothing half-saved -------------------------------------
@pytest.mark.parametrize(
    ("months", "field"),
    [(5, "child"), (13 * 12, "child")],
    ids=["under-6-months", "past-primary-school"],
)
def test_child_outside_the_ages_is_refused(rules, months, field):
    family = support.family_member(months=months)
    with pytest.raises(ValidationError) as caught:
        support.send_request(family)
    assert field in caught.value.message_dict
    assert "6" in caught.value.message_dict[field][0]
    assert not SupportRequest.objects.exists()


@pytest.mark.parametrize(
    ("starts", "ends", "field"),
    [
        (time(6, 30), time(8, 0), "starts"),
        (time(21, 0), time(22, 30), "starts"),
        (time(17, 0), time(15, 0), "ends"),
    ],
    ids=["before-7", "after-22", "end-before-start"],
)
def test_times_outside_hours_or_reversed_are_refused(rules, starts, ends, field):
    family = support.family_member()
    with pytest.raises(ValidationError) as caught:
        support.send_request(family, starts=starts, ends=ends)
    assert field in caught.value.message_dict
    assert not SupportRequest.objects.exists()


def test_recurrence_past_the_membership_end_is_refused(rules):
    family = support.family_member()
    first = support.next_weekday()
    with pytest.raises(ValidationError) as caught:
        support.send_request(
            family, first_date=first, weekdays=[1], until=family.valid_until + timedelta(days=7)
        )
    assert "until" in caught.value.message_dict
    assert not SupportRequest.objects.exists()


def test_another_households_child_is_refused(rules):
    family, other = support.family_member(), support.family_member()
    with pytest.raises(ValidationError) as caught:
        support.send_request(family, child=other.user.household.children.first())
    assert "child" in caught.value.message_dict
    assert not SupportRequest.objects.exists()


def test_unconfirmed_member_cannot_request(rules):
    family = support.family_member(status=Member.Status.APPLIED)
    with pytest.raises(ValidationError):
        support.send_request(family)
    assert not SupportRequest.objects.exists()


def test_the_day_before_both_sides_are_reminded_once(rules):
    from kosodate.familysupport.services import activities

    request, activity = support.matched()
    the_day_before = timezone.make_aware(
        timezone.datetime.combine(activity.date - timedelta(days=1), time(9))
    )
    assert activities.reminders_send(now=the_day_before - timedelta(days=1)) == 0
    assert activities.reminders_send(now=the_day_before) == 1
    assert activities.reminders_send(now=the_day_before) == 0
    reminded = Notification.objects.filter(kind="familysupport.reminder")
    assert {n.user_id for n in reminded} == {
        request.family.user_id,
        activity.supporter.member.user_id,
    }


# --- One supporter, one place at a time (no overlapping activities) ------------------------------
def test_a_supporter_cannot_accept_an_overlapping_activity(rules):
    profile = support.supporter()
    # Both offered while the supporter was free; then they take the first (15:00–17:00).
    first = support.send_request(support.family_member())
    overlapping = support.send_request(
        support.family_member(), first_date=first.first_date, starts=time(16), ends=time(18)
    )
    assert matching.offer_accept(profile=profile, offer_id=first.offers.get(supporter=profile).pk)
    offer = overlapping.offers.get(supporter=profile)
    with pytest.raises(ValidationError) as caught:
        matching.offer_accept(profile=profile, offer_id=offer.pk)
    assert caught.value.code == "overlap"
    assert "15:00" in caught.value.messages[0] and "17:00" in caught.value.messages[0]
    overlapping.refresh_from_db()
    offer.refresh_from_db()
    assert (overlapping.status, overlapping.supporter, offer.status) == ("open", None, "open")
    assert not Activity.objects.filter(request=overlapping).exists()
    # Back to back is not an overlap.
    after = support.send_request(
        support.family_member(), first_date=first.first_date, starts=time(17), ends=time(18)
    )
    assert matching.offer_accept(profile=profile, offer_id=after.offers.get(supporter=profile).pk)


def test_one_overlapping_date_of_a_repeat_refuses_the_whole_repeat(rules):
    profile = support.supporter()
    first = support.next_weekday(1)
    repeat = support.send_request(
        support.family_member(),
        first_date=first,
        weekdays=[1],
        until=first + timedelta(days=14),
        starts=time(16, 30),
        ends=time(18, 0),
    )
    _single, activity = support.matched(profile=profile, day=first + timedelta(days=7))
    with pytest.raises(ValidationError) as caught:
        matching.offer_accept(profile=profile, offer_id=repeat.offers.get(supporter=profile).pk)
    assert activity.date.isoformat() in caught.value.messages[0]
    assert not Activity.objects.filter(request=repeat).exists()


def test_a_supporter_busy_at_that_time_is_not_asked(rules):
    busy, free = support.supporter(), support.supporter()
    tuesday = support.next_weekday(1)
    _matched, activity = support.matched(profile=busy, day=tuesday + timedelta(days=7))
    single = support.send_request(
        support.family_member(), first_date=activity.date, starts=time(16), ends=time(18)
    )
    assert list(single.offers.values_list("supporter", flat=True)) == [free.pk]

    def repeat(weekday: int):
        first = support.next_weekday(weekday)
        return support.send_request(
            support.family_member(),
            first_date=first,
            weekdays=[weekday],
            until=first + timedelta(days=14),
            starts=time(16),
            ends=time(18),
        )

    # Every Tuesday for three weeks: the middle one is taken.
    assert list(repeat(1).offers.values_list("supporter", flat=True)) == [free.pk]
    # Every Thursday over the same weeks: free.
    assert set(repeat(3).offers.values_list("supporter", flat=True)) == {busy.pk, free.pk}
    later = support.send_request(
        support.family_member(), first_date=activity.date, starts=time(17), ends=time(18)
    )
    assert set(later.offers.values_list("supporter", flat=True)) == {busy.pk, free.pk}


def test_a_cancelled_activity_no_longer_blocks_the_time(rules):
    from kosodate.familysupport.services import activities

    profile = support.supporter()
    _first, activity = support.matched(profile=profile)
    activities.activity_cancel(user=profile.member.user, activity=activity, side="supporter")
    again = support.send_request(support.family_member(), first_date=activity.date)
    offer = again.offers.get(supporter=profile)
    assert matching.offer_accept(profile=profile, offer_id=offer.pk)
