"""Who sees what, on every URL of ファミサポ (issue 14, items 11 and 13).

Personas: the family (its own request and activities), an unmatched supporter, the matched
supporter (one activity still confirmed, one settled), facility staff, municipal staff without the
centre's assignment, the centre's advisor, and anonymous visitors. A family's address and phone
appear on exactly one page for exactly one resident: the activity's page, for its matched
supporter, until its report is settled. The last test fails when a URL has no line here."""

from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from kosodate.core.models import AuditLog
from kosodate.familysupport.models import Activity, Member, MemberPhoto, Offer
from kosodate.familysupport.services import activities
from tests.factories import HouseholdFactory

from . import support

pytestmark = pytest.mark.django_db

ADDRESS = "こもれび町3-14-15"
PHONE = "9087654321"


@pytest.fixture
def world(rules, advisor, facility_staff, municipal_staff):
    family = support.family_member(
        phone=f"+81{PHONE}", household=HouseholdFactory(town="こもれび町", street="3-14-15")
    )
    matched_supporter = support.supporter(name="さくらさん", weekdays=[0, 1, 2, 3])
    # Settled: the report was filed and confirmed.
    _past, settled = support.matched(member=family, profile=matched_supporter)
    Activity.objects.filter(pk=settled.pk).update(date=timezone.localdate() - timedelta(days=1))
    settled.refresh_from_db()
    activities.report_file(
        user=matched_supporter.member.user,
        activity=settled,
        actual_start=settled.starts,
        actual_end=settled.ends,
        done="送迎",
    )
    assert activities.report_confirm(user=family.user, activity=settled)
    # Confirmed, still ahead.
    _upcoming, confirmed = support.matched(
        member=family, profile=matched_supporter, day=support.next_weekday(3, after_days=9)
    )
    MemberPhoto.objects.create(
        member=family, content=b"\x89PNG", content_type="image/png", width=1, height=1
    )
    unmatched = support.supporter(name="ひまわりさん")
    open_request = support.send_request(family, first_date=support.next_weekday(4, after_days=9))
    unmatched_offer = Offer.objects.get(request=open_request, supporter=unmatched)
    return {
        "family": family.user,
        "matched": matched_supporter.member.user,
        "unmatched": unmatched.member.user,
        "facility_staff": facility_staff,
        "municipal_staff": municipal_staff,
        "advisor": advisor,
        "request": open_request,
        "confirmed": confirmed,
        "settled": settled,
        "offer": unmatched_offer,
        "member": family,
        "meeting": family.meetings.first(),
        "session": support.orientation(),
    }


def _fetch(client, user, name, args, method="get", data=None):
    if user is not None:
        client.force_login(user)
    url = reverse(name, args=args)
    return getattr(client, method)(url, data or {})


def _leaks(response) -> bool:
    text = response.content.decode(errors="replace")
    return ADDRESS in text or PHONE in text


# (URL name, args from the world, expected status per persona). 302 for anonymous everywhere.
R = "request"
RESIDENT_GET = [
    ("familysupport:home", None, {"family": 200, "matched": 200, "unmatched": 200, "facility_staff": 200}),
    ("familysupport:join", None, {"family": 302, "matched": 302, "unmatched": 302, "facility_staff": 200}),
    ("familysupport:profile", None, {"family": 404, "matched": 200, "unmatched": 200, "facility_staff": 404}),
    ("familysupport:search", None, {"family": 200, "matched": 404, "unmatched": 404, "facility_staff": 404}),
    ("familysupport:request_new", None, {"family": 200, "matched": 404, "unmatched": 404, "facility_staff": 404}),
    ("familysupport:request_detail", R, {"family": 200, "matched": 404, "unmatched": 404, "facility_staff": 404}),
    ("familysupport:request_cancel", R, {"family": 200, "matched": 404, "unmatched": 404, "facility_staff": 404}),
    ("familysupport:offer_detail", "offer", {"family": 404, "matched": 404, "unmatched": 200, "facility_staff": 404}),
    ("familysupport:activity_detail", "confirmed", {"family": 200, "matched": 200, "unmatched": 404, "facility_staff": 404}),
    ("familysupport:activity_detail", "settled", {"family": 200, "matched": 200, "unmatched": 404, "facility_staff": 404}),
    ("familysupport:activity_cancel", "confirmed", {"family": 200, "matched": 200, "unmatched": 404, "facility_staff": 404}),
    ("familysupport:report_file", "confirmed", {"family": 404, "matched": 200, "unmatched": 404, "facility_staff": 404}),
    ("familysupport:activity_ics", "confirmed", {"family": 200, "matched": 200, "unmatched": 404, "facility_staff": 404}),
    ("familysupport:statement", None, {"family": 404, "matched": 200, "unmatched": 200, "facility_staff": 404}),
]  # fmt: skip
# POSTs that change one object: everyone but its owner gets a 404 and nothing changes.
RESIDENT_POST = [
    ("familysupport:request_ask", R, "family"),
    ("familysupport:request_cancel", R, "family"),
    ("familysupport:offer_accept", "offer", "unmatched"),
    ("familysupport:offer_decline", "offer", "unmatched"),
    ("familysupport:activity_cancel", "confirmed", None),  # both sides may cancel
    ("familysupport:report_file", "confirmed", "matched"),
    ("familysupport:no_show", "confirmed", "matched"),
    ("familysupport:report_confirm", "settled", "family"),
    ("familysupport:report_dispute", "settled", "family"),
    ("familysupport:payment_record", "settled", "matched"),
]
RESIDENT_OTHER = {"familysupport:training_book", "familysupport:request_send"}
STAFF = [
    ("familysupport_staff:index", None, "get"),
    ("familysupport_staff:members", None, "get"),
    ("familysupport_staff:member", "member", "get"),
    ("familysupport_staff:member_confirm", "member", "post"),
    ("familysupport_staff:member_photo", "member", "get"),
    ("familysupport_staff:supporter_approve", "member", "post"),
    ("familysupport_staff:insurance", "member", "post"),
    ("familysupport_staff:sessions", None, "get"),
    ("familysupport_staff:session", "session", "get"),
    ("familysupport_staff:queue", None, "get"),
    ("familysupport_staff:request", R, "get"),
    ("familysupport_staff:propose", R, "post"),
    ("familysupport_staff:meetings", None, "get"),
    ("familysupport_staff:meeting", "meeting", "get"),
    ("familysupport_staff:meeting_held", "meeting", "post"),
    ("familysupport_staff:meeting_waive", "meeting", "post"),
    ("familysupport_staff:activity", "confirmed", "get"),
    ("familysupport_staff:activity_supporter", "confirmed", "post"),
    ("familysupport_staff:reports", None, "get"),
    ("familysupport_staff:report", "settled", "get"),
    ("familysupport_staff:month", None, "get"),
    ("familysupport_staff:month_csv", None, "get"),
]
PERSONAS = ["family", "matched", "unmatched", "facility_staff"]


def _args(world, key):
    return [world[key].pk] if key else []


@pytest.mark.parametrize(("name", "key", "expected"), RESIDENT_GET, ids=lambda v: str(v))
@pytest.mark.parametrize("persona", [*PERSONAS, None])
def test_resident_pages_by_persona(client, world, persona, name, key, expected):
    response = _fetch(client, world[persona] if persona else None, name, _args(world, key))
    if persona is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        return
    assert response.status_code == expected[persona]
    may_see_contact = (
        persona == "matched" and name == "familysupport:activity_detail" and (key == "confirmed")
    )
    assert _leaks(response) is may_see_contact


def test_matched_supporter_sees_contact_until_settled_then_not(client, world):
    client.force_login(world["matched"])
    before = client.get(reverse("familysupport:activity_detail", args=[world["confirmed"].pk]))
    after = client.get(reverse("familysupport:activity_detail", args=[world["settled"].pk]))
    assert ADDRESS in before.content.decode() and PHONE in before.content.decode()
    assert "祖母 山田 良子" in before.content.decode()
    assert not _leaks(after)
    assert "祖母 山田 良子" not in after.content.decode()


def test_ics_never_carries_the_address(client, world):
    response = _fetch(
        client, world["matched"], "familysupport:activity_ics", [world["confirmed"].pk]
    )
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in response.content and not _leaks(response)


@pytest.mark.parametrize(("name", "key", "owner"), RESIDENT_POST, ids=lambda v: str(v))
@pytest.mark.parametrize("persona", [*PERSONAS, None])
def test_resident_actions_refuse_everyone_else(client, world, persona, name, key, owner):
    if persona == owner or (owner is None and persona in ("family", "matched")):
        pytest.skip("the owner's own action (tested in test_views.py)")
    before = [(a.status, a.fee, a.paid_at) for a in Activity.objects.order_by("pk")]
    offers = list(Offer.objects.order_by("pk").values_list("status", flat=True))
    response = _fetch(
        client,
        world[persona] if persona else None,
        name,
        _args(world, key),
        method="post",
        data={"reason": "x", "supporters": [1]},
    )
    assert response.status_code == (302 if persona is None else 404)
    assert [(a.status, a.fee, a.paid_at) for a in Activity.objects.order_by("pk")] == before
    assert list(Offer.objects.order_by("pk").values_list("status", flat=True)) == offers


@pytest.mark.parametrize(("name", "key", "method"), STAFF, ids=lambda v: str(v))
@pytest.mark.parametrize(
    "persona", ["family", "matched", "facility_staff", "municipal_staff", None]
)
def test_staff_pages_are_for_the_centres_advisors_only(client, world, persona, name, key, method):
    members = list(Member.objects.order_by("pk").values_list("status", "card_number"))
    response = _fetch(
        client,
        world[persona] if persona else None,
        name,
        _args(world, key),
        method=method,
        data={"card_number": "X1", "reason": "急ぎ"},
    )
    if persona is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == 403
        assert not _leaks(response)
    assert list(Member.objects.order_by("pk").values_list("status", "card_number")) == members


@pytest.mark.parametrize(
    ("name", "key", "method"), [s for s in STAFF if s[2] == "get"], ids=lambda v: str(v)
)
def test_advisor_opens_every_staff_page(client, world, name, key, method):
    response = _fetch(client, world["advisor"], name, _args(world, key))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("advisor", True), ("municipal_staff", False), ("facility_staff", False)],
)
def test_the_staff_menu_entry_is_the_advisors_only(client, world, persona, shown):
    """The back office's menu offers ファミサポ to the centre's advisors, not to every staff
    member (the pages answer 403 to the others: the entry would only lead there)."""
    client.force_login(world[persona])
    body = client.get(reverse("backoffice:dashboard")).content.decode()
    nav = body.split('class="backoffice-nav"', 1)[1].split("</nav>", 1)[0]
    assert (f'href="{reverse("familysupport_staff:index")}"' in nav) is shown


def test_every_look_at_a_members_record_is_audited(client, world):
    client.force_login(world["advisor"])
    response = client.get(reverse("familysupport_staff:member", args=[world["member"].pk]))
    assert ADDRESS in response.content.decode()
    entry = AuditLog.objects.filter(action="familysupport.record.view").latest("pk")
    assert entry.actor == world["advisor"] and entry.subject_user == world["family"]
    client.get(reverse("familysupport_staff:request", args=[world["request"].pk]))
    client.get(reverse("familysupport_staff:report", args=[world["settled"].pk]))
    assert AuditLog.objects.filter(action="familysupport.record.view").count() == 3


def test_every_url_has_an_access_line():
    covered = (
        {name for name, *_ in RESIDENT_GET}
        | {name for name, *_ in RESIDENT_POST}
        | RESIDENT_OTHER
        | {name for name, *_ in STAFF}
    )
    resolver = get_resolver()
    names = set()
    for namespace in ("familysupport", "familysupport_staff"):
        _prefix, sub = resolver.namespace_dict[namespace]
        names |= {f"{namespace}:{p.name}" for p in sub.url_patterns}
    assert names - covered == set()
