"""Facility settings: usual and per-day capacity, closures, rules and staff. A change that frees
places settles the day under its lock (services._day_settle), so the waiting list moves at once."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kosodate.accounts.models import User
from kosodate.core import audit
from kosodate.core.capacity import capacity_locked

from . import notices
from . import rules as R
from .availability_cache import availability_changed
from .models import Booking, Facility, FacilityDay, FacilityStaff
from .services import BOOKINGS, S, _day_load, _day_row, _day_settle

CAPACITY_FIELDS = (
    "capacity_mode",
    "places_age0",
    "places_age1_2",
    "places_age3",
    "places_age4_5",
    "carers",
    "max_children",
)
DAY_CAPACITY_FIELDS = ("places_age0", "places_age1_2", "places_age3", "places_age4_5", "carers")
RULE_FIELDS = (*R.FACILITY_OVERRIDES, "open_on_saturdays", "opens_at", "closes_at", "auto_approve")


def _facility_save(facility: Facility, fields: tuple, changes: dict, actor, action, request):
    unknown = set(changes) - set(fields)
    if unknown:
        raise TypeError(f"cannot change {sorted(unknown)}")
    changed = sorted(f for f, v in changes.items() if getattr(facility, f) != v)
    for name, value in changes.items():
        setattr(facility, name, value)
    if changed:
        facility.save(update_fields=[*changed, "updated_at"])
        audit.log(actor, action, facility, request=request, fields=changed)
    return changed


def facility_capacity_update(*, facility: Facility, actor: User, request=None, now=None, **changes):
    """Change the facility's usual capacity. Days with families waiting are settled at once, so
    new places go to the waiting list in order."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = _facility_save(
            facility, CAPACITY_FIELDS, changes, actor, "childcare.facility.capacity", request
        )
    if changed:
        day_ids = sorted(
            set(
                Booking.objects.filter(
                    facility=facility, status=S.WAITLISTED, date__gte=timezone.localdate(now)
                ).values_list("day_id", flat=True)
            )
        )
        for day_id in day_ids:
            with capacity_locked(FacilityDay.objects.filter(pk=day_id)) as ([row],):
                _day_settle(_day_load(row, facility), now=now)
    return changed


def facility_rules_update(*, facility: Facility, actor: User, request=None, **changes):
    """Change the facility's own rules (empty values fall back to the municipality's)."""
    with transaction.atomic():
        return _facility_save(
            facility, RULE_FIELDS, changes, actor, "childcare.facility.rules", request
        )


def facility_day_capacity_set(
    *, facility: Facility, day: date, actor: User, request=None, now=None, **values
) -> FacilityDay:
    """Capacity for one day only (None: the usual); new places go to the waiting list."""
    now = now or timezone.now()
    unknown = set(values) - set(DAY_CAPACITY_FIELDS)
    if unknown:
        raise TypeError(f"cannot change {sorted(unknown)}")
    row = _day_row(facility, day)
    with capacity_locked(FacilityDay.objects.filter(pk=row.pk)) as ([row],):
        for name, value in values.items():
            setattr(row, name, value)
        row.save(update_fields=[*values, "updated_at"])
        audit.log(
            actor,
            "childcare.day.capacity",
            row,
            request=request,
            **{"date": day.isoformat(), **{k: v for k, v in values.items()}},
        )
        _day_settle(_day_load(row, facility), now=now)
    return row


def facility_day_close(
    *, facility: Facility, day: date, reason: str, actor: User, request=None, now=None
) -> int:
    """Close the facility on a day (a closure of its own). Bookings that day are cancelled by the
    facility, with the reason, and each family told. Returns how many were cancelled."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give a reason: the families are told it."))
    if day < timezone.localdate(now):
        raise ValidationError(_("The date has passed."))
    row = _day_row(facility, day)
    cancelled = 0
    with capacity_locked(FacilityDay.objects.filter(pk=row.pk)) as ([row],):
        row.closed, row.closed_reason = True, reason[:200]
        row.save(update_fields=["closed", "closed_reason", "updated_at"])
        state = _day_load(row, facility)
        for booking in Booking.objects.filter(
            day_id=row.pk, status__in=list(Booking.CANCELLABLE)
        ).select_related("facility", "child", "household"):
            was = booking.status
            if BOOKINGS.change(
                booking,
                from_statuses=Booking.CANCELLABLE,
                to=S.CANCELLED,
                actor=actor,
                now=now,
                note=reason,
                cancelled_by=Booking.CancelledBy.FACILITY,
                cancel_reason=reason,
            ):
                if was in Booking.HOLDING:
                    state.held[booking.age_band] -= 1
                notices.family_notify(booking=booking, event="cancelled_by_facility", reason=reason)
                cancelled += 1
        audit.log(
            actor,
            "childcare.day.close",
            row,
            request=request,
            date=day.isoformat(),
            reason=reason,
            cancelled=cancelled,
        )
        _day_settle(state, now=now)
    return cancelled


def facility_day_reopen(*, facility: Facility, day: date, actor: User, request=None) -> bool:
    row = FacilityDay.objects.filter(facility=facility, date=day, closed=True).first()
    if row is None:
        return False
    with transaction.atomic():
        updated = FacilityDay.objects.filter(pk=row.pk, closed=True).update(
            closed=False, closed_reason="", updated_at=timezone.now()
        )
        if updated:
            availability_changed()
            audit.log(actor, "childcare.day.reopen", row, request=request, date=day.isoformat())
    return bool(updated)


def facility_staff_add(*, facility: Facility, user: User, actor=None) -> FacilityStaff:
    """Let a facility-staff account work at a facility (system administrators, demo data)."""
    with transaction.atomic():
        membership, created = FacilityStaff.objects.get_or_create(facility=facility, user=user)
        if created:
            audit.log(actor, "childcare.facility.staff_add", facility, subject_user=user)
    return membership


def roster_viewed(*, facility: Facility, day: date, actor: User, request=None) -> None:
    """Looking at a day roster shows children's allergies and guardians' phones: logged."""
    audit.log(actor, "childcare.roster.view", facility, request=request, date=day.isoformat())
