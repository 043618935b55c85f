"""Waitlist promotion (offer to one family, deadline, expiry passes on) and the lottery (drawn
once, reproducible from the stored seed, everyone told)."""

import random
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kosodate.core.models import AuditLog, Notification, OutboundMessage
from kosodate.events import services, services_scheduled, services_staff
from kosodate.events.models import Application, Event
from tests.worker import run_worker

from .factories import EventFactory
from .test_resident import _apply

pytestmark = pytest.mark.django_db


def _status(user):
    return Application.objects.filter(household=user.household).latest("pk").status


def test_when_the_event_starts_whoever_still_waits_is_told_once(client, make_family):
    event = EventFactory(capacity=1, offer_hours=48)
    first, second, third = make_family(), make_family(), make_family()
    for family in (first, second, third):
        _apply(client, family, event)
    services.application_cancel(
        application=Application.objects.get(household=first.household), user=first
    )
    assert _status(second) == Application.Status.OFFERED
    with time_machine.travel(event.starts_at + timedelta(minutes=1)):
        call_command("events_expire_offers", stdout=StringIO())
        call_command("events_expire_offers", stdout=StringIO())  # a second run tells nobody
    # The offer had lapsed (and could no longer pass on); the family still waiting did not get in.
    assert _status(second) == Application.Status.CANCELLED
    assert _status(third) == Application.Status.NOT_SELECTED
    told = OutboundMessage.objects.filter(kind="events.not_selected", channel="email")
    assert list(told.values_list("user", flat=True)) == [third.pk]
    assert Notification.objects.filter(user=third, kind="events.not_selected").count() == 1


def test_cancellation_offers_the_place_to_exactly_one_family(client, make_family):
    event = EventFactory(capacity=1, offer_hours=48)
    first, second, third = make_family(), make_family(), make_family()
    for family in (first, second, third):
        _apply(client, family, event)
    client.force_login(first)
    application = Application.objects.get(household=first.household)
    client.post(reverse("events:application_cancel", args=[application.pk]))
    assert _status(second) == Application.Status.OFFERED
    assert _status(third) == Application.Status.WAITLISTED
    offered = Application.objects.get(household=second.household)
    # 48 hours, shortened so the offer ends 3 hours before the event at the latest.
    assert offered.offer_expires_at <= event.starts_at - timedelta(hours=3)
    assert Notification.objects.filter(user=second, kind="events.offered").count() == 1

    client.force_login(second)
    page = client.get(reverse("events:application_detail", args=[offered.pk]))
    assert "Confirm" in page.text or "確定" in page.text
    client.post(reverse("events:offer_accept", args=[offered.pk]))
    assert _status(second) == Application.Status.CONFIRMED
    # Taking it again changes nothing.
    response = client.post(reverse("events:offer_accept", args=[offered.pk]), follow=True)
    assert response.status_code == 200


def test_unconfirmed_offer_passes_to_the_next_family(client, make_family):
    event = EventFactory(capacity=1, offer_hours=2)
    first, second, third = make_family(), make_family(), make_family()
    for family in (first, second, third):
        _apply(client, family, event)
    services.application_cancel(
        application=Application.objects.get(household=first.household), user=first
    )
    assert _status(second) == Application.Status.OFFERED
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        call_command("events_expire_offers", stdout=StringIO())
        call_command("events_expire_offers", stdout=StringIO())  # a second run: nothing more
        assert _status(second) == Application.Status.CANCELLED
        assert _status(third) == Application.Status.OFFERED
        # Too late to take the expired offer.
        offered = Application.objects.get(household=second.household)
        assert not services.application_offer_accept(application=offered, user=second)
    assert Notification.objects.filter(user=second, kind="events.offer_expired").count() == 1
    assert Notification.objects.filter(user=third, kind="events.offered").count() == 1


def test_more_places_after_an_edit_are_offered(client, make_family, municipal_staff):
    event = EventFactory(capacity=1)
    first, second = make_family(), make_family()
    _apply(client, first, event)
    _apply(client, second, event)
    services_staff.event_update(event=event, actor=municipal_staff, capacity=2)
    assert _status(second) == Application.Status.OFFERED


def test_waitlist_closes_when_the_event_starts(client, make_family):
    event = EventFactory(capacity=1)
    first, second = make_family(), make_family()
    _apply(client, first, event)
    _apply(client, second, event)
    with time_machine.travel(event.starts_at + timedelta(minutes=1)):
        call_command("events_expire_offers", stdout=StringIO())
    assert _status(second) == Application.Status.NOT_SELECTED
    assert _status(first) == Application.Status.CONFIRMED


def _lottery_event(**kwargs):
    now = timezone.now()
    return EventFactory(
        mode=Event.Mode.LOTTERY,
        applications_open_at=now - timedelta(days=1),
        applications_close_at=now + timedelta(hours=1),
        **kwargs,
    )


def test_lottery_draw_once_reproducible_everyone_told(client, make_family):
    event = _lottery_event(capacity=2)
    families = [make_family() for _ in range(5)]
    for family in families:
        _apply(client, family, event)
        assert _status(family) == Application.Status.DRAW_PENDING
    # Before the window closes, nothing is drawn.
    assert services_scheduled.lotteries_run_due() == 0
    with time_machine.travel(event.applications_close_at + timedelta(seconds=1)):
        call_command("events_run_due_draws", stdout=StringIO())
        call_command("events_run_due_draws", stdout=StringIO())
    event.refresh_from_db()
    assert event.drawn_at is not None and len(event.draw_seed) == 32
    ids = sorted(Application.objects.filter(event=event).values_list("pk", flat=True))
    expected = list(ids)
    random.Random(event.draw_seed).shuffle(expected)
    assert event.draw_order == expected
    winners = expected[:2]
    for position, pk in enumerate(expected):
        application = Application.objects.get(pk=pk)
        if pk in winners:
            assert application.status == Application.Status.CONFIRMED
        else:
            assert application.status == Application.Status.WAITLISTED
            assert application.waitlist_number == position - 1
    assert AuditLog.objects.filter(action="event.lottery_draw").count() == 1
    assert Notification.objects.filter(kind="events.confirmed").count() == 2
    assert Notification.objects.filter(kind="events.waitlisted").count() == 3
    assert (
        OutboundMessage.objects.filter(kind__in=["events.confirmed", "events.waitlisted"]).count()
        == 5
    )
    # Each family sees the record on its application's page, with its own number, to check it.
    mine = Application.objects.get(household=families[0].household)
    client.force_login(families[0])
    page = client.get(reverse("events:application_detail", args=[mine.pk])).text
    assert event.draw_seed in page
    assert ", ".join(str(pk) for pk in expected) in page
    assert f"申込番号:{mine.pk}" in page


def test_lottery_waitlist_promotes_after_the_draw(client, make_family):
    event = _lottery_event(capacity=1)
    families = [make_family() for _ in range(3)]
    for family in families:
        _apply(client, family, event)
    with time_machine.travel(event.applications_close_at + timedelta(seconds=1)):
        services_scheduled.lotteries_run_due()
        winner = Application.objects.get(status=Application.Status.CONFIRMED)
        services.application_cancel(application=winner, user=winner.user)
        first_waiting = Application.objects.get(waitlist_number=1)
        assert first_waiting.status == Application.Status.OFFERED


def test_cancelled_lottery_is_never_drawn(municipal_staff):
    event = _lottery_event()
    services_staff.event_cancel(event=event, actor=municipal_staff, reason="雨天")
    with time_machine.travel(event.applications_close_at + timedelta(seconds=1)):
        assert services_scheduled.lotteries_run_due() == 0


def test_the_worker_draws_when_the_window_closes_and_expires_offers(
    client, make_family, municipal_staff, django_capture_on_commit_callbacks
):
    """No cron needed: creating a lottery enqueues its draw for the closing time, and an offer
    enqueues its own expiry (tasks.py, run by manage.py db_worker)."""

    now = timezone.now()
    families = [make_family() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        event = services_staff.event_create(
            actor=municipal_staff,
            title="抽選の講座",
            description="説明",
            category=Event.Category.CLASS,
            place="こもれび子育て支援センター",
            starts_at=now + timedelta(days=5),
            ends_at=now + timedelta(days=5, hours=1),
            capacity=1,
            mode=Event.Mode.LOTTERY,
            applications_open_at=now - timedelta(hours=1),
            applications_close_at=now + timedelta(hours=1),
            offer_hours=2,
        )
        for family in families:
            services.application_create(event=event, user=family, children=[], adults=1)
    run_worker()
    event.refresh_from_db()
    assert event.drawn_at is None  # not yet due
    with time_machine.travel(now + timedelta(hours=1, minutes=1)):
        run_worker()
        event.refresh_from_db()
        assert event.drawn_at is not None
        winner = Application.objects.get(event=event, status=Application.Status.CONFIRMED)
        with django_capture_on_commit_callbacks(execute=True):
            services.application_cancel(application=winner, user=winner.user)
        assert Application.objects.get(waitlist_number=1).status == Application.Status.OFFERED
    with time_machine.travel(now + timedelta(hours=3, minutes=2)):
        run_worker()
        assert Application.objects.get(waitlist_number=1).status == Application.Status.CANCELLED
        assert Application.objects.get(waitlist_number=2).status == Application.Status.OFFERED


def test_every_guardian_of_the_household_is_told_of_an_offer(client, make_family):
    """The waitlist policy is core's (kosodate/core/waitlist.py): as for 一時預かり, every guardian
    of the household hears of a freed place, each in their own language, not only the one who
    applied."""
    from tests.factories import UserFactory

    event = EventFactory(capacity=1, offer_hours=48)
    first, second = make_family(), make_family()
    partner = UserFactory(household=second.household, preferred_language="en")
    for family in (first, second):
        _apply(client, family, event)
    run_worker()  # the worker tells them of their applications
    services.application_cancel(
        application=Application.objects.get(household=first.household), user=first
    )
    told = Notification.objects.filter(kind="events.offered")
    assert sorted(told.values_list("user", flat=True)) == sorted([second.pk, partner.pk])
    assert told.get(user=partner).title.startswith("A place is free for you")
    assert told.get(user=second).title != told.get(user=partner).title  # Japanese for 'second'
    waitlisted = Notification.objects.filter(kind="events.waitlisted")
    assert sorted(waitlisted.values_list("user", flat=True)) == sorted([second.pk, partner.pk])


def test_every_change_of_an_application_is_in_its_history(client, make_family):
    """Events keep a status history, as bookings do: one row for every state change, with who
    made it."""
    event = EventFactory(capacity=1, offer_hours=48)
    first, second = make_family(), make_family()
    for family in (first, second):
        _apply(client, family, event)
    cancelled = Application.objects.get(household=first.household)
    services.application_cancel(application=cancelled, user=first)
    offered = Application.objects.get(household=second.household)
    assert services.application_offer_accept(application=offered, user=second)

    def history(application):
        return [(h.status, h.actor_id) for h in application.history.order_by("pk")]

    assert history(cancelled) == [("confirmed", first.pk), ("cancelled", first.pk)]
    assert history(offered) == [
        ("waitlisted", second.pk),
        ("offered", None),
        ("confirmed", second.pk),
    ]
    client.force_login(second)
    page = client.get(reverse("events:application_detail", args=[offered.pk])).text
    assert "履歴" in page and page.count('<li><time datetime="') == 3


def test_expired_offers_and_the_lottery_are_in_the_history(client, make_family):
    now = timezone.now()
    event = EventFactory(
        capacity=1,
        offer_hours=2,
        mode=Event.Mode.LOTTERY,
        applications_open_at=now - timedelta(days=1),
        applications_close_at=now + timedelta(hours=1),
    )
    families = [make_family() for _ in range(3)]
    for family in families:
        _apply(client, family, event)
    with time_machine.travel(event.applications_close_at + timedelta(seconds=1)):
        services_scheduled.lotteries_run_due()
        winner = Application.objects.get(event=event, status=Application.Status.CONFIRMED)
        services.application_cancel(application=winner, user=winner.user)
    with time_machine.travel(event.applications_close_at + timedelta(hours=3)):
        services.offers_expire()
    first_waiting = Application.objects.get(event=event, waitlist_number=1)
    assert [h.status for h in first_waiting.history.order_by("pk")] == [
        "draw_pending",
        "waitlisted",
        "offered",
        "cancelled",
    ]
    assert Application.objects.get(event=event, waitlist_number=2).status == "offered"
