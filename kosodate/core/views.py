from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_safe

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
