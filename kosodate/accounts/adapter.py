"""allauth adapter: sign-in with the per-account lock, emails through the outbox (Japanese with
English below), the terms stage after the second step, and password changes that end the
other sessions.

Settings: ACCOUNT_ADAPTER in config/settings.py. What each SECURITY.md row relies on here is listed
in docs/security.md.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kosodate.core.selectors import municipality_get
from kosodate.core.services import message_email_send
from kosodate.core.site import absolute_url

from . import selectors, services
from .emails import email_render_bilingual
from .models import AuthEvent, User

# One message for every way a password sign-in can fail (wrong password, unknown address or
# member number, locked account), so the page never tells whether an account exists (6.3.8). It
# names the lock plainly, with the municipality's numbers, and the two ways out (issue 12 item 13).
SIGNIN_FAILED = _(
    "The email address or member number, or the password, is not correct. Passwords are "
    "case-sensitive. After %(threshold)d failed attempts in a row, sign-in is blocked for up "
    "to %(minutes)d minutes, even with the right password, and the account's owner receives an "
    "email. Setting a new password (“Forgot your password?”) or the counter lifts the block "
    "at once."
)
_SIGNIN_FAILED_CODES = {"email_password_mismatch", "username_password_mismatch", "invalid_login"}


# The context values of allauth's emails that open an account to whoever holds them (reset and
# confirmation links and their keys, sign-in and reset codes): the outbox keeps them only sealed
# until delivery (kosodate.core.services.message_email_send).
EMAIL_SECRET_KEYS = ("password_reset_url", "activate_url", "key", "code")


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": SIGNIN_FAILED,
        "username_password_mismatch": SIGNIN_FAILED,
        "invalid_login": SIGNIN_FAILED,
        # Only the per-IP limit (10 a minute, ACCOUNT_RATE_LIMITS "login_failed") says this:
        # the per-account lock answers with SIGNIN_FAILED.
        "too_many_login_attempts": _(
            "Too many sign-in attempts from this network in the last minute. Please wait one "
            "minute and try again."
        ),
        "invalid_password_reset": _(
            "This password reset link cannot be used: it is older than 60 minutes, was already "
            "used, or the password has changed since. Please ask for a new link."
        ),
    }

    def validation_error(self, code, *args):
        if code in _SIGNIN_FAILED_CODES and not args:
            rules = municipality_get()
            message = SIGNIN_FAILED % {
                "threshold": rules.lockout_threshold,
                "minutes": rules.lockout_minutes,
            }
            return ValidationError(message, code=code)
        return super().validation_error(code, *args)

    # --- Emails: every one goes through the outbox and the worker ---------------------------
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        ctx = {
            "email": email,
            "municipality": municipality_get(),
            "site_url": absolute_url("/").rstrip("/"),
            "reset_url": absolute_url(reverse("account_reset_password")),
            "help_url": absolute_url(reverse("signin_help")),
            **context,
        }
        # allauth builds some links (signup_url, password_reset_url, …) from the request's host.
        for key, value in ctx.items():
            if (
                key.endswith("_url")
                and key != "site_url"
                and isinstance(value, str)
                and value.startswith(("http://", "https://"))
            ):
                ctx[key] = absolute_url(value)
        user = ctx.get("user")
        if not isinstance(user, User):
            user = None
        subject, body = email_render_bilingual(template_prefix, ctx)
        message_email_send(
            to=email,
            subject=subject,
            body=body,
            user=user,
            kind=template_prefix.rsplit("/", 1)[-1],
            # allauth's one-time links and codes: kept in the outbox only sealed until delivery.
            secrets=[str(context[key]) for key in EMAIL_SECRET_KEYS if context.get(key)],
        )

    # Links in allauth's emails name the official address (core.site), not the request's host.
    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return absolute_url(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return absolute_url(super().get_reset_password_from_key_url(key))

    def send_notification_mail(self, template_prefix, user, context=None, email=None) -> None:
        # allauth leaves the user out of a notice's context; the templates greet them by name.
        super().send_notification_mail(
            template_prefix, user, context={"user": user, **(context or {})}, email=email
        )

    # --- Passwords (the rules, 8–128 characters included, are AUTH_PASSWORD_VALIDATORS) ----
    def set_password(self, user, password: str) -> None:
        # Change and set (My Page) come through here; a reset by link calls the service itself.
        services.user_password_set(user=user, password=password, request=allauth_context.request)

    # --- Sign-in and the per-account lock -------------------------------------------------------
    def authenticate(self, request, **credentials):
        """Check the password, counting failures against the account the identifier names.
        A locked account fails like a wrong password, even with the right one (its owner was
        told by email); an unknown identifier fails the same way and counts nothing."""
        account = self._account_for_credentials(credentials)
        locked = account is not None and selectors.account_lock_active(user=account) is not None
        # Always check the password (allauth hashes a dummy one for unknown identifiers), so a
        # locked or unknown account answers no faster than any other.
        user = super().authenticate(request, **credentials)
        if locked:
            services.login_failure_register(user=account, request=request)
            return None
        if user is not None:
            services.login_success_register(user=user, request=request)
        elif account is not None:
            services.login_failure_register(user=account, request=request)
        else:
            services.auth_event_record(
                kind=AuthEvent.Kind.LOGIN_FAILURE,
                request=request,
                method="email" if "email" in credentials else "member_number",
                unknown_account=True,
            )
        return user

    def _account_for_credentials(self, credentials: dict) -> User | None:
        from .backends import account_for_credentials

        return account_for_credentials(credentials)

    def pre_login(self, request, user, **kwargs):
        # During a maintenance window only back-office accounts sign in (to end it): anyone else
        # gets the maintenance page (kosodate.core.middleware.MaintenanceModeMiddleware).
        from kosodate.core.middleware import MaintenanceModeMiddleware
        from kosodate.core.selectors import maintenance_active

        if not user.is_back_office:
            window = maintenance_active()
            if window is not None:
                return MaintenanceModeMiddleware._unavailable(request, window)
        return super().pre_login(request, user, **kwargs)

    def post_login(self, request, user, **kwargs):
        # Before this sign-in is logged, so it is compared with the earlier ones only.
        services.new_device_signin_notify(user=user, request=request)
        services.auth_event_record(kind=AuthEvent.Kind.LOGIN_SUCCESS, user=user, request=request)
        return super().post_login(request, user, **kwargs)

    def logout(self, request) -> None:
        if request.user.is_authenticated:
            services.auth_event_record(
                kind=AuthEvent.Kind.LOGOUT, user=request.user, request=request
            )
        super().logout(request)

    def login_failed_ratelimit_clear(self, request, *, user: User) -> None:
        """Forget allauth's per-identifier failure throttle for the member number too (allauth
        itself clears it for the email addresses after a reset)."""
        key = self._get_login_attempts_cache_key(request, username=user.username)
        ratelimit.clear(request, action="login_failed", key=key)

    # --- Login stages ---------------------------------------------------------------------------
    def get_login_stages(self) -> list[str]:
        # allauth's own stages (email verification, the second step, trusted browser) first: the
        # terms are asked once the person has fully proved who they are.
        # Our second-step stage replaces allauth's (same key): it also asks for SMS and email
        # codes, and starts with the person's default method (kosodate.accounts.mfa).
        # Trust-this-browser is ours too: never offered to back-office accounts.
        ours = {
            "allauth.mfa.stages.AuthenticateStage": "kosodate.accounts.mfa.SecondStepStage",
            "allauth.mfa.stages.TrustStage": "kosodate.accounts.mfa.TrustStage",
        }
        stages = [ours.get(stage, stage) for stage in super().get_login_stages()]
        return [*stages, "kosodate.accounts.stages.TermsStage"]
