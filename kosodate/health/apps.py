from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _mypage_notices(request) -> dict:
    # The template's {% health_notices %} tag reads the family from the request.
    return {}


class HealthConfig(AppConfig):
    name = "kosodate.health"
    label = "health"
    verbose_name = _("Child health")

    def ready(self) -> None:
        from kosodate.core import registry
        from kosodate.core.access import MUNICIPAL

        from . import (
            audit_actions,  # noqa: F401  (registers the audit vocabulary)
            demo,
        )

        name = _("Immunisations and checkups")
        registry.register_service(
            registry.ServiceSwitch(
                key="health",
                flag="health_info_enabled",
                name=name,
                description=_(
                    "Your child's immunisation schedule, checkups and notices for their age."
                ),
                url_name="health_home",
                paths=("/health/", "/staff/health/"),
                order=50,
            )
        )
        registry.register_resident_menu_entry(
            registry.ResidentMenuEntry(
                key="health", label=name, url_name="health_home", service="health", order=50
            )
        )
        registry.register_mypage_panel(
            registry.MyPagePanel(
                key="health",
                template="health/includes/mypage_panel.html",
                context=_mypage_notices,
                service="health",
                link_label=_("Immunisations, checkups and notices for my children"),
                link_url_name="health_home",
                order=50,
            )
        )
        registry.register_staff_menu_entry(
            registry.StaffMenuEntry(
                key="health",
                label=pgettext_lazy("staff menu", "Child health"),
                url_name="staff_health_notice_list",
                roles=MUNICIPAL,
                service="health",
                order=50,
            )
        )
        registry.register_demo_data(registry.DemoData("health", demo.demo_load, order=40))
