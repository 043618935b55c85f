"""Email verification after registration (issue 3 item 2): a 24-hour, single-use link, resend,
and what an unconfirmed or identity-pending account is told when it tries to use services."""

from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from kosodate.accounts.models import User
from tests.factories import TermsVersionFactory, UserFactory

from .register_support import PASSWORD, confirmation_path, emails, register

pytestmark = pytest.mark.django_db

EMAIL = "hanako.yamada@example.jp"


@pytest.fixture
def terms(municipality):
    return TermsVersionFactory()


@pytest.fixture
def registered(client, terms):
    register(client)
    return User.objects.get()


def _link(kind="email_confirmation_signup") -> str:
    return confirmation_path(emails(to=EMAIL, kind=kind)[-1])


def test_link_confirms_the_address_once(client, registered):
    link = _link()
    page = client.get(link)
    assert page.status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert EmailAddress.objects.get(user=registered).verified

    # Single use: the same link no longer confirms anything.
    again = client.get(link)
    assert again.status_code == 200
    assert again.context["confirmation"] is None
    assert client.post(link).status_code == 404


def test_link_expires_after_24_hours(client, registered):
    link = _link()
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        assert client.get(link).context["confirmation"] is None
        assert client.post(link).status_code == 404
    assert not EmailAddress.objects.get(user=registered).verified


def test_link_still_works_just_before_24_hours(client, registered):
    link = _link()
    with time_machine.travel(timezone.now() + timedelta(hours=23, minutes=50)):
        assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(user=registered).verified


def test_a_tampered_link_does_nothing(client, registered):
    link = _link()
    assert client.post(link[:-3] + "xyz/").status_code == 404


def test_after_confirming_the_resident_can_sign_in_with_either_identifier(client, registered):
    client.post(_link())
    response = client.post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": registered.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == registered.pk


def test_unconfirmed_account_cannot_sign_in(client, registered):
    response = client.post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302


def test_resend_sends_a_new_link_after_the_cooldown(client, registered):
    assert len(emails(to=EMAIL)) == 1
    # Within allauth's per-address cooldown the earlier link is enough: nothing new is sent.
    response = client.post(reverse("register_resend"))
    assert response["Location"] == reverse("register_done")
    assert len(emails(to=EMAIL)) == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=4)):
        client.post(reverse("register_resend"))
    assert len(emails(to=EMAIL)) == 2
    assert client.post(_link()).status_code == 302


def test_resend_without_a_registration_goes_to_the_start(client, terms):
    response = client.post(reverse("register_resend"))
    assert response["Location"] == reverse("register_start")


def test_verification_email_content(registered):
    (message,) = emails(to=EMAIL)
    assert registered.username in message.body
    assert "24" in message.body
    assert "パスワード" in message.body  # the phishing footer
    assert "Official site" in message.body  # English below the Japanese


# --- Access to services -----------------------------------------------------------------------
pytestmark_urls = pytest.mark.urls("tests.accounts.register_support")


@pytestmark_urls
def test_service_requires_sign_in(client, municipality):
    response = client.get("/test-service/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytestmark_urls
def test_unconfirmed_account_is_told_why(client, municipality):
    user = UserFactory(email="new@example.jp", verified_email=False)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    client.force_login(user)
    response = client.get("/test-service/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "メールアドレスの確認" in body
    assert "new@example.jp" in body
    assert reverse("register_resend") in body


@pytestmark_urls
def test_unconfirmed_account_can_ask_for_the_link_again(client, municipality):
    user = UserFactory(email="new@example.jp", verified_email=False)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    client.force_login(user)
    response = client.post(reverse("register_resend"), {"next": "/test-service/"})
    assert response["Location"] == "/test-service/"
    assert [m.kind for m in emails(to="new@example.jp")] == ["email_confirmation_signup"]
    # An outside address in `next` is ignored.
    with time_machine.travel(timezone.now() + timedelta(minutes=4)):
        response = client.post(reverse("register_resend"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


@pytestmark_urls
def test_identity_pending_is_refused_with_instructions(client, municipality):
    municipality.identity_check_instructions = "本人確認書類をお持ちください。"
    municipality.identity_check_instructions_en = "Please bring an identity document."
    municipality.save()
    user = UserFactory(identity_status=User.IdentityStatus.PENDING)
    client.force_login(user)
    response = client.get("/test-service/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "本人確認書類をお持ちください。" in body
    assert "こもれび市役所 2階 5番窓口" in body
    assert "平日 8:30〜17:15" in body
    response = client.get("/test-service/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert "Please bring an identity document." in body
    assert "Weekdays 8:30–17:15" in body


@pytestmark_urls
def test_verified_account_uses_services(client, municipality):
    client.force_login(UserFactory())
    assert client.get("/test-service/").content == b"service open"
    client.force_login(UserFactory(identity_status=User.IdentityStatus.VERIFIED))
    assert client.get("/test-service/").content == b"service open"


def test_identity_check_status_page(client, municipality):
    user = UserFactory(identity_status=User.IdentityStatus.PENDING)
    client.force_login(user)
    body = client.get(reverse("register_identity_check")).content.decode()
    assert "本人確認を待っています" in body
    User.objects.filter(pk=user.pk).update(identity_status=User.IdentityStatus.VERIFIED)
    body = client.get(reverse("register_identity_check")).content.decode()
    assert "本人確認は済んでいます" in body


def test_registration_with_identity_check_starts_pending(client, terms, municipality):
    municipality.require_counter_identity_check = True
    municipality.save()
    register(client)
    user = User.objects.get()
    assert user.identity_status == User.IdentityStatus.PENDING
    client.post(_link())
    client.post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD})
    assert client.get(reverse("register_identity_check")).status_code == 200
