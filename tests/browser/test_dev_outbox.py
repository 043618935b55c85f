import pytest

from kosodate.core import services

from .fixtures import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONFIRM_URL = "http://127.0.0.1:8000/accounts/confirm-email/Mg:abc/"


def test_a_newcomer_opens_the_dev_outbox_and_follows_a_link(page, municipality, settings):
    settings.DEBUG = True
    services.message_sms_send(to="+819012345678", body="認証コード: 123456")
    services.message_email_send(
        to="hanako@example.jp",
        subject="メールアドレスの確認",
        body=f"次のリンクを開いて登録を完了してください。\n{CONFIRM_URL}",
    )

    page.goto(page.base_url + "/dev/outbox/")
    assert page.locator("h1").inner_text() == "開発用の送信箱"
    assert page.get_by_role("link", name="認証コード: 123456").is_visible()
    assert_accessible(page)

    page.get_by_role("link", name="メールアドレスの確認").click()
    assert page.locator("h1").inner_text() == "メールアドレスの確認"
    link = page.get_by_role("link", name=CONFIRM_URL)
    assert link.get_attribute("href") == CONFIRM_URL
    assert page.get_by_text(
        "パスワードや認証コードをメールでお尋ねすることはありません。"
    ).is_visible()
    assert_accessible(page)


def test_the_dev_outbox_in_english_on_a_desktop(page_en, municipality, settings):
    settings.DEBUG = True
    services.message_sms_send(to="+819012345678", body="Code: 123456")
    page_en.goto(page_en.base_url + "/dev/outbox/")
    assert page_en.locator("h1").inner_text() == "Development outbox"
    page_en.get_by_role("link", name="Code: 123456").click()
    assert page_en.locator("h1").inner_text() == "SMS to +819012345678"
    assert_accessible(page_en)
