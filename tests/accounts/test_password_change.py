"""Changing the password (issue 10 item 11): the current password is refused as the new one."""

import pytest
from django.urls import reverse

from kosodate.accounts.models import AuthEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_the_current_password_is_refused_as_the_new_one(client, resident):
    client.force_login(resident)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": TEST_PASSWORD, "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
        headers={"accept-language": "ja"},
    )
    assert response.status_code == 200
    assert "現在のパスワードと同じ" in response.content.decode()
    assert not AuthEvent.objects.filter(user=resident, kind="password_changed").exists()


def test_a_different_new_password_is_accepted(client, resident):
    client.force_login(resident)
    new = "Hinata-2026-kaede"
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.check_password(new)
