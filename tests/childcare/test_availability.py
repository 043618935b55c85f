"""The free-places calendar and day view: statuses per facility for a child's age, national
holidays and 年末年始, and a query count that does not grow with the number of bookings."""

from datetime import date, datetime, time

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kosodate.childcare import rules as R
from kosodate.childcare import services
from kosodate.childcare.availability_cache import availability_changed
from kosodate.childcare.models import Facility
from kosodate.core.holidays import national_holiday

from .support import FacilityFactory, bookable_day, family, registered

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-06-01T09:00:00+09:00")  # a Monday


def test_calendar_is_public_and_shows_statuses(client, facility):
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("childcare:availability") + "?month=2026-06&band=age1_2")
    html = page.content.decode()
    assert page.status_code == 200
    assert "2026年6月" in html
    assert reverse("childcare:day", args=["2026-06-08"]) in html  # a Monday: bookable
    assert "空きあり" in html
    assert "休園" in html  # Sundays


def test_day_view_lists_each_facility(client, facility):
    other = FacilityFactory(places_age1_2=0)
    with time_machine.travel(NOW, tick=False):
        html = client.get(
            reverse("childcare:day", args=["2026-06-08"]) + "?band=age1_2"
        ).content.decode()
    assert facility.name in html and other.name in html
    assert "この年齢は受け入れなし" in html
    assert reverse("childcare:booking_create", args=[facility.pk]) + "?date=2026-06-08" in html


def test_holidays_and_new_year_are_closed():
    rules = R.rules_for(Facility())
    assert R.closed_reason(rules, date(2026, 5, 4)) == "みどりの日"
    assert R.closed_reason(rules, date(2026, 5, 6)) == "振替休日"
    assert R.closed_reason(rules, date(2026, 12, 29)) == "年末年始の休み"
    assert R.closed_reason(rules, date(2027, 1, 3)) == "年末年始の休み"
    assert R.closed_reason(rules, date(2026, 6, 7)) == "日曜日"
    assert R.closed_reason(rules, date(2026, 6, 8)) == ""
    assert national_holiday(date(2026, 5, 4), english=True) == "Greenery Day"


def test_ages_and_school_entry():
    rules = R.rules_for(Facility())
    born = date(2026, 1, 1)
    assert R.age_problem(rules, born, date(2026, 2, 26))  # 56 days
    assert not R.age_problem(rules, born, date(2026, 2, 27))  # 57 days
    assert R.age_problem(rules, date(2020, 4, 1), date(2026, 4, 1))
    assert R.age_band(date(2024, 6, 1), date(2026, 6, 1)) == "age1_2"
    assert R.age_band(date(2023, 6, 2), date(2026, 6, 1)) == "age1_2"
    assert R.age_band(date(2023, 6, 1), date(2026, 6, 1)) == "age3"  # the birthday counts


def test_youngest_age_in_months_is_completed_months_on_the_day_of_care():
    rules = R.rules_for(Facility(min_age_days=0, min_age_months=1))
    born = date(2024, 1, 31)  # one month old on 1 March (it reaches 1 month at the end of 2/29)
    assert R.age_problem(rules, born, date(2024, 2, 29))
    assert not R.age_problem(rules, born, date(2024, 3, 1))
    # Primary school starts on the first 1 April after the 6th birthday's eve.
    assert not R.age_problem(rules, date(2020, 4, 2), date(2027, 3, 31))
    assert R.age_problem(rules, date(2020, 4, 2), date(2027, 4, 1))


def test_fees_with_tiers():
    rules = R.rules_for(Facility(fee_per_hour=500, fee_tier_hours=4, fee_per_hour_after_tier=800))
    assert R.fee_yen(rules, time(9), time(13)) == 2000
    assert R.fee_yen(rules, time(9), time(14, 30)) == 2000 + 1200
    assert R.fee_yen(R.rules_for(Facility()), time(9), time(9, 30)) == 250


def test_full_day_shows_full(client, resident, facility, child):
    facility.places_age1_2 = 1
    facility.save()
    day = bookable_day()
    services.booking_request(
        user=resident,
        facility=facility,
        children=[child],
        day=day,
        start=time(9),
        end=time(12),
        reason="work",
        pickup_person="母",
    )
    html = client.get(
        reverse("childcare:day", args=[day.isoformat()]) + "?band=age1_2"
    ).content.decode()
    assert "満(キャンセル待ち)" in html
    assert "キャンセル待ちで申し込む" in html


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_bookings(client, resident, municipality):
    facilities = [FacilityFactory(places_age1_2=20) for _ in range(3)]
    kids = family(resident, children=6)
    for facility in facilities:
        for kid in kids:
            registered(kid, facility)
    client.force_login(resident)
    month = bookable_day().strftime("%Y-%m")
    url = reverse("childcare:availability") + f"?month={month}"
    _queries(client, url)  # fills the caches (municipality, rules)
    # The month itself is computed, not taken from the month cache (the bookings below change
    # it, so the last read computes it too): the same path, before and after.
    availability_changed()
    before = _queries(client, url)
    # The session and its sign-in record, then children, facilities and facility-days.
    assert before <= 10
    day = bookable_day()
    for facility, kid in zip(facilities * 2, kids, strict=True):
        services.booking_request(
            user=resident,
            facility=facility,
            children=[kid],
            day=day,
            start=time(9),
            end=time(12),
            reason="work",
            pickup_person="母",
        )
    FacilityFactory.create_batch(5)
    assert _queries(client, url) == before


def test_htmx_month_navigation_links(client, facility):
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("childcare:availability") + "?month=2026-06").content.decode()
    assert 'hx-get="?band=age1_2&amp;month=2026-07"' in html
    assert 'href="?band=age1_2&amp;month=2026-07"' in html  # works without JavaScript too
