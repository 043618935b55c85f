"""My Page in a real browser: the main menu, editing details and children (mistakes explained,
what was typed kept), the yearly "still right?" prompt, the password asked again before a phone
change, data download, and deleting the account — in Japanese on a phone and in English on a
desktop, each page checked with axe."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from kosodate.accounts.models import Child, User
from tests.factories import TEST_PASSWORD, AnnouncementFactory, ChildFactory, HouseholdFactory

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def household_with_child(resident):
    """The resident's household (kana names, a mobile phone) with one child, さくら."""
    household = HouseholdFactory()
    resident.household = household
    resident.last_name_kana, resident.first_name_kana = "ヤマダ", "ハナコ"
    resident.phone = "+819012345678"
    resident.save()
    ChildFactory(household=household, first_name="さくら", first_name_kana="サクラ")
    return household


def go(page, path):
    response = page.goto(page.base_url + path)
    assert response is not None and response.status == 200, (path, response and response.status)


def test_mypage_details_and_children_on_a_phone(page, resident, household_with_child):
    AnnouncementFactory(title="予防接種のお知らせ")
    resident.details_confirmed_at = timezone.now() - timedelta(days=400)
    resident.save()
    login(page, resident)
    go(page, reverse("mypage"))
    expect(page.locator("h1")).to_have_text("マイページ")
    expect(page.locator("main")).to_contain_text(resident.member_number)
    expect(page.locator("main")).to_contain_text("これからの予約はありません")
    expect(page.locator("main")).to_contain_text("予防接種のお知らせ")
    expect(page.locator("main")).to_contain_text("登録内容に変わりはありませんか")
    assert_accessible(page)

    # "Still right?" → check and edit: a mistake first, explained, and what was typed is kept.
    page.get_by_role("link", name="確認・変更する").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("登録情報")
    assert_accessible(page)
    page.get_by_role("link", name="氏名・生年月日・住所を変更").click()
    page.wait_for_load_state()
    page.fill("#id_birth_date", "1990-04-01")
    page.fill("#id_postal_code", "５３０－０００１")  # Osaka: outside こもれび市
    page.fill("#id_street", "１－２－３")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_contain_text("こもれび市の外")
    expect(page.locator("#id_street")).to_have_value("１－２－３")  # as typed
    assert_accessible(page)
    page.fill("#id_postal_code", "100-0005")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("登録情報を保存しました")
    expect(page.locator("main table")).to_contain_text("丸の内")

    # Add a child: a date of birth in the future is refused first.
    page.get_by_role("link", name="お子さんを追加").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.fill("#id_last_name", "山田")
    page.fill("#id_first_name", "はると")
    page.fill("#id_last_name_kana", "やまだ")
    page.fill("#id_first_name_kana", "はると")
    future = timezone.localdate() + timedelta(days=3)
    page.fill("#id_birth_date", future.isoformat())
    page.get_by_label("男の子").check()
    page.get_by_role("button", name="追加する").click()
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_contain_text("未来の日付")
    expect(page.locator("#id_first_name")).to_have_value("はると")
    assert_accessible(page)
    page.fill("#id_birth_date", "2023-04-01")
    page.get_by_role("button", name="追加する").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("山田 はるとさんを追加しました")
    assert Child.objects.get(first_name="はると").first_name_kana == "ハルト"

    # Remove a child: asked first.
    page.get_by_role("link", name="山田 はるとさんを削除").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("山田 はるとさんを削除しますか？")
    assert_accessible(page)
    page.get_by_role("button", name="削除する").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("山田 はるとさんを削除しました")
    assert not Child.objects.filter(first_name="はると").exists()

    go(page, reverse("mypage"))
    expect(page.locator("main")).not_to_contain_text("登録内容に変わりはありませんか")


def test_phone_change_asks_for_the_password_again_in_english(
    page_en, resident, household_with_child
):
    page = page_en
    login(page, resident)
    go(page, reverse("mypage"))
    expect(page.locator("h1")).to_have_text("My Page")
    assert_accessible(page)
    page.get_by_role("link", name="Change phone number").click()
    page.wait_for_load_state()
    assert page.url.startswith(page.base_url + reverse("account_reauthenticate"))
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Change phone number")
    assert_accessible(page)
    page.fill("#id_phone", "080-1111-2222")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Your phone number was saved.")
    resident.refresh_from_db()
    assert str(resident.phone) == "+818011112222"

    # The email page, within the same few minutes, needs no second password prompt.
    page.get_by_role("link", name="Change email address").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Change email address")
    assert_accessible(page)

    go(page, reverse("mypage_data"))
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV (for spreadsheets)").click()
    assert download.value.suggested_filename.endswith(".csv")


def test_delete_my_account(page, resident, household_with_child):
    login(page, resident)
    go(page, reverse("mypage_delete"))
    expect(page.locator("main")).to_contain_text("削除されるもの")
    expect(page.locator("main")).to_contain_text("残るもの")
    assert_accessible(page)
    page.fill("#id_password", "not-my-password-1")
    page.get_by_role("button", name="アカウントを削除").click()
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name="アカウントを削除").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("アカウントを削除しました")
    assert_accessible(page)
    assert not User.objects.filter(pk=resident.pk).exists()


def test_mypage_shows_the_next_three_things_and_what_needs_action_first(
    page, resident, facility_staff
):
    """Issue 12 item 10: My Page lists the next three things across the services (not every
    booking in full), a place offered first with its deadline, and links to see all; short on a
    360 px phone."""
    from kosodate.events.models import Application
    from tests.childcare.support import childcare_page_world, family
    from tests.events.factories import EventFactory

    [child] = family(resident, first_name="さくら")
    household = child.household
    world = childcare_page_world(resident=resident, facility_staff=facility_staff, child=child)
    # Three event applications sooner than every booking.
    for days in (1, 2, 3):
        event = EventFactory(
            title=f"親子ふれあい講座 {days}",
            starts_at=timezone.now() + timedelta(days=days),
            applications_close_at=timezone.now() + timedelta(hours=days),
        )
        Application.objects.create(
            event=event, household=household, user=resident, people=2, status="confirmed"
        )
    login(page, resident)
    go(page, reverse("mypage"))
    section = page.locator("section[aria-labelledby=bookings-title]")
    cards = section.locator(".upcoming-list > li")
    expect(cards).to_have_count(3)
    # The place offered from the waiting list comes first, though it is the latest date.
    expect(cards.first).to_contain_text("手続きが必要です")
    expect(cards.first).to_contain_text("までに空き枠を受けるか決めてください")
    expect(cards.first.get_by_role("link")).to_have_attribute(
        "href", reverse("childcare:booking_detail", args=[world["offered"].code])
    )
    # Then the soonest: the first two classes.
    expect(cards.nth(1)).to_contain_text("親子ふれあい講座 1")
    expect(cards.nth(2)).to_contain_text("親子ふれあい講座 2")
    expect(section).to_contain_text("ほかに 3 件あります")
    expect(section.get_by_role("link", name="一時預かりの予約をすべて見る")).to_have_attribute(
        "href", reverse("childcare:booking_list")
    )
    expect(section.get_by_role("link", name="講座・イベントの申し込みをすべて見る")).to_be_visible()
    assert_accessible(page)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3000, height


def test_the_demo_familys_my_page_is_short_on_a_phone(page):
    """Issue 12 item 10: the demo family's My Page was 4,700 px tall; it now lists the next
    three things and three notices. (4,174 px measured: the rest is the children, the
    consultations, the notices, the settings and the footer.)"""
    from kosodate.core.demo import demo_data_load

    demo_data_load()
    login(page, User.objects.get(email="hanako@example.jp"))
    go(page, reverse("mypage"))
    expect(page.locator(".upcoming-list > li")).to_have_count(3)
    height = page.evaluate("document.documentElement.scrollHeight")
    print("My Page height at 360 px:", height)
    assert height < 4500, height
    expect(page.locator(".health-notice")).to_have_count(3)
    assert_accessible(page)
