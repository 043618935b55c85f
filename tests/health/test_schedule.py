"""The schedule engine on known cases. Each case names the row of
kosodate/health/data/schedule_ja.json it checks (vaccine code, plan band, dose number) and the
section of the 定期接種実施要領 that row cites. Pure: no database."""

from datetime import date, timedelta

import pytest

from kosodate.health.ages import (
    AgeFormatError,
    age_parse,
    age_reached,
    fiscal_year_start_turning,
    school_entry,
)
from kosodate.health.loading import schedule_from_file
from kosodate.health.schedule import (
    DoseProblem,
    Status,
    child_schedule,
    dose_check,
    vaccine_schedule,
)

VACCINES, RULES = schedule_from_file()
BY_CODE = {v.code: v for v in VACCINES}


def state(code, *, birth, today, doses=()):
    return vaccine_schedule(
        birth=birth, today=today, vaccine=BY_CODE[code], rules=RULES, doses_given=list(doses)
    )


# --- Ages (年齢計算ニ関スル法律, 民法143条) ---------------------------------------------------
def test_months_reached_on_the_corresponding_day():
    assert age_reached(date(2026, 4, 10), "2m") == date(2026, 6, 10)


def test_month_without_corresponding_day_is_reached_on_the_first_of_the_next():
    # Born 31 Jan: the month ends with the end of February, so 1 month is reached on 1 March.
    assert age_reached(date(2026, 1, 31), "1m") == date(2026, 3, 1)


def test_weeks_count_the_day_of_birth_as_day_zero():
    assert age_reached(date(2026, 1, 1), "14w6d") == date(2026, 1, 1) + timedelta(days=104)


def test_school_entry_april_first_children_start_a_year_earlier():
    assert school_entry(date(2020, 4, 1)) == date(2026, 4, 1)
    assert school_entry(date(2020, 4, 2)) == date(2027, 4, 1)


def test_fiscal_year_in_which_one_turns_twelve():
    # One turns 12 the day before the birthday: born 1 April 2014 turns 12 on 31 March 2026.
    assert fiscal_year_start_turning(date(2014, 4, 1), 12) == date(2025, 4, 1)
    assert fiscal_year_start_turning(date(2014, 4, 2), 12) == date(2026, 4, 1)


@pytest.mark.parametrize("text", ["", "2x", "m2", "S-", "2m-1y"])
def test_malformed_ages_are_refused(text):
    with pytest.raises(AgeFormatError):
        age_parse(text)


def test_every_shipped_row_has_a_source():
    assert RULES and all(rule.source.startswith("定期接種実施要領") for rule in RULES)


# --- 小児用肺炎球菌 (row pcv; 実施要領 第2 各論 小児の肺炎球菌感染症) ----------------------------
def test_pneumococcal_due_at_two_months_with_four_doses():
    # Rows pcv [2m–7m] #1–#4: started at 2–6 months → 3 primary + 1 booster.
    s = state("pcv", birth=date(2026, 1, 10), today=date(2026, 3, 15))
    assert s.status == Status.DUE
    assert s.plan_size == 4
    assert s.earliest == date(2026, 3, 10)
    # Free until the day before 60 months (5th birthday): "生後60月に至るまで".
    assert s.last_date == date(2031, 1, 9)


def test_pneumococcal_first_dose_at_eight_months_needs_fewer_doses():
    # Rows pcv [7m–12m] #1–#3: started at 7–11 months → 2 primary + 1 booster.
    birth = date(2025, 1, 10)
    s = state("pcv", birth=birth, today=date(2025, 10, 1), doses=[date(2025, 9, 15)])
    assert s.plan_size == 3
    assert s.next_dose_number == 2
    assert s.earliest == date(2025, 10, 12)  # row #2: 27 days after the 1st
    assert s.status == Status.COMING_UP
    # After the 2nd: the booster (row #3) from 12 months and 60 days after the 2nd.
    s = state(
        "pcv", birth=birth, today=date(2025, 11, 1), doses=[date(2025, 9, 15), date(2025, 10, 20)]
    )
    assert s.next_rule.label_en == "Booster"
    assert s.earliest == date(2026, 1, 10)
    assert s.status == Status.LATER


def test_pneumococcal_started_at_thirteen_months_two_doses_sixty_days_apart():
    # Rows pcv [12m–24m] #1–#2.
    birth = date(2025, 1, 10)
    s = state("pcv", birth=birth, today=date(2026, 2, 20), doses=[date(2026, 2, 15)])
    assert s.plan_size == 2
    assert s.earliest == date(2026, 2, 15) + timedelta(days=60)


def test_pneumococcal_started_at_thirty_months_is_one_dose():
    # Row pcv [24m–60m] #1.
    birth = date(2023, 1, 10)
    s = state("pcv", birth=birth, today=date(2025, 8, 1), doses=[date(2025, 7, 20)])
    assert s.plan_size == 1
    assert s.status == Status.COMPLETE


def test_pneumococcal_primaries_not_done_by_24_months_are_left_out():
    # Rows pcv [2m–7m] #2, #3 (skip_when_late, last_before 24m) → straight to the booster (#4),
    # past its recommended 12–15 months: overdue, still free until the 5th birthday.
    birth = date(2024, 1, 10)
    s = state("pcv", birth=birth, today=date(2026, 2, 1), doses=[date(2024, 3, 15)])
    assert s.skipped == [2, 3]
    assert s.next_dose_number == 4
    assert s.status == Status.OVERDUE
    assert s.last_date == date(2029, 1, 9)


def test_pneumococcal_not_eligible_after_the_fifth_birthday():
    s = state("pcv", birth=date(2020, 1, 10), today=date(2025, 1, 10))
    assert s.status == Status.NOT_ELIGIBLE
    assert s.last_date == date(2025, 1, 9)


# --- ロタウイルス (rows rota1, rota5; 実施要領 第2 各論 ロタウイルス感染症) ---------------------
def test_rotavirus_first_dose_after_fifteen_weeks_is_not_started():
    # Row rota1 #1: last_before 15w → the last day is 14 weeks 6 days.
    birth = date(2026, 1, 1)
    s = state("rota1", birth=birth, today=birth + timedelta(days=104))
    assert s.status == Status.DUE
    assert s.last_date == birth + timedelta(days=104)
    s = state("rota1", birth=birth, today=birth + timedelta(weeks=15))
    assert s.status == Status.NOT_ELIGIBLE


def test_rotavirus_due_from_two_months_not_before_six_weeks():
    birth = date(2026, 1, 1)
    s = state("rota1", birth=birth, today=birth + timedelta(weeks=5))
    assert s.status == Status.COMING_UP
    assert s.earliest == birth + timedelta(weeks=6)


def test_one_valent_series_ends_at_24_weeks():
    # Row rota1 #2: last_before 24w1d ("出生24週0日後まで").
    birth = date(2026, 1, 1)
    first = [birth + timedelta(weeks=8)]
    s = state("rota1", birth=birth, today=birth + timedelta(weeks=24), doses=first)
    assert s.status == Status.DUE
    assert s.last_date == birth + timedelta(weeks=24)
    s = state("rota1", birth=birth, today=birth + timedelta(weeks=24, days=1), doses=first)
    assert s.status == Status.NOT_ELIGIBLE


def test_five_valent_series_goes_on_to_32_weeks_with_three_doses():
    # Rows rota5 #2, #3: last_before 32w1d.
    birth = date(2026, 1, 1)
    doses = [birth + timedelta(weeks=8), birth + timedelta(weeks=12)]
    s = state("rota5", birth=birth, today=birth + timedelta(weeks=25), doses=doses)
    assert s.plan_size == 3
    assert s.status == Status.DUE
    assert s.last_date == birth + timedelta(weeks=32)


def test_rotavirus_shows_one_vaccine_until_a_dose_picks_it():
    birth = date(2026, 1, 1)
    kwargs = dict(birth=birth, today=birth + timedelta(weeks=9), sex="male", vaccines=VACCINES)
    codes = [s.vaccine.code for s in child_schedule(rules=RULES, doses={}, **kwargs)]
    assert "rota1" in codes and "rota5" not in codes
    doses = {"rota5": [birth + timedelta(weeks=8)]}
    codes = [s.vaccine.code for s in child_schedule(rules=RULES, doses=doses, **kwargs)]
    assert "rota5" in codes and "rota1" not in codes


# --- Other rows ---------------------------------------------------------------------------
def test_hepatitis_b_third_dose_counts_from_the_first():
    # Row hepb #3: min_interval 139d from dose 1.
    birth = date(2026, 1, 10)
    doses = [date(2026, 3, 10), date(2026, 4, 10)]
    s = state("hepb", birth=birth, today=date(2026, 5, 1), doses=doses)
    assert s.earliest == date(2026, 3, 10) + timedelta(days=139)
    assert s.last_date == date(2027, 1, 9)  # "1歳に至るまで"


def test_mr_second_dose_in_the_year_before_school():
    # Row mr2 #1: from S-1y to the day before S.
    s = state("mr2", birth=date(2020, 4, 2), today=date(2026, 4, 1))
    assert s.earliest == date(2026, 4, 1)
    assert s.last_date == date(2027, 3, 31)
    assert s.status == Status.DUE


def test_hpv_only_for_girls_and_fewer_doses_when_started_before_fifteen():
    birth = date(2013, 6, 1)
    today = date(2026, 6, 1)
    kwargs = dict(birth=birth, today=today, vaccines=VACCINES, rules=RULES, doses={})
    assert "hpv" not in [s.vaccine.code for s in child_schedule(sex="male", **kwargs)]
    assert "hpv" in [s.vaccine.code for s in child_schedule(sex="female", **kwargs)]
    # Rows hpv [F12–15y]: 2 doses; hpv [15y–F17]: 3 doses.
    assert state("hpv", birth=birth, today=today, doses=[date(2026, 5, 1)]).plan_size == 2
    assert (
        state("hpv", birth=birth, today=date(2028, 8, 1), doses=[date(2028, 7, 1)]).plan_size == 3
    )


# --- Checking a dose the family ticks off --------------------------------------------------
def test_dose_check_refuses_impossible_dates_and_warns_on_short_intervals():
    birth = date(2026, 1, 10)
    today = date(2026, 5, 1)
    check = dict(birth=birth, today=today, vaccine=BY_CODE["pcv"], rules=RULES)
    assert dose_check(doses_given=[], given_on=date(2026, 1, 9), **check).errors == [
        DoseProblem.BEFORE_BIRTH
    ]
    assert dose_check(doses_given=[], given_on=date(2026, 5, 2), **check).errors == [
        DoseProblem.IN_FUTURE
    ]
    result = dose_check(doses_given=[date(2026, 3, 10)], given_on=date(2026, 3, 30), **check)
    assert result.errors == []
    assert result.warnings == [DoseProblem.TOO_EARLY]
    assert result.earliest == date(2026, 4, 6)
    ok = dose_check(doses_given=[date(2026, 3, 10)], given_on=date(2026, 4, 7), **check)
    assert ok.errors == [] and ok.warnings == []


# --- 五種混合 and the Hib route (rows dpt_ipv_hib, hib; 実施要領 第2 各論 Hib感染症) -------------
def test_five_in_one_keeps_four_doses_when_started_late():
    # Rows dpt_ipv_hib #1–#4: one plan (the DPT-IPV components need 4 doses at any age).
    birth = date(2025, 1, 10)
    s = state("dpt_ipv_hib", birth=birth, today=date(2025, 11, 1), doses=[date(2025, 10, 20)])
    assert s.plan_size == 4
    assert s.earliest == date(2025, 11, 9)  # row #2: 20 days after


def test_hib_started_at_eight_months_is_two_primary_and_a_booster():
    # Rows hib [7m–12m] #1–#3.
    birth = date(2025, 1, 10)
    s = state("hib", birth=birth, today=date(2025, 9, 20), doses=[date(2025, 9, 15)])
    assert s.plan_size == 3
    s = state(
        "hib", birth=birth, today=date(2025, 11, 1), doses=[date(2025, 9, 15), date(2025, 10, 20)]
    )
    assert s.next_rule.label_en == "Booster"
    assert s.earliest == date(2026, 5, 20)  # 7 months after the last primary dose


def test_hib_started_after_the_first_birthday_is_one_dose():
    # Row hib [12m–60m] #1.
    birth = date(2024, 1, 10)
    s = state("hib", birth=birth, today=date(2025, 3, 1), doses=[date(2025, 2, 1)])
    assert (s.plan_size, s.status) == (1, Status.COMPLETE)


def test_hib_primaries_not_done_by_the_first_birthday_are_left_out():
    # Rows hib [2m–7m] #2, #3: skip_when_late after 12 months → the booster.
    birth = date(2024, 1, 10)
    s = state("hib", birth=birth, today=date(2025, 2, 1), doses=[date(2024, 3, 15)])
    assert s.skipped == [2, 3]
    assert s.next_rule.label_en == "Booster"


def test_the_older_route_shows_only_once_started():
    birth = date(2024, 1, 10)
    kwargs = dict(birth=birth, today=date(2024, 5, 1), sex="male", vaccines=VACCINES, rules=RULES)
    codes = [s.vaccine.code for s in child_schedule(doses={}, **kwargs)]
    assert "hib" not in codes and "dpt_ipv" not in codes and "dpt_ipv_hib" in codes
    codes = [s.vaccine.code for s in child_schedule(doses={"hib": [date(2024, 3, 15)]}, **kwargs)]
    assert "hib" in codes
