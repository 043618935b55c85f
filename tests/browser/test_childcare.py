"""一時預かり in a real browser (issue 5, "Done when"): a resident registers a child with a facility,
the facility holds the interview, the resident books, the facility approves, and the resident sees
確定 and gets the email; another family on the waiting list is offered the place when the first
cancels, and takes it. The resident uses a Japanese phone (360 px), the other family and the
facility staff English desktops; every page on the way is checked with axe."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from kosodate.childcare.models import Booking, Registration
from kosodate.core.models import OutboundMessage
from tests.childcare.support import FacilityFactory, bookable_day, family, registered, staff_of

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def go(page, path):
    response = page.goto(page.base_url + path)
    assert response is not None and response.status == 200, (path, response and response.status)
    page.wait_for_load_state()


def click(page, role, name):
    page.get_by_role(role, name=name).first.click()
    page.wait_for_load_state()


def fill_booking(page, day, child):
    page.fill("#id_date", day.isoformat())
    page.select_option("#id_start", "09:00")
    page.select_option("#id_end", "12:00")
    page.check(f"input[name=children][value='{child.pk}']")
    page.check("input[name=reason][value=work]")
    page.fill("#id_pickup_person", "山田花子(母)")


def test_register_interview_book_approve_cancel_and_promote(
    page, new_page, resident, other_resident, facility_staff, municipality
):
    facility = FacilityFactory(name="こもれび保育園", places_age1_2=1)
    staff_of(facility_staff, facility)
    [sakura] = family(resident, first_name="さくら", allergies="卵")
    [yui] = family(other_resident, first_name="ゆい")
    registered(yui, facility)
    day = bookable_day()

    # The resident finds free places and the facility, and asks to register her child.
    login(page, resident)
    go(page, reverse("childcare:availability"))
    expect(page.locator("h1")).to_have_text("一時預かり 空き状況")
    assert_accessible(page)
    go(page, reverse("childcare:day", args=[day.isoformat()]))
    assert_accessible(page)
    click(page, "link", "こもれび保育園")
    expect(page.locator("h1")).to_have_text("こもれび保育園")
    assert_accessible(page)
    click(page, "link", "お子さんを利用登録する")
    assert_accessible(page)
    click(page, "button", "申し込む")  # nothing chosen: explained, nothing saved
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    assert not Registration.objects.filter(child=sakura).exists()
    page.check(f"input[name=children][value='{sakura.pk}']")
    page.fill("#id_preferred_date_1", (timezone.localdate() + timedelta(days=2)).isoformat())
    page.fill("#id_preferred_note", "平日の午前")
    click(page, "button", "申し込む")
    expect(page.locator(".messages")).to_contain_text("利用登録を申し込みました")
    expect(page.locator("main")).to_contain_text("申請中")
    assert_accessible(page)

    # Before the interview, the booking form's address leads to the registrations, with why
    # (issue 12 item 4: never a form that will be refused).
    go(page, reverse("childcare:booking_create", args=[facility.pk]) + f"?date={day}")
    expect(page.locator("h1")).to_have_text("利用登録の確認")
    expect(page.locator(".messages")).to_contain_text("施設の確認待ち")
    assert_accessible(page)

    # The facility sets the interview date, then records it held.
    staff = new_page(locale="en", mobile=False)
    login(staff, facility_staff)
    go(staff, reverse("childcare_staff:index"))
    assert_accessible(staff)
    click(staff, "link", sakura.full_name)
    assert_accessible(staff)
    when = timezone.localtime() + timedelta(days=2)
    staff.fill("#id_interview_at", when.strftime("%Y-%m-%dT10:00"))
    click(staff, "button", "Save and tell the family")
    expect(staff.locator(".messages")).to_contain_text("The interview date is set")
    # Not before its day (issue 12 item 8): the page says why instead of offering the button.
    expect(staff.locator("#complete-refusal")).to_contain_text("not before")
    expect(
        staff.get_by_role("button", name="Interview held: complete the registration")
    ).to_have_count(0)
    # The interview's day comes.
    Registration.objects.filter(child=sakura).update(
        interview_at=timezone.now() - timedelta(hours=1)
    )
    staff.reload()
    click(staff, "button", "Interview held: complete the registration")
    expect(staff.locator(".messages")).to_contain_text("Registration complete")
    assert OutboundMessage.objects.filter(
        recipient=resident.email, kind="childcare.registration_active"
    ).exists()

    # The resident books: the fee is shown before anything is saved.
    go(page, reverse("childcare:facility_detail", args=[facility.pk]))
    click(page, "link", "予約する")
    assert_accessible(page)
    page.fill("#id_date", day.isoformat())
    page.select_option("#id_start", "12:00")
    page.select_option("#id_end", "09:00")
    click(page, "button", "利用料を確認して申し込む")  # end before start: explained
    expect(page.locator(".error-summary")).to_contain_text("終了時刻は開始時刻より後")
    assert_accessible(page)
    fill_booking(page, day, sakura)
    click(page, "button", "利用料を確認して申し込む")
    expect(page.locator("h1")).to_have_text("お申し込み内容の確認")
    expect(page.locator("main table")).to_contain_text("1,500円")
    assert_accessible(page)
    assert not Booking.objects.exists()
    click(page, "button", "申し込む")
    expect(page.locator(".booking-status")).to_have_text("申請中")
    assert_accessible(page)
    booking = Booking.objects.get(child=sakura)

    # Another family asks for the same day: it is full, so they wait.
    other = new_page(locale="en", mobile=False)
    login(other, other_resident)
    go(other, reverse("childcare:booking_create", args=[facility.pk]) + f"?date={day}")
    fill_booking(other, day, yui)
    other.fill("#id_pickup_person", "Taro Sato (father)")
    click(other, "button", "Check the fee and send")
    expect(other.locator("main table")).to_contain_text("Waiting list")
    assert_accessible(other)
    click(other, "button", "Send the request")
    expect(other.locator(".booking-status")).to_have_text("On the waiting list")
    expect(other.locator("main")).to_contain_text("You are number 1 on the waiting list")
    assert_accessible(other)
    waiting = Booking.objects.get(child=yui)

    # The facility approves; the resident sees 確定 and has the email.
    go(staff, reverse("childcare_staff:booking_detail", args=[booking.code]))
    expect(staff.locator("main")).to_contain_text("卵")
    assert_accessible(staff)
    click(staff, "button", "Approve")
    expect(staff.locator(".messages")).to_contain_text("Approved")
    go(staff, reverse("childcare_staff:roster", args=[facility.pk, day.isoformat()]))
    expect(staff.locator("table.roster")).to_contain_text(sakura.full_name)
    assert_accessible(staff)

    page.reload()
    expect(page.locator(".booking-status")).to_have_text("承認済(確定)")
    email = OutboundMessage.objects.get(recipient=resident.email, kind="childcare.confirmed")
    assert "予約が確定しました" in email.subject
    go(page, reverse("notification_list"))
    expect(page.locator("main")).to_contain_text("予約が確定しました")
    assert_accessible(page)
    go(page, reverse("childcare:booking_list"))
    expect(page.locator("main")).to_contain_text("承認済(確定)")
    assert_accessible(page)

    # The resident cancels: free before the deadline, and the place goes to the waiting family.
    go(page, reverse("childcare:booking_detail", args=[booking.code]))
    click(page, "link", "予約をキャンセルする")
    expect(page.locator("main")).to_contain_text("無料でキャンセルできます")
    assert_accessible(page)
    click(page, "button", "予約をキャンセルする")
    expect(page.locator(".booking-status")).to_have_text("キャンセル")

    other.reload()
    expect(other.locator("main")).to_contain_text("A place is free for you")
    assert_accessible(other)
    assert OutboundMessage.objects.filter(recipient=other_resident.email, kind="childcare.offered")
    click(other, "button", "Confirm the place")
    expect(other.locator(".booking-status")).to_have_text("Confirmed")
    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.CONFIRMED
    assert Booking.objects.filter(date=day, status__in=list(Booking.HOLDING)).count() == 1


def test_month_navigation_with_and_without_javascript(page, municipality):
    FacilityFactory()
    go(page, reverse("childcare:availability"))
    first_month = page.locator(".month-nav__title").inner_text()
    click(page, "link", "次の月")  # htmx swaps the calendar and updates the address
    expect(page.locator(".month-nav__title")).not_to_have_text(first_month)
    assert "month=" in page.url
    assert_accessible(page)


def test_calendar_without_javascript(browser, live_server, municipality):
    FacilityFactory()
    context = browser.new_context(java_script_enabled=False, locale="ja-JP")
    page = context.new_page()
    page.goto(live_server.url + reverse("childcare:availability"))
    first_month = page.locator(".month-nav__title").inner_text()
    page.get_by_role("link", name="次の月").click()
    page.wait_for_load_state()
    assert page.locator(".month-nav__title").inner_text() != first_month
    context.close()
