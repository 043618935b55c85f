from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _is_advisor(user) -> bool:
    from .selectors import advisor_active

    return advisor_active(user)


def _mypage_panel(request) -> dict | None:
    from .selectors import mypage_summary

    return mypage_summary(user=request.user)


def _mypage_upcoming(request) -> list:
    from .selectors_mypage import upcoming_for_mypage

    return upcoming_for_mypage(user=request.user)


class FamilySupportConfig(AppConfig):
    name = "kosodate.familysupport"
    label = "familysupport"
    verbose_name = _("Family support")

    def ready(self) -> None:
        from kosodate.core import registry
        from kosodate.core.access import MUNICIPAL

        from . import audit_actions, demo  # noqa: F401 (audit_actions registers on import)

        name = _("Family support")
        registry.register_service(
            registry.ServiceSwitch(
                key="familysupport",
                flag="familysupport_enabled",
                name=name,
                description=_(
                    "Find a family-support helper for pick-ups and short care, and send a request."
                ),
                url_name="familysupport:home",
                paths=("/familysupport/", "/staff/familysupport/"),
                order=30,
            )
        )
        registry.register_resident_menu_entry(
            registry.ResidentMenuEntry(
                key="familysupport",
                label=name,
                url_name="familysupport:home",
                service="familysupport",
                order=30,
            )
        )
        registry.register_mypage_panel(
            registry.MyPagePanel(
                key="familysupport",
                template="familysupport/mypage_panel.html",
                context=_mypage_panel,
                upcoming=_mypage_upcoming,
                section="own",
                service="familysupport",
                link_label=_("All my family support activities"),
                link_url_name="familysupport:home",
                order=30,
            )
        )
        # Advisors are municipal staff with the centre's assignment (an Advisor row): the entry
        # is theirs (and system administrators'), not every municipal staff member's; the views
        # check the same (staff_views.advisor_required).
        registry.register_staff_menu_entry(
            registry.StaffMenuEntry(
                key="familysupport",
                label=pgettext_lazy("staff menu", "Family support"),
                url_name="familysupport_staff:index",
                roles=MUNICIPAL,
                service="familysupport",
                order=65,
                allowed=_is_advisor,
            )
        )
        registry.register_demo_data(
            registry.DemoData("familysupport", demo.familysupport_demo_load, order=70)
        )
