"""Password reset, パスワードを忘れた方 (issue 3, item 5; SECURITY.md email-link table)."""

from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse

from kosodate.accounts.models import AuthEvent, User

from .signin_support import RESET_URL, emails, page_text, reset_link_request, sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Hinata-2026-kaede"


def _open_link(client, link):
    """Follow the emailed link: allauth moves the key into the session and redirects to a URL
    without it (so it cannot leak in a Referer header). Returns that page."""
    response = client.get(link, follow=True)
    return response, response.redirect_chain[-1][0] if response.redirect_chain else link


def _set_password(client, link, password=NEW_PASSWORD, again=None):
    _page, form_url = _open_link(client, link)
    return client.post(form_url, {"password1": password, "password2": again or password})


def _signed_in(client) -> bool:
    return client.get(reverse("mypage")).wsgi_request.user.is_authenticated


# --- Asking for a link --------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["ja", "en"])
def test_same_response_for_known_and_unknown_addresses(resident, language):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    known = Client().post(RESET_URL, {"email": resident.email}, **headers)
    unknown = Client().post(RESET_URL, {"email": "nobody@example.jp"}, **headers)
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("account_reset_password_done")
    done_known = Client().get(known["Location"], **headers)
    done_unknown = Client().get(unknown["Location"], **headers)
    assert page_text(done_known) == page_text(done_unknown)
    # The owner gets the link; the unknown address is told no account uses it (no link).
    [link_mail] = emails(to=resident.email, kind="password_reset_key")
    assert "/accounts/password/reset/key/" in link_mail.deliverable_body
    [unknown_mail] = emails(to="nobody@example.jp")
    assert unknown_mail.kind == "unknown_account"
    assert "/accounts/password/reset/key/" not in unknown_mail.deliverable_body


def test_the_reset_form_accepts_a_full_width_address(client, resident):
    client.post(RESET_URL, {"email": "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ"})
    assert emails(to=resident.email, kind="password_reset_key")


def test_the_reset_email_names_the_member_number(client, resident):
    resident.username = "123456782"
    resident.save(update_fields=["username"])
    client.post(RESET_URL, {"email": resident.email})
    [mail] = emails(kind="password_reset_key")
    assert "123456782" in mail.body


# --- The link -----------------------------------------------------------------------------------
def test_the_link_works_for_60_minutes(resident):
    link = reset_link_request(Client(), resident.email)
    with time_machine.travel(timedelta(minutes=59)):
        assert _set_password(Client(), link).status_code == 302
    assert User.objects.get(pk=resident.pk).check_password(NEW_PASSWORD)


def test_the_link_expires_after_60_minutes(resident):
    link = reset_link_request(Client(), resident.email)
    with time_machine.travel(timedelta(minutes=61)):
        response, _url = _open_link(Client(), link)
        assert response.status_code == 200
        assert response.context["token_fail"]
        assert reverse("account_reset_password") in response.content.decode()
    assert not User.objects.get(pk=resident.pk).check_password(NEW_PASSWORD)


def test_the_link_works_once(resident):
    link = reset_link_request(Client(), resident.email)
    assert _set_password(Client(), link).status_code == 302
    response, _url = _open_link(Client(), link)
    assert response.context["token_fail"]
    assert User.objects.get(pk=resident.pk).check_password(NEW_PASSWORD)


def test_the_link_is_void_once_the_password_changes(resident):
    link = reset_link_request(Client(), resident.email)
    resident.set_password("Another-2026-pass")
    resident.save()
    response, _url = _open_link(Client(), link)
    assert response.context["token_fail"]


# --- The new password ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "again", "reason"),
    [
        (NEW_PASSWORD, "Hinata-2026-kaedE", "same password"),  # must be typed twice alike
        ("Short1", None, "8"),  # at least 8 characters
        ("a1" * 65, None, "128"),  # at most 128
        ("password123", None, "common"),  # Django's list of common passwords
    ],
)
def test_the_new_password_follows_the_same_rules(resident, password, again, reason):
    link = reset_link_request(Client(), resident.email)
    client = Client()
    response = _set_password(client, link, password, again)
    assert response.status_code == 200
    html = response.content.decode()
    assert reason in html or "error" in html
    assert 'value="' + password + '"' not in html  # the password is not sent back
    assert not User.objects.get(pk=resident.pk).check_password(password)


def test_a_reset_ends_every_session_notifies_and_does_not_sign_in(resident):
    phone = Client()
    sign_in(phone, resident.email, "Sakura-2026-yoyaku")
    assert _signed_in(phone)
    laptop = Client()
    link = reset_link_request(laptop, resident.email)

    response = _set_password(laptop, link)

    assert response["Location"] == reverse("account_reset_password_from_key_done")
    assert not _signed_in(phone)
    assert not _signed_in(laptop)  # a reset never signs in
    assert not UserSession.objects.filter(user=resident).exists()
    [notice] = emails(to=resident.email, kind="password_reset")
    assert notice.user == resident
    assert AuthEvent.objects.filter(user=resident, kind=AuthEvent.Kind.PASSWORD_RESET).exists()
    user = User.objects.get(pk=resident.pk)
    assert user.password_changed_at is not None
    # Sign in with the new password works; the old one does not.
    assert sign_in(Client(), resident.email, NEW_PASSWORD).status_code == 302
    assert sign_in(Client(), resident.email, "Sakura-2026-yoyaku").status_code == 200


def test_a_reset_never_skips_the_second_step(resident):
    TOTP.activate(resident, generate_totp_secret())
    link = reset_link_request(Client(), resident.email)
    assert _set_password(Client(), link).status_code == 302
    client = Client()
    response = sign_in(client, resident.email, NEW_PASSWORD)
    assert response["Location"] == reverse("mfa_authenticate")
    assert not _signed_in(client)
    assert Authenticator.objects.filter(user=resident).exists()


def test_changing_the_password_ends_the_other_sessions_only(resident):
    phone, laptop = Client(), Client()
    sign_in(phone, resident.email, "Sakura-2026-yoyaku")
    sign_in(laptop, resident.email, "Sakura-2026-yoyaku")
    response = laptop.post(
        reverse("account_change_password"),
        {"oldpassword": "Sakura-2026-yoyaku", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert _signed_in(laptop)
    assert not _signed_in(phone)
    # The session that made the change lives on under a new key (Django rotates it).
    assert len(UserSession.objects.purge_and_list(resident)) == 1
    assert emails(to=resident.email, kind="password_changed")
    assert AuthEvent.objects.filter(user=resident, kind=AuthEvent.Kind.PASSWORD_CHANGED).exists()


def test_the_new_password_is_stored_with_argon2id(resident):
    link = reset_link_request(Client(), resident.email)
    _set_password(Client(), link)
    assert User.objects.get(pk=resident.pk).password.startswith("argon2$argon2id$")
