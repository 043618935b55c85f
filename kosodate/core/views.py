import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.http import require_safe
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from . import selectors


@require_safe
def home(request):
    return render(
        request,
        "core/home.html",
        {
            "announcements": selectors.announcements_current()[:10],
            "maintenance_upcoming": selectors.maintenance_upcoming(),
            "maintenance_now": selectors.maintenance_active(),
        },
    )


@require_safe
def announcement_list(request):
    return render(
        request,
        "core/announcement_list.html",
        {"announcements": selectors.announcements_current()},
    )


@require_safe
def announcement_detail(request, pk: int):
    return render(
        request,
        "core/announcement_detail.html",
        {"announcement": selectors.announcement_get_public(pk=pk)},
    )


def csrf_failure(request, reason=""):
    """A request without cookies gets a plain explanation instead of Django's bare CSRF page."""
    return render(
        request,
        "core/csrf_failure.html",
        {"no_cookie": not request.COOKIES},
        status=403,
    )


def dev_only(view):
    def wrapped(request, *args, **kwargs):
        if not settings.DEBUG:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@require_safe
def manifest(request):
    """The web app manifest, in the visitor's language, so the site can sit on a phone's home
    screen like a dedicated app."""
    municipality = selectors.municipality_get()
    data = {
        "name": f"{municipality.display_system_name} – {municipality.display_name}",
        "short_name": municipality.display_system_name,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0031d8",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            # Android crops home-screen icons to its own shape: full-bleed artwork for that.
            {
                "src": static("icons/icon-maskable-192.png"),
                "sizes": "192x192",
                "type": "image/png",
                "purpose": "maskable",
            },
            {
                "src": static("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


# The errors that mean "a server could not be reached or the connection broke", as opposed to a
# bug: a restart or failover of PostgreSQL, a connection ended by the server, Redis restarting.
_UNREACHABLE = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)


def server_error(request):
    """handler500. A request that failed because the database (or Redis) was briefly unreachable
    gets a 503 page that says to try again (with Retry-After), rendered without touching either;
    any other error keeps Django's plain 500. Each request runs in its own transaction or none, so a
    failed request has written nothing half-way."""
    error = sys.exc_info()[1]
    if isinstance(error, _UNREACHABLE):
        # After a POST, the same address shows the form again (a GET never changes anything).
        html = get_template("core/retry_503.html").render({"retry_url": request.get_full_path()})
        response = HttpResponse(html, status=503)
        response["Retry-After"] = "5"
        response["Cache-Control"] = "no-store"
        return response
    return defaults.server_error(request)
