from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _mypage_applications(request) -> dict:
    from .selectors import applications_upcoming_for_mypage

    return {"items": applications_upcoming_for_mypage(household=request.user.household)}


def _mypage_upcoming(request) -> list:
    from .selectors import upcoming_for_mypage

    return upcoming_for_mypage(household=request.user.household)


def _staff_may_run_events(user) -> bool:
    from .selectors import staff_may_run_events

    return staff_may_run_events(user)


class EventsConfig(AppConfig):
    name = "kosodate.events"
    label = "events"
    verbose_name = _("Events and classes")

    def ready(self) -> None:
        from kosodate.core import registry
        from kosodate.core.access import FACILITY_OR_MUNICIPAL

        from . import (
            audit_actions,  # noqa: F401  (registers the audit vocabulary)
            demo,
        )

        name = _("Events and classes")
        registry.register_service(
            registry.ServiceSwitch(
                key="events",
                flag="events_enabled",
                name=name,
                description=_(
                    "Classes, play sessions and parents' meetups at support centres: apply and "
                    "cancel online."
                ),
                url_name="events:list",
                paths=("/events/", "/staff/events/"),
                order=20,
            )
        )
        registry.register_resident_menu_entry(
            registry.ResidentMenuEntry(
                key="events", label=name, url_name="events:list", service="events", order=20
            )
        )
        registry.register_mypage_panel(
            registry.MyPagePanel(
                key="events",
                template="",
                context=_mypage_applications,
                upcoming=_mypage_upcoming,
                section="bookings",
                service="events",
                link_label=_("All my event applications"),
                link_url_name="events:mine",
                order=20,
            )
        )
        registry.register_staff_menu_entry(
            registry.StaffMenuEntry(
                key="events",
                label=pgettext_lazy("staff menu", "Events and classes"),
                url_name="events_staff:list",
                # Municipal staff, and a centre's own staff while an event names their centre
                # (issue 10.2): the rule of the pages, events_staff_required.
                roles=FACILITY_OR_MUNICIPAL,
                allowed=_staff_may_run_events,
                service="events",
                order=70,
            )
        )
        registry.register_demo_data(registry.DemoData("events", demo.demo_load, order=65))
