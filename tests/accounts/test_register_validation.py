"""Bad input and abuse at registration (issue 3 item 15): every refusal says why, in the user's
language; duplicates reveal nothing; the endpoints are rate-limited."""

from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from kosodate.accounts.models import Household, User
from tests.accounts.signin_support import page_text
from tests.factories import ChildFactory, HouseholdFactory, TermsVersionFactory, UserFactory

from .register_support import (
    ADDRESS,
    CHILD_1,
    CHILD_2,
    GUARDIAN,
    children_post,
    emails,
    post_step,
    register,
    step_url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def terms(municipality):
    return TermsVersionFactory()


def _years_ago(years: int, days: int = 0) -> str:
    today = timezone.localdate()
    return (today.replace(year=today.year - years) - timedelta(days=days)).isoformat()


def _error_text(response) -> str:
    assert response.status_code == 200, response.get("Location")
    return response.content.decode()


# --- Guardian ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("last_name", "山" * 51, "50 文字以下"),
        ("first_name", "花子2", "数字や記号"),
        ("last_name_kana", "yamada", "カタカナかひらがな"),
        ("first_name_kana", "花子", "カタカナかひらがな"),
        ("email", "hanako@", "有効なメールアドレス"),
        ("email", "a" * 250 + "@example.jp", "254 文字以下"),
        ("phone", "12345", "電話番号を入力"),
        ("birth_date", "2020-02-30", "年-月-日"),
        ("birth_date", "1990-05-10" + "x" * 5, "年-月-日"),
    ],
)
def test_guardian_field_refusals_in_japanese(client, terms, field, value, message):
    body = _error_text(post_step(client, "guardian", {**GUARDIAN, field: value}))
    assert message in body
    assert 'class="error-summary"' in body


def test_guardian_refusal_in_english(client, terms):
    response = post_step(
        client, "guardian", {**GUARDIAN, "last_name_kana": "yamada"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Enter the reading in katakana or hiragana" in _error_text(response)


def test_guardian_aged_three_is_refused(client, terms):
    body = _error_text(post_step(client, "guardian", {**GUARDIAN, "birth_date": _years_ago(3)}))
    assert "16歳以上" in body


def test_guardian_born_in_the_future_is_refused(client, terms):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    body = _error_text(post_step(client, "guardian", {**GUARDIAN, "birth_date": tomorrow}))
    assert "未来の日付" in body


def test_guardian_of_130_is_refused(client, terms):
    body = _error_text(post_step(client, "guardian", {**GUARDIAN, "birth_date": "1890-01-01"}))
    assert "生まれた年" in body


def test_guardian_turning_sixteen_today_is_accepted(client, terms):
    response = post_step(client, "guardian", {**GUARDIAN, "birth_date": _years_ago(16)})
    assert response.status_code == 302


# --- Address ----------------------------------------------------------------------------------
def _to_address(client):
    assert post_step(client, "guardian", GUARDIAN).status_code == 302


def test_postal_code_outside_the_municipality(client, terms):
    _to_address(client)
    body = _error_text(post_step(client, "address", {**ADDRESS, "postal_code": "060-0000"}))
    assert "こもれび市の外" in body


def test_postal_code_outside_allowed_when_the_municipality_accepts_outsiders(
    client, terms, municipality
):
    municipality.allow_outside_residents = True
    municipality.save()
    _to_address(client)
    response = post_step(client, "address", {**ADDRESS, "postal_code": "060-0000"})
    assert response.status_code == 302
    register(client, address={**ADDRESS, "postal_code": "060-0000"})
    assert Household.objects.get().municipality_code == "01101"


def test_postal_code_spanning_two_municipalities_counts_if_one_is_ours(client, terms, municipality):
    municipality.code = "042099"  # 多賀城市; 985-0000 also covers 塩竈市
    municipality.save()
    _to_address(client)
    response = post_step(client, "address", {**ADDRESS, "postal_code": "985-0000"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("postal_code", "message"),
    [("999-9999", "見つかりません"), ("100-00", "7桁"), ("", "このフィールドは必須です")],
)
def test_bad_postal_codes(client, terms, postal_code, message):
    _to_address(client)
    body = _error_text(post_step(client, "address", {**ADDRESS, "postal_code": postal_code}))
    assert message in body


def test_over_long_street(client, terms):
    _to_address(client)
    body = _error_text(post_step(client, "address", {**ADDRESS, "street": "あ" * 201}))
    assert "200 文字以下" in body


def test_residence_code_format(client, terms, municipality):
    municipality.ask_residence_code = True
    municipality.save()
    _to_address(client)
    body = _error_text(post_step(client, "address", {**ADDRESS, "residence_code": "12345"}))
    assert "11桁" in body


# --- Children ---------------------------------------------------------------------------------
def _to_children(client):
    _to_address(client)
    assert post_step(client, "address", ADDRESS).status_code == 302


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"birth_date": "future"}, "未来の日付"),
        ({"birth_date": "adult"}, "18歳になる前"),
        ({"first_name_kana": "Sakura"}, "カタカナかひらがな"),
        ({"sex": "unknown"}, "正しく選択"),
        ({"allergies": "卵" * 1001}, "1000 文字以下"),
        ({"first_name": ""}, "必須"),
    ],
)
def test_child_refusals(client, terms, change, message):
    _to_children(client)
    if change.get("birth_date") == "future":
        change = {"birth_date": (timezone.localdate() + timedelta(days=1)).isoformat()}
    elif change.get("birth_date") == "adult":
        change = {"birth_date": _years_ago(18)}
    response = post_step(client, "children", children_post([CHILD_1, {**CHILD_2, **change}]))
    body = _error_text(response)
    assert message in body
    assert "お子さん2" in body  # the summary says which child
    assert 'value="さくら"' in body  # the other row is kept


def test_child_born_before_the_guardian(client, terms):
    assert (
        post_step(client, "guardian", {**GUARDIAN, "birth_date": _years_ago(17)}).status_code == 302
    )
    assert post_step(client, "address", ADDRESS).status_code == 302
    child = {**CHILD_1, "birth_date": _years_ago(17, days=30)}
    body = _error_text(post_step(client, "children", children_post([child])))
    assert "保護者より前" in body


def test_child_born_today_is_accepted(client, terms):
    _to_children(client)
    today = timezone.localdate().isoformat()
    response = post_step(client, "children", children_post([{**CHILD_1, "birth_date": today}]))
    assert response.status_code == 302


def test_same_child_twice(client, terms):
    _to_children(client)
    body = _error_text(post_step(client, "children", children_post([CHILD_1, CHILD_1])))
    assert "2回入力" in body


def test_child_refusal_in_english(client, terms):
    _to_children(client)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = post_step(
        client,
        "children",
        children_post([{**CHILD_1, "birth_date": future}]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "A date of birth cannot be in the future." in _error_text(response)


def test_forged_formset_counts_are_capped(client, terms):
    _to_children(client)
    data = children_post([CHILD_1])
    data["children-TOTAL_FORMS"] = "100000"
    response = post_step(client, "children", data)
    assert response.status_code in (200, 302)


# --- Duplicate email: nothing is revealed -----------------------------------------------------
def test_duplicate_email_creates_nothing_and_tells_the_owner(client, terms):
    owner = UserFactory(email="hanako.yamada@example.jp", household=HouseholdFactory())
    response = register(client, guardian={**GUARDIAN, "email": "ＨＡＮＡＫＯ.yamada@example.jp"})
    assert response["Location"] == reverse("register_done")
    assert User.objects.count() == 1
    assert Household.objects.count() == 1  # the owner's only
    (message,) = emails(to="hanako.yamada@example.jp")
    assert message.kind == "account_already_exists"
    assert owner.username not in message.body


def test_duplicate_and_new_registrations_look_the_same(client, terms, django_user_model):
    UserFactory(email="taken@example.jp")
    new = register(client, guardian={**GUARDIAN, "email": "fresh@example.jp"})
    client.cookies.clear()
    taken = register(client, guardian={**GUARDIAN, "email": "taken@example.jp"})
    assert (new.status_code, new["Location"]) == (taken.status_code, taken["Location"])
    first = page_text(client.get(reverse("register_done"))).replace("taken@", "X@")
    client.cookies.clear()
    register(client, guardian={**GUARDIAN, "email": "other@example.jp"})
    second = page_text(client.get(reverse("register_done"))).replace("other@", "X@")
    assert first == second


def test_unconfirmed_registration_within_24h_blocks_the_address(client, terms):
    register(client)
    client.cookies.clear()
    # (Within allauth's 3-minute cooldown per address, a second email would not go out at all.)
    with time_machine.travel(timezone.now() + timedelta(minutes=4)):
        register(client, guardian={**GUARDIAN, "first_name": "別人"})
    assert User.objects.count() == 1
    assert [m.kind for m in emails(to="hanako.yamada@example.jp")] == [
        "email_confirmation_signup",
        "account_already_exists",
    ]


def test_unconfirmed_registration_expires_and_the_address_is_free_again(client, terms):
    squatter = UserFactory(
        email="hanako.yamada@example.jp", household=HouseholdFactory(), verified_email=False
    )
    EmailAddress.objects.create(user=squatter, email=squatter.email, primary=True)
    ChildFactory(household=squatter.household)
    User.objects.filter(pk=squatter.pk).update(date_joined=timezone.now() - timedelta(days=2))
    register(client)
    user = User.objects.get()
    assert user.pk != squatter.pk
    assert user.first_name == "花子"
    assert Household.objects.count() == 1


def test_confirmed_account_is_never_replaced(client, terms):
    owner = UserFactory(email="hanako.yamada@example.jp")
    User.objects.filter(pk=owner.pk).update(date_joined=timezone.now() - timedelta(days=400))
    register(client)
    assert list(User.objects.values_list("pk", flat=True)) == [owner.pk]


# --- Rate limits ------------------------------------------------------------------------------
def test_registration_is_rate_limited(client, terms):
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(20):
            client.cookies.clear()
            response = register(client, guardian={**GUARDIAN, "email": f"p{n}@example.jp"})
            assert response.status_code == 302
        client.cookies.clear()
        response = register(client, guardian={**GUARDIAN, "email": "p21@example.jp"})
    assert response.status_code == 429
    assert User.objects.count() == 20


def test_resend_is_rate_limited(client, terms):
    register(client)
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            assert client.post(reverse("register_resend")).status_code == 302
        assert client.post(reverse("register_resend")).status_code == 429


def test_resend_requires_post(client, terms):
    register(client)
    assert client.get(reverse("register_resend")).status_code == 405


def test_step_posts_keep_going_under_the_limit(client, terms):
    # Moving between steps is not throttled: only registering and resending are.
    for _ in range(30):
        assert post_step(client, "guardian", GUARDIAN).status_code == 302
    assert client.get(step_url("address")).status_code == 200
