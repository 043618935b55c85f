"""Builders for ファミサポ tests: the centre, its districts, members in each state, supporters who
fit a request, a matched activity. They write rows directly (as a finished flow leaves them) so a
test can start from the state it is about; the flows themselves are tested through the services."""

from datetime import date, time, timedelta

from django.utils import timezone

from kosodate.accounts.models import User
from kosodate.familysupport.models import (
    Activity,
    Advisor,
    Availability,
    CentreRules,
    District,
    Meeting,
    Member,
    Session,
    SupporterProfile,
)
from kosodate.familysupport.services import matching
from tests.factories import ChildFactory, HouseholdFactory, UserFactory

WEEKDAYS_ALL = range(7)


def centre(**rules) -> CentreRules:
    row, _ = CentreRules.objects.update_or_create(pk=1, defaults=rules)
    return row


def district(name: str = "こもれび小学校区", x: int = 0, y: int = 0) -> District:
    row, _ = District.objects.get_or_create(name=name, defaults={"grid_x": x, "grid_y": y})
    return row


def advisor_user(**kwargs) -> User:
    user = UserFactory(role=User.Role.MUNICIPAL_STAFF, **kwargs)
    Advisor.objects.create(user=user)
    return user


def family_member(
    *, months: int = 40, status=Member.Status.ACTIVE, where=None, household=None, **user_kwargs
):
    """A requesting member with one child `months` old, confirmed unless `status` says otherwise."""
    household = household or HouseholdFactory()
    user_kwargs.setdefault("phone", "+819011112222")
    user = UserFactory(household=household, **user_kwargs)
    ChildFactory(
        household=household,
        birth_date=timezone.localdate() - timedelta(days=int(months * 30.5) + 5),
        allergies="卵",
    )
    member = Member.objects.create(
        user=user,
        kind=Member.Kind.REQUEST,
        district=where or district(),
        status=status,
        card_number=f"F{user.pk:05d}" if status == Member.Status.ACTIVE else "",
        valid_until=timezone.localdate() + timedelta(days=365),
    )
    return member


def supporter(
    *,
    name: str = "",
    where=None,
    kind=Member.Kind.SUPPORT,
    hours=(time(7, 0), time(22, 0)),
    weekdays=WEEKDAYS_ALL,
    **user_kwargs,
) -> SupporterProfile:
    """An approved supporter with every skill, available the given weekdays and hours."""
    household = HouseholdFactory()
    user = UserFactory(household=household, **user_kwargs)
    member = Member.objects.create(
        user=user,
        kind=kind,
        district=where or district(),
        status=Member.Status.ACTIVE,
        card_number=f"S{user.pk:05d}",
        valid_until=timezone.localdate() + timedelta(days=365),
    )
    profile = SupporterProfile.objects.create(
        member=member,
        display_name=name or f"サポーター{user.pk}",
        status=SupporterProfile.Status.APPROVED,
        certificate_date=timezone.localdate(),
        certificate_expires=timezone.localdate() + timedelta(days=3 * 365),
        can_pickup=True,
        can_home_care=True,
        can_sick_recovery=True,
        can_siblings=True,
        can_early_late=True,
    )
    Availability.objects.bulk_create(
        Availability(profile=profile, weekday=w, starts=hours[0], ends=hours[1]) for w in weekdays
    )
    return profile


def next_weekday(weekday: int = 1, after_days: int = 2) -> date:
    day = timezone.localdate() + timedelta(days=after_days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def send_request(member: Member, **kwargs):
    fields = {
        "member": member,
        "child": member.user.household.children.first(),
        "kind": "pickup",
        "first_date": next_weekday(),
        "starts": time(15, 0),
        "ends": time(17, 0),
        "place": "こもれび保育園",
        "pickup": "祖母 山田 良子",
        "notes": "卵アレルギー",
    }
    fields.update(kwargs)
    return matching.request_create(**fields)


def matched(*, member=None, profile=None, meeting_status=Meeting.Status.HELD, day=None):
    """A request matched to `profile` with one activity on `day`, the pair's meeting as given."""
    member = member or family_member()
    profile = profile or supporter()
    request = send_request(member, first_date=day or next_weekday())
    offer = request.offers.filter(supporter=profile).first()
    if offer is None:
        offer = matching.advisor_propose(actor=None, request=request, supporter_id=profile.pk)
    assert matching.offer_accept(profile=profile, offer_id=offer.pk)
    Meeting.objects.filter(family=member, supporter=profile).update(
        status=meeting_status, waiver_reason="急ぎ" if meeting_status == "waived" else ""
    )
    request.refresh_from_db()
    return request, Activity.objects.get(request=request)


def orientation(**kwargs) -> Session:
    fields = {
        "kind": Session.Kind.ORIENTATION,
        "title": "入会説明会",
        "starts_at": timezone.now() + timedelta(days=7),
        "place": "こもれび市子育て支援センター",
        "capacity": 10,
    }
    fields.update(kwargs)
    return Session.objects.create(**fields)


def page_world(*, family_user, supporter_user, advisor_user=None) -> dict:
    """For the accessibility scans and the demo-like views: `family_user` (with a household and
    a child) a confirmed requesting member; `supporter_user` an approved supporter matched to the
    family (meeting held) with one activity settled and one ahead; an open request offered to the
    supporter; a request in the advisor's queue; orientation and training sessions with bookings;
    `advisor_user` assigned to the centre."""
    from kosodate.familysupport.services import activities

    centre()
    if advisor_user is not None:
        Advisor.objects.get_or_create(user=advisor_user)
    home = district()
    family = Member.objects.create(
        user=family_user,
        kind=Member.Kind.REQUEST,
        district=home,
        status=Member.Status.ACTIVE,
        card_number="F00001",
        valid_until=timezone.localdate() + timedelta(days=365),
    )
    member = Member.objects.create(
        user=supporter_user,
        kind=Member.Kind.BOTH,
        district=home,
        status=Member.Status.ACTIVE,
        card_number="S00001",
        valid_until=timezone.localdate() + timedelta(days=365),
    )
    profile = SupporterProfile.objects.create(
        member=member,
        display_name="さくら",
        status=SupporterProfile.Status.APPROVED,
        certificate_date=timezone.localdate(),
        certificate_expires=timezone.localdate() + timedelta(days=3 * 365),
        can_pickup=True,
        can_home_care=True,
        can_siblings=True,
        about="送迎が得意です",
    )
    Availability.objects.bulk_create(
        Availability(profile=profile, weekday=w, starts=time(7), ends=time(20)) for w in range(5)
    )
    _done_request, settled = matched(member=family, profile=profile)
    Activity.objects.filter(pk=settled.pk).update(date=timezone.localdate() - timedelta(days=1))
    settled.refresh_from_db()
    activities.report_file(
        user=supporter_user,
        activity=settled,
        actual_start=settled.starts,
        actual_end=settled.ends,
        done="保育園から自宅まで送迎",
    )
    activities.report_confirm(user=family_user, activity=settled)
    _ahead_request, confirmed = matched(
        member=family, profile=profile, day=next_weekday(3, after_days=9)
    )
    open_request = send_request(family, first_date=next_weekday(2, after_days=9))
    queued = send_request(family, first_date=next_weekday(5, after_days=9), kind="outing")
    session = orientation()
    applicant = family_member(status=Member.Status.APPLIED)
    Session.objects.create(
        kind=Session.Kind.TRAINING,
        title="提供会員養成講座 第1回",
        starts_at=timezone.now() + timedelta(days=10),
        place="こもれび市子育て支援センター",
        capacity=20,
    )
    from kosodate.familysupport.models import Attendance

    Attendance.objects.create(session=session, member=applicant)
    meeting = Meeting.objects.create(
        family=applicant, supporter=profile, status=Meeting.Status.NEEDED
    )
    return {
        "family": family,
        "profile": profile,
        "settled": settled,
        "confirmed": confirmed,
        "open_request": open_request,
        "queued": queued,
        "offer": open_request.offers.first(),
        "session": session,
        "applicant": applicant,
        "meeting": meeting,
    }
