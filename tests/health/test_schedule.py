"""The schedule engine on known cases, counted the law's way (kosodate/core/ages.py, rules 1-8 of
docs/immunisation.md). Each case names the row of kosodate/health/data/r8/schedule_ja.json it
checks (vaccine code, plan band, dose number) and the rule it follows. Pure: no database."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kosodate.core import ages
from kosodate.health.loading import schedule_from_file
from kosodate.health.schedule import (
    DoseProblem,
    Status,
    child_schedule,
    dose_check,
    plans_by_band,
    rule_wording,
    vaccine_schedule,
)

VACCINES, RULES = schedule_from_file()
BY_CODE = {v.code: v for v in VACCINES}
EDITION = "定期接種実施要領(厚生労働省健康局長通知、令和8年10月1日改正)"


def state(code, *, birth, today, doses=(), not_routine=False):
    return vaccine_schedule(
        birth=birth,
        today=today,
        vaccine=BY_CODE[code],
        rules=RULES,
        doses_given=list(doses),
        not_routine=not_routine,
    )


def test_every_shipped_row_cites_the_current_edition():
    assert RULES and all(rule.source.startswith(EDITION) for rule in RULES)


# --- 小児用肺炎球菌 (row pcv; 実施要領 第2 各論 小児の肺炎球菌感染症) ----------------------------
def test_pneumococcal_from_the_day_two_months_are_reached_rule_1():
    # Rows pcv [2m–7m] #1–#4. Born 1/10: 生後2月に至った日 = 3/9 (not 3/10).
    s = state("pcv", birth=date(2026, 1, 10), today=date(2026, 3, 9))
    assert s.status == Status.DUE
    assert s.plan_size == 4
    assert s.earliest == date(2026, 3, 9)
    # Free until 生後60月に至るまで: the day before the 5th birthday, included (rule 4).
    assert s.last_date == date(2031, 1, 9)
    assert state("pcv", birth=date(2026, 1, 10), today=date(2026, 3, 8)).status == (
        Status.COMING_UP
    )


def test_first_dose_on_the_first_allowed_day_is_inside_its_band_rule_4():
    # A first dose on 生後2月に至った日 used to fit no plan and turn the series into "ask".
    s = state("pcv", birth=date(2026, 1, 10), today=date(2026, 3, 20), doses=[date(2026, 3, 9)])
    assert s.status != Status.CHECK
    assert (s.plan_size, s.next_dose_number, s.early) == (4, 2, [])
    assert s.earliest == date(2026, 4, 6)  # 27日以上の間隔: +28 (rule 7)


def test_pneumococcal_interval_of_27_days_is_the_28th_day_rule_7():
    birth = date(2026, 1, 10)
    check = dict(birth=birth, today=date(2026, 5, 1), vaccine=BY_CODE["pcv"], rules=RULES)
    early = dose_check(doses_given=[date(2026, 3, 10)], given_on=date(2026, 4, 6), **check)
    assert early.warnings == [DoseProblem.TOO_EARLY] and early.earliest == date(2026, 4, 7)
    ok = dose_check(doses_given=[date(2026, 3, 10)], given_on=date(2026, 4, 7), **check)
    assert ok.errors == [] and ok.warnings == []


def test_pneumococcal_second_band_starts_the_day_after_seven_months_rule_5():
    # Rows pcv [7m+–12m]: 生後7月に至った日の翌日から. Born 1/10: 7m reached 8/9, band from 8/10.
    birth = date(2025, 1, 10)
    assert (
        state("pcv", birth=birth, today=date(2025, 8, 20), doses=[date(2025, 8, 9)]).plan_size == 4
    )
    s = state("pcv", birth=birth, today=date(2025, 10, 1), doses=[date(2025, 8, 10)])
    assert s.plan_size == 3
    s = state("pcv", birth=birth, today=date(2025, 10, 1), doses=[date(2025, 9, 15)])
    assert s.next_dose_number == 2
    assert s.earliest == date(2025, 10, 13)
    assert s.status == Status.COMING_UP
    # The booster (row #3): from 生後12月に至った日 (2026-01-09), 60日以上 after the 2nd.
    s = state(
        "pcv", birth=birth, today=date(2025, 11, 1), doses=[date(2025, 9, 15), date(2025, 10, 20)]
    )
    assert s.next_rule.label_en == "Booster"
    assert s.earliest == date(2026, 1, 9)
    assert s.status == Status.LATER


def test_pneumococcal_started_at_thirteen_months_two_doses_sixty_days_apart_rule_7():
    # Rows pcv [12m+–24m] #1–#2: 60日以上の間隔 → +61.
    birth = date(2025, 1, 10)
    s = state("pcv", birth=birth, today=date(2026, 2, 20), doses=[date(2026, 2, 15)])
    assert s.plan_size == 2
    assert s.earliest == date(2026, 2, 15) + timedelta(days=61)


def test_pneumococcal_started_at_thirty_months_is_one_dose():
    # Row pcv [24m+–60m] #1.
    s = state("pcv", birth=date(2023, 1, 10), today=date(2025, 8, 1), doses=[date(2025, 7, 20)])
    assert (s.plan_size, s.status) == (1, Status.COMPLETE)


def test_pneumococcal_primaries_not_done_by_24_months_are_left_out():
    # Rows pcv [2m–7m] #2, #3 (skip_when_late, 生後24月に至るまで) → straight to the booster (#4),
    # past its standard 12–15 months: overdue, still free until 生後60月に至るまで.
    birth = date(2024, 1, 10)
    s = state("pcv", birth=birth, today=date(2026, 2, 1), doses=[date(2024, 3, 15)])
    assert s.skipped == [2, 3]
    assert s.next_dose_number == 4
    assert s.status == Status.OVERDUE
    assert s.last_date == date(2029, 1, 9)


def test_pneumococcal_second_dose_after_twelve_months_drops_the_third():
    # Row pcv [2m–7m] #3: skip_after_previous 12m (初回2回目が生後12月に至るまでに行われなかった
    # 場合、3回目は行わない); the booster then follows 60日以上 after dose 2.
    birth = date(2024, 1, 10)  # 生後12月に至った日: 2025-01-09
    s = state(
        "pcv", birth=birth, today=date(2025, 1, 20), doses=[date(2024, 3, 15), date(2025, 1, 10)]
    )
    assert s.skipped == [3]
    assert (s.next_dose_number, s.plan_size) == (4, 3)
    assert s.earliest == date(2025, 1, 10) + timedelta(days=61)
    # On the 至った日 itself dose 2 is still in time (rule 4): dose 3 stays.
    s = state(
        "pcv", birth=birth, today=date(2025, 1, 20), doses=[date(2024, 3, 15), date(2025, 1, 9)]
    )
    assert s.skipped == [] and s.next_dose_number == 3
    assert s.earliest == date(2025, 1, 9) + timedelta(days=28)


def test_pneumococcal_not_eligible_the_day_after_sixty_months_rule_4():
    birth = date(2020, 1, 10)
    assert state("pcv", birth=birth, today=date(2025, 1, 9)).status == Status.DUE
    s = state("pcv", birth=birth, today=date(2025, 1, 10))
    assert s.status == Status.NOT_ELIGIBLE
    assert s.last_date == date(2025, 1, 9)


# --- ロタウイルス (rows rota1, rota5; 実施要領 第2 各論 ロタウイルス感染症) ---------------------
ROTA_BIRTH = date(2020, 8, 1)  # the worked example


def test_rotavirus_from_six_weeks_zero_days_rule_6():
    s = state("rota1", birth=ROTA_BIRTH, today=date(2020, 9, 11))
    assert s.status == Status.COMING_UP
    assert s.earliest == date(2020, 9, 12)  # 出生6週0日後
    # Allowed and free from then, before the standard period (生後2月に至った日 = 9/30).
    s = state("rota1", birth=ROTA_BIRTH, today=date(2020, 9, 12))
    assert s.status == Status.AVAILABLE
    assert s.rec_from == date(2020, 9, 30)


def test_rotavirus_first_dose_after_fourteen_weeks_six_days_is_ask_your_doctor_rule_6():
    # Row rota1 #1: advised_until 14w6d (11/13), last_until 24w0d (2021-01-16).
    s = state("rota1", birth=ROTA_BIRTH, today=date(2020, 11, 13))
    assert s.status == Status.DUE
    assert s.rec_until == date(2020, 11, 13)
    s = state("rota1", birth=ROTA_BIRTH, today=date(2020, 11, 14))
    assert s.status == Status.ASK_DOCTOR  # not "not eligible": still a routine, free dose
    assert s.last_date == date(2021, 1, 16)
    assert state("rota1", birth=ROTA_BIRTH, today=date(2021, 1, 16)).status == Status.ASK_DOCTOR
    assert state("rota1", birth=ROTA_BIRTH, today=date(2021, 1, 17)).status == (Status.NOT_ELIGIBLE)


def test_five_valent_first_dose_is_free_until_thirty_two_weeks_rule_6():
    s = state("rota5", birth=ROTA_BIRTH, today=date(2021, 3, 13))  # 出生32週0日後
    assert s.status == Status.ASK_DOCTOR
    assert s.last_date == date(2021, 3, 13)
    assert state("rota5", birth=ROTA_BIRTH, today=date(2021, 3, 14)).status == (Status.NOT_ELIGIBLE)


def test_one_valent_series_ends_on_twenty_four_weeks_zero_days_rule_6():
    birth = date(2026, 1, 1)
    first = [birth + timedelta(weeks=8)]
    s = state("rota1", birth=birth, today=birth + timedelta(weeks=24), doses=first)
    assert s.status == Status.DUE
    assert s.last_date == birth + timedelta(days=168)
    s = state("rota1", birth=birth, today=birth + timedelta(days=169), doses=first)
    assert s.status == Status.NOT_ELIGIBLE


def test_five_valent_series_goes_on_to_thirty_two_weeks_with_three_doses():
    birth = date(2026, 1, 1)
    doses = [birth + timedelta(weeks=8), birth + timedelta(weeks=12)]
    s = state("rota5", birth=birth, today=birth + timedelta(weeks=25), doses=doses)
    assert s.plan_size == 3
    assert s.status == Status.DUE
    assert s.last_date == birth + timedelta(days=224)


def test_rotavirus_shows_one_vaccine_until_a_dose_picks_it():
    birth = date(2026, 1, 1)
    kwargs = dict(birth=birth, today=birth + timedelta(weeks=9), sex="male", vaccines=VACCINES)
    codes = [s.vaccine.code for s in child_schedule(rules=RULES, doses={}, **kwargs)]
    assert "rota1" in codes and "rota5" not in codes
    doses = {"rota5": [birth + timedelta(weeks=8)]}
    codes = [s.vaccine.code for s in child_schedule(rules=RULES, doses=doses, **kwargs)]
    assert "rota5" in codes and "rota1" not in codes


# --- B型肝炎 (row hepb; 実施要領 第2 各論 B型肝炎) ----------------------------------------------
def test_hepatitis_b_third_dose_counts_139_days_from_the_first_rule_7():
    birth = date(2026, 1, 10)
    doses = [date(2026, 3, 10), date(2026, 4, 10)]
    s = state("hepb", birth=birth, today=date(2026, 5, 1), doses=doses)
    assert s.earliest == date(2026, 3, 10) + timedelta(days=140)
    assert s.last_date == date(2027, 1, 9)  # 1歳に至るまで


def test_hepatitis_b_with_hbig_is_outside_the_routine_programme():
    birth = date(2026, 1, 10)
    s = state("hepb", birth=birth, today=date(2026, 3, 20), not_routine=True)
    assert s.status == Status.NOT_ROUTINE
    kwargs = dict(birth=birth, today=date(2026, 3, 20), sex="male", vaccines=VACCINES, rules=RULES)
    statuses = {
        s.vaccine.code: s.status for s in child_schedule(doses={}, not_routine={"hepb"}, **kwargs)
    }
    assert statuses["hepb"] == Status.NOT_ROUTINE and statuses["pcv"] == Status.DUE
    check = dose_check(
        birth=birth,
        today=date(2026, 3, 20),
        vaccine=BY_CODE["hepb"],
        rules=RULES,
        doses_given=[],
        given_on=date(2026, 3, 20),
        not_routine=True,
    )
    assert check.warnings == [DoseProblem.NOT_ROUTINE]


# --- Doses given too early still count -------------------------------------------------------
def test_a_first_dose_given_too_early_counts_and_keeps_its_warning():
    birth = date(2026, 1, 10)
    s = state("pcv", birth=birth, today=date(2026, 3, 20), doses=[date(2026, 3, 1)])
    assert s.early == [date(2026, 3, 1)]
    assert (s.plan_size, s.next_dose_number) == (4, 2)
    assert s.status != Status.CHECK
    assert s.earliest == date(2026, 3, 29)


def test_a_later_dose_given_too_early_counts_and_keeps_its_warning():
    birth = date(2026, 1, 10)
    doses = [date(2026, 3, 9), date(2026, 3, 30)]  # the 2nd 21 days after the 1st
    s = state("pcv", birth=birth, today=date(2026, 4, 10), doses=doses)
    assert s.early == [date(2026, 3, 30)]
    assert s.next_dose_number == 3


# --- Allowed before the standard period ------------------------------------------------------
def test_japanese_encephalitis_can_be_given_from_six_months_though_recommended_at_three():
    # Row je1 #1: from 生後6月に至った日, standard from 3歳に達した日.
    s = state("je1", birth=date(2025, 1, 10), today=date(2025, 7, 9))
    assert s.status == Status.AVAILABLE
    assert s.earliest == date(2025, 7, 9)
    assert s.rec_from == date(2028, 1, 9)
    assert s.last_date == date(2032, 7, 9)  # 生後90月に至るまで


# --- Intervals in months (rule 8) ------------------------------------------------------------
def test_varicella_second_dose_three_months_later_on_the_same_day_rule_8():
    s = state("varicella", birth=date(2025, 5, 1), today=date(2026, 6, 1), doses=[date(2026, 5, 1)])
    assert s.earliest == date(2026, 8, 1)


def test_hib_booster_seven_months_after_the_last_primary_rule_8():
    birth = date(2025, 1, 10)
    s = state(
        "hib", birth=birth, today=date(2025, 11, 1), doses=[date(2025, 9, 15), date(2025, 10, 20)]
    )
    assert s.next_rule.label_en == "Booster"
    assert s.earliest == date(2026, 5, 20)


# --- Other rows ---------------------------------------------------------------------------
def test_mr_second_dose_in_the_year_before_school():
    # Row mr2 #1: 小学校就学の始期に達する日の1年前の日から当該始期に達する日の前日まで.
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
    # Rows hpv [F12–15y]: 2 doses; hpv [15y+–F16end]: 3 doses.
    assert state("hpv", birth=birth, today=today, doses=[date(2026, 5, 1)]).plan_size == 2
    assert (
        state("hpv", birth=birth, today=date(2028, 5, 31), doses=[date(2028, 5, 31)]).plan_size == 2
    )
    assert (
        state("hpv", birth=birth, today=date(2028, 8, 1), doses=[date(2028, 6, 1)]).plan_size == 3
    )
    # 16歳となる日の属する年度の末日: reaches 16 on 2029-05-31, so free until 2030-03-31.
    assert state("hpv", birth=birth, today=today).last_date == date(2030, 3, 31)


def test_dose_check_refuses_impossible_dates():
    birth = date(2026, 1, 10)
    check = dict(birth=birth, today=date(2026, 5, 1), vaccine=BY_CODE["pcv"], rules=RULES)
    assert dose_check(doses_given=[], given_on=date(2026, 1, 9), **check).errors == [
        DoseProblem.BEFORE_BIRTH
    ]
    assert dose_check(doses_given=[], given_on=date(2026, 5, 2), **check).errors == [
        DoseProblem.IN_FUTURE
    ]


def test_five_in_one_keeps_four_doses_when_started_late_rule_7():
    birth = date(2025, 1, 10)
    s = state("dpt_ipv_hib", birth=birth, today=date(2025, 11, 1), doses=[date(2025, 10, 20)])
    assert s.plan_size == 4
    assert s.earliest == date(2025, 11, 10)  # 20日以上の間隔 → +21


def test_hib_after_the_first_birthday_is_one_dose():
    s = state("hib", birth=date(2024, 1, 10), today=date(2025, 3, 1), doses=[date(2025, 2, 1)])
    assert (s.plan_size, s.status) == (1, Status.COMPLETE)


def test_hib_primaries_not_done_by_twelve_months_are_left_out():
    s = state("hib", birth=date(2024, 1, 10), today=date(2025, 2, 1), doses=[date(2024, 3, 15)])
    assert s.skipped == [2, 3]
    assert s.next_rule.label_en == "Booster"


def test_the_older_route_shows_only_once_started():
    birth = date(2024, 1, 10)
    kwargs = dict(birth=birth, today=date(2024, 5, 1), sex="male", vaccines=VACCINES, rules=RULES)
    codes = [s.vaccine.code for s in child_schedule(doses={}, **kwargs)]
    assert "hib" not in codes and "dpt_ipv" not in codes and "dpt_ipv_hib" in codes
    codes = [s.vaccine.code for s in child_schedule(doses={"hib": [date(2024, 3, 15)]}, **kwargs)]
    assert "hib" in codes


# --- What staff read when they correct a row ------------------------------------------------
def test_rule_wording_states_the_law_and_the_example_dates():
    pcv3 = next(
        r for r in RULES if r.vaccine == "pcv" and r.band_from == "2m" and r.dose_number == 3
    )
    lines = {
        line.field: line
        for line in rule_wording(vars(pcv3), birth=date(2025, 12, 31), previous=date(2026, 2, 28))
    }
    assert lines["band_from"].wording == "生後2月に至った日から"
    assert lines["band_from"].day == date(2026, 2, 28)  # rule 2: no 2/31
    assert lines["band_until"].wording == "生後7月に至るまで"
    assert lines["last_until"].wording == "生後24月に至るまで"
    assert lines["last_until"].day == date(2027, 12, 30)
    assert lines["skip_after_previous"].wording.startswith("前回の接種が生後12月に至るまでに")
    assert lines["min_interval"].wording == "27日以上の間隔をおいて"
    assert lines["min_interval"].day == date(2026, 3, 28)


# --- Properties over every birth date from 2020 to 2030 --------------------------------------
births = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
BANDED = sorted({r.vaccine for r in RULES if r.band_from})


@pytest.mark.parametrize("code", BANDED)
@given(birth=births)
def test_consecutive_bands_neither_overlap_nor_leave_a_gap(code, birth):
    plans = plans_by_band(r for r in RULES if r.vaccine == code)
    bands = sorted(
        (ages.term_day(birth, p[0].band_from), ages.term_day(birth, p[0].band_until)) for p in plans
    )
    for (_, end), (start, _) in pairwise(bands):
        assert start - end == timedelta(days=1)


@pytest.mark.parametrize("code", sorted(BY_CODE))
@given(birth=births)
def test_a_first_dose_on_the_first_allowed_day_is_never_ask_your_doctor(code, birth):
    first = state(code, birth=birth, today=birth)
    if first.earliest is None:
        return
    s = state(code, birth=birth, today=first.earliest, doses=[first.earliest])
    assert s.status != Status.CHECK and s.early == []


@given(birth=births, gap=st.integers(min_value=0, max_value=27))
def test_an_interval_of_27_days_is_never_allowed_before_the_28th_day(birth, gap):
    first = ages.months_reached(birth, 2)
    check = dose_check(
        birth=birth,
        today=first + timedelta(days=gap),
        vaccine=BY_CODE["pcv"],
        rules=RULES,
        doses_given=[first],
        given_on=first + timedelta(days=gap),
    )
    assert check.warnings == [DoseProblem.TOO_EARLY]
    assert check.earliest == first + timedelta(days=28)


# --- The worked examples, through the engine -----------------------------------------
@pytest.mark.parametrize(
    ("birth", "first_day"),
    [
        (date(2013, 4, 1), date(2013, 5, 31)),  # rule 1 (事務連絡 H26.3.11's child)
        (date(2020, 7, 31), date(2020, 9, 30)),  # rule 2
        (date(2022, 12, 29), date(2023, 2, 28)),  # rule 2, common year
        (date(2022, 12, 30), date(2023, 2, 28)),
        (date(2022, 12, 31), date(2023, 2, 28)),
    ],
)
def test_five_in_one_from_the_day_two_months_are_reached_rules_1_and_2(birth, first_day):
    assert state("dpt_ipv_hib", birth=birth, today=birth).earliest == first_day


@pytest.mark.parametrize(
    ("code", "doses", "allowed"),
    [
        ("je1", [date(2026, 5, 1)], date(2026, 5, 8)),  # 6日 → +7
        ("dpt_ipv_hib", [date(2026, 5, 1)], date(2026, 5, 22)),  # 20日 → +21
        ("hepb", [date(2026, 5, 1)], date(2026, 5, 29)),  # 27日 → +28, the same weekday
        ("hepb", [date(2026, 5, 1), date(2026, 6, 1)], date(2026, 9, 18)),  # 139日 → +140
    ],
)
def test_intervals_of_n_days_are_n_plus_one_rule_7(code, doses, allowed):
    birth = date(2025, 12, 1) if code != "je1" else date(2025, 1, 1)
    assert state(code, birth=birth, today=doses[-1], doses=doses).earliest == allowed
