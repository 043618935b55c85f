"""The services a municipality can switch on (Municipality.*_enabled). A service that is off is
hidden from the top page and the staff menu, and its pages answer 404 to everyone
(kosodate.core.middleware.ServiceSwitchMiddleware). A service without a `url_name` is not built
yet: its switch is kept so that a municipality's profile need not change when it arrives, but it
is never offered."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Service:
    key: str
    flag: str
    name: str | Promise
    description: str | Promise
    url_name: str | None = None  # its residents' start page; None: not built yet
    paths: tuple[str, ...] = ()  # path prefixes of its pages, residents' and staff's


SERVICES = (
    Service(
        "childcare",
        "childcare_enabled",
        _("Temporary childcare"),
        _("See free places at every facility and book a day of care online."),
        "childcare:availability",
        ("/childcare/", "/staff/childcare/"),
    ),
    Service(
        "events",
        "events_enabled",
        _("Events and classes"),
        _(
            "Classes, play sessions and parents' meetups at support centres: apply and cancel online."
        ),
        "events:list",
        ("/events/", "/staff/events/"),
    ),
    Service(
        "familysupport",
        "familysupport_enabled",
        _("Family support"),
        _("Find a family-support helper for pick-ups and short care, and send a request."),
    ),
    Service(
        "consultations",
        "consultations_enabled",
        _("Consultations"),
        _("Ask a nursery teacher, public health nurse or dietitian about your child."),
    ),
    Service(
        "health",
        "health_info_enabled",
        _("Immunisations and checkups"),
        _("Your child's immunisation schedule, checkups and notices for their age."),
        "health_home",
        ("/health/", "/staff/health/"),
    ),
)
