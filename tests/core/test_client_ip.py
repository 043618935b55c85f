"""Logs record the client, not the proxy: one helper (kosodate/core/client_ip.py) with the rate
limits' trusted-proxy rule (issue 10.10)."""

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from kosodate.accounts.models import AuthEvent, TermsAcceptance
from kosodate.core import audit
from kosodate.core.client_ip import client_ip
from kosodate.core.models import AuditLog
from tests.accounts.signin_support import emails, sign_in, terms_create
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
CLIENT = "203.0.113.7"
FORGED = "198.51.100.9"  # what the client itself put in front of the header


def _behind_the_load_balancer(**extra) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT}", **extra)


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_the_helper_takes_the_address_the_trusted_proxy_saw():
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT}"
    )
    assert client_ip(request) == CLIENT


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=0)
def test_without_a_trusted_proxy_the_header_is_ignored():
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT)
    assert client_ip(request) == PROXY
    assert client_ip(None) is None


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=2)
def test_a_request_that_bypassed_the_proxies_is_logged_from_its_peer():
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT)
    assert client_ip(request) == PROXY


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_auth_event_log_records_the_client(resident):
    sign_in(_behind_the_load_balancer(), resident.email, "wrong-password-1")
    event = AuthEvent.objects.get(kind=AuthEvent.Kind.LOGIN_FAILURE)
    assert event.ip_address == CLIENT


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_audit_log_records_the_client(municipal_staff):
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT}"
    )
    audit.log(municipal_staff, "resident.view", request=request)
    assert AuditLog.objects.get(action="resident.view").ip_address == CLIENT


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_terms_acceptance_records_the_client(resident):
    terms = terms_create()
    client = _behind_the_load_balancer()
    assert sign_in(client, resident.email, TEST_PASSWORD)["Location"] == reverse("signin_terms")
    client.post(reverse("signin_terms"), {"terms-terms_version": terms.pk, "terms-accept": "on"})
    assert TermsAcceptance.objects.get(user=resident).ip_address == CLIENT


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_new_device_email_names_the_client(resident):
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    chrome = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0 Safari/537.36"
    )
    sign_in(_behind_the_load_balancer(), resident.email, TEST_PASSWORD, HTTP_USER_AGENT=firefox)
    sign_in(_behind_the_load_balancer(), resident.email, TEST_PASSWORD, HTTP_USER_AGENT=chrome)
    [email] = emails(to=resident.email, kind="new_device_signin")
    assert CLIENT in email.body
    assert PROXY not in email.body and FORGED not in email.body
