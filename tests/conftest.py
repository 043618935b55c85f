"""Personas and shared fixtures (ARCHITECTURE.md habit 8)."""

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
