from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class BackofficeConfig(AppConfig):
    name = "kosodate.backoffice"
    label = "backoffice"

    def ready(self) -> None:
        from kosodate.core import registry

        registry.register_staff_menu_entry(
            registry.StaffMenuEntry(
                key="dashboard",
                label=pgettext_lazy("staff menu", "Dashboard"),
                url_name="backoffice:dashboard",
                order=0,
            )
        )
        registry.register_staff_menu_entry(
            registry.StaffMenuEntry(
                key="admin",
                label=pgettext_lazy("staff menu", "System administration"),
                url_name="admin:index",
                superuser_only=True,
                order=1000,
            )
        )
