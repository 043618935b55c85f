from functools import cache

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from . import registry
from .selectors import municipality_get, notifications_unread_count


def site(request):
    municipality = municipality_get()
    context = {
        "municipality": municipality,
        "DEBUG": settings.DEBUG,
        "SITE_URL": settings.SITE_URL,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and not user.is_back_office:
        # The menu's unread count: a callable (templates call it), so the COUNT runs only when a
        # page renders the menu, once.
        context["notifications_unread"] = cache(lambda: notifications_unread_count(user=user))
        context["resident_menu"] = _resident_menu(request, municipality)
    return context


def _resident_menu(request, municipality) -> list[dict]:
    """The signed-in resident's menu: every service switched on, as each app registered it
    (registry.ResidentMenuEntry); `current` when this page belongs to that service."""
    entries = []
    for entry in registry.resident_menu_entries(municipality):
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue  # an app whose URLs this deployment does not include
        service = registry.service_get(entry.service) if entry.service else None
        prefixes = (service.paths if service else ()) or (url,)
        current = any(
            request.path.startswith(prefix)
            for prefix in prefixes
            if not prefix.startswith("/staff/")
        )
        entries.append({"label": entry.label, "url": url, "current": current})
    return entries
