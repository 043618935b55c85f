"""Links and codes that open an account never stay readable in the outbox: the kept body has
them redacted from the start, the deliverable text is sealed (encrypted) until delivery and then
dropped; the admin shows the redacted body (issue 10.6)."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from kosodate.accounts import services as account_services
from kosodate.accounts.models import SecondStepMethod
from kosodate.core import services, sms
from kosodate.core.models import OutboundMessage
from tests.accounts.signin_support import RESET_URL
from tests.worker import run_worker

pytestmark = pytest.mark.django_db


def _stored_text() -> str:
    """Every column of every outbox row as the database holds it (no model decryption)."""
    table = OutboundMessage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (our own table name)
        return "\n".join(str(value) for row in cursor.fetchall() for value in row)


def test_a_delivered_reset_link_cannot_be_read_back_from_the_database(
    client, resident, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(RESET_URL, {"email": resident.email}).status_code == 302
    run_worker()
    [sent] = [m for m in mailoutbox if resident.email in m.to]
    link = re.search(r"https?://\S+/accounts/password/reset/key/(\S+)/", sent.body)
    assert link, sent.body  # the resident got a working link…
    key = link.group(1)
    assert key.split("-", 1)[1] not in _stored_text()  # …and the database kept no copy of it
    message = OutboundMessage.objects.get(kind="password_reset_key")
    assert message.status == OutboundMessage.Status.SENT
    assert message.redacted and message.sealed_body == ""
    assert services.MESSAGE_REDACTED in message.body
    # The envelope stays: who, what kind, when.
    assert message.recipient == resident.email and message.sent_at
    # The link still works: redaction touched the copy, not the email.
    path = link.group(0).split("testserver", 1)[-1]
    assert Client().get(path).status_code in (200, 302)


def test_a_sign_in_code_is_never_readable_even_before_delivery(
    resident, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "kosodate.core.sms.LocmemBackend"
    sms.outbox.clear()
    SecondStepMethod.objects.create(user=resident, kind="sms", phone="+819012345678")
    with django_capture_on_commit_callbacks(execute=True):
        account_services.second_step_code_send(
            user=resident, kind="sms", purpose="signin", attempt="a1"
        )
    message = OutboundMessage.objects.get(channel="sms")
    [code] = re.findall(r"\b\d{6}\b", message.sealed_body)[:1]
    stored = _stored_text()
    assert code not in stored  # redacted in the body, encrypted in the sealed copy
    assert services.MESSAGE_REDACTED in message.body
    run_worker()
    assert [m.body for m in sms.outbox] == [message.deliverable_body]
    assert code in sms.outbox[0].body
    message.refresh_from_db()
    assert message.sealed_body == "" and code not in _stored_text()
    sms.outbox.clear()


def test_the_admin_shows_the_redacted_body(client, admin_user, resident):
    client.post(RESET_URL, {"email": resident.email})
    message = OutboundMessage.objects.get(kind="password_reset_key")
    key_link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", message.sealed_body)
    client.force_login(admin_user)
    page = client.get(reverse("admin:core_outboundmessage_change", args=[message.pk]))
    assert page.status_code == 200
    assert services.MESSAGE_REDACTED in page.text
    assert key_link.group(0) not in page.text


def test_an_ordinary_message_is_kept_as_it_is(municipality):
    message = services.message_email_send(to="a@example.jp", subject="お知らせ", body="本文")
    assert not message.redacted and message.sealed_body == "" and "本文" in message.body


def test_the_dev_outbox_shows_the_delivered_link_only_with_debug(
    client, resident, settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    settings.DEV_OUTBOX_KEEPS_SECRETS = True
    with django_capture_on_commit_callbacks(execute=True):
        client.post(RESET_URL, {"email": resident.email})
    run_worker()
    assert OutboundMessage.objects.get(kind="password_reset_key").status == "sent"
    message = OutboundMessage.objects.get(kind="password_reset_key")
    page = client.get(reverse("dev_outbox_detail", args=[message.pk]))
    assert "/accounts/password/reset/key/" in page.text  # a developer can follow it
    assert services.MESSAGE_REDACTED in message.body  # the kept body is redacted all the same
    assert message.sealed_body not in _stored_text()  # and the sealed copy is encrypted
