"""The accounts app's audit vocabulary (kosodate.core.audit).
Each action has an English and a Japanese label for the staff audit page; imported by the app's AppConfig.ready()."""

from django.utils.translation import pgettext_lazy

from kosodate.core import audit

ACCOUNT_DATA_EXPORT = audit.register(
    "account.data_export", pgettext_lazy("audit action", "Personal data downloaded")
)
ACCOUNT_DELETE = audit.register("account.delete", pgettext_lazy("audit action", "Account deleted"))
ACCOUNT_DETAILS_UPDATE = audit.register(
    "account.details_update", pgettext_lazy("audit action", "Registration details changed")
)
ACCOUNT_PHONE_CHANGE = audit.register(
    "account.phone_change", pgettext_lazy("audit action", "Phone number changed")
)
ACCOUNT_UNLOCK = audit.register("account.unlock", pgettext_lazy("audit action", "Account unlocked"))
CHILD_CREATE = audit.register("child.create", pgettext_lazy("audit action", "Child added"))
CHILD_UPDATE = audit.register(
    "child.update", pgettext_lazy("audit action", "Child's details changed")
)
CHILD_DELETE = audit.register("child.delete", pgettext_lazy("audit action", "Child removed"))
IDENTITY_CHECK_RECORD = audit.register(
    "identity_check.record", pgettext_lazy("audit action", "Identity check recorded")
)
RECOVERY_EMAIL_CHANGE = audit.register(
    "recovery.email_change", pgettext_lazy("audit action", "Email address changed at the counter")
)
RECOVERY_RESET_LINK_ISSUE = audit.register(
    "recovery.reset_link_issue",
    pgettext_lazy("audit action", "Password reset link issued at the counter"),
)
RECOVERY_SECOND_STEP_RESET = audit.register(
    "recovery.second_step_reset", pgettext_lazy("audit action", "Second step reset at the counter")
)
RESIDENT_VIEW = audit.register(
    "resident.view", pgettext_lazy("audit action", "Resident's record opened")
)
