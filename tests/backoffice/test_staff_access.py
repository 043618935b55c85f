"""Who may open each staff URL of events and health (issue 10.2). Health: municipal staff only.
Events: municipal staff, and the organising centre's own staff for the events that name their
centre (Event.organiser) — those they run, every other event is a 404 to them, and creating or
copying events stays the municipality's. Facility staff (一時預かり) whose centre organises no
event get a 403 on every events and health staff URL and change nothing, as residents do;
anonymous visitors are sent to sign in. The last tests fail when a URL is added to either area
without a line here (childcare's own list is tests/childcare/test_access.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kosodate.accounts.models import User
from kosodate.childcare.models import FacilityStaff
from kosodate.core.models import AuditLog
from kosodate.health.models import Checkup, CheckupSession, HealthNotice, ScheduleRule
from tests.childcare.support import FacilityFactory
from tests.events.factories import EventFactory
from tests.factories import UserFactory
from tests.urlwalk import url_patterns

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(municipality, schedule_loaded):
    today = timezone.localdate()
    checkup = Checkup.objects.filter(code="m3").first() or Checkup.objects.first()
    centre = FacilityFactory(name="ひだまり子育て支援センター")
    centre_staff = UserFactory(email="shien@example.jp", role=User.Role.FACILITY_STAFF)
    FacilityStaff.objects.create(user=centre_staff, facility=centre)
    return {
        "centre_staff": centre_staff,
        "own": EventFactory(title="センターの手遊び講座", organiser=centre),
        "event": EventFactory(title="親子ふれあい講座"),
        "notice": HealthNotice.objects.create(title="お知らせ", body="本文"),
        "rule": ScheduleRule.objects.first(),
        "session": CheckupSession.objects.create(
            checkup=checkup,
            held_on=today + timedelta(days=30),
            born_from=today - timedelta(days=150),
            born_until=today - timedelta(days=90),
        ),
    }


@pytest.fixture
def schedule_loaded(db):
    from kosodate.health.loading import checkup_data_load, schedule_data_load
    from kosodate.health.models import Vaccine

    schedule_data_load(vaccine_model=Vaccine, rule_model=ScheduleRule)
    checkup_data_load(checkup_model=Checkup)


# (URL name, method, args from the world): every staff URL of events and health.
EVENTS = [
    ("events_staff:list", "get", lambda w: []),
    ("events_staff:create", "get", lambda w: []),
    ("events_staff:create", "post", lambda w: []),
    ("events_staff:copy", "get", lambda w: [w["event"].pk]),
    ("events_staff:detail", "get", lambda w: [w["event"].pk]),
    ("events_staff:edit", "get", lambda w: [w["event"].pk]),
    ("events_staff:edit", "post", lambda w: [w["event"].pk]),
    ("events_staff:cancel", "get", lambda w: [w["event"].pk]),
    ("events_staff:cancel", "post", lambda w: [w["event"].pk]),
    ("events_staff:participants_csv", "get", lambda w: [w["event"].pk]),
    ("events_staff:attendance", "post", lambda w: [w["event"].pk]),
    ("events_staff:message", "get", lambda w: [w["event"].pk]),
    ("events_staff:message", "post", lambda w: [w["event"].pk]),
]
HEALTH = [
    ("staff_health_notice_list", "get", lambda w: []),
    ("staff_health_notice_create", "get", lambda w: []),
    ("staff_health_notice_create", "post", lambda w: []),
    ("staff_health_notice_edit", "get", lambda w: [w["notice"].pk]),
    ("staff_health_notice_edit", "post", lambda w: [w["notice"].pk]),
    ("staff_health_schedule", "get", lambda w: []),
    ("staff_health_rule_edit", "get", lambda w: [w["rule"].pk]),
    ("staff_health_rule_edit", "post", lambda w: [w["rule"].pk]),
    ("staff_health_session_create", "get", lambda w: []),
    ("staff_health_session_create", "post", lambda w: []),
    ("staff_health_session_delete", "post", lambda w: [w["session"].pk]),
]
ALL = EVENTS + HEALTH
POST_DATA = {"title": "乗っ取り", "body": "x", "reason": "x", "subject": "x", "attended": ["1"]}


def _call(client, method, url):
    if method == "post":
        return client.post(url, POST_DATA)
    return client.get(url)


def _unchanged(world) -> None:
    world["event"].refresh_from_db()
    assert world["event"].title == "親子ふれあい講座"
    assert HealthNotice.objects.get(pk=world["notice"].pk).title == "お知らせ"
    assert CheckupSession.objects.filter(pk=world["session"].pk).exists()
    assert not AuditLog.objects.filter(action__startswith="event.participants").exists()


@pytest.mark.parametrize(("name", "method", "args"), ALL, ids=str)
def test_facility_staff_get_403_and_change_nothing(
    client, world, facility_staff, name, method, args
):
    client.force_login(facility_staff)
    assert _call(client, method, reverse(name, args=args(world))).status_code == 403
    _unchanged(world)


@pytest.mark.parametrize(("name", "method", "args"), ALL, ids=str)
def test_residents_get_403(client, world, resident, name, method, args):
    client.force_login(resident)
    assert _call(client, method, reverse(name, args=args(world))).status_code == 403
    _unchanged(world)


@pytest.mark.parametrize(("name", "method", "args"), ALL, ids=str)
def test_anonymous_visitors_are_sent_to_sign_in(client, world, name, method, args):
    response = _call(client, method, reverse(name, args=args(world)))
    assert response.status_code == 302
    assert reverse("account_login") in response.url


@pytest.mark.parametrize(("name", "method", "args"), [r for r in ALL if r[1] == "get"], ids=str)
def test_municipal_staff_may(client, world, municipal_staff, name, method, args):
    client.force_login(municipal_staff)
    assert _call(client, method, reverse(name, args=args(world))).status_code == 200


def test_facility_staff_have_no_events_menu_entry(client, facility_staff):
    client.force_login(facility_staff)
    assert reverse("events_staff:list") not in client.get(reverse("backoffice:dashboard")).text


# Creating and copying events are the municipality's, even from the centre's own event (403);
# on another centre's or the municipality's event every other URL is not found (404).
_MUNICIPALITY_ONLY = {"events_staff:create": 403, "events_staff:copy": 403}


@pytest.mark.parametrize(("name", "method", "args"), EVENTS, ids=str)
def test_centre_staff_get_404_for_another_centres_event_and_change_nothing(
    client, world, name, method, args
):
    client.force_login(world["centre_staff"])
    response = _call(client, method, reverse(name, args=args(world)))
    expected = 200 if name == "events_staff:list" else _MUNICIPALITY_ONLY.get(name, 404)
    assert response.status_code == expected
    if name == "events_staff:list":
        assert "センターの手遊び講座" in response.text
        assert "親子ふれあい講座" not in response.text
        assert reverse("events_staff:create") not in response.text
    _unchanged(world)


@pytest.mark.parametrize(("name", "method", "args"), [r for r in EVENTS if r[1] == "get"], ids=str)
def test_centre_staff_run_the_event_that_names_their_centre(client, world, name, method, args):
    client.force_login(world["centre_staff"])
    own = dict(world, event=world["own"])
    response = _call(client, method, reverse(name, args=args(own)))
    assert response.status_code == _MUNICIPALITY_ONLY.get(name, 200)


def test_centre_staff_save_attendance_and_edit_their_event_but_not_its_centre(client, world):
    from kosodate.events.models import Event

    client.force_login(world["centre_staff"])
    own = world["own"]
    form = client.get(reverse("events_staff:edit", args=[own.pk])).text
    assert 'name="organiser"' not in form
    response = client.post(reverse("events_staff:edit", args=[own.pk]), {"organiser": ""})
    assert response.status_code == 200  # the form asks for the other fields; nothing saved
    assert Event.objects.get(pk=own.pk).organiser_id is not None
    response = client.post(reverse("events_staff:attendance", args=[own.pk]), {})
    assert response.status_code == 302


def test_centre_staff_have_the_events_menu_entry(client, world):
    client.force_login(world["centre_staff"])
    assert reverse("events_staff:list") in client.get(reverse("backoffice:dashboard")).text


def test_municipal_staff_name_the_organising_centre(client, world, municipal_staff):
    client.force_login(municipal_staff)
    form = client.get(reverse("events_staff:edit", args=[world["event"].pk])).text
    assert 'name="organiser"' in form and "ひだまり子育て支援センター" in form


@pytest.mark.parametrize(
    ("prefix", "listed"), [("staff/events/", EVENTS), ("staff/health/", HEALTH)]
)
def test_every_staff_url_of_the_area_is_listed_here(prefix, listed):
    routed = {p.name for p in url_patterns() if p.route.startswith(prefix)}
    assert routed, f"no URL under /{prefix}: the prefix is wrong"
    names = {name for name, _, _ in listed}
    assert routed == names, f"not listed: {sorted(routed - names)}; stale: {sorted(names - routed)}"
