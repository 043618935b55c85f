"""Child health's audit vocabulary (kosodate.core.audit).
Each action has an English and a Japanese label for the staff audit page; imported by the app's AppConfig.ready()."""

from django.utils.translation import pgettext_lazy

from kosodate.core import audit

HEALTH_NOTICE_CREATE = audit.register(
    "health_notice.create", pgettext_lazy("audit action", "Health notice created")
)
HEALTH_NOTICE_UPDATE = audit.register(
    "health_notice.update", pgettext_lazy("audit action", "Health notice edited")
)
CHECKUP_SESSION_CREATE = audit.register(
    "checkup_session.create", pgettext_lazy("audit action", "Checkup date added")
)
CHECKUP_SESSION_DELETE = audit.register(
    "checkup_session.delete", pgettext_lazy("audit action", "Checkup date deleted")
)
SCHEDULE_RULE_UPDATE = audit.register(
    "schedule_rule.update", pgettext_lazy("audit action", "Immunisation schedule changed")
)
DOSE_RECORD_DELETE = audit.register(
    "dose_record.delete", pgettext_lazy("audit action", "Immunisation dose removed by the family")
)
DOSE_RECORD_RESTORE = audit.register(
    "dose_record.restore", pgettext_lazy("audit action", "Removed immunisation dose put back")
)
