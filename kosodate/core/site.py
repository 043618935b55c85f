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
