"""The core's audit vocabulary (kosodate.core.audit): municipality settings, announcements,
maintenance, the outbox and the admin.
Each action has an English and a Japanese label for the staff audit page; imported by the app's AppConfig.ready()."""

from django.utils.translation import pgettext_lazy

from . import audit

MUNICIPALITY_UPDATE = audit.register(
    "municipality.update", pgettext_lazy("audit action", "Municipality settings changed")
)
ANNOUNCEMENT_CREATE = audit.register(
    "announcement.create", pgettext_lazy("audit action", "Announcement created")
)
ANNOUNCEMENT_UPDATE = audit.register(
    "announcement.update", pgettext_lazy("audit action", "Announcement edited")
)
ANNOUNCEMENT_DELETE = audit.register(
    "announcement.delete", pgettext_lazy("audit action", "Announcement deleted")
)
ANNOUNCEMENT_PUBLISH = audit.register(
    "announcement.publish", pgettext_lazy("audit action", "Announcement published")
)
ANNOUNCEMENT_UNPUBLISH = audit.register(
    "announcement.unpublish", pgettext_lazy("audit action", "Announcement unpublished")
)
MAINTENANCE_CREATE = audit.register(
    "maintenance.create", pgettext_lazy("audit action", "Maintenance scheduled")
)
MAINTENANCE_UPDATE = audit.register(
    "maintenance.update", pgettext_lazy("audit action", "Maintenance changed")
)
MAINTENANCE_DELETE = audit.register(
    "maintenance.delete", pgettext_lazy("audit action", "Maintenance deleted")
)
MAINTENANCE_END = audit.register(
    "maintenance.end", pgettext_lazy("audit action", "Maintenance ended early")
)
MAINTENANCE_CANCEL = audit.register(
    "maintenance.cancel", pgettext_lazy("audit action", "Maintenance cancelled")
)
OUTBOUND_MESSAGE_RETRY = audit.register(
    "outbound_message.retry", pgettext_lazy("audit action", "Message delivery retried")
)
ADMIN_VIEW = audit.register(
    "admin.view", pgettext_lazy("audit action", "Record opened in the system administration")
)
