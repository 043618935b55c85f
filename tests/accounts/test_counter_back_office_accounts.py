"""The counter never acts on staff or superuser accounts (issue 10 item 1): an administrator
made with `createsuperuser` is staff, older ones are moved by a migration, and a system check
fails while any superuser or staff account still has the resident role."""

import importlib

import pytest
from django.apps import apps
from django.core import checks
from django.core.management import call_command
from django.urls import reverse

from kosodate.accounts.models import AuthEvent, IdentityCheck, User
from kosodate.core.models import AuditLog
from kosodate.core.selectors import setup_problems
from tests.factories import TEST_PASSWORD, UserFactory

from .test_counter import record_recovery_check, staff_urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident_role_admin(municipality):
    """A superuser as `createsuperuser` made them before the fix: role "resident"."""
    return UserFactory(
        email="root@example.jp", role=User.Role.RESIDENT, is_superuser=True, is_staff=True
    )


def test_createsuperuser_gives_a_staff_role(municipality, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Kanri-2026-sakura")
    call_command("createsuperuser", interactive=False, username="root", email="root@example.jp")
    admin = User.objects.get(username="root")
    assert admin.is_superuser
    assert admin.role == User.Role.MUNICIPAL_STAFF
    assert admin.is_back_office


@pytest.mark.parametrize("flags", [{"is_superuser": True, "is_staff": True}, {"is_staff": True}])
def test_the_counter_never_finds_or_acts_on_a_superuser_or_staff_account(
    client, municipal_staff, flags
):
    target = UserFactory(email="root@example.jp", role=User.Role.RESIDENT, **flags)
    client.force_login(municipal_staff)
    for query in ({"email": "root@example.jp"}, {"member_number": target.username}):
        response = client.get(reverse("staff_accounts_search"), query)
        assert response.status_code == 200
        assert response.context["results"] == []
    # Even with an identity check recorded for recovery today, every action is a 404.
    record_recovery_check(target, municipal_staff)
    for method, url in staff_urls(target.pk):
        if url == reverse("staff_accounts_search"):
            continue
        response = getattr(client, method)(url, {"method": "other", "purpose": "recovery"})
        assert response.status_code == 404, (method, url)
    assert IdentityCheck.objects.filter(user=target).count() == 1  # only the one made above
    assert not AuditLog.objects.filter(subject_user=target).exists()
    assert not AuthEvent.objects.filter(user=target).exists()
    target.refresh_from_db()
    assert target.check_password(TEST_PASSWORD)


def test_counter_services_refuse_a_superuser_even_when_called_directly(
    resident_role_admin, municipal_staff
):
    from django.core.exceptions import PermissionDenied

    from kosodate.accounts import services

    record_recovery_check(resident_role_admin, municipal_staff)
    with pytest.raises(PermissionDenied):
        services.counter_reset_link_issue(staff=municipal_staff, resident=resident_role_admin)
    with pytest.raises(PermissionDenied):
        services.counter_second_step_reset(staff=municipal_staff, resident=resident_role_admin)
    with pytest.raises(PermissionDenied):
        services.account_unlock(staff=municipal_staff, resident=resident_role_admin)


def test_the_data_migration_moves_existing_superusers_and_staff_to_a_staff_role(
    resident_role_admin, resident
):
    migration = importlib.import_module(
        "kosodate.accounts.migrations.0004_security_locks_and_admin_role"
    )
    migration.superusers_and_staff_leave_the_resident_role(apps, None)
    resident_role_admin.refresh_from_db()
    resident.refresh_from_db()
    assert resident_role_admin.role == User.Role.MUNICIPAL_STAFF
    assert resident.role == User.Role.RESIDENT


def test_the_system_check_fails_while_a_superuser_has_the_resident_role(
    resident_role_admin, resident
):
    from kosodate.accounts.checks import back_office_accounts_have_a_staff_role

    [error] = back_office_accounts_have_a_staff_role()
    assert error.id == "kosodate.accounts.E001"
    assert error.level == checks.ERROR
    assert error.msg.startswith("1")
    # manage.py check runs it, and the staff dashboard's setup checks include it.
    assert error in checks.run_checks()
    assert error in setup_problems()
    resident_role_admin.role = User.Role.MUNICIPAL_STAFF
    resident_role_admin.save(update_fields=["role"])
    assert back_office_accounts_have_a_staff_role() == []
