from datetime import timedelta

import pytest
from django.utils import timezone

from kosodate.health.loading import checkup_data_load, schedule_data_load
from kosodate.health.models import Checkup, ScheduleRule, Vaccine
from tests.factories import ChildFactory, HouseholdFactory


@pytest.fixture
def schedule(db):
    """The shipped schedule and checkups (a transactional test's flush removes what the data
    migration loaded, so tests load it themselves; the loader is idempotent)."""
    schedule_data_load(vaccine_model=Vaccine, rule_model=ScheduleRule)
    checkup_data_load(checkup_model=Checkup)


@pytest.fixture
def resident_with_baby_and_toddler(resident, schedule):
    """The resident's household with a baby (10 weeks) and a toddler (20 months)."""
    today = timezone.localdate()
    resident.household = HouseholdFactory(postal_code="1000001", town="千代田")
    resident.save()
    baby = ChildFactory(
        household=resident.household, first_name="はると", birth_date=today - timedelta(weeks=10)
    )
    toddler = ChildFactory(
        household=resident.household, first_name="さくら", birth_date=today - timedelta(days=610)
    )
    return resident, baby, toddler


@pytest.fixture
def other_child(other_resident, schedule):
    other_resident.household = HouseholdFactory()
    other_resident.save()
    return ChildFactory(household=other_resident.household)
