"""Second step at sign-in (issue 4): app, SMS and email codes, recovery codes, trust, reset."""

from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client
from django.urls import reverse

from kosodate.accounts.models import AuthEvent, SecondStepCode
from kosodate.core.models import OutboundMessage
from kosodate.core.selectors import municipality_get

from ..factories import TEST_PASSWORD
from .mfa_support import (
    codes_sent,
    email_method_add,
    finish_trust,
    last_code,
    password_step,
    signed_in_user,
    sms_method_add,
    totp_activate,
)
from .signin_support import emails, reset_link_request

pytestmark = pytest.mark.django_db

SMS = OutboundMessage.Channel.SMS
EMAIL = OutboundMessage.Channel.EMAIL
SMS_URL = reverse("signin_second_step_code", args=["sms"])
EMAIL_URL = reverse("signin_second_step_code", args=["email"])


# --- Authenticator app ----------------------------------------------------------------------------
def test_password_then_app_code_signs_in(client, resident):
    otp = totp_activate(resident)
    response = password_step(client, resident)
    assert response["Location"] == reverse("mfa_authenticate")
    assert not signed_in_user(client).is_authenticated
    response = finish_trust(client, client.post(reverse("mfa_authenticate"), {"code": otp.now()}))
    assert signed_in_user(client) == resident


def test_wrong_app_code_is_refused(client, resident):
    otp = totp_activate(resident)
    password_step(client, resident)
    wrong = f"{(int(otp.now()) + 1) % 1_000_000:06d}"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200
    assert not signed_in_user(client).is_authenticated


def test_app_code_accepted_once(resident):
    otp = totp_activate(resident)
    code = otp.now()
    first, second = Client(), Client()
    password_step(first, resident)
    finish_trust(first, first.post(reverse("mfa_authenticate"), {"code": code}))
    assert signed_in_user(first) == resident
    password_step(second, resident)
    second.post(reverse("mfa_authenticate"), {"code": code})
    assert not signed_in_user(second).is_authenticated


def test_totp_secret_is_encrypted_at_rest(resident):
    otp = totp_activate(resident)
    stored = Authenticator.objects.get(user=resident, type="totp").data["secret"]
    assert stored.startswith("enc:")
    assert otp.secret not in stored


# --- SMS and email codes --------------------------------------------------------------------------
def test_password_then_sms_code_signs_in(client, resident):
    sms_method_add(resident)
    response = password_step(client, resident)
    assert response["Location"] == SMS_URL
    page = client.get(SMS_URL)
    assert page.status_code == 200
    code = last_code(channel=SMS, to="+819012345678")
    response = finish_trust(client, client.post(SMS_URL, {"code": code}))
    assert signed_in_user(client) == resident
    stored = SecondStepCode.objects.get(user=resident)
    assert code not in stored.code_hash and stored.used_at is not None


def test_password_then_email_code_signs_in(client, resident):
    email_method_add(resident)
    response = password_step(client, resident)
    assert response["Location"] == EMAIL_URL
    client.get(EMAIL_URL)
    code = last_code(channel=EMAIL, to=resident.email)
    finish_trust(client, client.post(EMAIL_URL, {"code": f"{code[:3]}-{code[3:]}"}))
    assert signed_in_user(client) == resident


def test_expired_code_is_refused(client, resident):
    sms_method_add(resident)
    password_step(client, resident)
    client.get(SMS_URL)
    code = last_code(channel=SMS, to="+819012345678")
    with time_machine.travel(timedelta(minutes=5, seconds=5)):
        client.post(SMS_URL, {"code": code})
        assert not signed_in_user(client).is_authenticated


def test_code_is_accepted_once(resident):
    sms_method_add(resident)
    first, second = Client(), Client()
    password_step(first, resident)
    first.get(SMS_URL)
    code = last_code(channel=SMS, to="+819012345678")
    finish_trust(first, first.post(SMS_URL, {"code": code}))
    assert signed_in_user(first) == resident
    # The same code again, in a new sign-in attempt: refused.
    password_step(second, resident)
    second.post(SMS_URL, {"code": code})
    assert not signed_in_user(second).is_authenticated


def test_five_wrong_tries_end_the_code(client, resident):
    sms_method_add(resident)
    password_step(client, resident)
    client.get(SMS_URL)
    code = last_code(channel=SMS, to="+819012345678")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        client.post(SMS_URL, {"code": wrong})
    client.post(SMS_URL, {"code": code})
    assert not signed_in_user(client).is_authenticated
    assert AuthEvent.objects.filter(user=resident, kind=AuthEvent.Kind.MFA_FAILURE).count() >= 5


def test_code_of_another_sign_in_attempt_is_refused(resident):
    sms_method_add(resident)
    attacker, owner = Client(), Client()
    password_step(owner, resident)
    owner.get(SMS_URL)
    owners_code = last_code(channel=SMS, to="+819012345678")
    password_step(attacker, resident)
    with time_machine.travel(timedelta(seconds=61)):
        attacker.get(SMS_URL)
        attacker.post(SMS_URL, {"code": owners_code})
        assert not signed_in_user(attacker).is_authenticated


def test_resend_at_most_once_a_minute(client, resident):
    sms_method_add(resident)
    password_step(client, resident)
    client.get(SMS_URL)
    client.post(SMS_URL, {"resend": "1"})
    assert codes_sent(channel=SMS, to="+819012345678") == 1
    with time_machine.travel(timedelta(seconds=61)):
        client.post(SMS_URL, {"resend": "1"})
        assert codes_sent(channel=SMS, to="+819012345678") == 2
        # Only the newest code is valid.
        code = last_code(channel=SMS, to="+819012345678")
        finish_trust(client, client.post(SMS_URL, {"code": code}))
        assert signed_in_user(client) == resident


def test_email_codes_switched_off_by_the_municipality(client, resident):
    email_method_add(resident)
    rules = municipality_get()
    rules.email_second_step_enabled = False
    rules.save()
    from django.core.cache import cache

    cache.clear()
    response = password_step(client, resident)
    # No usable second step: the password alone signs in (the person is told on the page).
    assert response["Location"] != EMAIL_URL
    assert client.get(EMAIL_URL).status_code in (302, 404)


def test_default_method_comes_first_with_links_to_the_others(client, resident):
    totp_activate(resident)
    sms_method_add(resident)
    assert password_step(client, resident)["Location"] == reverse("mfa_authenticate")
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert SMS_URL in page

    other = Client()
    other.force_login(resident)
    other.post(reverse("mypage_security_default"), {"method": "sms"})
    other.post(reverse("account_logout"))
    fresh = Client()
    assert password_step(fresh, resident)["Location"] == SMS_URL


# --- Recovery codes -------------------------------------------------------------------------------
def test_recovery_code_works_once_and_is_notified(resident):
    totp_activate(resident)
    codes = RecoveryCodes.activate(resident).get_unused_codes()
    assert len(codes) == 10
    first, second = Client(), Client()
    password_step(first, resident)
    finish_trust(first, first.post(reverse("mfa_authenticate"), {"code": codes[0]}))
    assert signed_in_user(first) == resident
    assert emails(to=resident.email, kind="recovery_code_used")
    password_step(second, resident)
    second.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert not signed_in_user(second).is_authenticated


# --- Trust this browser ---------------------------------------------------------------------------
def test_trusted_browser_skips_the_second_step(client, resident):
    otp = totp_activate(resident)
    password_step(client, resident)
    finish_trust(client, client.post(reverse("mfa_authenticate"), {"code": otp.now()}), trust=True)
    client.post(reverse("account_logout"))
    response = password_step(client, resident)
    assert response["Location"] != reverse("mfa_authenticate")
    assert signed_in_user(client) == resident


# --- Password reset -------------------------------------------------------------------------------
def test_password_reset_still_asks_for_the_sms_code(client, resident):
    sms_method_add(resident)
    link = reset_link_request(client, resident.email)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    client.post(form_url, {"password1": "Hinata-2026-kaede", "password2": "Hinata-2026-kaede"})
    assert not signed_in_user(client).is_authenticated
    response = client.post(
        reverse("account_login"), {"login": resident.email, "password": "Hinata-2026-kaede"}
    )
    assert response["Location"] == SMS_URL
    assert not signed_in_user(client).is_authenticated


# --- Passkey sign-in skips the second step only when it was the sign-in ------------------------
def test_wrong_password_never_reaches_the_second_step(client, resident):
    sms_method_add(resident)
    response = client.post(
        reverse("account_login"), {"login": resident.email, "password": TEST_PASSWORD + "x"}
    )
    assert response.status_code == 200
    assert client.get(SMS_URL)["Location"] == reverse("account_login")


# --- The code rules at the service level (SECURITY.md "SMS / email codes") ---------------------
def _send(user, attempt: str) -> str:
    from kosodate.accounts import services

    services.second_step_code_send(
        user=user, kind="sms", purpose=SecondStepCode.Purpose.SIGNIN, attempt=attempt
    )
    return last_code(channel=SMS, to="+819012345678")


def _verify(user, attempt: str, code: str) -> bool:
    from kosodate.accounts import services

    return services.second_step_code_verify(
        user=user, purpose=SecondStepCode.Purpose.SIGNIN, attempt=attempt, code=code
    )


def test_a_code_is_used_up_by_its_first_success(resident):
    sms_method_add(resident)
    code = _send(resident, "attempt-a")
    assert _verify(resident, "attempt-a", code)
    assert not _verify(resident, "attempt-a", code)


def test_a_code_answers_only_its_own_sign_in_attempt(resident):
    sms_method_add(resident)
    code = _send(resident, "attempt-a")
    assert not _verify(resident, "attempt-b", code)
    assert _verify(resident, "attempt-a", code)


def test_a_code_is_valid_for_5_minutes(resident):
    sms_method_add(resident)
    code = _send(resident, "attempt-a")
    with time_machine.travel(timedelta(minutes=5, seconds=1)):
        assert not _verify(resident, "attempt-a", code)
    code = _send(resident, "attempt-b")
    with time_machine.travel(timedelta(minutes=4, seconds=50)):
        assert _verify(resident, "attempt-b", code)


def test_the_fifth_wrong_try_ends_the_code_not_the_fourth(resident):
    sms_method_add(resident)
    code = _send(resident, "attempt-a")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert not _verify(resident, "attempt-a", wrong)
    assert _verify(resident, "attempt-a", code)

    code = _send(resident, "attempt-b")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert not _verify(resident, "attempt-b", wrong)
    assert not _verify(resident, "attempt-b", code)


def test_the_code_is_stored_only_as_a_keyed_hash(resident, settings):
    """Keyed: with another SECRET_KEY the same code and attempt no longer match the stored hash,
    so a leaked table cannot be checked offline over the 10^6 codes; and it is not a plain
    SHA-256 of the code."""
    import hashlib

    sms_method_add(resident)
    code = _send(resident, "attempt-a")
    stored = SecondStepCode.objects.get(user=resident).code_hash
    assert code not in stored
    unkeyed = {hashlib.sha256(t.encode()).hexdigest() for t in (code, f"attempt-a:{code}")}
    assert stored not in unkeyed
    key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-" + key
    assert not _verify(resident, "attempt-a", code)
    settings.SECRET_KEY = key
    assert _verify(resident, "attempt-a", code)  # the key, not the failed try, made the difference


def test_password_reset_still_asks_for_the_app_code(client, resident):
    totp_activate(resident)
    link = reset_link_request(client, resident.email)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    client.post(form_url, {"password1": "Hinata-2026-kaede", "password2": "Hinata-2026-kaede"})
    response = client.post(
        reverse("account_login"), {"login": resident.email, "password": "Hinata-2026-kaede"}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert not signed_in_user(client).is_authenticated
