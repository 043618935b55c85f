import pytest

from .support import FacilityFactory, family, registered, staff_of


@pytest.fixture
def facility(municipality):
    return FacilityFactory()


@pytest.fixture
def staffed_facility(facility, facility_staff):
    staff_of(facility_staff, facility)
    return facility


@pytest.fixture
def child(resident, facility):
    """The resident's child (about 2 years old), registered with `facility`."""
    [kid] = family(resident, allergies="卵")
    registered(kid, facility)
    return kid


@pytest.fixture
def other_child(other_resident, facility):
    [kid] = family(other_resident)
    registered(kid, facility)
    return kid
