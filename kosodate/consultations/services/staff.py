"""The professionals' side: reading (on record), answering, taking, assigning, handing over to
another profession, private notes, outcomes and the monthly report's download.

Taking a consultation is a compare-and-swap (two professionals may race); every staff action and
every look at a consultation is audit-logged."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosodate.accounts.models import User
from kosodate.core import audit

from .. import selectors
from ..models import Consultation, Handover, Message, Profession, StaffMember, StaffNote
from .common import family_notify, require_text


def consultation_record_view(*, member: StaffMember, consultation: Consultation, request=None):
    """Every look at a consultation by staff goes on record (who read what, and when)."""
    audit.log(
        member.user,
        selectors.VIEW_ACTION,
        consultation,
        subject_user=consultation.asked_by,
        request=request,
    )


def consultation_answer(
    *,
    member: StaffMember,
    consultation: Consultation,
    body: str,
    request=None,
    now: datetime | None = None,
) -> Message:
    """A professional answers: the thread waits for the family, which is told (no content in the
    notification). Whoever answers an unassigned consultation takes it."""
    body = require_text(body)
    now = now or timezone.now()
    user = member.user
    with transaction.atomic():
        updated = (
            Consultation.objects.filter(pk=consultation.pk)
            .exclude(status=Consultation.Status.CLOSED)
            .update(last_message_at=now)
        )
        if not updated:
            raise ValidationError(_("This consultation is closed."), code="closed")
        if consultation.channel == Consultation.Channel.WRITTEN:
            Consultation.objects.filter(pk=consultation.pk).update(
                status=Consultation.Status.WAITING_FAMILY
            )
        Consultation.objects.filter(pk=consultation.pk, first_answered_at__isnull=True).update(
            first_answered_at=now
        )
        Consultation.objects.filter(pk=consultation.pk, assigned_to__isnull=True).update(
            assigned_to=user
        )
        message = Message.objects.create(
            consultation=consultation,
            author=user,
            from_staff=True,
            profession=member.profession or consultation.profession,
            body=body,
            created_at=now,
        )
        audit.log(
            user,
            "consultation.answer",
            consultation,
            subject_user=consultation.asked_by,
            request=request,
        )
        if consultation.channel == Consultation.Channel.WRITTEN:
            family_notify(consultation, _("A professional has answered your consultation"))
    consultation.refresh_from_db()
    return message


def consultation_take(*, member: StaffMember, consultation: Consultation, request=None) -> bool:
    """Take an unassigned consultation; False if a colleague took it first."""
    with transaction.atomic():
        updated = Consultation.objects.filter(pk=consultation.pk, assigned_to__isnull=True).update(
            assigned_to=member.user
        )
        if updated:
            audit.log(member.user, "consultation.take", consultation, request=request)
    if updated:
        consultation.assigned_to = member.user
    return bool(updated)


def consultation_assign(
    *, member: StaffMember, consultation: Consultation, to_user: User, request=None
) -> None:
    """Give the consultation to a colleague of its profession."""
    target = selectors.staff_member_for(to_user)
    if target is None or target.profession != consultation.profession:
        raise ValidationError(
            {"to_user": _("Choose a professional of this consultation's profession.")}
        )
    with transaction.atomic():
        Consultation.objects.filter(pk=consultation.pk).update(assigned_to=to_user)
        audit.log(member.user, "consultation.assign", consultation, request=request, to=to_user.pk)
    consultation.assigned_to = to_user


def consultation_hand_over(
    *, member: StaffMember, consultation: Consultation, to_profession: str, note: str, request=None
) -> Handover:
    """Pass the consultation to another profession with a note; it joins that profession's
    unassigned queue."""
    note = require_text(note, "note")
    if to_profession not in Profession.values or to_profession == consultation.profession:
        raise ValidationError({"to_profession": _("Choose another profession.")})
    now = timezone.now()
    with transaction.atomic():
        updated = (
            Consultation.objects.filter(pk=consultation.pk, profession=consultation.profession)
            .exclude(status=Consultation.Status.CLOSED)
            .update(profession=to_profession, assigned_to=None)
        )
        if not updated:
            raise ValidationError(
                _("This consultation was closed or handed over meanwhile."), code="stale"
            )
        handover = Handover.objects.create(
            consultation=consultation,
            from_profession=consultation.profession,
            to_profession=to_profession,
            by=member.user,
            note=note,
            created_at=now,
        )
        audit.log(
            member.user,
            "consultation.hand_over",
            consultation,
            request=request,
            **{"from": consultation.profession, "to": to_profession},
        )
    consultation.profession, consultation.assigned_to = to_profession, None
    return handover


def staff_note_add(
    *, member: StaffMember, consultation: Consultation, body: str, request=None
) -> StaffNote:
    body = require_text(body)
    with transaction.atomic():
        note = StaffNote.objects.create(
            consultation=consultation, author=member.user, body=body, created_at=timezone.now()
        )
        audit.log(member.user, "consultation.note", consultation, request=request)
    return note


def consultation_set_outcome(
    *, member: StaffMember, consultation: Consultation, outcome: str, request=None
) -> None:
    if outcome not in Consultation.Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    with transaction.atomic():
        Consultation.objects.filter(pk=consultation.pk).update(outcome=outcome)
        audit.log(
            member.user, "consultation.outcome", consultation, request=request, outcome=outcome
        )
    consultation.outcome = outcome


def session_message_staff(
    *, member: StaffMember, consultation: Consultation, body: str, request=None
) -> Message:
    """The professional writes in a session's chat (the same record as an answer)."""
    return consultation_answer(member=member, consultation=consultation, body=body, request=request)


def report_csv_record(*, member: StaffMember, month: date, request=None) -> None:
    """Downloading the monthly CSV is a staff action like any other: on record."""
    audit.log(member.user, "consultation.report_csv", request=request, month=f"{month:%Y-%m}")
