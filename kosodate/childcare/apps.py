from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _mypage_bookings(request) -> dict:
    from .selectors import bookings_upcoming_for_mypage

    return {"items": bookings_upcoming_for_mypage(user=request.user)}


def _mypage_upcoming(request) -> list:
    from .selectors import upcoming_for_mypage

    return upcoming_for_mypage(user=request.user)


class ChildcareConfig(AppConfig):
    name = "kosodate.childcare"
    label = "childcare"
    verbose_name = _("Temporary childcare")

    def ready(self) -> None:
        from kosodate.core import registry
        from kosodate.core.access import FACILITY_OR_MUNICIPAL

        from . import (
            audit_actions,  # noqa: F401  (registers the audit vocabulary)
            availability_cache,
            demo,
        )

        availability_cache.connect()

        name = _("Temporary childcare")
        registry.register_service(
            registry.ServiceSwitch(
                key="childcare",
                flag="childcare_enabled",
                name=name,
                description=_(
                    "See free places at every facility and book a day of temporary childcare online."
                ),
                url_name="childcare:availability",
                paths=("/childcare/", "/staff/childcare/"),
                order=10,
            )
        )
        registry.register_resident_menu_entry(
            registry.ResidentMenuEntry(
                key="childcare",
                label=name,
                url_name="childcare:availability",
                service="childcare",
                order=10,
            )
        )
        registry.register_mypage_panel(
            registry.MyPagePanel(
                key="childcare",
                template="",
                context=_mypage_bookings,
                upcoming=_mypage_upcoming,
                section="bookings",
                service="childcare",
                link_label=_("All my temporary childcare bookings"),
                link_url_name="childcare:booking_list",
                order=10,
            )
        )
        registry.register_staff_menu_entry(
            registry.StaffMenuEntry(
                key="childcare",
                label=pgettext_lazy("staff menu", "Temporary childcare"),
                url_name="childcare_staff:index",
                roles=FACILITY_OR_MUNICIPAL,
                service="childcare",
                order=60,
            )
        )
        registry.register_demo_data(registry.DemoData("childcare", demo.demo_load, order=60))
