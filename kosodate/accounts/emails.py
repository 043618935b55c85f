"""The accounts' emails, rendered in one place: Japanese with the English version below, from
`<template>_subject.txt` / `_message.txt`. Used by the allauth adapter (allauth's own emails) and
by the services (ours); neither imports the other for it."""

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from kosodate.core.services import message_email_send


def email_render_bilingual(template_prefix: str, context: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of `<template_prefix>_subject.txt` / `_message.txt`, in Japanese with the
    English version below (the outbox adds the official-address and phishing footer)."""
    subjects, bodies = [], []
    for language in ("ja", "en"):
        with translation.override(language):
            subject = render_to_string(f"{template_prefix}_subject.txt", context)
            subjects.append(" ".join(subject.split()))
            bodies.append(render_to_string(f"{template_prefix}_message.txt", context).strip())
    return " / ".join(subjects), "\n\n----------\n\n".join(bodies)


def email_bilingual_send(
    *, to: str, template: str, context: dict, user=None, kind: str, secrets=()
) -> None:
    """Queue an email from <template>_subject.txt / _message.txt, Japanese with English below
    (the same rendering as allauth's emails; the outbox adds the phishing footer). `secrets`:
    the values the outbox must not keep readable (message_email_send)."""
    subject, body = email_render_bilingual(template, context)
    message_email_send(to=to, subject=subject, body=body, user=user, kind=kind, secrets=secrets)
