"""A wrong password costs the same work whether or not the account exists (issue 10 item 4):
one password hash per attempt, counted at the hasher, so timing cannot tell which email
addresses or member numbers have accounts (ASVS 6.3.8)."""

from unittest import mock

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client

from tests.factories import TEST_PASSWORD

from .signin_support import sign_in

pytestmark = pytest.mark.django_db

WRONG = "Wrong-password-1"


def _hashes(login: str, password: str = WRONG) -> int:
    """How many times Argon2 ran (hashing or verifying) for one sign-in attempt."""
    calls = {"n": 0}
    encode, verify = Argon2PasswordHasher.encode, Argon2PasswordHasher.verify

    def counting_encode(self, *args, **kwargs):
        calls["n"] += 1
        return encode(self, *args, **kwargs)

    def counting_verify(self, *args, **kwargs):
        calls["n"] += 1
        return verify(self, *args, **kwargs)

    with (
        mock.patch.object(Argon2PasswordHasher, "encode", counting_encode),
        mock.patch.object(Argon2PasswordHasher, "verify", counting_verify),
    ):
        sign_in(Client(), login, password)
    return calls["n"]


@pytest.fixture
def member(resident):
    resident.username = "123456782"
    resident.save(update_fields=["username"])
    return resident


def test_known_and_unknown_email_cost_one_hash_each(member):
    assert _hashes(member.email) == 1
    assert _hashes("nobody@example.jp") == 1


def test_known_and_unknown_member_number_cost_one_hash_each(member):
    assert _hashes(member.username) == 1
    assert _hashes("987654324") == 1


def test_the_right_password_is_one_hash_too(member):
    assert _hashes(member.email, TEST_PASSWORD) == 1
