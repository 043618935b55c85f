"""core/prepared.py: a query compiled once per process gives what the ORM gives, on SQLite and
PostgreSQL alike, in one statement per run."""

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.test.utils import CaptureQueriesContext

from kosodate.accounts.models import User
from kosodate.core.prepared import PreparedQuery
from tests.factories import HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db


def _users(user_id, household_id):
    return (
        User.objects.annotate(
            has_verified_email=Exists(
                EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
            )
        )
        .filter(pk=user_id, household_id=household_id)
        .order_by("pk")
    )


def test_model_rows_are_the_orms_with_their_annotations_and_converted_values():
    household = HouseholdFactory()
    user = UserFactory(household=household)
    unverified = UserFactory(household=household, verified_email=False)
    prepared = PreparedQuery(_users, "user_id", "household_id")

    [got] = prepared.objects(user_id=user.pk, household_id=household.pk)
    [expected] = _users(user.pk, household.pk)

    assert type(got) is User and got._state.adding is False and got._state.db == "default"
    for field in User._meta.concrete_fields:
        assert getattr(got, field.attname) == getattr(expected, field.attname), field.name
    # A datetime comes back as the ORM gives it (SQLite stores text: the converters ran).
    assert got.date_joined == expected.date_joined and got.date_joined.tzinfo is not None
    assert got.has_verified_email is True
    [theirs] = prepared.objects(user_id=unverified.pk, household_id=household.pk)
    assert theirs.has_verified_email is False
    assert prepared.first(user_id=user.pk, household_id=household.pk + 1) is None


def test_compiled_once_and_one_statement_per_run():
    users = [UserFactory(), UserFactory()]
    built = []

    def build(user_id):
        built.append(user_id)
        return User.objects.filter(pk=user_id).values_list("pk", "email")

    prepared = PreparedQuery(build, "user_id")
    with CaptureQueriesContext(connection) as captured:
        rows = [prepared.rows(user_id=user.pk) for user in users]
    assert rows == [[(user.pk, user.email)] for user in users]
    assert len(captured) == 2
    assert len(built) == 1  # built (and compiled) for the first run only


def test_aggregate_rows_with_a_value_inside_a_filter():
    household = HouseholdFactory()
    UserFactory.create_batch(2, household=household)
    UserFactory()

    def build(household_id):
        return (
            User.objects.values("is_active")
            .annotate(everyone=Count("pk"), theirs=Count("pk", filter=Q(household_id=household_id)))
            .values_list("everyone", "theirs")
        )

    prepared = PreparedQuery(build, "household_id")
    assert prepared.rows(household_id=household.pk) == list(build(household.pk))
    assert prepared.rows(household_id=household.pk)[0][1] == 2
    assert prepared.rows(household_id=0)[0][1] == 0


def test_a_value_the_query_does_not_use_is_refused():
    prepared = PreparedQuery(
        lambda user_id, other: User.objects.filter(pk=user_id), "user_id", "other"
    )
    with pytest.raises(ValueError, match="other"):
        prepared.rows(user_id=1, other=2)


def test_the_values_must_be_the_named_ones():
    prepared = PreparedQuery(lambda user_id: User.objects.filter(pk=user_id), "user_id")
    with pytest.raises(TypeError):
        prepared.rows(pk=1)
