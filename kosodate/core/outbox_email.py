"""The email the outbox sends (core/services_outbox.py): Django's EmailMessage, with the header
classes of Python's email package made once per process instead of once per header.

Python's email.headerregistry.HeaderRegistry builds a new class with type() for every header it
parses (ten per message), which was a quarter of the CPU of turning an outbox row into bytes
(issue 16 item 4: a rush's thousand emails). The classes depend only on the header's name, so
they are kept; the headers themselves, and so the bytes sent, are exactly the standard policy's."""

import email.policy
from email.headerregistry import HeaderRegistry

from django.core.mail import EmailMessage


class _HeaderClasses(HeaderRegistry):
    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


_HEADER_CLASSES = _HeaderClasses()
_POLICIES: dict[object, email.policy.EmailPolicy] = {}


def _with_header_classes_kept(policy: email.policy.EmailPolicy) -> email.policy.EmailPolicy:
    """`policy` (the SMTP backend passes email.policy.SMTP) with the kept header classes."""
    kept = _POLICIES.get(policy)
    if kept is None:
        kept = _POLICIES[policy] = policy.clone(header_factory=_HEADER_CLASSES)
    return kept


class OutboxEmail(EmailMessage):
    def message(self, *, policy=email.policy.default):
        return super().message(policy=_with_header_classes_kept(policy))
