"""Announcements in a real browser: municipal staff publish one in the back office (mistakes
explained first), visitors see it on the top page and on its own page in both languages, and
unpublishing takes it away."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kosodate.core.models import Announcement

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "秋の親子ふれあい講座の申し込みを始めました"
TITLE_EN = "Applications for the autumn parent-and-child classes are open"


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_staff_publish_an_announcement_and_visitors_see_it(page, new_page, municipal_staff):
    login(page, municipal_staff)
    page.goto(page.base_url + "/staff/")
    assert_accessible(page)
    page.locator(".backoffice-nav").get_by_role("link", name="お知らせ").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("お知らせの管理")
    page.get_by_role("link", name="お知らせの作成").click()
    page.wait_for_load_state()

    start = timezone.now() - timedelta(minutes=5)
    page.fill("#id_title", TITLE)
    page.fill("#id_title_en", TITLE_EN)
    page.fill("#id_body", "10月の講座です。\n詳しくは講座のページをご覧ください。")
    page.select_option("#id_importance", "important")
    page.fill("#id_starts_at", _local(start))
    # A mistake first: the end before the start is explained, and what was typed is kept.
    page.fill("#id_ends_at", _local(start - timedelta(days=1)))
    page.get_by_role("button", name="公開").click()
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_contain_text("終了日時は開始日時")
    expect(page.locator("#id_title")).to_have_value(TITLE)
    assert_accessible(page)

    page.fill("#id_ends_at", _local(start + timedelta(days=30)))
    page.get_by_role("button", name="公開").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("お知らせを公開しました。")
    expect(page.locator("main table")).to_contain_text(TITLE)
    expect(page.locator("main table")).to_contain_text("表示中")
    assert_accessible(page)
    announcement = Announcement.objects.get()

    # A visitor in Japanese on a phone: the top page lists it; it has its own page.
    visitor = new_page(locale="ja", mobile=True)
    visitor.goto(visitor.base_url + "/")
    visitor.get_by_role("link", name=TITLE).click()
    visitor.wait_for_load_state()
    assert visitor.url.endswith(f"/announcements/{announcement.pk}/")
    expect(visitor.locator("h1")).to_have_text(TITLE)
    expect(visitor.locator("main")).to_contain_text("詳しくは講座のページをご覧ください。")
    expect(visitor.locator("main")).to_contain_text("重要")
    assert_accessible(visitor)

    # In English on a desktop: the English title, and the Japanese body (no English one given).
    visitor_en = new_page(locale="en", mobile=False)
    visitor_en.goto(visitor_en.base_url + "/")
    visitor_en.get_by_role("link", name=TITLE_EN).click()
    visitor_en.wait_for_load_state()
    expect(visitor_en.locator("h1")).to_have_text(TITLE_EN)
    expect(visitor_en.locator("main")).to_contain_text("10月の講座です。")
    assert_accessible(visitor_en)

    # Unpublished: gone from the top page, and its page is a 404.
    page.get_by_role("button", name=re.compile(f"^非公開にする.*{TITLE}")).click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("非公開にしました")
    visitor.goto(visitor.base_url + "/")
    expect(visitor.get_by_role("link", name=TITLE)).to_have_count(0)
    response = visitor.goto(visitor.base_url + f"/announcements/{announcement.pk}/")
    assert response.status == 404


def test_staff_pages_in_english_on_a_desktop(page_en, municipal_staff):
    login(page_en, municipal_staff)
    page_en.goto(page_en.base_url + "/staff/announcements/new/")
    page_en.fill("#id_title", "Road works near the support centre")
    page_en.fill("#id_body", "Please use the north entrance.")
    page_en.get_by_role("button", name="Publish").click()
    page_en.wait_for_load_state()
    expect(page_en.locator(".messages")).to_contain_text("The announcement was published.")
    page_en.get_by_role(
        "link", name=re.compile("^Edit.*Road works near the support centre")
    ).click()
    page_en.wait_for_load_state()
    expect(page_en.locator("h1")).to_have_text("Edit announcement")
    page_en.select_option("#id_importance", "urgent")
    page_en.get_by_role("button", name="Save").click()
    page_en.wait_for_load_state()
    expect(page_en.locator(".messages")).to_contain_text("The announcement was saved.")
    assert Announcement.objects.get().importance == "urgent"
    assert_accessible(page_en)

    page_en.goto(page_en.base_url + "/")
    expect(page_en.locator("main .badge--urgent")).to_have_text("Urgent")


@pytest.mark.parametrize("fixture", ["page", "page_en"])
def test_residents_are_told_the_back_office_is_for_staff(request, fixture, resident):
    page = request.getfixturevalue(fixture)
    login(page, resident)
    response = page.goto(page.base_url + "/staff/announcements/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text(
        "このページは職員専用です" if fixture == "page" else "This page is for staff"
    )
    assert_accessible(page)
