import pytest

from . import support


@pytest.fixture
def rules(municipality):
    return support.centre()


@pytest.fixture
def advisor(rules):
    return support.advisor_user(email="advisor@example.jp")
