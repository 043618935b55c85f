"""Demo rows for the health pages (called from kosodate/core/demo.py; idempotent): the schedule
and checkups, group-checkup dates for the coming months, notices for several ages, and for the
demo resident two children (a baby and a toddler) with some doses ticked off."""

from datetime import date, timedelta

from django.utils import timezone

from kosodate.accounts.models import Child, Household, User

from .ages import age_reached
from .loading import checkup_data_load, schedule_data_load
from .models import Checkup, CheckupSession, DoseRecord, HealthNotice, ScheduleRule, Vaccine

NOTICES = (
    (
        "離乳食教室(5〜7か月のお子さん)",
        "Weaning class (babies of 5–7 months)",
        "保健センターで毎月第2水曜日に開きます。申し込みは講座・イベントのページから。",
        "Held at the Health Centre on the 2nd Wednesday of each month. Apply on the Events page.",
        0,
        8,
    ),
    (
        "1歳6か月児歯科健診のご案内",
        "Dental checkup at 18 months",
        "1歳6か月児健診と同じ日に歯科健診を行います。歯ブラシをお持ちください。",
        "A dental check is held on the same day as the 18-month checkup. Bring a toothbrush.",
        15,
        23,
    ),
    (
        "冬の感染症に気をつけましょう",
        "Winter infections: what to watch for",
        "発熱が続くときや水分がとれないときは、早めに受診してください。",
        "See a doctor early if a fever lasts or your child cannot drink.",
        0,
        72,
    ),
    (
        "就学前健康診断のお知らせ",
        "Health check before starting school",
        "来年4月に小学校へ入学するお子さんの健康診断を10月に行います。",
        "Children starting primary school next April have a health check in October.",
        60,
        83,
    ),
)


def health_demo_load(*, resident: User | None = None, today: date | None = None) -> None:
    today = today or timezone.localdate()
    schedule_data_load(vaccine_model=Vaccine, rule_model=ScheduleRule)
    checkup_data_load(checkup_model=Checkup)
    _sessions_load(today)
    for title, title_en, body, body_en, age_from, age_to in NOTICES:
        HealthNotice.objects.get_or_create(
            title=title,
            defaults={
                "title_en": title_en,
                "body": body,
                "body_en": body_en,
                "age_from_months": age_from,
                "age_to_months": age_to,
            },
        )
    if resident is not None:
        _family_load(resident, today)


def _sessions_load(today: date) -> None:
    """A session of each group checkup on the 15th of the next three months, for the children
    born in the month that makes them the checkup's age then."""
    for checkup in Checkup.objects.filter(method=Checkup.Method.GROUP):
        for ahead in range(1, 4):
            month = (today.month - 1 + ahead) % 12 + 1
            year = today.year + (today.month - 1 + ahead) // 12
            held_on = date(year, month, 15)
            # Children who reach the checkup's first age in the month before the session.
            born_until = _month_start(held_on) - timedelta(days=1)
            born_until = _born_for_age(born_until, checkup.age_from)
            born_from = _month_start(born_until)
            CheckupSession.objects.get_or_create(
                checkup=checkup,
                held_on=held_on,
                defaults={
                    "reception": "13:00–14:00",
                    "born_from": born_from,
                    "born_until": born_until,
                },
            )


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _born_for_age(on: date, age: str) -> date:
    """The latest birth date of a child who has reached `age` by `on`."""
    birth = on
    while age_reached(birth, age) > on:
        birth -= timedelta(days=28)
    while age_reached(birth + timedelta(days=1), age) <= on:
        birth += timedelta(days=1)
    return birth


def _family_load(resident: User, today: date) -> None:
    if resident.household_id is None:
        resident.household = Household.objects.create(
            postal_code="1000001",
            prefecture="東京都",
            city="こもれび市",
            town="千代田",
            street="1-1",
        )
        resident.save(update_fields=["household"])
    household = resident.household
    baby, _ = Child.objects.get_or_create(
        household=household,
        first_name="はると",
        defaults={
            "last_name": resident.last_name,
            "last_name_kana": "ヤマダ",
            "first_name_kana": "ハルト",
            "birth_date": today - timedelta(weeks=13),
            "sex": Child.Sex.MALE,
        },
    )
    toddler, _ = Child.objects.get_or_create(
        household=household,
        first_name="さくら",
        defaults={
            "last_name": resident.last_name,
            "last_name_kana": "ヤマダ",
            "first_name_kana": "サクラ",
            "birth_date": today - timedelta(days=560),
            "sex": Child.Sex.FEMALE,
        },
    )
    given = {
        baby: [("hepb", 61), ("rota1", 61), ("pcv", 61), ("dpt_ipv_hib", 61)],
        toddler: [
            ("hepb", 61),
            ("hepb", 92),
            ("hepb", 230),
            ("pcv", 61),
            ("pcv", 92),
            ("pcv", 123),
            ("dpt_ipv_hib", 61),
            ("dpt_ipv_hib", 92),
            ("dpt_ipv_hib", 123),
            ("bcg", 160),
            ("mr1", 370),
        ],
    }
    vaccines = {v.code: v for v in Vaccine.objects.all()}
    for child, doses in given.items():
        for code, days in doses:
            on = child.birth_date + timedelta(days=days)
            if on <= today and code in vaccines:
                DoseRecord.objects.get_or_create(child=child, vaccine=vaccines[code], given_on=on)
