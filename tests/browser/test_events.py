"""講座・イベント in a real browser: first-come apply → confirmed; full → waitlisted → promoted
when someone cancels → confirmed within the deadline; a lottery with three households → the
window closes → the draw → results shown and emailed. Every page checked with axe, in Japanese on
a phone and in English on a desktop."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from kosodate.core.models import OutboundMessage
from kosodate.events.models import Application, Event
from tests.events.factories import EventFactory
from tests.factories import ChildFactory, HouseholdFactory, UserFactory

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _family(n: int, language: str = "ja"):
    household = HouseholdFactory()
    user = UserFactory(
        household=household,
        email=f"events{n}@example.jp",
        last_name="山田",
        first_name=f"花子{n}",
        preferred_language=language,
    )
    ChildFactory(
        household=household,
        first_name="さくら",
        birth_date=timezone.localdate() - timedelta(days=620),
    )
    return user


def go(page, path):
    response = page.goto(page.base_url + path)
    assert response is not None and response.status == 200, (path, response and response.status)


def _apply_in_browser(page, event, *, adults="1"):
    go(page, reverse("events:detail", args=[event.pk]))
    page.locator("main a.button--primary").click()
    page.wait_for_load_state()
    page.locator("input[name=children]").first.check()
    page.fill("#id_adults", adults)
    page.locator("main form [type=submit]").click()
    page.wait_for_load_state()


def test_first_come_apply_confirmed_on_a_phone(page, municipality):
    user = _family(1)
    event = EventFactory(title="親子リトミック", capacity=5)
    login(page, user)
    go(page, reverse("events:list"))
    expect(page.locator("h1")).to_have_text("講座・イベント")
    expect(page.locator("main")).to_contain_text("親子リトミック")
    assert_accessible(page)
    go(page, reverse("events:detail", args=[event.pk]))
    assert_accessible(page)
    page.get_by_role("link", name="申し込む").click()
    page.wait_for_load_state()
    assert_accessible(page)
    # A mistake first (too many people): explained, and what was typed is kept.
    page.locator("input[name=children]").first.check()
    page.fill("#id_adults", "９")
    page.get_by_role("button", name="申し込む").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("1家族で参加できるのは4人まで")
    expect(page.locator("#id_adults")).to_have_value("９")
    assert_accessible(page)
    page.fill("#id_adults", "１")
    page.get_by_role("button", name="申し込む").click()
    page.wait_for_load_state()
    expect(page.locator(".status")).to_contain_text("確定")
    assert_accessible(page)
    assert Application.objects.get().status == Application.Status.CONFIRMED
    go(page, reverse("events:mine"))
    expect(page.locator("main")).to_contain_text("確定")
    assert_accessible(page)


def test_full_waitlisted_promoted_and_confirmed(page, new_page, municipality):
    first, second = _family(1), _family(2)
    event = EventFactory(title="ベビーヨガ", capacity=1, offer_hours=48)
    login(page, first)
    _apply_in_browser(page, event)
    expect(page.locator(".status")).to_contain_text("確定")

    page2 = new_page(locale="ja", mobile=True)
    login(page2, second)
    _apply_in_browser(page2, event)
    expect(page2.locator(".status")).to_contain_text("キャンセル待ち 1番目")
    assert_accessible(page2)

    # The first family cancels from its application page.
    page.get_by_role("link", name="申し込みをキャンセルする").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name="キャンセルする").click()
    page.wait_for_load_state()
    expect(page.locator(".status")).to_contain_text("キャンセル済")

    # The second family is offered the place, with a deadline, and takes it.
    page2.reload()
    expect(page2.locator(".status")).to_contain_text("繰り上げ確認待ち")
    offer = Application.objects.get(user=second)
    deadline = timezone.localtime(offer.offer_expires_at)
    assert timezone.now() + timedelta(hours=47) < deadline <= timezone.now() + timedelta(hours=48)
    expect(page2.locator("main")).to_contain_text(deadline.strftime("%Y-%m-%d %H:%M"))
    assert_accessible(page2)
    page2.get_by_role("button", name="参加を確定する").click()
    page2.wait_for_load_state()
    expect(page2.locator(".status")).to_contain_text("確定")
    confirmed = Application.objects.get(user=second)
    assert confirmed.status == Application.Status.CONFIRMED
    assert confirmed.confirmed_at <= deadline
    offered = OutboundMessage.objects.filter(user=second, kind="events.offered")
    assert offered.count() == 1


def test_lottery_three_households_draw_results_emailed(page, new_page, municipality):
    now = timezone.now()
    event = EventFactory(
        title="人気の離乳食講座",
        mode=Event.Mode.LOTTERY,
        capacity=2,
        applications_open_at=now - timedelta(days=1),
        applications_close_at=now + timedelta(hours=2),
    )
    families = [_family(n) for n in range(3)]
    pages = [page, new_page(locale="ja", mobile=True), new_page(locale="ja", mobile=True)]
    for browser_page, user in zip(pages, families, strict=True):
        login(browser_page, user)
        _apply_in_browser(browser_page, event)
        expect(browser_page.locator(".status")).to_contain_text("抽選待ち")
    assert_accessible(page)

    # The window closes; the background command draws.
    Event.objects.filter(pk=event.pk).update(applications_close_at=timezone.now())
    call_command("events_run_due_draws", stdout=StringIO())

    statuses = []
    for browser_page in pages:
        go(browser_page, reverse("events:mine"))
        statuses.append(browser_page.locator(".status").inner_text())
    assert sum("確定" in s and "待ち" not in s for s in statuses) == 2
    assert sum("キャンセル待ち 1番目" in s for s in statuses) == 1
    assert_accessible(pages[0])
    # The draw's record (seed and order) is on each family's application page, to check it.
    mine = Application.objects.get(user=families[0])
    go(pages[0], reverse("events:application_detail", args=[mine.pk]))
    expect(pages[0].locator("main")).to_contain_text("抽選の記録")
    expect(pages[0].locator("main")).to_contain_text(Event.objects.get(pk=event.pk).draw_seed)
    assert_accessible(pages[0])
    emails = OutboundMessage.objects.filter(
        kind__in=["events.confirmed", "events.waitlisted"], channel="email"
    )
    assert sorted(emails.values_list("recipient", flat=True)) == sorted(f.email for f in families)


def test_event_pages_in_english_on_a_desktop(page_en, municipality):
    user = _family(1, language="en")
    event = EventFactory(title="リトミック", title_en="Rhythm class", capacity=1)
    login(page_en, user)
    go(page_en, reverse("events:list") + "?for_whom=all")
    expect(page_en.locator("main")).to_contain_text("Rhythm class")
    assert_accessible(page_en)
    _apply_in_browser(page_en, event)
    expect(page_en.locator(".status")).to_contain_text("Confirmed")
    assert_accessible(page_en)


def test_staff_pages(page, page_en, municipality, municipal_staff):
    first, second = _family(1), _family(2)
    event = EventFactory(title="保護者交流会", capacity=1)
    from kosodate.events import services

    for user in (first, second):
        children = list(user.household.children.all())
        services.application_create(event=event, user=user, children=children, adults=1)
    # Staff reach the back office only with an authenticator app set up.
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if not Authenticator.objects.filter(user=municipal_staff).exists():
        TOTP.activate(municipal_staff, generate_totp_secret())
    for browser_page in (page, page_en):
        login(browser_page, municipal_staff)
        for path in (
            reverse("events_staff:list"),
            reverse("events_staff:detail", args=[event.pk]),
            reverse("events_staff:create"),
            reverse("events_staff:edit", args=[event.pk]),
            reverse("events_staff:copy", args=[event.pk]),
            reverse("events_staff:message", args=[event.pk]),
            reverse("events_staff:cancel", args=[event.pk]),
        ):
            go(browser_page, path)
            assert_accessible(browser_page)
