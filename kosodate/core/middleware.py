import logging
import math
from functools import cached_property

from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control

from .selectors import maintenance_active, municipality_get

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class MaintenanceModeMiddleware:
    """During a maintenance window, refuse registration, password reset and every change with a
    503 page (with Retry-After); reading the top page and announcements still works. The sign-in
    pages stay open so that staff can sign in to end the window; residents who sign in get the
    503 page (kosodate.accounts.adapter.AccountAdapter.pre_login).

    Let through whatever the method: the Django admin (where a system administrator signs in and
    ends the window), the language switch, health checks, static files, signing out (on
    every device too), and staff who are already signed in. The window lookup is cached (selectors.MAINTENANCE_CACHE_KEY), and
    made only for requests that could be refused, so ordinary page views cost nothing."""

    ALWAYS_OPEN_PREFIXES = ("/admin/", "/static/", "/healthz", "/metrics", "/i18n/", "/dev/")
    # URL names whose pages (GET included) lead to signing in; the paths below each are steps of
    # the same flow (e.g. /accounts/login/code/, /accounts/password/reset/key/…).
    SIGN_IN_URL_NAMES = (
        "account_login",
        "account_signup",
        "account_reset_password",
        "mfa_authenticate",
    )
    SIGN_OUT_URL_NAMES = ("account_logout", "signin_logout_everywhere")
    # The accounts app's own registration flow (kosodate.accounts.urls). The sign-in help page
    # (/signin-help/) stays readable: it is where people look up the maintenance window.
    SIGN_IN_PREFIXES = ("/register/",)

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def sign_in_paths(self) -> tuple[str, ...]:
        # Resolved on first use, not at import: the URLconf may not be loaded yet then.
        return tuple(reverse(name) for name in self.SIGN_IN_URL_NAMES)

    @cached_property
    def sign_out_paths(self) -> frozenset[str]:
        # Signing out is a safety step never refused (a shared computer, a stolen session).
        paths = set()
        for name in self.SIGN_OUT_URL_NAMES:
            try:
                paths.add(reverse(name))
            except NoReverseMatch:  # an optional flow this deployment does not route
                continue
        return frozenset(paths)

    def __call__(self, request):
        if not self._could_be_refused(request):
            return self.get_response(request)
        window = maintenance_active()
        if window is None:
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_back_office:
            return self.get_response(request)
        if self._is_sign_in_step(request):
            # Staff sign in to end the window: the sign-in pages open (saying only staff can sign
            # in now); anyone else who gets the password right is refused with this page by the
            # accounts adapter's pre_login.
            request.maintenance_window = window
            return self.get_response(request)
        return self._unavailable(request, window)

    # Steps of signing in (password, second step, trust this browser, passkey) that stay open
    # during a window; registration and password reset stay refused.
    SIGN_IN_STEP_URL_NAMES = (
        "account_login",
        "mfa_authenticate",
        "mfa_trust",
        "mfa_login_webauthn",
    )
    SIGN_IN_STEP_PREFIXES = ("/signin/second-step/",)

    @cached_property
    def sign_in_step_paths(self) -> frozenset[str]:
        paths = set()
        for name in self.SIGN_IN_STEP_URL_NAMES:
            try:
                paths.add(reverse(name))
            except NoReverseMatch:
                continue
        return frozenset(paths)

    def _is_sign_in_step(self, request) -> bool:
        return request.path in self.sign_in_step_paths or request.path_info.startswith(
            self.SIGN_IN_STEP_PREFIXES
        )

    def _could_be_refused(self, request) -> bool:
        # reverse() includes the script prefix, as request.path does; the fixed prefixes do not.
        if request.path_info.startswith(self.ALWAYS_OPEN_PREFIXES) or (
            request.path in self.sign_out_paths
        ):
            return False
        return (
            request.method not in SAFE_METHODS
            or request.path.startswith(self.sign_in_paths)
            or request.path_info.startswith(self.SIGN_IN_PREFIXES)
        )

    @staticmethod
    def _unavailable(request, window):
        seconds_left = (window.ends_at - timezone.now()).total_seconds()
        response = render(request, "core/maintenance_503.html", {"window": window}, status=503)
        response["Retry-After"] = str(max(1, math.ceil(seconds_left)))
        # A cached copy of the 503 must not outlive the window.
        add_never_cache_headers(response)
        # An expected refusal, not a server error: log it quietly instead of letting Django log
        # (and possibly email) every refused request as an ERROR.
        logger.info("Refused during maintenance: %s %s", request.method, request.path)
        response._has_been_logged = True
        return response


class ServiceSwitchMiddleware:
    """A service the municipality switched off (Municipality.*_enabled) is gone for everyone:
    its residents' and staff's pages answer 404, so a bookmark or an old email link cannot reach
    it. Only a service's own pages read the municipality row (cached: selectors.municipality_get),
    so every other request, /healthz included, answers without the database or the cache."""

    def __init__(self, get_response):
        from .registry import services

        self.get_response = get_response
        self.service_paths = tuple(path for service in services() for path in service.paths)

    def __call__(self, request):
        path = request.path_info
        if path.startswith(self.service_paths) and path.startswith(
            municipality_get().disabled_service_paths()
        ):
            raise Http404("This service is not offered.")
        return self.get_response(request)


class PrivatePagesNotCachedMiddleware:
    """Every response to a signed-in person says ``Cache-Control: private, no-store``: their
    details, children's allergies, staff rosters, CSVs and calendars must not stay in a shared
    proxy or in the browser's cache, where the next person at a shared computer, or the back
    button after signing out, would find them (ASVS 14.3.2). One place, so a new page cannot
    forget it; a view's own stricter headers (e.g. ``never_cache``) are kept.

    It sits just inside AuthenticationMiddleware, so it sees what every later middleware
    answers (redirects to the second step, the maintenance page, a 404 for a switched-off
    service) and a person who signed in during this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class NulCharactersRefusedMiddleware:
    """A NUL character anywhere in the path, the query string or the posted fields is a 400.
    No text a person types contains one, and PostgreSQL refuses it in every text column: a
    search, a booking code or a filter carrying one would otherwise be a server error wherever
    it reached a query (forms refuse it in their fields, but paths and queries are read
    directly). One check for every URL, so a new page cannot forget it (issue 10.8)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _has_nul(request.GET) or _has_nul(request.POST):
            from django.core.exceptions import BadRequest

            raise BadRequest("NUL character in the request")
        return self.get_response(request)


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())
