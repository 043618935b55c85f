"""Upkeep: the default topics and emergency words, and the retention rule (records kept until the
child reaches the rule's age, then photos deleted and the rest anonymised)."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from kosodate.core import audit

from .. import selectors
from ..models import Consultation, Handover, Message, Photo, StaffNote, Topic


def defaults_ensure() -> None:
    """Create the default topics and emergency words that are missing (idempotent; rows the
    municipality changed are left as they are)."""
    from ..defaults import TOPICS, WORDS
    from ..models import EmergencyWord

    for order, (code, name, name_en, profession) in enumerate(TOPICS):
        Topic.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "profession": profession, "order": order},
        )
    for word, kind in WORDS:
        EmergencyWord.objects.get_or_create(word=word, defaults={"kind": kind})


ANONYMISED_TEXT = "（保存期間を過ぎたため削除しました）"


def retention_apply(*, today: date | None = None) -> int:
    """Apply the retention rule: for children who reached the rule's age, delete the photos and
    the private notes, blank the messages and detach the family; the topic, profession, dates,
    flags and outcome stay for the reports. Returns how many were anonymised."""
    now = timezone.now()
    count = 0
    for consultation in selectors.retention_due(today=today):
        with transaction.atomic():
            Photo.objects.filter(message__consultation=consultation).delete()
            StaffNote.objects.filter(consultation=consultation).delete()
            Message.objects.filter(consultation=consultation).update(
                body=ANONYMISED_TEXT, author=None
            )
            Handover.objects.filter(consultation=consultation).update(note=ANONYMISED_TEXT)
            Consultation.objects.filter(pk=consultation.pk, anonymised_at__isnull=True).update(
                household=None,
                child=None,
                asked_by=None,
                flag_words=[],
                anonymised_at=now,
                status=Consultation.Status.CLOSED,
                closed_at=consultation.closed_at or now,
            )
            audit.log(None, "consultation.anonymise", consultation)
        count += 1
    return count
