"""Extreme input named in issue 10.8, each with the answer it gets: far-away and malformed months
and days on the calendars and staff pages, capacities of 10^20, a 100,000-character login. A bad
value is clamped or refused with a message, never a server error. Every other URL is walked with
such values by tests/test_url_walk.py."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kosodate.accounts.models import User
from kosodate.childcare.models import FacilityStaff
from tests.childcare.support import FacilityFactory, family, registered
from tests.events.factories import EventFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HUGE = "1" + "0" * 20  # 10^20: past every integer column
LONG = "あ" * 100_000


@pytest.fixture
def world(municipality):
    resident = UserFactory(email="kaho@example.jp")
    facility = FacilityFactory()
    [child] = family(resident)
    registered(child, facility)
    hoiku = UserFactory(email="hoiku@example.jp", role=User.Role.FACILITY_STAFF)
    FacilityStaff.objects.create(user=hoiku, facility=facility)
    EventFactory(starts_at=timezone.now() + timedelta(days=3))
    return {
        "resident": resident,
        "hoiku": hoiku,
        "municipal": UserFactory(email="shokuin@example.jp", role=User.Role.MUNICIPAL_STAFF),
    }


@pytest.mark.parametrize("month", ["1-1", "0001-01", "9999-12", HUGE, LONG])
def test_the_calendars_fall_back_to_this_month_with_a_message(client, world, month):
    this_month = timezone.localdate().strftime("%Y年%-m月")
    for url in ("/events/calendar/", "/childcare/"):
        response = client.get(url, {"month": month})
        assert response.status_code == 200, url
    client.force_login(world["municipal"])
    response = client.get("/staff/childcare/utilisation/", {"month": month})
    assert response.status_code == 200
    page = client.get("/events/calendar/", {"month": month}).text
    assert "2000" in page and "2099" in page  # the range that can be shown, said in Japanese
    assert this_month in page


def test_a_day_out_of_range_is_not_found(client, world):
    assert client.get("/childcare/day/9999-12-31/").status_code == 404
    assert client.get("/childcare/day/0001-01-01/").status_code == 404
    client.force_login(world["hoiku"])
    facility = FacilityStaff.objects.get(user=world["hoiku"]).facility
    assert (
        client.get(f"/staff/childcare/facilities/{facility.pk}/roster/9999-12-31/").status_code
        == 404
    )


def test_log_and_form_dates_out_of_range_are_refused_with_a_message(client, world):
    client.force_login(world["municipal"])
    response = client.get("/staff/accounts/auth-events/", {"until": "9999-12-31"})
    assert response.status_code == 200
    assert "1800" in response.text and "2099" in response.text


def test_a_capacity_of_10_to_the_20_is_refused_with_a_message(client, world):
    client.force_login(world["hoiku"])
    facility = FacilityStaff.objects.get(user=world["hoiku"]).facility
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        f"/staff/childcare/facilities/{facility.pk}/capacity/day/",
        {"date": day, "places_age0": HUGE, "carers": "2"},
    )
    assert response.status_code in (200, 302)
    assert response.status_code == 200 or "999" in client.get(response.url).text


def test_a_100000_character_login_is_refused_with_a_message(client, municipality):
    response = client.post("/accounts/login/", {"login": "a" * 100_000, "password": "x"})
    assert response.status_code == 200
    # Django's max-length message names the limit and the length typed.
    assert "100000" in response.text and "254" in response.text


def test_a_nul_character_in_the_path_query_or_form_is_a_400(client, world):
    """PostgreSQL refuses NUL in every text column: one middleware refuses it first."""
    assert client.get("/childcare/bookings/\x00/").status_code == 400
    assert client.get("/childcare/facilities/", {"area": "\x00"}).status_code == 400
    client.force_login(world["resident"])
    assert client.post("/notifications/read-all/", {"x": "a\x00"}).status_code == 400


def test_a_next_that_is_not_a_path_on_this_site_is_ignored(client, world):
    from kosodate.core.models import Notification

    notification = Notification.objects.create(
        user=world["resident"], kind="test", title="お知らせ", body="本文"
    )
    client.force_login(world["resident"])
    for target in ("1-1", "https://evil.example/", "//evil.example/"):
        response = client.post(f"/notifications/{notification.pk}/read/", {"next": target})
        assert response.status_code == 302
        assert response.url == "/notifications/"
    response = client.post(f"/notifications/{notification.pk}/read/", {"next": "/events/"})
    assert response.url == "/events/"
