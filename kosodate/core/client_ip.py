"""The client's IP address, by the one rule the rate limits use.

Behind a load balancer `REMOTE_ADDR` is the proxy. allauth's rate limits count the address that
`TRUSTED_PROXY_COUNT` (``ALLAUTH_TRUSTED_PROXY_COUNT``) proxies put in ``X-Forwarded-For``, through
the account adapter's `get_client_ip`. Every log that records "from where" (the auth event log,
the audit log, terms acceptance, new-device emails; allauth's sessions list already does) uses
the same answer, so a throttled address and a logged one are the same address.
"""

import logging

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the rate limits see it, or None when there is none to tell."""
    if request is None:
        return None
    # allauth's adapter, not its internal helper: if the project's adapter ever changes the rule,
    # the logs follow the rate limits.
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None
    except ImproperlyConfigured:
        # Fewer X-Forwarded-For entries than trusted proxies: the request did not come through
        # the load balancer. allauth refuses it at the rate limits; a log should still say where
        # it came from, and the peer is the best answer there is.
        logger.warning("X-Forwarded-For has fewer entries than TRUSTED_PROXY_COUNT")
        return request.META.get("REMOTE_ADDR") or None
