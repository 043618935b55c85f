"""A newcomer's first use (issue 12), in a real browser: Japanese on a 360 px phone unless the
item is about English. Each test is one wall a new family or new staff member hit."""

import re
from datetime import time, timedelta

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


def test_a_fresh_demo_takes_registrations_and_staff_see_when_terms_are_missing(page, new_page):
    """Item 1: without published terms the staff dashboard says loudly that registration is
    closed and links to where to publish them; the demo publishes bilingual terms, so a fresh
    demo's registration is open."""
    from kosodate.accounts.models import TermsVersion, User
    from kosodate.core.demo import demo_data_load
    from tests.factories import MunicipalityFactory, UserFactory

    MunicipalityFactory()
    administrator = UserFactory(
        email="sysadmin@example.jp",
        role=User.Role.MUNICIPAL_STAFF,
        is_staff=True,
        is_superuser=True,
    )
    login(page, administrator)
    go(page, reverse("backoffice:dashboard"))
    problem = page.locator(".setup-problem")
    expect(problem).to_contain_text("利用登録を受け付けられません")
    expect(problem.get_by_role("link")).to_have_attribute(
        "href", reverse("admin:accounts_termsversion_add")
    )
    assert_accessible(page)

    demo_data_load()
    terms = TermsVersion.objects.get()
    assert terms.title and terms.title_en and "個人情報" in terms.body and terms.body_en
    page.reload()
    expect(page.locator(".setup-problem")).to_have_count(0)

    visitor = new_page()
    go(visitor, reverse("register_start"))
    expect(visitor.locator("main")).not_to_contain_text("窓口にお問い合わせください")
    visitor.get_by_role("link", name="登録を始める").click()
    visitor.wait_for_load_state()
    expect(visitor.locator("#id_last_name")).to_be_visible()


def test_emails_and_the_footer_name_the_same_address(page, settings, resident):
    """Item 5: `PORT=8011 make run` serves on 8011 and sets SITE_URL from HOST and PORT; every
    email and page takes the address from SITE_URL, not from the host a request came in on."""
    from kosodate.core.models import OutboundMessage

    settings.SITE_URL = "http://127.0.0.1:8011"
    go(page, reverse("account_reset_password"))
    expect(page.locator(".site-footer__official")).to_contain_text("http://127.0.0.1:8011")
    page.fill("#id_email", resident.email)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    body = OutboundMessage.objects.filter(recipient=resident.email).latest("pk").deliverable_body
    links = re.findall(r"https?://[^\s/]+", body)
    assert links and set(links) == {"http://127.0.0.1:8011"}, links


def _menu_links(page) -> dict[str, str]:
    menu = page.locator(".site-menu__list a")
    return {
        menu.nth(i).inner_text(): menu.nth(i).get_attribute("href") for i in range(menu.count())
    }


def test_the_signed_in_menu_leads_to_every_service_switched_on(
    page, browser, live_server, resident, municipality
):
    """Item 2: a signed-in family reaches every service from the menu, on a 360 px phone, through
    a menu button that works without JavaScript; the current service is aria-current."""
    from django.utils import translation

    from kosodate.core import registry

    login(page, resident)
    go(page, reverse("mypage"))
    button = page.locator("header summary.site-menu__button")
    expect(button).to_have_text("サービス")
    expect(page.locator(".site-menu__list")).to_be_hidden()
    button.click()
    menu = page.locator(".site-menu__list")
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    links = _menu_links(page)
    with translation.override("ja"):
        assert links == {
            str(entry.label): reverse(entry.url_name)
            for entry in registry.resident_menu_entries(municipality)
        }
    assert {
        "一時預かり": reverse("childcare:availability"),
        "講座・イベント": reverse("events:list"),
        "予防接種・健診": reverse("health_home"),
    }.items() <= links.items()
    assert_accessible(page)
    menu.get_by_role("link", name="講座・イベント").click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith(reverse("events:list"))
    page.locator("header summary.site-menu__button").click()
    expect(page.locator(".site-menu__list a[aria-current=page]")).to_have_text("講座・イベント")

    # A service switched off leaves the menu.
    municipality.events_enabled = False
    municipality.save()
    from django.core.cache import cache

    cache.clear()
    go(page, reverse("mypage"))
    assert "講座・イベント" not in _menu_links(page)

    # Without JavaScript the button opens the menu all the same.
    context = browser.new_context(
        java_script_enabled=False, locale="ja-JP", viewport={"width": 360, "height": 740}
    )
    bare = context.new_page()
    bare.base_url = live_server.url
    login(bare, resident)
    go(bare, reverse("mypage"))
    bare.locator("header summary.site-menu__button").click()
    expect(bare.locator(".site-menu__list").get_by_role("link", name="一時預かり")).to_be_visible()
    context.close()


def test_a_service_switch_exists_only_for_an_installed_service(page, monkeypatch):
    """Item 7: the administrator cannot switch on a service with nothing behind it, and the demo
    switches on only the services installed. (A service is installed when its app registers its
    ServiceSwitch; here one registered service is taken out, as if its app were not installed.)"""
    from kosodate.accounts.models import User
    from kosodate.core import registry
    from kosodate.core.demo import demo_data_load
    from kosodate.core.models import Municipality
    from tests.factories import UserFactory

    installed = {s.key: s for s in registry.services()}
    missing = installed.pop("consultations")
    monkeypatch.setattr(registry, "_services", installed)
    flags = {service.flag for service in installed.values()}
    switches = [  # the Municipality fields that switch a service on
        f.name
        for f in Municipality._meta.fields
        if f.name.endswith("_enabled") and f.name != "email_second_step_enabled"
    ]

    demo_data_load()
    municipality = Municipality.objects.get()
    for flag in switches:
        assert getattr(municipality, flag) == (flag in flags), flag

    administrator = UserFactory(
        email="sysadmin@example.jp",
        role=User.Role.MUNICIPAL_STAFF,
        is_staff=True,
        is_superuser=True,
    )
    login(page, administrator)
    go(page, reverse("admin:core_municipality_change", args=[municipality.pk]))
    for flag in switches:
        expect(page.locator(f"input[name={flag}]")).to_have_count(1 if flag in flags else 0)
    assert page.locator(f"input[name={missing.flag}]").count() == 0


def test_the_calendar_shows_the_age_it_names(page, resident, municipality):
    """Item 6: the age box and the sentence agree: 1・2歳児 for a visitor; for a signed-in family,
    the youngest child (and the band of that child's age)."""
    FacilityFactory()
    go(page, reverse("childcare:availability"))
    selected = page.locator("#id_band option:checked")
    expect(selected).to_have_text("1・2歳児")
    expect(page.locator("#calendar > p").first).to_contain_text("1・2歳児の空き状況です")

    family(resident, first_name="さくら", birth_days_ago=4 * 365)
    family(resident, first_name="はると", birth_days_ago=200)
    login(page, resident)
    go(page, reverse("childcare:availability"))
    expect(page.locator("#id_child option:checked")).to_contain_text("はると")
    expect(page.locator("#calendar > p").first).to_contain_text("はると")
    expect(page.locator("#calendar > p").first).to_contain_text("0歳児")
    assert_accessible(page)


def test_the_english_calendar_has_no_japanese_mark(page_en, municipality):
    """Item 9: 休 is not in the English calendar; its own mark is explained in the key."""
    FacilityFactory(open_on_saturdays=False)
    go(page_en, reverse("childcare:availability"))
    expect(page_en.locator("table.calendar")).not_to_contain_text("休")
    expect(page_en.locator(".calendar-legend")).not_to_contain_text("休")
    expect(page_en.locator(".calendar-legend")).to_contain_text("Cl Closed")
    expect(page_en.locator("table.calendar")).to_contain_text("Cl")


ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


def test_the_sign_in_history_names_the_browser_not_its_user_agent(page, resident):
    """Item 12: "Android の Chrome", read by the user-agents package, not the raw string."""
    from kosodate.accounts.models import AuthEvent

    AuthEvent.objects.create(
        user=resident,
        kind=AuthEvent.Kind.LOGIN_SUCCESS,
        user_agent=ANDROID_CHROME,
        ip_address="203.0.113.5",
    )
    login(page, resident, reauthenticated=True)
    go(page, reverse("mypage_security"))
    main = page.locator("main")
    expect(main).to_contain_text("Android の Chrome")
    expect(main).not_to_contain_text("Mozilla/5.0")
    assert_accessible(page)


NO_INTERVIEW = "初めての方は利用登録が必要です（面談なし・職員の確認後すぐ予約できます）"
WITH_INTERVIEW = "初めての方は利用登録が必要です（面談あり・面談の後に予約できます）"


def test_the_pages_say_what_is_needed_before_booking(page, resident, municipality):
    """Item 4: the facility page and the day view say before booking that a first-time family
    registers first (with or without an interview, from the facility's rules); 予約する leads
    to the registration step while it is missing, never to a form that will be refused."""
    quick = FacilityFactory(name="ひだまり一時保育室", requires_interview=False, auto_approve=True)
    FacilityFactory(name="こもれび保育園", requires_interview=True)
    day = bookable_day()
    go(page, reverse("childcare:facility_detail", args=[quick.pk]))
    expect(page.locator("main")).to_contain_text(NO_INTERVIEW)
    assert_accessible(page)

    [kid] = family(resident, first_name="さくら")
    login(page, resident)
    go(page, reverse("childcare:day", args=[day.isoformat()]))
    cards = page.locator("main .card")
    quick_card = cards.filter(has_text="ひだまり一時保育室")
    expect(quick_card).to_contain_text(NO_INTERVIEW)
    expect(cards.filter(has_text="こもれび保育園")).to_contain_text(WITH_INTERVIEW)
    assert_accessible(page)
    quick_card.get_by_role("link", name=re.compile("予約する")).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("ひだまり一時保育室 への利用登録")
    assert_accessible(page)

    # Asked, not yet checked: the pages say so, and 予約する leads to the registrations.
    page.check(f"input[name=children][value='{kid.pk}']")
    page.get_by_role("button", name="申し込む").click()
    page.wait_for_load_state()
    go(page, reverse("childcare:day", args=[day.isoformat()]))
    quick_card = page.locator("main .card").filter(has_text="ひだまり一時保育室")
    expect(quick_card).to_contain_text("施設の確認待ち")
    quick_card.get_by_role("link", name=re.compile("予約する")).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("利用登録の確認")
    # Typing the form's address leads there too, with the reason.
    go(page, reverse("childcare:booking_create", args=[quick.pk]))
    expect(page.locator("h1")).to_have_text("利用登録の確認")
    expect(page.locator(".messages")).to_contain_text("施設の確認待ち")

    # Once registered, no note, and 予約する opens the form with the day filled in.
    from kosodate.childcare.models import Registration

    Registration.objects.filter(child=kid, facility=quick).update(status="active")
    go(page, reverse("childcare:day", args=[day.isoformat()]))
    quick_card = page.locator("main .card").filter(has_text="ひだまり一時保育室")
    expect(quick_card).not_to_contain_text("初めての方は")
    quick_card.get_by_role("link", name=re.compile("予約する")).click()
    page.wait_for_load_state()
    expect(page.locator("#id_date")).to_have_value(day.isoformat())


def test_the_member_number_has_one_name_and_the_demo_fits_the_help_page(page, page_en, resident):
    """Item 9: 利用者番号 is "member number" on the sign-in page, the help page and My Page (not
    "user ID" on one of them); the help page's "9 digits" holds for the demo's residents."""
    from django.core.management import call_command

    from kosodate.accounts.demo import DEMO_ACCOUNTS
    from kosodate.accounts.models import User
    from kosodate.accounts.services.common import member_number_is_well_formed

    go(page_en, reverse("account_login"))
    expect(page_en.locator("main")).to_contain_text("member number")
    go(page_en, reverse("signin_help"))
    help_text = page_en.locator("main")
    expect(help_text).to_contain_text("member number (利用者番号, 9 digits")
    login(page_en, resident)
    go(page_en, reverse("mypage"))
    expect(page_en.locator("main")).to_contain_text("Your member number (利用者番号)")
    expect(page_en.locator("main")).not_to_contain_text("user ID")
    login(page, resident)
    go(page, reverse("mypage"))
    expect(page.locator("main")).to_contain_text("あなたの利用者番号")
    assert_accessible(page)

    call_command("demo_data")
    go(page, reverse("signin_help"))
    expect(page.locator("main")).to_contain_text("9桁")
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(email=account.email)
        if user.role == User.Role.RESIDENT:
            assert len(user.member_number) == 9, account
            assert member_number_is_well_formed(user.member_number), account


def _staff_signs_in_the_first_time(page, email):
    """Through the sign-in form with the demo's password; the back office asks a staff member
    without an authenticator app to set one up first (tests/totp.py plays the app)."""
    from urllib.parse import urlsplit

    from kosodate.accounts.demo import DEMO_PASSWORD
    from tests.totp import Totp

    go(page, reverse("account_login"))
    page.fill("#id_login", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main form .button--primary").first.click()
    page.wait_for_load_state()
    go(page, reverse("childcare_staff:index"))
    if urlsplit(page.url).path == reverse("mypage_security"):
        go(page, reverse("mfa_activate_totp"))
        if urlsplit(page.url).path == reverse("account_reauthenticate"):
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.locator("main form .button--primary").first.click()
            page.wait_for_load_state()
        secret = page.locator("#totp-secret").inner_text().strip().replace(" ", "")
        page.fill("input[name=code]", Totp(secret).now())
        page.locator("main form .button--primary").first.click()
        page.wait_for_load_state()
        go(page, reverse("childcare_staff:index"))
    assert urlsplit(page.url).path == reverse("childcare_staff:index"), page.url


def test_done_when_register_verify_sign_in_book_and_staff_approve(page, new_page):
    """Issue 12 "Done when", on the fresh demo (`make run` loads it): a newcomer registers,
    confirms the address from the email as delivered, signs in, registers her child with the
    demo's facility and books 一時預かり; the facility's staff member (hoiku) holds the
    interview and approves in the back office; the family sees the booking confirmed. No page
    on the way is under /admin/."""
    from django.core.management import call_command
    from django.utils import timezone

    from kosodate.accounts.models import Child
    from kosodate.childcare.demo import KOMOREBI
    from kosodate.childcare.models import Facility, Registration

    from .test_register import _confirm_and_sign_in, _register

    call_command("demo_data")
    visited = []
    page.on("request", lambda request: visited.append(request.url))

    email = "newcomer@example.jp"
    _register(page, "ja", email)
    user = _confirm_and_sign_in(page, email)
    if page.url.split("?")[0].endswith(reverse("signin_terms")):
        page.get_by_label("利用規約とプライバシーポリシーを読み、同意します").check()
        page.get_by_role("button", name="同意して進む").click()
        page.wait_for_load_state()
    sakura = Child.objects.get(household=user.household, first_name="さくら")

    # The menu leads to 一時預かり; the facility page says what is needed before booking.
    page.locator("header summary.site-menu__button").click()
    page.locator(".site-menu__list").get_by_role("link", name="一時預かり").click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith(reverse("childcare:availability"))
    facility = Facility.objects.get(name=KOMOREBI)
    go(page, reverse("childcare:facility_detail", args=[facility.pk]))
    expect(page.locator("main")).to_contain_text(WITH_INTERVIEW)
    page.get_by_role("link", name="お子さんを利用登録する").click()
    page.wait_for_load_state()
    page.check(f"input[name=children][value='{sakura.pk}']")
    page.fill("#id_preferred_date_1", (timezone.localdate() + timedelta(days=1)).isoformat())
    page.get_by_role("button", name="申し込む").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("利用登録を申し込みました")
    registration = Registration.objects.get(child=sakura)

    # The facility's staff member meets the family today and completes the registration.
    staff = new_page(locale="en", mobile=False)
    staff.on("request", lambda request: visited.append(request.url))
    _staff_signs_in_the_first_time(staff, "hoiku@example.jp")
    go(staff, reverse("childcare_staff:registration_detail", args=[registration.pk]))
    when = timezone.localtime() + timedelta(minutes=2)
    if when.date() != timezone.localdate():
        pytest.skip("an interview later today cannot be set in the last minutes of the day")
    staff.fill("#id_interview_at", when.strftime("%Y-%m-%dT%H:%M"))
    staff.get_by_role("button", name="Save and tell the family").click()
    staff.wait_for_load_state()
    expect(staff.locator(".messages")).to_contain_text("The interview date is set")
    staff.get_by_role("button", name="Interview held: complete the registration").click()
    staff.wait_for_load_state()
    expect(staff.locator(".messages")).to_contain_text("Registration complete")

    # The family books: the fee first, then the request.
    day = bookable_day(after_days=9)
    # The day view shows the youngest child (はると, not registered) unless another is chosen.
    go(page, reverse("childcare:day", args=[day.isoformat()]) + f"?child={sakura.pk}")
    card = page.locator("main .card").filter(has_text=KOMOREBI)
    expect(card).not_to_contain_text("初めての方は")
    card.get_by_role("link", name=re.compile("予約する")).click()
    page.wait_for_load_state()
    expect(page.locator("#id_date")).to_have_value(day.isoformat())
    page.select_option("#id_start", "09:00")
    page.select_option("#id_end", "12:00")
    page.check(f"input[name=children][value='{sakura.pk}']")
    page.check("input[name=reason][value=work]")
    page.fill("#id_pickup_person", "山田花子(母)")
    page.get_by_role("button", name="利用料を確認して申し込む").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("お申し込み内容の確認")
    page.get_by_role("button", name="申し込む").click()
    page.wait_for_load_state()
    expect(page.locator(".booking-status")).to_have_text("申請中")
    booking = Booking.objects.get(child=sakura)

    # Staff approve in the back office.
    go(staff, reverse("childcare_staff:index"))
    detail = reverse("childcare_staff:booking_detail", args=[booking.code])
    staff.locator(f"main a[href='{detail}']").first.click()
    staff.wait_for_load_state()
    assert staff.url.split("?")[0].endswith(detail), staff.url
    staff.get_by_role("button", name="Approve").click()
    staff.wait_for_load_state()
    expect(staff.locator(".messages")).to_contain_text("Approved")

    # The family sees it confirmed.
    page.reload()
    expect(page.locator(".booking-status")).to_have_text("承認済(確定)")
    assert_accessible(page)
    go(page, reverse("mypage"))
    expect(page.locator("section[aria-labelledby=bookings-title]")).to_contain_text(KOMOREBI)
    assert not [url for url in visited if "/admin/" in url], visited


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_remaining_wording_in_both_languages(language, page, page_en, resident, municipality):
    """Item 9, in both languages: no 「さん」 after a facility's name; a childcare fee is 利用料
    (not the events' 参加費); the dose form's empty choice is in the page's language."""
    from kosodate.health.loading import schedule_data_load
    from kosodate.health.models import ScheduleRule, Vaccine

    tab = page if language == "ja" else page_en
    facility = FacilityFactory(name="ひだまり一時保育室", name_en="Hidamari Care Room")
    [kid] = family(resident, first_name="さくら")
    registered(kid, facility)
    schedule_data_load(vaccine_model=Vaccine, rule_model=ScheduleRule)
    login(tab, resident)

    go(tab, reverse("childcare:booking_create", args=[facility.pk]))
    back = tab.locator("main p a").first
    if language == "ja":
        expect(back).to_have_text("ひだまり一時保育室 に戻る")
        expect(tab.locator("main")).not_to_contain_text("さんの情報")
    else:
        expect(back).to_have_text("Back to Hidamari Care Room")
    go(tab, reverse("childcare:facility_detail", args=[facility.pk]))
    fee = tab.locator("main dl.facts dt").filter(has_text="利用料" if language == "ja" else "Fee")
    expect(fee).to_have_count(1)
    expect(tab.locator("main")).not_to_contain_text("参加費")

    go(tab, reverse("health_dose_add", args=[kid.pk]))
    empty = tab.locator("#id_vaccine option").first
    expect(empty).to_have_text("選択してください" if language == "ja" else "- Select an option -")
    if language == "ja":
        expect(tab.locator("main")).not_to_contain_text("Select an option")
    assert_accessible(tab)


def test_an_interview_is_not_recorded_as_held_before_its_day(page, resident, facility_staff):
    """Item 8: an interview set for a later day cannot be recorded as held; the staff page says
    why instead of offering the button, and offers it once the day has come."""
    from django.utils import timezone

    from kosodate.childcare.models import Registration

    facility = FacilityFactory(name="こもれび保育園", requires_interview=True)
    staff_of(facility_staff, facility)
    [kid] = family(resident, first_name="さくら")
    registration = Registration.objects.create(
        facility=facility,
        child=kid,
        household=kid.household,
        requested_by=resident,
        status=Registration.Status.INTERVIEW_SCHEDULED,
        interview_at=timezone.now() + timedelta(days=3),
    )
    login(page, facility_staff)
    go(page, reverse("childcare_staff:registration_detail", args=[registration.pk]))
    expect(page.locator("#complete-refusal")).to_contain_text("面談の日になるまで")
    expect(page.get_by_role("button", name="面談を実施し、利用登録を完了する")).to_have_count(0)
    assert_accessible(page)

    Registration.objects.filter(pk=registration.pk).update(
        interview_at=timezone.now() - timedelta(hours=1)
    )
    page.reload()
    page.get_by_role("button", name="面談を実施し、利用登録を完了する").click()
    page.wait_for_load_state()
    registration.refresh_from_db()
    assert registration.status == Registration.Status.ACTIVE
    expect(page.locator("#complete-refusal")).to_have_count(0)
