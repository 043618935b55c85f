"""The base layout in a real browser: language switch, skip link, 360 px phones, the web app manifest
and icons, CSP, axe, and the form enhancements of static/js/kosodate.js."""

import json
import struct

import pytest
from django import forms
from django.template import Context, Template
from django.utils import timezone, translation

from tests.factories import AnnouncementFactory, MaintenanceWindowFactory

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def busy_top_page(municipality):
    """The top page at its fullest: urgent and important announcements (one with a long unbroken
    title), and a planned maintenance announced."""
    AnnouncementFactory(
        importance="urgent",
        title="台風の接近に伴う一時預かりの休止について_https://example.jp/very/long/unbroken/address",
        title_en="Temporary childcare closed for the typhoon: https://example.jp/very/long/address",
    )
    AnnouncementFactory(importance="important")
    AnnouncementFactory()
    soon = timezone.now() + timezone.timedelta(days=1)
    MaintenanceWindowFactory(
        starts_at=soon, ends_at=soon + timezone.timedelta(hours=2), announce_from=timezone.now()
    )


def html_lang(page) -> str:
    return page.evaluate("document.documentElement.lang")


def test_language_switch_changes_the_page_and_html_lang(page, busy_top_page):
    page.goto(page.base_url + "/")
    assert html_lang(page) == "ja"
    assert page.get_by_role("heading", name="このサイトでできること").is_visible()

    english = page.get_by_role("button", name="English")
    assert english.get_attribute("lang") == "en"
    english.click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.url.rstrip("/") == page.base_url
    assert page.get_by_role("heading", name="What you can do here").is_visible()
    assert page.get_by_role("link", name="Sign in").first.is_visible()

    # The choice sticks for the next page.
    page.get_by_role("navigation").get_by_role("link", name="Announcements").click()
    assert html_lang(page) == "en"
    assert page.locator("h1").inner_text() == "Announcements"

    japanese = page.get_by_role("button", name="日本語")
    assert japanese.get_attribute("lang") == "ja"
    japanese.click()
    page.wait_for_function("document.documentElement.lang === 'ja'")
    assert page.url.endswith("/announcements/")
    assert page.locator("h1").inner_text() == "お知らせ"


def test_skip_link_appears_on_focus_and_moves_focus_to_main(page, municipality):
    page.goto(page.base_url + "/")
    skip = page.locator(".skip-link")
    assert skip.bounding_box()["y"] < 0  # out of sight until focused

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box["y"] >= 0
    assert box["height"] >= 24
    assert skip.inner_text() == "本文へ移動"
    # WCAG 2.4.7: the focus ring is a real 3 px outline.
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; })()"
    )
    assert outline == ["solid", "3px"]

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.evaluate("document.activeElement.tagName") == "MAIN"


def test_landmarks_and_one_h1(page, municipality):
    page.goto(page.base_url + "/")
    assert page.locator("header.site-header").count() == 1
    assert page.get_by_role("navigation", name="メインメニュー").count() == 1
    assert page.locator("main#main").count() == 1
    assert page.locator("footer.site-footer").count() == 1
    assert page.locator("h1").count() == 1


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("path", ["/", "/announcements/"])
def test_no_horizontal_scroll_on_a_360px_phone(new_page, busy_top_page, language, path):
    page = new_page(locale=language, mobile=True)
    page.goto(page.base_url + path)
    assert html_lang(page) == language
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 360, f"{path} in {language} is {width}px wide at 360px"


def test_touch_targets_are_at_least_44px(page, municipality):
    page.goto(page.base_url + "/")
    targets = page.locator(".site-nav a, .language-switcher button, .hero .button")
    assert targets.count() >= 5
    for index in range(targets.count()):
        box = targets.nth(index).bounding_box()
        assert box["height"] >= 44, targets.nth(index).inner_text()


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", body[16:24])


def test_manifest_is_linked_valid_and_its_icons_load(page, municipality):
    page.goto(page.base_url + "/")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    response = page.request.get(page.base_url + href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(response.body())
    assert manifest["short_name"] == "子育てサポート"
    assert manifest["name"] == "子育てサポート – こもれび市"
    assert manifest["lang"] == "ja"
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"

    purposes = set()
    for icon in manifest["icons"]:
        loaded = page.request.get(page.base_url + icon["src"])
        assert loaded.status == 200, icon["src"]
        assert loaded.headers["content-type"] == icon["type"], icon["src"]
        if icon["type"] == "image/png":
            width, height = png_size(loaded.body())
            assert f"{width}x{height}" == icon["sizes"], icon["src"]
        purposes.add(icon.get("purpose", "any"))
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert purposes == {"any", "maskable"}

    # The icons the page itself names (favicon, iOS home screen) load too.
    favicon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(page.base_url + favicon).status == 200
    touch = page.request.get(
        page.base_url + page.locator("link[rel=apple-touch-icon]").get_attribute("href")
    )
    assert touch.status == 200
    assert png_size(touch.body()) == (180, 180)


def test_manifest_speaks_the_visitors_language(page_en, municipality):
    page_en.goto(page_en.base_url + "/")
    # fetch() from the page sends the browser's Accept-Language, as the browser's own fetch does.
    manifest = page_en.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then((r) => r.json())"
    )
    assert manifest["lang"] == "en"
    assert manifest["short_name"] == "Childcare Support"


# The PNGs are renderings of the SVGs (scripts/icons): draw both on a canvas and compare.
COMPARE_ICONS = """async ([svg, png, size]) => {
  const load = (src) => new Promise((resolve, reject) => {
    const image = new Image(); image.onload = () => resolve(image); image.onerror = reject;
    image.src = src;
  });
  const pixels = (image) => {
    const canvas = document.createElement("canvas"); canvas.width = canvas.height = size;
    const context = canvas.getContext("2d"); context.drawImage(image, 0, 0, size, size);
    return context.getImageData(0, 0, size, size).data;
  };
  const [a, b] = [pixels(await load(svg)), pixels(await load(png))];
  let total = 0;
  for (let i = 0; i < a.length; i++) total += Math.abs(a[i] - b[i]);
  return total / a.length;
}"""


@pytest.mark.parametrize(
    ("svg", "png", "size"),
    [
        ("icon.svg", "icon-192.png", 192),
        ("icon.svg", "icon-512.png", 512),
        ("icon-maskable.svg", "icon-maskable-192.png", 192),
        ("icon-maskable.svg", "icon-maskable-512.png", 512),
        ("icon-maskable.svg", "apple-touch-icon.png", 180),
    ],
)
def test_png_icons_match_their_svg_sources(page, municipality, svg, png, size):
    page.goto(page.base_url + "/")
    difference = page.evaluate(
        COMPARE_ICONS, [f"/static/icons/{svg}", f"/static/icons/{png}", size]
    )
    assert difference < 2, f"{png} differs from {svg}: run scripts/icons"


def test_csp_has_no_unsafe_inline_and_the_page_breaks_no_rule(page, busy_top_page):
    errors, violations = [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.expose_function("reportViolation", lambda text: violations.append(text))
    # Init scripts run outside the page's CSP; they only listen.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));"
    )

    response = page.goto(page.base_url + "/")
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip()
    )
    assert "'nonce-" in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"

    # The nonced scripts ran: htmx and ours.
    page.wait_for_function("window.htmx !== undefined")
    # Switch language (a POST and a redirect) so a second page load is covered too.
    page.get_by_role("button", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.wait_for_function("window.htmx !== undefined")
    assert not violations, violations
    assert not errors, errors


def test_top_page_is_accessible_in_japanese_on_a_phone(page, busy_top_page):
    page.goto(page.base_url + "/")
    assert_accessible(page)


def test_top_page_is_accessible_in_english_on_a_desktop(page_en, busy_top_page):
    page_en.goto(page_en.base_url + "/")
    assert html_lang(page_en) == "en"
    assert_accessible(page_en)


@pytest.mark.parametrize(
    ("persona", "link", "url"),
    [("resident", "マイページ", "/mypage/"), ("municipal_staff", "職員ポータル", "/staff/")],
)
def test_signed_in_menu(page, request, persona, link, url):
    login(page, request.getfixturevalue(persona))
    page.goto(page.base_url + "/")
    menu = page.get_by_role("navigation", name="メインメニュー")
    assert menu.get_by_role("link", name=link).get_attribute("href") == url
    assert menu.get_by_role("button", name="ログアウト").is_visible()
    assert menu.get_by_role("link", name="ログイン").count() == 0
    assert page.locator(".hero").get_by_role("link", name=f"{link}へ").is_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    assert_accessible(page)


def test_announcement_pages_are_accessible(page, busy_top_page):
    page.goto(page.base_url + "/announcements/")
    assert_accessible(page)
    page.locator(".announcement a").first.click()
    assert_accessible(page)


# --- Forms: the field templates, the error summary and kosodate.js --------------------------------


class ExampleForm(forms.Form):
    email = forms.EmailField(
        label=translation.gettext_lazy("Email"), help_text="ログインに使います。"
    )
    password = forms.CharField(label="パスワード", widget=forms.PasswordInput)
    hours = forms.ChoiceField(
        label="時間帯", choices=[("am", "午前"), ("pm", "午後")], widget=forms.RadioSelect
    )
    agree = forms.BooleanField(label="利用規約に同意する")

    def clean(self):
        raise forms.ValidationError("入力内容をもう一度確認してください。")


FORM_PAGE = Template(
    """{% load static %}<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>フォームの確認</title>
<link rel="stylesheet" href="{% static 'vendor/design-tokens/tokens.css' %}">
<link rel="stylesheet" href="{% static 'css/kosodate.css' %}">
<script src="{% static 'js/kosodate.js' %}" defer></script></head>
<body data-password-show="表示" data-password-show-label="パスワードを表示">
<main id="main"><h1>フォームの確認</h1>
<form method="post" novalidate>
{{ form }}
<p data-capslock-warning="id_password" hidden>Caps Lock がオンになっています。</p>
<p data-fullwidth-warning="id_email" hidden>全角文字が入っています。半角で入力してください。</p>
<button type="submit" class="button button--primary">送信</button>
</form></main></body></html>"""
)


@pytest.fixture
def form_page(page):
    """A page with a form that failed validation, rendered by our templates and served from the
    live server's origin so the real static files load."""
    with translation.override("ja"):
        form = ExampleForm(data={"email": "ｔａｒｏ＠example.jp", "password": "", "hours": ""})
        form.is_valid()
        html = FORM_PAGE.render(Context({"form": form}))
    url = page.base_url + "/__form-example/"
    page.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(url)
    return page


def active(page, expression: str):
    return page.evaluate(f"document.activeElement.{expression}")


def test_error_summary_is_focused_and_links_to_each_field(form_page):
    page = form_page
    summary = page.locator("[data-error-summary]")
    assert summary.get_attribute("role") == "alert"
    assert active(page, "hasAttribute('data-error-summary')")
    assert summary.get_by_role("heading").inner_text() == "入力内容を確認してください"
    assert "入力内容をもう一度確認してください。" in summary.inner_text()

    links = summary.get_by_role("link")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "#id_email",
        "#id_password",
        "#id_hours_0",
        "#id_agree",
    ]
    summary.get_by_role("link", name="パスワード：このフィールドは必須です。").click()
    assert active(page, "id") == "id_password"


def test_fields_link_their_help_and_errors(form_page):
    page = form_page
    email = page.locator("#id_email")
    assert email.get_attribute("aria-invalid") == "true"
    assert email.get_attribute("aria-describedby") == "id_email_helptext id_email_error"
    assert page.locator("#id_email_helptext").inner_text() == "ログインに使います。"
    assert (
        page.locator("#id_email_error").inner_text()
        == "エラー：有効なメールアドレスを入力してください。"
    )
    # Labels sit above their field, with the required mark and no trailing colon.
    label = page.locator("label[for=id_email]")
    assert label.inner_text().replace("\n", " ").strip() == "メールアドレス 必須"
    assert label.bounding_box()["y"] < email.bounding_box()["y"]
    # Radio buttons: a fieldset described by its error, a legend as its label.
    group = page.get_by_role("group", name="時間帯")
    assert group.get_attribute("aria-describedby") == "id_hours_error"
    assert_accessible(page)


def test_show_password_toggle(form_page):
    page = form_page
    password = page.locator("#id_password")
    toggle = page.locator("button.password-toggle")
    assert toggle.inner_text() == "表示"
    assert toggle.get_attribute("aria-label") == "パスワードを表示"
    assert toggle.get_attribute("aria-pressed") == "false"
    assert toggle.get_attribute("aria-controls") == "id_password"
    assert toggle.bounding_box()["height"] >= 44

    password.fill("Sakura-2026")
    toggle.click()
    assert password.get_attribute("type") == "text"
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    assert password.get_attribute("type") == "password"
    assert toggle.get_attribute("aria-pressed") == "false"
    assert password.input_value() == "Sakura-2026"


def test_caps_lock_warning(form_page):
    page = form_page
    warning = page.locator("[data-capslock-warning]")
    assert warning.get_attribute("aria-live") == "polite"
    assert not warning.is_visible()
    page.locator("#id_password").focus()
    page.evaluate(
        "document.getElementById('id_password').dispatchEvent(new KeyboardEvent('keydown',"
        " {key: 'A', modifierCapsLock: true, bubbles: true}))"
    )
    assert warning.is_visible()
    assert warning.inner_text() == "Caps Lock がオンになっています。"
    page.evaluate(
        "document.getElementById('id_password').dispatchEvent(new KeyboardEvent('keyup',"
        " {key: 'a', modifierCapsLock: false, bubbles: true}))"
    )
    assert not warning.is_visible()


def test_full_width_warning(form_page):
    page = form_page
    warning = page.locator("[data-fullwidth-warning]")
    # The page came back with "ｔａｒｏ＠example.jp" in the field: the warning is already up.
    assert warning.is_visible()
    assert "全角文字" in warning.inner_text()
    page.locator("#id_email").fill("taro@example.jp")
    assert not warning.is_visible()
    page.locator("#id_email").fill("たろう@example.jp")
    assert warning.is_visible()


TABLE_PAGE = """<!doctype html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>表の確認</title>
<link rel="stylesheet" href="/static/vendor/design-tokens/tokens.css">
<link rel="stylesheet" href="/static/css/kosodate.css">
<script src="/static/js/kosodate.js" defer></script></head>
<body><main id="main"><h1>表の確認</h1>
<div class="table-wrap" id="wide"><table><caption>ログイン中の端末</caption>
<thead><tr><th>端末</th><th>ブラウザー</th><th>IPアドレス</th><th>最終アクセス</th><th>操作</th></tr>
</thead><tbody><tr><td>Android スマートフォン</td><td>Chrome 131</td><td>2001:db8::1234:5678</td>
<td>2026-11-25 10:00</td><td>ログアウトさせる</td></tr></tbody></table></div>
<div class="table-wrap" id="narrow"><table><caption>小さな表</caption>
<tr><th>項目</th><td>値</td></tr></table></div>
</main></body></html>"""


def test_wide_tables_scroll_inside_their_box_and_take_focus(page):
    url = page.base_url + "/__table-example/"
    page.route(url, lambda route: route.fulfill(body=TABLE_PAGE, content_type="text/html"))
    page.goto(url)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    wide, narrow = page.locator("#wide"), page.locator("#narrow")
    page.wait_for_function("document.getElementById('wide').tabIndex === 0")
    assert wide.get_attribute("role") == "region"
    assert wide.get_attribute("aria-label") == "ログイン中の端末"
    assert narrow.get_attribute("tabindex") is None
    assert_accessible(page)
    # Wide enough for the table: no needless tab stop.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_function("!document.getElementById('wide').hasAttribute('tabindex')")


def test_forms_work_without_javascript(browser, live_server):
    """Progressive enhancement: without JS the summary and the errors are all there, the password
    stays a password field and the warnings stay hidden."""
    context = browser.new_context(java_script_enabled=False, locale="ja-JP")
    try:
        page = context.new_page()
        page.base_url = live_server.url
        with translation.override("ja"):
            form = ExampleForm(data={"email": "ｔａｒｏ＠example.jp"})
            form.is_valid()
            html = FORM_PAGE.render(Context({"form": form}))
        page.route(
            live_server.url + "/x/",
            lambda route: route.fulfill(body=html, content_type="text/html"),
        )
        page.goto(live_server.url + "/x/")
        assert page.locator("[data-error-summary]").is_visible()
        assert page.locator("#id_password").get_attribute("type") == "password"
        assert page.locator("button.password-toggle").count() == 0
        assert not page.locator("[data-fullwidth-warning]").is_visible()
    finally:
        context.close()
