"""Personas and shared fixtures (ARCHITECTURE.md habit 8)."""

import time

import factory
import pytest
from django.core.cache import cache

from kosodate.accounts.models import User

from .factories import ChildFactory, HouseholdFactory, MunicipalityFactory, UserFactory

pytest_plugins = ["tests.browser.fixtures"]


@pytest.fixture(autouse=True, scope="session")
def _japanese_fake_data():
    # Names, addresses and phone numbers as a Japanese municipality sees them.
    with factory.Faker.override_default_locale("ja_JP"):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The cache may be a shared Redis; rate limits and the cached municipality must not leak
    # from one test into the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _force_login_is_a_full_sign_in(monkeypatch):
    """force_login stands for a complete sign-in. The back office checks which second step THIS
    session used (kosodate.accounts.middleware.StaffSecondStepMiddleware): for an account with an
    authenticator app, a forced sign-in is one with the app, as the staff personas' real sign-in
    would be. Tests of other second steps sign in through the forms."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.account.internal.userkit import user_id_to_str
    from allauth.mfa.models import Authenticator
    from django.test.client import ClientMixin

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        app = (
            Authenticator.objects.filter(user=user, type__in=["totp", "webauthn"])
            .order_by("pk")
            .first()
        )
        if app is None:
            return
        session = self.session
        session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "password", "at": time.time(), "username": user.username},
            {"method": "mfa", "at": time.time(), "id": app.pk, "type": app.type},
        ]
        session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture
def municipality(db):
    return MunicipalityFactory()


@pytest.fixture
def resident(municipality):
    return UserFactory(email="hanako@example.jp", first_name="花子", last_name="山田")


@pytest.fixture
def guardian(municipality):
    """A registered resident as the wizard leaves them: household, kana, phone, one child."""
    household = HouseholdFactory()
    user = UserFactory(
        email="guardian@example.jp",
        last_name="山田",
        first_name="花子",
        last_name_kana="ヤマダ",
        first_name_kana="ハナコ",
        phone="+819012345678",
        household=household,
    )
    ChildFactory(household=household)
    return user


@pytest.fixture
def other_resident(municipality):
    return UserFactory(email="taro@example.jp", first_name="太郎", last_name="佐藤")


@pytest.fixture
def facility_staff(municipality):
    return UserFactory(email="hoiku@example.jp", role=User.Role.FACILITY_STAFF, is_staff=False)


@pytest.fixture
def municipal_staff(municipality):
    return UserFactory(email="shokuin@example.jp", role=User.Role.MUNICIPAL_STAFF)


@pytest.fixture
def consultant(municipality):
    """A 保健師 of the consultations service (a consultant account with its profession)."""
    from kosodate.consultations.models import Profession, StaffMember

    user = UserFactory(
        email="hokenshi@example.jp", role=User.Role.CONSULTANT, last_name="保健", first_name="春子"
    )
    StaffMember.objects.create(user=user, profession=Profession.HEALTH)
    return user


@pytest.fixture
def admin_user(municipality):
    return UserFactory(
        email="admin@example.jp",
        role=User.Role.MUNICIPAL_STAFF,
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def back_to_the_latest_migrations():
    """For a test that migrates backwards: afterwards the whole schema is at the latest
    migrations again. Unapplying one app's migration also unapplies the later migrations of other
    apps that depend on it (core 0005 after health 0004, for one), and migrating forward to a named
    target does not bring those back: the transactional tests that follow would miss columns."""
    yield
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
