"""Demo data for ファミサポ (registered in apps.py; `manage.py demo_data`): the こもれび市
ファミリー・サポート・センター with six school districts, 12 supporters and 20 families, and one
of each state — an application waiting for the orientation, a supporter in training and one
suspended, a request broadcast and open, one with the advisor, one cancelled, first meetings
needed, scheduled, held and waived, activities confirmed, reported, disputed, settled and cancelled,
and last month closed.

花子 (hanako) is a requesting member who knows her supporter 田中 和子 (supporter@example.jp,
the demo supporter account); 太郎 (taro) has joined and been matched but not yet had his first
meeting; 高橋 (shokuin) is the centre's advisor.

Idempotent: everything is made once, found by the demo supporter's account; requests and matches
go through the services (their notices land in the dev outbox). Dates of past activities are set
directly, as a month of use would have left them."""

import zlib
from datetime import date, time, timedelta

from allauth.account.models import EmailAddress
from django.utils import timezone

from kosodate.accounts.models import Child, Household, User
from kosodate.core.registry import DemoContext

from .models import (
    Activity,
    Advisor,
    Attendance,
    Availability,
    CentreRules,
    District,
    Insurance,
    Meeting,
    Member,
    MonthClose,
    Session,
    SupporterProfile,
)
from .services import activities, matching

SUPPORTER_EMAIL = "supporter@example.jp"
DISTRICTS = (
    ("こもれび小学校区", 0, 0),
    ("北こもれび小学校区", 0, 1),
    ("東小学校区", 1, 0),
    ("西小学校区", -1, 0),
    ("南小学校区", 0, -1),
    ("山の手小学校区", 3, 3),
)
SUPPORTER_NAMES = (
    ("田中", "和子"), ("伊藤", "恵子"), ("渡辺", "由美"), ("中村", "洋子"), ("小林", "明美"),
    ("加藤", "直子"), ("吉田", "久美子"), ("山口", "智子"), ("松本", "幸子"), ("井上", "真理"),
    ("木村", "良子"), ("林", "典子"),
)  # fmt: skip
FAMILY_NAMES = (
    ("清水", "愛"), ("山崎", "舞"), ("森", "彩"), ("池田", "瞳"), ("橋本", "遥"), ("阿部", "結衣"),
    ("石川", "優"), ("山下", "葵"), ("中島", "楓"), ("石井", "萌"), ("小川", "茜"), ("前田", "栞"),
    ("岡田", "渚"), ("長谷川", "凛"), ("藤田", "光"), ("後藤", "望"), ("近藤", "希"), ("村上", "静"),
)  # fmt: skip


def _user(context: DemoContext, username: str, email: str, last: str, first: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            email=email,
            last_name=last,
            first_name=first,
            phone=f"+8190{zlib.crc32(username.encode()) % 10**8:08d}",
        )
        user.set_password(context.password)
        user.save()
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    return user


def _household(user: User, street: str, child_name: str, birth: date) -> Child:
    if user.household_id is None:
        user.household = Household.objects.create(
            postal_code="1000001",
            prefecture="東京都",
            city="こもれび市",
            town="中央",
            street=street,
            municipality_code="131016",
        )
        user.save(update_fields=["household"])
    child = user.household.children.filter(first_name=child_name).first()
    return child or Child.objects.create(
        household=user.household,
        last_name=user.last_name,
        first_name=child_name,
        last_name_kana="デモ",
        first_name_kana="デモ",
        birth_date=birth,
        sex=Child.Sex.FEMALE,
    )


def _member(user, kind, district, status=Member.Status.ACTIVE, n=0) -> Member:
    member, _ = Member.objects.get_or_create(
        user=user,
        defaults={
            "kind": kind,
            "district": district,
            "status": status,
            "card_number": f"KM{n:04d}" if status == Member.Status.ACTIVE else "",
            "valid_until": timezone.localdate() + timedelta(days=365)
            if status == Member.Status.ACTIVE
            else None,
            "confirmed_at": timezone.now() if status == Member.Status.ACTIVE else None,
        },
    )
    return member


def _weekday(from_day: date, weekday: int, days: int) -> date:
    day = from_day + timedelta(days=days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def _match(family: Member, profile: SupporterProfile, **fields):
    request = matching.request_create(member=family, **fields)
    offer = request.offers.filter(supporter=profile).first() or matching.advisor_propose(
        actor=None, request=request, supporter_id=profile.pk
    )
    matching.offer_accept(profile=profile, offer_id=offer.pk)
    return request, request.activities.order_by("date").first()


def familysupport_demo_load(context: DemoContext) -> None:
    if User.objects.filter(email=SUPPORTER_EMAIL).exists():
        context.accounts.append(("Family-support supporter", SUPPORTER_EMAIL))
        return
    today, now = timezone.localdate(), timezone.now()
    CentreRules.objects.get_or_create(
        pk=CentreRules.SINGLETON_ID,
        defaults={
            "centre_name": "こもれび市ファミリー・サポート・センター",
            "centre_phone": "03-0000-3001",
        },
    )
    districts = [
        District.objects.get_or_create(name=n, defaults={"grid_x": x, "grid_y": y})[0]
        for n, x, y in DISTRICTS
    ]
    Advisor.objects.get_or_create(user=context.users["shokuin"])

    # 12 supporters: the demo account first; one in training, one suspended.
    profiles = []
    for n, (last, first) in enumerate(SUPPORTER_NAMES):
        email = SUPPORTER_EMAIL if n == 0 else f"fs-supporter{n:02d}@example.jp"
        user = _user(context, "supporter" if n == 0 else f"fs-supporter{n:02d}", email, last, first)
        member = _member(
            user, Member.Kind.BOTH if n == 3 else Member.Kind.SUPPORT, districts[n % 5], n=100 + n
        )
        status = {10: "training", 11: "suspended"}.get(n, "approved")
        profile = SupporterProfile.objects.create(
            member=member,
            display_name=f"{last}さん",
            status=status,
            certificate_date=None if status == "training" else today - timedelta(days=200 + n),
            certificate_expires=None if status == "training" else today + timedelta(days=900 - n),
            can_pickup=True,
            can_home_care=n % 3 != 2,
            can_sick_recovery=n % 4 == 0,
            can_siblings=n % 2 == 0,
            can_early_late=n % 3 == 0,
            about="送迎と放課後の預かりをしています。" if n == 0 else "",
        )
        Availability.objects.bulk_create(
            Availability(
                profile=profile,
                weekday=w,
                starts=time(7 if n % 3 == 0 else 9),
                ends=time(21 if n % 3 == 0 else 18),
            )
            for w in range(5 if n % 4 else 6)
        )
        Insurance.objects.get_or_create(
            member=member, fiscal_year=today.year, defaults={"policy": "ファミサポ補償保険"}
        )
        profiles.append(profile)
    kazuko = profiles[0]
    context.accounts.append(("Family-support supporter", SUPPORTER_EMAIL))

    # Sessions: an orientation ahead (with the applicant), a training course.
    orientation = Session.objects.create(
        kind=Session.Kind.ORIENTATION,
        title="入会説明会",
        starts_at=now + timedelta(days=6),
        place="こもれび市子育て支援センター 2階",
        capacity=15,
    )
    training = Session.objects.create(
        kind=Session.Kind.TRAINING,
        title="提供会員養成講座（全4回）第1回",
        starts_at=now + timedelta(days=12),
        place="こもれび市役所 会議室A",
        capacity=20,
    )
    Attendance.objects.create(session=training, member=profiles[10].member)

    # 20 families: 花子, 太郎 and 18 more; the last one has only applied. The others' children
    # are about 8 (primary school, between immunisation windows), so health's demo reminders,
    # which run over every child before this loader, stay as they are on a second run.
    hanako, taro = context.users["hanako"], context.users["taro"]
    families = []
    for n, (user, child_name) in enumerate([(hanako, "さくら"), (taro, "そうた")]):
        _household(user, "1-2-3", child_name, today - timedelta(days=4 * 365))
        families.append(_member(user, Member.Kind.REQUEST, districts[0], n=n + 1))
    for n, (last, first) in enumerate(FAMILY_NAMES):
        user = _user(context, f"fs-family{n:02d}", f"fs-family{n:02d}@example.jp", last, first)
        _household(user, f"{n + 2}-1", "ひなた", today - timedelta(days=8 * 365 + 10 * n))
        applied = n == len(FAMILY_NAMES) - 1
        member = _member(
            user,
            Member.Kind.REQUEST,
            districts[n % 5],
            status=Member.Status.APPLIED if applied else Member.Status.ACTIVE,
            n=10 + n,
        )
        if applied:
            Attendance.objects.create(session=orientation, member=member)
        families.append(member)
    hanako_m, taro_m = families[0], families[1]
    sakura = hanako.household.children.get(first_name="さくら")
    sota = taro.household.children.get(first_name="そうた")
    common = {
        "kind": "pickup",
        "starts": time(16),
        "ends": time(18),
        "place": "こもれび保育園",
        "pickup": "母 山田花子（保育園の先生に伝えてあります）",
        "notes": "卵アレルギー",
    }

    # 花子 and 田中さん: met (held), last month settled and closed, a report to confirm, one ahead.
    _req, settled = _match(
        hanako_m, kazuko, child=sakura, first_date=_weekday(today, 1, 2), **common
    )
    Meeting.objects.filter(family=hanako_m, supporter=kazuko).update(
        status=Meeting.Status.HELD,
        scheduled_at=now - timedelta(days=40),
        place="こもれび市子育て支援センター",
    )
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=10)
    Activity.objects.filter(pk=settled.pk).update(date=last_month)
    settled.refresh_from_db()
    activities.report_file(
        user=kazuko.member.user,
        activity=settled,
        actual_start=time(16),
        actual_end=time(17, 40),
        done="保育園から自宅まで送迎し、おやつ",
        transport=0,
    )
    activities.report_confirm(user=hanako, activity=settled)
    activities.payment_record(user=kazuko.member.user, activity=settled)
    MonthClose.objects.create(
        month=last_month.replace(day=1),
        closed_by=context.users["shokuin"],
        activities=1,
        total_fee=Activity.objects.get(pk=settled.pk).fee,
    )
    _req, reported = _match(
        hanako_m, kazuko, child=sakura, first_date=_weekday(today, 3, 2), **common
    )
    Activity.objects.filter(pk=reported.pk).update(date=today - timedelta(days=1))
    reported.refresh_from_db()
    activities.report_file(
        user=kazuko.member.user,
        activity=reported,
        actual_start=time(16),
        actual_end=time(18, 10),
        done="送迎と絵本の読み聞かせ",
        transport=220,
    )
    _match(hanako_m, kazuko, child=sakura, first_date=_weekday(today, 1, 5), **common)

    # 太郎: matched with 伊藤さん, first meeting still to arrange: no activity before it.
    _match(
        taro_m,
        profiles[1],
        child=sota,
        first_date=_weekday(today, 2, 4),
        **{**common, "kind": "after_school", "place": "自宅", "pickup": ""},
    )

    # Other families, one of each state.
    f = families[2:]
    held = [(f[0], profiles[2]), (f[1], profiles[3]), (f[2], profiles[4])]
    for family, profile in held:
        child = family.user.household.children.first()
        _req, _activity = _match(
            family,
            profile,
            child=child,
            first_date=_weekday(today, 0, 3),
            **{**common, "pickup": ""},
        )
        Meeting.objects.filter(family=family, supporter=profile).update(status="held")
    disputed = Activity.objects.filter(request__family=f[0]).first()
    Activity.objects.filter(pk=disputed.pk).update(date=today - timedelta(days=2))
    disputed.refresh_from_db()
    activities.report_file(
        user=profiles[2].member.user,
        activity=disputed,
        actual_start=time(16),
        actual_end=time(19),
        done="送迎",
    )
    activities.report_dispute(
        user=f[0].user, activity=disputed, reason="お迎えは18時でした。終了時刻が違います。"
    )
    cancelled = Activity.objects.filter(request__family=f[1]).first()
    activities.activity_cancel(user=f[1].user, activity=cancelled, side="family")
    scheduled_meeting = Meeting.objects.get(family=f[2], supporter=profiles[4])
    Meeting.objects.filter(pk=scheduled_meeting.pk).update(
        status="scheduled", scheduled_at=now + timedelta(days=2), place="センター"
    )
    _req, _urgent = _match(
        f[3],
        profiles[5],
        child=f[3].user.household.children.first(),
        first_date=_weekday(today, 4, 2),
        **{**common, "pickup": ""},
    )
    activities.meeting_waive(
        actor=context.users["shokuin"],
        meeting=Meeting.objects.get(family=f[3], supporter=profiles[5]),
        reason="保護者の急な入院のため",
    )
    # An open broadcast, one with the advisor (nobody fits a Sunday), one withdrawn.
    matching.request_create(
        member=f[4],
        child=f[4].user.household.children.first(),
        first_date=_weekday(today, 2, 6),
        **{**common, "pickup": ""},
    )
    matching.request_create(
        member=f[5],
        child=f[5].user.household.children.first(),
        first_date=_weekday(today, 6, 6),
        **{**common, "kind": "outing", "pickup": ""},
    )
    withdrawn = matching.request_create(
        member=f[6],
        child=f[6].user.household.children.first(),
        first_date=_weekday(today, 3, 6),
        **{**common, "pickup": ""},
    )
    matching.request_cancel(member=f[6], request=withdrawn)
