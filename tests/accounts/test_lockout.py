"""The per-account lock (issue 3, item 6; SECURITY.md "Failed sign-ins and lockout")."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kosodate.accounts import services
from kosodate.accounts.models import AccountLock, AuthEvent
from kosodate.core.models import Municipality
from tests.factories import TEST_PASSWORD, UserFactory

from .signin_support import emails, link_in, reset_link_request, sign_in

pytestmark = pytest.mark.django_db

WRONG = "Wrong-password-1"


@pytest.fixture
def member(resident):
    resident.username = "123456782"
    resident.save(update_fields=["username"])
    return resident


def _fail(login, times=1):
    # A fresh client (and so a fresh look for allauth's per-identifier throttle) is not needed:
    # the throttle allows 5 per identifier, the lock acts at 5 too.
    for _attempt in range(times):
        response = sign_in(Client(), login, WRONG)
        assert response.status_code == 200


def _can_sign_in(login, password=TEST_PASSWORD) -> bool:
    return sign_in(Client(), login, password).status_code == 302


def _lock(user) -> AccountLock:
    return AccountLock.objects.get(user=user)


def test_five_failures_lock_the_account_for_30_minutes(resident):
    _fail(resident.email, 4)
    assert _lock(resident).failed_count == 4
    assert not _lock(resident).is_locked()
    assert not emails(kind="account_locked")

    before = timezone.now()
    _fail(resident.email)
    lock = _lock(resident)
    assert lock.failed_count == 5
    assert before + timedelta(minutes=30) <= lock.locked_until
    assert lock.locked_until <= timezone.now() + timedelta(minutes=30)
    assert AuthEvent.objects.filter(user=resident, kind=AuthEvent.Kind.LOCKED).count() == 1
    assert AuthEvent.objects.filter(user=resident, kind=AuthEvent.Kind.LOGIN_FAILURE).count() == 5

    # The owner is told, once, what happened and how to get in now.
    [notice] = emails(to=resident.email, kind="account_locked")
    assert notice.user == resident
    assert "/accounts/password/reset/" in notice.body
    assert "/signin-help/" in notice.body
    assert timezone.localtime(lock.locked_until).strftime("%H:%M") in notice.body


def test_a_locked_account_refuses_even_the_right_password_until_the_time_is_up(resident):
    services.login_failure_register(user=resident)
    for _attempt in range(4):
        services.login_failure_register(user=resident)
    assert not _can_sign_in(resident.email)
    # Attempts during the lock are logged but neither counted nor extend it, nor email again.
    until = _lock(resident).locked_until
    assert _lock(resident).failed_count == 5
    assert _lock(resident).locked_until == until
    assert len(emails(kind="account_locked")) == 1
    assert AuthEvent.objects.filter(
        user=resident, kind=AuthEvent.Kind.LOGIN_FAILURE, detail__while_locked=True
    ).exists()

    with time_machine.travel(timezone.localtime(until - timedelta(seconds=5))):
        assert not _can_sign_in(resident.email)
    with time_machine.travel(timezone.localtime(until + timedelta(seconds=1))):
        assert _can_sign_in(resident.email)
        assert _lock(resident).failed_count == 0


def test_the_lock_length_is_the_municipality_setting(resident, municipality):
    Municipality.objects.filter(pk=municipality.pk).update(lockout_minutes=60)
    for _attempt in range(5):
        services.login_failure_register(user=resident)
    lock = _lock(resident)
    assert timedelta(minutes=59) < lock.locked_until - timezone.now() <= timedelta(minutes=60)
    with time_machine.travel(timedelta(minutes=45)):
        assert not _can_sign_in(resident.email)


def test_failures_count_per_account_whichever_identifier_was_typed(member):
    _fail(member.email, 2)
    _fail("ＨＡＮＡＫＯ＠EXAMPLE.JP")  # the same address, typed differently
    _fail(member.member_number, 2)
    assert _lock(member).is_locked()
    assert not _can_sign_in(member.member_number)


def test_a_successful_sign_in_starts_the_count_again(resident):
    _fail(resident.email, 4)
    assert _can_sign_in(resident.email)
    assert _lock(resident).failed_count == 0
    _fail(resident.email, 4)
    assert not _lock(resident).is_locked()


def test_after_a_lock_runs_out_five_more_failures_lock_again(resident):
    for _attempt in range(5):
        services.login_failure_register(user=resident)
    with time_machine.travel(timedelta(minutes=31)):
        assert not services.login_failure_register(user=resident)
        assert _lock(resident).failed_count == 1
        for _attempt in range(3):
            services.login_failure_register(user=resident)
        assert services.login_failure_register(user=resident) is True
    assert len(emails(kind="account_locked")) == 2


def test_an_unknown_identifier_counts_nothing_but_is_logged(municipality):
    _fail("nobody@example.jp", 5)
    _fail("987654324", 1)
    assert not AccountLock.objects.exists()
    assert (
        AuthEvent.objects.filter(
            kind=AuthEvent.Kind.LOGIN_FAILURE, user=None, detail__unknown_account=True
        ).count()
        == 6
    )
    # The typed identifier (which may be a mistyped password) is never stored.
    assert not AuthEvent.objects.filter(detail__icontains="nobody").exists()


def test_the_lock_is_stored_in_the_database(resident):
    for _attempt in range(5):
        services.login_failure_register(user=resident)
    # Nothing in the cache: a restart or another web process sees the same lock.
    from django.core.cache import cache

    cache.clear()
    assert not _can_sign_in(resident.email)


def test_a_lock_never_blocks_a_password_reset_and_the_reset_lifts_it(client, resident):
    for _attempt in range(5):
        services.login_failure_register(user=resident)
    link = reset_link_request(client, resident.email)
    page = client.get(link, follow=True)
    new_password = "Hinata-2026-kaede"
    response = client.post(
        page.redirect_chain[-1][0], {"password1": new_password, "password2": new_password}
    )
    assert response.status_code == 302
    assert not _lock(resident).is_locked()
    assert _lock(resident).failed_count == 0
    assert AuthEvent.objects.filter(
        user=resident, kind=AuthEvent.Kind.UNLOCKED, detail__by="password_reset"
    ).exists()
    assert _can_sign_in(resident.email, new_password)


def test_staff_can_lift_the_lock(resident, municipal_staff):
    for _attempt in range(5):
        services.login_failure_register(user=resident)
    assert services.account_unlock(staff=municipal_staff, resident=resident)
    assert _can_sign_in(resident.email)


def test_the_lock_email_goes_through_the_outbox_after_commit(
    resident, django_capture_on_commit_callbacks
):
    from tests.worker import run_worker

    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(5):
            services.login_failure_register(user=resident)
    run_worker()
    [notice] = emails(kind="account_locked")
    notice.refresh_from_db()
    assert notice.status == "sent"
    assert link_in(notice.body, "/accounts/password/reset/") == reverse("account_reset_password")


def test_allauths_per_ip_limit_stays_on(municipality):
    """10 failed sign-ins a minute from one address, whatever accounts they aim at."""
    users = [UserFactory() for _n in range(3)]
    client = Client()
    for n in range(10):
        sign_in(client, users[n % 3].email, WRONG)
    response = sign_in(client, users[0].email, TEST_PASSWORD)
    assert response.status_code == 200
    assert not AccountLock.objects.filter(locked_until__isnull=False).exists()
