"""Pages for a signed-in person are never stored by a cache: every response to them says
`Cache-Control: private, no-store`, from one middleware (issue 10.9, ASVS 14.3.2)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kosodate.accounts.models import User
from kosodate.childcare.models import FacilityStaff
from kosodate.core.models import Notification
from tests.childcare.support import FacilityFactory
from tests.events.factories import EventFactory
from tests.factories import ChildFactory, HouseholdFactory, UserFactory
from tests.urlwalk import converter_kind, url_patterns

pytestmark = pytest.mark.django_db


def _private(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


@pytest.fixture
def world(municipality):
    household = HouseholdFactory()
    resident = UserFactory(email="kaho@example.jp", household=household)
    child = ChildFactory(household=household, allergies="卵")
    Notification.objects.create(user=resident, kind="test", title="お知らせ", body="本文")
    municipal = UserFactory(email="shokuin@example.jp", role=User.Role.MUNICIPAL_STAFF)
    hoiku = UserFactory(email="hoiku@example.jp", role=User.Role.FACILITY_STAFF)
    facility = FacilityFactory()
    FacilityStaff.objects.create(user=hoiku, facility=facility)
    event = EventFactory()
    return {
        "resident": resident,
        "child": child,
        "municipal": municipal,
        "hoiku": hoiku,
        "facility": facility,
        "event": event,
    }


def _pages(w):
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    return [
        ("resident", reverse("mypage_details")),
        ("resident", reverse("health_child", args=[w["child"].pk])),
        ("resident", reverse("health_child_ics", args=[w["child"].pk])),
        ("resident", reverse("notification_list")),
        ("resident", reverse("mypage_security_sessions")),
        ("municipal", reverse("staff_accounts_search") + "?q=kaho@example.jp"),
        ("municipal", reverse("events_staff:participants_csv", args=[w["event"].pk])),
        ("municipal", reverse("events_staff:detail", args=[w["event"].pk])),
        ("hoiku", reverse("childcare_staff:roster", args=[w["facility"].pk, day])),
    ]


def test_the_private_pages_named_in_the_report_are_not_cacheable(client, world):
    for who, url in _pages(world):
        client.force_login(world[who])
        response = client.get(url)
        assert response.status_code == 200, url
        assert _private(response), (url, response.get("Cache-Control"))


def test_every_url_answers_a_signed_in_person_with_no_store(client, world):
    """Whatever the page and whatever the answer (a page, a redirect, a 403 or a 404)."""
    sample = {"int": "1", "slug": "step", "str": "x", "path": "1", "regex": "core"}
    for who in ("resident", "municipal"):
        client.force_login(world[who])
        for pattern in url_patterns():
            if pattern.route.startswith(("accounts/logout", "admin/logout")):
                continue  # signing out ends the session: nobody signed in to answer
            path = pattern.path(lambda name, conv: sample[converter_kind(conv)])
            if path is None:
                path = pattern.path(lambda name, conv: "1-1")
            if path is None:
                continue
            response = client.get(path)
            assert _private(response), (who, path, response.status_code)


def test_anonymous_pages_are_left_to_the_views(client, municipality):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
