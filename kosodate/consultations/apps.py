from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _staff_may_open(user) -> bool:
    from .selectors import staff_member_for

    return staff_member_for(user) is not None


def _mypage_panel(request) -> dict | None:
    from .selectors import consultations_for_mypage

    children = consultations_for_mypage(user=request.user)
    return {"children": children} if children else None


def _mypage_upcoming(request) -> list:
    from .selectors import upcoming_for_mypage

    return upcoming_for_mypage(user=request.user)


class ConsultationsConfig(AppConfig):
    name = "kosodate.consultations"
    label = "consultations"
    verbose_name = _("Consultations")

    def ready(self) -> None:
        from kosodate.core import registry
        from kosodate.core.access import Role

        from . import audit_actions, demo  # noqa: F401  (audit_actions registers the vocabulary)

        name = _("Consultations")
        registry.register_service(
            registry.ServiceSwitch(
                key="consultations",
                flag="consultations_enabled",
                name=name,
                description=_(
                    "Ask a nursery teacher, public health nurse or dietitian about your child."
                ),
                url_name="consultations:home",
                paths=("/consultations/", "/staff/consultations/"),
                order=40,
            )
        )
        registry.register_resident_menu_entry(
            registry.ResidentMenuEntry(
                key="consultations",
                label=name,
                url_name="consultations:home",
                service="consultations",
                order=40,
            )
        )
        registry.register_mypage_panel(
            registry.MyPagePanel(
                key="consultations",
                template="consultations/mypage_panel.html",
                context=_mypage_panel,
                upcoming=_mypage_upcoming,
                section="own",
                service="consultations",
                link_label=_("All my consultations"),
                link_url_name="consultations:home",
                order=40,
            )
        )
        registry.register_staff_menu_entry(
            registry.StaffMenuEntry(
                key="consultations",
                label=pgettext_lazy("staff menu", "Consultations"),
                url_name="consultations_staff:queue",
                # Professionals, and municipal staff once given the role (a StaffMember row):
                # the same rule the views apply.
                roles=(Role.CONSULTANT, Role.MUNICIPAL_STAFF),
                allowed=_staff_may_open,
                service="consultations",
                order=80,
            )
        )
        registry.register_demo_data(registry.DemoData("consultations", demo.demo_load, order=80))
