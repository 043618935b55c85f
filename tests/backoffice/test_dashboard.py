"""The staff portal's shell: who may open /staff/, what the menu offers each role, and the
dashboard's counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kosodate.core import services
from kosodate.core.models import OutboundMessage

from ..factories import AnnouncementFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("backoffice:dashboard")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_visitors_are_sent_to_sign_in_and_back(client, municipality):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={DASHBOARD}"


def test_residents_are_told_the_page_is_for_staff(client, resident):
    client.force_login(resident)
    response = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 403
    assert "このページは職員専用です" in response.content.decode()
    assert "backoffice-nav" not in response.content.decode()


def test_supporters_get_403(client, municipality):
    client.force_login(UserFactory(role="supporter"))
    assert client.get(DASHBOARD).status_code == 403


def test_a_deactivated_staff_account_is_signed_out(client, municipal_staff):
    client.force_login(municipal_staff)
    municipal_staff.is_active = False
    municipal_staff.save(update_fields=["is_active"])
    assert client.get(DASHBOARD).status_code == 302


def _menu(response) -> list[str]:
    nav = response.content.decode().split('class="backoffice-nav"', 1)[1].split("</nav>", 1)[0]
    return [href for href in nav.split('href="')[1:] for href in [href.split('"', 1)[0]]]


def test_facility_staff_see_the_dashboard_without_municipal_tools(client, facility_staff):
    client.force_login(facility_staff)
    response = client.get(DASHBOARD, **EN)
    assert response.status_code == 200
    assert _menu(response) == [
        DASHBOARD,
        reverse("childcare_staff:index"),
    ]
    body = response.content.decode()
    assert reverse("backoffice:announcement_list") not in body
    assert "could not be delivered" not in body


def test_municipal_staff_see_their_tools(client, municipal_staff):
    client.force_login(municipal_staff)
    response = client.get(DASHBOARD)
    assert _menu(response) == [
        DASHBOARD,
        reverse("backoffice:announcement_list"),
        reverse("backoffice:maintenance_list"),
        reverse("staff_accounts_search"),
        reverse("staff_accounts_auth_events"),
        reverse("staff_health_notice_list"),
        reverse("childcare_staff:index"),
        reverse("events_staff:list"),
        reverse("backoffice:audit_list"),
    ]
    assert 'aria-current="page"' in response.content.decode().split("backoffice-nav")[1]


def test_the_family_support_entry_is_the_advisors_only(client, municipal_staff):
    """ファミサポ's back office is its advisors' (an assignment, not a role): other municipal
    staff do not see the entry, an assigned advisor does, right after the childcare entry."""
    from kosodate.familysupport.models import Advisor

    client.force_login(municipal_staff)
    assert reverse("familysupport_staff:index") not in _menu(client.get(DASHBOARD))
    Advisor.objects.create(user=municipal_staff)
    menu = _menu(client.get(DASHBOARD))
    position = menu.index(reverse("familysupport_staff:index"))
    assert menu[position - 1] == reverse("childcare_staff:index")
    Advisor.objects.filter(user=municipal_staff).update(active=False)
    assert reverse("familysupport_staff:index") not in _menu(client.get(DASHBOARD))


def test_system_administrators_also_get_the_admin(client, admin_user):
    client.force_login(admin_user)
    assert _menu(client.get(DASHBOARD))[-1] == reverse("admin:index")


def test_the_current_page_is_marked_in_the_menu(client, municipal_staff):
    client.force_login(municipal_staff)
    body = client.get(reverse("backoffice:announcement_create")).content.decode()
    nav = body.split('class="backoffice-nav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{reverse("backoffice:announcement_list")}" aria-current="page"' in nav
    assert f'href="{DASHBOARD}" aria-current' not in nav


def test_the_auth_event_log_is_its_own_menu_entry(client, municipal_staff):
    client.force_login(municipal_staff)
    body = client.get(reverse("staff_accounts_auth_events"), **EN).content.decode()
    nav = body.split('class="backoffice-nav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{reverse("staff_accounts_auth_events")}" aria-current="page"' in nav
    assert "Authentication events" in nav
    # Only the longest match is current: not "Residents" (/staff/accounts/) as well.
    assert f'href="{reverse("staff_accounts_search")}" aria-current' not in nav
    body = client.get(reverse("staff_accounts_search")).content.decode()
    nav = body.split('class="backoffice-nav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{reverse("staff_accounts_search")}" aria-current="page"' in nav


def test_the_dashboard_counts(client, municipal_staff):
    AnnouncementFactory.create_batch(3)
    AnnouncementFactory(published=False)
    starts_at = timezone.now() + timedelta(days=2)
    services.maintenance_window_create(
        actor=municipal_staff, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)
    )
    OutboundMessage.objects.create(
        channel=OutboundMessage.Channel.EMAIL,
        recipient="hanako@example.jp",
        body="本文",
        status=OutboundMessage.Status.FAILED,
    )
    client.force_login(municipal_staff)
    body = client.get(DASHBOARD, **EN).content.decode()
    assert "3 announcements on the top page now" in body
    assert timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M") in body
    assert "1 message could not be delivered" in body

    ja = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "現在トップページに表示中のお知らせ：3件" in ja
    assert "届かなかったメッセージ：1件" in ja


def test_the_dashboard_warns_while_maintenance_is_on(client, municipal_staff):
    services.maintenance_window_create(
        actor=None, starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=1)
    )
    client.force_login(municipal_staff)
    body = client.get(DASHBOARD, **EN).content.decode()
    assert "Maintenance is under way" in body


def test_the_dashboard_takes_a_fixed_number_of_queries(client, municipal_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(DASHBOARD).status_code == 200
        return len(context)

    client.force_login(municipal_staff)
    AnnouncementFactory.create_batch(2)
    client.get(DASHBOARD)
    few = queries()
    AnnouncementFactory.create_batch(20)
    for days in range(1, 6):
        starts_at = timezone.now() + timedelta(days=days)
        services.maintenance_window_create(
            actor=None, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)
        )
    client.get(DASHBOARD)  # the maintenance lookup is cached again
    assert queries() == few


def test_the_system_check_says_registration_is_closed_until_terms_are_published(municipality):
    """`check --database default` (and migrate) warn while no terms are in effect."""
    from django.core import checks

    from ..factories import TermsVersionFactory

    found = [m.id for m in checks.run_checks(databases=["default"])]
    assert "kosodate.accounts.W001" in found
    assert "kosodate.accounts.W001" not in [
        m.id for m in checks.run_checks()
    ]  # a bare `check`: no query
    TermsVersionFactory(effective_at=timezone.now() + timedelta(days=1))
    assert "kosodate.accounts.W001" in [m.id for m in checks.run_checks(databases=["default"])]
    TermsVersionFactory(effective_at=timezone.now() - timedelta(minutes=1))
    assert "kosodate.accounts.W001" not in [m.id for m in checks.run_checks(databases=["default"])]


def test_municipal_staff_see_a_setup_problem_on_the_dashboard(client, municipal_staff):
    client.force_login(municipal_staff)
    body = client.get(DASHBOARD, **EN).content.decode()
    assert "Registration is closed" in body
    add_url = reverse("admin:accounts_termsversion_add")
    assert f'href="{add_url}"' not in body  # not an administrator: no link to the admin
