"""Another resident gets a 404 on everything of yours (issue 3, "Done when"; ARCHITECTURE.md habit
2). Walks every My Page URL: each one that takes an object id must answer 404 (GET and POST) to
anyone outside the object's household and leave the object unchanged; the pages without an id
show only the signed-in person's own data. The counter's URLs (/staff/accounts/) refuse residents
altogether (tests/accounts/test_counter.py)."""

import pytest
from django.urls import URLPattern, reverse

from kosodate.accounts import views_mypage
from kosodate.accounts.models import Child
from kosodate.core.models import AuditLog
from tests.factories import ChildFactory, HouseholdFactory

from .test_mypage import reauthenticate

pytestmark = pytest.mark.django_db

# My Page URLs that take the id of a child: the only objects My Page addresses by id. A new
# URL with an id must be added here (the walk below fails until it is).
CHILD_ID_URLS = {"mypage_child_edit", "mypage_child_remove"}


@pytest.fixture
def yamada_child(resident):
    household = HouseholdFactory()
    resident.household = household
    resident.save()
    return ChildFactory(household=household, first_name="さくら", allergies="卵")


def mypage_patterns() -> list[URLPattern]:
    return [p for p in views_mypage.urlpatterns if isinstance(p, URLPattern)]


def test_every_my_page_url_with_an_id_is_known():
    with_id = {p.name for p in mypage_patterns() if p.pattern.converters}
    assert with_id == CHILD_ID_URLS


@pytest.mark.parametrize("name", sorted(CHILD_ID_URLS))
@pytest.mark.parametrize("other_has_household", [True, False])
def test_another_resident_gets_404_for_my_child(
    client, yamada_child, other_resident, name, other_has_household
):
    if other_has_household:
        other_resident.household = HouseholdFactory()
        other_resident.save()
    client.force_login(other_resident)
    url = reverse(name, args=[yamada_child.pk])
    assert client.get(url).status_code == 404
    response = client.post(
        url,
        {
            "last_name": "佐藤",
            "first_name": "たろう",
            "last_name_kana": "サトウ",
            "first_name_kana": "タロウ",
            "birth_date": "2022-01-01",
            "sex": "male",
        },
    )
    assert response.status_code == 404
    yamada_child.refresh_from_db()
    assert (yamada_child.first_name, yamada_child.household_id) == (
        "さくら",
        yamada_child.household_id,
    )
    assert not AuditLog.objects.filter(action__startswith="child.").exists()


@pytest.mark.parametrize("name", sorted(CHILD_ID_URLS))
def test_a_missing_id_is_404_too(client, yamada_child, resident, name):
    client.force_login(resident)
    assert client.get(reverse(name, args=[yamada_child.pk + 1000])).status_code == 404


def test_pages_without_an_id_show_only_my_own_data(client, yamada_child, resident, other_resident):
    other_resident.household = HouseholdFactory(street="9-9-9 よそのマンション")
    other_resident.save()
    ChildFactory(household=other_resident.household, first_name="じろう", allergies="そば")
    client.force_login(resident)
    reauthenticate(client)  # so the downloads answer with their data, not the password page
    for pattern in mypage_patterns():
        if pattern.pattern.converters or pattern.name in {
            "mypage_details_confirm",  # POST only
            "mypage_deleted",  # no personal data
        }:
            continue
        response = client.get(reverse(pattern.name), follow=True)
        assert response.status_code == 200, pattern.name
        text = response.content.decode()
        assert "じろう" not in text and "そば" not in text, pattern.name
        assert "よそのマンション" not in text, pattern.name
        assert other_resident.email not in text, pattern.name
        assert other_resident.member_number not in text, pattern.name
    assert Child.objects.filter(first_name="じろう").exists()
