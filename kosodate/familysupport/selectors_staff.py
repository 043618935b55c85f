"""Reads for the ファミサポ centre's advisors (the back office): members' records, sessions, the
advisor's queue, meetings, reports to check, the month's summary and the national report. Split out
of selectors.py by flow (docs/architecture.md); the staff views check `advisor_active` first."""

from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404

from .models import (
    Activity,
    Attendance,
    Meeting,
    Member,
    MemberPhoto,
    MonthClose,
    Offer,
    Session,
    SupporterProfile,
    SupportRequest,
)


# --- The centre's views ---------------------------------------------------------------------------
def members_list(*, status: str = "", kind: str = "") -> QuerySet[Member]:
    members = Member.objects.select_related("user", "district").order_by("-applied_at")
    if status:
        members = members.filter(status=status)
    if kind:
        members = members.filter(kind=kind)
    return members


def member_get_for_staff(*, pk: int) -> Member:
    member = (
        Member.objects.select_related("user__household", "district", "profile")
        .filter(pk=pk)
        .first()
    )
    if member is None:
        raise Http404
    return member


def supporter_record(*, profile: SupporterProfile) -> dict:
    """For the centre: the supporter's weekly hours and number of activities done (settled)."""
    return {
        "availability": list(profile.availability.order_by("weekday", "starts")),
        "activities_done": Activity.objects.filter(
            supporter=profile, status=Activity.Status.SETTLED
        ).count(),
    }


def member_has_photo(*, member: Member) -> bool:
    return MemberPhoto.objects.filter(member=member).exists()


def member_photo_get_for_staff(*, pk: int) -> MemberPhoto:
    """The member's photo (for the centre's views only): a 404 when there is none."""
    photo = MemberPhoto.objects.filter(member_id=pk).first()
    if photo is None:
        raise Http404
    return photo


def session_get(*, pk: int) -> Session:
    session = Session.objects.filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def sessions_all() -> QuerySet[Session]:
    return Session.objects.annotate(
        taken=Count("attendances", filter=Q(attendances__status__in=["booked", "attended"]))
    ).order_by("-starts_at")


def session_attendances(*, session: Session) -> QuerySet[Attendance]:
    return session.attendances.select_related("member__user").order_by("pk")


def advisor_queue() -> QuerySet[SupportRequest]:
    """Requests with the advisor (their mode, or nobody accepted in time)."""
    return (
        SupportRequest.objects.filter(status=SupportRequest.Status.ADVISOR)
        .select_related("family__user", "family__district", "child")
        .annotate(
            proposed=Exists(
                Offer.objects.filter(
                    request=OuterRef("pk"), via=Offer.Via.ADVISOR, status=Offer.Status.OPEN
                )
            )
        )
        .order_by("first_date", "pk")
    )


def request_get_for_staff(*, pk: int) -> SupportRequest:
    found = (
        SupportRequest.objects.select_related("family__user", "family__district", "child")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def meetings_open() -> QuerySet[Meeting]:
    return (
        Meeting.objects.exclude(status__in=[Meeting.Status.HELD, Meeting.Status.WAIVED])
        .select_related("family__user", "supporter")
        .order_by("scheduled_at", "pk")
    )


def meeting_get_for_staff(*, pk: int) -> Meeting:
    meeting = Meeting.objects.select_related("family__user", "supporter").filter(pk=pk).first()
    if meeting is None:
        raise Http404
    return meeting


def reports_to_check() -> QuerySet[Activity]:
    return (
        Activity.objects.filter(status__in=[Activity.Status.DISPUTED, Activity.Status.REPORTED])
        .select_related("request__family__user", "supporter")
        .order_by("date", "pk")
    )


def activity_get_for_staff(*, pk: int) -> Activity:
    activity = (
        Activity.objects.select_related(
            "request__family__user", "request__family__district", "supporter", "request__child"
        )
        .filter(pk=pk)
        .first()
    )
    if activity is None:
        raise Http404
    return activity


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


def month_summary(*, month: date) -> dict:
    """The month's statistics: hours by kind and by district, members active, requests unfilled
    and why, and whether every report is settled (the month can close)."""
    first, after = month_bounds(month)
    in_month = Activity.objects.filter(date__gte=first, date__lt=after)
    settled = in_month.filter(status=Activity.Status.SETTLED)
    minutes = {}
    for row in settled.values(
        "request__kind", "request__family__district__name", "actual_start", "actual_end"
    ):
        start, end = row["actual_start"], row["actual_end"]
        span = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        for key in (
            ("kind", row["request__kind"]),
            ("district", row["request__family__district__name"]),
        ):
            minutes[key] = minutes.get(key, 0) + span
    kinds = dict(SupportRequest.Kind.choices)
    unfilled = (
        SupportRequest.objects.filter(first_date__gte=first, first_date__lt=after)
        .exclude(status__in=[SupportRequest.Status.MATCHED])
        .values("status", "unfilled_reason")
        .annotate(n=Count("pk"))
        .order_by("status")
    )
    return {
        "month": first,
        "closed": MonthClose.objects.filter(month=first).first(),
        "by_kind": sorted(
            (str(kinds.get(k, k)), m / 60) for (axis, k), m in minutes.items() if axis == "kind"
        ),
        "by_district": sorted(
            (k, m / 60) for (axis, k), m in minutes.items() if axis == "district"
        ),
        "activities": settled.count(),
        "open_reports": in_month.filter(
            status__in=[Activity.Status.CONFIRMED, Activity.Status.REPORTED, "disputed"]
        ).count(),
        "families_active": settled.values("request__family").distinct().count(),
        "supporters_active": settled.values("supporter").distinct().count(),
        "fees": settled.aggregate(total=Sum("fee"))["total"] or 0,
        "unfilled": list(unfilled),
        "members": Member.objects.filter(status=Member.Status.ACTIVE)
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by("kind"),
    }


def national_report_rows(*, month: date) -> list[list]:
    """The national report's CSV rows for a month (one row per settled activity, no names)."""
    first, after = month_bounds(month)
    rows = [["date", "kind", "district", "minutes", "children", "fee_yen", "transport_yen"]]
    for a in (
        Activity.objects.filter(date__gte=first, date__lt=after, status=Activity.Status.SETTLED)
        .select_related("request__family__district")
        .order_by("date", "pk")
    ):
        start, end = a.actual_start, a.actual_end
        rows.append(
            [
                a.date.isoformat(),
                a.request.kind,
                a.request.family.district.name,
                (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute),
                1 + a.request.siblings,
                a.fee,
                a.transport,
            ]
        )
    return rows
