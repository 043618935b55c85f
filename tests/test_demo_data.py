"""`manage.py demo_data` (run by `make run`): idempotent, and the README's accounts sign in."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kosodate.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from kosodate.core import selectors
from kosodate.core.demo import demo_data_load
from kosodate.core.models import Announcement, MaintenanceWindow, OutboundMessage

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_running_it_twice_creates_nothing_more(capsys):
    call_command("demo_data")
    first = _row_counts()
    call_command("demo_data")
    assert _row_counts() == first
    # Every persona once (apps add their own demo accounts, e.g. the consultations' professionals).
    assert first["accounts.User"] >= len(DEMO_ACCOUNTS)


def test_it_prints_the_url_the_outbox_and_every_account(capsys):
    call_command("demo_data", url="http://127.0.0.1:8123/")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8123/" in out
    assert "http://127.0.0.1:8123/dev/outbox/" in out
    assert DEMO_PASSWORD in out
    for account in DEMO_ACCOUNTS:
        assert account.email in out


def test_the_readme_documents_every_demo_account_and_the_password(settings):
    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    assert DEMO_PASSWORD in readme
    for account in DEMO_ACCOUNTS:
        assert account.email in readme


def test_every_demo_account_signs_in_with_the_documented_password(client):
    demo_data_load()
    for account in DEMO_ACCOUNTS:
        # A resident's username is the 9-digit member number (the help page's); staff's a name.
        username = account.member_number or account.username
        assert client.login(username=username, password=DEMO_PASSWORD), account.label
        client.logout()


def test_the_resident_signs_in_through_the_sign_in_form(client):
    demo_data_load()
    response = client.post(
        reverse("account_login"), {"login": "hanako@example.jp", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id")


def test_it_shows_each_kind_of_announcement_and_an_upcoming_maintenance():
    demo_data_load()
    current = list(selectors.announcements_current())
    assert {a.importance for a in current} == set(Announcement.Importance.values)
    now = timezone.now()
    assert Announcement.objects.filter(starts_at__gt=now).exists()  # not shown yet
    assert Announcement.objects.filter(ends_at__lte=now).exists()  # ended
    (window,) = selectors.maintenance_upcoming()
    assert timedelta(days=6) < window.starts_at - now < timedelta(days=8)
    assert selectors.maintenance_active() is None
    assert OutboundMessage.objects.filter(recipient="hanako@example.jp").exists()


def test_an_aged_demo_database_never_turns_the_announced_maintenance_into_a_real_one():
    demo_data_load()
    eight_days_later = timezone.now() + timedelta(days=8)
    demo_data_load(now=eight_days_later)
    window = MaintenanceWindow.objects.get()
    assert window.starts_at > eight_days_later + timedelta(days=6)
    assert MaintenanceWindow.objects.count() == 1


def test_the_facility_staff_persona_runs_the_event_its_centre_organises(client):
    """hoiku's centre organises 親子リトミック: hoiku runs it from the back office and sees no
    other event (issue 10.2)."""
    from kosodate.accounts.models import User
    from kosodate.events.models import Event

    demo_data_load()
    event = Event.objects.get(title="親子リトミック")
    assert event.organiser is not None
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    hoiku = User.objects.get(email="hoiku@example.jp")
    TOTP.activate(hoiku, generate_totp_secret())  # the back office asks for an app first
    client.force_login(hoiku)
    listed = client.get(reverse("events_staff:list")).text
    assert "親子リトミック" in listed and "ベビーマッサージ" not in listed
    assert client.get(reverse("events_staff:detail", args=[event.pk])).status_code == 200
    other = Event.objects.exclude(pk=event.pk).first()
    assert client.get(reverse("events_staff:detail", args=[other.pk])).status_code == 404
