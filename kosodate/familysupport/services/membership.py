"""Joining: applying with an orientation date, attendance, the centre's confirmation at the counter,
supporters' training and approval, insurance, and the supporter's own profile."""

from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosodate.core.ages import birthday
from kosodate.core.capacity import capacity_locked
from kosodate.core.images import CleanPhoto

from .. import selectors
from ..models import (
    Attendance,
    Availability,
    District,
    Insurance,
    Member,
    MemberPhoto,
    Session,
    SupporterProfile,
)
from .common import audit, notify


def _session_book(*, session: Session, member: Member) -> Attendance:
    """Book a place at a session under the session's row lock (core capacity contract)."""
    if session.starts_at <= timezone.now() or not session.published:
        raise ValidationError({"session": _("This session is no longer open.")})
    with capacity_locked(Session.objects.filter(pk=session.pk)) as ([locked],):
        if Attendance.objects.filter(session=locked, member=member).exists():
            raise ValidationError({"session": _("You already have a place at this session.")})
        if selectors.session_places_taken(session_id=locked.pk) >= locked.capacity:
            raise ValidationError(
                {"session": _("This session is full. Please choose another date.")}
            )
        return Attendance.objects.create(session=locked, member=member)


def member_apply(
    *,
    user,
    kind: str,
    district: District,
    session: Session,
    display_name: str = "",
) -> Member:
    """A resident applies (依頼・提供・両方) and takes a place at an orientation; nothing is saved
    if the session is full."""
    if Member.objects.filter(user=user).exists():
        raise ValidationError(_("You have already applied."))
    if session.kind != Session.Kind.ORIENTATION:
        raise ValidationError({"session": _("Choose an orientation session.")})
    with transaction.atomic():
        member = Member.objects.create(user=user, kind=kind, district=district)
        if member.supports:
            SupporterProfile.objects.create(
                member=member, display_name=display_name or user.last_name
            )
        _session_book(session=session, member=member)
        audit(user, "familysupport.member.apply", member, subject=user, kind=kind)
    return member


def training_book(*, member: Member, session: Session) -> Attendance:
    """A supporter takes a place at a training course session."""
    if not member.supports or session.kind != Session.Kind.TRAINING:
        raise ValidationError({"session": _("Choose a training course session.")})
    return _session_book(session=session, member=member)


def session_create(
    *, actor, kind: str, title: str, starts_at, place: str, capacity: int, request=None
) -> Session:
    session = Session.objects.create(
        kind=kind, title=title, starts_at=starts_at, place=place, capacity=capacity
    )
    audit(actor, "familysupport.session.create", session, request=request, title=title)
    return session


def attendance_record(*, actor, session: Session, attended_ids: set[int], request=None) -> int:
    """Mark who came (the rest of the booked are absent)."""
    with transaction.atomic():
        booked = Attendance.objects.filter(
            session=session, status__in=[Attendance.Status.BOOKED, "attended", "absent"]
        )
        came = booked.filter(pk__in=attended_ids).update(status=Attendance.Status.ATTENDED)
        booked.exclude(pk__in=attended_ids).update(status=Attendance.Status.ABSENT)
        audit(actor, "familysupport.session.attendance", session, request=request, came=came)
    return came


def member_confirm(
    *, actor, member: Member, card_number: str, photo: CleanPhoto | None = None, request=None
) -> Member:
    """The centre confirms membership after the orientation and an identity check at the counter:
    a card number is issued, the photo kept if one was taken (optional; already checked and
    re-encoded by core.images), and the membership runs for the rules' years."""
    attended = member.attendances.filter(
        session__kind=Session.Kind.ORIENTATION, status=Attendance.Status.ATTENDED
    ).exists()
    if not attended:
        raise ValidationError(_("Mark the member's attendance at an orientation first."))
    card_number = card_number.strip()
    if not card_number:
        raise ValidationError({"card_number": _("Enter the membership card number.")})
    rules = selectors.rules_get()
    today = timezone.localdate()
    try:
        with transaction.atomic():
            updated = Member.objects.filter(pk=member.pk, status=Member.Status.APPLIED).update(
                status=Member.Status.ACTIVE,
                card_number=card_number,
                confirmed_at=timezone.now(),
                confirmed_by=actor,
                valid_until=birthday(today, rules.membership_years),
            )
            if not updated:
                raise ValidationError(_("This member is already confirmed."))
            if photo is not None:
                MemberPhoto.objects.update_or_create(
                    member=member,
                    defaults={
                        "content": photo.content,
                        "content_type": photo.content_type,
                        "width": photo.width,
                        "height": photo.height,
                    },
                )
            audit(
                actor,
                "familysupport.member.confirm",
                member,
                subject=member.user,
                request=request,
                card=card_number,
                photo=photo is not None,
            )
    except IntegrityError:
        raise ValidationError({"card_number": _("This card number is already used.")}) from None
    member.refresh_from_db()
    notify(
        member.user,
        "familysupport.member.confirmed",
        _("Your family-support membership is confirmed"),
        _("Membership card number: %(card)s.") % {"card": card_number},
        "familysupport:home",
    )
    return member


def supporter_approve(
    *, actor, profile: SupporterProfile, certificate_date: date, request=None
) -> SupporterProfile:
    """The centre approves a supporter who attended the training, with the certificate date; the
    certificate is valid for the rules' years."""
    attended = profile.member.attendances.filter(
        session__kind=Session.Kind.TRAINING, status=Attendance.Status.ATTENDED
    ).exists()
    if not attended:
        raise ValidationError(_("The supporter has not attended a training session yet."))
    if profile.member.status != Member.Status.ACTIVE:
        raise ValidationError(_("Confirm the membership first."))
    rules = selectors.rules_get()
    with transaction.atomic():
        SupporterProfile.objects.filter(pk=profile.pk).update(
            status=SupporterProfile.Status.APPROVED,
            certificate_date=certificate_date,
            certificate_expires=birthday(certificate_date, rules.certificate_valid_years),
            approved_at=timezone.now(),
        )
        audit(
            actor,
            "familysupport.supporter.approve",
            profile,
            subject=profile.member.user,
            request=request,
            certificate=certificate_date.isoformat(),
        )
    profile.refresh_from_db()
    return profile


def insurance_record(
    *, actor, member: Member, fiscal_year: int, policy: str, request=None
) -> Insurance:
    with transaction.atomic():
        row, _created = Insurance.objects.update_or_create(
            member=member, fiscal_year=fiscal_year, defaults={"policy": policy}
        )
        audit(actor, "familysupport.insurance.record", member, request=request, year=fiscal_year)
    return row


def profile_update(
    *,
    profile: SupporterProfile,
    display_name: str,
    about: str,
    skills: list[str],
    availability: list[tuple[int, time, time]],
) -> SupporterProfile:
    """The supporter's own profile: name shown, skills and weekly hours (replaced as a whole)."""
    for _weekday, starts, ends in availability:
        if ends <= starts:
            raise ValidationError(_("Each time's end must be after its start."))
    with transaction.atomic():
        profile.display_name = display_name
        profile.about = about
        for field in ("pickup", "home_care", "sick_recovery", "siblings", "early_late"):
            setattr(profile, f"can_{field}", field in skills)
        profile.save()
        profile.availability.all().delete()
        Availability.objects.bulk_create(
            Availability(profile=profile, weekday=w, starts=s, ends=e) for w, s, e in availability
        )
    return profile


def national_report_downloaded(*, actor, month: date, request=None) -> None:
    audit(actor, "familysupport.report.csv", None, request=request, month=month.isoformat())
