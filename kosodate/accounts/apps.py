from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kosodate.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Receivers of allauth.mfa's signals and of user_logged_in (second step, sessions).
        from . import mfa  # noqa: F401
