"""The family's side: asking (with photos and the emergency words), the thread, closing and
reopening, and bad input (issue 15 items 1, 2 and 10)."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from kosodate.consultations import services
from kosodate.consultations.models import Consultation, Message, Photo
from kosodate.core.models import Notification, OutboundMessage

from .conftest import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


def ask(client, family, topic, body="夜に何度も起きます。", files=()):
    client.force_login(family)
    child = family.household.children.get()
    data = {"topic": topic.pk, "child": child.pk, "body": body}
    if files:
        data["photos"] = list(files)
    return client.post(reverse("consultations:ask"), data)


def test_ask_routes_by_topic_and_records_the_age(client, family, sleep_topic):
    response = ask(client, family, sleep_topic, files=[upload()])
    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("consultations:detail", args=[consultation.pk])
    assert consultation.profession == "health"
    assert consultation.child_age_months == 14
    assert consultation.due_at is not None
    assert not consultation.flagged
    assert Photo.objects.filter(message__consultation=consultation).count() == 1


def test_the_ask_page_says_it_is_not_an_emergency_service_and_who_reads(client, family):
    client.force_login(family)
    page = client.get(reverse("consultations:ask")).content.decode()
    assert "119" in page and "#8000" in page
    assert "保健師" in page and "施設職員" in page  # who can read it, and who cannot


def test_emergency_words_flag_but_never_block(client, family, sleep_topic):
    response = ask(client, family, sleep_topic, body="子どもがけいれんしています")
    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert consultation.flagged and consultation.flag_words == ["けいれん"]
    page = client.get(response["Location"]).content.decode()
    assert "119" in page and "#8000" in page


def test_emergency_words_shown_before_sending(client, family):
    client.force_login(family)
    response = client.post(reverse("consultations:check_words"), {"body": "虐待かもしれない"})
    assert "119" in response.content.decode()
    quiet = client.post(reverse("consultations:check_words"), {"body": "よく眠ります"})
    assert "119" not in quiet.content.decode()


def test_empty_question_is_refused_and_nothing_saved(client, family, sleep_topic):
    response = ask(client, family, sleep_topic, body="   ")
    assert response.status_code == 200
    assert "ご相談内容を入力してください。" in response.content.decode()
    assert not Consultation.objects.exists()


def test_disguised_html_file_is_refused_and_the_text_kept(client, family, sleep_topic):
    fake = upload("rash.jpg", b"<html><script>alert(1)</script></html>")
    response = ask(client, family, sleep_topic, body="発疹が出ました", files=[fake])
    assert response.status_code == 200
    page = response.content.decode()
    assert "rash.jpg" in page
    assert "発疹が出ました" in page  # nothing typed is lost
    assert not Consultation.objects.exists() and not Message.objects.exists()


def test_oversized_photo_is_refused(client, family, sleep_topic, settings):
    from kosodate.consultations.models import ConsultationRules

    ConsultationRules.objects.create(pk=1, photo_max_bytes=1000)
    big = upload("big.jpg", jpeg_bytes(size=(800, 800)))
    response = ask(client, family, sleep_topic, files=[big])
    assert response.status_code == 200
    assert "big.jpg" in response.content.decode()
    assert not Consultation.objects.exists()


def test_more_than_three_photos_is_refused(client, family, sleep_topic):
    response = ask(client, family, sleep_topic, files=[upload(f"p{i}.jpg") for i in range(4)])
    assert response.status_code == 200
    assert not Consultation.objects.exists()


def test_photo_is_stripped_of_exif(client, family, sleep_topic):
    original = jpeg_bytes(exif_gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    ask(client, family, sleep_topic, files=[upload("gps.jpg", original)])
    photo = Photo.objects.get()
    stored = Image.open(io.BytesIO(bytes(photo.content)))
    assert not stored.getexif()
    assert stored.format == "JPEG"


def test_answer_notifies_without_content(client, family, sleep_topic, nurse):
    from kosodate.consultations.selectors import staff_member_for

    ask(client, family, sleep_topic, body="夜泣きの秘密の内容")
    consultation = Consultation.objects.get()
    services.consultation_answer(
        member=staff_member_for(nurse), consultation=consultation, body="回答の秘密の内容"
    )
    email = OutboundMessage.objects.get(user=family)
    assert "秘密" not in email.body and "秘密" not in email.subject
    assert reverse("consultations:detail", args=[consultation.pk]) in email.body
    note = Notification.objects.get(user=family)
    assert "秘密" not in note.title + note.body
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.WAITING_FAMILY
    assert consultation.first_answered_at is not None
    assert consultation.assigned_to == nurse


def test_reply_close_and_reopen(client, family, sleep_topic):
    ask(client, family, sleep_topic)
    consultation = Consultation.objects.get()
    url = reverse("consultations:reply", args=[consultation.pk])
    assert client.post(url, {"body": "ありがとうございます"}).status_code == 302
    close = client.post(reverse("consultations:close", args=[consultation.pk]), {"helpful": "yes"})
    assert close.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == "closed" and consultation.helpful is True
    # A reply to a closed thread is refused with a message, and nothing is saved.
    response = client.post(url, {"body": "もう一つ"})
    assert response.status_code == 400
    assert "もう一つ" in response.content.decode()
    assert consultation.messages.count() == 2
    assert client.post(reverse("consultations:reopen", args=[consultation.pk])).status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.WAITING_STAFF


def test_reopen_after_fourteen_days_is_refused(client, family, sleep_topic):
    ask(client, family, sleep_topic)
    consultation = Consultation.objects.get()
    Consultation.objects.filter(pk=consultation.pk).update(
        status="closed", closed_at=timezone.now() - timedelta(days=14, minutes=1)
    )
    client.post(reverse("consultations:reopen", args=[consultation.pk]))
    consultation.refresh_from_db()
    assert consultation.status == "closed"


def test_my_consultations_lists_open_and_closed(client, family, sleep_topic):
    ask(client, family, sleep_topic)
    page = client.get(reverse("consultations:home")).content.decode()
    assert "睡眠" in page and "はると" in page


def test_my_page_shows_the_consultations_per_child(client, family, sleep_topic):
    ask(client, family, sleep_topic)
    page = client.get(reverse("mypage")).content.decode()
    assert "子育て相談の記録" in page
    assert "はると" in page and "睡眠" in page and "回答待ち" in page
