"""What every family-support service does the same way: the audit entry and the notification."""

from django.urls import reverse

from kosodate.core import audit as core_audit
from kosodate.core.services import notification_send


def audit(actor, action: str, target=None, *, subject=None, request=None, **detail) -> None:
    """One entry in core's audit log; `action` is registered in audit_actions.py."""
    core_audit.log(actor, action, target, subject_user=subject, request=request, **detail)


def notify(user, kind: str, title, body, url_name: str = "", *args, urgent: bool = False) -> None:
    """A notification (and email) to one person, in their language; delivered after commit."""
    url = reverse(url_name, args=args) if url_name else ""
    notification_send(user=user, kind=kind, title=title, body=body, url=url, urgent=urgent)


def record_viewed(*, actor, target, subject, request=None) -> None:
    """A member's personal data was shown to staff (SECURITY.md: every look is audited)."""
    audit(actor, "familysupport.record.view", target, subject=subject, request=request)
