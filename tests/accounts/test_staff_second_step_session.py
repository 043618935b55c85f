"""A back-office session needs an authenticator app or a passkey in THIS sign-in (issue 10
item 3): having an app on the account is not enough when the sign-in used an email code, and a
recovery code only lets staff set up a new app or passkey. SMS and email codes are refused for
staff and can't be turned on for a staff account."""

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from kosodate.accounts import services
from kosodate.accounts.models import SecondStepMethod, User
from kosodate.core.models import OutboundMessage
from tests.factories import UserFactory

from .mfa_support import email_method_add, finish_trust, last_code, password_step, totp_activate
from .test_mfa_settings import _reauthenticated

pytestmark = pytest.mark.django_db

SECURITY_URL = reverse("mypage_security")


@pytest.fixture
def staff(municipality):
    """Municipal staff with an authenticator app (and, from before the fix, email codes on)."""
    user = UserFactory(
        email="shokuin2@example.jp", role=User.Role.MUNICIPAL_STAFF, second_step=False
    )
    return user


def test_an_email_code_sign_in_never_opens_the_back_office(staff):
    totp_activate(staff)
    email_method_add(staff)
    client = Client()
    password_step(client, staff)
    # The email code page is not offered to staff at all...
    response = client.get(reverse("signin_second_step_code", args=["email"]))
    assert response.status_code == 404
    # ...and a code that reached them anyway does not count.
    assert not OutboundMessage.objects.filter(recipient=staff.email, kind="second_step_signin")


def test_the_session_must_have_used_an_app_or_passkey(client, staff):
    """The session's own record of how it signed in is what counts, not what the account has."""
    from allauth.account.internal.flows.login import record_authentication
    from django.test import RequestFactory

    totp_activate(staff)
    client.force_login(staff)
    # As after a sign-in by email code: password, then an "mfa" step of type "email".
    session = client.session
    session.pop("account_authentication_methods", None)
    session.save()
    request = RequestFactory().get("/")
    request.session, request.user = client.session, staff
    record_authentication(request, staff, "password", email=staff.email)
    record_authentication(request, staff, "mfa", type="email")
    request.session.save()
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith(SECURITY_URL)
    assert client.get("/admin/").status_code == 302


def test_an_app_code_sign_in_opens_the_back_office(staff):
    otp = totp_activate(staff)
    client = Client()
    response = password_step(client, staff)
    assert response["Location"] == reverse("mfa_authenticate")
    response = finish_trust(client, client.post(reverse("mfa_authenticate"), {"code": otp.now()}))
    assert client.get("/staff/").status_code == 200


def test_a_recovery_code_only_lets_staff_set_up_a_new_app(staff):
    totp_activate(staff)
    codes = RecoveryCodes.activate(staff).get_unused_codes()
    client = Client()
    password_step(client, staff)
    finish_trust(client, client.post(reverse("mfa_authenticate"), {"code": codes[0]}))
    assert client.get(reverse("mypage")).wsgi_request.user == staff
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith(SECURITY_URL)
    page = client.get(SECURITY_URL).content.decode()
    assert "notice--warning" in page


def test_staff_cannot_turn_on_email_or_sms_codes(client, staff):
    totp_activate(staff)
    _reauthenticated(client, staff)
    assert client.post(reverse("mypage_security_email")).status_code == 404
    assert client.get(reverse("mypage_security_sms")).status_code == 404
    assert not SecondStepMethod.objects.filter(user=staff).exists()
    with pytest.raises(PermissionDenied):
        services.second_step_method_add(user=staff, kind="email")
    assert not SecondStepMethod.objects.filter(user=staff).exists()


def test_a_trusted_browser_never_skips_the_app_for_staff(staff):
    otp = totp_activate(staff)
    client = Client()
    password_step(client, staff)
    response = client.post(reverse("mfa_authenticate"), {"code": otp.now()})
    # "Trust this browser?" is not asked of staff; they are signed in straight away.
    assert response["Location"] != reverse("mfa_trust")
    client.post(reverse("account_logout"))
    assert password_step(client, staff)["Location"] == reverse("mfa_authenticate")


def test_residents_keep_email_codes(client, resident):
    email_method_add(resident)
    client2 = Client()
    password_step(client2, resident)
    response = client2.get(reverse("signin_second_step_code", args=["email"]))
    assert response.status_code == 200
    code = last_code(channel=OutboundMessage.Channel.EMAIL, to=resident.email)
    finish_trust(
        client2, client2.post(reverse("signin_second_step_code", args=["email"]), {"code": code})
    )
    assert client2.get(reverse("mypage")).wsgi_request.user == resident
