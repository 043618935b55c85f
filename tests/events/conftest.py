import pytest

from tests.factories import ChildFactory, HouseholdFactory, UserFactory


@pytest.fixture
def make_family(municipality):
    """make_family(months=20): a signed-up resident with a household and one child that age."""
    from datetime import timedelta

    from django.utils import timezone

    counter = iter(range(1000))

    def make(months: int = 20, email: str | None = None, language: str = "ja"):
        n = next(counter)
        household = HouseholdFactory()
        user = UserFactory(
            household=household,
            email=email or f"family{n}@example.jp",
            preferred_language=language,
        )
        ChildFactory(
            household=household,
            birth_date=timezone.localdate() - timedelta(days=int(months * 30.5) + 10),
            allergies="卵",
        )
        return user

    return make


@pytest.fixture
def applicant(make_family):
    """A resident who applies: a household with one child of 20 months."""
    return make_family()


@pytest.fixture
def other_applicant(make_family):
    """Another household, like `applicant` (for "not yours: 404")."""
    return make_family()
