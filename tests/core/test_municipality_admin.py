"""The municipality profile and rules: one row, edited by a system administrator in the Django
admin, grouped and explained, and shown on the next page at once (the cache is cleared)."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from kosodate.core import selectors
from kosodate.core.models import AuditLog, Municipality

pytestmark = pytest.mark.django_db

CHANGE_URL = reverse("admin:core_municipality_change", args=[Municipality.SINGLETON_ID])


def _form_data(municipality, **changes):
    data = {k: v for k, v in model_to_dict(municipality).items() if k != "id"}
    data.update(changes)
    # Unticked checkboxes are simply not sent.
    return {k: ("on" if v is True else v) for k, v in data.items() if v is not False}


def test_the_list_opens_the_one_row(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:core_municipality_changelist"))
    assert response.status_code == 302
    assert response["Location"] == CHANGE_URL


def test_there_is_only_ever_one_row(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:core_municipality_add")).status_code == 403
    delete_url = reverse("admin:core_municipality_delete", args=[Municipality.SINGLETON_ID])
    assert client.get(delete_url).status_code == 403


def test_the_form_is_grouped_and_explained(client, admin_user):
    client.force_login(admin_user)
    body = client.get(CHANGE_URL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    for heading in ("基本情報", "窓口", "サービス", "アカウントのルール"):
        assert f">{heading}</h2>" in body
    assert "アカウントをロックするまでの、連続したログイン失敗の回数（3〜10回）。" in body


def test_a_change_shows_on_the_next_page_and_is_logged(client, admin_user, municipality):
    assert selectors.municipality_get().counter_phone == "03-0000-1234"  # now cached
    client.force_login(admin_user)
    response = client.post(
        CHANGE_URL, _form_data(municipality, counter_phone="０３－９９９９－０００１")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert selectors.municipality_get().counter_phone == "03-9999-0001"  # NFKC, and fresh
    assert "03-9999-0001" in client.get("/").content.decode()
    entry = AuditLog.objects.get(action="municipality.update")
    assert entry.actor == admin_user
    assert entry.detail == {"fields": ["counter_phone"]}


def test_rule_values_out_of_range_are_refused(client, admin_user, municipality):
    client.force_login(admin_user)
    response = client.post(CHANGE_URL, _form_data(municipality, lockout_minutes=90))
    assert response.status_code == 200
    assert "lockout_minutes" in response.context["adminform"].form.errors
    municipality.refresh_from_db()
    assert municipality.lockout_minutes == 30


def test_staff_without_admin_rights_cannot_open_it(client, municipal_staff):
    client.force_login(municipal_staff)
    response = client.get(CHANGE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
