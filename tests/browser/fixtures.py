"""Playwright driving Debian's Chromium against pytest-django's live server, plus axe-core."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: run `make chromium` (browser tests never skip)"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _new_page(browser, *, locale: str, mobile: bool):
    viewport = {"width": 360, "height": 740} if mobile else {"width": 1280, "height": 900}
    context = browser.new_context(
        locale="ja-JP" if locale == "ja" else "en-US",
        viewport=viewport,
        timezone_id="Asia/Tokyo",
    )
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server, request):
    """A Japanese-speaking phone (360 px wide) on the live server."""
    context, page = _new_page(browser, locale="ja", mobile=True)
    page.base_url = live_server.url
    yield page
    _save_failure_screenshot(request, page)
    context.close()


@pytest.fixture
def page_en(browser, live_server, request):
    """An English-speaking desktop browser on the live server."""
    context, page = _new_page(browser, locale="en", mobile=False)
    page.base_url = live_server.url
    yield page
    _save_failure_screenshot(request, page)
    context.close()


@pytest.fixture
def new_page(browser, live_server):
    """Factory for extra pages: new_page(locale="en", mobile=False)."""
    contexts = []

    def make(locale="ja", mobile=True):
        context, page = _new_page(browser, locale=locale, mobile=mobile)
        page.base_url = live_server.url
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()


def _save_failure_screenshot(request, page):
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def axe_violations(page) -> list[dict]:
    """Run axe-core on the current page; return WCAG 2.1 A/AA violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return results.response["violations"]


def assert_accessible(page):
    violations = axe_violations(page)
    summary = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in violations
    ]
    assert not violations, f"axe found on {page.url}:\n" + "\n".join(summary)


def login(page, user, *, reauthenticated: bool = False):
    """Sign `user` in on this page's browser, as right after a password sign-in, without the
    sign-in form (that form has its own tests): the session the test client makes becomes the
    browser's session cookie. reauthenticated=True: as if the password had just been asked again,
    which pages changing the second step require."""
    from allauth.account.internal.flows.login import record_authentication
    from django.conf import settings
    from django.test import Client, RequestFactory

    client = Client()
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session, request.user = client.session, user
    record_authentication(request, user, "password", email=user.email)
    if reauthenticated:
        record_authentication(request, user, "password", email=user.email, reauthenticated=True)
    request.session.save()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": request.session.session_key,
                "url": page.base_url,
            }
        ]
    )
