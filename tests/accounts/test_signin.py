"""Sign-in (issue 3, item 3), sign-out (8), terms stage (4), help page and cookies (10)."""

from datetime import timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kosodate.accounts import services
from kosodate.accounts.middleware import TERMS_CURRENT_CACHE_KEY
from kosodate.accounts.models import AuthEvent, TermsAcceptance, User
from kosodate.core.models import Municipality
from tests.factories import TEST_PASSWORD, MaintenanceWindowFactory, UserFactory

from .signin_support import LOGIN_URL, page_text, sign_in, terms_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(resident):
    """The resident, with a real 利用者番号 as username."""
    resident.username = "123456782"
    resident.save(update_fields=["username"])
    return resident


def _signed_in_user(client):
    return client.get(reverse("mypage")).wsgi_request.user


# --- Signing in ---------------------------------------------------------------------------------
def test_sign_in_with_email(client, resident):
    response = sign_in(client, resident.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert _signed_in_user(client) == resident
    assert AuthEvent.objects.filter(user=resident, kind=AuthEvent.Kind.LOGIN_SUCCESS).count() == 1
    # allauth.usersessions records the session, for the sessions list and "sign out everywhere".
    assert UserSession.objects.filter(user=resident).count() == 1


def test_email_is_not_case_sensitive_and_full_width_is_normalised(client, resident):
    assert sign_in(client, "ＨＡＮＡＫＯ＠example.JP", TEST_PASSWORD).status_code == 302
    assert _signed_in_user(client) == resident


def test_sign_in_with_member_number(client, member):
    assert sign_in(client, member.member_number, TEST_PASSWORD).status_code == 302
    assert _signed_in_user(client) == member


def test_member_number_typed_full_width_with_hyphens(client, member):
    assert sign_in(client, " １２３４-５６７８-２ ", TEST_PASSWORD).status_code == 302
    assert _signed_in_user(client) == member


@pytest.mark.parametrize(
    "typed",
    [
        TEST_PASSWORD.upper(),  # case-sensitive
        TEST_PASSWORD.lower(),
        "Ｓａｋｕｒａ－２０２６－ｙｏｙａｋｕ",  # the same in full-width: never normalised
        TEST_PASSWORD + " ",  # never trimmed
    ],
)
def test_password_is_compared_exactly_as_typed(client, resident, typed):
    response = sign_in(client, resident.email, typed)
    assert response.status_code == 200
    assert not _signed_in_user(client).is_authenticated


def test_wrong_password_shows_the_generic_message_and_help_link(client, resident):
    response = sign_in(client, resident.email, "Wrong-password-1", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "is not correct" in html
    assert 'href="/signin-help/"' in html
    assert 'value="hanako@example.jp"' in html  # what was typed stays, except the password
    assert "Wrong-password-1" not in html


@pytest.mark.parametrize("language", ["ja", "en"])
def test_no_account_enumeration_on_sign_in(client, member, language):
    """A known address, an unknown one, a known member number, an unknown one and a locked
    account all get the same page and status."""
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    locked = UserFactory(email="locked@example.jp")
    for _attempt in range(5):
        services.login_failure_register(user=locked)
    cases = [
        (member.email, "Wrong-password-1"),
        ("nobody@example.jp", "Wrong-password-1"),
        (member.member_number, "Wrong-password-1"),
        ("987654324", "Wrong-password-1"),
        (locked.email, TEST_PASSWORD),  # locked: even the right password fails the same way
    ]
    pages = set()
    for login, password in cases:
        response = sign_in(Client(), login, password, **headers)
        assert response.status_code == 200
        pages.add(page_text(response).replace(f'value="{login}"', 'value=""'))
    assert len(pages) == 1


def test_a_locked_account_and_an_unknown_identifier_answer_the_same(resident):
    """After 5 failures the account is locked (issue 10 item 7: no separate per-identifier
    throttle saying "wait a few minutes"); the sixth attempt's page is the same whether or not
    the identifier belongs to an account, and names the lock for both."""
    pages = set()
    for n, login in enumerate((resident.email, "nobody@example.jp")):
        address = {"REMOTE_ADDR": f"198.51.100.{n + 1}"}  # under the per-IP limit (10 a minute)
        for _attempt in range(5):
            sign_in(Client(**address), login, "Wrong-password-1")
        response = sign_in(Client(**address), login, "Wrong-password-1")
        assert response.status_code == 200
        assert "最大30分" in response.content.decode()
        pages.add(page_text(response).replace(f'value="{login}"', 'value=""'))
    assert len(pages) == 1


def test_sign_in_page_has_the_helpers_for_typing(client, municipality):
    html = client.get(LOGIN_URL).content.decode()
    # static/js/kosodate.js shows these while Caps Lock is on / full-width text is typed, and adds
    # the show-password toggle to every password field.
    assert 'data-capslock-warning="id_password"' in html
    assert 'data-fullwidth-warning="id_login id_password"' in html
    assert 'type="password"' in html
    assert 'autocomplete="current-password"' in html
    # Pasting and password managers are welcome (ASVS 6.2.7), and nothing is cut short.
    assert "onpaste" not in html
    assert 'autocomplete="off"' not in html
    assert "maxlength" not in html.split('id="id_password"')[0].rsplit("<input", 1)[-1]
    assert 'href="/accounts/password/reset/"' in html
    assert 'href="/signin-help/"' in html
    # "remember me" is offered and off by default.
    assert 'name="remember"' in html
    assert 'name="remember" checked' not in html


def test_without_remember_me_the_session_ends_with_the_browser(client, resident):
    sign_in(client, resident.email, TEST_PASSWORD)
    assert client.session.get_expire_at_browser_close()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"]
    # On the server it lasts SESSION_COOKIE_AGE (12 h) at most.
    assert client.session.get_expiry_age() == 12 * 60 * 60


def test_remember_me_keeps_the_session_for_14_days(client, resident):
    sign_in(client, resident.email, TEST_PASSWORD, remember=True)
    assert not client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == 14 * 24 * 60 * 60
    assert int(client.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == 14 * 24 * 60 * 60


def test_over_long_password_is_refused_without_counting(client, resident):
    response = sign_in(client, resident.email, "a1" * 65)
    assert response.status_code == 200
    assert "128" in response.content.decode()
    assert not AuthEvent.objects.filter(kind=AuthEvent.Kind.LOGIN_FAILURE).exists()


def test_sign_in_without_cookies_gets_the_cookie_page(resident):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN_URL, {"login": resident.email, "password": TEST_PASSWORD})
    assert response.status_code == 403
    html = response.content.decode()
    assert "cookie" in html.lower() or "Cookie" in html
    assert not _signed_in_user(client).is_authenticated


# --- Signing out --------------------------------------------------------------------------------
def test_sign_out_is_a_post(client, resident):
    sign_in(client, resident.email, TEST_PASSWORD)
    page = client.get(reverse("account_logout"))
    assert page.status_code == 200  # GET only asks
    assert _signed_in_user(client).is_authenticated
    html = page.content.decode()
    assert 'action="/accounts/logout/"' in html
    assert f'action="{reverse("signin_logout_everywhere")}"' in html
    assert client.post(reverse("account_logout")).status_code == 302
    assert not _signed_in_user(client).is_authenticated
    assert AuthEvent.objects.filter(user=resident, kind=AuthEvent.Kind.LOGOUT).count() == 1


def test_every_page_has_a_sign_out_button(client, resident):
    sign_in(client, resident.email, TEST_PASSWORD)
    for url in ("/", reverse("mypage"), reverse("signin_help")):
        html = client.get(url).content.decode()
        assert '<form method="post" action="/accounts/logout/"' in html, url


def test_sign_out_on_all_devices(resident):
    phone, laptop, other_person = Client(), Client(), Client()
    sign_in(phone, resident.email, TEST_PASSWORD)
    sign_in(laptop, resident.email, TEST_PASSWORD, remember=True)
    other = UserFactory()
    sign_in(other_person, other.email, TEST_PASSWORD)
    assert UserSession.objects.filter(user=resident).count() == 2

    response = phone.post(reverse("signin_logout_everywhere"))

    assert response.status_code == 302
    assert not _signed_in_user(phone).is_authenticated
    assert not _signed_in_user(laptop).is_authenticated
    assert _signed_in_user(other_person) == other
    assert not UserSession.objects.filter(user=resident).exists()
    event = AuthEvent.objects.get(user=resident, kind=AuthEvent.Kind.LOGOUT)
    assert event.detail["everywhere"] is True


def test_sign_out_everywhere_needs_post_and_a_signed_in_person(client, resident):
    assert client.post(reverse("signin_logout_everywhere")).status_code == 302  # to sign-in
    sign_in(client, resident.email, TEST_PASSWORD)
    assert client.get(reverse("signin_logout_everywhere")).status_code == 405


# --- Terms stage --------------------------------------------------------------------------------
def test_first_sign_in_asks_for_the_current_terms_before_anything_else(client, resident):
    terms = terms_create()
    response = sign_in(client, resident.email, TEST_PASSWORD)
    assert response["Location"] == reverse("signin_terms")
    # Not signed in yet: My Page and everything else still send to the sign-in page.
    assert not _signed_in_user(client).is_authenticated
    page = client.get(reverse("signin_terms"))
    assert terms.title in page.content.decode()

    # Without the tick: an error, nothing recorded.
    refused = client.post(reverse("signin_terms"), {"terms-terms_version": terms.pk})
    assert refused.status_code == 200
    assert not TermsAcceptance.objects.exists()

    before = timezone.now()
    accepted = client.post(
        reverse("signin_terms"), {"terms-terms_version": terms.pk, "terms-accept": "on"}
    )
    assert accepted.status_code == 302
    assert accepted["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert _signed_in_user(client) == resident
    acceptance = TermsAcceptance.objects.get(user=resident, terms=terms)
    assert acceptance.accepted_at >= before
    assert acceptance.ip_address == "127.0.0.1"


def test_a_new_terms_version_asks_again(client, resident):
    old = terms_create("2025.1", days_ago=300)
    TermsAcceptance.objects.create(user=resident, terms=old)
    assert sign_in(client, resident.email, TEST_PASSWORD)["Location"] != reverse("signin_terms")
    client.post(reverse("account_logout"))

    new = terms_create("2026.1", days_ago=0)
    assert sign_in(client, resident.email, TEST_PASSWORD)["Location"] == reverse("signin_terms")
    client.post(reverse("signin_terms"), {"terms-terms_version": new.pk, "terms-accept": "on"})
    assert list(
        TermsAcceptance.objects.filter(user=resident).values_list("terms__version", flat=True)
    ) == ["2025.1", "2026.1"]


def test_terms_not_yet_in_effect_are_not_asked(client, resident):
    terms_create("2027.1", days_ago=-30)
    assert sign_in(client, resident.email, TEST_PASSWORD)["Location"] != reverse("signin_terms")


def test_staff_are_not_asked_for_the_residents_terms(client, municipal_staff):
    # Without the second step here (issue 4 tests it), to reach the terms stage directly.
    municipal_staff.authenticator_set.all().delete()
    terms_create()
    response = sign_in(client, municipal_staff.email, TEST_PASSWORD)
    assert response["Location"] != reverse("signin_terms")
    assert _signed_in_user(client) == municipal_staff


def test_declining_the_terms_ends_the_sign_in(client, resident):
    terms_create()
    sign_in(client, resident.email, TEST_PASSWORD)
    client.post(reverse("account_logout"))
    assert client.get(reverse("signin_terms"))["Location"] == reverse("account_login")
    assert not _signed_in_user(client).is_authenticated


def test_someone_signed_in_when_new_terms_start_is_asked_before_anything_else(client, resident):
    sign_in(client, resident.email, TEST_PASSWORD, remember=True)
    assert client.get(reverse("mypage")).status_code == 200
    terms = terms_create(days_ago=0)
    cache.delete(TERMS_CURRENT_CACHE_KEY)  # else noticed within TERMS_CURRENT_CACHE_SECONDS

    response = client.get(reverse("mypage"))
    assert response.status_code == 302
    assert response["Location"] == reverse("signin_terms") + "?next=%2Fmypage%2F"
    assert client.get("/signin-help/").status_code == 200  # help stays open
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "改定されました" in page.content.decode()
    response = client.post(
        reverse("signin_terms"),
        {"terms-terms_version": terms.pk, "terms-accept": "on", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)  # not elsewhere
    assert TermsAcceptance.objects.filter(user=resident, terms=terms).exists()
    assert client.get(reverse("mypage")).status_code == 200


def test_terms_page_without_a_sign_in_goes_to_sign_in(client, municipality):
    assert client.get(reverse("signin_terms"))["Location"] == reverse("account_login")


# --- Help page ----------------------------------------------------------------------------------
def test_help_page_in_japanese(client, municipality):
    Municipality.objects.filter(pk=municipality.pk).update(lockout_minutes=45)
    now = timezone.now()
    MaintenanceWindowFactory(
        starts_at=now + timedelta(days=2), announce_from=now - timedelta(hours=1)
    )
    response = client.get(reverse("signin_help"), HTTP_ACCEPT_LANGUAGE="ja")
    html = response.content.decode()
    assert response.status_code == 200
    assert "ログインできない場合" in html
    assert "45" in html  # the municipality's lock length
    assert "全角" in html and "Caps Lock" in html
    assert municipality.counter_phone in html and municipality.counter_hours in html
    assert "Safari" in html and "Chrome" in html
    assert "Cookie" in html
    assert 'href="/accounts/password/reset/"' in html
    # The upcoming maintenance window is listed.
    assert timezone.localtime(now + timedelta(days=2)).strftime("%Y-%m-%d") in html


def test_help_page_in_english_shows_maintenance_under_way(client, municipality):
    MaintenanceWindowFactory()  # started five minutes ago
    # During maintenance every page but the top page and the help page may be refused; the help
    # page itself must stay readable.
    response = client.get(reverse("signin_help"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Trouble signing in?" in html
    assert "Maintenance is under way" in html
    assert municipality.counter_hours_en in html


def test_sign_in_page_and_errors_link_to_help(client, resident):
    assert 'href="/signin-help/"' in client.get(LOGIN_URL).content.decode()
    assert 'href="/signin-help/"' in client.get("/accounts/password/reset/").content.decode()


def test_unverified_email_cannot_sign_in(client, municipality):
    user = UserFactory(email="new@example.jp", verified_email=False)
    response = sign_in(client, user.email, TEST_PASSWORD)
    assert response["Location"] == reverse("account_email_verification_sent")
    assert not _signed_in_user(client).is_authenticated
    assert User.objects.get(pk=user.pk).last_login is None
