"""Maintenance mode in a real browser: a system administrator schedules a window in the admin,
the top page announces it; during it a resident who signs in, registers or resets a password gets
the 503 page in Japanese and English while the top page and announcements still show, and an
administrator can still sign in to end it."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from kosodate.core import services
from kosodate.core.models import MaintenanceWindow
from tests.factories import TEST_PASSWORD, AnnouncementFactory

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _active_window():
    now = timezone.now()
    return services.maintenance_window_create(
        actor=None,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=2),
        message="保育施設の予約システムを更新しています。",
        message_en="We are updating the booking system.",
    )


def test_a_system_administrator_schedules_a_window_and_the_top_page_announces_it(
    page_en, new_page, admin_user
):
    login(page_en, admin_user)
    page_en.goto(page_en.base_url + "/admin/core/maintenancewindow/add/")
    starts_at = timezone.localtime(timezone.now() + timedelta(days=3)).replace(
        hour=22, minute=0, second=0, microsecond=0
    )
    ends_at = starts_at + timedelta(hours=4)
    page_en.fill("#id_starts_at_0", starts_at.strftime("%Y-%m-%d"))
    page_en.fill("#id_starts_at_1", starts_at.strftime("%H:%M:%S"))
    # The end before the start first: the admin explains which box is wrong.
    page_en.fill("#id_ends_at_0", (starts_at - timedelta(days=1)).strftime("%Y-%m-%d"))
    page_en.fill("#id_ends_at_1", "02:00:00")
    page_en.fill("#id_message", "サーバーの入れ替え作業を行います。")
    page_en.fill("#id_message_en", "We are replacing the servers.")
    page_en.locator("input[name=_save]").click()
    expect(page_en.locator(".errorlist")).to_contain_text("The end must be after the start.")
    expect(page_en.get_by_text("is violated")).to_have_count(0)

    page_en.fill("#id_ends_at_0", ends_at.strftime("%Y-%m-%d"))
    page_en.fill("#id_ends_at_1", ends_at.strftime("%H:%M:%S"))
    page_en.locator("input[name=_save]").click()
    expect(page_en.locator(".messagelist")).to_be_visible()
    window = MaintenanceWindow.objects.get()
    assert window.starts_at == starts_at
    assert window.created_by == admin_user

    # Visitors see the announcement on the top page, in both languages.
    when = starts_at.strftime("%Y-%m-%d %H:%M")
    visitor = new_page(locale="ja", mobile=True)
    visitor.goto(visitor.base_url + "/")
    banner = visitor.locator("main").get_by_text("サーバーの入れ替え作業を行います。")
    expect(banner).to_be_visible()
    expect(visitor.locator("main")).to_contain_text(when)
    assert_accessible(visitor)

    visitor_en = new_page(locale="en", mobile=False)
    visitor_en.goto(visitor_en.base_url + "/")
    expect(visitor_en.locator("main")).to_contain_text("We are replacing the servers.")
    expect(visitor_en.locator("main")).to_contain_text(when)
    # Not yet in force: the sign-in page still opens.
    response = visitor_en.goto(visitor_en.base_url + "/accounts/login/")
    assert response.status != 503


@pytest.mark.parametrize(
    "fixture, heading, message, top, staff_only",
    [
        (
            "page",
            "メンテナンス中",
            "保育施設の予約システムを更新しています。",
            "トップページへ戻る",
            "現在は職員だけがログインできます",
        ),
        (
            "page_en",
            "Under maintenance",
            "We are updating the booking system.",
            "Back to the top page",
            "only staff can sign in now",
        ),
    ],
    ids=["ja-360px", "en-desktop"],
)
def test_during_a_window_a_resident_signing_in_gets_the_maintenance_page(
    request, municipality, resident, fixture, heading, message, top, staff_only
):
    page = request.getfixturevalue(fixture)
    window = _active_window()
    announcement = AnnouncementFactory(title="夏の一時預かりについて", title_en="Summer childcare")

    # The top page still shows, with the maintenance notice and the announcements.
    page.goto(page.base_url + "/")
    expect(page.locator("main")).to_contain_text(
        announcement.title if fixture == "page" else announcement.title_en
    )
    sign_in = page.locator("main").get_by_role("link", name=re.compile("ログイン|Sign in")).first
    sign_in.click()
    page.wait_for_load_state()

    # The sign-in page stays open (staff sign in to end the window) and says so; a resident who
    # signs in gets the maintenance page, with the time it ends.
    expect(page.locator("main")).to_contain_text(staff_only)
    assert_accessible(page)
    page.fill("#id_login", resident.email)
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("main form .button--primary").first.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator("main")).to_contain_text(message)
    expect(page.locator("main")).to_contain_text(
        timezone.localtime(window.ends_at).strftime("%H:%M")
    )
    assert_accessible(page)

    # Registration and password reset are refused, with Retry-After until the end.
    for path in (reverse("register_start"), reverse("account_reset_password")):
        response = page.goto(page.base_url + path)
        assert response.status == 503
        assert 7000 < int(response.headers["retry-after"]) <= 7200
    expect(page.locator("h1")).to_have_text(heading)

    # From the 503 page, back to reading: the announcement's own page still works.
    page.get_by_role("link", name=top).click()
    page.wait_for_load_state()
    page.locator(f"a[href='/announcements/{announcement.pk}/']").first.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(
        announcement.title if fixture == "page" else announcement.title_en
    )


def test_the_language_switch_works_on_the_maintenance_page(page, municipality):
    _active_window()
    page.goto(page.base_url + reverse("register_start"))
    expect(page.locator("h1")).to_have_text("メンテナンス中")
    page.locator(".language-switcher button[value=en]").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Under maintenance")
    assert_accessible(page)


def test_an_administrator_signs_in_to_the_admin_and_ends_the_window(page_en, new_page, admin_user):
    """The admin's sign-in is allauth's (password, then the second step every staff account
    has): it stays open during the window, and the administrator ends it from the back office."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from tests.totp import Totp

    Authenticator.objects.filter(user=admin_user).delete()
    secret = generate_totp_secret()
    TOTP.activate(admin_user, secret)
    window = _active_window()
    page_en.goto(page_en.base_url + "/admin/")
    page_en.wait_for_load_state()
    assert urlsplit(page_en.url).path == reverse("account_login")
    page_en.fill("#id_login", admin_user.email)
    page_en.fill("#id_password", TEST_PASSWORD)
    page_en.locator("main form .button--primary").first.click()
    page_en.wait_for_load_state()
    assert urlsplit(page_en.url).path == reverse("mfa_authenticate")
    page_en.fill("input[name=code]", Totp(secret).now())
    page_en.locator("main form .button--primary").first.click()
    page_en.wait_for_load_state()
    if urlsplit(page_en.url).path == reverse("mfa_trust"):
        page_en.locator("button[name=action][value=skip]").click()
        page_en.wait_for_load_state()
    expect(page_en.locator("#site-name")).to_be_visible()

    # Signed in, the administrator is staff: the back office works during the window too.
    page_en.goto(page_en.base_url + "/staff/maintenance/")
    expect(page_en.locator("main")).to_contain_text(window.message)
    page_en.get_by_role("button", name="End maintenance now").click()
    page_en.wait_for_load_state()
    expect(page_en.locator(".messages")).to_contain_text("Maintenance has ended.")
    window.refresh_from_db()
    assert window.ends_at <= timezone.now()

    resident_page = new_page(locale="ja", mobile=True)
    response = resident_page.goto(resident_page.base_url + reverse("register_start"))
    assert response.status == 200


def test_municipal_staff_schedule_maintenance_in_the_back_office(page, new_page, municipal_staff):
    login(page, municipal_staff)
    page.goto(page.base_url + "/staff/")
    page.locator(".backoffice-nav").get_by_role("link", name="メンテナンス").click()
    page.get_by_role("link", name="メンテナンスの予定登録").click()
    page.wait_for_load_state()
    starts_at = timezone.localtime(timezone.now() + timedelta(days=5)).replace(
        hour=21, minute=0, second=0, microsecond=0
    )
    page.fill("#id_starts_at", starts_at.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_ends_at", (starts_at + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_message", "定期点検のため")
    page.get_by_role("button", name="予定に登録").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("メンテナンスを予定に登録しました。")
    expect(page.locator("main table")).to_contain_text(starts_at.strftime("%Y-%m-%d %H:%M"))
    assert_accessible(page)

    visitor = new_page(locale="ja", mobile=True)
    visitor.goto(visitor.base_url + "/")
    expect(visitor.locator("main")).to_contain_text("定期点検のため")
