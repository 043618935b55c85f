from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class AccountsConfig(AppConfig):
    name = "kosodate.accounts"
    label = "accounts"

    def ready(self) -> None:
        from kosodate.core import registry
        from kosodate.core.access import MUNICIPAL

        # Receivers of allauth.mfa's signals and of user_logged_in (second step, sessions), and
        # the system checks (superusers and staff never have the resident role; registration is
        # closed while no terms are published).
        from . import audit_actions, checks, demo, mfa  # noqa: F401

        registry.register_staff_menu_entry(
            registry.StaffMenuEntry(
                key="residents",
                label=pgettext_lazy("staff menu", "Residents"),
                url_name="staff_accounts_search",
                roles=MUNICIPAL,
                order=30,
            )
        )
        registry.register_staff_menu_entry(
            registry.StaffMenuEntry(
                key="auth_events",
                label=pgettext_lazy("staff menu", "Authentication events"),
                url_name="staff_accounts_auth_events",
                roles=MUNICIPAL,
                order=40,
            )
        )
        registry.register_demo_data(
            registry.DemoData("accounts", demo.accounts_demo_load, order=20)
        )
        registry.register_demo_data(registry.DemoData("terms", demo.terms_demo_load, order=21))
