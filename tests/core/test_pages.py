import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_shows_municipality_and_entry_points(client, municipality):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "こもれび市" in body
    assert reverse("account_login") in body
    assert reverse("register_start") in body
