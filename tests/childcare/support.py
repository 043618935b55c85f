"""Objects for temporary-childcare tests: facilities, families with registered children, and a
day the default rules accept (booking window open, not closed)."""

from datetime import date, time, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from kosodate.childcare import rules as R
from kosodate.childcare.models import Facility, FacilityStaff, Registration
from tests.factories import ChildFactory, HouseholdFactory


class FacilityFactory(DjangoModelFactory):
    class Meta:
        model = Facility

    name = factory.Sequence(lambda n: f"こもれび保育園{n}")
    name_en = factory.Sequence(lambda n: f"Komorebi Nursery {n}")
    area = "北部"
    area_en = "North"
    address = "東京都千代田区千代田1-1"
    address_en = "1-1 Chiyoda, Chiyoda-ku, Tokyo"
    phone = "03-0000-5678"
    what_to_bring = "着替え、おむつ、タオル"
    what_to_bring_en = "A change of clothes, nappies, a towel"
    opens_at = time(8, 30)
    closes_at = time(17, 0)
    requires_interview = True
    places_age0 = 2
    places_age1_2 = 3
    places_age3 = 3
    places_age4_5 = 3


def bookable_day(*, after_days: int = 5, now=None) -> date:
    """The first day from `after_days` ahead that the default rules leave open."""
    rules = R.rules_for(Facility())
    day = timezone.localdate(now) + timedelta(days=after_days)
    while R.closed_reason(rules, day):
        day += timedelta(days=1)
    return day


def family(user, *, children: int = 1, birth_days_ago: int = 800, **child_fields):
    """Give `user` a household with children (about 2 years old by default)."""
    if user.household_id is None:
        user.household = HouseholdFactory()
        user.phone = "+819012345678"
        user.save(update_fields=["household", "phone"])
    birth = timezone.localdate() - timedelta(days=birth_days_ago)
    return [
        ChildFactory(household=user.household, birth_date=birth, **child_fields)
        for _ in range(children)
    ]


def registered(child, facility, status=Registration.Status.ACTIVE) -> Registration:
    return Registration.objects.create(
        facility=facility,
        child=child,
        household=child.household,
        status=status,
        interview_at=timezone.now() + timedelta(days=1)
        if status == Registration.Status.INTERVIEW_SCHEDULED
        else None,
    )


def staff_of(user, facility) -> None:
    FacilityStaff.objects.get_or_create(user=user, facility=facility)


def booking_data(day, *, children, start="09:00", end="15:00", **extra) -> dict:
    return {
        "date": day.isoformat(),
        "start": start,
        "end": end,
        "children": [c.pk for c in children],
        "reason": "work",
        "reason_detail": "",
        "pickup_person": "山田花子(母)",
        "notes": "卵アレルギー",
        **extra,
    }


def childcare_page_world(*, resident, facility_staff, child) -> dict:
    """For the accessibility scans: a facility with `facility_staff` on it, `child` registered,
    the resident's bookings in each state a page shows differently (requested, on the waiting
    list, offered a place), a sibling waiting for an interview, and notifications."""
    from datetime import time

    from kosodate.childcare import services, services_facility

    facility = FacilityFactory(name="こもれび保育園", name_en="Komorebi Nursery")
    staff_of(facility_staff, facility)
    registered(child, facility)
    [sibling] = family(resident, first_name="はると")
    Registration.objects.create(
        facility=facility,
        child=sibling,
        household=sibling.household,
        requested_by=resident,
        preferred_date_1=timezone.localdate() + timedelta(days=3),
        preferred_note="平日の午前",
    )
    days = []
    day = bookable_day()
    rules = R.rules_for(facility)
    while len(days) < 3:
        if not R.closed_reason(rules, day):
            days.append(day)
        day += timedelta(days=1)

    def book(on):
        [booking] = services.booking_request(
            user=resident,
            facility=facility,
            children=[child],
            day=on,
            start=time(9),
            end=time(12),
            reason="work",
            pickup_person="山田花子(母)",
            notes="卵アレルギー",
        )
        return booking

    pending = book(days[0])
    for on in days[1:]:
        services_facility.facility_day_capacity_set(
            facility=facility, day=on, actor=facility_staff, places_age1_2=0
        )
    waitlisted = book(days[1])
    offered = book(days[2])
    services_facility.facility_day_capacity_set(
        facility=facility, day=days[2], actor=facility_staff, places_age1_2=1
    )
    offered.refresh_from_db()
    return {
        "facility": facility,
        "day": days[0],
        "pending": pending,
        "waitlisted": waitlisted,
        "offered": offered,
        "registration": Registration.objects.get(child=sibling),
    }
