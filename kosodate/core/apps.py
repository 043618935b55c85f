from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class CoreConfig(AppConfig):
    name = "kosodate.core"
    label = "core"

    def ready(self) -> None:
        from . import (
            audit_actions,  # noqa: F401  (registers the audit vocabulary)
            demo,
            registry,
        )
        from .access import MUNICIPAL
        from .observability import connect_task_signals

        connect_task_signals()

        registry.register_staff_menu_entry(
            registry.StaffMenuEntry(
                key="announcements",
                label=pgettext_lazy("staff menu", "Announcements"),
                url_name="backoffice:announcement_list",
                roles=MUNICIPAL,
                order=10,
            )
        )
        registry.register_staff_menu_entry(
            registry.StaffMenuEntry(
                key="maintenance",
                label=pgettext_lazy("staff menu", "Maintenance"),
                url_name="backoffice:maintenance_list",
                roles=MUNICIPAL,
                order=20,
            )
        )
        registry.register_staff_menu_entry(
            registry.StaffMenuEntry(
                key="audit",
                label=pgettext_lazy("staff menu", "Audit log"),
                url_name="backoffice:audit_list",
                roles=MUNICIPAL,
                order=900,
            )
        )
        registry.register_demo_data(
            registry.DemoData("municipality", demo.municipality_demo_load, order=10)
        )
        registry.register_demo_data(
            registry.DemoData("foundation", demo.foundation_demo_load, order=30)
        )
