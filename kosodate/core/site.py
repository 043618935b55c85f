"""The service's own address, from one place: settings.SITE_URL (`make run` sets it from HOST and
PORT; a deployment sets it to the official address). Emails, calendar files and pages name this
address, never the host a request happened to arrive on (another port, a proxy's name)."""

from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(path: str = "/") -> str:
    """`path` (from reverse(), or a full URL whose host is replaced) on the official address."""
    parts = urlsplit(path)
    relative = parts.path or "/"
    if parts.query:
        relative += "?" + parts.query
    if parts.fragment:
        relative += "#" + parts.fragment
    return settings.SITE_URL.rstrip("/") + relative


def local_next(request, url: str | None, default: str) -> str:
    """`url` (a `next=` value from the request) when it is a path on this site, else `default`.
    Only an absolute path is taken: a bare word ("1-1") would be read by redirect() as a URL
    name, and anything with a host or scheme is a way off the site."""
    from django.utils.http import url_has_allowed_host_and_scheme

    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return default
