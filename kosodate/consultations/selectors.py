"""Reads of consultations, with the access rule written once:

- a family opens only its own household's consultations (anyone else's is a 404);
- staff open a consultation only through a StaffMember row: a professional the ones routed to
  their profession now or handed over from it, municipal staff given the role every one.
  Facility staff, other staff and consultants without a profession row open none."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kosodate.accounts.models import Child, User
from kosodate.core.access import Role, has_role, is_resident
from kosodate.core.ages import completed_months, latest_birth_reached_years
from kosodate.core.models import AuditLog
from kosodate.core.registry import UpcomingItem
from kosodate.core.text import nfkc

from .models import (
    AnswerTemplate,
    Booking,
    Consultation,
    ConsultationRules,
    EmergencyWord,
    Handover,
    Message,
    Photo,
    Profession,
    Slot,
    StaffMember,
    Topic,
)

VIEW_ACTION = "consultation.view"


def rules_get() -> ConsultationRules:
    """The municipality's consultation rules (the defaults until an administrator saves them)."""
    rules = ConsultationRules.objects.filter(pk=ConsultationRules.SINGLETON_ID).first()
    return rules or ConsultationRules(pk=ConsultationRules.SINGLETON_ID)


def topics_offered() -> QuerySet[Topic]:
    return Topic.objects.filter(active=True)


def emergency_words_found(text: str) -> list[EmergencyWord]:
    """The emergency words (in use) that `text` contains, as typed (full- and half-width alike)."""
    normalised = nfkc(text)
    return [
        word for word in EmergencyWord.objects.filter(active=True) if nfkc(word.word) in normalised
    ]


def child_age_months(*, child: Child, on: date | None = None) -> int:
    return completed_months(child.birth_date, on or timezone.localdate())


# --- The family's side ------------------------------------------------------------------------
def consultation_get_for_resident(*, user, pk: int) -> Consultation:
    """One of the household's consultations; anyone else's (or an anonymised one) is a 404."""
    if not is_resident(user) or user.household_id is None:
        raise Http404
    consultation = (
        Consultation.objects.select_related("topic", "child")
        .filter(pk=pk, household_id=user.household_id, anonymised_at__isnull=True)
        .first()
    )
    if consultation is None:
        raise Http404
    return consultation


def consultations_for_household(*, user) -> list[Consultation]:
    """The household's consultations (written and sessions), newest first, with child and
    booking in the same query."""
    if user.household_id is None:
        return []
    return list(
        Consultation.objects.filter(household_id=user.household_id, anonymised_at__isnull=True)
        .select_related("topic", "child", "booking__slot")
        .order_by("-last_message_at", "-pk")
    )


def messages_for(*, consultation: Consultation) -> list[Message]:
    return list(
        Message.objects.filter(consultation=consultation).prefetch_related(
            # Only the key and size: the bytes stay in the database until the photo is opened.
            models_photo_meta()
        )
    )


def models_photo_meta():
    from django.db.models import Prefetch

    return Prefetch(
        "photos", queryset=Photo.objects.only("pk", "key", "message_id", "width", "height")
    )


def photo_get_for_resident(*, user, pk: int, key: str) -> Photo:
    consultation = consultation_get_for_resident(user=user, pk=pk)
    photo = Photo.objects.filter(key=key, message__consultation=consultation).first()
    if photo is None:
        raise Http404
    return photo


def reopen_until(*, consultation: Consultation, rules: ConsultationRules) -> datetime | None:
    if consultation.closed_at is None or consultation.channel != Consultation.Channel.WRITTEN:
        return None
    return consultation.closed_at + timedelta(days=rules.reopen_days)


# --- Staff: who may open what -----------------------------------------------------------------
def staff_member_for(user) -> StaffMember | None:
    """The person's consultations role, or None: a consultant needs a profession, municipal staff
    are given the role without one; any other account (facility staff included) has none."""
    if not has_role(user, roles=[Role.CONSULTANT, Role.MUNICIPAL_STAFF]):
        return None
    member = StaffMember.objects.filter(user=user, active=True).first()
    if member is None:
        return None
    if user.role == User.Role.CONSULTANT and not member.profession:
        return None
    if user.role == User.Role.MUNICIPAL_STAFF and member.profession:
        # Municipal staff read as supervisors; a profession is for consultant accounts.
        return None
    return member


def _visible_to(member: StaffMember) -> Q:
    if member.is_supervisor:
        return Q()
    handed = Handover.objects.filter(from_profession=member.profession).values("consultation_id")
    return Q(profession=member.profession) | Q(pk__in=handed)


def consultation_get_for_staff(*, member: StaffMember, pk: int) -> Consultation:
    consultation = (
        Consultation.objects.select_related("topic", "child", "assigned_to", "asked_by")
        .filter(_visible_to(member), pk=pk)
        .first()
    )
    if consultation is None:
        raise Http404
    return consultation


def photo_get_for_staff(*, member: StaffMember, pk: int, key: str) -> Photo:
    consultation = consultation_get_for_staff(member=member, pk=pk)
    photo = Photo.objects.filter(key=key, message__consultation=consultation).first()
    if photo is None:
        raise Http404
    return photo


QUEUE_VIEWS = ("unassigned", "mine", "waiting_family", "overdue", "all_open")


def queue(
    *, member: StaffMember, view: str, profession: str = "", now: datetime | None = None, limit=100
) -> list[Consultation]:
    """The professional's queue, flagged ones first, then by deadline. One query."""
    now = now or timezone.now()
    # A professional's queue is their profession's (what was handed over away from it is no
    # longer theirs to answer): a plain filter the (profession, status, …) index serves.
    qs = Consultation.objects.exclude(status=Consultation.Status.CLOSED)
    if member.is_supervisor and profession:
        qs = qs.filter(profession=profession)
    elif not member.is_supervisor:
        qs = qs.filter(profession=member.profession)
    if view == "unassigned":
        qs = qs.filter(assigned_to__isnull=True, status=Consultation.Status.WAITING_STAFF)
    elif view == "mine":
        qs = qs.filter(assigned_to=member.user)
    elif view == "waiting_family":
        qs = qs.filter(status=Consultation.Status.WAITING_FAMILY)
    elif view == "overdue":
        qs = qs.filter(status=Consultation.Status.WAITING_STAFF, due_at__lt=now)
    rows = list(
        qs.select_related("topic", "child", "assigned_to").order_by(
            "-flagged", F("due_at").asc(nulls_last=True), "created_at", "pk"
        )[:limit]
    )
    # Message counts for the rows shown only (one grouped query on the (consultation, created_at)
    # index), not a join of every open consultation with all its messages before the LIMIT.
    counts = dict(
        Message.objects.filter(consultation_id__in=[c.pk for c in rows])
        .values("consultation_id")
        .annotate(n=Count("pk"))
        .values_list("consultation_id", "n")
    )
    for consultation in rows:
        consultation.message_count = counts.get(consultation.pk, 0)
    return rows


def queue_counts(*, member: StaffMember, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    qs = Consultation.objects.exclude(status=Consultation.Status.CLOSED)
    if not member.is_supervisor:
        qs = qs.filter(profession=member.profession)
    waiting = Consultation.Status.WAITING_STAFF
    return qs.aggregate(
        unassigned=Count("pk", filter=Q(assigned_to__isnull=True, status=waiting)),
        mine=Count("pk", filter=Q(assigned_to=member.user)),
        waiting_family=Count("pk", filter=Q(status=Consultation.Status.WAITING_FAMILY)),
        overdue=Count("pk", filter=Q(status=waiting, due_at__lt=now)),
        flagged=Count("pk", filter=Q(flagged=True)),
    )


@dataclass
class HistoryLine:
    consultation: Consultation
    can_open: bool


def history_for_child(*, member: StaffMember, consultation: Consultation) -> list[HistoryLine]:
    """The child's other consultations with any profession (continuity of support): topic,
    profession, dates and outcome for all; their messages only where the viewer may open them."""
    if consultation.child_id is None:
        return []
    others = list(
        Consultation.objects.filter(child_id=consultation.child_id)
        .exclude(pk=consultation.pk)
        .select_related("topic")
        .order_by("-created_at")
    )
    visible = set(
        Consultation.objects.filter(_visible_to(member), pk__in=[c.pk for c in others]).values_list(
            "pk", flat=True
        )
    )
    return [HistoryLine(c, c.pk in visible) for c in others]


def handovers_for(*, consultation: Consultation) -> list[Handover]:
    return list(consultation.handovers.select_related("by"))


def notes_for(*, consultation: Consultation):
    return list(consultation.notes.select_related("author"))


def templates_for(*, consultation: Consultation) -> list[AnswerTemplate]:
    return list(AnswerTemplate.objects.filter(topic_id=consultation.topic_id))


def template_get(*, consultation: Consultation, pk) -> AnswerTemplate | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return AnswerTemplate.objects.filter(pk=pk, topic_id=consultation.topic_id).first()


def reads_for(*, consultation: Consultation) -> QuerySet[AuditLog]:
    """Who opened the consultation and when (from the audit log), newest first."""
    return AuditLog.objects.filter(
        action=VIEW_ACTION,
        target_type=Consultation._meta.label_lower,
        target_id=str(consultation.pk),
    ).select_related("actor")[:50]


def colleagues_for(*, profession: str) -> list[User]:
    return [
        m.user
        for m in StaffMember.objects.filter(
            profession=profession, active=True, user__is_active=True
        ).select_related("user")
    ]


# --- Booked sessions --------------------------------------------------------------------------
def slots_open(
    *, profession: str, now: datetime | None = None, days: int = 14
) -> list[tuple[Slot, bool]]:
    """The profession's slots from the booking cut-off on, each with whether it is free."""
    rules = rules_get()
    now = now or timezone.now()
    start = now + timedelta(minutes=rules.booking_closes_minutes)
    slots = (
        Slot.objects.filter(
            profession=profession, starts_at__gte=start, starts_at__lt=now + timedelta(days=days)
        )
        .annotate(taken=Count("bookings", filter=Q(bookings__status=Booking.Status.BOOKED)))
        .order_by("starts_at", "pk")
    )
    return [(slot, slot.taken == 0) for slot in slots]


def slot_get_bookable(*, pk: int) -> Slot:
    slot = Slot.objects.filter(pk=pk).first()
    if slot is None:
        raise Http404
    return slot


def slots_for_staff(*, member: StaffMember, now: datetime | None = None) -> QuerySet[Slot]:
    now = now or timezone.now()
    qs = Slot.objects.filter(ends_at__gte=now - timedelta(hours=1))
    if not member.is_supervisor:
        qs = qs.filter(profession=member.profession)
    return (
        qs.select_related("professional").prefetch_related("bookings").order_by("starts_at")[:200]
    )


def session_is_live(*, slot: Slot, now: datetime | None = None) -> bool:
    """The chat is open from five minutes before the slot until ten minutes after it."""
    now = now or timezone.now()
    return slot.starts_at - timedelta(minutes=5) <= now <= slot.ends_at + timedelta(minutes=10)


# --- Reports ----------------------------------------------------------------------------------
@dataclass
class MonthlyReport:
    month: date
    total: int
    flagged: int
    by_topic: list[dict]
    by_profession: list[dict]
    by_outcome: list[dict]
    answered: int
    average_first_answer: timedelta | None


def monthly_report(*, month: date) -> MonthlyReport:
    """Consultations asked in the month (local time), counted per topic, profession and outcome,
    with the flags and the average time to the first answer. A handful of aggregate queries."""
    tz = timezone.get_current_timezone()
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=tz)
    qs = Consultation.objects.filter(created_at__gte=start, created_at__lt=end)
    totals = qs.aggregate(
        total=Count("pk"),
        flagged=Count("pk", filter=Q(flagged=True)),
        answered=Count("pk", filter=Q(first_answered_at__isnull=False)),
        average=Avg(
            ExpressionWrapper(F("first_answered_at") - F("created_at"), DurationField()),
            filter=Q(first_answered_at__isnull=False),
        ),
    )
    professions = dict(Profession.choices)
    outcomes = dict(Consultation.Outcome.choices)
    by_topic = [
        {"label": row["topic__name"], "count": row["n"]}
        for row in qs.values("topic__name", "topic__order")
        .annotate(n=Count("pk"))
        .order_by("topic__order")
    ]
    by_profession = [
        {"label": professions.get(row["profession"], row["profession"]), "count": row["n"]}
        for row in qs.values("profession").annotate(n=Count("pk")).order_by("profession")
    ]
    by_outcome = [
        {"label": outcomes.get(row["outcome"], "—"), "count": row["n"]}
        for row in qs.values("outcome").annotate(n=Count("pk")).order_by("outcome")
    ]
    return MonthlyReport(
        month=start.date(),
        total=totals["total"],
        flagged=totals["flagged"],
        by_topic=by_topic,
        by_profession=by_profession,
        by_outcome=by_outcome,
        answered=totals["answered"],
        average_first_answer=totals["average"],
    )


def retention_due(*, today: date | None = None) -> QuerySet[Consultation]:
    """Consultations about children who have reached the retention age, not yet anonymised."""
    today = today or timezone.localdate()
    latest_birth = latest_birth_reached_years(today, rules_get().retention_child_age_years)
    return Consultation.objects.filter(
        anonymised_at__isnull=True, child__birth_date__lte=latest_birth
    )


def consultations_for_mypage(*, user) -> list[tuple[Child, list[Consultation]]]:
    """My Page: each child's consultations (open ones and booked sessions first, then the five
    latest closed), one query."""
    if not is_resident(user) or user.household_id is None:
        return []
    by_child: dict[int, tuple[Child, list[Consultation]]] = {}
    for consultation in consultations_for_household(user=user):
        if consultation.child is None:
            continue
        entry = by_child.setdefault(consultation.child_id, (consultation.child, []))
        entry[1].append(consultation)
    result = []
    for child, items in by_child.values():
        items.sort(
            key=lambda c: (c.status == Consultation.Status.CLOSED, -c.last_message_at.timestamp())
        )
        open_items = [c for c in items if c.status != Consultation.Status.CLOSED]
        closed = [c for c in items if c.status == Consultation.Status.CLOSED][:5]
        result.append((child, open_items + closed))
    return result


def upcoming_for_mypage(*, user) -> list[UpcomingItem]:
    """My Page's merged "upcoming" list: the family's booked sessions ahead."""
    if not is_resident(user) or user.household_id is None:
        return []
    bookings = (
        Booking.objects.filter(
            consultation__household_id=user.household_id,
            status=Booking.Status.BOOKED,
            slot__starts_at__gte=timezone.now(),
        )
        .select_related("slot", "consultation__topic", "consultation__child")
        .order_by("slot__starts_at", "pk")[:20]
    )
    return [
        UpcomingItem(
            when=booking.slot.starts_at,
            kind=_("Consultations"),
            title=booking.consultation.topic.display_name,
            url=reverse("consultations:detail", args=[booking.consultation_id]),
            status=booking.get_status_display(),
        )
        for booking in bookings
    ]
