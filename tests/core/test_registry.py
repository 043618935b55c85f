"""Apps register themselves (kosodate.core.registry): My Page, the staff menu, the resident menu
and demo_data iterate the registry, and the shells that show them import no service app."""

import ast
from pathlib import Path

import pytest
from django.core.cache import cache
from django.template import Template
from django.urls import reverse

from kosodate.core import registry
from kosodate.core.access import MUNICIPAL
from kosodate.core.selectors import MUNICIPALITY_CACHE_KEY

pytestmark = pytest.mark.django_db

KOSODATE = Path(__file__).resolve().parents[2] / "kosodate"
SERVICE_APPS = ("childcare", "events", "health", "familysupport", "consultations")


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_app():
    for path in (KOSODATE / "core").rglob("*.py"):
        for module in _imported_modules(path):
            parts = module.split(".")
            assert not (parts[0] == "kosodate" and len(parts) > 1 and parts[1] != "core"), (
                f"{path.relative_to(KOSODATE)} imports {module}"
            )


@pytest.mark.parametrize(
    "shell", ["accounts/views_mypage.py", "backoffice/navigation.py", "backoffice/views.py"]
)
def test_my_page_and_the_staff_menu_import_no_service_app(shell):
    for module in _imported_modules(KOSODATE / shell):
        assert not any(module.startswith(f"kosodate.{app}") for app in SERVICE_APPS), module


@pytest.fixture
def extra_service():
    """A service app as it registers itself: a switch, a My Page panel, menu entries."""
    registry.register_service(
        registry.ServiceSwitch(
            key="testservice",
            flag="consultations_enabled",
            name="Test service",
            description="For the registry test.",
            url_name="announcement_list",
        )
    )
    registry.register_mypage_panel(
        registry.MyPagePanel(
            key="testservice",
            # A template object, not a file: {% include %} renders either, and changing the TEMPLATES
            # setting for one test left the file unfound when another test had built the engines.
            template=Template(
                '{% for item in panel.items %}<li class="card test-panel">{{ item }}</li>{% endfor %}'
            ),
            context=lambda request: {"items": [f"panel for {request.user.email}"]},
            section="bookings",
            service="testservice",
            link_label="All my test things",
            link_url_name="announcement_list",
        )
    )
    registry.register_staff_menu_entry(
        registry.StaffMenuEntry(
            key="testservice",
            label="Test queue",
            url_name="backoffice:announcement_list",
            roles=MUNICIPAL,
            service="testservice",
        )
    )
    registry.register_resident_menu_entry(
        registry.ResidentMenuEntry(
            key="testservice",
            label="Test service",
            url_name="announcement_list",
            service="testservice",
        )
    )
    yield
    for table in ("_services", "_mypage_panels", "_staff_menu", "_resident_menu"):
        getattr(registry, table).pop("testservice", None)


def _switch(municipality, flag, on):
    setattr(municipality, flag, on)
    municipality.save()
    cache.delete(MUNICIPALITY_CACHE_KEY)


def test_a_registered_service_appears_on_my_page_and_in_the_menus_while_switched_on(
    client, municipality, resident, municipal_staff, facility_staff, extra_service
):
    client.force_login(resident)
    page = client.get(reverse("mypage")).content.decode()
    section = page.split('id="bookings-title"', 1)[1].split("</section>", 1)[0]
    assert "panel for hanako@example.jp" in section
    assert "All my test things" in section
    assert "予定されている予約はありません" not in section
    assert [e.key for e in registry.resident_menu_entries(municipality)][-1] == "testservice"
    assert "testservice" in [s.key for s in municipality.enabled_services]

    client.force_login(municipal_staff)
    nav = client.get(reverse("backoffice:dashboard")).content.decode()
    assert "Test queue" in nav
    client.force_login(facility_staff)
    assert "Test queue" not in client.get(reverse("backoffice:dashboard")).content.decode()

    _switch(municipality, "consultations_enabled", False)
    client.force_login(resident)
    assert "panel for" not in client.get(reverse("mypage")).content.decode()
    assert "testservice" not in [e.key for e in registry.resident_menu_entries(municipality)]
    client.force_login(municipal_staff)
    assert "Test queue" not in client.get(reverse("backoffice:dashboard")).content.decode()


def test_the_installed_apps_register_their_services_and_demo_loaders():
    keys = [s.key for s in registry.services()]
    assert [key for key in keys if key in ("childcare", "events", "health")] == [
        "childcare",
        "events",
        "health",
    ]
    keys = [loader.key for loader in registry.demo_data_loaders()]
    assert keys[0] == "municipality"
    assert keys.index("accounts") < keys.index("foundation") < keys.index("health")
    assert set(keys) >= {"health", "events", "childcare", "consultations", "familysupport"}


def test_my_page_shows_three_upcoming_things_what_needs_action_first(
    client, municipality, resident, extra_service
):
    """Issue 12 item 10: every panel's UpcomingItems merged; what needs the family's action first
    (soonest deadline first), then by date; three shown, the rest counted."""
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()

    def item(title, days, **extra):
        return registry.UpcomingItem(
            when=now + timedelta(days=days), kind="Test", title=title, url="/x/", **extra
        )

    items = [
        item("later", 9),
        item("soon", 1),
        item("offer", 20, needs_action=True, action="Accept", deadline=now + timedelta(days=2)),
        item("next", 2),
        item("report", 30, needs_action=True, action="Confirm", deadline=now + timedelta(hours=5)),
    ]
    panel = registry._mypage_panels["testservice"]
    registry.register_mypage_panel(
        registry.MyPagePanel(
            key="testservice",
            template="",
            context=panel.context,
            section="bookings",
            service="testservice",
            link_label="All my test things",
            link_url_name="announcement_list",
            upcoming=lambda request: items,
        )
    )
    from types import SimpleNamespace

    shown, total = registry.mypage_upcoming(SimpleNamespace(user=resident), municipality)
    assert [i.title for i in shown] == ["report", "offer", "soon"]
    assert total == 5

    client.force_login(resident)
    page = client.get(reverse("mypage")).content.decode()
    section = page.split('id="bookings-title"', 1)[1].split("</section>", 1)[0]
    assert section.count('<li class="card') == 3
    assert section.index("report") < section.index("offer") < section.index("soon")
    assert "later" not in section and "next" not in section
    assert "ほかに 2 件あります" in section
    assert "All my test things" in section
