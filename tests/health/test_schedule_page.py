"""The schedule page, read as a family reads it: for a girl born on 31 December, on 29 February
and on the 1st of a month, every vaccine card shows the legally right first day ("Can be given
from") and last free day ("Free until") of its first dose. Each expected date below is worked
out by hand from the rule in the test's name (docs/immunisation.md), not by the code under test.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from kosodate.accounts.models import Child
from tests.factories import ChildFactory, HouseholdFactory

pytestmark = pytest.mark.django_db

CARD = re.compile(r'data-vaccine="(?P<code>[\w-]+)"(?P<body>.*?)</li>', re.S)
FIELD = re.compile(r"<dt>(?P<label>[^<]+)</dt><dd>(?P<value>[^<]*)</dd>")


def _page(client, resident, birth: date, today: date) -> dict[str, tuple[str, str]]:
    resident.household = HouseholdFactory()
    resident.save()
    child = ChildFactory(household=resident.household, birth_date=birth, sex=Child.Sex.FEMALE)
    client.force_login(resident)
    noon = datetime(today.year, today.month, today.day, 12, tzinfo=ZoneInfo("Asia/Tokyo"))
    with time_machine.travel(noon, tick=False):
        html = client.get(reverse("health_child", args=[child.pk]), HTTP_ACCEPT_LANGUAGE="ja")
    assert html.status_code == 200
    cards = {}
    for card in CARD.finditer(html.text):
        fields = {m["label"]: m["value"] for m in FIELD.finditer(card["body"])}
        cards[card["code"]] = (fields.get("接種できる日", ""), fields.get("無料期限", ""))
    return cards


def _expect(cards, expected):
    assert set(cards) == set(expected), "a vaccine is missing or extra on the page"
    wrong = {code: (cards[code], want) for code, want in expected.items() if cards[code] != want}
    assert not wrong, wrong


def test_born_31_december_months_end_on_the_last_day_of_a_shorter_month_rule_2(
    client, resident, schedule
):
    # 生後2月: no 31 February → 28 February (rule 2). 生後n月 / n歳 otherwise the day before
    # the 31st (rule 1, 3): 12/30. 出生6週0日後 / 24週0日後: +42 / +168 days (rule 6).
    # School entry 2032-04-01 (6th birthday 2031-12-31); HPV: 12歳 on 2037-12-30 (年度 2037),
    # 16歳 on 2041-12-30 (年度 2041, ends 2042-03-31).
    cards = _page(client, resident, date(2025, 12, 31), today=date(2026, 1, 15))
    _expect(
        cards,
        {
            "hepb": ("2025-12-31", "2026-12-30"),  # 出生の日から 1歳に至るまで
            "rota1": ("2026-02-11", "2026-06-17"),  # 出生6週0日後から 24週0日後まで
            "dpt_ipv_hib": ("2026-02-28", "2033-06-30"),  # 生後2月 (rule 2) to 生後90月 (rule 2)
            "pcv": ("2026-02-28", "2030-12-30"),  # 生後2月 (rule 2) to 生後60月
            "bcg": ("2025-12-31", "2026-12-30"),
            "mr1": ("2026-12-30", "2027-12-30"),  # 生後12月から24月に至るまで
            "mr2": ("2031-04-01", "2032-03-31"),  # 就学の始期の1年前の日から前日まで
            "varicella": ("2026-12-30", "2028-12-30"),
            "je1": ("2026-06-30", "2033-06-30"),  # 生後6月: no 31 June → 30 June (rule 2)
            "je2": ("2034-12-30", "2038-12-30"),  # 9歳以上13歳未満 (rule 3, 4)
            "dt": ("2036-12-30", "2038-12-30"),
            "hpv": ("2037-04-01", "2042-03-31"),
        },
    )


def test_born_29_february_years_are_reached_on_28_february_rules_2_and_3(
    client, resident, schedule
):
    # 1歳に達した日: no 29 February in 2025 → 28 February (rules 2, 3). 生後2月: 4/29 exists →
    # 4/28 (rule 1). 6th birthday 2030-03-01 → school 2030-04-01. 12歳 on 2036-02-28 (2036 is a
    # leap year, the day before 2/29) → 年度 2035; 16歳 on 2040-02-28 → 年度 2039.
    cards = _page(client, resident, date(2024, 2, 29), today=date(2024, 3, 10))
    _expect(
        cards,
        {
            "hepb": ("2024-02-29", "2025-02-28"),
            "rota1": ("2024-04-11", "2024-08-15"),
            "dpt_ipv_hib": ("2024-04-28", "2031-08-28"),
            "pcv": ("2024-04-28", "2029-02-28"),  # 生後60月: no 2029-02-29 → 2/28 (rule 2)
            "bcg": ("2024-02-29", "2025-02-28"),
            "mr1": ("2025-02-28", "2026-02-28"),
            "mr2": ("2029-04-01", "2030-03-31"),
            "varicella": ("2025-02-28", "2027-02-28"),
            "je1": ("2024-08-28", "2031-08-28"),
            "je2": ("2033-02-28", "2037-02-28"),
            "dt": ("2035-02-28", "2037-02-28"),
            "hpv": ("2035-04-01", "2040-03-31"),
        },
    )


def test_born_on_the_first_months_are_reached_on_the_last_day_of_the_month_before_rule_1(
    client, resident, schedule
):
    # Born 4/1: 生後2月 = 5/31, 1歳 = 3/31 (rule 1, 事務連絡 H26.3.11's example). Reaching 6 on
    # 2031-03-31, she starts school on 2031-04-01, a year before a child born on 4/2.
    cards = _page(client, resident, date(2025, 4, 1), today=date(2025, 4, 10))
    _expect(
        cards,
        {
            "hepb": ("2025-04-01", "2026-03-31"),
            "rota1": ("2025-05-13", "2025-09-16"),
            "dpt_ipv_hib": ("2025-05-31", "2032-09-30"),
            "pcv": ("2025-05-31", "2030-03-31"),
            "bcg": ("2025-04-01", "2026-03-31"),
            "mr1": ("2026-03-31", "2027-03-31"),
            "mr2": ("2030-04-01", "2031-03-31"),
            "varicella": ("2026-03-31", "2028-03-31"),
            "je1": ("2025-09-30", "2032-09-30"),
            "je2": ("2034-03-31", "2038-03-31"),
            "dt": ("2036-03-31", "2038-03-31"),
            "hpv": ("2036-04-01", "2041-03-31"),
        },
    )
