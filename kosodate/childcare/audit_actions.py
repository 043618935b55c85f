"""Temporary childcare's audit vocabulary (kosodate.core.audit).
Each action has an English and a Japanese label for the staff audit page; imported by the app's AppConfig.ready()."""

from django.utils.translation import pgettext_lazy

from kosodate.core import audit

CHILDCARE_BOOKING_APPROVE = audit.register(
    "childcare.booking.approve", pgettext_lazy("audit action", "Booking approved")
)
CHILDCARE_BOOKING_DECLINE = audit.register(
    "childcare.booking.decline", pgettext_lazy("audit action", "Booking declined")
)
CHILDCARE_BOOKING_ATTENDED = audit.register(
    "childcare.booking.attended", pgettext_lazy("audit action", "Use of care recorded")
)
CHILDCARE_BOOKING_NO_SHOW = audit.register(
    "childcare.booking.no_show", pgettext_lazy("audit action", "No-show recorded")
)
CHILDCARE_DAY_CAPACITY = audit.register(
    "childcare.day.capacity", pgettext_lazy("audit action", "Places for a day changed")
)
CHILDCARE_DAY_CLOSE = audit.register(
    "childcare.day.close", pgettext_lazy("audit action", "Day closed")
)
CHILDCARE_DAY_REOPEN = audit.register(
    "childcare.day.reopen", pgettext_lazy("audit action", "Day reopened")
)
CHILDCARE_FACILITY_STAFF_ADD = audit.register(
    "childcare.facility.staff_add",
    pgettext_lazy("audit action", "Staff member added to a facility"),
)
CHILDCARE_FACILITY_CAPACITY = audit.register(
    "childcare.facility.capacity", pgettext_lazy("audit action", "Facility places changed")
)
CHILDCARE_FACILITY_RULES = audit.register(
    "childcare.facility.rules", pgettext_lazy("audit action", "Facility rules changed")
)
CHILDCARE_REGISTRATION_INTERVIEW_SCHEDULED = audit.register(
    "childcare.registration.interview_scheduled",
    pgettext_lazy("audit action", "Registration interview arranged"),
)
CHILDCARE_REGISTRATION_ACTIVE = audit.register(
    "childcare.registration.active", pgettext_lazy("audit action", "Registration approved")
)
CHILDCARE_REGISTRATION_DECLINED = audit.register(
    "childcare.registration.declined", pgettext_lazy("audit action", "Registration declined")
)
CHILDCARE_ROSTER_VIEW = audit.register(
    "childcare.roster.view", pgettext_lazy("audit action", "Day roster opened")
)
