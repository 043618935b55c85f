"""Second step (二段階認証): allauth.mfa's adapter with our encryption and QR codes, the sign-in
stage that asks for the person's default method (app, passkey, SMS or email code), and the
receivers that log and announce every method added, removed or recovery code used.

Settings: MFA_* and SECOND_STEP_* in config/settings.py; rows of SECURITY.md in docs/security.md.
"""

from __future__ import annotations

import secrets
import time

import segno
from allauth.account.internal.flows.login import record_authentication
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.mfa import signals
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.internal.flows import trust
from allauth.mfa.models import Authenticator
from allauth.mfa.stages import AuthenticateStage
from allauth.mfa.stages import TrustStage as AllauthTrustStage
from allauth.mfa.webauthn.internal.flows import did_use_passwordless_login
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kosodate.core.fields import decrypt_str, encrypt_str

from . import selectors, services
from .models import AuthEvent

# Encrypted values start with this, so secrets stored before encryption was on still read.
_ENCRYPTED_PREFIX = "enc:"


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": _(
            "This code is not correct. Check the newest code in your app (codes change every "
            "30 seconds) and try again."
        ),
        "unverified_email": _("Please confirm your email address before turning on a second step."),
    }

    def encrypt(self, text: str) -> str:
        # The TOTP key, encrypted with the field-encryption keys (FIELD_ENCRYPTION_KEYS, which
        # can be rotated) like the 住民票コード.
        return _ENCRYPTED_PREFIX + encrypt_str(text)

    def decrypt(self, encrypted_text: str) -> str:
        if encrypted_text.startswith(_ENCRYPTED_PREFIX):
            return decrypt_str(encrypted_text.removeprefix(_ENCRYPTED_PREFIX))
        return encrypted_text

    def build_totp_svg(self, url: str) -> str:
        # segno writes SVG without Pillow; allauth's default needs the qrcode package. A title
        # makes the image accessible; the key is also shown as text for manual entry.
        qr = segno.make(url, error="m")
        return qr.svg_inline(scale=4, title=str(_("QR code for the authenticator app")))

    def get_totp_label(self, user) -> str:
        # The member number, not the email address: what the app shows is not personal data.
        return user.username or super().get_totp_label(user)

    def get_totp_issuer(self) -> str:
        from django.conf import settings

        return settings.MFA_TOTP_ISSUER

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Staff keep at least one app or passkey (SECURITY.md: staff must use one of them).
        user = authenticator.user
        if not user.is_back_office or authenticator.type == Authenticator.Type.RECOVERY_CODES:
            return True
        strong = Authenticator.objects.filter(
            user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).exclude(pk=authenticator.pk)
        return strong.exists()


class SecondStepStage(AuthenticateStage):
    """allauth's second-step stage (same key, so its trust-this-browser stage still follows),
    extended to SMS and email codes and to the person's default method: the page of that method
    comes first, with links to the others they have."""

    def handle(self):
        if not self._should_handle(self.request):
            return None, True
        self.state["authentication_required"] = True
        # Binds codes sent for this sign-in to this attempt: a code from another browser or an
        # earlier attempt is refused.
        self.state.setdefault("attempt", secrets.token_urlsafe(24))
        method = selectors.second_step_default(user=self.login.user)
        if method in ("sms", "email"):
            return HttpResponseRedirect(reverse("signin_second_step_code", args=[method])), True
        return headed_redirect_response("mfa_authenticate"), True

    def _should_handle(self, request) -> bool:
        user = self.login.user
        if user is None or not selectors.second_step_methods_available(user=user):
            return False
        if did_use_passwordless_login(request, user):
            return False
        # A trusted browser skips the second step for residents only: a back-office session
        # needs an app or a passkey in this very sign-in (StaffSecondStepMiddleware).
        return user.is_back_office or not trust.is_trusted_browser(request, user)


class TrustStage(AllauthTrustStage):
    """ "Trust this browser?" is not asked of back-office accounts (it would never be honoured)."""

    def handle(self):
        if self.login.user is not None and self.login.user.is_back_office:
            return None, True
        return super().handle()


# --- allauth.mfa's signals: log every change; a used recovery code is emailed ------------------


@receiver(signals.authenticator_added)
def _authenticator_added(sender, request, user, authenticator, **kwargs):
    services.second_step_authenticator_event(
        user=user, change="added", type=authenticator.type, request=request
    )
    if (
        request is not None
        and user.is_back_office
        and authenticator.type in (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
    ):
        # Setting up an app (a code from it) or a passkey (a signature from it) proves it is in
        # hand: this session may now use the back office (StaffSecondStepMiddleware), e.g. after
        # a sign-in with a recovery code, which only lets staff set up a new one.
        record_authentication(request, user, "mfa", type=authenticator.type, enrolled=True)


@receiver(signals.authenticator_removed)
def _authenticator_removed(sender, request, user, authenticator, **kwargs):
    services.second_step_authenticator_event(
        user=user, change="removed", type=authenticator.type, request=request
    )


@receiver(signals.authenticator_used)
def _authenticator_used(sender, request, user, authenticator, **kwargs):
    if authenticator.type != Authenticator.Type.WEBAUTHN:
        services.second_step_success_register(user=user)
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        services.recovery_code_used_notify(user=user, request=request)


@receiver(signals.authentication_failed)
def _authentication_failed(sender, request, user, authenticator, reauthentication=False, **kw):
    # A wrong app or recovery code: logged, and counted towards blocking the second step when it
    # was a sign-in (someone who knows the password guessing codes).
    services.auth_event_record(
        kind=AuthEvent.Kind.MFA_FAILURE,
        user=user,
        request=request,
        method=authenticator.type,
        reauthentication=reauthentication,
    )
    if not reauthentication:
        services.second_step_failure_register(user=user, request=request, method=authenticator.type)


@receiver(user_logged_in)
def _session_signed_in(sender, request, user, **kwargs):
    # The absolute session lifetime counts from here (SessionLifetimeMiddleware).
    from .middleware import SESSION_LAST_SEEN_KEY, SESSION_SIGNED_IN_AT_KEY

    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_SIGNED_IN_AT_KEY] = now
        request.session[SESSION_LAST_SEEN_KEY] = now
