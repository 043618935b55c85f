"""Reads for ファミサポ, with the access-checked getters: another member's request or activity is a
404, a supporter sees a family's address and phone only on an activity matched to them and only
until its report is settled, and only the centre's advisors see members' records."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Abs, Coalesce
from django.http import Http404
from django.utils import timezone

from kosodate.core.access import has_role
from kosodate.core.ages import completed_months, primary_school_end

from . import fees
from .models import (
    Activity,
    Advisor,
    Attendance,
    Availability,
    CentreRules,
    District,
    Meeting,
    Member,
    MonthClose,
    Offer,
    Session,
    Skill,
    SupporterProfile,
    SupportRequest,
)

# Supporters this many grid steps away or nearer fit a request's area.
AREA_REACH = 2


def rules_get() -> CentreRules:
    rules = CentreRules.objects.filter(pk=CentreRules.SINGLETON_ID).first()
    return rules or CentreRules(pk=CentreRules.SINGLETON_ID)


# --- Who is who ---------------------------------------------------------------------------------
def advisor_active(user) -> bool:
    """The centre's staff: an active advisor assignment, or a system administrator."""
    if not has_role(user):
        return False
    return user.is_superuser or Advisor.objects.filter(user=user, active=True).exists()


def member_for(user) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("district").filter(user=user).first()


def profile_for(user) -> SupporterProfile | None:
    if not user.is_authenticated:
        return None
    return (
        SupporterProfile.objects.select_related("member")
        .filter(member__user=user, member__kind__in=[Member.Kind.SUPPORT, Member.Kind.BOTH])
        .first()
    )


def districts() -> QuerySet[District]:
    return District.objects.all()


def sessions_open(*, kind: str) -> list[Session]:
    """Published sessions still ahead, each with `taken` places."""
    return list(
        Session.objects.filter(kind=kind, published=True, starts_at__gt=timezone.now())
        .annotate(
            taken=Count(
                "attendances",
                filter=Q(attendances__status__in=[Attendance.Status.BOOKED, "attended"]),
            )
        )
        .order_by("starts_at")
    )


def session_places_taken(*, session_id: int) -> int:
    return Attendance.objects.filter(
        session_id=session_id,
        status__in=[Attendance.Status.BOOKED, Attendance.Status.ATTENDED],
    ).count()


def child_eligible(*, birth: date, on: date, rules: CentreRules) -> bool:
    """6 months (completed, on the day of care) to the end of primary school (core ages)."""
    return completed_months(birth, on) >= rules.min_age_months and on <= primary_school_end(birth)


def skills_needed(*, kind: str, siblings: int, starts: time, ends: time, rules) -> list[str]:
    needed = {
        SupportRequest.Kind.PICKUP: Skill.PICKUP,
        SupportRequest.Kind.SICK_RECOVERY: Skill.SICK_RECOVERY,
    }.get(kind, Skill.HOME_CARE)
    skills = [str(needed)]
    if siblings:
        skills.append(Skill.SIBLINGS)
    if starts < rules.early_until or ends > rules.late_from:
        skills.append(Skill.EARLY_LATE)
    return skills


def request_weekdays(request: SupportRequest) -> list[int]:
    return sorted({int(d) for d in request.weekdays} or {request.first_date.weekday()})


def supporters_fitting(
    *, request: SupportRequest, rules: CentreRules | None = None
) -> QuerySet[SupporterProfile]:
    """Approved supporters with a valid certificate who fit the request's area, skills and every
    weekday's hours, and are not busy with another activity at that time; never the family
    itself. One query whatever the number of supporters.

    No join to the weekly hours and no GROUP BY in the outer query (each would multiply or
    regroup every selected column): the hours are one subquery of the profiles free on every
    weekday asked, and the area is the district grid's range on the joined district."""
    rules = rules or rules_get()
    family_district = request.family.district
    weekdays = request_weekdays(request)
    skills = skills_needed(
        kind=request.kind,
        siblings=request.siblings,
        starts=request.starts,
        ends=request.ends,
        rules=rules,
    )
    windows = Availability.objects.filter(
        weekday__in=weekdays, starts__lte=request.starts, ends__gte=request.ends
    )
    if len(weekdays) == 1:
        free = Exists(windows.filter(profile=OuterRef("pk")))
    else:
        free = Q(
            pk__in=windows.order_by()
            .values("profile")
            .annotate(days=Count("weekday", distinct=True))
            .filter(days=len(weekdays))
            .values("profile")
        )
    # Not already busy then: an activity of theirs overlapping the request's times on one of its
    # dates (offer_accept refuses such an accept anyway, under the supporter's lock).
    if request.is_recurring and request.until:
        on_dates = Q(
            date__gte=request.first_date,
            date__lte=request.until,
            date__iso_week_day__in=[w + 1 for w in weekdays],
        )
    else:
        on_dates = Q(date=request.first_date)
    busy = Exists(
        Activity.objects.filter(
            on_dates,
            supporter=OuterRef("pk"),
            starts__lt=request.ends,
            ends__gt=request.starts,
        ).exclude(status=Activity.Status.CANCELLED)
    )
    return (
        SupporterProfile.objects.filter(
            free,
            ~busy,
            status=SupporterProfile.Status.APPROVED,
            certificate_expires__gt=timezone.localdate(),
            member__status=Member.Status.ACTIVE,
            member__district__grid_x__range=(
                family_district.grid_x - AREA_REACH,
                family_district.grid_x + AREA_REACH,
            ),
            member__district__grid_y__range=(
                family_district.grid_y - AREA_REACH,
                family_district.grid_y + AREA_REACH,
            ),
            **{f"can_{skill}": True for skill in skills},
        )
        .exclude(member=request.family)
        .select_related("member__district")
        .order_by("pk")
    )


def candidates_ranked(*, request: SupportRequest, limit: int = 20) -> list[SupporterProfile]:
    """The advisor's candidates: fitting supporters with `distance` (district grid), `with_family`
    (past activities with this family) and `load` (activities this month), nearest, best known
    and least loaded first. One query whatever the data size: ranked and cut in the database,
    so only `limit` rows come back."""
    month = request.first_date.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    family_district = request.family.district
    # Counted in subqueries, not joins: joined, the rows would multiply each other.
    counted = (
        Activity.objects.filter(supporter=OuterRef("pk"))
        .exclude(status=Activity.Status.CANCELLED)
        .order_by()
        .values("supporter")
    )
    return list(
        supporters_fitting(request=request)
        .annotate(
            distance=Abs(F("member__district__grid_x") - family_district.grid_x)
            + Abs(F("member__district__grid_y") - family_district.grid_y),
            with_family=Coalesce(
                Subquery(
                    counted.filter(request__family=request.family)
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            ),
            load=Coalesce(
                Subquery(
                    counted.filter(date__gte=month, date__lt=next_month)
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            ),
        )
        .order_by("distance", "-with_family", "load", "pk")[:limit]
    )


def activity_clash(
    *, supporter_id: int, dates: list[date], starts: time, ends: time, exclude_pk=None
) -> Activity | None:
    """The supporter's first activity (not cancelled) whose time overlaps `starts`–`ends` on one
    of `dates`, or None. Touching ends (15:00–17:00, then 17:00–18:00) do not overlap."""
    clashes = Activity.objects.filter(
        supporter_id=supporter_id, date__in=dates, starts__lt=ends, ends__gt=starts
    ).exclude(status=Activity.Status.CANCELLED)
    if exclude_pk is not None:
        clashes = clashes.exclude(pk=exclude_pk)
    return clashes.order_by("date", "starts", "pk").first()


def supporter_known(*, family: Member) -> SupporterProfile | None:
    """The supporter this family already met (meeting held or waived), most recent first."""
    meeting = (
        Meeting.objects.filter(family=family, status__in=[Meeting.Status.HELD, "waived"])
        .select_related("supporter")
        .order_by("-updated_at")
        .first()
    )
    return meeting.supporter if meeting else None


def supporters_search(*, family: Member, district_id=None, skill: str = "") -> list:
    """What a family may see of supporters: display name, district, skills. Nothing else."""
    profiles = (
        SupporterProfile.objects.filter(
            status=SupporterProfile.Status.APPROVED, member__status=Member.Status.ACTIVE
        )
        .exclude(member=family)
        .select_related("member__district")
        .order_by("display_name", "pk")
    )
    if district_id:
        profiles = profiles.filter(member__district_id=district_id)
    if skill in Skill.values:
        profiles = profiles.filter(**{f"can_{skill}": True})
    return [
        {
            "id": p.pk,
            "display_name": p.display_name,
            "district": p.member.district.name,
            "skills": p.skill_labels(),
            "about": p.about,
        }
        for p in profiles[:100]
    ]


# --- Residents' access-checked getters ----------------------------------------------------------
def requests_for_family(*, member: Member) -> QuerySet[SupportRequest]:
    return SupportRequest.objects.filter(family=member).select_related("child", "supporter")


def request_get_for_family(*, member: Member | None, pk: int) -> SupportRequest:
    if member is None:
        raise Http404
    found = requests_for_family(member=member).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def offers_for_supporter(*, profile: SupporterProfile) -> QuerySet[Offer]:
    return (
        Offer.objects.filter(supporter=profile)
        .select_related("request__family__district", "request__child")
        .order_by("-created_at", "-pk")
    )


def offer_get_for_supporter(*, profile: SupporterProfile | None, pk: int) -> Offer:
    if profile is None:
        raise Http404
    found = offers_for_supporter(profile=profile).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


SEES_CONTACT = (Activity.Status.CONFIRMED, Activity.Status.REPORTED, Activity.Status.DISPUTED)


def activity_get_for_user(*, user, pk: int) -> tuple[Activity, str]:
    """The activity and the viewer's side ("family" or "supporter"); anyone else gets a 404."""
    if not user.is_authenticated:
        raise Http404
    activity = (
        Activity.objects.select_related(
            "request__family__user__household",
            "request__family__district",
            "request__child",
            "supporter__member__user",
        )
        .filter(pk=pk)
        .filter(Q(request__family__user=user) | Q(supporter__member__user=user))
        .first()
    )
    if activity is None:
        raise Http404
    side = "family" if activity.request.family.user_id == user.pk else "supporter"
    return activity, side


def contact_visible(*, activity: Activity, side: str) -> bool:
    """The family's address, phone and pick-up person: for the matched supporter, until settled."""
    return side == "supporter" and activity.status in SEES_CONTACT


def cancellation_charge(*, activity: Activity, side: str) -> int:
    """What cancelling now would cost this side (the supporter never pays)."""
    if side != "family":
        return 0
    return fees.cancellation_fee(
        rules_get(),
        day=activity.date,
        starts=activity.starts,
        ends=activity.ends,
        children=1 + activity.request.siblings,
        today=timezone.localdate(),
    )


def activities_for_member(*, member: Member) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(Q(request__family=member) | Q(supporter__member=member))
        .select_related("request__child", "supporter")
        .order_by("-date", "-starts")
    )


def meetings_for_member(*, member: Member) -> QuerySet[Meeting]:
    return Meeting.objects.filter(Q(family=member) | Q(supporter__member=member)).select_related(
        "supporter", "family__user"
    )


def statement_for_supporter(*, profile: SupporterProfile, month: date) -> dict:
    """The supporter's statement of a month: its settled activities, fees and transport."""
    next_month = (month + timedelta(days=32)).replace(day=1)
    rows = list(
        Activity.objects.filter(
            supporter=profile,
            date__gte=month,
            date__lt=next_month,
            status__in=[Activity.Status.SETTLED, Activity.Status.CANCELLED],
        )
        .filter(Q(status=Activity.Status.SETTLED) | Q(cancel_fee__gt=0))
        .select_related("request__child")
        .order_by("date", "starts")
    )
    return {
        "month": month,
        "closed": MonthClose.objects.filter(month=month).first(),
        "rows": rows,
        "fees": sum(a.fee + a.cancel_fee for a in rows),
        "transport": sum(a.transport for a in rows),
    }


def activities_due_reminder(*, day: date) -> QuerySet[Activity]:
    return Activity.objects.filter(
        date=day, status=Activity.Status.CONFIRMED, reminded_at__isnull=True
    ).select_related("request__family__user", "supporter__member__user")


def local_datetime(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def mypage_summary(*, user) -> dict | None:
    """My Page's panel: the member's state, upcoming activities and offers waiting; None for a
    resident who is not a member."""
    member = member_for(user)
    if member is None:
        return None
    profile = profile_for(user)
    today = timezone.localdate()
    return {
        "member": member,
        "activities": list(
            activities_for_member(member=member)
            .filter(date__gte=today, status=Activity.Status.CONFIRMED)
            .order_by("date", "starts")[:5]
        ),
        "offers": offers_for_supporter(profile=profile).filter(status=Offer.Status.OPEN).count()
        if profile
        else 0,
    }
