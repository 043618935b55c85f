"""SMS backends, in the style of Django's email backends.

`settings.SMS_BACKEND` names a `BaseSmsBackend` subclass; the delivery task builds one with
`sms_backend_get()` and calls `send_messages()`. How to write a backend for a real provider is in
docs/operations.md ("SMS provider interface").
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string


class PermanentDeliveryError(Exception):
    """Trying again cannot help (no provider configured, number refused as invalid): the message
    is marked failed at once instead of waiting out every retry."""


class SmsNotConfigured(PermanentDeliveryError):
    pass


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164, e.g. "+819012345678"
    body: str
    sender_id: str = field(default_factory=lambda: settings.SMS_SENDER_ID)
    # The outbox row's id: providers that accept a client reference can use it to de-duplicate.
    reference: str = ""


class BaseSmsBackend:
    """Send a batch of messages; return how many the provider accepted. Raise on failure: the
    delivery task records the error and retries (or fails at once on PermanentDeliveryError)."""

    def __init__(self, **options) -> None:
        self.options = options

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        raise NotImplementedError("SMS backends must implement send_messages()")


class OutboxOnlyBackend(BaseSmsBackend):
    """Development: nothing leaves the machine; the outbox row (open /dev/outbox/) IS the
    delivery."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        return len(messages)


# Messages "sent" through LocmemBackend, like django.core.mail.outbox. Tests empty it themselves.
outbox: list[SmsMessage] = []


class LocmemBackend(BaseSmsBackend):
    """Tests: keeps the messages in `kosodate.core.sms.outbox`."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


class NotConfiguredBackend(BaseSmsBackend):
    """The production default until a provider backend is configured: every SMS fails loudly and
    stays in the outbox as failed for staff to see, rather than being dropped in silence."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        raise SmsNotConfigured(
            "No SMS provider is configured: set SMS_BACKEND to a provider backend "
            "(see docs/operations.md, 'SMS provider interface')."
        )


def sms_backend_get(path: str | None = None, **options) -> BaseSmsBackend:
    return import_string(path or settings.SMS_BACKEND)(**options)
