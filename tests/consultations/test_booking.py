"""Booked sessions (issue 15 item 3, item 10's booking cases): booking under the locking contract,
one per profession per day, cancellation, the reminder, and the chat during the slot."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kosodate.consultations import services
from kosodate.consultations.models import Booking, Consultation, Profession, Slot, Topic
from kosodate.consultations.selectors import staff_member_for
from kosodate.core.models import Notification

pytestmark = pytest.mark.django_db


def slot_at(start, profession=Profession.NUTRITION, professional=None):
    return Slot.objects.create(
        profession=profession,
        starts_at=start,
        ends_at=start + timedelta(minutes=10),
        professional=professional,
    )


def tomorrow_at(hour, minute=0):
    day = timezone.localdate() + timedelta(days=1)
    return datetime.combine(day, time(hour, minute), timezone.get_current_timezone())


@pytest.fixture
def feeding():
    return Topic.objects.get(code="feeding")


def book(client, family, slot, topic):
    client.force_login(family)
    return client.post(
        reverse("consultations:book", args=[slot.pk]),
        {"child": family.household.children.get().pk, "topic": topic.pk, "body": "離乳食"},
    )


def test_staff_publish_slots_and_a_family_books_one(client, family, dietitian, feeding):
    client.force_login(dietitian)
    day = timezone.localdate() + timedelta(days=2)
    response = client.post(
        reverse("consultations_staff:slots"),
        {"profession": "nutrition", "day": day.isoformat(), "start": "19:00", "count": 3},
    )
    assert response.status_code == 302
    slots = list(Slot.objects.order_by("starts_at"))
    assert [timezone.localtime(s.starts_at).strftime("%H:%M") for s in slots] == [
        "19:00",
        "19:10",
        "19:20",
    ]
    client.force_login(family)
    page = client.get(reverse("consultations:sessions") + "?profession=nutrition")
    assert "19:10" in page.content.decode()
    response = book(client, family, slots[1], feeding)
    booking = Booking.objects.get()
    assert response["Location"] == reverse("consultations:detail", args=[booking.consultation_id])
    assert booking.consultation.channel == Consultation.Channel.SESSION
    assert booking.consultation.assigned_to == dietitian


def test_a_professional_cannot_publish_another_professions_slots(client, nurse):
    client.force_login(nurse)
    day = timezone.localdate() + timedelta(days=2)
    response = client.post(
        reverse("consultations_staff:slots"),
        {"profession": "nutrition", "day": day.isoformat(), "start": "19:00", "count": 3},
    )
    assert response.status_code == 400 and not Slot.objects.exists()


def test_slot_taken_meanwhile_is_refused_with_a_message(client, make_family, feeding):
    slot = slot_at(tomorrow_at(19))
    first, second = make_family(), make_family()
    assert book(client, first, slot, feeding).status_code == 302
    response = book(client, second, slot, feeding)
    assert response.status_code == 409
    assert "ほかの方が予約しました" in response.content.decode()
    assert Booking.objects.count() == 1 and Consultation.objects.count() == 1


def test_booking_in_the_past_is_refused(client, family, feeding):
    slot = slot_at(timezone.now() - timedelta(hours=1))
    response = book(client, family, slot, feeding)
    assert response.status_code == 409
    assert "もう予約できません" in response.content.decode()
    assert not Booking.objects.exists() and not Consultation.objects.exists()


def test_one_slot_per_profession_per_day(client, family, feeding):
    first, second = slot_at(tomorrow_at(19)), slot_at(tomorrow_at(19, 10))
    other_profession = slot_at(tomorrow_at(19, 20), Profession.HEALTH)
    assert book(client, family, first, feeding).status_code == 302
    response = book(client, family, second, feeding)
    assert response.status_code == 409 and "同じ職種" in response.content.decode()
    assert book(client, family, other_profession, feeding).status_code == 302
    assert Booking.objects.count() == 2


def test_cancel_frees_the_slot(client, make_family, feeding):
    slot = slot_at(tomorrow_at(19))
    family = make_family()
    book(client, family, slot, feeding)
    booking = Booking.objects.get()
    client.post(reverse("consultations:cancel", args=[booking.consultation_id]))
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert book(client, make_family(), slot, feeding).status_code == 302


def test_cancel_too_late_is_refused(client, family, feeding):
    slot = slot_at(timezone.now() + timedelta(hours=2))
    book(client, family, slot, feeding)
    booking = Booking.objects.get()
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() + timedelta(minutes=10),
        ends_at=timezone.now() + timedelta(minutes=20),
    )
    client.post(reverse("consultations:cancel", args=[booking.consultation_id]))
    booking.refresh_from_db()
    assert booking.status == "booked"


def test_reminder_is_sent_once(family, feeding):
    slot = slot_at(timezone.now() + timedelta(hours=5))
    services.booking_create(
        user=family, slot=slot, child=family.household.children.get(), topic=feeding
    )
    assert services.reminders_send() == 0  # not yet: three hours before
    later = timezone.now() + timedelta(hours=2, minutes=30)
    assert services.reminders_send(now=later) == 1
    assert services.reminders_send(now=later) == 0
    reminder = Notification.objects.get(user=family, kind="consultation")
    assert reminder.title.startswith("【予約相談】")  # in the family's language


def test_reminder_in_english_for_an_english_speaking_family(family, feeding):
    family.preferred_language = "en"
    family.save(update_fields=["preferred_language"])
    slot = slot_at(timezone.now() + timedelta(hours=1))
    services.booking_create(
        user=family, slot=slot, child=family.household.children.get(), topic=feeding
    )
    assert services.reminders_send() == 1
    reminder = Notification.objects.get(user=family, kind="consultation")
    assert reminder.title.startswith("Reminder: your consultation session")


def test_chat_during_the_slot_without_javascript(client, family, dietitian, feeding):
    start = tomorrow_at(19)
    slot = slot_at(start, professional=dietitian)
    booking = services.booking_create(
        user=family, slot=slot, child=family.household.children.get(), topic=feeding
    )
    consultation = booking.consultation
    reply = reverse("consultations:reply", args=[consultation.pk])
    client.force_login(family)
    # Before the slot the chat is closed.
    assert client.post(reply, {"body": "早すぎ"}).status_code == 400
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        client.force_login(family)  # sessions end after a while idle
        assert client.post(reply, {"body": "こんばんは"}).status_code == 302
        response = client.get(reverse("consultations:detail", args=[consultation.pk]))
        page = response.content.decode()
        assert 'hx-trigger="every 5s"' in page and "再読み込み" in page
        client.force_login(dietitian)
        chat = reverse("consultations_staff:chat", args=[consultation.pk])
        assert client.post(chat, {"body": "どうされましたか"}).status_code == 302
        client.force_login(family)
        thread = client.get(reverse("consultations:thread", args=[consultation.pk]))
        assert "どうされましたか" in thread.content.decode()


def test_booking_service_refuses_another_households_child(family, other_family, feeding):
    slot = slot_at(tomorrow_at(19))
    with pytest.raises(ValidationError):
        services.booking_create(
            user=family, slot=slot, child=other_family.household.children.get(), topic=feeding
        )
    assert staff_member_for(family) is None


def test_the_video_link_is_the_municipalitys_and_only_with_a_booked_session(
    client, family, dietitian, feeding
):
    """Item 3: a video link is optional, an external meeting address set per municipality; we do
    not host video. Families see it with their booked session, the professional beside it."""
    from kosodate.consultations.models import ConsultationRules

    slot = slot_at(tomorrow_at(19), professional=dietitian)
    booking = services.booking_create(
        user=family, slot=slot, child=family.household.children.get(), topic=feeding
    )
    detail = reverse("consultations:detail", args=[booking.consultation.pk])
    staff_detail = reverse("consultations_staff:detail", args=[booking.consultation.pk])
    client.force_login(family)
    assert "meet.example.jp" not in client.get(detail).content.decode()  # none configured

    ConsultationRules.objects.create(pk=1, video_url="https://meet.example.jp/kosodate-room")
    page = client.get(detail).content.decode()
    assert 'href="https://meet.example.jp/kosodate-room"' in page
    assert 'rel="noopener noreferrer"' in page
    client.force_login(dietitian)
    assert (
        'href="https://meet.example.jp/kosodate-room"' in client.get(staff_detail).content.decode()
    )

    # A written question (no session) never offers the meeting.
    written = services.consultation_ask(
        user=family, child=family.household.children.get(), topic=feeding, body="離乳食の量"
    )
    client.force_login(family)
    page = client.get(reverse("consultations:detail", args=[written.pk])).content.decode()
    assert "meet.example.jp" not in page
    # Once the session is cancelled the link goes too.
    services.booking_cancel(user=family, booking=booking)
    assert "meet.example.jp" not in client.get(detail).content.decode()
