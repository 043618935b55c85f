"""Security headers and cookies (SECURITY.md, Sessions): asserted on real responses from the test
client, the live server, and a production-configured process over HTTPS."""

import json
import re
import urllib.request

import pytest
from django.urls import reverse

from ..factories import AnnouncementFactory
from .production import HOST, production_env, run

NONCE_ATTR = re.compile(r'<script[^>]*\snonce="([^"]+)"')


def _csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_csp(headers, html: str) -> None:
    header = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    csp = _csp(header)
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    nonces = [v for v in csp["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1, csp["script-src"]
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
    assert len(nonce) >= 16
    # Every script on the page carries the header's nonce; none is inline.
    page_nonces = NONCE_ATTR.findall(html)
    assert page_nonces, "the page has no script with a nonce"
    assert set(page_nonces) == {nonce}
    assert html.count("<script") == len(page_nonces)
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), "inline script found"
    assert " style=" not in html


def assert_other_headers(headers) -> None:
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


# --- In process -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_top_page_sends_every_header(client, municipality):
    AnnouncementFactory()
    response = client.get("/")
    assert_csp(response.headers, response.content.decode())
    assert_other_headers(response.headers)


@pytest.mark.django_db
def test_each_response_gets_a_fresh_nonce(client, municipality):
    first = _csp(client.get("/")["Content-Security-Policy"])["script-src"]
    second = _csp(client.get("/")["Content-Security-Policy"])["script-src"]
    assert first != second


@pytest.mark.django_db
def test_the_maintenance_page_and_back_office_send_them_too(client, municipality, municipal_staff):
    from datetime import timedelta

    from django.utils import timezone

    from kosodate.core import services

    client.force_login(municipal_staff)
    staff_page = client.get(reverse("backoffice:announcement_create"))
    assert_csp(staff_page.headers, staff_page.content.decode())
    assert_other_headers(staff_page.headers)

    client.logout()
    services.maintenance_window_create(
        actor=None, starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=1)
    )
    refused = client.get(reverse("register_start"))
    assert refused.status_code == 503
    assert_csp(refused.headers, refused.content.decode())
    assert_other_headers(refused.headers)


# --- Live server ------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_live_server_sends_every_header(live_server, municipality):
    with urllib.request.urlopen(live_server.url + "/") as response:  # noqa: S310 (our server)
        html = response.read().decode()
        assert response.status == 200
        assert_csp(response.headers, html)
        assert_other_headers(response.headers)


# --- Production settings, over HTTPS ----------------------------------------------------------
PRODUCTION_PROBE = f"""
import json
import django
django.setup()
from django.core.management import call_command
from django.test import Client

call_command("migrate", verbosity=0)
from kosodate.accounts.models import User
User.objects.create_superuser("root", "root@example.jp", "Sora-iro-2026-kanri")

client = Client(HTTP_HOST="{HOST}")
plain = client.get("/accounts/login/")
page = client.get("/accounts/login/", secure=True)
signed_in = client.post(
    "/accounts/login/?next=/admin/",
    {{"login": "root@example.jp", "password": "Sora-iro-2026-kanri"}},
    secure=True,
)
switched = client.post("/i18n/setlang/", {{"language": "en", "next": "/"}}, secure=True)

def cookies(*responses):
    found = {{}}
    for response in responses:
        for name, morsel in response.cookies.items():
            found[name] = {{k: morsel[k] for k in ("secure", "httponly", "samesite", "path", "domain")}}
    return found

print(json.dumps({{
    "redirect": [plain.status_code, plain.get("Location", "")],
    "statuses": [page.status_code, signed_in.status_code, switched.status_code],
    "headers": dict(page.headers),
    "cookies": cookies(page, signed_in, switched),
}}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    # No collectstatic in a test: the manifest storage would refuse to render {% static %}.
    result = run(["-c", PRODUCTION_PROBE], production_env(tmp_path, STATIC_MANIFEST="0"))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_redirects_plain_http_to_https(production):
    status, location = production["redirect"]
    assert status == 301
    assert location == f"https://{HOST}/accounts/login/"


def test_production_sends_hsts_for_a_year_with_subdomains(production):
    assert production["statuses"] == [200, 302, 302]
    hsts = production["headers"]["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 31_536_000
    assert "includeSubDomains" in hsts
    assert_other_headers(production["headers"])
    csp = _csp(production["headers"]["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in production["headers"]["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("name", "httponly"),
    [("__Host-sessionid", True), ("__Host-csrftoken", False), ("__Host-language", True)],
)
def test_production_cookies_are_host_only_secure_and_lax(production, name, httponly):
    cookie = production["cookies"][name]
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"
    # The __Host- prefix is only accepted by browsers with Path=/ and no Domain.
    assert cookie["path"] == "/"
    assert cookie["domain"] == ""
    # Django leaves the CSRF cookie readable (CSRF_COOKIE_HTTPONLY off); the others are not.
    assert bool(cookie["httponly"]) is httponly


def test_production_uses_no_unprefixed_cookie(production):
    assert all(name.startswith("__Host-") for name in production["cookies"])
