"""子育て相談 in a real browser, in Japanese on a 360 px phone (issue 15 item 13): a resident asks
with a photo and the 保健師 answers with a template; the resident replies and closes it; the
resident books a slot and chats in it with the 栄養士 (the page polls with htmx); another resident
can open none of it. Every page checked with axe."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from kosodate.accounts.models import User
from kosodate.consultations import services
from kosodate.consultations.models import (
    AnswerTemplate,
    Consultation,
    ConsultationRules,
    Photo,
    Profession,
    Slot,
    StaffMember,
    Topic,
)
from tests.factories import ChildFactory, HouseholdFactory, UserFactory

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def go(page, path, status=200):
    response = page.goto(page.base_url + path)
    assert response is not None and response.status == status, (path, response and response.status)


def _family(n: int, child_name: str):
    household = HouseholdFactory()
    user = UserFactory(
        household=household, email=f"soudan{n}@example.jp", last_name="山田", first_name="花子"
    )
    ChildFactory(
        household=household,
        first_name=child_name,
        birth_date=timezone.localdate() - timedelta(days=300),
    )
    return user


def _professional(email: str, profession: str):
    user = UserFactory(email=email, role=User.Role.CONSULTANT, last_name="中村", first_name="陽子")
    StaffMember.objects.create(user=user, profession=profession)
    return user


def test_ask_answer_reply_close_book_and_chat(page, new_page, municipality, tmp_path):
    services.defaults_ensure()  # the topics (a flushed database has lost the migration's rows)
    # Bookable right away, so that the session can be live while the test runs.
    ConsultationRules.objects.create(pk=1, booking_closes_minutes=0)
    hanako = _family(1, "はると")
    taro = _family(2, "ゆい")
    nurse = _professional("hokenshi@example.jp", Profession.HEALTH)
    dietitian = _professional("eiyoshi@example.jp", Profession.NUTRITION)
    sleep = Topic.objects.get(code="sleep")
    AnswerTemplate.objects.create(
        topic=sleep, title="夜泣きへの助言", body="寝る前の過ごし方をそろえてみましょう。"
    )
    photo_path = tmp_path / "rash.jpg"
    image = Image.new("RGB", (64, 48), (220, 120, 90))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    photo_path.write_bytes(buffer.getvalue())

    # 1. 花子 asks about はると's sleep, with a photo.
    login(page, hanako)
    go(page, reverse("consultations:home"))
    expect(page.locator("h1")).to_have_text("子育て相談")
    assert_accessible(page)
    page.get_by_role("link", name="相談する").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("119")
    assert_accessible(page)
    page.get_by_label("睡眠").check()
    page.get_by_label("どのお子さんについての相談ですか").select_option(label="山田 はると")
    page.get_by_label("ご相談内容").fill("夜に何度も起きて泣きます。")
    page.locator("input[name=photos]").set_input_files(str(photo_path))
    page.get_by_role("button", name="相談を送信する").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("相談を送信しました。")
    expect(page.locator("main img")).to_have_count(1)
    assert_accessible(page)
    consultation = Consultation.objects.get()
    assert Photo.objects.filter(message__consultation=consultation).count() == 1

    # 2. The 保健師 answers with the template.
    staff = new_page()
    login(staff, nurse)
    go(staff, reverse("consultations_staff:queue"))
    assert_accessible(staff)
    staff.get_by_role("link", name=f"#{consultation.pk} 睡眠").click()
    staff.wait_for_load_state()
    expect(staff.locator("main")).to_contain_text("夜に何度も起きて泣きます。")
    assert_accessible(staff)
    staff.get_by_role("link", name="夜泣きへの助言").click()
    staff.wait_for_load_state()
    expect(staff.locator("#answer-title ~ form textarea")).to_have_value(
        "寝る前の過ごし方をそろえてみましょう。"
    )
    staff.get_by_role("button", name="ご家庭に送信").click()
    staff.wait_for_load_state()
    expect(staff.locator("main")).to_contain_text("回答を送信し、ご家庭に通知しました。")

    # 3. 花子 reads the answer, replies and closes the consultation.
    go(page, reverse("consultations:detail", args=[consultation.pk]))
    expect(page.locator("main")).to_contain_text("寝る前の過ごし方をそろえてみましょう。")
    page.get_by_role("textbox", name="返信").fill("ありがとうございます。試してみます。")
    page.get_by_role("button", name="送信する").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("返信を送信しました。")
    page.get_by_label("はい").check()
    page.get_by_role("button", name="終了する").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("相談を終了しました。")
    assert_accessible(page)
    consultation.refresh_from_db()
    assert consultation.status == "closed" and consultation.helpful is True

    # 4. 花子 books a 栄養士 session that starts in two minutes, and they chat in it.
    start = timezone.now() + timedelta(minutes=2)
    Slot.objects.create(
        profession=Profession.NUTRITION,
        starts_at=start,
        ends_at=start + timedelta(minutes=10),
        professional=dietitian,
    )
    go(page, reverse("consultations:sessions") + "?profession=nutrition")
    assert_accessible(page)
    page.locator("main a.button").filter(
        has_text=timezone.localtime(start).strftime("%H:%M")
    ).click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("どのお子さんについての相談ですか").select_option(label="山田 はると")
    page.get_by_label("相談の内容").select_option(label="授乳・離乳食")
    page.get_by_role("button", name="予約する").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("予約しました。")
    assert_accessible(page)
    session = Consultation.objects.get(channel="session")
    page.get_by_role("textbox", name="メッセージ").fill("離乳食を始める時期を知りたいです。")
    page.get_by_role("button", name="送信する").click()
    page.wait_for_load_state()

    login(staff, dietitian)
    go(staff, reverse("consultations_staff:detail", args=[session.pk]))
    expect(staff.locator("main")).to_contain_text("離乳食を始める時期を知りたいです。")
    assert_accessible(staff)
    staff.get_by_role("textbox", name="メッセージ").fill("5〜6か月ごろが目安です。")
    staff.get_by_role("button", name="ご家庭に送信").click()
    staff.wait_for_load_state()
    # 花子's page did not reload: the answer arrives through htmx polling.
    expect(page.locator("#thread")).to_contain_text("5〜6か月ごろが目安です。", timeout=15_000)

    # 5. Another resident can open none of it.
    other = new_page()
    login(other, taro)
    photo = Photo.objects.get()
    for path in (
        reverse("consultations:detail", args=[consultation.pk]),
        reverse("consultations:detail", args=[session.pk]),
        reverse("consultations:photo", args=[consultation.pk, photo.key]),
    ):
        go(other, path, status=404)
    go(other, reverse("consultations_staff:queue"), status=403)
