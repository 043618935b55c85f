"""Sessions (issue 4, SECURITY.md "Sessions"): idle timeout, absolute lifetime, my sessions list."""

from datetime import timedelta

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse

from kosodate.accounts.models import AuthEvent

from ..factories import TEST_PASSWORD
from .mfa_support import signed_in_user
from .signin_support import sign_in

pytestmark = pytest.mark.django_db

SESSIONS_URL = reverse("mypage_security_sessions")


def _signed_in(client, user, *, remember=False):
    response = sign_in(client, user.email, TEST_PASSWORD, remember=remember)
    assert response.status_code == 302
    assert signed_in_user(client) == user


def test_idle_for_30_minutes_signs_out(client, resident):
    _signed_in(client, resident)
    with time_machine.travel(timedelta(minutes=29)):
        assert signed_in_user(client) == resident
    with time_machine.travel(timedelta(minutes=29 + 31)):
        response = client.get(reverse("mypage"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert "expired=idle" in response["Location"]
        assert not signed_in_user(client).is_authenticated
        page = client.get(response["Location"], headers={"accept-language": "en"})
        assert "signed out because the site was not used for a while" in page.content.decode()
    assert AuthEvent.objects.filter(
        user=resident, kind=AuthEvent.Kind.LOGOUT, detail__timeout="idle"
    ).exists()


def test_activity_keeps_the_session_but_not_past_12_hours(client, resident):
    _signed_in(client, resident)
    for minutes in range(25, 12 * 60, 25):
        with time_machine.travel(timedelta(minutes=minutes)):
            assert signed_in_user(client) == resident
    with time_machine.travel(timedelta(hours=12, minutes=5)):
        response = client.get(reverse("mypage"))
        assert "expired=absolute" in response["Location"]
        assert not signed_in_user(client).is_authenticated
        page = client.get(response["Location"], headers={"accept-language": "en"})
        assert "sign-in reached its time limit" in page.content.decode()


def test_remember_me_has_no_idle_timeout_and_lasts_14_days(client, resident):
    _signed_in(client, resident, remember=True)
    with time_machine.travel(timedelta(days=3)):
        assert signed_in_user(client) == resident
    with time_machine.travel(timedelta(days=14, minutes=1)):
        assert not signed_in_user(client).is_authenticated


def test_my_sessions_list_shows_browser_and_ends_another_session(resident):
    phone, laptop = Client(), Client()
    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    )
    sign_in(phone, resident.email, TEST_PASSWORD, HTTP_USER_AGENT=iphone)
    phone.get(reverse("mypage"), HTTP_USER_AGENT=iphone)
    _signed_in(laptop, resident)
    page = laptop.get(SESSIONS_URL).content.decode()
    assert "Mobile Safari" in page
    phone_session = UserSession.objects.get(user=resident, user_agent=iphone)
    response = laptop.post(SESSIONS_URL, {"session": phone_session.pk})
    assert response.status_code == 302
    assert not signed_in_user(phone).is_authenticated
    assert signed_in_user(laptop) == resident


def test_end_all_other_sessions(resident):
    first, second, third = Client(), Client(), Client()
    for client in (first, second, third):
        _signed_in(client, resident)
    first.post(SESSIONS_URL, {"end_others": "1"})
    assert signed_in_user(first) == resident
    assert not signed_in_user(second).is_authenticated
    assert not signed_in_user(third).is_authenticated


def test_someone_elses_session_cannot_be_ended(resident, other_resident):
    mine, theirs = Client(), Client()
    _signed_in(mine, resident)
    _signed_in(theirs, other_resident)
    their_session = UserSession.objects.get(user=other_resident)
    assert mine.post(SESSIONS_URL, {"session": their_session.pk}).status_code == 404
    assert signed_in_user(theirs) == other_resident


def test_new_browser_sign_in_is_emailed(resident):
    from .signin_support import emails

    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    chrome = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0 Safari/537.36"
    )
    sign_in(Client(), resident.email, TEST_PASSWORD, HTTP_USER_AGENT=firefox)
    sign_in(Client(), resident.email, TEST_PASSWORD, HTTP_USER_AGENT=firefox)
    assert not emails(to=resident.email, kind="new_device_signin")
    sign_in(Client(), resident.email, TEST_PASSWORD, HTTP_USER_AGENT=chrome)
    assert len(emails(to=resident.email, kind="new_device_signin")) == 1


def test_last_seen_is_written_at_most_once_a_minute(client, resident):
    """The sessions list's "last seen" follows the person, without a write on every page: the
    row is updated when a minute has passed since the last update, in one statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _signed_in(client, resident)
    row = UserSession.objects.get(user=resident)
    signed_in_seen = row.last_seen_at
    with time_machine.travel(timedelta(seconds=30)):
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("mypage"))
        assert not [q for q in queries if "usersessions_usersession" in q["sql"]]
    row.refresh_from_db()
    assert row.last_seen_at == signed_in_seen
    with time_machine.travel(timedelta(minutes=5)):
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("mypage"), HTTP_USER_AGENT="Kosodate-test-browser/2")
        writes = [q for q in queries if "usersessions_usersession" in q["sql"]]
        assert len(writes) == 1 and writes[0]["sql"].startswith("UPDATE")
    row.refresh_from_db()
    assert row.last_seen_at >= signed_in_seen + timedelta(minutes=5)
    assert row.user_agent == "Kosodate-test-browser/2"


def test_a_session_without_its_row_gets_one(client, resident):
    """A session made elsewhere (here force_login, which skips allauth's sign-in) appears in the
    sessions list from its first page."""
    client.force_login(resident)
    assert not UserSession.objects.filter(user=resident).exists()
    client.get(reverse("mypage"))
    assert UserSession.objects.filter(
        user=resident, session_key=client.session.session_key
    ).exists()
