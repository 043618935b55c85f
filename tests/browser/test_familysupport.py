"""ファミサポ in a real browser, in Japanese on a 360 px phone (issue 14, item 16): a family joins
and is confirmed at the orientation; it sends a broadcast request; two supporters with the offer
open both press "引き受ける" and one wins; the advisor arranges and holds the first meeting; on the
day the supporter files the report; the family confirms it; after the month ends the centre closes
it. The clock moves with time-machine, so the dates are the real rules' dates."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from kosodate.accounts.models import User
from kosodate.familysupport.models import Activity, Member, MonthClose, SupportRequest
from tests.factories import ChildFactory, HouseholdFactory, UserFactory
from tests.familysupport import support

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def go(page, path):
    response = page.goto(page.base_url + path)
    assert response is not None and response.status == 200, (path, response and response.status)


def submit(page, selector="main form [type=submit]"):
    page.locator(selector).first.click()
    page.wait_for_load_state()


def test_join_request_race_meeting_report_confirm_close(new_page, municipality):
    support.centre()
    home = support.district()
    orientation = support.orientation(title="入会説明会（12月）")
    advisor = support.advisor_user(email="advisor@example.jp", last_name="高橋")
    family = UserFactory(
        email="family@example.jp",
        last_name="山田",
        first_name="花子",
        household=HouseholdFactory(town="こもれび町", street="5-5"),
        phone="+819011112222",
    )
    ChildFactory(
        household=family.household,
        first_name="さくら",
        birth_date=timezone.localdate() - timedelta(days=3 * 365),
    )
    first = support.supporter(name="田中", where=home)
    second = support.supporter(name="伊藤", where=home)

    # 1. The family applies, picking the orientation.
    family_page = new_page()
    login(family_page, family)
    go(family_page, reverse("familysupport:home"))
    family_page.get_by_role("link", name="会員になる").click()
    family_page.get_by_label("依頼会員", exact=True).check()
    family_page.select_option("#id_district", str(home.pk))
    family_page.locator(f"input[name=session][value='{orientation.pk}']").check()
    assert_accessible(family_page)
    submit(family_page)
    expect(family_page.locator(".messages")).to_contain_text("入会説明会でお待ちしています")
    member = Member.objects.get(user=family)

    # 2. At the orientation the advisor marks attendance and confirms with a card number.
    advisor_page = new_page()
    login(advisor_page, advisor)
    go(advisor_page, reverse("familysupport_staff:session", args=[orientation.pk]))
    advisor_page.get_by_label("山田 花子", exact=False).check()
    submit(advisor_page)
    go(advisor_page, reverse("familysupport_staff:member", args=[member.pk]))
    advisor_page.fill("#id_card_number", "KM-0001")
    advisor_page.get_by_role("button", name="確認する").click()
    advisor_page.wait_for_load_state()
    member.refresh_from_db()
    assert member.status == "active"

    # 3. The family sends a broadcast request, seeing the fee first.
    day = support.next_weekday(1, after_days=3)
    go(family_page, reverse("familysupport:request_new"))
    family_page.fill("#id_first_date", day.isoformat())
    family_page.fill("#id_starts", "15:00")
    family_page.fill("#id_ends", "17:00")
    family_page.fill("#id_place", "こもれび保育園")
    family_page.fill("#id_pickup", "祖母 山田良子")
    submit(family_page)
    expect(family_page.locator("main")).to_contain_text("1,400円")
    assert not SupportRequest.objects.exists()
    family_page.get_by_role("button", name="依頼を送信する").click()
    family_page.wait_for_load_state()
    expect(family_page.locator("main")).to_contain_text("2人に送りました")
    request = SupportRequest.objects.get()

    # 4. Both supporters have the offer open; both press 引き受ける; one wins.
    pages = []
    for profile in (first, second):
        page = new_page()
        login(page, profile.member.user)
        go(
            page,
            reverse("familysupport:offer_detail", args=[request.offers.get(supporter=profile).pk]),
        )
        expect(page.locator("main")).not_to_contain_text("こもれび町5-5")
        pages.append(page)
    for page in pages:
        page.get_by_role("button", name="引き受ける").click()
        page.wait_for_load_state()
    expect(pages[0].locator(".messages")).to_contain_text("引き受けました。ありがとうございます")
    expect(pages[0].locator("main")).to_contain_text("こもれび町5-5")
    expect(pages[1].locator(".messages")).to_contain_text("他の提供会員が先に引き受けました")
    request.refresh_from_db()
    assert request.supporter == first
    activity = Activity.objects.get(request=request)
    expect(pages[0].locator("main")).to_contain_text("事前打ち合わせが必要です")

    # 5. The advisor arranges the first meeting and marks it held.
    go(advisor_page, reverse("familysupport_staff:meetings"))
    advisor_page.get_by_role("link", name="山田 花子", exact=False).click()
    advisor_page.wait_for_load_state()
    advisor_page.fill("#id_scheduled_at", (day - timedelta(days=1)).isoformat() + "T10:00")
    advisor_page.fill("#id_place", "子育て支援センター")
    advisor_page.get_by_role("button", name="日程を決める").click()
    advisor_page.wait_for_load_state()
    advisor_page.get_by_role("button", name="実施済みにする").click()
    advisor_page.wait_for_load_state()
    assert_accessible(advisor_page)

    # 6. On the day, after the activity, the supporter files the report.
    with time_machine.travel(timezone.make_aware(datetime.combine(day, time(18))), tick=True):
        # Days have passed: sign in again (sessions have idle limits).
        supporter_page = pages[0]
        login(supporter_page, first.member.user)
        login(family_page, family)
        go(supporter_page, reverse("familysupport:activity_detail", args=[activity.pk]))
        supporter_page.get_by_role("link", name="活動報告を提出する").click()
        supporter_page.fill("#id_actual_start", "15:00")
        supporter_page.fill("#id_actual_end", "17:20")
        supporter_page.fill("#id_done", "保育園から自宅まで送迎し、おやつ")
        supporter_page.fill("#id_transport", "220")
        assert_accessible(supporter_page)
        submit(supporter_page)
        expect(supporter_page.locator(".messages")).to_contain_text("依頼会員が確認します")

        # 7. The family confirms the report.
        go(family_page, reverse("familysupport:activity_detail", args=[activity.pk]))
        expect(family_page.locator("main")).to_contain_text("1,750円、交通費220円")
        family_page.get_by_role("button", name="活動報告を確認する").click()
        family_page.wait_for_load_state()
        assert Activity.objects.get(pk=activity.pk).status == "settled"
        # Settled: the address is no longer shown to the supporter.
        go(supporter_page, reverse("familysupport:activity_detail", args=[activity.pk]))
        expect(supporter_page.locator("main")).not_to_contain_text("こもれび町5-5")

    # 8. After the month, the centre closes it and the supporter's statement is issued.
    next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=3)
    with time_machine.travel(timezone.make_aware(datetime.combine(next_month, time(9))), tick=True):
        login(advisor_page, advisor)
        login(pages[0], first.member.user)
        go(advisor_page, reverse("familysupport_staff:month") + f"?month={day:%Y-%m}")
        advisor_page.get_by_role("button", name="この月を締める").click()
        advisor_page.wait_for_load_state()
        expect(advisor_page.locator(".messages")).to_contain_text("月を締め")
        assert MonthClose.objects.get().activities == 1
        assert_accessible(advisor_page)
        go(pages[0], reverse("familysupport:statement") + f"?month={day:%Y-%m}")
        expect(pages[0].locator("main")).to_contain_text("1,750")
    assert User.objects.filter(email="family@example.jp").exists()
