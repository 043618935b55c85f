"""Every write of the health app: doses ticked off, notices, preferences, and the reminders."""

import logging
from datetime import date, datetime, timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosodate.accounts.models import Child, Household, User
from kosodate.core import ages, audit
from kosodate.core.services import notification_send

from .models import (
    CheckupSession,
    ChildImmunisation,
    DoseRecord,
    HealthNotice,
    HouseholdSituation,
    ReminderSent,
    Vaccine,
)
from .schedule import DoseProblem, Status, dose_check
from .selectors import DOSE_UNDO_SALT, dose_undo_read

logger = logging.getLogger("kosodate.health")

# Reminders: a vaccine whose free period ends within this many days, and a checkup session (or
# a voucher checkup's window opening) within this many days.
VACCINE_REMINDER_DAYS = 30
# A vaccine reminder this close to the end of the free period is urgent (SMS too, if chosen).
VACCINE_URGENT_DAYS = 7
CHECKUP_REMINDER_DAYS = 7

DOSE_MESSAGES = {
    DoseProblem.BEFORE_BIRTH: gettext_lazy("The date is before the child's date of birth."),
    DoseProblem.IN_FUTURE: gettext_lazy("The date is in the future. Record a dose once given."),
    DoseProblem.TOO_EARLY: gettext_lazy(
        "This is earlier than the minimum age or interval for this dose (the earliest day was "
        "%(earliest)s). Check the date in the Maternal and Child Health Handbook."
    ),
    DoseProblem.AFTER_LIMIT: gettext_lazy(
        "This is after the period in which the dose is a free routine immunisation. Check the "
        "date in the Maternal and Child Health Handbook."
    ),
    DoseProblem.NOT_NEEDED: gettext_lazy("Every dose of this vaccine is already recorded."),
    DoseProblem.NOT_ROUTINE: gettext_lazy(
        "This vaccine is not a routine immunisation for this child (given with HBIG under "
        "health insurance). Record it if you want to keep track of it."
    ),
}


class DoseWarning(ValidationError):
    """The date is possible but unusual: the family confirms it to record it anyway."""


def dose_message(problem: DoseProblem, *, earliest: date | None = None) -> str:
    text = str(DOSE_MESSAGES[problem])
    if "%(earliest)s" in text:
        text = text % {"earliest": date_format(earliest, "DATE_FORMAT") if earliest else "-"}
    return text


def dose_record(
    *,
    user: User,
    child: Child,
    vaccine: Vaccine,
    given_on: date,
    confirmed: bool = False,
    today: date | None = None,
) -> DoseRecord:
    """Record a dose the child was given. Impossible dates raise ValidationError; an unusual
    one (too early, after the free period, one too many) raises DoseWarning unless `confirmed`."""
    from .selectors import child_not_routine, doses_by_vaccine, schedule_data

    today = today or timezone.localdate()
    data = schedule_data()
    info = next(i for i in data.infos if i.code == vaccine.code)
    check = dose_check(
        birth=child.birth_date,
        today=today,
        vaccine=info,
        rules=data.rules,
        doses_given=doses_by_vaccine(child=child).get(vaccine.code, []),
        given_on=given_on,
        not_routine=vaccine.code in child_not_routine(child=child),
    )
    if check.errors:
        raise ValidationError([dose_message(p) for p in check.errors], code="dose_date")
    if check.warnings and not confirmed:
        raise DoseWarning(
            [dose_message(p, earliest=check.earliest) for p in check.warnings], code="dose_warning"
        )
    try:
        with transaction.atomic():
            return DoseRecord.objects.create(
                child=child, vaccine=vaccine, given_on=given_on, recorded_by=user
            )
    except IntegrityError:
        raise ValidationError(
            _("A dose of this vaccine on this date is already recorded."), code="duplicate"
        ) from None


def child_hepb_hbig_set(*, child: Child, hepb_with_hbig: bool) -> ChildImmunisation:
    """Record whether the child's hepatitis B doses are given with HBIG (outside the routine
    programme: 予防接種法施行規則 excludes infants treated for mother-to-child prevention)."""
    info, _created = ChildImmunisation.objects.update_or_create(
        child=child, defaults={"hepb_with_hbig": hepb_with_hbig}
    )
    return info


def dose_delete(*, dose: DoseRecord, actor: User, request=None) -> str:
    """Remove a dose recorded by mistake (the family confirmed it on a page of its own), audit
    it with what it was, and return a signed token that dose_restore takes for
    DOSE_UNDO_SECONDS to put it back."""
    detail = {
        "child": dose.child_id,
        "vaccine": dose.vaccine.code,
        "given_on": dose.given_on.isoformat(),
        "recorded_by": dose.recorded_by_id,
        "created_at": dose.created_at.isoformat(),
    }
    with transaction.atomic():
        audit.log(actor, "dose_record.delete", dose, request=request, **detail)
        dose.delete()
    return signing.dumps(detail, salt=DOSE_UNDO_SALT)


def dose_restore(*, token: str, child: Child, actor: User, request=None) -> DoseRecord:
    """Put back a dose removed a moment ago (undo), as it was, and audit it."""
    detail = dose_undo_read(token, child=child)
    if detail is None:
        raise ValidationError(
            _("This dose can no longer be put back. Record it again if it was given."),
            code="undo_expired",
        )
    vaccine = Vaccine.objects.get(code=detail["vaccine"])
    try:
        with transaction.atomic():
            dose = DoseRecord.objects.create(
                child=child,
                vaccine=vaccine,
                given_on=date.fromisoformat(detail["given_on"]),
                recorded_by_id=detail["recorded_by"],
                created_at=datetime.fromisoformat(detail["created_at"]),
            )
            audit.log(
                actor,
                "dose_record.restore",
                dose,
                request=request,
                vaccine=vaccine.code,
                given_on=detail["given_on"],
            )
    except IntegrityError:
        raise ValidationError(
            _("A dose of this vaccine on this date is already recorded."), code="duplicate"
        ) from None
    return dose


# --- Notices (staff) ----------------------------------------------------------------------
NOTICE_FIELDS = (
    "title",
    "title_en",
    "body",
    "body_en",
    "age_from_months",
    "age_to_months",
    "postal_prefix",
    "town",
    "situation",
    "published",
    "published_at",
    "ends_at",
)


def notice_create(*, actor: User, request=None, **fields) -> HealthNotice:
    """Publish a notice for families (audit-logged)."""
    notice = HealthNotice(created_by=actor, **{k: fields[k] for k in NOTICE_FIELDS if k in fields})
    notice.full_clean()
    notice.save()
    audit.log(actor, "health_notice.create", notice, request=request)
    return notice


def notice_update(*, notice: HealthNotice, actor: User, request=None, **fields) -> HealthNotice:
    """Change a notice (audit-logged)."""
    for key in NOTICE_FIELDS:
        if key in fields:
            setattr(notice, key, fields[key])
    notice.full_clean()
    notice.save()
    audit.log(actor, "health_notice.update", notice, request=request)
    return notice


# --- Schedule rows (staff) ------------------------------------------------------------------
RULE_EDITABLE_FIELDS = (
    "label",
    "label_en",
    "earliest_age",
    "last_until",
    "advised_until",
    "rec_from",
    "rec_until",
    "min_interval",
    "interval_from_dose",
    "rec_interval_from",
    "rec_interval_until",
    "skip_when_late",
    "skip_after_previous",
    "source",
)


def schedule_rule_update(*, rule, actor: User, request=None, **fields):
    """Correct one schedule row when the national schedule changes (audit-logged with the old
    and new values, so a wrong correction can be traced and undone)."""
    before = {key: getattr(rule, key) for key in RULE_EDITABLE_FIELDS}
    for key in RULE_EDITABLE_FIELDS:
        if key in fields:
            setattr(rule, key, fields[key])
    rule.full_clean()
    changed = {
        key: [before[key], getattr(rule, key)]
        for key in RULE_EDITABLE_FIELDS
        if before[key] != getattr(rule, key)
    }
    rule.save()
    audit.log(actor, "schedule_rule.update", rule, request=request, changed=changed)
    return rule


# --- Checkup sessions (staff) ---------------------------------------------------------------
def checkup_session_create(*, actor: User, request=None, **fields) -> CheckupSession:
    """Add a date of a group checkup (audit-logged); families whose child was born in the range
    see it, and get a reminder CHECKUP_REMINDER_DAYS before."""
    session = CheckupSession(**fields)
    session.full_clean()
    session.save()
    audit.log(actor, "checkup_session.create", session, request=request)
    return session


def checkup_session_delete(*, session: CheckupSession, actor: User, request=None) -> None:
    """Remove a session date entered by mistake (audit-logged with what it was)."""
    detail = {
        "checkup": session.checkup.code,
        "held_on": session.held_on.isoformat(),
        "born_from": session.born_from.isoformat(),
        "born_until": session.born_until.isoformat(),
    }
    audit.log(actor, "checkup_session.delete", session, request=request, **detail)
    session.delete()


# --- Preferences ----------------------------------------------------------------------------
def household_situations_set(*, household: Household, situations: list[str]) -> None:
    """The situations the family chose to tell (replaces the earlier choice)."""
    with transaction.atomic():
        HouseholdSituation.objects.filter(household=household).exclude(
            situation__in=situations
        ).delete()
        for situation in situations:
            HouseholdSituation.objects.get_or_create(household=household, situation=situation)


def household_notify(
    *, user: User, kind: str, title, body, url: str = "", urgent: bool = False
) -> None:
    """Tell a person by the channels they chose (core.services.notification_send reads their
    NotificationPreference): always in-app, by email unless they turned it off, and by SMS as
    well when the message is urgent and they asked for SMS. Security messages do not come
    through here: they always go by email."""
    notification_send(user=user, kind=kind, title=title, body=body, url=url, urgent=urgent)


# --- Reminders -------------------------------------------------------------------------------
def reminder_claim(*, child: Child, kind: str, key: str) -> bool:
    """Insert the reminder's sent-marker; False if it was already there (another worker, or an
    earlier run, sent it). The insert is the compare-and-swap: the unique constraint lets one
    caller win (on PostgreSQL a second insert waits for the first transaction, then fails)."""
    try:
        with transaction.atomic():
            ReminderSent.objects.create(child=child, kind=kind, key=key)
    except IntegrityError:
        return False
    return True


def _guardians(child: Child) -> list[User]:
    return list(User.objects.filter(household_id=child.household_id, is_active=True))


def reminders_send(*, today: date | None = None) -> int:
    """Send the reminders due today: a vaccine whose free period ends within
    VACCINE_REMINDER_DAYS, and a checkup (a session of a group checkup, or the opening of a
    voucher checkup's window) within CHECKUP_REMINDER_DAYS. Each goes out once per child, dose
    and checkup, however many workers run this at once. Returns how many were sent."""
    from .selectors import checkups_for_child, schedule_data, schedule_for_child

    today = today or timezone.localdate()
    data = schedule_data()
    sent = 0
    # Children young enough for any routine vaccine (HPV ends in the school year of 16).
    children = Child.objects.filter(birth_date__gte=ages.earliest_birth_under(today, 18))
    for child in children.iterator():
        for line in schedule_for_child(child=child, today=today, data=data):
            state = line.state
            if state.status not in (
                Status.DUE,
                Status.AVAILABLE,
                Status.OVERDUE,
                Status.ASK_DOCTOR,
                Status.COMING_UP,
            ):
                continue
            if state.last_date is None or (state.last_date - today).days > VACCINE_REMINDER_DAYS:
                continue
            if state.earliest and state.earliest > state.last_date:
                continue
            key = f"rule:{state.next_rule.pk}:{state.last_date.isoformat()}"
            # The marker and the messages commit together: a failure while writing the messages
            # rolls the marker back, so the next run sends it (exactly once, never zero times).
            with transaction.atomic():
                if reminder_claim(child=child, kind=ReminderSent.Kind.VACCINE_CLOSING, key=key):
                    _vaccine_reminder(
                        child=child,
                        line=line,
                        urgent=(state.last_date - today).days <= VACCINE_URGENT_DAYS,
                    )
                    sent += 1
        for checkup_line in checkups_for_child(
            child=child, today=today, horizon_days=CHECKUP_REMINDER_DAYS
        ):
            session = checkup_line.next_session
            if session is not None:
                if (session.held_on - today).days > CHECKUP_REMINDER_DAYS:
                    continue
                key = f"session:{session.pk}"
                day = session.held_on
            elif checkup_line.checkup.method == checkup_line.checkup.Method.VOUCHER:
                if checkup_line.window_from < today - timedelta(days=1) or (
                    (checkup_line.window_from - today).days > CHECKUP_REMINDER_DAYS
                ):
                    continue
                key = f"checkup:{checkup_line.checkup.pk}"
                day = checkup_line.window_from
            else:
                continue
            with transaction.atomic():
                if reminder_claim(child=child, kind=ReminderSent.Kind.CHECKUP, key=key):
                    _checkup_reminder(child=child, line=checkup_line, day=day)
                    sent += 1
    return sent


def _vaccine_reminder(*, child: Child, line, urgent: bool = False) -> None:
    url = reverse("health_child", args=[child.pk])
    for user in _guardians(child):
        with translation.override(user.preferred_language or "ja"):
            title = _("%(name)s: %(vaccine)s is free until %(date)s") % {
                "name": child.first_name,
                "vaccine": line.vaccine.localized_name,
                "date": date_format(line.state.last_date, "DATE_FORMAT"),
            }
            body = _(
                "The free period for the next dose of %(vaccine)s ends on %(date)s. Please book "
                "it at a clinic."
            ) % {
                "vaccine": line.vaccine.localized_name,
                "date": date_format(line.state.last_date, "DATE_FORMAT"),
            }
            household_notify(
                user=user,
                kind="health.vaccine_reminder",
                title=title,
                body=body,
                url=url,
                urgent=urgent,
            )


def _checkup_reminder(*, child: Child, line, day: date) -> None:
    url = reverse("health_child", args=[child.pk])
    for user in _guardians(child):
        with translation.override(user.preferred_language or "ja"):
            title = _("%(name)s: %(checkup)s on %(date)s") % {
                "name": child.first_name,
                "checkup": line.checkup.localized_name,
                "date": date_format(day, "DATE_FORMAT"),
            }
            body = "\n".join(
                filter(None, [line.checkup.localized_place, line.checkup.localized_note])
            )
            household_notify(
                user=user, kind="health.checkup_reminder", title=title, body=body, url=url
            )
