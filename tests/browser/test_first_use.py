"""A newcomer's first use (issue 12), in a real browser: Japanese on a 360 px phone unless the
item is about English. Each test is one wall a new family or new staff member hit."""

import re
from datetime import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from kosodate.childcare.models import Booking
from tests.childcare.support import FacilityFactory, bookable_day, family, registered, staff_of

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def go(page, path, status=200):
    response = page.goto(page.base_url + path)
    assert response is not None and response.status == status, (path, response and response.status)
    page.wait_for_load_state()


def test_booking_form_and_request_table_label_each_field_for_what_it_is(
    page, new_page, resident, facility_staff, municipality
):
    """Item 3: the date is 日付 and the start time 開始時刻 (not the events filter's
    「開催日(この日以降)」); the staff table's date and time columns have different headings."""
    from kosodate.childcare import services

    facility = FacilityFactory(name="こもれび保育園")
    staff_of(facility_staff, facility)
    [kid] = family(resident, first_name="さくら")
    registered(kid, facility)
    login(page, resident)
    go(page, reverse("childcare:booking_create", args=[facility.pk]))
    expect(page.locator("label[for=id_date]")).to_have_text(re.compile(r"^\s*日付"))
    expect(page.locator("label[for=id_start]")).to_have_text(re.compile(r"^\s*開始時刻"))
    expect(page.locator("label[for=id_end]")).to_have_text(re.compile(r"^\s*終了時刻"))
    assert_accessible(page)

    services.booking_request(
        user=resident,
        facility=facility,
        children=[kid],
        day=bookable_day(),
        start=time(9),
        end=time(12),
        reason="work",
        reason_detail="",
        pickup_person="山田花子(母)",
        notes="",
    )
    assert Booking.objects.filter(status=Booking.Status.PENDING).exists()
    staff = new_page()
    login(staff, facility_staff)
    go(staff, reverse("childcare_staff:index"))
    headings = staff.locator("main table thead th").all_inner_texts()
    assert headings[:5] == ["日付", "お子さん", "施設", "時間", "申込日時"], headings
