"""Helpers for the sign-in, lockout, reset and email tests (HTTP level, real database)."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from kosodate.accounts.models import TermsVersion
from kosodate.core.models import OutboundMessage

LOGIN_URL = "/accounts/login/"
RESET_URL = "/accounts/password/reset/"


def sign_in(client, login: str, password: str, *, remember: bool = False, **extra):
    data = {"login": login, "password": password}
    if remember:
        data["remember"] = "on"
    return client.post(reverse("account_login"), data, **extra)


def terms_create(version: str = "2026.1", *, days_ago: int = 1) -> TermsVersion:
    return TermsVersion.objects.create(
        version=version,
        title=f"利用規約・プライバシーポリシー {version}",
        title_en=f"Terms of use and privacy policy {version}",
        body="第1条 この規約は…",
        body_en="Article 1. These terms…",
        effective_at=timezone.now() - timedelta(days=days_ago),
    )


def emails(*, to: str | None = None, kind: str | None = None):
    qs = OutboundMessage.objects.filter(channel=OutboundMessage.Channel.EMAIL).order_by("pk")
    if to:
        qs = qs.filter(recipient=to)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs)


def link_in(body: str, path_start: str) -> str:
    """The first URL in `body` whose path starts with `path_start` (scheme and host dropped)."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_start) + r"\S*)", body)
    assert match, f"no {path_start} link in:\n{body}"
    return match.group(1)


def reset_link_request(client, email: str) -> str:
    """Ask for a reset link for `email` and return its path, read from the outbox."""
    before = {m.pk for m in emails(to=email, kind="password_reset_key")}
    response = client.post(RESET_URL, {"email": email})
    assert response.status_code == 302
    new = [m for m in emails(to=email, kind="password_reset_key") if m.pk not in before]
    assert len(new) == 1
    return link_in(new[0].deliverable_body, "/accounts/password/reset/key/")


def page_text(response) -> str:
    """The response body without the per-request CSRF tokens and CSP nonces, for comparing two
    responses."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]*"', "", html)
    return re.sub(r'nonce="[^"]*"', "", html)
