"""Lockout as a weapon and as a dead end (issue 10 item 7): the counter's unlock clears every
throttle, a stranger cannot use up the owner's password-reset requests, 429 is a translated page,
the per-account lock and the per-IP limit tell one story, and guessing authenticator codes
blocks the second step for 30 minutes, with an email and an auth log entry."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kosodate.accounts.models import AccountLock, AuthEvent
from tests.factories import TEST_PASSWORD

from .mfa_support import finish_trust, password_step, signed_in_user, totp_activate
from .signin_support import RESET_URL, emails, link_in, sign_in

pytestmark = pytest.mark.django_db

WRONG = "Wrong-password-1"
STRANGER = {"REMOTE_ADDR": "203.0.113.5"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


@pytest.fixture
def member(resident):
    resident.username = "123456782"
    resident.save(update_fields=["username"])
    return resident


def _text(response) -> str:
    return response.content.decode()


# --- The counter's unlock clears every throttle ------------------------------------------------
@pytest.mark.parametrize("identifier", ["email", "member_number"])
def test_after_the_counter_unlocks_the_owner_signs_in_at_once(member, municipal_staff, identifier):
    login = member.email if identifier == "email" else member.username
    for _attempt in range(5):
        assert sign_in(Client(), login, WRONG).status_code == 200
    assert AccountLock.objects.get(user=member).is_locked()
    staff = Client()
    staff.force_login(municipal_staff)
    response = staff.post(reverse("staff_accounts_unlock", args=[member.pk]))
    assert response.status_code == 302
    # Straight after "the resident can sign in now", with either identifier.
    for typed in (member.email, member.username):
        response = sign_in(Client(), typed, TEST_PASSWORD, headers={"accept-language": "ja"})
        assert response.status_code == 302, _text(response)
        Client().post(reverse("account_logout"))


def test_unlock_lifts_a_second_step_block_too(member, municipal_staff):
    from kosodate.accounts import services

    for _attempt in range(5):
        services.second_step_failure_register(user=member)
    assert AccountLock.objects.get(user=member).second_step_is_locked()
    assert services.account_unlock(staff=municipal_staff, resident=member)
    assert not AccountLock.objects.get(user=member).second_step_is_locked()


# --- Password reset: a stranger cannot block the owner -----------------------------------------
def test_a_stranger_cannot_use_up_the_owners_reset_requests(client, resident):
    stranger = Client(**STRANGER)
    for _attempt in range(10):
        response = stranger.post(RESET_URL, {"email": resident.email})
        # Never a 429 for an address: the same answer as always.
        assert response.status_code == 302
    sent_to_owner = len(emails(to=resident.email, kind="password_reset_key"))
    assert sent_to_owner <= 3
    owner = Client(**OWNER)
    response = owner.post(RESET_URL, {"email": resident.email})
    assert response.status_code == 302
    new = emails(to=resident.email, kind="password_reset_key")
    assert len(new) == sent_to_owner + 1
    link = link_in(new[-1].deliverable_body, "/accounts/password/reset/key/")
    assert owner.get(link, follow=True).status_code == 200


def test_the_reset_page_says_an_earlier_link_keeps_working(client, resident):
    response = client.post(RESET_URL, {"email": resident.email}, follow=True)
    text = _text(response)
    assert "前にお送りしたリンク" in text


def test_too_many_requests_is_a_translated_page(client, municipality):
    responses = [client.post(RESET_URL, {"email": f"x{n}@example.jp"}) for n in range(21)]
    response = responses[-1]
    assert response.status_code == 429
    text = _text(response)
    assert '<html lang="ja"' in text
    assert "しばらく" in text
    assert "Too Many Requests" not in text
    english = client.post(RESET_URL, {"email": "y@example.jp"}, headers={"accept-language": "en"})
    assert english.status_code == 429
    assert "Please wait" in _text(english)


# --- The lock and the rate limit: one story ----------------------------------------------------
def test_two_wrong_a_success_then_eight_wrong_locks_and_emails(client, resident):
    """Tried as a user would: the fifth wrong password after the success locks the account and
    emails the owner; the page never says "a few minutes" for a wait of 30."""
    for _attempt in range(2):
        sign_in(client, resident.email, WRONG)
    assert sign_in(Client(), resident.email, TEST_PASSWORD).status_code == 302
    answers = []
    for _attempt in range(8):
        response = sign_in(client, resident.email, WRONG)
        assert response.status_code == 200
        answers.append(_text(response))
    lock = AccountLock.objects.get(user=resident)
    assert lock.is_locked()
    assert len(emails(to=resident.email, kind="account_locked")) == 1
    for text in answers:
        assert "数分" not in text
        assert "最大30分" in text
    # Locked or not, the page says the same (nothing tells a stranger the account exists).
    assert answers[0].count("最大30分") == answers[-1].count("最大30分")


def test_the_per_ip_limit_still_stops_spraying(client, municipality):
    from tests.factories import UserFactory

    users = [UserFactory() for _n in range(3)]
    for n in range(10):
        sign_in(client, users[n % 3].email, WRONG)
    response = sign_in(client, users[0].email, TEST_PASSWORD)
    assert response.status_code == 200
    assert "1分" in _text(response)
    assert "数分" not in _text(response)
    assert not AccountLock.objects.filter(locked_until__isnull=False).exists()


# --- Guessing authenticator codes --------------------------------------------------------------
def test_five_wrong_app_codes_block_the_second_step_for_30_minutes(client, resident):
    otp = totp_activate(resident)
    password_step(client, resident)
    wrong = f"{(int(otp.now()) + 1) % 1_000_000:06d}"
    for _attempt in range(5):
        response = client.post(reverse("mfa_authenticate"), {"code": wrong})
        assert response.status_code == 200
    lock = AccountLock.objects.get(user=resident)
    assert lock.second_step_is_locked()
    left = (lock.second_step_locked_until - timezone.now()).total_seconds()
    assert 29 * 60 < left <= 30 * 60
    # Now even the right code is refused, and the page says why and until when.
    response = client.post(reverse("mfa_authenticate"), {"code": otp.now()})
    assert not signed_in_user(client).is_authenticated
    assert "30分" in _text(response)
    [event] = AuthEvent.objects.filter(user=resident, kind=AuthEvent.Kind.MFA_LOCKED)
    assert event.detail["minutes"] == 30
    assert len(emails(to=resident.email, kind="second_step_locked")) == 1
    assert AuthEvent.objects.filter(user=resident, kind=AuthEvent.Kind.MFA_FAILURE).count() >= 5


def test_a_right_app_code_starts_the_count_again(client, resident):
    otp = totp_activate(resident)
    password_step(client, resident)
    wrong = f"{(int(otp.now()) + 1) % 1_000_000:06d}"
    for _attempt in range(4):
        client.post(reverse("mfa_authenticate"), {"code": wrong})
    finish_trust(client, client.post(reverse("mfa_authenticate"), {"code": otp.now()}))
    assert signed_in_user(client) == resident
    assert AccountLock.objects.get(user=resident).second_step_failed_count == 0


def test_a_password_reset_lifts_the_second_step_block(client, resident):
    """Whoever guessed codes knew the old password; once it is reset they are cut off, so their
    guesses must not keep the owner out."""
    from kosodate.accounts import services

    for _attempt in range(5):
        services.second_step_failure_register(user=resident)
    assert AccountLock.objects.get(user=resident).second_step_is_locked()
    services.user_password_set(user=resident, password="Hinata-2026-kaede", via_reset=True)
    assert not AccountLock.objects.get(user=resident).second_step_is_locked()
    assert AuthEvent.objects.filter(
        user=resident, kind=AuthEvent.Kind.UNLOCKED, detail__by="password_reset"
    ).exists()
