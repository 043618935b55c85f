"""Who may open each staff URL of events and health (issue 10.2): municipal staff only. Facility
staff (一時預かり) run their own facility and nothing else: every events and health staff URL is a
403 for them and changes nothing, as it is for residents; anonymous visitors are sent to sign in.
The last tests fail when a URL is added to either area without a line here (childcare's own list is
tests/childcare/test_access.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kosodate.core.models import AuditLog
from kosodate.health.models import Checkup, CheckupSession, HealthNotice, ScheduleRule
from tests.events.factories import EventFactory
from tests.urlwalk import url_patterns

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(municipality, schedule_loaded):
    today = timezone.localdate()
    checkup = Checkup.objects.filter(code="m3").first() or Checkup.objects.first()
    return {
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


@pytest.mark.parametrize(
    ("prefix", "listed"), [("staff/events/", EVENTS), ("staff/health/", HEALTH)]
)
def test_every_staff_url_of_the_area_is_listed_here(prefix, listed):
    routed = {p.name for p in url_patterns() if p.route.startswith(prefix)}
    assert routed, f"no URL under /{prefix}: the prefix is wrong"
    names = {name for name, _, _ in listed}
    assert routed == names, f"not listed: {sorted(routed - names)}; stale: {sorted(names - routed)}"
