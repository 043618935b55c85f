"""The counter in a real browser: a municipal staff member finds a resident waiting for the identity
check, records it (a card number in the note is refused), and, for a resident who lost access,
records a recovery check, unlocks the account and prints a one-time link with its QR code; the
resident opens the link in their own browser and chooses a new password. Japanese on a phone
and English on a desktop, each page checked with axe."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from kosodate.accounts.models import AccountLock, User
from kosodate.core.models import AuditLog
from tests.factories import ChildFactory, HouseholdFactory

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hanako(resident):
    household = HouseholdFactory()
    resident.household = household
    resident.first_name, resident.last_name = "花子", "山田"
    resident.last_name_kana, resident.first_name_kana = "ヤマダ", "ハナコ"
    resident.save()
    ChildFactory(household=household, first_name="さくら", birth_date="2022-05-05")
    return resident


def test_identity_check_opens_a_pending_account_on_a_phone(page, municipal_staff, hanako):
    hanako.identity_status = User.IdentityStatus.PENDING
    hanako.save()
    login(page, municipal_staff)
    page.goto(page.base_url + reverse("staff_accounts_search"))
    expect(page.locator("h1")).to_have_text("利用者")
    assert_accessible(page)
    page.fill("#id_name", "やまだ　はなこ")
    page.get_by_role("button", name="検索する").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("1人見つかりました")
    assert_accessible(page)
    page.get_by_role("link", name="山田 花子").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("山田 花子")
    assert_accessible(page)

    page.get_by_role("link", name="本人確認を記録する").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("その他").check()
    page.fill("#id_method_note", "在留カード 1234-5678-9012")
    page.get_by_role("button", name="記録する").click()
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_contain_text("番号は記録しないでください")
    assert_accessible(page)
    page.get_by_label("運転免許証").check()
    page.fill("#id_method_note", "")
    page.get_by_role("button", name="記録する").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("アカウントが利用できるようになりました")
    hanako.refresh_from_db()
    assert hanako.identity_status == User.IdentityStatus.VERIFIED
    assert AuditLog.objects.filter(action="identity_check.record", subject_user=hanako).exists()


def test_recovery_unlock_and_a_reset_link_on_paper_in_english(
    page_en, new_page, municipal_staff, hanako
):
    page = page_en
    AccountLock.objects.create(
        user=hanako, failed_count=5, locked_until=timezone.now() + timedelta(minutes=20)
    )
    login(page, municipal_staff)
    page.goto(page.base_url + reverse("staff_accounts_detail", args=[hanako.pk]))
    expect(page.locator("main")).to_contain_text("Sign-in is locked")
    expect(page.locator("main")).to_contain_text("first record today's identity check")
    assert_accessible(page)

    page.get_by_role("button", name="Unlock now").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("The account is unlocked.")

    page.get_by_role("link", name="Record an identity check").click()
    page.wait_for_load_state()
    page.get_by_label("My Number Card").check()
    page.get_by_label("Account recovery").check()
    page.get_by_role("button", name="Record").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("Identity checked for recovery today")
    assert_accessible(page)

    page.get_by_role("link", name="Change the email address").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.fill("#id_email", "hanako.new@example.jp")
    page.get_by_role("button", name="Send the verification link").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("We sent a verification link")

    page.get_by_role("link", name="Print a one-time link to set a new password").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name="Show the link").click()
    page.wait_for_load_state()
    expect(page.get_by_role("img", name="QR code of the link below")).to_be_visible()
    assert_accessible(page)
    link = page.locator(".reset-sheet__url code").inner_text()
    assert page.locator("input[type=password]").count() == 0  # staff never see a password

    # The resident, at home, opens the link and chooses a password themselves.
    resident_page = new_page(locale="ja", mobile=True)
    resident_page.goto(resident_page.base_url + link.removeprefix("http://127.0.0.1:8000"))
    new = "Himawari-2027-kodomo"
    resident_page.fill("#id_password1", new)
    resident_page.fill("#id_password2", new)
    resident_page.locator("main form [type=submit]").first.click()
    resident_page.wait_for_load_state()
    hanako.refresh_from_db()
    assert hanako.check_password(new)
    assert set(AuditLog.objects.filter(subject_user=hanako).values_list("action", flat=True)) >= {
        "resident.view",
        "account.unlock",
        "identity_check.record",
        "recovery.email_change",
        "recovery.reset_link_issue",
    }
