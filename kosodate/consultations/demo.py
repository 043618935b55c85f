"""Demo data for 子育て相談 (registered in apps.py, loaded after the accounts and the families):
one 保健師, one 栄養士 and one 保育士; 花子's answered consultation about はると's sleep and her
booked 栄養士 session; a flagged consultation from 太郎 for the staff's queue; answer templates and a
week of evening slots. Idempotent: running it again adds nothing."""

from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.utils import timezone

from kosodate.accounts.models import Child, Household, User

from . import selectors, services
from .models import AnswerTemplate, Consultation, Profession, Slot, StaffMember, Topic

PROFESSIONALS = (
    ("hokenshi", "hokenshi@example.jp", "中村", "陽子", Profession.HEALTH, "Consultant (保健師)"),
    ("eiyoshi", "eiyoshi@example.jp", "小林", "由美", Profession.NUTRITION, "Consultant (栄養士)"),
    (
        "hoikushi",
        "hoikushi@example.jp",
        "加藤",
        "真理",
        Profession.CHILDCARE,
        "Consultant (保育士)",
    ),
)

TEMPLATES = {
    "sleep": [
        (
            "夜泣き・夜間の目覚め",
            "ご相談ありがとうございます。この月齢では夜中に目を覚ますことはよくあります。"
            "寝る前の過ごし方（明かりを落とす、同じ順番で支度をする）をそろえると、"
            "少しずつ眠りのリズムが整ってきます。気になることがあれば、またお知らせください。",
        )
    ],
    "feeding": [
        (
            "離乳食の進め方",
            "ご相談ありがとうございます。離乳食は1日1回、1さじから始め、"
            "お子さんの様子を見ながら量と種類を増やしていきます。",
        )
    ],
    "development": [
        (
            "発達の目安",
            "発達には個人差があります。次回の乳幼児健診でも様子を一緒に確認しましょう。",
        )
    ],
    "parenting": [
        (
            "子育ての悩み",
            "話してくださってありがとうございます。一人で抱え込まず、"
            "子育て支援センターや地域の相談窓口も利用してください。",
        )
    ],
}


def _professional(context, username, email, last, first, profession, label) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            email=email,
            last_name=last,
            first_name=first,
            role=User.Role.CONSULTANT,
        )
        user.set_password(context.password)
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    StaffMember.objects.get_or_create(user=user, defaults={"profession": profession})
    context.users[username] = user
    context.accounts.append((label, email))
    return user


def _child(resident: User, first_name: str, kana: str, birth, sex) -> Child:
    if resident.household_id is None:
        resident.household = Household.objects.create(
            postal_code="1000001",
            prefecture="東京都",
            city="こもれび市",
            town="千代田",
            street="1-1",
        )
        resident.save(update_fields=["household"])
    child, _ = Child.objects.get_or_create(
        household_id=resident.household_id,
        first_name=first_name,
        defaults={
            "last_name": resident.last_name,
            "last_name_kana": "ヤマダ",
            "first_name_kana": kana,
            "birth_date": birth,
            "sex": sex,
        },
    )
    return child


def demo_load(context) -> None:
    users = context.users
    now = context.now
    today = timezone.localdate(now)
    services.defaults_ensure()
    pros = {p[4]: _professional(context, *p) for p in PROFESSIONALS}
    shokuin = users.get("shokuin")
    if shokuin is not None:  # municipal staff given the consultations role (all professions)
        StaffMember.objects.get_or_create(user=shokuin, defaults={"profession": ""})
    for code, items in TEMPLATES.items():
        topic = Topic.objects.filter(code=code).first()
        for order, (title, body) in enumerate(items):
            if topic is not None:
                AnswerTemplate.objects.get_or_create(
                    topic=topic, title=title, defaults={"body": body, "order": order}
                )
    hanako, taro = users["hanako"], users["taro"]
    haruto = _child(hanako, "はると", "ハルト", today - timedelta(weeks=21), Child.Sex.MALE)
    sota = _child(taro, "そうた", "ソウタ", today - timedelta(days=3 * 365 + 40), Child.Sex.MALE)
    if Consultation.objects.filter(household_id=hanako.household_id).exists():
        return
    nurse = selectors.staff_member_for(pros[Profession.HEALTH])
    sleep = Topic.objects.get(code="sleep")
    asked = now - timedelta(days=2)
    consultation = services.consultation_ask(
        user=hanako,
        child=haruto,
        topic=sleep,
        body="はるとが夜に2〜3回起きて泣きます。授乳すると寝ますが、このままで大丈夫でしょうか。",
        now=asked,
    )
    services.consultation_answer(
        member=nurse,
        consultation=consultation,
        body=TEMPLATES["sleep"][0][1],
        now=asked + timedelta(hours=5),
    )
    services.consultation_set_outcome(member=nurse, consultation=consultation, outcome="advice")
    # Evening slots for the next week, every profession (published by each professional).
    tz = timezone.get_current_timezone()
    for profession, user in pros.items():
        member = selectors.staff_member_for(user)
        for days in range(1, 8):
            start = datetime.combine(today + timedelta(days=days), time(19, 0), tz)
            if not Slot.objects.filter(profession=profession, starts_at=start).exists():
                services.slots_publish(
                    member=member,
                    profession=profession,
                    day=start.date(),
                    start=time(19, 0),
                    count=6,
                    professional=user,
                )
    slot = Slot.objects.filter(profession=Profession.NUTRITION, starts_at__gt=now).first()
    services.booking_create(
        user=hanako,
        slot=slot,
        child=haruto,
        topic=Topic.objects.get(code="feeding"),
        body="離乳食を始める時期と進め方について相談したいです。",
    )
    services.consultation_ask(
        user=taro,
        child=sota,
        topic=Topic.objects.get(code="illness"),
        body="昨日の夜、熱が出てけいれんのようになりました。今は落ち着いていますが心配です。",
        now=now - timedelta(hours=3),
    )
