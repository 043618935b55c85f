"""Terms that change while someone is signed in (a "remember me" session lasts 14 days); the
session lifetime; staff without an authenticator app or passkey."""

import time
from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.urls import reverse

from kosodate.core.cache import cache_read, cache_write

from . import selectors
from .models import TermsAcceptance

TERMS_CURRENT_CACHE_KEY = "accounts:terms_current_id:v1"
# A new version that comes into effect is asked for within this many seconds.
TERMS_CURRENT_CACHE_SECONDS = 60
# The terms version this session's person is known to have accepted (saves a query per page).
SESSION_TERMS_KEY = "kosodate_terms_accepted"


class TermsRequiredMiddleware:
    """A resident who is signed in when a new terms version comes into effect accepts it before
    anything else, as at sign-in (kosodate.accounts.stages.TermsStage). Only page views (GET) are
    sent to the terms page: a form sent from a page opened earlier is not thrown away."""

    OPEN_PREFIXES = ("/static/", "/i18n/", "/healthz", "/admin/", "/dev/", "/signin-help/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        redirect = self._terms_redirect(request)
        return redirect or self.get_response(request)

    def _terms_redirect(self, request):
        user = getattr(request, "user", None)
        if (
            request.method not in ("GET", "HEAD")
            or user is None
            or not user.is_authenticated
            or not user.is_resident
            or request.path_info.startswith(self.OPEN_PREFIXES)
        ):
            return None
        current_id = cache_read(TERMS_CURRENT_CACHE_KEY)
        if current_id is None:
            current = selectors.terms_current()
            current_id = current.pk if current else 0
            cache_write(TERMS_CURRENT_CACHE_KEY, current_id, TERMS_CURRENT_CACHE_SECONDS)
        if not current_id or request.session.get(SESSION_TERMS_KEY) == current_id:
            return None
        if TermsAcceptance.objects.filter(user=user, terms_id=current_id).exists():
            request.session[SESSION_TERMS_KEY] = current_id
            return None
        terms_url = reverse("signin_terms")
        if request.path in (terms_url, reverse("account_logout")):
            return None
        return HttpResponseRedirect(f"{terms_url}?{urlencode({'next': request.get_full_path()})}")


# --- Session lifetime (SECURITY.md "Sessions") ----------------------------------------------------
# Django knows only one expiry (the cookie's, which a busy session keeps pushing back); the time
# of the sign-in and of the last request are kept in the session to enforce both limits.
SESSION_SIGNED_IN_AT_KEY = "kosodate_signed_in_at"
SESSION_LAST_SEEN_KEY = "kosodate_last_seen"
# Set once this session's row in the sessions list is known to exist.
SESSION_ROW_KEY = "kosodate_session_row"
# The last-seen time is written at most this often, so not every page view saves the session.
LAST_SEEN_RESOLUTION_SECONDS = 60


class SessionLifetimeMiddleware:
    """Signs the person out after SESSION_IDLE_SECONDS without a request (unless they ticked
    "remember me") and SESSION_ABSOLUTE_SECONDS after signing in (SESSION_REMEMBER_SECONDS with
    "remember me"), whatever they do in between."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._expired_response(request)
        return response or self.get_response(request)

    def _expired_response(self, request):
        from django.conf import settings

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        from .forms_signin import SESSION_REMEMBER_KEY

        session = request.session
        now = time.time()
        signed_in_at = session.get(SESSION_SIGNED_IN_AT_KEY)
        if signed_in_at is None:
            # Sessions from before this middleware (or a test's force_login) start counting now.
            session[SESSION_SIGNED_IN_AT_KEY] = session[SESSION_LAST_SEEN_KEY] = now
            _user_session_touch(request)
            return None
        remember = bool(session.get(SESSION_REMEMBER_KEY))
        absolute = (
            settings.SESSION_REMEMBER_SECONDS if remember else settings.SESSION_ABSOLUTE_SECONDS
        )
        last_seen = session.get(SESSION_LAST_SEEN_KEY, signed_in_at)
        reason = None
        if now - signed_in_at > absolute:
            reason = "absolute"
        elif not remember and now - last_seen > settings.SESSION_IDLE_SECONDS:
            reason = "idle"
        if reason is None:
            if now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS or not session.get(SESSION_ROW_KEY):
                session[SESSION_LAST_SEEN_KEY] = now
                _user_session_touch(request)
            return None
        from allauth.account.internal.flows.logout import logout

        from . import services
        from .models import AuthEvent

        services.auth_event_record(
            kind=AuthEvent.Kind.LOGOUT, user=user, request=request, timeout=reason
        )
        logout(request)
        next_url = request.get_full_path() if request.method in ("GET", "HEAD") else "/"
        query = urlencode({"next": next_url, "expired": reason})
        return HttpResponseRedirect(f"{reverse('account_login')}?{query}")


def _user_session_touch(request) -> None:
    """Keeps the sessions list's row (device, IP, last seen) current. allauth's
    USERSESSIONS_TRACK_ACTIVITY would rewrite that row on every request (five statements in a
    transaction, for every page a signed-in person opens); we write it only when the last-seen
    time above moves, at most once a minute, in one UPDATE, and create the row when this session
    has none yet (allauth creates it at its sign-in; a session made otherwise, e.g. by
    force_login, lacks it until its first page)."""
    from allauth.account.adapter import get_adapter
    from allauth.usersessions.models import UserSession
    from django.utils import timezone

    key = request.session.session_key
    if not key:
        return
    user_agent_max = UserSession._meta.get_field("user_agent").max_length
    updated = UserSession.objects.filter(session_key=key, user_id=request.user.pk).update(
        last_seen_at=timezone.now(),
        ip=get_adapter().get_client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:user_agent_max],
    )
    if not updated:
        UserSession.objects.create_from_request(request)
    request.session[SESSION_ROW_KEY] = True


# --- Staff sign in with an authenticator app or a passkey (SECURITY.md "Second step") -----------
STRONG_SECOND_STEP_TYPES = frozenset({"totp", "webauthn"})


def session_used_strong_second_step(request, user) -> bool:
    """Whether THIS session's sign-in used an authenticator app or a passkey. allauth records
    every authentication method of the session (password, mfa with its type, passkey sign-in);
    having an app on the account is not enough: an SMS, email or recovery code may have been
    what this sign-in used (issue 10 item 3)."""
    from allauth.account.authentication import get_authentication_records

    return any(
        record.get("method") == "mfa" and record.get("type") in STRONG_SECOND_STEP_TYPES
        for record in get_authentication_records(request, user)
    )


class StaffSecondStepMiddleware:
    """A back-office session reaches the back office or the Django admin only when its sign-in
    used an authenticator app or a passkey. Otherwise (no app yet, or a recovery code used) it is
    sent to the security settings page to set one up, which then counts for this session."""

    PROTECTED_PREFIXES = ("/staff/", "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        redirect = self._setup_redirect(request)
        return redirect or self.get_response(request)

    def _setup_redirect(self, request):
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or not request.path_info.startswith(self.PROTECTED_PREFIXES)
            or not user.is_back_office
            or session_used_strong_second_step(request, user)
        ):
            return None
        return HttpResponseRedirect(f"{reverse('mypage_security')}?{urlencode({'staff': 1})}")
