"""Facility registration (利用登録) and the first interview (面談): a family asks to register its
children with a facility, staff schedule the interview, then complete or decline it. Until a
registration is active, the child cannot be booked (services.booking_request checks it)."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosodate.accounts.models import Child, User
from kosodate.core import audit

from . import notices, selectors
from .models import Facility, Registration
from .services import _staff_url


def registration_request(
    *,
    user: User,
    facility: Facility,
    children: list[Child],
    preferred_dates: list[date] = (),
    preferred_note: str = "",
    now=None,
) -> list[Registration]:
    """Ask to register children with a facility; where it holds an interview first, with the
    family's preferred dates. Raises ValidationError if a child already has an open one."""
    now = now or timezone.now()
    if not children:
        raise ValidationError(_("Choose at least one child."))
    if any(child.household_id != user.household_id for child in children):
        raise ValidationError(_("Choose your own children."))
    if facility.requires_interview and not preferred_dates:
        raise ValidationError(_("Give at least one date that suits you for the interview."))
    if any(d < timezone.localdate(now) for d in preferred_dates):
        raise ValidationError(_("The interview dates must be in the future."))
    existing = set(
        Registration.objects.filter(
            facility=facility,
            child__in=children,
            status__in=Registration.OPEN_STATUSES,
        ).values_list("child_id", flat=True)
    )
    if existing:
        names = ", ".join(c.full_name for c in children if c.pk in existing)
        raise ValidationError(
            _("Already registered or requested with this facility: %(names)s") % {"names": names}
        )
    dates = list(preferred_dates)[:3] + [None] * (3 - len(list(preferred_dates)[:3]))
    created = []
    with transaction.atomic():
        for child in children:
            registration = Registration.objects.create(
                facility=facility,
                child=child,
                household_id=user.household_id,
                requested_by=user,
                preferred_date_1=dates[0],
                preferred_date_2=dates[1],
                preferred_date_3=dates[2],
                preferred_note=preferred_note,
                created_at=now,
            )
            notices.registration_notify(registration=registration, event="requested")
            created.append(registration)
        notices.staff_notify(
            facility=facility,
            title=gettext_lazy("New registration request: %(facility)s"),
            url=_staff_url(),
        )
    return created


def _registration_change(registration, *, from_statuses, to, actor, request, now, **fields) -> bool:
    updated = Registration.objects.filter(
        pk=registration.pk, status__in=list(from_statuses)
    ).update(status=to, **fields)
    if updated:
        registration.status = to
        for name, value in fields.items():
            setattr(registration, name, value)
        audit.log(
            actor,
            f"childcare.registration.{to}",
            registration,
            subject_user=registration.requested_by,
            request=request,
        )
        notices.registration_notify(registration=registration, event=to)
    return bool(updated)


def registration_interview_schedule(
    *, registration: Registration, actor: User, interview_at: datetime, request=None, now=None
) -> Registration:
    """Set (or move) the interview date; the family is told."""
    now = now or timezone.now()
    if interview_at <= now:
        raise ValidationError(_("The interview must be in the future."))
    with transaction.atomic():
        if not _registration_change(
            registration,
            from_statuses=[Registration.Status.REQUESTED, Registration.Status.INTERVIEW_SCHEDULED],
            to=Registration.Status.INTERVIEW_SCHEDULED,
            actor=actor,
            request=request,
            now=now,
            interview_at=interview_at,
        ):
            raise ValidationError(_("This registration has already been decided."))
    return registration


def registration_complete(*, registration: Registration, actor: User, request=None, now=None):
    """The interview was held (or none is needed): the child may now be booked. Where the
    facility meets each family first, the interview must have been set and its day reached: an
    interview set for 12-07 cannot be recorded as held on 12-04."""
    now = now or timezone.now()
    fields = {"decided_at": now}
    if registration.facility.requires_interview:
        refusal = selectors.registration_complete_refusal(registration=registration, now=now)
        if refusal:
            raise ValidationError(refusal)
        fields["interview_done_at"] = now
    with transaction.atomic():
        if not _registration_change(
            registration,
            from_statuses=[Registration.Status.REQUESTED, Registration.Status.INTERVIEW_SCHEDULED],
            to=Registration.Status.ACTIVE,
            actor=actor,
            request=request,
            now=now,
            **fields,
        ):
            raise ValidationError(_("This registration has already been decided."))
    return registration


def registration_decline(
    *, registration: Registration, actor: User, reason: str, request=None, now=None
) -> Registration:
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the family a reason."))
    with transaction.atomic():
        if not _registration_change(
            registration,
            from_statuses=[Registration.Status.REQUESTED, Registration.Status.INTERVIEW_SCHEDULED],
            to=Registration.Status.DECLINED,
            actor=actor,
            request=request,
            now=now,
            decline_reason=reason,
            decided_at=now,
        ):
            raise ValidationError(_("This registration has already been decided."))
    return registration
