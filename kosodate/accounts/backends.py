"""The one authentication backend: email address or 利用者番号 + password, with exactly one
password hash per attempt (issue 10 item 4).

Django's ModelBackend and allauth's backend side by side checked a known email's password twice
more than an unknown one's (ModelBackend's dummy hash, then allauth's email lookup under both
"username" and "email"): three Argon2 runs against two, about 200 ms that told which addresses
have accounts. Here the identifier names at most one account, its password is checked once, and
an unknown identifier costs the same one hash (allauth's timing mitigation).
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.internal.userkit import filter_users_by_email, get_user_by_username

from kosodate.core.prepared import PreparedQuery


def account_for_credentials(credentials: dict):
    """The account an email address or 利用者番号 names (None when none does). allauth's sign-in
    form passes the typed text as "email" (or "username") and also as "username"; the admin's
    form passes "username" only."""
    email = credentials.get("email")
    username = credentials.get("username")
    if email:
        users = filter_users_by_email(email, prefer_verified=True, for_login=True)
        if users:
            return users[0]
    if username:
        user = get_user_by_username(username)
        if user is not None:
            return user
        if not email and "@" in username:
            users = filter_users_by_email(username, prefer_verified=True, for_login=True)
            if users:
                return users[0]
    return None


def _signed_in_user_query(user_id: int):
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef

    return (
        get_user_model()
        ._default_manager.annotate(
            has_verified_email=Exists(
                EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
            )
        )
        .filter(pk=user_id)
        .order_by("pk")[:1]
    )


# Every signed-in request reads its account: compiled once per process (core.prepared), not
# built and compiled by the ORM each time.
SIGNED_IN_USER = PreparedQuery(_signed_in_user_query, "user_id")


class SignInBackend(AuthenticationBackend):
    def get_user(self, user_id):
        """The signed-in account of a request, read together with whether it has a confirmed
        email address (`has_verified_email`, which resident_services_block_reason would
        otherwise ask in a query of its own on every service page)."""
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        user = SIGNED_IN_USER.first(user_id=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def _authenticate(self, request, **credentials):
        # The parent's authenticate() hashes a dummy password when no account was checked.
        return self._check_password(
            account_for_credentials(credentials), credentials.get("password") or ""
        )
