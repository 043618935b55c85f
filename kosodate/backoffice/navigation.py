"""The staff portal's menu: the entries every app registers (kosodate.core.registry,
StaffMenuEntry), those the user may open (the views check again with back_office_required) for
the services switched on. This module imports no app."""

from django.urls import reverse

from kosodate.core import registry
from kosodate.core.selectors import municipality_get

DASHBOARD_URL_NAME = "backoffice:dashboard"


def navigation_for(user, current_path: str) -> list[dict]:
    """The entries `user` may open; the one containing `current_path` is marked current (the
    longest match: /staff/accounts/auth-events/ is its own entry, not "Residents")."""
    items = []
    for entry in registry.staff_menu_entries(user, municipality_get()):
        url = reverse(entry.url_name)
        is_root = entry.url_name == DASHBOARD_URL_NAME
        matches = current_path == url if is_root else current_path.startswith(url)
        items.append({"label": entry.label, "url": url, "current": matches})
    matching = [item for item in items if item["current"]]
    if len(matching) > 1:
        longest = max(matching, key=lambda item: len(item["url"]))
        for item in matching:
            item["current"] = item is longest
    return items
