"""Demo data for temporary childcare (registered in apps.py; `make run`): three facilities
(one with an interview and staff approval, one that confirms at once and counts carers × ratios,
one with two fee rates), the demo facility staff account at the first, registered children, and
bookings in several statuses (one confirmed for today or the last open day, for the attendance
marking) — so that every flow can be tried as a resident (hanako, taro), as facility staff
(hoiku) and as municipal staff (shokuin).

Idempotent: facilities, registrations and staff are found by natural keys; the bookings are made
through the services (with their notices in the dev outbox) only while hanako has no upcoming
booking, so an aged demo database gets a fresh set and keeps the old ones as history."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from kosodate.accounts.models import Child, Household, User

from . import rules as R
from . import services, services_facility
from .availability_cache import availability_changed
from .models import (
    Booking,
    BookingEvent,
    CapacityMode,
    ChildcareRules,
    Facility,
    FacilityDay,
    Registration,
)

KOMOREBI = "こもれび保育園 一時保育室"


@dataclass(frozen=True)
class DemoFacility:
    name: str
    fields: dict


DEMO_FACILITIES = (
    DemoFacility(
        KOMOREBI,
        {
            "name_en": "Komorebi Nursery, temporary care room",
            "area": "北部",
            "area_en": "North",
            "address": "東京都こもれび市北町1-2-3",
            "address_en": "1-2-3 Kitamachi, Komorebi City, Tokyo",
            "phone": "03-0000-2001",
            "description": "園庭のある保育園の一時保育室です。0歳から就学前まで受け入れます。",
            "description_en": "A temporary care room in a nursery with a garden, for children "
            "from babies to school entry.",
            "what_to_bring": "着替え2組、おむつ5枚、タオル、お食事エプロン、母子健康手帳のコピー",
            "what_to_bring_en": "Two changes of clothes, five nappies, a towel, a bib, a copy "
            "of the maternal and child health handbook",
            "opens_at": time(8, 30),
            "closes_at": time(17, 0),
            "requires_interview": True,
            "auto_approve": False,
            "capacity_mode": CapacityMode.PLACES,
            "places_age0": 2,
            "places_age1_2": 4,
            "places_age3": 3,
            "places_age4_5": 3,
        },
    ),
    DemoFacility(
        "ひだまり子育て支援センター",
        {
            "name_en": "Hidamari Family Support Centre",
            "area": "南部",
            "area_en": "South",
            "address": "東京都こもれび市南町4-5-6",
            "address_en": "4-5-6 Minamimachi, Komorebi City, Tokyo",
            "phone": "03-0000-2002",
            "description": "予約はすぐに確定します。保育者の人数と配置基準で受け入れ人数が決まります。",
            "description_en": "Bookings are confirmed at once. How many children can come "
            "depends on the carers on duty and the staff ratios.",
            "what_to_bring": "着替え、おむつ、飲み物",
            "what_to_bring_en": "A change of clothes, nappies, a drink",
            "opens_at": time(9, 0),
            "closes_at": time(16, 0),
            "requires_interview": False,
            "auto_approve": True,
            "capacity_mode": CapacityMode.CARERS,
            "carers": 2,
            "max_children": 10,
        },
    ),
    DemoFacility(
        "さくら保育園",
        {
            "name_en": "Sakura Nursery",
            "area": "中央",
            "area_en": "Central",
            "address": "東京都こもれび市本町7-8-9",
            "address_en": "7-8-9 Honcho, Komorebi City, Tokyo",
            "phone": "03-0000-2003",
            "what_to_bring": "着替え、おむつ、タオル",
            "what_to_bring_en": "A change of clothes, nappies, a towel",
            "opens_at": time(8, 0),
            "closes_at": time(18, 0),
            "requires_interview": True,
            "capacity_mode": CapacityMode.PLACES,
            "places_age0": 1,
            "places_age1_2": 3,
            "places_age3": 2,
            "places_age4_5": 2,
            # 千代田区 style: 500 yen/h for the first 4 hours, 800 after.
            "fee_tier_hours": 4,
            "fee_per_hour_after_tier": 800,
            "min_age_months": 6,
        },
    ),
)


def _child(user: User, first_name: str, kana: str, birth_date: date, sex: str) -> Child:
    if user.household_id is None:
        user.household = Household.objects.create(
            postal_code="1000001",
            prefecture="東京都",
            city="こもれび市",
            town="千代田",
            street="3-3",
        )
        user.save(update_fields=["household"])
    child, _ = Child.objects.get_or_create(
        household=user.household,
        first_name=first_name,
        defaults={
            "last_name": user.last_name,
            "last_name_kana": "ヤマダ" if user.last_name == "山田" else "サトウ",
            "first_name_kana": kana,
            "birth_date": birth_date,
            "sex": sex,
        },
    )
    return child


def _registration(facility, child, status=Registration.Status.ACTIVE, **fields) -> Registration:
    existing = Registration.objects.filter(
        facility=facility, child=child, status__in=Registration.OPEN_STATUSES
    ).first()
    if existing is not None:
        return existing
    return Registration.objects.create(
        facility=facility,
        child=child,
        household_id=child.household_id,
        status=status,
        decided_at=timezone.now() if status == Registration.Status.ACTIVE else None,
        **fields,
    )


def _open_days(facility: Facility, today: date, count: int) -> list[date]:
    """The next `count` days the facility is open and the booking window accepts."""
    rules = R.rules_for(facility)
    now = timezone.now()
    days, day = [], today + timedelta(days=rules.cutoff_days_before + 1)
    while len(days) < count:
        if not R.closed_reason(rules, day) and R.window_state(rules, day, now) == "open":
            days.append(day)
        day += timedelta(days=1)
    return days


def _book(user, facility, child, day, start=time(9), end=time(15), reason="work") -> Booking:
    [booking] = services.booking_request(
        user=user,
        facility=facility,
        children=[child],
        day=day,
        start=start,
        end=end,
        reason=reason,
        pickup_person=f"{user.full_name}(保護者)",
        notes="",
    )
    return booking


def _past_attended(facility, user, child, today) -> None:
    """A booking from last month, attended: history for My bookings and the utilisation page."""
    if Booking.objects.filter(child=child, status=Booking.Status.ATTENDED).exists():
        return
    rules = R.rules_for(facility)
    day = today - timedelta(days=14)
    while R.closed_reason(rules, day):
        day -= timedelta(days=1)
    row, _ = FacilityDay.objects.get_or_create(facility=facility, date=day)
    when = timezone.make_aware(datetime.combine(day - timedelta(days=7), time(10)))
    booking = Booking.objects.create(
        facility=facility,
        day=row,
        date=day,
        start_time=time(9),
        end_time=time(13),
        child=child,
        household_id=child.household_id,
        requested_by=user,
        request_group="demo-history",
        age_band=R.age_band(child.birth_date, day),
        reason="refresh",
        pickup_person=f"{user.full_name}(保護者)",
        fee_yen=R.fee_yen(rules, time(9), time(13)),
        status=Booking.Status.ATTENDED,
        created_at=when,
        status_changed_at=when,
    )
    for status in (Booking.Status.PENDING, Booking.Status.CONFIRMED, Booking.Status.ATTENDED):
        BookingEvent.objects.create(booking=booking, status=status, created_at=when)
    FacilityDay.objects.filter(pk=row.pk).update(**{f"held_{_field(booking)}": 1})
    availability_changed()


def _attendance_due(facility, user, child, today) -> None:
    """A confirmed booking on the facility's latest open day up to today (as if the facility's
    rules had let it be made earlier), so that facility staff can try marking attendance or a
    no-show on the day roster. One per day the demo is loaded on."""
    rules = R.rules_for(facility)
    day = today
    while R.closed_reason(rules, day):
        day -= timedelta(days=1)
    if Booking.objects.filter(child=child, date=day, request_group="demo-attendance").exists():
        return
    row, _ = FacilityDay.objects.get_or_create(facility=facility, date=day)
    when = timezone.make_aware(datetime.combine(day - timedelta(days=5), time(10)))
    booking = Booking.objects.create(
        facility=facility,
        day=row,
        date=day,
        start_time=time(9),
        end_time=time(15),
        child=child,
        household_id=child.household_id,
        requested_by=user,
        request_group="demo-attendance",
        age_band=R.age_band(child.birth_date, day),
        reason="work",
        pickup_person=f"{user.full_name}(保護者)",
        fee_yen=R.fee_yen(rules, time(9), time(15)),
        status=Booking.Status.CONFIRMED,
        created_at=when,
        status_changed_at=when,
    )
    for status in (Booking.Status.PENDING, Booking.Status.CONFIRMED):
        BookingEvent.objects.create(booking=booking, status=status, created_at=when)
    held = Booking.objects.filter(
        day=row, age_band=booking.age_band, status__in=Booking.HOLDING
    ).count()
    FacilityDay.objects.filter(pk=row.pk).update(**{f"held_{_field(booking)}": held})
    availability_changed()


def _field(booking) -> str:
    from .models import BAND_FIELDS

    return BAND_FIELDS[booking.age_band]


def childcare_demo_load(*, users: dict[str, User], now: datetime | None = None) -> None:
    """Make what is missing (call inside the demo's transaction)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ChildcareRules.objects.get_or_create(pk=ChildcareRules.SINGLETON_ID)
    facilities = {}
    for item in DEMO_FACILITIES:
        facility = Facility.objects.filter(name=item.name).first()
        if facility is None:
            facility = Facility.objects.create(name=item.name, **item.fields)
        facilities[item.name] = facility
    komorebi = facilities[KOMOREBI]
    hidamari = facilities["ひだまり子育て支援センター"]
    services_facility.facility_staff_add(facility=komorebi, user=users["hoiku"])

    hanako, taro = users["hanako"], users["taro"]
    sakura = _child(hanako, "さくら", "サクラ", today - timedelta(days=560), Child.Sex.FEMALE)
    haruto = _child(hanako, "はると", "ハルト", today - timedelta(weeks=13), Child.Sex.MALE)
    yui = _child(taro, "ゆい", "ユイ", today - timedelta(days=200), Child.Sex.FEMALE)
    sota = _child(taro, "そうた", "ソウタ", today - timedelta(days=3 * 365 + 40), Child.Sex.MALE)
    for child in (sakura, haruto, yui):
        _registration(komorebi, child, interview_done_at=now - timedelta(days=30))
    _registration(hidamari, sakura)
    # In hoiku's queue: a family waiting for an interview date.
    _registration(
        komorebi,
        sota,
        status=Registration.Status.REQUESTED,
        requested_by=taro,
        preferred_date_1=today + timedelta(days=3),
        preferred_date_2=today + timedelta(days=5),
        preferred_note="平日の午前",
    )
    _past_attended(komorebi, hanako, sakura, today)
    _attendance_due(komorebi, taro, yui, today)

    upcoming = Booking.objects.filter(household_id=hanako.household_id, date__gte=today)
    if upcoming.exists():
        return
    confirmed_day, pending_day, full_day, cancelled_day = _open_days(komorebi, today, 4)
    confirmed = _book(hanako, komorebi, sakura, confirmed_day)
    services.booking_approve(booking=confirmed, actor=users["hoiku"])
    _book(hanako, komorebi, sakura, pending_day, start=time(10), end=time(14), reason="medical")
    # One place for babies that day: はると takes it, ゆい waits. Cancelling はると's booking (as
    # hanako) offers the place to ゆい (as taro).
    services_facility.facility_day_capacity_set(
        facility=komorebi, day=full_day, actor=users["hoiku"], places_age0=1
    )
    _book(hanako, komorebi, haruto, full_day, reason="refresh")
    _book(taro, komorebi, yui, full_day, reason="ceremony")
    cancelled = _book(hanako, komorebi, sakura, cancelled_day, reason="refresh")
    services.booking_cancel(booking=cancelled, user=hanako)
    used = {confirmed_day, pending_day, cancelled_day}
    free_day = next(d for d in _open_days(hidamari, today, 8) if d not in used)
    _book(hanako, hidamari, sakura, free_day, end=time(12))


def demo_load(context) -> None:
    """Registered demo data (kosodate.core.registry.DemoData), after the accounts' personas."""
    childcare_demo_load(users=context.users, now=context.now)
