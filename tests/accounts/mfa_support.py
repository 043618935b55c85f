"""Helpers for the second-step tests (HTTP level)."""

import re

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from kosodate.accounts.models import SecondStepMethod
from kosodate.core.models import OutboundMessage
from tests.totp import Totp

from ..factories import TEST_PASSWORD
from .signin_support import sign_in


def totp_activate(user) -> Totp:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return Totp(secret)


def sms_method_add(user, phone="+819012345678") -> SecondStepMethod:
    return SecondStepMethod.objects.create(user=user, kind="sms", phone=phone)


def email_method_add(user) -> SecondStepMethod:
    return SecondStepMethod.objects.create(user=user, kind="email")


def last_code(*, channel: str, to: str) -> str:
    message = OutboundMessage.objects.filter(channel=channel, recipient=to).order_by("-pk").first()
    assert message is not None, f"no {channel} to {to}"
    return re.search(r"\b(\d{6})\b", message.deliverable_body).group(1)


def codes_sent(*, channel: str, to: str) -> int:
    return OutboundMessage.objects.filter(channel=channel, recipient=to).count()


def password_step(client, user):
    """Sign in with the password; returns the response (a redirect to the second step)."""
    response = sign_in(client, user.email, TEST_PASSWORD)
    assert response.status_code == 302, response.content[:500]
    return response


def finish_trust(client, response, *, trust: bool = False):
    """Answer "trust this browser?" if asked; returns the final response."""
    if response.status_code == 302 and response["Location"] == reverse("mfa_trust"):
        response = client.post(reverse("mfa_trust"), {"action": "trust" if trust else "skip"})
    return response


def signed_in_user(client):
    return client.get(reverse("mypage")).wsgi_request.user
