"""Residents: the list and its filters, the detail, applying (every check), My applications."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kosodate.core.models import Notification, OutboundMessage
from kosodate.events.models import Application, Event
from tests.worker import run_worker

from .factories import EventFactory

pytestmark = pytest.mark.django_db


def _apply(client, user, event, *, adults="1", children=None):
    client.force_login(user)
    if children is None:
        children = [c.pk for c in user.household.children.all()]
    return client.post(
        reverse("events:apply", args=[event.pk]), {"adults": adults, "children": children}
    )


def test_target_age_is_completed_months_on_the_day_of_the_event():
    from datetime import date, datetime

    from kosodate.accounts.models import Child

    def on(day):
        return Event(
            min_age_months=1,
            max_age_months=12,
            starts_at=timezone.make_aware(datetime.combine(day, datetime.min.time())),
        )

    born_31_jan = Child(birth_date=date(2024, 1, 31))
    assert not on(date(2024, 2, 29)).child_fits(born_31_jan)  # one month only on 1 March
    assert on(date(2024, 3, 1)).child_fits(born_31_jan)
    born_15_jan = Child(birth_date=date(2024, 1, 15))
    assert on(date(2025, 1, 14)).child_fits(born_15_jan)  # 11 months
    assert on(date(2025, 2, 14)).child_fits(born_15_jan)  # 12 months: may still come
    assert not on(date(2025, 2, 15)).child_fits(born_15_jan)  # 13 months


def test_list_anonymous_shows_upcoming_events_with_places(client, municipality):
    event = EventFactory(title="リトミック")
    EventFactory(title="中止の講座", cancelled_at=timezone.now())
    response = client.get(reverse("events:list"))
    assert response.status_code == 200
    assert "リトミック" in response.text
    assert "中止の講座" not in response.text
    assert "2 places left" in response.text or "残り 2" in response.text or event.capacity == 2


def test_list_for_my_children_is_the_default_when_signed_in(client, applicant):
    EventFactory(title="赤ちゃん講座", min_age_months=0, max_age_months=11)
    EventFactory(title="よちよち講座", min_age_months=12, max_age_months=24)
    client.force_login(applicant)
    response = client.get(reverse("events:list"))
    assert "よちよち講座" in response.text
    assert "赤ちゃん講座" not in response.text
    response = client.get(reverse("events:list"), {"for_whom": "all"})
    assert "赤ちゃん講座" in response.text


def test_list_filters_date_place_and_free_places(client, applicant, other_applicant):
    soon = EventFactory(title="すぐの講座", capacity=1)
    later = EventFactory(
        title="来月の講座",
        place="ひだまり児童館",
        starts_at=timezone.now() + timedelta(days=40),
        ends_at=timezone.now() + timedelta(days=40, hours=1),
    )
    _apply(client, other_applicant, soon)
    client.logout()
    url = reverse("events:list")
    response = client.get(url, {"free_only": "on"})
    assert "すぐの講座" not in response.text and "来月の講座" in response.text
    response = client.get(url, {"place": "ひだまり児童館"})
    assert "来月の講座" in response.text and "すぐの講座" not in response.text
    day = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.get(url, {"from_date": day})
    assert "来月の講座" in response.text and "すぐの講座" not in response.text
    assert later.pk


def test_list_query_count_does_not_grow_with_events(client, applicant, other_applicant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(applicant)
    url = reverse("events:list")
    EventFactory()
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(15):
        _apply(client, other_applicant, EventFactory())
    client.force_login(applicant)
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_detail_and_cancelled_event_404(client, municipality):
    event = EventFactory()
    assert client.get(reverse("events:detail", args=[event.pk])).status_code == 200
    cancelled = EventFactory(cancelled_at=timezone.now())
    assert client.get(reverse("events:detail", args=[cancelled.pk])).status_code == 404


def test_apply_needs_sign_in(client, municipality):
    event = EventFactory()
    response = client.get(reverse("events:apply", args=[event.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_first_come_confirmed_then_waitlisted_with_positions(client, make_family):
    event = EventFactory(capacity=1)
    first, second, third = make_family(), make_family(), make_family()
    response = _apply(client, first, event)
    application = Application.objects.get(household=first.household)
    assert response.status_code == 302
    assert response["Location"] == reverse("events:application_detail", args=[application.pk])
    assert application.status == Application.Status.CONFIRMED
    assert application.people == 2
    # The family is told by the worker, after the application's transaction (issue 16).
    assert not Notification.objects.filter(user=first).exists()
    run_worker()
    assert Notification.objects.filter(user=first, kind="events.confirmed").count() == 1
    assert OutboundMessage.objects.filter(user=first, kind="events.confirmed").count() == 1

    _apply(client, second, event)
    _apply(client, third, event)
    waiting = Application.objects.filter(event=event, status=Application.Status.WAITLISTED)
    assert sorted(waiting.values_list("waitlist_number", flat=True)) == [1, 2]
    client.force_login(third)
    response = client.get(reverse("events:mine"))
    assert "number 2" in response.text or "2番目" in response.text


def test_people_capacity_counts_children_and_adults(client, make_family):
    event = EventFactory(capacity=3, capacity_unit=Event.CapacityUnit.PEOPLE)
    first, second = make_family(), make_family()
    _apply(client, first, event, adults="1")  # 2 people
    _apply(client, second, event, adults="1")  # 2 more: only 1 left
    statuses = dict(Application.objects.values_list("household_id", "status"))
    assert statuses[first.household_id] == Application.Status.CONFIRMED
    assert statuses[second.household_id] == Application.Status.WAITLISTED


def test_one_application_per_household(client, applicant):
    event = EventFactory()
    _apply(client, applicant, event)
    response = _apply(client, applicant, event)
    assert response.status_code == 302  # sent to the existing application
    assert Application.objects.filter(event=event).count() == 1


def test_unique_constraint_backs_duplicates(applicant):
    from django.db import IntegrityError, transaction

    event = EventFactory()
    Application.objects.create(
        event=event, household=applicant.household, user=applicant, people=1, status="confirmed"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(
            event=event,
            household=applicant.household,
            user=applicant,
            people=1,
            status="waitlisted",
        )


def test_wrong_age_keeps_what_was_typed(client, make_family):
    family = make_family(months=40)
    event = EventFactory(min_age_months=0, max_age_months=24)
    response = _apply(client, family, event, adults="２")
    assert response.status_code == 200
    assert "target age" in response.text or "対象年齢" in response.text
    assert 'value="２"' in response.text  # what was typed stays in the box
    assert "checked" in response.text
    assert not Application.objects.exists()


def test_per_family_limit(client, applicant):
    event = EventFactory(per_family_limit=2)
    response = _apply(client, applicant, event, adults="3")
    assert response.status_code == 200
    assert 'value="3"' in response.text
    assert not Application.objects.exists()


def test_bad_adults_number_is_explained(client, applicant):
    event = EventFactory()
    response = _apply(client, applicant, event, adults="たくさん")
    assert response.status_code == 200
    assert 'value="たくさん"' in response.text
    assert not Application.objects.exists()


def test_window_closed_and_not_yet_open(client, applicant):
    closed = EventFactory(applications_close_at=timezone.now() - timedelta(minutes=1))
    response = _apply(client, applicant, closed)
    assert response.status_code == 200 and not Application.objects.exists()
    later = EventFactory(applications_open_at=timezone.now() + timedelta(days=1))
    response = _apply(client, applicant, later)
    assert response.status_code == 200 and not Application.objects.exists()


def test_cannot_bring_another_households_child(client, applicant, other_applicant):
    event = EventFactory()
    other_child = other_applicant.household.children.get()
    response = _apply(client, applicant, event, children=[other_child.pk])
    assert response.status_code == 200
    assert not Application.objects.exists()


def test_the_chosen_children_are_checked_against_the_households(client, applicant, other_applicant):
    """The form checks the posted ids against the household's children read once (ChildrenField
    with rows): another household's child, an id that is no number and a repeated id are refused
    as Django's own field refuses them, one of the household's own is accepted once."""
    event = EventFactory()
    own = applicant.household.children.get()
    other = other_applicant.household.children.get()
    for posted, code in (([own.pk, other.pk], "invalid_choice"), (["x"], "invalid_pk_value")):
        response = _apply(client, applicant, event, children=posted)
        assert response.status_code == 200 and not Application.objects.exists()
        [error] = response.context["form"].errors.as_data()["children"]
        assert error.code == code
    response = _apply(client, applicant, event, children=[own.pk, own.pk])
    assert response.status_code == 302
    assert list(Application.objects.get().children.all()) == [own]


def test_my_applications_statuses_and_ics(client, make_family):
    event = EventFactory(capacity=1, title="ベビーマッサージ")
    first, second = make_family(), make_family()
    _apply(client, first, event)
    _apply(client, second, event)
    client.force_login(first)
    response = client.get(reverse("events:mine"))
    assert "ベビーマッサージ" in response.text
    application = Application.objects.get(household=first.household)
    ics = client.get(reverse("events:application_ics", args=[application.pk]))
    assert ics.status_code == 200
    assert ics["Content-Type"].startswith("text/calendar")
    body = ics.content.decode()
    assert "BEGIN:VEVENT" in body and "SUMMARY:ベビーマッサージ" in body and "\r\n" in body


def test_another_household_gets_404_on_every_application_url(client, applicant, other_applicant):
    event = EventFactory()
    _apply(client, applicant, event)
    application = Application.objects.get()
    client.force_login(other_applicant)
    for name in ("application_detail", "application_cancel", "application_ics"):
        url = reverse(f"events:{name}", args=[application.pk])
        assert client.get(url).status_code == 404, name
    for name in ("application_cancel", "offer_accept"):
        url = reverse(f"events:{name}", args=[application.pk])
        assert client.post(url).status_code == 404, name
    application.refresh_from_db()
    assert application.status == Application.Status.CONFIRMED


def test_resident_without_household_gets_404(client, resident, applicant):
    event = EventFactory()
    _apply(client, applicant, event)
    application = Application.objects.get()
    client.force_login(resident)
    url = reverse("events:application_detail", args=[application.pk])
    assert client.get(url).status_code == 404


def test_cancel_until_deadline(client, applicant):
    event = EventFactory(
        starts_at=timezone.now() + timedelta(hours=30),
        ends_at=timezone.now() + timedelta(hours=31),
        applications_close_at=timezone.now() + timedelta(hours=20),
        cancel_hours_before=24,
    )
    _apply(client, applicant, event)
    application = Application.objects.get()
    url = reverse("events:application_cancel", args=[application.pk])
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.CANCELLED
    assert Notification.objects.filter(kind="events.application_cancelled").count() == 1


def test_cancel_after_deadline_is_refused(client, applicant):
    event = EventFactory(
        starts_at=timezone.now() + timedelta(hours=10),
        ends_at=timezone.now() + timedelta(hours=11),
        applications_close_at=timezone.now() + timedelta(hours=5),
        cancel_hours_before=24,
    )
    _apply(client, applicant, event)
    application = Application.objects.get()
    response = client.post(reverse("events:application_cancel", args=[application.pk]), follow=True)
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == Application.Status.CONFIRMED


def test_reminder_the_day_before_exactly_once(client, applicant):
    from django.core.management import call_command

    tomorrow = timezone.localtime() + timedelta(days=1)
    event = EventFactory(
        starts_at=tomorrow,
        ends_at=tomorrow + timedelta(hours=1),
        applications_close_at=tomorrow - timedelta(hours=12),
    )
    _apply(client, applicant, event)
    call_command("events_send_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("events_send_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Notification.objects.filter(kind="events.reminder").count() == 1
    assert Application.objects.get().reminded_at is not None


def test_month_calendar(client, municipality):
    from datetime import datetime

    start = timezone.make_aware(datetime(2030, 5, 15, 10, 0))
    EventFactory(
        title="五月の講座",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        applications_close_at=start - timedelta(days=1),
    )
    response = client.get(reverse("events:calendar"), {"month": "2030-05"})
    assert response.status_code == 200
    assert "五月の講座" in response.text
    assert "五月の講座" not in client.get(reverse("events:calendar"), {"month": "2030-06"}).text
    assert client.get(reverse("events:calendar"), {"month": "bad"}).status_code == 200


def test_school_year_target_counts_the_school_year_by_age_on_the_day():
    from datetime import date, datetime

    from kosodate.accounts.models import Child
    from kosodate.events.models import SchoolGrade

    event = Event(
        min_age_months=None,
        max_age_months=None,
        min_school_grade=SchoolGrade.PRIMARY_1,
        max_school_grade=SchoolGrade.PRIMARY_1,
        starts_at=timezone.make_aware(datetime(2027, 4, 10, 10)),
    )
    assert event.has_age_range
    # Born 1 April reaches 6 on 31 March, so starts school a year before a child born 2 April.
    assert not event.child_fits(Child(birth_date=date(2020, 4, 1)))  # 小2 by then
    assert event.child_fits(Child(birth_date=date(2020, 4, 2)))
    assert event.child_fits(Child(birth_date=date(2021, 4, 1)))
    assert not event.child_fits(Child(birth_date=date(2021, 4, 2)))  # 年長


def test_a_child_outside_the_school_years_cannot_apply(client, make_family):
    from kosodate.events.models import SchoolGrade

    family = make_family(months=20)
    event = EventFactory(
        min_age_months=None,
        max_age_months=None,
        min_school_grade=SchoolGrade.PRIMARY_1,
        max_school_grade=SchoolGrade.PRIMARY_3,
    )
    response = _apply(client, family, event)
    assert response.status_code == 200
    assert "target age" in response.text or "対象年齢" in response.text
    assert not Application.objects.exists()
    detail = client.get(reverse("events:detail", args=[event.pk]))
    assert "学年: 小学1年生–小学3年生" in detail.text
