"""ファミサポ through its pages, each side doing its own part: joining and the orientation's
capacity, the request with its fee estimate before sending, bad input kept and explained, the
race's answer to the loser, the first-meeting gate, reports, the advisor's work (confirmation,
training, proposals, meetings, disputes, the month's close and the national report's CSV)."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kosodate.core.models import AuditLog
from kosodate.familysupport.models import (
    Activity,
    Attendance,
    Meeting,
    Member,
    MonthClose,
    Session,
    SupporterProfile,
    SupportRequest,
)
from kosodate.familysupport.services import matching
from tests.factories import ChildFactory, HouseholdFactory, UserFactory

from . import support

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


# --- Joining -----------------------------------------------------------------------------------
def test_a_family_applies_with_an_orientation_date(client, rules):
    session = support.orientation(capacity=1)
    user = UserFactory(household=HouseholdFactory())
    response = _login(client, user).post(
        reverse("familysupport:join"),
        {"kind": "request", "district": support.district().pk, "session": session.pk},
    )
    assert response.status_code == 302
    member = Member.objects.get(user=user)
    assert member.status == "applied"
    assert Attendance.objects.get(member=member, session=session).status == "booked"


def test_a_full_orientation_is_refused_and_nothing_is_saved(client, rules):
    session = support.orientation(capacity=1)
    Attendance.objects.create(session=session, member=support.family_member(status="applied"))
    user = UserFactory(household=HouseholdFactory())
    response = _login(client, user).post(
        reverse("familysupport:join"),
        {
            "kind": "both",
            "district": support.district().pk,
            "session": session.pk,
            "display_name": "さくら",
        },
    )
    assert response.status_code == 200
    assert "満員" in response.content.decode()
    assert not Member.objects.filter(user=user).exists()
    assert 'value="さくら"' in response.content.decode()  # what was typed is kept


def test_the_centre_confirms_after_the_orientation(client, rules, advisor):
    member = support.family_member(status="applied")
    session = support.orientation()
    attendance = Attendance.objects.create(session=session, member=member)
    client.force_login(advisor)
    refused = client.post(
        reverse("familysupport_staff:member_confirm", args=[member.pk]),
        {"card_number": "K0001"},
        follow=True,
    )
    assert "出席" in refused.content.decode()
    client.post(
        reverse("familysupport_staff:session", args=[session.pk]), {"attended": [attendance.pk]}
    )
    client.post(
        reverse("familysupport_staff:member_confirm", args=[member.pk]),
        {"card_number": "ｋ０００１"},
    )
    member.refresh_from_db()
    assert (member.status, member.card_number) == ("active", "K0001")
    assert member.valid_until > timezone.localdate()
    assert AuditLog.objects.filter(action="familysupport.member.confirm", actor=advisor).exists()


def _attended_applicant():
    member = support.family_member(status="applied")
    Attendance.objects.create(session=support.orientation(), member=member, status="attended")
    return member


def _jpeg(size=(1200, 900)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (120, 160, 200)).save(out, format="JPEG")
    return out.getvalue()


def test_the_membership_photo_is_optional_and_kept_re_encoded(client, rules, advisor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kosodate.familysupport.models import MemberPhoto

    member = _attended_applicant()
    client.force_login(advisor)
    client.post(
        reverse("familysupport_staff:member_confirm", args=[member.pk]),
        {"card_number": "K0002", "photo": SimpleUploadedFile("face.jpg", _jpeg(), "image/jpeg")},
    )
    member.refresh_from_db()
    photo = MemberPhoto.objects.get(member=member)
    assert member.status == "active"
    assert photo.content_type == "image/jpeg" and max(photo.width, photo.height) == 800
    page = client.get(reverse("familysupport_staff:member", args=[member.pk])).content.decode()
    photo_url = reverse("familysupport_staff:member_photo", args=[member.pk])
    assert photo_url in page
    response = client.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    # Without a photo the confirmation works as before.
    other = _attended_applicant()
    client.post(
        reverse("familysupport_staff:member_confirm", args=[other.pk]), {"card_number": "K0003"}
    )
    other.refresh_from_db()
    assert other.status == "active" and not MemberPhoto.objects.filter(member=other).exists()
    assert (
        client.get(reverse("familysupport_staff:member_photo", args=[other.pk])).status_code == 404
    )


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"%PDF-1.4 not a photo", "読み取れる写真ではありません"), (None, "大きすぎます")],
    ids=["not-an-image", "too-large"],
)
def test_a_bad_membership_photo_is_refused_and_nothing_is_saved(
    client, rules, advisor, monkeypatch, content, words
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kosodate.familysupport import forms
    from kosodate.familysupport.models import MemberPhoto

    if content is None:
        monkeypatch.setattr(forms, "PHOTO_MAX_BYTES", 1000)
        content = _jpeg()
    member = _attended_applicant()
    client.force_login(advisor)
    response = client.post(
        reverse("familysupport_staff:member_confirm", args=[member.pk]),
        {"card_number": "K0004", "photo": SimpleUploadedFile("card.jpg", content, "image/jpeg")},
        follow=True,
    )
    body = response.content.decode()
    assert words in body and "card.jpg" in body
    member.refresh_from_db()
    assert (member.status, member.card_number) == ("applied", "")
    assert not MemberPhoto.objects.exists()


def test_a_supporter_is_approved_after_training_with_an_expiring_certificate(
    client, rules, advisor
):
    profile = support.supporter()
    SupporterProfile.objects.filter(pk=profile.pk).update(status="training")
    training = Session.objects.create(
        kind="training",
        title="養成講座",
        place="センター",
        starts_at=timezone.now() + timedelta(days=3),
        capacity=5,
    )
    client.force_login(advisor)
    url = reverse("familysupport_staff:supporter_approve", args=[profile.member.pk])
    client.post(url, {"certificate_date": "2026-04-01"})
    profile.refresh_from_db()
    assert profile.status == "training"
    Attendance.objects.create(session=training, member=profile.member, status="attended")
    client.post(url, {"certificate_date": "2026-04-01"})
    profile.refresh_from_db()
    assert profile.status == "approved"
    assert profile.certificate_expires.isoformat() == "2029-04-01"


# --- Requests ------------------------------------------------------------------------------------
def _request_data(member, **changes):
    data = {
        "child": member.user.household.children.first().pk,
        "siblings": 0,
        "kind": "pickup",
        "first_date": support.next_weekday().isoformat(),
        "starts": "15:00",
        "ends": "17:00",
        "place": "こもれび保育園",
        "pickup": "祖母",
        "notes": "",
    }
    data.update(changes)
    return data


def test_the_fee_estimate_is_shown_before_anything_is_sent(client, rules):
    family = support.family_member()
    support.supporter()
    client.force_login(family.user)
    response = client.post(reverse("familysupport:request_new"), _request_data(family))
    assert response.status_code == 200
    assert "1,400" in response.content.decode()
    assert not SupportRequest.objects.exists()
    sent = client.post(reverse("familysupport:request_send"), _request_data(family))
    request = SupportRequest.objects.get()
    assert sent["Location"] == reverse("familysupport:request_detail", args=[request.pk])
    assert request.offers.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts": "06:00", "ends": "08:00"}, "7:00"),
        ({"starts": "17:00", "ends": "15:00"}, "終了日時は開始日時より後"),
        ({"weekdays": ["1"], "until": "2099-01-01"}, "会員の有効期限"),
    ],
    ids=["before-opening", "end-before-start", "past-membership"],
)
def test_bad_requests_are_explained_and_nothing_is_saved(client, rules, changes, message):
    family = support.family_member()
    client.force_login(family.user)
    response = client.post(reverse("familysupport:request_send"), _request_data(family, **changes))
    text = response.content.decode()
    assert response.status_code == 200
    assert message.replace(":", "") in text.replace(":", "")
    assert 'value="こもれび保育園"' in text
    assert not SupportRequest.objects.exists()


def test_a_child_outside_the_ages_is_explained(client, rules):
    family = support.family_member(months=4)
    client.force_login(family.user)
    response = client.post(reverse("familysupport:request_new"), _request_data(family))
    assert "生後6か月から小学校卒業まで" in response.content.decode()


def test_a_tampered_child_or_supporter_id_is_refused(client, rules):
    support.centre(matching_mode="search")
    family = support.family_member()
    other_child = ChildFactory(household=HouseholdFactory())
    client.force_login(family.user)
    response = client.post(
        reverse("familysupport:request_send"), _request_data(family, child=other_child.pk)
    )
    assert response.status_code == 200 and not SupportRequest.objects.exists()
    request = support.send_request(family)
    outsider = support.supporter(where=support.district("遠い町", 9, 9))
    response = client.post(
        reverse("familysupport:request_ask", args=[request.pk]), {"supporters": [outsider.pk]}
    )
    assert response.status_code == 400
    assert "表示された一覧から" in response.content.decode()
    assert not request.offers.exists()


def test_the_second_supporter_to_accept_is_told_it_is_taken(client, rules):
    family = support.family_member()
    first, second = support.supporter(), support.supporter()
    request = support.send_request(family)
    _login(client, first.member.user).post(
        reverse("familysupport:offer_accept", args=[request.offers.get(supporter=first).pk])
    )
    client.force_login(second.member.user)
    offer = request.offers.get(supporter=second)
    response = client.post(reverse("familysupport:offer_accept", args=[offer.pk]), follow=True)
    assert "先に引き受けました" in response.content.decode()
    assert SupportRequest.objects.get().supporter == first


def test_an_overlapping_accept_is_refused_with_the_reason(client, rules):
    profile = support.supporter()
    first = support.send_request(support.family_member())
    request = support.send_request(
        support.family_member(), first_date=first.first_date, starts=time(16), ends=time(18)
    )
    assert matching.offer_accept(profile=profile, offer_id=first.offers.get(supporter=profile).pk)
    offer = request.offers.get(supporter=profile)
    response = _login(client, profile.member.user).post(
        reverse("familysupport:offer_accept", args=[offer.pk]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("familysupport:offer_detail", args=[offer.pk])
    assert "時間が重なる活動がすでにあります" in response.content.decode()
    assert SupportRequest.objects.get(pk=request.pk).status == "open"


# --- The first meeting, the report, the family's answer -------------------------------------------
def test_no_report_before_the_first_meeting_with_the_next_step_said(client, rules):
    _request, activity = support.matched(meeting_status=Meeting.Status.NEEDED)
    Activity.objects.filter(pk=activity.pk).update(date=timezone.localdate())
    client.force_login(activity.supporter.member.user)
    page = client.get(reverse("familysupport:activity_detail", args=[activity.pk]))
    assert "事前打ち合わせ" in page.content.decode()
    response = client.post(
        reverse("familysupport:report_file", args=[activity.pk]),
        {"actual_start": "15:00", "actual_end": "17:00", "done": "送迎", "transport": 0},
    )
    assert "アドバイザーが事前打ち合わせの日程を調整" in response.content.decode()
    assert Activity.objects.get(pk=activity.pk).status == "confirmed"


def test_the_advisor_waives_the_meeting_for_an_urgent_case_audited(client, rules, advisor):
    support.matched(meeting_status=Meeting.Status.NEEDED)
    meeting = Meeting.objects.get()
    client.force_login(advisor)
    empty = client.post(
        reverse("familysupport_staff:meeting_waive", args=[meeting.pk]), {"reason": ""}
    )
    assert empty.status_code == 400
    client.post(
        reverse("familysupport_staff:meeting_waive", args=[meeting.pk]),
        {"reason": "保護者の急な入院"},
    )
    meeting.refresh_from_db()
    assert meeting.status == "waived"
    entry = AuditLog.objects.get(action="familysupport.meeting.waive")
    assert entry.detail["reason"] == "保護者の急な入院"


def test_meeting_scheduled_then_held(client, rules, advisor):
    support.matched(meeting_status=Meeting.Status.NEEDED)
    meeting = Meeting.objects.get()
    client.force_login(advisor)
    client.post(
        reverse("familysupport_staff:meeting", args=[meeting.pk]),
        {"scheduled_at": "2026-12-20T10:00", "place": "センター"},
    )
    client.post(reverse("familysupport_staff:meeting_held", args=[meeting.pk]))
    assert Meeting.objects.get().status == "held"


def test_report_fee_from_the_rules_then_the_family_confirms(client, rules):
    request, activity = support.matched()
    Activity.objects.filter(pk=activity.pk).update(date=timezone.localdate())
    client.force_login(activity.supporter.member.user)
    client.post(
        reverse("familysupport:report_file", args=[activity.pk]),
        {"actual_start": "15:00", "actual_end": "16:10", "done": "送迎", "transport": 300},
    )
    activity.refresh_from_db()
    assert activity.status == "reported"
    weekend = activity.date.weekday() >= 5
    assert activity.fee == (900 if weekend else 700) * 3 // 2 and activity.transport == 300
    client.force_login(request.family.user)
    client.post(reverse("familysupport:report_confirm", args=[activity.pk]))
    assert Activity.objects.get(pk=activity.pk).status == "settled"


def test_a_disputed_report_is_settled_by_the_advisor(client, rules, advisor):
    request, activity = support.matched()
    Activity.objects.filter(pk=activity.pk).update(date=timezone.localdate())
    activity.refresh_from_db()
    from kosodate.familysupport.services import activities

    activities.report_file(
        user=activity.supporter.member.user,
        activity=activity,
        actual_start=time(15),
        actual_end=time(19),
        done="送迎",
    )
    client.force_login(request.family.user)
    client.post(
        reverse("familysupport:report_dispute", args=[activity.pk]),
        {"reason": "17時に迎えに行きました"},
    )
    assert Activity.objects.get(pk=activity.pk).status == "disputed"
    client.force_login(advisor)
    client.post(reverse("familysupport_staff:report", args=[activity.pk]), {"fee": 1400})
    activity.refresh_from_db()
    assert (activity.status, activity.fee) == ("settled", 1400)


def test_family_cancels_on_the_day_and_pays_one_hour(client, rules):
    request, activity = support.matched()
    Activity.objects.filter(pk=activity.pk).update(date=timezone.localdate())
    client.force_login(request.family.user)
    client.post(reverse("familysupport:activity_cancel", args=[activity.pk]))
    activity.refresh_from_db()
    assert activity.status == "cancelled" and activity.cancel_fee in (700, 900)


def test_supporter_cancelling_reopens_matching_at_once(client, rules):
    request, activity = support.matched()
    other = support.supporter()
    client.force_login(activity.supporter.member.user)
    client.post(reverse("familysupport:activity_cancel", args=[activity.pk]))
    reopened = SupportRequest.objects.exclude(pk=request.pk).get()
    assert reopened.first_date == activity.date and reopened.status == "open"
    assert list(reopened.offers.filter(status="open").values_list("supporter", flat=True)) == [
        other.pk
    ]
    assert Activity.objects.get(pk=activity.pk).cancel_fee == 0


# --- The month -----------------------------------------------------------------------------------
def test_month_close_statement_and_national_csv(client, rules, advisor):
    request, activity = support.matched()
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=10)
    Activity.objects.filter(pk=activity.pk).update(date=last_month)
    activity.refresh_from_db()
    client.force_login(advisor)
    month = last_month.strftime("%Y-%m")
    refused = client.post(reverse("familysupport_staff:month"), {"month": month}, follow=True)
    assert "まだ精算されていません" in refused.content.decode()
    from kosodate.familysupport.services import activities

    activities.report_file(
        user=activity.supporter.member.user,
        activity=activity,
        actual_start=time(15),
        actual_end=time(17),
        done="=HYPERLINK(1)",
    )
    activities.report_confirm(user=request.family.user, activity=activity)
    client.post(reverse("familysupport_staff:month"), {"month": month})
    assert MonthClose.objects.get().activities == 1
    csv = client.get(reverse("familysupport_staff:month_csv") + f"?month={month}")
    body = csv.content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("date,kind,district")
    assert "pickup" in body and "120" in body
    assert AuditLog.objects.filter(action="familysupport.report.csv").exists()
    client.force_login(activity.supporter.member.user)
    statement = client.get(reverse("familysupport:statement") + f"?month={month}")
    assert "センターは" in statement.content.decode()


def test_the_centre_sees_a_supporters_hours_and_activities_done(client, rules, advisor):
    profile = support.supporter(hours=(time(9), time(18)), weekdays=[0, 1])
    _request, activity = support.matched(profile=profile)
    Activity.objects.filter(pk=activity.pk).update(status="settled")
    client.force_login(advisor)
    body = client.get(
        reverse("familysupport_staff:member", args=[profile.member.pk])
    ).content.decode()
    section = body.split("活動できる曜日・時間", 1)[1]
    assert section.count("09:00–18:00") == 2
    assert "活動の実績（件）</dt><dd>1</dd>" in section
