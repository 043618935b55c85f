"""What every family-support service does the same way: the audit entry and the notification."""

from django.urls import reverse

from kosodate.core.services import audit_log_record, notification_send


def audit(actor, action: str, target=None, *, subject=None, request=None, **detail) -> None:
    audit_log_record(
        actor=actor,
        action=action,
        target=target,
        subject_user=subject,
        detail=detail,
        request=request,
    )


def notify(user, kind: str, title, body, url_name: str = "", *args, urgent: bool = False) -> None:
    """A notification (and email) to one person, in their language; delivered after commit."""
    url = reverse(url_name, args=args) if url_name else ""
    notification_send(user=user, kind=kind, title=title, body=body, url=url, urgent=urgent)


def record_viewed(*, actor, target, subject, request=None) -> None:
    """A member's personal data was shown to staff (SECURITY.md: every look is audited)."""
    audit(actor, "familysupport.record.view", target, subject=subject, request=request)
