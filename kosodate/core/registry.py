"""What each app contributes to the shared pages, registered from its `AppConfig.ready()`, so that
the top page, My Page, the signed-in menu, the staff menu and `manage.py demo_data` iterate this
registry and import no app. A new service appears everywhere by adding its app to
INSTALLED_APPS. The API, with examples, is in docs/architecture.md ("The registry").

    class FamilySupportConfig(AppConfig):
        name = "kosodate.familysupport"

        def ready(self):
            from kosodate.core import registry
            from . import mypage, demo
            registry.register_service(registry.ServiceSwitch(key="familysupport", ...))
            registry.register_mypage_panel(registry.MyPagePanel(key="familysupport", ...))
            ...

Registration is idempotent by key (a second `ready()`, as tests may cause, replaces the entry), and
every listing is sorted by `order`, then key."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.functional import Promise

from .access import has_role

Label = str | Promise


@dataclass(frozen=True)
class ServiceSwitch:
    """A service a municipality can switch on or off: `flag` names the Municipality boolean field
    that holds the switch. A switched-off service is hidden from the top page, the menus and My
    Page, and every page under `paths` answers 404 (core.middleware.ServiceSwitchMiddleware)."""

    key: str
    flag: str
    name: Label
    description: Label
    url_name: str  # the residents' start page
    paths: tuple[str, ...] = ()  # path prefixes of its pages, residents' and staff's
    order: int = 100


@dataclass(frozen=True)
class UpcomingItem:
    """One thing ahead for the family, for My Page's "Upcoming" list, which shows the first
    three across every service: those needing the family's action first (by their deadline),
    then the rest by `when` (issue 12 item 10)."""

    when: datetime  # when it happens (aware)
    kind: Label  # the service's name ("一時預かり")
    title: str
    url: str
    status: Label = ""
    needs_action: bool = False
    action: Label = ""  # what to do, with its deadline ("Accept the place by 12-07 18:00")
    deadline: datetime | None = None


@dataclass(frozen=True)
class MyPagePanel:
    """Something on My Page. `context(request)` returns the template's context (under the name
    `panel`, e.g. `panel.items`), or None to show nothing this time.

    section="bookings": the panel's template renders `<li>` cards inside My Page's "Upcoming
    bookings" list, from `panel.items` (the section says "no upcoming bookings" when every such
    panel's items are empty); section="own": the template renders a whole `<section>` of its own.
    `link_label`/`link_url_name`: a line in the "Upcoming bookings" section's list of links
    ("All my event applications"). `service`: the ServiceSwitch key; the panel shows only while
    that service is switched on.

    `upcoming(request)`: the family's things ahead as UpcomingItems; My Page merges every
    panel's into one short list (the next three, what needs action first) with each panel's
    link to see all. A "bookings" panel with `upcoming` needs no template ("")."""

    key: str
    template: Any  # a template name or Template ("" for a panel that only gives `upcoming`)
    context: Callable[[Any], dict | None]
    section: str = "own"
    service: str | None = None
    link_label: Label | None = None
    link_url_name: str | None = None
    order: int = 100
    upcoming: Callable[[Any], list[UpcomingItem]] | None = None


@dataclass(frozen=True)
class StaffMenuEntry:
    """An entry of the back office's menu, shown to the `roles` that may open it (None: every
    back-office role; the views check again). `service`: hidden while that service is off.
    `allowed(user)`: a finer rule of the app's own, asked after the roles (e.g. municipal staff
    see consultations only once given the role there); the views check the same rule."""

    key: str
    label: Label
    url_name: str
    roles: tuple[str, ...] | None = None
    allowed: Callable[[Any], bool] | None = None
    service: str | None = None
    superuser_only: bool = False
    order: int = 100


@dataclass(frozen=True)
class ResidentMenuEntry:
    """An entry of the signed-in resident's menu (and the top page's list of services).
    `service`: hidden while that service is off."""

    key: str
    label: Label
    url_name: str
    service: str | None = None
    order: int = 100


@dataclass
class DemoContext:
    """What demo loaders share: `now`, the demo users by username (filled by accounts' loader:
    "hanako", "taro", "hoiku", "shokuin", "admin"), and the accounts to print."""

    now: datetime
    users: dict[str, Any] = field(default_factory=dict)
    accounts: list[tuple[str, str]] = field(default_factory=list)  # (label, email)
    password: str = ""


@dataclass(frozen=True)
class DemoData:
    """A loader for `manage.py demo_data`: `load(context)`, idempotent, runs inside the command's
    transaction in `order` (core's municipality 10, accounts' users 20, core's announcements 30;
    services from 40)."""

    key: str
    load: Callable[[DemoContext], None]
    order: int = 100


_services: dict[str, ServiceSwitch] = {}
_mypage_panels: dict[str, MyPagePanel] = {}
_staff_menu: dict[str, StaffMenuEntry] = {}
_resident_menu: dict[str, ResidentMenuEntry] = {}
_demo_data: dict[str, DemoData] = {}


def _sorted[T](entries: Iterable[T]) -> list[T]:
    return sorted(entries, key=lambda entry: (entry.order, entry.key))  # type: ignore[attr-defined]


def register_service(service: ServiceSwitch) -> None:
    _services[service.key] = service


def register_mypage_panel(panel: MyPagePanel) -> None:
    if panel.section not in ("own", "bookings"):
        raise ValueError(f"MyPagePanel {panel.key}: section must be 'own' or 'bookings'")
    _mypage_panels[panel.key] = panel


def register_staff_menu_entry(entry: StaffMenuEntry) -> None:
    _staff_menu[entry.key] = entry


def register_resident_menu_entry(entry: ResidentMenuEntry) -> None:
    _resident_menu[entry.key] = entry


def register_demo_data(loader: DemoData) -> None:
    _demo_data[loader.key] = loader


def services() -> list[ServiceSwitch]:
    """Every installed service, whether switched on or not."""
    return _sorted(_services.values())


def service_get(key: str) -> ServiceSwitch | None:
    return _services.get(key)


def service_on(municipality, key: str | None) -> bool:
    """Whether the service `key` is installed and switched on (True for key None: not a
    service's entry)."""
    if key is None:
        return True
    service = _services.get(key)
    return service is not None and bool(getattr(municipality, service.flag, False))


def mypage_panels(municipality) -> list[MyPagePanel]:
    return [p for p in _sorted(_mypage_panels.values()) if service_on(municipality, p.service)]


def mypage_upcoming(request, municipality, *, limit: int = 3) -> tuple[list[UpcomingItem], int]:
    """The first `limit` things ahead across the services switched on, what needs action first
    (soonest deadline first), then by date; and how many there are in all."""
    items: list[UpcomingItem] = []
    for panel in mypage_panels(municipality):
        if panel.upcoming is not None:
            items.extend(panel.upcoming(request))
    items.sort(
        key=lambda item: (
            not item.needs_action,
            item.deadline or item.when if item.needs_action else item.when,
        )
    )
    return items[:limit], len(items)


def staff_menu_entries(user, municipality) -> list[StaffMenuEntry]:
    """The entries `user` may open, for the services switched on."""
    entries = []
    for entry in _sorted(_staff_menu.values()):
        if entry.superuser_only and not (user.is_superuser and user.is_staff):
            continue
        if not has_role(user, entry.roles) or not service_on(municipality, entry.service):
            continue
        if entry.allowed is not None and not entry.allowed(user):
            continue
        entries.append(entry)
    return entries


def resident_menu_entries(municipality) -> list[ResidentMenuEntry]:
    return [e for e in _sorted(_resident_menu.values()) if service_on(municipality, e.service)]


def demo_data_loaders() -> list[DemoData]:
    return _sorted(_demo_data.values())
