"""The family's children are read in one place (issue 13, item 5): accounts.selectors."""

import re
from datetime import date
from pathlib import Path

import pytest

from kosodate.accounts.selectors import household_children
from tests.factories import ChildFactory, HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_households_children_oldest_first_and_nobody_elses(municipality):
    household = HouseholdFactory()
    user = UserFactory(household=household)
    younger = ChildFactory(household=household, birth_date=date(2024, 5, 1))
    older = ChildFactory(household=household, birth_date=date(2022, 5, 1))
    ChildFactory(household=HouseholdFactory())
    assert list(household_children(user=user)) == [older, younger]
    assert list(household_children(user=UserFactory(household=None))) == []


def test_no_app_defines_its_own_household_children():
    root = Path(__file__).resolve().parents[2] / "kosodate"
    defined = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if re.search(r"^def household_children\b", path.read_text(encoding="utf-8"), re.M)
    ]
    assert defined == ["accounts/selectors.py"]
