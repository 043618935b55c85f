"""The registration wizard over HTTP: what it creates, and that nothing typed is lost."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.urls import reverse

from kosodate.accounts.models import Child, Household, TermsAcceptance, User
from kosodate.accounts.services import member_number_is_well_formed
from kosodate.accounts.views_register import DRAFT_KEY
from kosodate.core.selectors import MUNICIPALITY_CACHE_KEY
from tests.factories import MaintenanceWindowFactory, TermsVersionFactory

from .register_support import (
    ADDRESS,
    CHILD_1,
    CHILD_2,
    GUARDIAN,
    PASSWORD,
    children_post,
    confirmation_path,
    emails,
    post_step,
    register,
    step_url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def terms(municipality):
    return TermsVersionFactory()


def test_start_page_lists_the_steps(client, terms):
    response = client.get(reverse("register_start"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "保護者" in body or "あなた" in body
    assert step_url("guardian") in body


def test_allauth_signup_leads_to_the_wizard(client, terms):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("register_start")


def test_full_registration(client, terms):
    response = register(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("register_done")

    user = User.objects.get()
    assert member_number_is_well_formed(user.username)
    assert (user.last_name, user.first_name) == ("山田", "花子")
    assert (user.last_name_kana, user.first_name_kana) == ("ヤマダ", "ハナコ")
    assert user.email == "hanako.yamada@example.jp"
    assert str(user.phone) == "+819012345678"
    assert user.birth_date.isoformat() == "1990-05-10"
    assert user.role == User.Role.RESIDENT
    assert user.identity_status == User.IdentityStatus.NOT_REQUIRED
    assert user.preferred_language == "ja"
    assert user.password.startswith("argon2")
    assert check_password(PASSWORD, user.password)
    assert user.password_changed_at is not None

    household = Household.objects.get()
    assert user.household == household
    assert (household.postal_code, household.prefecture, household.city, household.town) == (
        "1000001",
        "東京都",
        "千代田区",
        "千代田",
    )
    assert household.street == "1-2-3 こもれびハイツ101"
    assert household.municipality_code == "13101"
    assert household.residence_code == ""

    children = list(Child.objects.filter(household=household).order_by("birth_date"))
    assert [c.first_name for c in children] == ["さくら", "はると"]
    assert children[0].first_name_kana == "サクラ"
    assert children[0].allergies == "卵"
    assert children[1].sex == Child.Sex.MALE

    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.primary, address.verified) == (user.email, True, False)
    assert TermsAcceptance.objects.filter(user=user, terms=terms).exists()

    (message,) = emails(to=user.email)
    assert message.kind == "email_confirmation_signup"
    assert user.username in message.body  # the 利用者番号 comes with the link
    assert confirmation_path(message)

    assert DRAFT_KEY not in client.session
    done = client.get(response["Location"])
    assert done.status_code == 200
    assert "hanako.yamada@example.jp" in done.content.decode()


def test_registration_in_english_keeps_the_language(client, terms):
    register(client, HTTP_ACCEPT_LANGUAGE="en")
    assert User.objects.get().preferred_language == "en"


def test_steps_cannot_be_skipped(client, terms):
    response = client.get(step_url("review"))
    assert response["Location"] == step_url("guardian")
    post_step(client, "guardian", GUARDIAN)
    response = client.get(step_url("children"))
    assert response["Location"] == step_url("address")


def test_unknown_step_is_404(client, terms):
    assert client.get(step_url("nonsense")).status_code == 404


def test_progress_indicator_marks_the_current_step(client, terms):
    post_step(client, "guardian", GUARDIAN)
    body = client.get(step_url("address")).content.decode()
    assert 'aria-current="step"' in body
    assert body.count('aria-current="step"') == 1
    # A finished step links back; a step not reached yet does not.
    assert f'href="{step_url("guardian")}"' in body
    assert f'href="{step_url("review")}"' not in body


def test_step_with_errors_keeps_what_was_typed(client, terms):
    response = post_step(client, "guardian", {**GUARDIAN, "last_name_kana": "Yamada"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "カタカナ" in body or "ひらがな" in body  # the reason, in Japanese
    assert 'value="花子"' in body
    assert 'value="Hanako.Yamada@Example.JP"' in body
    assert 'value="Yamada"' in body


def test_back_keeps_what_was_typed_on_both_steps(client, terms):
    post_step(client, "guardian", GUARDIAN)
    # Half-filled address, then Back: nothing is checked, everything is kept.
    response = client.post(
        reverse("register_back", args=["address"]), {"postal_code": "100-0001", "street": "1-2"}
    )
    assert response["Location"] == step_url("guardian")
    assert 'value="花子"' in client.get(step_url("guardian")).content.decode()
    post_step(client, "guardian", GUARDIAN)
    body = client.get(step_url("address")).content.decode()
    assert 'value="100-0001"' in body
    assert 'value="1-2"' in body


def test_review_change_links_and_back_lose_nothing(client, terms):
    register_until_review(client)
    body = client.get(step_url("review")).content.decode()
    for text in ("山田 花子", "ヤマダ ハナコ", "090-1234-5678", "千代田区", "さくら", "はると"):
        assert text in body
    # Change the guardian from the review: the other steps stay done.
    client.get(step_url("guardian"))
    post_step(client, "guardian", {**GUARDIAN, "first_name": "華子"})
    # Their details changed, so the password is asked again (it is checked against them).
    assert client.get(step_url("review"))["Location"] == step_url("password")
    body = client.get(step_url("children")).content.decode()
    assert 'value="はると"' in body


def register_until_review(client):
    post_step(client, "guardian", GUARDIAN)
    post_step(client, "address", ADDRESS)
    post_step(client, "children", children_post([CHILD_1, CHILD_2]))
    post_step(client, "password", {"password1": PASSWORD, "password2": PASSWORD})


# --- Children rows ----------------------------------------------------------------------------
def test_add_and_remove_children_without_losing_others(client, terms):
    post_step(client, "guardian", GUARDIAN)
    post_step(client, "address", ADDRESS)
    first = {**CHILD_1, "first_name": "いちか"}
    response = client.post(reverse("register_child_add"), children_post([first]))
    assert response.status_code == 302
    assert response["Location"].endswith("#child-2")
    body = client.get(step_url("children")).content.decode()
    assert 'value="いちか"' in body
    # The new row starts with the guardian's family name.
    assert 'name="children-1-last_name" value="山田"' in body

    second = {**CHILD_2, "first_name": "にこ"}
    client.post(reverse("register_child_add"), children_post([first, second]))
    third = {**CHILD_2, "first_name": "みつき", "birth_date": "2025-01-01"}
    client.post(reverse("register_child_remove", args=[1]), children_post([first, second, third]))
    body = client.get(step_url("children")).content.decode()
    assert 'value="いちか"' in body and 'value="みつき"' in body
    assert "にこ" not in body

    # Re-add: the first child is still there.
    client.post(reverse("register_child_add"), children_post([first, third]))
    body = client.get(step_url("children")).content.decode()
    assert body.count("children-2-first_name") >= 1
    assert 'value="いちか"' in body


def test_empty_extra_row_is_dropped_on_next(client, terms):
    post_step(client, "guardian", GUARDIAN)
    post_step(client, "address", ADDRESS)
    prefilled = {"last_name": "山田", "last_name_kana": "やまだ"}
    response = post_step(client, "children", children_post([CHILD_1, prefilled]))
    assert response["Location"] == step_url("password")


def test_removing_the_only_row_leaves_an_empty_one(client, terms):
    post_step(client, "guardian", GUARDIAN)
    post_step(client, "address", ADDRESS)
    client.post(reverse("register_child_remove", args=[0]), children_post([CHILD_1]))
    body = client.get(step_url("children")).content.decode()
    assert "children-0-first_name" in body
    response = post_step(client, "children", children_post([{}]))
    assert response.status_code == 200  # at least one child is required


def test_at_most_ten_children(client, terms):
    post_step(client, "guardian", GUARDIAN)
    post_step(client, "address", ADDRESS)
    rows = [{**CHILD_1, "birth_date": f"2015-01-{day:02d}"} for day in range(1, 11)]
    client.post(reverse("register_child_add"), children_post(rows))
    body = client.get(step_url("children")).content.decode()
    assert "children-10-first_name" not in body


# --- Address ----------------------------------------------------------------------------------
def test_find_address_without_javascript(client, terms):
    post_step(client, "guardian", GUARDIAN)
    response = client.post(reverse("register_address_lookup"), {"postal_code": "１００－０００１"})
    assert response.status_code == 302
    body = client.get(step_url("address")).content.decode()
    assert 'value="東京都"' in body
    assert 'value="千代田区"' in body
    assert 'value="千代田"' in body
    assert 'role="status"' in body


def test_find_address_reports_outside_and_unknown_codes(client, terms):
    post_step(client, "guardian", GUARDIAN)
    client.post(reverse("register_address_lookup"), {"postal_code": "060-0000"})
    assert "こもれび市" in client.get(step_url("address")).content.decode()
    client.post(reverse("register_address_lookup"), {"postal_code": "999-9999"})
    body = client.get(step_url("address")).content.decode()
    assert "見つかりません" in body or "見つけられません" in body


def test_prefecture_and_city_come_from_the_postal_code(client, terms):
    post_step(client, "guardian", GUARDIAN)
    post_step(client, "address", {**ADDRESS, "prefecture": "大阪府", "city": "大阪市"})
    body = client.get(step_url("address")).content.decode()
    assert 'value="東京都"' in body and 'value="千代田区"' in body
    assert "大阪" not in body


def test_residence_code_only_when_asked(client, terms, municipality):
    post_step(client, "guardian", GUARDIAN)
    assert 'name="residence_code"' not in client.get(step_url("address")).content.decode()
    municipality.ask_residence_code = True
    municipality.save()
    cache.delete(MUNICIPALITY_CACHE_KEY)  # (not clear(): sessions may live in the cache)
    assert 'name="residence_code"' in client.get(step_url("address")).content.decode()


def test_residence_code_stored_encrypted_and_shown_masked(client, terms, municipality):
    municipality.ask_residence_code = True
    municipality.save()
    register_until_review(client)
    post_step(client, "address", {**ADDRESS, "residence_code": "１２３４５６７８９０１"})
    assert "12345678901" not in str(dict(client.session))
    post_step(client, "password", {"password1": PASSWORD, "password2": PASSWORD})
    body = client.get(step_url("review")).content.decode()
    assert "•••••••8901" in body
    assert "12345678901" not in body
    post_step(client, "review", {"consent": "on"})
    household = Household.objects.get()
    assert household.residence_code == "12345678901"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT residence_code FROM accounts_household")
        (stored,) = cursor.fetchone()
    assert "12345678901" not in stored


def test_my_number_is_refused_and_never_kept(client, terms, municipality):
    municipality.ask_residence_code = True
    municipality.save()
    post_step(client, "guardian", GUARDIAN)
    response = post_step(client, "address", {**ADDRESS, "residence_code": "123456789018"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "個人番号" in body
    assert "123456789018" not in body
    assert "123456789018" not in str(dict(client.session))
    client.post(
        reverse("register_back", args=["address"]), {**ADDRESS, "residence_code": "123456789018"}
    )
    assert "123456789018" not in str(dict(client.session))


# --- Password ---------------------------------------------------------------------------------
def test_password_rules_are_shown_beside_the_field(client, terms):
    post_step(client, "guardian", GUARDIAN)
    post_step(client, "address", ADDRESS)
    post_step(client, "children", children_post([CHILD_1]))
    body = client.get(step_url("password")).content.decode()
    assert 'class="password-rules"' in body
    assert 'id="id_password1_helptext"' in body
    assert 'aria-describedby="id_password1_helptext"' in body
    assert "8" in body and "数字" in body
    assert 'autocomplete="new-password"' in body


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Hanako-1990x", "名前"),  # the guardian's name in rōmaji
        ("Sakura-kite-9", "お子さん"),  # a child's name
        ("kite-20220401", "生年月日"),  # a child's birth date
        ("pass-09012345678", "電話番号"),
        ("short1", "8"),
        ("onlyletters-here", "英字と数字"),
        ("password1", "よく使われ"),
        ("a" * 120 + "1234567890", "128"),
    ],
)
def test_password_rejections_say_why(client, terms, password, reason):
    post_step(client, "guardian", GUARDIAN)
    post_step(client, "address", ADDRESS)
    post_step(client, "children", children_post([CHILD_1]))
    response = post_step(client, "password", {"password1": password, "password2": password})
    assert response.status_code == 200
    body = response.content.decode()
    assert reason in body, body[body.find("errorlist") - 200 : body.find("errorlist") + 800]
    assert f'value="{password}"' not in body  # a password is never sent back


def test_password_mismatch(client, terms):
    register_until_review(client)
    response = post_step(client, "password", {"password1": PASSWORD, "password2": PASSWORD + "x"})
    assert response.status_code == 200
    assert "同じ" in response.content.decode()


def test_password_is_never_kept_in_the_session(client, terms):
    register_until_review(client)
    session = str(dict(client.session))
    assert PASSWORD not in session
    assert "argon2" in session  # only its hash


def test_password_can_be_kept_when_coming_back(client, terms):
    register_until_review(client)
    response = post_step(client, "password", {"password1": "", "password2": ""})
    assert response["Location"] == step_url("review")


# --- Review and consent -----------------------------------------------------------------------
def test_consent_is_required(client, terms):
    response = register(client, consent=False)
    assert response.status_code == 200
    assert "同意" in response.content.decode()
    assert not User.objects.exists()


def test_without_published_terms_nobody_can_register(client, municipality):
    response = register(client)
    assert response.status_code == 200
    assert not User.objects.exists()
    assert "利用規約" in response.content.decode()


def test_review_checks_everything_again(client, terms, municipality):
    register_until_review(client)
    # The municipality stops accepting this postal code's area in the meantime.
    municipality.code = "271004"
    municipality.save()
    cache.delete(MUNICIPALITY_CACHE_KEY)  # (not clear(): sessions may live in the cache)
    response = post_step(client, "review", {"consent": "on"})
    assert response["Location"] == step_url("address") + "?check=1"
    assert "こもれび市" in client.get(response["Location"]).content.decode()
    assert not User.objects.exists()


def test_identity_check_pending_when_the_municipality_requires_it(client, terms, municipality):
    municipality.require_counter_identity_check = True
    municipality.identity_check_instructions = "本人確認書類と印鑑をお持ちください。"
    municipality.save()
    response = register(client)
    assert User.objects.get().identity_status == User.IdentityStatus.PENDING
    body = client.get(response["Location"]).content.decode()
    assert "本人確認書類と印鑑" in body
    assert "こども家庭課" in body and "平日 8:30〜17:15" in body


def test_signed_in_people_do_not_register(client, terms, resident):
    from kosodate.accounts.services import terms_accept

    terms_accept(user=resident, terms=terms)
    client.force_login(resident)
    assert client.get(step_url("guardian"))["Location"] == reverse("mypage")


def test_maintenance_refuses_registration(client, terms):
    MaintenanceWindowFactory()
    assert client.get(reverse("register_start")).status_code == 503
    assert post_step(client, "guardian", GUARDIAN).status_code == 503


def test_done_page_needs_a_registration(client, terms):
    assert client.get(reverse("register_done"))["Location"] == reverse("register_start")


def test_adding_a_row_shows_no_errors_yet(client, terms):
    post_step(client, "guardian", GUARDIAN)
    post_step(client, "address", ADDRESS)
    client.post(reverse("register_child_add"), children_post([CHILD_1]))
    body = client.get(step_url("children")).content.decode()
    assert "error-summary" not in body
    assert 'aria-invalid="true"' not in body
