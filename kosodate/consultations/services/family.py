"""The family's side of a written consultation: asking, replying, closing and reopening.

A reply racing a close is a compare-and-swap on the status; the first-answer deadline is counted in
the service's working hours (deadlines.py)."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosodate.accounts.models import User
from kosodate.core import audit
from kosodate.core.images import CleanPhoto

from .. import selectors
from ..deadlines import working_deadline
from ..models import MAX_PHOTOS, Consultation, Message, Topic
from .common import add_photos, flag_words, require_text


def consultation_ask(
    *,
    user: User,
    child,
    topic: Topic,
    body: str,
    photos: list[CleanPhoto] = (),
    request=None,
    now: datetime | None = None,
) -> Consultation:
    """Send a written question about one of the household's children; routed by the topic to a
    profession, with its first-answer deadline in working hours. Words that signal an emergency
    flag it for staff (it is sent all the same). All or nothing."""
    body = require_text(body)
    if child.household_id != user.household_id or user.household_id is None:
        raise ValidationError({"child": _("Choose one of your children.")})
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("Attach at most 3 photos.")})
    now = now or timezone.now()
    rules = selectors.rules_get()
    words = flag_words(body)
    with transaction.atomic():
        consultation = Consultation.objects.create(
            household_id=user.household_id,
            child=child,
            asked_by=user,
            topic=topic,
            profession=topic.profession,
            child_age_months=selectors.child_age_months(child=child, on=timezone.localdate(now)),
            flagged=bool(words),
            flag_words=words,
            created_at=now,
            last_message_at=now,
            due_at=working_deadline(now, rules),
        )
        message = Message.objects.create(
            consultation=consultation, author=user, body=body, created_at=now
        )
        add_photos(message, list(photos))
        audit.log(
            user,
            "consultation.ask",
            consultation,
            subject_user=user,
            request=request,
            topic=topic.code,
            flagged=bool(words),
            photos=len(photos),
        )
    return consultation


def consultation_reply(
    *,
    user: User,
    consultation: Consultation,
    body: str,
    photos: list[CleanPhoto] = (),
    request=None,
    now: datetime | None = None,
) -> Message:
    """The family writes again; the thread goes back to the professionals with a new deadline.
    A closed thread takes no reply (reopen it first)."""
    body = require_text(body)
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("Attach at most 3 photos.")})
    now = now or timezone.now()
    words = flag_words(body)
    is_session = consultation.channel == Consultation.Channel.SESSION
    with transaction.atomic():
        # Compare-and-swap on the status: a reply racing a close either lands before it or fails.
        changes = {"last_message_at": now}
        if not is_session:
            changes.update(
                status=Consultation.Status.WAITING_STAFF,
                due_at=working_deadline(now, selectors.rules_get()),
            )
        if words:
            changes["flagged"] = True
        updated = (
            Consultation.objects.filter(pk=consultation.pk, household_id=user.household_id)
            .exclude(status=Consultation.Status.CLOSED)
            .update(**changes)
        )
        if not updated:
            raise ValidationError(
                _("This consultation is closed. Reopen it to write again, or ask a new question."),
                code="closed",
            )
        if words:
            consultation.flag_words = sorted(set(consultation.flag_words) | set(words))
            consultation.save(update_fields=["flag_words"])
        message = Message.objects.create(
            consultation=consultation, author=user, body=body, created_at=now
        )
        add_photos(message, list(photos))
    for field, value in changes.items():
        setattr(consultation, field, value)
    return message


def consultation_close(
    *, user: User, consultation: Consultation, helpful: bool | None, request=None
) -> bool:
    """The family closes the thread, saying whether it helped. False if it was closed already."""
    now = timezone.now()
    with transaction.atomic():
        updated = (
            Consultation.objects.filter(pk=consultation.pk, household_id=user.household_id)
            .exclude(status=Consultation.Status.CLOSED)
            .update(status=Consultation.Status.CLOSED, closed_at=now, helpful=helpful)
        )
        if updated:
            audit.log(
                user,
                "consultation.close",
                consultation,
                subject_user=user,
                request=request,
                helpful=helpful,
            )
    if updated:
        consultation.status, consultation.closed_at = Consultation.Status.CLOSED, now
        consultation.helpful = helpful
    return bool(updated)


def consultation_reopen(*, user: User, consultation: Consultation, request=None) -> None:
    """Open a closed written consultation again, within the rules' days after it was closed."""
    rules = selectors.rules_get()
    until = selectors.reopen_until(consultation=consultation, rules=rules)
    now = timezone.now()
    if until is None or now > until:
        raise ValidationError(
            _("This consultation can no longer be reopened. Please ask a new question."),
            code="too_late",
        )
    with transaction.atomic():
        updated = Consultation.objects.filter(
            pk=consultation.pk,
            household_id=user.household_id,
            status=Consultation.Status.CLOSED,
            closed_at__gte=now - timedelta(days=rules.reopen_days),
        ).update(
            status=Consultation.Status.WAITING_STAFF,
            closed_at=None,
            helpful=None,
            due_at=working_deadline(now, rules),
            last_message_at=now,
        )
        if not updated:
            raise ValidationError(_("This consultation is not closed."), code="not_closed")
        audit.log(user, "consultation.reopen", consultation, subject_user=user, request=request)
    consultation.status, consultation.closed_at = Consultation.Status.WAITING_STAFF, None
