"""Events' audit vocabulary (kosodate.core.audit).
Each action has an English and a Japanese label for the staff audit page; imported by the app's AppConfig.ready()."""

from django.utils.translation import pgettext_lazy

from kosodate.core import audit

EVENT_CREATE = audit.register("event.create", pgettext_lazy("audit action", "Event created"))
EVENT_UPDATE = audit.register("event.update", pgettext_lazy("audit action", "Event edited"))
EVENT_CANCEL = audit.register("event.cancel", pgettext_lazy("audit action", "Event cancelled"))
EVENT_ATTENDANCE = audit.register(
    "event.attendance", pgettext_lazy("audit action", "Event attendance recorded")
)
EVENT_LOTTERY_DRAW = audit.register(
    "event.lottery_draw", pgettext_lazy("audit action", "Lottery drawn")
)
EVENT_MESSAGE = audit.register(
    "event.message", pgettext_lazy("audit action", "Message sent to participants")
)
EVENT_PARTICIPANTS_VIEW = audit.register(
    "event.participants_view", pgettext_lazy("audit action", "Participant list opened")
)
EVENT_PARTICIPANTS_EXPORT = audit.register(
    "event.participants_export", pgettext_lazy("audit action", "Participant list downloaded")
)
