"""Who may open what, on every URL of the app (issue 15 items 8 and 9): another household, facility
staff, another profession, an anonymous visitor, and the photos' direct addresses."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kosodate.consultations import services
from kosodate.consultations.models import Photo, Profession, Slot
from kosodate.consultations.selectors import VIEW_ACTION, staff_member_for
from kosodate.core.images import CleanPhoto
from kosodate.core.models import AuditLog

from .conftest import jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(family, sleep_topic):
    photo = CleanPhoto(jpeg_bytes(), "image/jpeg", 40, 30)
    return services.consultation_ask(
        user=family,
        child=family.household.children.get(),
        topic=sleep_topic,
        body="夜泣き",
        photos=[photo],
    )


@pytest.fixture
def photo(consultation):
    return Photo.objects.get(message__consultation=consultation)


RESIDENT_OBJECT_URLS = [
    ("consultations:detail", "get"),
    ("consultations:thread", "get"),
    ("consultations:reply", "post"),
    ("consultations:close", "post"),
    ("consultations:reopen", "post"),
    ("consultations:cancel", "post"),
]
STAFF_OBJECT_URLS = [
    ("consultations_staff:detail", "get"),
    ("consultations_staff:thread", "get"),
    ("consultations_staff:answer", "post"),
    ("consultations_staff:chat", "post"),
    ("consultations_staff:note", "post"),
    ("consultations_staff:take", "post"),
    ("consultations_staff:assign", "post"),
    ("consultations_staff:handover", "post"),
    ("consultations_staff:outcome", "post"),
]
STAFF_PAGES = [
    "consultations_staff:queue",
    "consultations_staff:slots",
    "consultations_staff:report",
    "consultations_staff:report_csv",
]


@pytest.mark.parametrize(("name", "method"), RESIDENT_OBJECT_URLS)
def test_another_household_gets_404(client, other_family, consultation, name, method):
    client.force_login(other_family)
    response = getattr(client, method)(reverse(name, args=[consultation.pk]), {"body": "x"})
    assert response.status_code == 404
    consultation.refresh_from_db()
    assert consultation.messages.count() == 1 and consultation.status == "waiting_staff"


@pytest.mark.parametrize(("name", "method"), RESIDENT_OBJECT_URLS + STAFF_OBJECT_URLS)
def test_anonymous_is_sent_to_sign_in(client, consultation, name, method):
    response = getattr(client, method)(reverse(name, args=[consultation.pk]), {"body": "x"})
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(("name", "method"), RESIDENT_OBJECT_URLS)
def test_staff_do_not_use_the_family_pages(client, nurse, consultation, name, method):
    client.force_login(nurse)
    response = getattr(client, method)(reverse(name, args=[consultation.pk]), {"body": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "method"), STAFF_OBJECT_URLS)
def test_facility_staff_are_refused(client, facility_staff_user, consultation, name, method):
    client.force_login(facility_staff_user)
    response = getattr(client, method)(reverse(name, args=[consultation.pk]), {"body": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_refuse_facility_staff_residents_and_municipal_staff_without_role(
    client, facility_staff_user, family, municipal_staff, name
):
    for user in (facility_staff_user, family, municipal_staff):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_open_to_professionals(client, nurse, name):
    client.force_login(nurse)
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize(("name", "method"), STAFF_OBJECT_URLS)
def test_another_profession_gets_404(client, dietitian, consultation, name, method):
    client.force_login(dietitian)
    response = getattr(client, method)(reverse(name, args=[consultation.pk]), {"body": "x"})
    assert response.status_code == 404
    assert consultation.messages.count() == 1


def test_handed_over_consultation_opens_for_the_new_profession(
    client, nurse, dietitian, consultation
):
    client.force_login(dietitian)
    url = reverse("consultations_staff:detail", args=[consultation.pk])
    assert client.get(url).status_code == 404
    services.consultation_hand_over(
        member=staff_member_for(nurse),
        consultation=consultation,
        to_profession=Profession.NUTRITION,
        note="離乳食の相談です",
    )
    assert client.get(url).status_code == 200
    client.force_login(nurse)  # the profession it passed through may still read it
    assert client.get(url).status_code == 200


def test_every_look_is_audited(client, nurse, supervisor, consultation):
    url = reverse("consultations_staff:detail", args=[consultation.pk])
    for user in (nurse, supervisor):
        client.force_login(user)
        assert client.get(url).status_code == 200
    readers = AuditLog.objects.filter(action=VIEW_ACTION, target_id=str(consultation.pk))
    assert {entry.actor for entry in readers} == {nurse, supervisor}
    assert nurse.full_name in client.get(url).content.decode()  # "who opened it" is shown


def test_photo_served_only_to_those_allowed(
    client, family, other_family, nurse, dietitian, facility_staff_user, consultation, photo
):
    own = reverse("consultations:photo", args=[consultation.pk, photo.key])
    staff = reverse("consultations_staff:photo", args=[consultation.pk, photo.key])
    assert client.get(own).status_code == 302  # anonymous: sign in first
    client.force_login(family)
    response = client.get(own)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    guessed = reverse("consultations:photo", args=[consultation.pk, "0" * 32])
    assert client.get(guessed).status_code == 404
    client.force_login(other_family)
    assert client.get(own).status_code == 404
    client.force_login(nurse)
    assert client.get(staff).status_code == 200
    client.force_login(dietitian)
    assert client.get(staff).status_code == 404
    client.force_login(facility_staff_user)
    assert client.get(staff).status_code == 403


def test_photo_of_another_consultation_cannot_be_reached_through_ones_own(
    client, family, other_family, sleep_topic, consultation, photo
):
    mine = services.consultation_ask(
        user=other_family,
        child=other_family.household.children.get(),
        topic=sleep_topic,
        body="私の相談",
    )
    client.force_login(other_family)
    url = reverse("consultations:photo", args=[mine.pk, photo.key])
    assert client.get(url).status_code == 404


def test_booking_pages_are_for_residents(client, nurse, facility_staff_user):
    slot = Slot.objects.create(
        profession=Profession.HEALTH,
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1, minutes=10),
    )
    for user in (nurse, facility_staff_user):
        client.force_login(user)
        assert client.get(reverse("consultations:book", args=[slot.pk])).status_code == 404
        assert client.get(reverse("consultations:sessions")).status_code == 404
        assert client.get(reverse("consultations:ask")).status_code == 404
        assert client.get(reverse("consultations:home")).status_code == 404
    client.logout()
    assert client.get(reverse("consultations:book", args=[slot.pk])).status_code == 302


def test_the_staff_menu_shows_consultations_to_whoever_may_open_the_queue(
    nurse, supervisor, facility_staff_user, municipality
):
    """Item 8: professionals and municipal staff given the role; other municipal staff and
    facility staff neither see the entry nor open the queue (the menu asks the views' rule)."""
    from kosodate.accounts.models import User
    from kosodate.core import registry
    from tests.factories import UserFactory

    other_municipal = UserFactory(email="other-kanri@example.jp", role=User.Role.MUNICIPAL_STAFF)

    def sees(user):
        keys = [e.key for e in registry.staff_menu_entries(user, municipality)]
        return "consultations" in keys

    assert sees(nurse) and sees(supervisor)
    assert not sees(other_municipal) and not sees(facility_staff_user)
    assert staff_member_for(other_municipal) is None
