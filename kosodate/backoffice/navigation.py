"""The staff portal's menu. Each domain adds its entry here when it adds staff pages; an entry
shows only to the roles that may open it (the views check again with back_office_required)."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from kosodate.accounts.models import User
from kosodate.accounts.staff_views import STAFF_MENU_AUTH_EVENTS, STAFF_MENU_RESIDENTS
from kosodate.childcare.staff_views import STAFF_MENU_CHILDCARE
from kosodate.core.selectors import municipality_get
from kosodate.events.staff_views import STAFF_MENU_EVENTS
from kosodate.health.staff_views import STAFF_MENU_HEALTH

from .access import user_has_role

MUNICIPAL = (User.Role.MUNICIPAL_STAFF,)


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: tuple[str, ...] | None = None  # None: every back-office role
    superuser_only: bool = False


NAVIGATION = (
    NavItem(pgettext_lazy("staff menu", "Dashboard"), "backoffice:dashboard"),
    NavItem(
        pgettext_lazy("staff menu", "Announcements"),
        "backoffice:announcement_list",
        roles=MUNICIPAL,
    ),
    NavItem(
        pgettext_lazy("staff menu", "Maintenance"), "backoffice:maintenance_list", roles=MUNICIPAL
    ),
    NavItem(STAFF_MENU_RESIDENTS, "staff_accounts_search", roles=MUNICIPAL),
    NavItem(STAFF_MENU_AUTH_EVENTS, "staff_accounts_auth_events", roles=MUNICIPAL),
    NavItem(STAFF_MENU_HEALTH, "staff_health_notice_list", roles=MUNICIPAL),
    NavItem(
        STAFF_MENU_CHILDCARE,
        "childcare_staff:index",
        roles=(User.Role.MUNICIPAL_STAFF, User.Role.FACILITY_STAFF),
    ),
    NavItem(
        STAFF_MENU_EVENTS,
        "events_staff:list",
        roles=(User.Role.MUNICIPAL_STAFF, User.Role.FACILITY_STAFF),
    ),
    NavItem(
        pgettext_lazy("staff menu", "System administration"), "admin:index", superuser_only=True
    ),
)


def navigation_for(user, current_path: str) -> list[dict]:
    """The entries `user` may open; the one containing `current_path` is marked current (the
    longest match: /staff/accounts/auth-events/ is its own entry, not "Residents")."""
    items = []
    switched_off = municipality_get().disabled_service_paths()
    for item in NAVIGATION:
        if item.superuser_only and not (user.is_superuser and user.is_staff):
            continue
        if not user_has_role(user, item.roles):
            continue
        url = reverse(item.url_name)
        if switched_off and url.startswith(switched_off):
            continue
        is_root = item.url_name == "backoffice:dashboard"
        matches = current_path == url if is_root else current_path.startswith(url)
        items.append({"label": item.label, "url": url, "current": matches})
    matching = [item for item in items if item["current"]]
    if len(matching) > 1:
        longest = max(matching, key=lambda item: len(item["url"]))
        for item in matching:
            item["current"] = item is longest
    return items
