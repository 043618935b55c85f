"""セキュリティ設定 (issue 4): methods on/off with reauthentication, staff must have an app or a
passkey, the authentication event log for staff."""

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from kosodate.accounts.models import AuthEvent, SecondStepMethod, User
from kosodate.core.models import OutboundMessage

from ..factories import UserFactory
from .mfa_support import last_code, totp_activate
from .signin_support import emails

pytestmark = pytest.mark.django_db

SECURITY_URL = reverse("mypage_security")


def _reauthenticated(client, user):
    client.force_login(user)
    from allauth.account.internal.flows.login import record_authentication
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session, request.user = client.session, user
    record_authentication(request, user, "password", email=user.email, reauthenticated=True)
    request.session.save()


def test_security_page_lists_methods_and_their_strength(client, resident):
    client.force_login(resident)
    response = client.get(SECURITY_URL, headers={"accept-language": "en"})
    text = response.content.decode()
    assert response.status_code == 200
    for words in ("Passkey", "Authenticator app", "SMS code", "Email code", "Weakest"):
        assert words in text


def test_security_page_needs_sign_in(client):
    assert client.get(SECURITY_URL)["Location"].startswith(reverse("account_login"))


def test_turning_on_email_codes_asks_for_the_password_again(client, resident):
    client.force_login(resident)
    response = client.post(reverse("mypage_security_email"))
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    assert not SecondStepMethod.objects.filter(user=resident).exists()


def test_email_codes_on_and_off_with_notice(client, resident):
    _reauthenticated(client, resident)
    client.post(reverse("mypage_security_email"))
    assert SecondStepMethod.objects.filter(user=resident, kind="email").exists()
    assert emails(to=resident.email, kind="second_step_added")
    client.post(reverse("mypage_security_remove", args=["email"]))
    assert not SecondStepMethod.objects.filter(user=resident, kind="email").exists()
    assert emails(to=resident.email, kind="second_step_removed")
    kinds = set(AuthEvent.objects.filter(user=resident).values_list("kind", flat=True))
    assert {AuthEvent.Kind.MFA_ADDED, AuthEvent.Kind.MFA_REMOVED} <= kinds


def test_sms_codes_need_a_verified_mobile(client, resident):
    _reauthenticated(client, resident)
    url = reverse("mypage_security_sms")
    # A landline is refused.
    response = client.post(url, {"send": "1", "phone": "03-1234-5678"})
    assert response.status_code == 200
    assert not OutboundMessage.objects.filter(channel="sms").exists()
    client.post(url, {"send": "1", "phone": "090-1234-5678"})
    code = last_code(channel="sms", to="+819012345678")
    assert not SecondStepMethod.objects.filter(user=resident).exists()
    client.post(url, {"code": "000000" if code != "000000" else "111111"})
    assert not SecondStepMethod.objects.filter(user=resident).exists()
    client.post(url, {"code": code})
    method = SecondStepMethod.objects.get(user=resident, kind="sms")
    assert str(method.phone) == "+819012345678"


def test_totp_setup_page_shows_the_qr_code_and_key(client, resident):
    _reauthenticated(client, resident)
    response = client.get(reverse("mfa_activate_totp"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "data:image/svg+xml;base64," in text
    assert 'id="totp-secret"' in text


# --- Staff must have an app or a passkey -----------------------------------------------------------
def test_staff_without_app_or_passkey_are_sent_to_set_one_up(client, municipality):
    staff = UserFactory(role=User.Role.MUNICIPAL_STAFF, second_step=False)
    client.force_login(staff)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith(SECURITY_URL)
    assert client.get(SECURITY_URL).status_code == 200
    totp_activate(staff)
    # Having an app is not enough for this session, which signed in without one...
    assert client.get("/staff/").status_code == 302
    # ...signing in with it is (force_login stands for a sign-in with the app: tests/conftest.py).
    client.force_login(staff)
    assert client.get("/staff/").status_code == 200


def test_staff_with_an_app_reach_the_back_office(client, municipal_staff):
    client.force_login(municipal_staff)
    assert client.get("/staff/").status_code == 200


def test_staff_cannot_remove_their_last_app(municipal_staff):
    from allauth.mfa.adapter import get_adapter

    totp = Authenticator.objects.get(user=municipal_staff, type="totp")
    assert not get_adapter().can_delete_authenticator(totp)


def test_admin_sign_in_goes_through_allauth(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Staff authentication event log ----------------------------------------------------------------
def test_auth_event_log_search(client, municipal_staff, resident, other_resident):
    AuthEvent.objects.create(user=resident, kind=AuthEvent.Kind.LOGIN_FAILURE, ip_address="1.2.3.4")
    AuthEvent.objects.create(user=other_resident, kind=AuthEvent.Kind.LOGIN_SUCCESS)
    client.force_login(municipal_staff)
    url = reverse("staff_accounts_auth_events")
    response = client.get(url, {"q": resident.email})
    text = response.content.decode()
    assert response.status_code == 200
    assert "1.2.3.4" in text
    assert other_resident.email not in text


def test_auth_event_log_is_for_municipal_staff_only(client, facility_staff, resident):
    client.force_login(facility_staff)
    assert client.get(reverse("staff_accounts_auth_events")).status_code == 403
    other = Client()
    other.force_login(resident)
    assert other.get(reverse("staff_accounts_auth_events")).status_code == 403


def test_auth_event_log_search_by_time_and_kind(client, municipal_staff, resident):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    AuthEvent.objects.create(
        user=resident,
        kind=AuthEvent.Kind.LOCKED,
        ip_address="10.0.0.1",
        created_at=datetime(2026, 4, 1, 23, 30, tzinfo=tokyo),
    )
    AuthEvent.objects.create(
        user=resident,
        kind=AuthEvent.Kind.MFA_ADDED,
        ip_address="10.0.0.2",
        created_at=datetime(2026, 4, 2, 0, 30, tzinfo=tokyo),
    )
    AuthEvent.objects.create(
        user=resident,
        kind=AuthEvent.Kind.LOGIN_FAILURE,
        ip_address="10.0.0.3",
        created_at=datetime(2026, 4, 3, 9, 0, tzinfo=tokyo),
    )
    client.force_login(municipal_staff)
    url = reverse("staff_accounts_auth_events")

    def ips(**query) -> set[str]:
        text = client.get(url, query).content.decode()
        return {ip for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3") if ip in text}

    assert ips() == {"10.0.0.1", "10.0.0.2", "10.0.0.3"}
    # Days are the municipality's (Japan time); "until" includes the whole day.
    assert ips(since="2026-04-02") == {"10.0.0.2", "10.0.0.3"}
    assert ips(until="2026-04-01") == {"10.0.0.1"}
    assert ips(since="2026-04-02", until="2026-04-02") == {"10.0.0.2"}
    assert ips(kind="mfa_added") == {"10.0.0.2"}
    assert ips(q=resident.username, kind="login_failure") == {"10.0.0.3"}


def test_the_app_added_and_removed_is_logged_and_emailed(
    client, resident, django_capture_on_commit_callbacks
):
    from tests.totp import Totp

    _reauthenticated(client, resident)
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = page.split('id="totp-secret">', 1)[1].split("<", 1)[0].strip()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": Totp(secret).now()})
    assert response.status_code == 302
    assert emails(to=resident.email, kind="totp_activated")
    added = AuthEvent.objects.get(
        user=resident, kind=AuthEvent.Kind.MFA_ADDED, detail__method="totp"
    )
    assert added.ip_address == "127.0.0.1"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_deactivate_totp"))
    assert not Authenticator.objects.filter(user=resident, type="totp").exists()
    assert emails(to=resident.email, kind="totp_deactivated")
    assert AuthEvent.objects.filter(
        user=resident, kind=AuthEvent.Kind.MFA_REMOVED, detail__method="totp"
    ).exists()


def test_sending_codes_is_rate_limited_per_account_and_per_ip(resident, other_resident):
    from django.test import RequestFactory

    from kosodate.accounts import services
    from kosodate.accounts.models import SecondStepCode

    def send(user, attempt: str, ip: str):
        request = RequestFactory().post("/", REMOTE_ADDR=ip)
        request.user = user
        services.second_step_code_send(
            user=user,
            kind="email",
            purpose=SecondStepCode.Purpose.SIGNIN,
            attempt=attempt,
            request=request,
        )

    # Per account: 3 codes in 5 minutes, whatever the attempt or the address.
    for n in range(3):
        send(resident, f"a{n}", f"192.0.2.{n + 1}")
    with pytest.raises(services.SecondStepCodeError) as refused:
        send(resident, "a3", "192.0.2.9")
    assert refused.value.reason == "rate_limited"
    assert AuthEvent.objects.filter(user=resident, kind=AuthEvent.Kind.MFA_FAILURE).exists()

    # Per address: 5 a minute, whichever accounts ask (each below its own limit).
    for n in range(3):
        send(other_resident, f"b{n}", "198.51.100.7")
    for n in range(2):
        send(UserFactory(), f"c{n}", "198.51.100.7")
    with pytest.raises(services.SecondStepCodeError) as refused:
        send(UserFactory(), "d", "198.51.100.7")
    assert refused.value.reason == "rate_limited"
    send(UserFactory(), "e", "198.51.100.8")


def test_recovery_codes_are_shown_once_with_a_download_then_hidden(client, resident):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    totp_activate(resident)
    codes = RecoveryCodes.activate(resident).get_unused_codes()
    _reauthenticated(client, resident)
    url = reverse("mfa_view_recovery_codes")
    first = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert all(code in first for code in codes)
    assert 'download="recovery-codes.txt"' in first
    assert "data:text/plain;charset=utf-8," + "%0A".join(codes) in first
    again = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert not any(code in again for code in codes)
    assert reverse("mfa_generate_recovery_codes") in again
