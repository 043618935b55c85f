"""Demo events (registered in apps.py; `manage.py demo_data`): one of each mode and state — a
first-come class with places, one more that 花子 has not applied for yet (to try applying), a full
one with 花子 on its waitlist, one where a place came free and is offered to 花子 (to try
confirming an offer), a lottery taking applications, a lottery already drawn, a cancelled meetup
and a class whose applications open later. 親子リトミック is organised by こもれび保育園, the
centre where the facility-staff persona (hoiku) works: hoiku runs that event and no other.

Idempotent: each event is found by its title and made once, through the services, as staff and
residents would make it."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from kosodate.accounts.models import Child, Household, User

from . import services, services_scheduled, services_staff
from .models import Event

PLACE = ("こもれび子育て支援センター", "Komorebi family support centre")
PLACE_2 = ("ひだまり児童館", "Hidamari children's hall")


def _at(now: datetime, days: int, hour: int) -> datetime:
    day = timezone.localtime(now).date() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _household_with_baby(user: User, today: date) -> list[Child]:
    if user.household_id is None:
        user.household = Household.objects.create(
            postal_code="1000001",
            prefecture="東京都",
            city="こもれび市",
            town="千代田",
            street="2-2",
        )
        user.save(update_fields=["household"])
    child, _ = Child.objects.get_or_create(
        household=user.household,
        first_name="ゆい",
        defaults={
            "last_name": user.last_name,
            "last_name_kana": "サトウ",
            "first_name_kana": "ユイ",
            "birth_date": today - timedelta(days=200),
            "sex": Child.Sex.FEMALE,
        },
    )
    return [child]


def _event(admin: User, title: str, **fields) -> tuple[Event, bool]:
    event = Event.objects.filter(title=title).first()
    if event is not None:
        return event, False
    fields.setdefault("place", PLACE[0])
    fields.setdefault("place_en", PLACE[1])
    fields.setdefault("category", Event.Category.CLASS)
    return services_staff.event_create(actor=admin, title=title, **fields), True


def events_demo_load(*, admin: User, hanako: User, taro: User, now: datetime | None = None) -> None:
    """Make the demo events that are missing (an aged demo database shows them as past)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    taro_children = _household_with_baby(taro, today)
    hanako_children = list(Child.objects.filter(household_id=hanako.household_id))
    window = {"applications_open_at": now - timedelta(days=2)}

    event, created = _event(
        admin,
        "親子リトミック",
        title_en="Rhythm play for parents and children",
        description="音楽に合わせて親子で体を動かします。動きやすい服装でお越しください。",
        description_en="Move together to music. Please wear comfortable clothes.",
        category=Event.Category.PLAY,
        starts_at=_at(now, 10, 10),
        ends_at=_at(now, 10, 11),
        min_age_months=12,
        max_age_months=36,
        capacity=10,
        bring="飲み物、タオル",
        bring_en="A drink and a towel",
        applications_close_at=_at(now, 8, 17),
        **window,
    )
    toddlers = [c for c in hanako_children if event.child_fits(c)]
    if created and toddlers:
        services.application_create(event=event, user=hanako, children=toddlers[:1], adults=1)

    event, created = _event(
        admin,
        "ベビーマッサージ",
        title_en="Baby massage",
        description="助産師と一緒に、赤ちゃんとのふれあい方を学びます。",
        description_en="Learn baby massage with a midwife.",
        starts_at=_at(now, 6, 10),
        ends_at=_at(now, 6, 11),
        min_age_months=2,
        max_age_months=11,
        capacity=1,
        bring="バスタオル",
        bring_en="A bath towel",
        applications_close_at=_at(now, 5, 17),
        **window,
    )
    if created:
        services.application_create(event=event, user=taro, children=taro_children, adults=1)
        babies = [c for c in hanako_children if event.child_fits(c)]
        if babies:
            services.application_create(event=event, user=hanako, children=babies[:1], adults=1)

    event, created = _event(
        admin,
        "絵本とわらべうた",
        title_en="Picture books and nursery rhymes",
        description="絵本の読み聞かせと、わらべうたで遊ぶ時間です。",
        description_en="Picture-book reading and nursery-rhyme play.",
        category=Event.Category.PLAY,
        place=PLACE_2[0],
        place_en=PLACE_2[1],
        starts_at=_at(now, 12, 10),
        ends_at=_at(now, 12, 11),
        min_age_months=0,
        max_age_months=72,
        capacity=20,
        applications_close_at=_at(now, 11, 17),
        **window,
    )

    event, created = _event(
        admin,
        "親子ふれあい遊び",
        title_en="Play time for parents and babies",
        description="手遊びやふれあい遊びを楽しみます。",
        description_en="Finger plays and games for parents and babies.",
        category=Event.Category.PLAY,
        starts_at=_at(now, 7, 10),
        ends_at=_at(now, 7, 11),
        min_age_months=0,
        max_age_months=24,
        capacity=1,
        applications_close_at=_at(now, 6, 17),
        **window,
    )
    babies = [c for c in hanako_children if event.child_fits(c)]
    if created and babies:
        # 太郎 takes the only place, 花子 waits, 太郎 cancels: the place is offered to 花子.
        taken = services.application_create(
            event=event, user=taro, children=taro_children, adults=1
        )
        services.application_create(event=event, user=hanako, children=babies[:1], adults=1)
        services.application_cancel(application=taken, user=taro)

    event, created = _event(
        admin,
        "離乳食講座(抽選)",
        title_en="Weaning class (lottery)",
        description="栄養士が離乳食の進め方をお話しします。応募多数の場合は抽選です。",
        description_en="A nutritionist explains weaning. Places are drawn by lottery.",
        category=Event.Category.HEALTH,
        starts_at=_at(now, 20, 13),
        ends_at=_at(now, 20, 14),
        min_age_months=0,
        max_age_months=24,
        capacity=8,
        mode=Event.Mode.LOTTERY,
        applications_close_at=_at(now, 9, 17),
        **window,
    )
    if created and hanako_children:
        fits = [c for c in hanako_children if event.child_fits(c)]
        if fits:
            services.application_create(event=event, user=hanako, children=fits[:1], adults=1)

    event, created = _event(
        admin,
        "夏の水遊び(抽選済み)",
        title_en="Summer water play (drawn)",
        description="園庭で水遊びをします。着替えをお持ちください。",
        description_en="Water play in the garden. Bring a change of clothes.",
        category=Event.Category.PLAY,
        place=PLACE_2[0],
        place_en=PLACE_2[1],
        starts_at=_at(now, 4, 10),
        ends_at=_at(now, 4, 11),
        min_age_months=0,
        max_age_months=72,
        capacity=1,
        mode=Event.Mode.LOTTERY,
        applications_close_at=_at(now, 3, 17),
        **window,
    )
    if created:
        services.application_create(event=event, user=taro, children=taro_children, adults=1)
        if hanako_children:
            services.application_create(
                event=event, user=hanako, children=hanako_children[:1], adults=1
            )
        Event.objects.filter(pk=event.pk).update(applications_close_at=now - timedelta(minutes=1))
        event.refresh_from_db()
        services_scheduled.lottery_draw(event=event, now=now)

    event, created = _event(
        admin,
        "保護者交流会(中止)",
        title_en="Parents' meetup (cancelled)",
        description="子育ての悩みを話し合う交流会です。",
        description_en="A meetup to talk about parenting.",
        category=Event.Category.MEETUP,
        starts_at=_at(now, 3, 14),
        ends_at=_at(now, 3, 15),
        min_age_months=None,
        max_age_months=None,
        capacity=15,
        applications_close_at=_at(now, 2, 17),
        **window,
    )
    if created:
        services.application_create(event=event, user=taro, children=[], adults=1)
        services_staff.event_cancel(event=event, actor=admin, reason="台風の接近のため中止します。")

    _event(
        admin,
        "秋の親子工作",
        title_en="Autumn crafts for parents and children",
        description="どんぐりや落ち葉で工作をします。",
        description_en="Crafts with acorns and leaves.",
        category=Event.Category.CLASS,
        place=PLACE_2[0],
        place_en=PLACE_2[1],
        starts_at=_at(now, 30, 10),
        ends_at=_at(now, 30, 12),
        min_age_months=24,
        max_age_months=72,
        capacity=12,
        fee=300,
        applications_open_at=_at(now, 3, 0),
        applications_close_at=_at(now, 25, 17),
    )


def _organised_by_the_centre(*, admin: User, staff: User) -> None:
    """親子リトミック is organised by the centre `staff` work at (after childcare's demo data),
    so they run it from the back office — and see no other event."""
    centre_model = Event._meta.get_field("organiser").related_model
    centre = centre_model.objects.filter(staff_members__user=staff).order_by("pk").first()
    event = Event.objects.filter(title="親子リトミック").first()
    if centre is not None and event is not None and event.organiser_id is None:
        services_staff.event_update(event=event, actor=admin, organiser=centre)


def demo_load(context) -> None:
    """Registered demo data (kosodate.core.registry.DemoData), after the accounts' personas and
    childcare's facilities (one event is run by hoiku's centre)."""
    users = context.users
    events_demo_load(
        admin=users["admin"], hanako=users["hanako"], taro=users["taro"], now=context.now
    )
    _organised_by_the_centre(admin=users["admin"], staff=users["hoiku"])
