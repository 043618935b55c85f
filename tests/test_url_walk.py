"""No URL answers 500 to extreme input (issue 10.8): every URL pattern of the project, the Django
admin's included, is opened with malformed and far-away dates, numbers past every integer column,
a negative number, a NUL byte and a 100,000-character string — in its path, in its query string
and in every field of its form — by each kind of visitor. A bad value is refused (a message, a
400 or a 404) or clamped; it is never a server error.

A new URL pattern is walked without a line here (the walk iterates the resolver); only a new kind
of path parameter needs a sample value below, and the last test says so when one is missing.
PostgreSQL only: it is the database that refuses NUL bytes and integers past bigint."""

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection, models
from django.test import Client
from django.utils import timezone

from kosodate.accounts.models import User
from kosodate.childcare.models import FacilityStaff
from tests.childcare.support import FacilityFactory, family, registered
from tests.events.factories import EventFactory
from tests.factories import UserFactory
from tests.urlwalk import converter_kind, url_patterns

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

HUGE = str(10**20)  # past bigint (9.2 × 10^18)
VALUES = ["1-1", "0001-01", "9999-12", HUGE, "-1", "\x00", "あ" * 100_000]
# In a query string the 100,000 characters are digits (a number no parser should choke on): 30
# parameters of 100,000 percent-encoded kana take seconds to parse, and no front server lets a
# request line of 27 MB through.
IN_QUERY = {value: "1" * 100_000 if len(value) > 100 else value for value in VALUES}
# The walk's objects are made with this primary key (every table's sequence is moved here first),
# so one sample value opens the object pages of every app.
PK = 424242
# Sample values of path parameters by name (ints default to PK): they open a real page, whose
# query and form are then walked.
SAMPLES = {"code": "WALK0001", "step": "household", "kind": "sms", "index": "0", "key": "x"}
# Query parameters the project's pages read (dates, months, filters, paging, search, admin's).
QUERY_NAMES = [
    *("month", "day", "date", "from", "to", "since", "until", "start", "end", "q", "page"),
    *("week", "year", "area", "child", "facility", "kind", "status", "vaccine", "next"),
    *("check", "people", "adults", "event", "p", "o", "e", "_changelist_filters"),
]
_FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.I)
# Signing out ends the walk's session.
SKIP = ("accounts/logout/", "admin/logout/", "accounts/logout/everywhere/")


def _sequences_at(value: int) -> None:
    with connection.cursor() as cursor:
        for model in apps.get_models():
            pk = model._meta.pk
            if isinstance(pk, models.AutoField):  # BigAutoField and SmallAutoField included
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s, false)",
                    [model._meta.db_table, pk.column, value],
                )


@pytest.fixture
def world(municipality):
    _sequences_at(PK)
    resident = UserFactory(email="kaho@example.jp")
    facility = FacilityFactory()
    [child] = family(resident)
    registered(child, facility)
    event = EventFactory(starts_at=timezone.now() + timedelta(days=3))
    hoiku = UserFactory(email="hoiku@example.jp", role=User.Role.FACILITY_STAFF)
    FacilityStaff.objects.create(user=hoiku, facility=facility)
    assert resident.pk == facility.pk == child.pk == event.pk == PK
    return {
        "anonymous": None,
        "resident": resident,
        "hoiku": hoiku,
        "municipal": UserFactory(email="shokuin@example.jp", role=User.Role.MUNICIPAL_STAFF),
        "consultant": UserFactory(email="hokenshi@example.jp", role=User.Role.CONSULTANT),
        "admin": UserFactory(
            email="admin@example.jp",
            role=User.Role.MUNICIPAL_STAFF,
            is_staff=True,
            is_superuser=True,
        ),
    }


def _sample(pattern, name: str, converter) -> str:
    kind = converter_kind(converter)
    if kind == "regex":
        return converter.sample
    if kind == "int":
        return str(PK)
    return SAMPLES.get(name, str(PK))


def _paths(pattern) -> tuple[str, list[str]]:
    """The path with sample values, and one path per extreme value that routes to `pattern`."""
    sample = pattern.path(lambda name, conv: _sample(pattern, name, conv))
    assert sample is not None, f"{pattern.route}: no sample value fits"
    extremes = []
    for part in pattern.parts:
        if isinstance(part, str) or converter_kind(part[1]) == "regex":
            continue
        for value in VALUES:
            path = pattern.path(
                lambda name, conv, value=value, this=part[0]: (
                    value if name == this else _sample(pattern, name, conv)
                )
            )
            if path is not None:
                extremes.append(path)
    return sample, extremes


def _groups(fields: list[str], value: str) -> list[list[str]]:
    """The fields posted with `value` at once. A 100,000-character value goes to 8 fields at a
    time (the others get "1"): 300 kB each in UTF-8, a whole form of them would pass Django's
    2.5 MB limit on a request's fields and be refused before any form saw it."""
    if not fields:
        return []
    size = 8 if len(value) > 100 else len(fields)
    return [fields[i : i + size] for i in range(0, len(fields), size)]


def _walk(client: Client, patterns, *, admin: bool = False) -> list[tuple]:
    """The errors met. In the admin, where every model has the same five object pages and the
    same list, the extreme object ids are tried on the change page and the query on the list only
    (the other object pages find the object the same way): the walk stays affordable."""
    errors = []

    def check(method, path, data, response, value=""):
        if response.status_code >= 500:
            exc = getattr(response, "exc_info", None)
            cause = f"{exc[0].__name__}: {str(exc[1])[:100]}" if exc else ""
            errors.append((method, path[:80], repr(value[:12]), response.status_code, cause))

    for pattern in patterns:
        sample, extremes = _paths(pattern)
        if admin and not pattern.name.endswith("_change"):
            extremes = []
        for path in extremes:
            check("GET", path, None, client.get(path))
        response = client.get(sample)
        check("GET", sample, None, response)
        if response.status_code == 200:
            fields = set(_FIELD.findall(response.content.decode("utf-8", "replace")))
        elif response.status_code == 405:  # a POST-only action: post what forms usually ask
            fields = set(QUERY_NAMES)
        else:
            continue  # a redirect, 403 or 404 reads no query and shows no form
        fields.discard("csrfmiddlewaretoken")
        for value in VALUES:
            if response.status_code == 200 and not (admin and "_changelist" not in pattern.name):
                query = {name: IN_QUERY[value] for name in QUERY_NAMES}
                check("GET ?", sample, None, client.get(sample, query), value)
            for group in _groups(sorted(fields), value):
                posted = client.post(
                    sample, {name: value if name in group else "1" for name in fields}
                )
                check("POST", sample, None, posted, value)
    return errors


def _site():
    return [p for p in url_patterns() if not p.route.startswith(("admin/", *SKIP))]


@pytest.mark.parametrize("who", ["anonymous", "resident", "hoiku", "municipal", "consultant"])
def test_no_url_answers_500_to_extreme_input(world, who):
    client = Client(raise_request_exception=False)
    if world[who] is not None:
        client.force_login(world[who])
    errors = _walk(client, _site())
    assert not errors, "\n".join(map(str, errors))


def test_no_admin_url_answers_500_to_extreme_input(world):
    client = Client(raise_request_exception=False)
    client.force_login(world["admin"])
    admin = [p for p in url_patterns() if p.route.startswith("admin/") and p.route not in SKIP]
    assert admin
    errors = _walk(client, admin, admin=True)
    assert not errors, "\n".join(map(str, errors))


def test_every_url_pattern_is_walked():
    """Each pattern has sample values that route to it (a new kind of parameter needs one)."""
    patterns = url_patterns()
    walked = {p.route for p in _site()} | {
        p.route for p in patterns if p.route.startswith("admin/")
    }
    assert walked | set(SKIP) == {p.route for p in patterns}
    for pattern in patterns:
        assert pattern.path(lambda name, conv, p=pattern: _sample(p, name, conv)) is not None
