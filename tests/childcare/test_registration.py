"""Registration with a facility and the first interview: the family proposes dates, the facility
sets one and later marks it held, and only then can the child be booked."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kosodate.childcare.models import Registration
from kosodate.core.models import Notification, OutboundMessage

from .support import family

pytestmark = pytest.mark.django_db


def test_register_with_interview_dates(client, resident, staffed_facility, facility_staff):
    [kid] = family(resident)
    client.force_login(resident)
    url = reverse("childcare:registration_create", args=[staffed_facility.pk])
    # Without a preferred date: refused, with the reason.
    response = client.post(url, {"children": [kid.pk]})
    assert response.status_code == 200
    assert "必須" in response.content.decode()
    assert not Registration.objects.exists()
    soon = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        url, {"children": [kid.pk], "preferred_date_1": soon, "preferred_note": "午前"}
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.status == "requested"
    assert registration.preferred_note == "午前"
    assert OutboundMessage.objects.filter(kind="childcare.registration_requested").exists()
    assert Notification.objects.filter(user=facility_staff).exists()

    # The facility sets the interview date, then marks it held.
    client.force_login(facility_staff)
    when = (timezone.localtime() + timedelta(days=4)).replace(hour=10, minute=0)
    client.post(
        reverse("childcare_staff:registration_interview", args=[registration.pk]),
        {"interview_at": when.strftime("%Y-%m-%dT%H:%M")},
    )
    registration.refresh_from_db()
    assert registration.status == "interview_scheduled"
    assert OutboundMessage.objects.filter(
        kind="childcare.registration_interview_scheduled"
    ).exists()
    # Not before its day (issue 12 item 8): refused, the page says why instead of the button.
    detail = reverse("childcare_staff:registration_detail", args=[registration.pk])
    page = client.get(detail).content.decode()
    assert "面談の日" in page
    assert reverse("childcare_staff:registration_complete", args=[registration.pk]) not in page
    response = client.post(
        reverse("childcare_staff:registration_complete", args=[registration.pk]), follow=True
    )
    assert "面談の日" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == "interview_scheduled"
    assert registration.interview_done_at is None
    # The day comes (the interview was an hour ago): now it can be recorded as held.
    Registration.objects.filter(pk=registration.pk).update(
        interview_at=timezone.now() - timedelta(hours=1)
    )
    client.post(reverse("childcare_staff:registration_complete", args=[registration.pk]))
    registration.refresh_from_db()
    assert registration.status == "active"
    assert registration.interview_done_at is not None

    client.force_login(resident)
    page = client.get(reverse("childcare:registration_list")).content.decode()
    assert "登録済" in page
    assert reverse("childcare:booking_create", args=[staffed_facility.pk]) in page


def test_a_child_registers_once(client, resident, facility, child):
    client.force_login(resident)
    soon = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        reverse("childcare:registration_create", args=[facility.pk]),
        {"children": [child.pk], "preferred_date_1": soon},
    )
    assert "すでにこの施設に登録済み" in response.content.decode()
    assert Registration.objects.count() == 1


def test_decline_registration_with_reason(client, resident, staffed_facility, facility_staff):
    [kid] = family(resident)
    registration = Registration.objects.create(
        facility=staffed_facility, child=kid, household=kid.household, requested_by=resident
    )
    client.force_login(facility_staff)
    client.post(
        reverse("childcare_staff:registration_decline", args=[registration.pk]),
        {"reason": "対象地区外のため"},
    )
    registration.refresh_from_db()
    assert registration.status == "declined"
    assert (
        "対象地区外のため"
        in OutboundMessage.objects.get(kind="childcare.registration_declined").body
    )


def test_registration_needs_a_usable_account(client, municipality, facility):
    from tests.factories import UserFactory

    unverified = UserFactory(verified_email=False)
    client.force_login(unverified)
    response = client.get(reverse("childcare:registration_create", args=[facility.pk]))
    assert response.status_code == 403


def test_an_interview_is_held_only_from_its_day(resident, staffed_facility, facility_staff):
    """Set for 12-07, it cannot be completed on 12-04; with no date set, not at all; on the day
    (even before the hour) it can."""
    from datetime import datetime

    from django.core.exceptions import ValidationError
    from django.utils import translation

    from kosodate.childcare import services_registration
    from kosodate.core.models import AuditLog

    [kid] = family(resident)
    registration = Registration.objects.create(
        facility=staffed_facility, child=kid, household=kid.household, requested_by=resident
    )
    with translation.override("en"):
        tz = timezone.get_current_timezone()
        dec4 = datetime(2026, 12, 4, 15, 0, tzinfo=tz)
        with pytest.raises(ValidationError, match="interview date first"):
            services_registration.registration_complete(
                registration=registration, actor=facility_staff, now=dec4
            )
        Registration.objects.filter(pk=registration.pk).update(
            status="interview_scheduled", interview_at=datetime(2026, 12, 7, 14, 0, tzinfo=tz)
        )
        registration.refresh_from_db()
        with pytest.raises(ValidationError, match="recorded as held from that day"):
            services_registration.registration_complete(
                registration=registration, actor=facility_staff, now=dec4
            )
        registration.refresh_from_db()
        assert registration.status == "interview_scheduled"
        assert not AuditLog.objects.filter(action="childcare.registration.active").exists()
        services_registration.registration_complete(
            registration=registration,
            actor=facility_staff,
            now=datetime(2026, 12, 7, 9, 0, tzinfo=tz),
        )
        registration.refresh_from_db()
        assert registration.status == "active"
        assert registration.interview_done_at == datetime(2026, 12, 7, 9, 0, tzinfo=tz)
