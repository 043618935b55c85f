"""Issue 7 in a real browser: a resident with a baby and a toddler sees a different schedule and
different notices for each, ticks off a dose, sees the next one, and a reminder reaches the
outbox exactly once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from kosodate.core.models import Notification, OutboundMessage
from kosodate.health.loading import checkup_data_load, schedule_data_load
from kosodate.health.models import Checkup, HealthNotice, ScheduleRule, Vaccine
from tests.factories import ChildFactory, HouseholdFactory

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_children(resident):
    schedule_data_load(vaccine_model=Vaccine, rule_model=ScheduleRule)
    checkup_data_load(checkup_model=Checkup)
    today = timezone.localdate()
    resident.household = HouseholdFactory()
    resident.save()
    baby = ChildFactory(
        household=resident.household, first_name="はると", birth_date=today - timedelta(weeks=9)
    )
    # The toddler's MR 1st dose is free until the day before the 2nd birthday: in 10 days.
    toddler = ChildFactory(
        household=resident.household, first_name="さくら", birth_date=today - timedelta(days=720)
    )
    HealthNotice.objects.create(
        title="赤ちゃん教室", title_en="Baby class", body="0〜6か月", age_to_months=6
    )
    HealthNotice.objects.create(
        title="歯みがき教室",
        title_en="Toothbrushing class",
        body="1〜2歳",
        age_from_months=12,
        age_to_months=35,
    )
    HealthNotice.objects.create(
        title="就学前の健康診断", title_en="Check before school", body="5歳", age_from_months=60
    )
    return resident, baby, toddler


def test_two_children_tick_off_a_dose_and_get_a_reminder_once(page, two_children):
    resident, baby, toddler = two_children
    login(page, resident)
    page.goto(page.base_url + reverse("health_home"))
    main = page.locator("main")
    # Notices for the baby's and the toddler's ages, not the 5-year-olds'.
    assert main.get_by_text("赤ちゃん教室").is_visible()
    assert main.get_by_text("歯みがき教室").is_visible()
    assert main.get_by_text("就学前の健康診断").count() == 0
    assert_accessible(page)

    # Different schedules: rotavirus is due for the baby; MR is overdue-soon for the toddler.
    page.goto(page.base_url + reverse("health_child", args=[toddler.pk]))
    assert page.locator('[data-vaccine="mr1"].health-line--due').count() == 1
    assert page.locator('[data-vaccine="rota1"]').locator("text=定期接種の対象外").count() == 1
    page.goto(page.base_url + reverse("health_child", args=[baby.pk]))
    assert page.locator('[data-vaccine="rota1"].health-line--due').count() == 1
    assert page.locator('[data-vaccine="mr1"].health-line--later').count() == 1
    assert_accessible(page)

    # Tick off the first pneumococcal dose: the 2nd dose appears as the next one.
    pcv = page.locator('[data-vaccine="pcv"]')
    pcv.get_by_role("link", name="接種を記録").click()
    page.fill("#id_given_on", (timezone.localdate() - timedelta(days=2)).isoformat())
    assert_accessible(page)
    page.locator("main form [type=submit]").click()
    page.wait_for_url("**" + reverse("health_child", args=[baby.pk]))
    pcv = page.locator('[data-vaccine="pcv"]')
    assert pcv.get_by_text("初回2回目 (全4回)").is_visible()
    assert pcv.locator(".badge").inner_text() == "もうすぐ"

    # The daily reminder run, twice (as two workers would): one reminder about the MR dose.
    call_command("health_send_reminders")
    call_command("health_send_reminders")
    reminders = OutboundMessage.objects.filter(kind="health.vaccine_reminder", user=resident)
    mr = [m for m in reminders if "MR" in m.subject]
    assert len(mr) == 1 and "さくら" in mr[0].subject
    assert Notification.objects.filter(user=resident, title=mr[0].subject).count() == 1


def test_pages_in_english(page_en, two_children):
    resident, baby, _ = two_children
    login(page_en, resident)
    for url in [
        reverse("health_home"),
        reverse("health_child", args=[baby.pk]),
        reverse("health_child_print", args=[baby.pk]),
        reverse("health_preferences"),
    ]:
        page_en.goto(page_en.base_url + url)
        assert page_en.locator("html").get_attribute("lang") == "en"
        assert_accessible(page_en)
    page_en.goto(page_en.base_url + reverse("health_child", args=[baby.pk]))
    assert page_en.get_by_role("heading", name="Pneumococcal (children)").is_visible()


def test_a_recorded_dose_is_removed_only_when_asked_and_can_be_put_back(page, two_children):
    """Issue 12 item 11: 「削除」 opens a question (no JavaScript needed), removing is audited,
    and the child's page offers to put it back."""
    from kosodate.core.models import AuditLog
    from kosodate.health.models import DoseRecord
    from kosodate.health.services import dose_record

    resident, baby, _ = two_children
    given_on = timezone.localdate() - timedelta(days=2)
    dose_record(
        user=resident,
        child=baby,
        vaccine=Vaccine.objects.get(code="pcv"),
        given_on=given_on,
        confirmed=True,
    )
    login(page, resident)
    page.goto(page.base_url + reverse("health_child", args=[baby.pk]))
    pcv = page.locator('[data-vaccine="pcv"]')
    pcv.get_by_role("link", name=f"{given_on.isoformat()}の記録を削除").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("接種記録を削除しますか")
    assert DoseRecord.objects.filter(child=baby, vaccine__code="pcv").exists()
    assert_accessible(page)
    # "削除しない" goes back with nothing changed.
    page.get_by_role("link", name="削除しない").click()
    page.wait_for_load_state()
    assert DoseRecord.objects.filter(child=baby, vaccine__code="pcv").exists()

    pcv = page.locator('[data-vaccine="pcv"]')
    pcv.get_by_role("link", name=f"{given_on.isoformat()}の記録を削除").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="削除する").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("削除しました")
    assert not DoseRecord.objects.filter(child=baby, vaccine__code="pcv").exists()
    assert AuditLog.objects.filter(action="dose_record.delete", actor=resident).count() == 1
    expect(page.locator(".dose-undo")).to_contain_text("数分間は元に戻せます")
    assert_accessible(page)

    page.get_by_role("button", name="元に戻す").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("元に戻しました")
    expect(page.locator(".dose-undo")).to_have_count(0)
    assert DoseRecord.objects.get(child=baby, vaccine__code="pcv").given_on == given_on
    assert AuditLog.objects.filter(action="dose_record.restore", actor=resident).count() == 1
