"""The site's URLs plus /bench/bare/: a view doing nothing, behind the same middleware, as the
framework's ceiling on this machine."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *site_urlpatterns]
