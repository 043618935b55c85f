"""Helpers shared by the consultations flows: message text, photos, emergency words and the
family's notification (no content in it, only a link: the mail may be read by others)."""

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kosodate.core.images import CleanPhoto
from kosodate.core.services import notification_send

from .. import selectors
from ..models import Consultation, Message, Photo

NOTIFY_KIND = "consultation"


def require_text(body: str, field: str = "body") -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({field: _("Write your message.")}, code="empty")
    return body


def add_photos(message: Message, photos: list[CleanPhoto]) -> None:
    Photo.objects.bulk_create(
        Photo(
            message=message,
            content=p.content,
            content_type=p.content_type,
            width=p.width,
            height=p.height,
        )
        for p in photos
    )


def flag_words(text: str) -> list[str]:
    return [w.word for w in selectors.emergency_words_found(text)]


def family_notify(consultation: Consultation, title) -> None:
    user = consultation.asked_by
    if user is None:
        return
    notification_send(
        user=user,
        kind=NOTIFY_KIND,
        title=title,
        # Deliberately no content: only a link (habit: nothing personal in an email).
        body=_("Sign in and open the link to read it."),
        url=reverse("consultations:detail", args=[consultation.pk]),
    )
