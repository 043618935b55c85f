"""The professional's side (issue 15 items 5–8): queue, take/assign/hand over, notes, templates,
history, outcome, report and CSV, and the retention rule."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kosodate.consultations import services
from kosodate.consultations.models import (
    AnswerTemplate,
    Consultation,
    ConsultationRules,
    Message,
    Photo,
    Profession,
    Topic,
)
from kosodate.consultations.selectors import queue, staff_member_for
from kosodate.core.images import CleanPhoto

from .conftest import jpeg_bytes

pytestmark = pytest.mark.django_db


def ask(family, topic, body="相談です", **kwargs):
    return services.consultation_ask(
        user=family, child=family.household.children.get(), topic=topic, body=body, **kwargs
    )


def test_queue_views_and_flagged_on_top(make_family, nurse, make_professional, sleep_topic):
    family = make_family()
    plain = ask(family, sleep_topic)
    flagged = ask(family, sleep_topic, body="息をしていない気がする")
    member = staff_member_for(nurse)
    assert [c.pk for c in queue(member=member, view="unassigned")] == [flagged.pk, plain.pk]
    services.consultation_take(member=member, consultation=plain)
    assert [c.pk for c in queue(member=member, view="mine")] == [plain.pk]
    assert [c.pk for c in queue(member=member, view="unassigned")] == [flagged.pk]
    services.consultation_answer(member=member, consultation=plain, body="回答")
    assert [c.pk for c in queue(member=member, view="waiting_family")] == [plain.pk]
    later = timezone.now() + timedelta(days=30)
    assert [c.pk for c in queue(member=member, view="overdue", now=later)] == [flagged.pk]
    # Another profession's queue does not show them.
    other = staff_member_for(make_professional(Profession.NUTRITION))
    assert queue(member=other, view="all_open") == []


def test_queue_page_query_count_is_flat(
    client, make_family, nurse, sleep_topic, django_assert_max_num_queries
):
    for _ in range(3):
        ask(make_family(), sleep_topic)
    client.force_login(nurse)
    url = reverse("consultations_staff:queue") + "?view=all_open"
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(10):
        ask(make_family(), sleep_topic)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_take_is_first_come(make_family, make_professional, sleep_topic):
    consultation = ask(make_family(), sleep_topic)
    first, second = (staff_member_for(make_professional()) for _ in range(2))
    assert services.consultation_take(member=first, consultation=consultation)
    assert not services.consultation_take(member=second, consultation=consultation)
    consultation.refresh_from_db()
    assert consultation.assigned_to == first.user


def test_answer_with_a_template_notes_outcome_through_the_pages(client, family, nurse, sleep_topic):
    consultation = ask(family, sleep_topic)
    template = AnswerTemplate.objects.create(
        topic=sleep_topic, title="夜泣き", body="生活リズムを整えましょう。"
    )
    client.force_login(nurse)
    page = client.get(
        reverse("consultations_staff:detail", args=[consultation.pk]) + f"?template={template.pk}"
    ).content.decode()
    assert "生活リズムを整えましょう。" in page
    # The child's age and the health app's immunisation and checkup status, read-only.
    assert "14か月" in page and "予防接種と健診（閲覧のみ）" in page
    base = "consultations_staff:"
    assert (
        client.post(reverse(base + "answer", args=[consultation.pk]), {"body": ""}).status_code
        == 400
    )
    response = client.post(
        reverse(base + "answer", args=[consultation.pk]), {"body": "生活リズムを整えましょう。"}
    )
    assert response.status_code == 302
    client.post(reverse(base + "note", args=[consultation.pk]), {"body": "職員だけのメモ"})
    client.post(reverse(base + "outcome", args=[consultation.pk]), {"outcome": "advice"})
    consultation.refresh_from_db()
    assert consultation.outcome == "advice" and consultation.status == "waiting_family"
    # The family never sees the private note.
    client.force_login(family)
    page = client.get(reverse("consultations:detail", args=[consultation.pk])).content.decode()
    assert "生活リズムを整えましょう。" in page and "職員だけのメモ" not in page


def test_assign_only_to_a_colleague_of_the_profession(
    client, family, nurse, make_professional, sleep_topic
):
    consultation = ask(family, sleep_topic)
    colleague = make_professional(Profession.HEALTH)
    dietitian = make_professional(Profession.NUTRITION)
    client.force_login(nurse)
    url = reverse("consultations_staff:assign", args=[consultation.pk])
    assert client.post(url, {"to_user": dietitian.pk}).status_code == 400
    assert client.post(url, {"to_user": colleague.pk}).status_code == 302
    consultation.refresh_from_db()
    assert consultation.assigned_to == colleague


def test_hand_over_needs_a_note(client, family, nurse, sleep_topic):
    consultation = ask(family, sleep_topic)
    client.force_login(nurse)
    url = reverse("consultations_staff:handover", args=[consultation.pk])
    assert client.post(url, {"to_profession": "nutrition", "note": ""}).status_code == 400
    assert client.post(url, {"to_profession": "nutrition", "note": "食事の相談"}).status_code == 302
    consultation.refresh_from_db()
    assert consultation.profession == "nutrition" and consultation.assigned_to is None


def test_history_shows_the_childs_other_consultations(client, family, nurse, sleep_topic):
    feeding = Topic.objects.get(code="feeding")
    earlier = ask(family, feeding, body="離乳食の秘密")
    current = ask(family, sleep_topic)
    Consultation.objects.filter(pk=earlier.pk).update(outcome="advice")
    client.force_login(nurse)
    page = client.get(reverse("consultations_staff:detail", args=[current.pk])).content.decode()
    assert "授乳・離乳食" in page and "助言のみ" in page
    # Its messages belong to another profession: listed, not opened.
    assert "離乳食の秘密" not in page
    assert reverse("consultations_staff:detail", args=[earlier.pk]) not in page


def test_monthly_report_and_csv(client, family, nurse, sleep_topic):
    consultation = ask(family, sleep_topic, body="けいれん")
    services.consultation_answer(
        member=staff_member_for(nurse), consultation=consultation, body='=HYPERLINK("x")'
    )
    services.consultation_set_outcome(
        member=staff_member_for(nurse), consultation=consultation, outcome="medical"
    )
    client.force_login(nurse)
    month = timezone.localdate().strftime("%Y-%m")
    page = client.get(reverse("consultations_staff:report") + f"?month={month}").content.decode()
    assert "睡眠: 1" in page and "医療機関受診を勧奨: 1" in page
    csv = client.get(reverse("consultations_staff:report_csv") + f"?month={month}")
    text = csv.content.decode("utf-8-sig")
    assert "睡眠,1" in text and "要注意,1" in text and "保健師,1" in text
    assert csv["Content-Disposition"].endswith(f'consultations-{month}.csv"')


def test_retention_rule_anonymises_and_deletes_photos(make_family, sleep_topic):
    old = make_family(months=6 * 12 + 1)  # turned 6 a month ago
    young = make_family(months=20)
    photo = CleanPhoto(jpeg_bytes(), "image/jpeg", 40, 30)
    gone = ask(old, sleep_topic, body="昔の相談", photos=[photo])
    kept = ask(young, sleep_topic, body="今の相談", photos=[photo])
    call_command("consultations_apply_retention")
    gone.refresh_from_db()
    assert gone.anonymised_at and gone.child is None and gone.household is None
    assert not Photo.objects.filter(message__consultation=gone).exists()
    assert not Message.objects.filter(consultation=gone, body="昔の相談").exists()
    assert gone.topic == sleep_topic and gone.profession == "health"  # counts stay
    assert Photo.objects.filter(message__consultation=kept).exists()
    kept.refresh_from_db()
    assert kept.anonymised_at is None


def test_retention_age_is_data(make_family, sleep_topic):
    ConsultationRules.objects.create(pk=1, retention_child_age_years=1)
    family = make_family(months=13)
    consultation = ask(family, sleep_topic)
    assert services.retention_apply() == 1
    consultation.refresh_from_db()
    assert consultation.anonymised_at is not None


def test_retention_on_the_day_the_child_turns_six(make_family, sleep_topic):
    from kosodate.core.ages import years_reached

    family = make_family()
    child = family.household.children.get()
    consultation = ask(family, sleep_topic)
    reached = years_reached(child.birth_date, 6)
    assert services.retention_apply(today=reached - timedelta(days=1)) == 0
    assert services.retention_apply(today=reached) == 1
    consultation.refresh_from_db()
    assert consultation.anonymised_at is not None


def test_the_admin_edits_the_data_but_never_shows_consultations(client, admin_user):
    from django.contrib import admin

    from kosodate.consultations.models import EmergencyWord, StaffMember

    assert Consultation not in admin.site._registry
    client.force_login(admin_user)
    for model in (ConsultationRules, Topic, EmergencyWord, AnswerTemplate, StaffMember):
        url = reverse(f"admin:consultations_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200
