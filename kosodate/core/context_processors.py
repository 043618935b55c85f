from django.conf import settings

from .selectors import municipality_get


def site(request):
    municipality = municipality_get()
    return {
        "municipality": municipality,
        "DEBUG": settings.DEBUG,
        "SITE_URL": settings.SITE_URL,
    }
