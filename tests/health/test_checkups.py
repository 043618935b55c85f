"""乳幼児健診: which checkups are upcoming for a child, and the group session meant for them."""

from datetime import timedelta

import pytest

from kosodate.core import ages
from kosodate.health.models import Checkup, CheckupSession
from kosodate.health.selectors import checkups_for_child

pytestmark = pytest.mark.django_db


def test_upcoming_checkups_for_a_baby(resident_with_baby_and_toddler):
    _, baby, _ = resident_with_baby_and_toddler  # 10 weeks old
    today = baby.birth_date + timedelta(weeks=10)
    codes = [line.checkup.code for line in checkups_for_child(child=baby, today=today)]
    # The 1-month checkup's window has closed; the 3–4-month one (group) and the 6–7-month one
    # (voucher) open within the horizon; the 18-month one is too far ahead.
    assert codes == ["m3", "m6"]


def test_group_checkup_shows_the_session_for_the_childs_birth_date(resident_with_baby_and_toddler):
    _, baby, _ = resident_with_baby_and_toddler
    checkup = Checkup.objects.get(code="m3")
    mine = CheckupSession.objects.create(
        checkup=checkup,
        held_on=baby.birth_date + timedelta(days=100),
        born_from=baby.birth_date - timedelta(days=3),
        born_until=baby.birth_date + timedelta(days=3),
    )
    CheckupSession.objects.create(  # for children born the month before
        checkup=checkup,
        held_on=baby.birth_date + timedelta(days=95),
        born_from=baby.birth_date - timedelta(days=40),
        born_until=baby.birth_date - timedelta(days=10),
    )
    today = baby.birth_date + timedelta(weeks=10)
    line = next(x for x in checkups_for_child(child=baby, today=today) if x.checkup == checkup)
    assert line.next_session == mine
    # The window: from the 3-month anniversary ("3m+", 生後3月に至った日の翌日) to 生後5月に至る
    # まで (the day before the 5-month anniversary, included).
    assert line.checkup.age_from == "3m+" and line.checkup.age_until == "5m"
    assert line.window_from == ages.months_anniversary(baby.birth_date, 3)
    assert line.window_until == ages.months_reached(baby.birth_date, 5)


def test_checkups_for_the_legal_ages_are_marked(schedule):
    assert set(Checkup.objects.filter(legal=True).values_list("code", flat=True)) == {"y1m6", "y3"}
