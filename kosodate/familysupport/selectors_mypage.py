"""My Page's merged "upcoming" list for ファミサポ (kosodate.core.registry.UpcomingItem)."""

from datetime import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kosodate.core.registry import UpcomingItem

from .models import Activity
from .selectors import activities_for_member, member_for


def upcoming_for_mypage(*, user) -> list[UpcomingItem]:
    """My Page's merged "upcoming" list: the member's confirmed activities ahead, and (first,
    as they need the family's answer) the reports the supporter filed for the family to
    confirm."""
    member = member_for(user)
    if member is None:
        return []
    today = timezone.localdate()
    activities = activities_for_member(member=member).filter(
        Q(date__gte=today, status=Activity.Status.CONFIRMED)
        | Q(status=Activity.Status.REPORTED, request__family=member)
    )
    items = []
    for activity in activities.order_by("date", "starts")[:20]:
        to_confirm = activity.status == Activity.Status.REPORTED
        items.append(
            UpcomingItem(
                when=timezone.make_aware(datetime.combine(activity.date, activity.starts)),
                kind=_("Family support"),
                title=activity.request.child.full_name,
                url=reverse("familysupport:activity_detail", args=[activity.pk]),
                status=activity.get_status_display(),
                needs_action=to_confirm,
                action=_("Check and confirm the supporter's report") if to_confirm else "",
                deadline=activity.reported_at if to_confirm else None,
            )
        )
    return items
