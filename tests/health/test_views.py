"""The resident and staff health pages at the HTTP level with the personas; another household's
child is a 404 on every URL that takes a child."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kosodate.core.models import AuditLog, NotificationPreference
from kosodate.health.models import DoseRecord, HealthNotice, Vaccine
from kosodate.health.services import dose_record

pytestmark = pytest.mark.django_db

CHILD_URLS = ["health_child", "health_child_print", "health_child_ics", "health_dose_add"]


@pytest.mark.parametrize("name", CHILD_URLS)
def test_another_households_child_is_404(client, resident_with_baby_and_toddler, other_child, name):
    resident, baby, _ = resident_with_baby_and_toddler
    client.force_login(resident)
    assert client.get(reverse(name, args=[other_child.pk])).status_code == 404
    assert client.get(reverse(name, args=[baby.pk])).status_code == 200


def test_another_households_dose_cannot_be_removed(
    client, resident_with_baby_and_toddler, other_child, other_resident
):
    resident, baby, _ = resident_with_baby_and_toddler
    dose = dose_record(
        user=other_resident,
        child=other_child,
        vaccine=Vaccine.objects.get(code="bcg"),
        given_on=other_child.birth_date + timedelta(days=160),
        confirmed=True,
    )
    client.force_login(resident)
    url = reverse("health_dose_delete", args=[other_child.pk, dose.pk])
    assert client.post(url).status_code == 404
    # Nor through one's own child's URL.
    url = reverse("health_dose_delete", args=[baby.pk, dose.pk])
    assert client.post(url).status_code == 404
    assert DoseRecord.objects.filter(pk=dose.pk).exists()


def test_removing_a_dose_asks_first_can_be_undone_and_is_audited(
    client, resident_with_baby_and_toddler, other_child
):
    """Issue 12 item 11: the link opens a page that asks (no JavaScript needed); removing writes
    an audit row; the child's page then offers to put it back, which restores it as it was."""
    resident, baby, _ = resident_with_baby_and_toddler
    given_on = baby.birth_date + timedelta(days=60)
    dose = dose_record(
        user=resident,
        child=baby,
        vaccine=Vaccine.objects.get(code="pcv"),
        given_on=given_on,
        confirmed=True,
    )
    client.force_login(resident)
    url = reverse("health_dose_delete", args=[baby.pk, dose.pk])
    child_page = client.get(reverse("health_child", args=[baby.pk])).content.decode()
    assert f'href="{url}"' in child_page  # a link to the question, not a one-click form
    question = client.get(url)
    assert question.status_code == 200
    assert "削除しますか" in question.content.decode()
    assert DoseRecord.objects.filter(pk=dose.pk).exists()  # asking removes nothing

    response = client.post(url, follow=True)
    assert not DoseRecord.objects.filter(child=baby, vaccine__code="pcv").exists()
    entry = AuditLog.objects.get(action="dose_record.delete")
    assert entry.actor == resident
    assert entry.target_id == str(dose.pk)
    assert entry.detail["vaccine"] == "pcv" and entry.detail["given_on"] == given_on.isoformat()
    page = response.content.decode()
    assert "元に戻す" in page
    restore = reverse("health_dose_restore", args=[baby.pk])
    assert restore in page

    # Another child's URL does not take this child's token.
    token = client.session["health_dose_undo"]
    assert client.post(reverse("health_dose_restore", args=[other_child.pk]), {"token": token})
    assert not DoseRecord.objects.filter(child=other_child).exists()

    response = client.post(restore, {"token": token}, follow=True)
    back = DoseRecord.objects.get(child=baby, vaccine__code="pcv")
    assert back.given_on == given_on and back.recorded_by == resident
    assert back.created_at == dose.created_at
    assert AuditLog.objects.filter(action="dose_record.restore", actor=resident).exists()
    assert "元に戻す" not in response.content.decode()  # offered once
    # The token does not put it back twice.
    client.post(restore, {"token": token})
    assert DoseRecord.objects.filter(child=baby, vaccine__code="pcv").count() == 1


def test_an_undo_expires(client, resident_with_baby_and_toddler):
    import time_machine

    from kosodate.health import services

    resident, baby, _ = resident_with_baby_and_toddler
    dose = dose_record(
        user=resident,
        child=baby,
        vaccine=Vaccine.objects.get(code="pcv"),
        given_on=baby.birth_date + timedelta(days=60),
        confirmed=True,
    )
    with time_machine.travel(timezone.now() - timedelta(minutes=11)):
        token = services.dose_delete(dose=dose, actor=resident)
    client.force_login(resident)
    session = client.session
    session["health_dose_undo"] = token
    session.save()
    page = client.get(reverse("health_child", args=[baby.pk])).content.decode()
    assert "元に戻す" not in page
    response = client.post(
        reverse("health_dose_restore", args=[baby.pk]), {"token": token}, follow=True
    )
    assert "もう元に戻せません" in response.content.decode()
    assert not DoseRecord.objects.filter(child=baby, vaccine__code="pcv").exists()


@pytest.mark.parametrize("name", ["health_home", "health_preferences"])
def test_pages_need_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_home_lists_each_child_with_what_is_due(client, resident_with_baby_and_toddler):
    resident, baby, toddler = resident_with_baby_and_toddler
    client.force_login(resident)
    page = client.get(reverse("health_home")).content.decode()
    assert baby.full_name in page and toddler.full_name in page
    assert "ロタウイルス" in page  # the baby (10 weeks) is due for rotavirus


def test_child_timeline_shows_status_and_windows(client, resident_with_baby_and_toddler):
    resident, baby, _ = resident_with_baby_and_toddler
    client.force_login(resident)
    page = client.get(reverse("health_child", args=[baby.pk])).content.decode()
    assert 'data-vaccine="pcv"' in page
    assert "health-line--due" in page
    assert "BCG" in page


def test_tick_off_a_dose_and_the_next_one_appears(client, resident_with_baby_and_toddler):
    resident, baby, _ = resident_with_baby_and_toddler
    client.force_login(resident)
    given = baby.birth_date + timedelta(weeks=9)
    response = client.post(
        reverse("health_dose_add", args=[baby.pk]),
        {"vaccine": "pcv", "given_on": given.isoformat()},
    )
    assert response.status_code == 302
    assert DoseRecord.objects.filter(child=baby, vaccine__code="pcv", given_on=given).exists()
    page = client.get(reverse("health_child", args=[baby.pk])).content.decode()
    assert "初回2回目" in page


def test_dose_dates_are_validated_and_typed_values_kept(client, resident_with_baby_and_toddler):
    resident, baby, _ = resident_with_baby_and_toddler
    client.force_login(resident)
    url = reverse("health_dose_add", args=[baby.pk])
    before_birth = (baby.birth_date - timedelta(days=1)).isoformat()
    response = client.post(url, {"vaccine": "pcv", "given_on": before_birth})
    assert response.status_code == 200
    page = response.content.decode()
    assert "生年月日より前の日付です。" in page  # the message, in the resident's language
    assert f'value="{before_birth}"' in page  # what was typed is kept
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(url, {"vaccine": "pcv", "given_on": future})
    assert response.status_code == 200
    assert not DoseRecord.objects.exists()


def test_too_early_dose_is_warned_then_recorded_when_confirmed(
    client, resident_with_baby_and_toddler
):
    resident, baby, _ = resident_with_baby_and_toddler
    client.force_login(resident)
    url = reverse("health_dose_add", args=[baby.pk])
    early = (baby.birth_date + timedelta(weeks=3)).isoformat()  # pcv starts at 2 months
    response = client.post(url, {"vaccine": "pcv", "given_on": early})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert early in response.content.decode()  # the typed date is kept
    assert not DoseRecord.objects.exists()
    response = client.post(
        url, {"vaccine": "pcv", "given_on": early, "warned": "1", "confirm": "on"}
    )
    assert response.status_code == 302
    assert DoseRecord.objects.count() == 1


def test_full_width_date_is_accepted(client, resident_with_baby_and_toddler):
    resident, baby, _ = resident_with_baby_and_toddler
    client.force_login(resident)
    given = baby.birth_date + timedelta(weeks=9)
    typed = given.strftime("%Y/%m/%d").translate(
        str.maketrans("0123456789/", "０１２３４５６７８９／")
    )
    response = client.post(
        reverse("health_dose_add", args=[baby.pk]), {"vaccine": "pcv", "given_on": typed}
    )
    assert response.status_code == 302


def test_ics_export(client, resident_with_baby_and_toddler):
    resident, baby, _ = resident_with_baby_and_toddler
    client.force_login(resident)
    response = client.get(reverse("health_child_ics", args=[baby.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "BEGIN:VEVENT" in body and "DTSTART;VALUE=DATE:" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_preferences_are_saved(client, resident_with_baby_and_toddler):
    resident, _, _ = resident_with_baby_and_toddler
    client.force_login(resident)
    response = client.post(
        reverse("health_preferences"), {"sms_urgent": "on", "situations": ["multiple_birth"]}
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=resident)
    assert preference.email is False and preference.sms_urgent is True


def test_staff_pages_are_for_municipal_staff(client, resident, facility_staff, municipal_staff):
    for name in ["staff_health_notice_list", "staff_health_notice_create", "staff_health_schedule"]:
        client.force_login(resident)
        assert client.get(reverse(name)).status_code == 403
        client.force_login(facility_staff)
        assert client.get(reverse(name)).status_code == 403
        client.force_login(municipal_staff)
        assert client.get(reverse(name)).status_code == 200


def test_staff_publish_a_notice(client, municipal_staff):
    client.force_login(municipal_staff)
    response = client.post(
        reverse("staff_health_notice_create"),
        {
            "title": "離乳食教室",
            "title_en": "Weaning class",
            "body": "5〜7か月のお子さんの保護者向けです。",
            "age_from_months": "5",
            "age_to_months": "7",
            "postal_prefix": "１００",
            "published": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    notice = HealthNotice.objects.get()
    assert notice.postal_prefix == "100"
    assert AuditLog.objects.filter(action="health_notice.create").exists()
    edit = reverse("staff_health_notice_edit", args=[notice.pk])
    assert client.get(edit).status_code == 200
    assert client.get(reverse("staff_health_notice_edit", args=[notice.pk + 1])).status_code == 404


def test_staff_correct_a_schedule_row(client, municipal_staff, resident, schedule):
    from kosodate.health.models import ScheduleRule

    rule = ScheduleRule.objects.get(vaccine__code="bcg", dose_number=1)
    url = reverse("staff_health_rule_edit", args=[rule.pk])
    client.force_login(resident)
    assert client.get(url).status_code == 403
    client.force_login(municipal_staff)
    data = {
        "label": rule.label,
        "label_en": rule.label_en,
        "earliest_age": rule.earliest_age,
        "last_until": "1 year",  # not the notation
        "rec_from": rule.rec_from,
        "rec_until": rule.rec_until,
        "source": rule.source,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "1 year" in response.content.decode()  # kept as typed, with the error
    data["last_until"] = "１y"  # full-width digit, normalised
    assert client.post(url, data).status_code == 302
    rule.refresh_from_db()
    assert rule.last_until == "1y"
    entry = AuditLog.objects.get(action="schedule_rule.update")
    assert entry.detail == {"changed": {}}
    data["rec_until"] = "9m"
    client.post(url, data)
    entry = AuditLog.objects.filter(action="schedule_rule.update").first()
    assert entry.detail == {"changed": {"rec_until": ["8m", "9m"]}}
    assert client.get(reverse("staff_health_rule_edit", args=[999999])).status_code == 404


def test_staff_add_and_remove_a_group_checkup_date(
    client, municipal_staff, resident_with_baby_and_toddler
):
    from kosodate.health.models import Checkup, CheckupSession

    resident, baby, _ = (
        resident_with_baby_and_toddler  # 10 weeks: the 3–4-month checkup opens within weeks
    )
    m3 = Checkup.objects.get(code="m3")
    url = reverse("staff_health_session_create")
    client.force_login(resident)
    assert client.get(url).status_code == 403
    client.force_login(municipal_staff)
    # The voucher checkups are not offered: they have no dates.
    page = client.get(url).content.decode()
    assert m3.name in page and Checkup.objects.get(code="m1").name not in page
    held_on = timezone.localdate() + timedelta(days=40)
    data = {
        "checkup": m3.pk,
        "held_on": held_on.isoformat(),
        "reception": "１３:００–１４:００",
        "born_from": (baby.birth_date + timedelta(days=5)).isoformat(),
        "born_until": (baby.birth_date - timedelta(days=5)).isoformat(),  # reversed
    }
    response = client.post(url, data)
    assert response.status_code == 200 and not CheckupSession.objects.exists()
    assert data["reception"] in response.content.decode()  # kept as typed
    data["born_from"], data["born_until"] = data["born_until"], data["born_from"]
    assert client.post(url, data).status_code == 302
    session = CheckupSession.objects.get()
    assert session.reception == "13:00–14:00"
    assert AuditLog.objects.filter(action="checkup_session.create").exists()
    assert held_on.isoformat() in client.get(reverse("staff_health_schedule")).content.decode()

    # The family sees the date on the child's page.
    client.force_login(resident)
    page = client.get(reverse("health_child", args=[baby.pk])).content.decode()
    assert f"{held_on.year}年{held_on.month}月{held_on.day}日" in page and "13:00–14:00" in page

    client.force_login(municipal_staff)
    delete = reverse("staff_health_session_delete", args=[session.pk])
    assert client.get(delete).status_code == 405
    assert client.post(delete).status_code == 302
    assert not CheckupSession.objects.exists()
    entry = AuditLog.objects.get(action="checkup_session.delete")
    assert entry.detail["held_on"] == held_on.isoformat()
    assert client.post(delete).status_code == 404


def test_my_page_shows_the_notices_for_my_children(
    client, resident_with_baby_and_toddler, municipality
):
    resident, _baby, _toddler = resident_with_baby_and_toddler  # 10 weeks and 20 months
    HealthNotice.objects.create(title="赤ちゃん教室", body="0〜6か月", age_to_months=6)
    HealthNotice.objects.create(title="就学前健診", body="5歳", age_from_months=60)
    client.force_login(resident)
    page = client.get(reverse("mypage")).content.decode()
    assert "赤ちゃん教室" in page and "就学前健診" not in page

    from django.core.cache import cache

    municipality.health_info_enabled = False
    municipality.save()
    cache.clear()
    assert "赤ちゃん教室" not in client.get(reverse("mypage")).content.decode()


def test_staff_see_the_legal_wording_and_the_example_childs_dates(
    client, municipal_staff, resident_with_baby_and_toddler
):
    from kosodate.health.models import ScheduleRule

    rule = ScheduleRule.objects.get(vaccine__code="pcv", band_from="2m", dose_number=3)
    url = reverse("staff_health_rule_edit", args=[rule.pk])
    client.force_login(municipal_staff)
    page = client.get(url).content.decode()
    # The default example child is born on 31 December 2025 (rule 2 shows on 2/28).
    assert "生後2月に至った日から" in page and "2026-02-28" in page
    assert "生後24月に至るまで" in page and "2027-12-30" in page
    assert "27日以上の間隔をおいて" in page
    assert "前回の接種が生後12月に至るまでに行われなかった場合は行わない" in page
    page = client.get(url, {"born": "2024-02-29", "previous": "2024-05-01"}).content.decode()
    assert "2024-04-28" in page  # 生後2月に至った日 for a child born on 29 February
    assert "2024-05-29" in page  # 27日以上の間隔 after 5/1: the 28th day

    # "Show the wording" shows typed values without saving them.
    data = {
        field: getattr(rule, field) or ""
        for field in (
            "label",
            "label_en",
            "earliest_age",
            "last_until",
            "advised_until",
            "rec_from",
            "rec_until",
            "min_interval",
            "rec_interval_from",
            "rec_interval_until",
            "skip_after_previous",
            "source",
        )
    }
    data.update({"skip_when_late": "on", "last_until": "25m", "preview": "1"})
    page = client.post(url, data).content.decode()
    assert "生後25月に至るまで" in page
    rule.refresh_from_db()
    assert rule.last_until == "24m"


def test_hbig_answer_takes_hepatitis_b_out_of_the_routine_schedule(
    client, resident_with_baby_and_toddler, other_child
):
    resident, baby, _ = resident_with_baby_and_toddler
    client.force_login(resident)
    url = reverse("health_child_hepb", args=[baby.pk])
    assert client.post(reverse("health_child_hepb", args=[other_child.pk])).status_code == 404
    assert client.get(url).status_code == 405
    assert client.post(url, {"hepb_with_hbig": "on"}).status_code == 302
    page = client.get(reverse("health_child", args=[baby.pk])).content.decode()
    assert 'health-line--not_routine" data-vaccine="hepb"' in page
    ics = client.get(reverse("health_child_ics", args=[baby.pk])).content.decode()
    assert "-hepb-" not in ics and "-pcv-" in ics
    client.post(url, {})
    page = client.get(reverse("health_child", args=[baby.pk])).content.decode()
    assert 'data-vaccine="hepb"' in page and "health-line--not_routine" not in page


def test_staff_schedule_list_reads_each_row_in_the_laws_wording(
    client, municipal_staff, resident_with_baby_and_toddler
):
    client.force_login(municipal_staff)
    page = client.get(reverse("staff_health_schedule")).content.decode()
    assert "生後7月に至った日の翌日から 生後12月に至るまで" in page  # a later pneumococcal plan
    assert "27日以上の間隔をおいて" in page
    assert "出生24週0日後まで" in page and "出生14週6日後まで" in page  # rotavirus
    assert "16歳となる日の属する年度の末日まで" in page  # HPV
