"""Demo rows for the health pages (registered as demo data in apps.py; idempotent): the schedule
and checkups, group-checkup dates for the coming months, notices for several ages (one for the
demo's area, one for a household situation), and for the demo resident two children (a baby of
21 weeks and a toddler) with some doses ticked off, so that every status shows: due now, coming
up, overdue, complete, no longer eligible. The day's reminder run then leaves the baby's
rotavirus reminder (its free period ends in three weeks) on the notifications page and in the
outbox, as the daily `health_send_reminders` would."""

from datetime import date, timedelta

from django.utils import timezone

from kosodate.accounts.models import Child, Household, User
from kosodate.core import ages

from .loading import checkup_data_load, schedule_data_load
from .models import Checkup, CheckupSession, DoseRecord, HealthNotice, ScheduleRule, Vaccine
from .services import reminders_send

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


# Notices for an area or a household situation: (title, title_en, body, body_en, targeting).
TARGETED_NOTICES = (
    (
        "千代田地区の親子ひろば",
        "Parent-and-child corner in Chiyoda",
        "千代田地区センターで毎週火曜日の午前に開いています。予約はいりません。",
        "Open at the Chiyoda district centre on Tuesday mornings. No booking needed.",
        {"postal_prefix": "100", "town": "千代田", "age_to_months": 35},
    ),
    (
        "多胎児家庭の移動支援(タクシー券)",
        "Taxi vouchers for families with twins or more",
        "健診や予防接種に行くときのタクシー券を配っています。子育て支援課へお申し込みください。",
        "Taxi vouchers for checkups and immunisations. Apply at the Child Support Division.",
        {"situation": "multiple_birth", "age_to_months": 35},
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
    for title, title_en, body, body_en, targeting in TARGETED_NOTICES:
        HealthNotice.objects.get_or_create(
            title=title,
            defaults={"title_en": title_en, "body": body, "body_en": body_en, **targeting},
        )
    if resident is not None:
        _family_load(resident, today)
        reminders_send(today=today)


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
            born_until = ages.latest_birth_reaching(born_until, checkup.age_from)
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
            "birth_date": today - timedelta(weeks=21),
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
    # Doses on days the standard schedule gives them (terms of kosodate/core/ages.py).
    given = {
        baby: [
            ("hepb", "2m"),
            ("rota1", "2m"),
            ("pcv", "2m"),
            ("dpt_ipv_hib", "2m"),
            ("dpt_ipv_hib", "20w0d"),
        ],
        toddler: [
            ("hepb", "2m"),
            ("hepb", "3m"),
            ("hepb", "7m"),
            ("pcv", "2m"),
            ("pcv", "3m"),
            ("pcv", "4m"),
            ("dpt_ipv_hib", "2m"),
            ("dpt_ipv_hib", "3m"),
            ("dpt_ipv_hib", "4m"),
            ("bcg", "5m+"),
            ("mr1", "12m+"),
        ],
    }
    vaccines = {v.code: v for v in Vaccine.objects.all()}
    for child, doses in given.items():
        for code, age in doses:
            on = ages.term_day(child.birth_date, age)
            if on <= today and code in vaccines:
                DoseRecord.objects.get_or_create(child=child, vaccine=vaccines[code], given_on=on)


def demo_load(context) -> None:
    """Registered demo data (kosodate.core.registry.DemoData), after the accounts' personas."""
    health_demo_load(resident=context.users["hanako"])
