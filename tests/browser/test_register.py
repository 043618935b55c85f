"""Registration in a real browser: from the top page through the five steps with two children
(a row added, removed and added again without losing the first), the confirmation link read from
the outbox, signing in, My Page, signing out, a forgotten password and signing in with the new
one — in Japanese on a phone and in English on a desktop. And a
municipality that requires the counter identity check: the account waits, says what to bring,
and services are refused with that explanation. Every page is checked with axe."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from kosodate.accounts.models import Child, User
from kosodate.core.models import OutboundMessage
from tests.factories import TermsVersionFactory

from .fixtures import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Komorebi-7turn-kite"

WORDS = {
    "ja": {
        "start": "登録を始める",
        "next": "次へ",
        "back": "戻る",
        "find": "住所を検索",
        "add": "お子さんを追加",
        "remove_2": "お子さん2を削除",
        "register": "登録を完了する",
        "resend": "メールをもう一度送る",
        "kana_error": "カタカナかひらがな",
        "password_error": "英字と数字",
        "done_title": "メールをご確認ください",
    },
    "en": {
        "start": "Start",
        "next": "Next",
        "back": "Back",
        "find": "Find address",
        "add": "Add another child",
        "remove_2": "Remove child 2",
        "register": "Complete registration",
        "resend": "Send the email again",
        "kana_error": "katakana or hiragana",
        "password_error": "letters and digits",
        "done_title": "Check your email",
    },
}


@pytest.fixture
def terms(municipality):
    return TermsVersionFactory()


def _click(page, name):
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def _fill_child(page, index, *, first, kana, birth, sex_index):
    prefix = f"#id_children-{index}-"
    page.fill(prefix + "first_name", first)
    page.fill(prefix + "first_name_kana", kana)
    page.fill(prefix + "birth_date", birth)
    page.check(f"{prefix}sex_{sex_index}")


def _register(page, language, email):
    words = WORDS[language]
    page.goto(page.base_url + "/")
    page.locator(f"main a[href='{reverse('register_start')}']").first.click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("register_start"))
    assert_accessible(page)
    page.get_by_role("link", name=words["start"]).click()
    page.wait_for_load_state()

    # 1. Guardian: a mistake first — explained, and what was typed stays.
    expect(page.locator("[aria-current=step]")).to_have_count(1)
    page.fill("#id_last_name", "山田")
    page.fill("#id_first_name", "花子")
    page.fill("#id_last_name_kana", "yamada")
    page.fill("#id_first_name_kana", "ﾊﾅｺ")
    page.fill("#id_birth_date", "1990-05-10")
    page.fill("#id_email", email)
    page.fill("#id_phone", "０９０ー１２３４ー５６７８")
    _click(page, words["next"])
    expect(page.locator(".error-summary")).to_contain_text(words["kana_error"])
    expect(page.locator("#id_email")).to_have_value(email)
    expect(page.locator("#id_last_name_kana")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.fill("#id_last_name_kana", "やまだ")
    _click(page, words["next"])

    # 2. Address: the postal code fills in the rest; Back and forth keeps both steps.
    page.fill("#id_postal_code", "１００－０００１")
    _click(page, words["find"])
    expect(page.locator("#id_prefecture")).to_have_value("東京都")
    expect(page.locator("#id_city")).to_have_value("千代田区")
    expect(page.locator("#id_town")).to_have_value("千代田")
    page.fill("#id_street", "1-2-3")
    assert_accessible(page)
    _click(page, words["back"])
    expect(page.locator("#id_first_name")).to_have_value("花子")
    _click(page, words["next"])
    expect(page.locator("#id_street")).to_have_value("1-2-3")
    _click(page, words["next"])

    # 3. Children: add a row, remove it, add it again; the first child is never lost.
    expect(page.locator("#id_children-0-last_name")).to_have_value("山田")
    _fill_child(page, 0, first="さくら", kana="さくら", birth="2022-04-01", sex_index=0)
    page.fill("#id_children-0-allergies", "卵")
    _click(page, words["add"])
    _fill_child(page, 1, first="まちがい", kana="マチガイ", birth="2023-01-01", sex_index=1)
    _click(page, words["remove_2"])
    expect(page.locator("#id_children-1-first_name")).to_have_count(0)
    expect(page.locator("#id_children-0-first_name")).to_have_value("さくら")
    _click(page, words["add"])
    expect(page.locator("#id_children-0-allergies")).to_have_value("卵")
    _fill_child(page, 1, first="はると", kana="ハルト", birth="2024-08-15", sex_index=1)
    assert_accessible(page)
    _click(page, words["next"])

    # 4. Password: the rules beside the field, a show-password toggle, the reason for a refusal.
    expect(page.locator(".password-rules")).to_be_visible()
    expect(page.locator("button.password-toggle").first).to_be_visible()
    page.fill("#id_password1", "onlyletters-here")
    page.fill("#id_password2", "onlyletters-here")
    _click(page, words["next"])
    expect(page.locator(".error-summary")).to_contain_text(words["password_error"])
    expect(page.locator("#id_password1")).to_have_value("")
    assert_accessible(page)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    _click(page, words["next"])

    # 5. Review and consent.
    main = page.locator("main")
    for text in ("山田 花子", "ヤマダ ハナコ", "東京都千代田区千代田", "さくら", "はると"):
        expect(main).to_contain_text(text)
    expect(main).not_to_contain_text("まちがい")
    assert_accessible(page)
    page.locator("#id_consent").check()
    _click(page, words["register"])
    expect(page.locator("h1")).to_have_text(words["done_title"])
    expect(main).to_contain_text(email.lower())
    assert_accessible(page)


def _confirmation_link(email) -> str:
    message = OutboundMessage.objects.filter(recipient=email.lower()).latest("pk")
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", message.deliverable_body)
    assert match, message.deliverable_body
    return match.group(1)


def _confirm_and_sign_in(page, email):
    page.goto(page.base_url + _confirmation_link(email))
    assert_accessible(page)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith(reverse("account_login"))
    user = User.objects.get(email=email.lower())
    page.fill("input[name=login]", user.username)  # the 利用者番号 from the email
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    assert not page.url.split("?")[0].endswith(reverse("account_login")), page.url
    return user


def _my_page_sign_out_reset_and_sign_in_again(page, language, user):
    """The rest of a newcomer's first evening: the terms if asked, My Page, signing out, the
    password forgotten at once, the reset link from the outbox, and in with the new password."""
    from .test_signin import NEW_PASSWORD, _fill_sign_in, _reset_link, _sign_out
    from .test_signin import WORDS as SIGN_IN_WORDS

    words = SIGN_IN_WORDS[language]
    if page.url.split("?")[0].endswith(reverse("signin_terms")):
        page.get_by_label(words["accept_box"]).check()
        page.get_by_role("button", name=words["accept"]).click()
        page.wait_for_load_state()
    assert page.url.split("?")[0].endswith(reverse("mypage")), page.url
    assert user.household.children.count() == 2
    expect(page.locator("main")).to_contain_text(user.username)  # the 利用者番号
    assert_accessible(page)
    _sign_out(page, words)

    page.goto(page.base_url + reverse("account_login"))
    page.get_by_role("link", name=words["forgot"]).click()
    page.fill("#id_email", user.email)
    page.get_by_role("button", name=words["send"]).click()
    expect(page.locator("h1")).to_have_text(words["check_email"])
    page.goto(page.base_url + _reset_link(user.email))
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.get_by_role("button", name=words["save"]).click()
    page.wait_for_load_state()
    page.get_by_role("link", name=words["sign_in_new"]).click()
    page.wait_for_load_state()
    _fill_sign_in(page, user.email, NEW_PASSWORD)
    assert page.url.split("?")[0].endswith(reverse("mypage")), page.url


def test_registration_in_japanese_on_a_phone(page, terms):
    _register(page, "ja", "Hanako.Yamada@example.jp")
    user = _confirm_and_sign_in(page, "Hanako.Yamada@example.jp")
    assert user.last_name_kana == "ヤマダ" and str(user.phone) == "+819012345678"
    assert sorted(
        Child.objects.filter(household=user.household).values_list("first_name", flat=True)
    ) == [
        "さくら",
        "はると",
    ]
    assert user.username in OutboundMessage.objects.get(recipient=user.email).body
    _my_page_sign_out_reset_and_sign_in_again(page, "ja", user)


def test_registration_in_english_on_a_desktop(page_en, terms):
    _register(page_en, "en", "mary@example.jp")
    user = _confirm_and_sign_in(page_en, "mary@example.jp")
    assert user.preferred_language == "en"
    assert user.household.children.count() == 2
    _my_page_sign_out_reset_and_sign_in_again(page_en, "en", user)


@pytest.mark.urls("tests.accounts.register_support")
def test_identity_check_pending(page, terms, municipality):
    municipality.require_counter_identity_check = True
    municipality.identity_check_instructions = (
        "本人確認書類と、お子さんの健康保険証をお持ちください。"
    )
    municipality.save()
    _register(page, "ja", "pending@example.jp")
    main = page.locator("main")
    expect(main).to_contain_text("本人確認書類と、お子さんの健康保険証をお持ちください。")
    expect(main).to_contain_text("こもれび市役所 2階 5番窓口")
    expect(main).to_contain_text("平日 8:30〜17:15")
    user = _confirm_and_sign_in(page, "pending@example.jp")
    assert user.identity_status == User.IdentityStatus.PENDING

    response = page.goto(page.base_url + "/test-service/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("窓口での本人確認をお待ちしています")
    expect(main).to_contain_text("本人確認書類と、お子さんの健康保険証をお持ちください。")
    expect(main).to_contain_text("平日 8:30〜17:15")
    assert_accessible(page)

    response = page.goto(page.base_url + reverse("register_identity_check"))
    assert response.status == 200
    expect(main).to_contain_text("本人確認を待っています")
    assert_accessible(page)

    # Staff confirm the identity at the counter: services open.
    User.objects.filter(pk=user.pk).update(identity_status=User.IdentityStatus.VERIFIED)
    page.goto(page.base_url + "/test-service/")
    expect(page.locator("body")).to_have_text("service open")
