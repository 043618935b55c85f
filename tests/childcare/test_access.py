"""A booking, registration or facility setting can be seen and changed only by its household and
its facility's staff: everyone else gets a 404, on every URL (ARCHITECTURE.md habit 2). The last
test fails when a URL is added without a line here."""

from datetime import time

import pytest
from django.urls import get_resolver, reverse

from kosodate.childcare import services
from kosodate.childcare.models import Booking, Registration

from .support import FacilityFactory, bookable_day, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(resident, facility, child, facility_staff, municipality):
    staff_of(facility_staff, facility)
    [booking] = services.booking_request(
        user=resident,
        facility=facility,
        children=[child],
        day=bookable_day(),
        start=time(9),
        end=time(12),
        reason="work",
        pickup_person="母",
    )
    registration = Registration.objects.get(child=child)
    return {"booking": booking, "registration": registration, "facility": facility}


# Resident URLs about the family's own objects: (name, method, args from the world).
RESIDENT_OWN = [
    ("childcare:booking_detail", "get", lambda w: [w["booking"].code]),
    ("childcare:booking_cancel", "get", lambda w: [w["booking"].code]),
    ("childcare:booking_cancel", "post", lambda w: [w["booking"].code]),
    ("childcare:booking_accept", "post", lambda w: [w["booking"].code]),
    ("childcare:booking_ics", "get", lambda w: [w["booking"].code]),
]
# Resident URLs that show only the visitor's own things (or public things).
RESIDENT_SCOPED = {
    "childcare:availability",
    "childcare:day",
    "childcare:facility_list",
    "childcare:facility_detail",
    "childcare:registration_create",
    "childcare:booking_create",
    "childcare:booking_send",
    "childcare:registration_list",
    "childcare:booking_list",
}
# Staff URLs about one facility's objects.
STAFF_OWN = [
    ("childcare_staff:booking_detail", "get", lambda w: [w["booking"].code]),
    ("childcare_staff:booking_approve", "post", lambda w: [w["booking"].code]),
    ("childcare_staff:booking_decline", "get", lambda w: [w["booking"].code]),
    ("childcare_staff:booking_decline", "post", lambda w: [w["booking"].code]),
    ("childcare_staff:booking_attended", "post", lambda w: [w["booking"].code]),
    ("childcare_staff:booking_no_show", "post", lambda w: [w["booking"].code]),
    ("childcare_staff:registration_detail", "get", lambda w: [w["registration"].pk]),
    ("childcare_staff:registration_interview", "post", lambda w: [w["registration"].pk]),
    ("childcare_staff:registration_complete", "post", lambda w: [w["registration"].pk]),
    ("childcare_staff:registration_decline", "post", lambda w: [w["registration"].pk]),
    ("childcare_staff:facility", "get", lambda w: [w["facility"].pk]),
    (
        "childcare_staff:roster",
        "get",
        lambda w: [w["facility"].pk, w["booking"].date.isoformat()],
    ),
    ("childcare_staff:capacity", "get", lambda w: [w["facility"].pk]),
    ("childcare_staff:capacity", "post", lambda w: [w["facility"].pk]),
    ("childcare_staff:capacity_day", "post", lambda w: [w["facility"].pk]),
    ("childcare_staff:closures", "get", lambda w: [w["facility"].pk]),
    ("childcare_staff:closures", "post", lambda w: [w["facility"].pk]),
    ("childcare_staff:closure_reopen", "post", lambda w: [w["facility"].pk]),
    ("childcare_staff:rules", "get", lambda w: [w["facility"].pk]),
    ("childcare_staff:rules", "post", lambda w: [w["facility"].pk]),
]
STAFF_SCOPED = {"childcare_staff:index", "childcare_staff:utilisation"}


def _call(client, method, url):
    return getattr(client, method)(url)


@pytest.mark.parametrize(("name", "method", "args"), RESIDENT_OWN, ids=lambda v: str(v))
def test_other_households_get_404(client, world, other_resident, other_child, name, method, args):
    client.force_login(other_resident)
    url = reverse(name, args=args(world))
    assert _call(client, method, url).status_code == 404
    world["booking"].refresh_from_db()
    assert world["booking"].status == Booking.Status.PENDING


@pytest.mark.parametrize(("name", "method", "args"), RESIDENT_OWN, ids=lambda v: str(v))
def test_staff_cannot_use_the_familys_urls(client, world, facility_staff, name, method, args):
    client.force_login(facility_staff)
    assert _call(client, method, reverse(name, args=args(world))).status_code in (403, 404)


@pytest.mark.parametrize(("name", "method", "args"), RESIDENT_OWN, ids=lambda v: str(v))
def test_anonymous_visitors_are_sent_to_sign_in(client, world, name, method, args):
    response = _call(client, method, reverse(name, args=args(world)))
    assert response.status_code == 302
    assert reverse("account_login") in response.url


@pytest.mark.parametrize(("name", "method", "args"), STAFF_OWN, ids=lambda v: str(v))
def test_staff_of_another_facility_get_404(client, world, name, method, args):
    from tests.factories import UserFactory

    stranger = UserFactory(role="facility_staff")
    staff_of(stranger, FacilityFactory())
    client.force_login(stranger)
    assert _call(client, method, reverse(name, args=args(world))).status_code == 404
    world["booking"].refresh_from_db()
    assert world["booking"].status == Booking.Status.PENDING


@pytest.mark.parametrize(("name", "method", "args"), STAFF_OWN, ids=lambda v: str(v))
def test_residents_cannot_open_staff_urls(client, world, resident, name, method, args):
    client.force_login(resident)
    assert _call(client, method, reverse(name, args=args(world))).status_code == 403


@pytest.mark.parametrize(("name", "method", "args"), STAFF_OWN, ids=lambda v: str(v))
def test_the_facilitys_own_staff_may(client, world, facility_staff, name, method, args):
    client.force_login(facility_staff)
    assert _call(client, method, reverse(name, args=args(world))).status_code in (200, 302)


def test_the_family_sees_its_booking(client, world, resident):
    client.force_login(resident)
    for name, method, args in RESIDENT_OWN:
        if method == "get":
            response = client.get(reverse(name, args=args(world)))
            assert response.status_code == 200, name


def test_every_childcare_url_is_listed_here():
    names = set()
    for prefix, namespace in (("childcare/", "childcare"), ("staff/childcare/", "childcare_staff")):
        mounted, resolver = get_resolver().namespace_dict[namespace]
        assert mounted == prefix, f"{namespace} moved to {mounted}: check the lists below"
        names |= {f"{namespace}:{p.name}" for p in resolver.url_patterns}
    listed = {n for n, _, _ in RESIDENT_OWN + STAFF_OWN} | RESIDENT_SCOPED | STAFF_SCOPED
    assert names == listed, f"not listed: {sorted(names - listed)}; stale: {sorted(listed - names)}"
