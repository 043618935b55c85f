from functools import cache

from django.conf import settings

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
    return context
