"""The second sign-in step through the real pages in Chromium: the authenticator app (code computed
from the key the page shows), SMS and email codes read from the outbox, a passkey on a virtual
authenticator (CDP WebAuthn), a recovery code used once, and staff sent to set up a second step."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from kosodate.accounts.models import AccountLock, SecondStepMethod, User
from kosodate.core.models import OutboundMessage
from tests.factories import TEST_PASSWORD, UserFactory
from tests.totp import Totp

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _path(page) -> str:
    return urlsplit(page.url).path


def _submit(page, selector: str = "main form .button--primary") -> None:
    page.locator(selector).first.click()
    page.wait_for_load_state()


def _password_step(page, user) -> None:
    page.goto(page.base_url + reverse("account_login"))
    page.fill("#id_login", user.email)
    page.fill("#id_password", TEST_PASSWORD)
    _submit(page)


def _skip_trust(page) -> None:
    """allauth asks "trust this browser?" after a second step: not this time."""
    if _path(page) == reverse("mfa_trust"):
        page.locator("button[name=action][value=skip]").click()
        page.wait_for_load_state()


def _sign_out(page) -> None:
    page.locator("header form[action$='/logout/'] button").first.click()
    page.wait_for_load_state()


def _outbox_code(*, channel: str, to: str) -> str:
    message = OutboundMessage.objects.filter(channel=channel, recipient=to).order_by("-pk").first()
    assert message is not None, f"no {channel} to {to}"
    return re.search(r"\b(\d{6})\b", message.deliverable_body).group(1)


def _fresh_totp_code(totp: Totp, used: set[str]) -> str:
    """A code for now that has not been used yet (each code is accepted once)."""
    import time

    for _ in range(40):
        code = totp.now()
        if code not in used:
            used.add(code)
            return code
        time.sleep(1)
    raise AssertionError("no new TOTP code within 40 s")


def test_set_up_the_app_then_sign_in_with_password_and_app_code(page_en, resident):
    page = page_en
    login(page, resident, reauthenticated=True)
    page.goto(page.base_url + reverse("mypage_security"))
    page.get_by_role("link", name="Set up the authenticator app").click()
    page.wait_for_load_state()
    assert _path(page) == reverse("mfa_activate_totp")
    expect(page.locator("main img[src^='data:image/svg+xml']")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip().replace(" ", "")
    totp, used = Totp(secret), set()
    page.fill("input[name=code]", _fresh_totp_code(totp, used))
    _submit(page)
    # Recovery codes are shown once, right after the set-up.
    assert _path(page) == reverse("mfa_view_recovery_codes")
    _sign_out(page)

    _password_step(page, resident)
    assert _path(page) == reverse("mfa_authenticate")
    assert_accessible(page)
    page.fill("input[name=code]", "000000" if totp.now() != "000000" else "111111")
    _submit(page)
    assert _path(page) == reverse("mfa_authenticate")
    page.fill("input[name=code]", _fresh_totp_code(totp, used))
    _submit(page)
    _skip_trust(page)
    assert _path(page) == reverse("mypage")


@pytest.mark.parametrize("kind", ["sms", "email"])
def test_sign_in_with_a_code_read_from_the_outbox(page_en, resident, kind):
    page = page_en
    phone = "+819012345678"
    SecondStepMethod.objects.create(user=resident, kind=kind, phone=phone if kind == "sms" else "")
    _password_step(page, resident)
    # The default (here the only) method's page comes first and has sent the code.
    assert _path(page) == reverse("signin_second_step_code", args=[kind])
    assert_accessible(page)
    channel = OutboundMessage.Channel.SMS if kind == "sms" else OutboundMessage.Channel.EMAIL
    to = phone if kind == "sms" else resident.email
    code = _outbox_code(channel=channel, to=to)
    wrong = "123456" if code != "123456" else "654321"
    page.fill("input[name=code]", wrong)
    _submit(page)
    expect(page.locator("main")).to_contain_text("not correct")
    page.fill("input[name=code]", code)
    _submit(page)
    _skip_trust(page)
    assert _path(page) == reverse("mypage")


def test_sms_code_set_up_from_security_settings_verifies_the_mobile_first(page_en, resident):
    page = page_en
    login(page, resident, reauthenticated=True)
    page.goto(page.base_url + reverse("mypage_security_sms"))
    page.fill("input[name=phone]", "090-1234-5678")
    page.locator("button[name=send]").click()
    page.wait_for_load_state()
    code = _outbox_code(channel=OutboundMessage.Channel.SMS, to="+819012345678")
    page.fill("input[name=code]", code)
    page.locator("main form:has(input[name=code]) button[type=submit]").first.click()
    page.wait_for_load_state()
    assert _path(page) == reverse("mypage_security")
    assert SecondStepMethod.objects.filter(user=resident, kind="sms").exists()


def test_a_recovery_code_works_once(page_en, resident):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    page = page_en
    TOTP.activate(resident, generate_totp_secret())
    code = RecoveryCodes.activate(resident).get_unused_codes()[0]

    _password_step(page, resident)
    page.fill("input[name=code]", code)
    _submit(page)
    _skip_trust(page)
    assert _path(page) == reverse("mypage")
    # The owner is told by email.
    assert OutboundMessage.objects.filter(recipient=resident.email, kind="recovery_code_used")
    _sign_out(page)

    _password_step(page, resident)
    page.fill("input[name=code]", code)
    _submit(page)
    assert _path(page) == reverse("mfa_authenticate")
    expect(page.locator("main")).to_contain_text("not correct")


def _virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page._kosodate_cdp = cdp  # keep the session (and the authenticator) alive


def test_a_passkey_registered_and_used_as_the_second_step(page_en, resident, settings):
    from allauth.mfa.models import Authenticator

    # The live server is plain http on localhost (a secure context for the browser).
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    page = page_en
    _virtual_authenticator(page)
    login(page, resident, reauthenticated=True)
    page.goto(page.base_url + reverse("mfa_add_webauthn"))
    page.fill("input[name=name]", "My phone")
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(lambda url: urlsplit(url).path != reverse("mfa_add_webauthn"))
    page.wait_for_load_state()
    assert Authenticator.objects.filter(user=resident, type="webauthn").count() == 1
    _sign_out(page)

    _password_step(page, resident)
    assert _path(page) == reverse("mfa_authenticate")
    page.locator("#mfa_webauthn_authenticate").click()
    page.wait_for_url(lambda url: urlsplit(url).path != reverse("mfa_authenticate"))
    page.wait_for_load_state()
    _skip_trust(page)
    assert _path(page) == reverse("mypage")


def test_a_passkey_signs_in_without_a_password(page_en, resident, settings):
    from allauth.mfa.models import Authenticator

    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    page = page_en
    _virtual_authenticator(page)
    login(page, resident, reauthenticated=True)
    page.goto(page.base_url + reverse("mfa_add_webauthn"))
    page.fill("input[name=name]", "My phone")
    page.check("input[name=passwordless]")
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(lambda url: urlsplit(url).path != reverse("mfa_add_webauthn"))
    assert Authenticator.objects.filter(user=resident, type="webauthn").count() == 1
    page.wait_for_load_state()
    _sign_out(page)

    # Someone else locked the account with wrong passwords: the owner's passkey still signs in
    # (SECURITY.md: a lock never blocks a verified second step by the owner).
    AccountLock.objects.update_or_create(
        user=resident,
        defaults={"failed_count": 5, "locked_until": timezone.now() + timedelta(minutes=30)},
    )
    page.goto(page.base_url + reverse("account_login"))
    assert_accessible(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(lambda url: urlsplit(url).path != reverse("account_login"))
    page.wait_for_load_state()
    # The passkey is both steps at once: no second step is asked.
    assert _path(page) == reverse("mypage")


def test_staff_without_an_app_are_sent_to_set_one_up(page_en, municipality):
    page = page_en
    staff = UserFactory(
        email="atarashii@example.jp", role=User.Role.MUNICIPAL_STAFF, second_step=False
    )
    _password_step(page, staff)
    page.goto(page.base_url + reverse("backoffice:dashboard"))
    assert _path(page) == reverse("mypage_security")
    expect(page.locator("main")).to_contain_text("Staff accounts must use an authenticator app")
    assert_accessible(page)

    page.goto(page.base_url + reverse("mfa_activate_totp"))
    if _path(page) == reverse("account_reauthenticate"):
        page.fill("input[name=password]", TEST_PASSWORD)
        _submit(page)
    secret = page.locator("#totp-secret").inner_text().strip().replace(" ", "")
    page.fill("input[name=code]", _fresh_totp_code(Totp(secret), set()))
    _submit(page)
    page.goto(page.base_url + reverse("backoffice:dashboard"))
    assert _path(page) == reverse("backoffice:dashboard")
