"""The account emails (issue 3, item 9): verification, reset, lock notice, password changed, email
changed. Each is Japanese with English below, says the official site never asks for a password by
email, names the official address, carries no tracking, and goes through the outbox and the
worker like every other message."""

import re

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.conf import settings
from django.test import Client
from django.urls import reverse

from kosodate.accounts import services
from kosodate.core.models import OutboundMessage
from tests.factories import TEST_PASSWORD, UserFactory
from tests.worker import run_worker

from .signin_support import RESET_URL, emails, sign_in

pytestmark = pytest.mark.django_db

HIRAGANA = re.compile(r"[ぁ-ゖ]")


def _trigger_verification(client, municipality):
    user = UserFactory(email="new@example.jp", verified_email=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    sign_in(client, user.email, TEST_PASSWORD)  # unverified: allauth sends the link instead
    return user.email, "email_confirmation"


def _trigger_reset(client, resident):
    client.post(RESET_URL, {"email": resident.email})
    return resident.email, "password_reset_key"


def _trigger_lock(client, resident):
    for _attempt in range(5):
        services.login_failure_register(user=resident)
    return resident.email, "account_locked"


def _trigger_password_changed(client, resident):
    sign_in(client, resident.email, TEST_PASSWORD)
    client.post(
        reverse("account_change_password"),
        {
            "oldpassword": TEST_PASSWORD,
            "password1": "Hinata-2026-kaede",
            "password2": "Hinata-2026-kaede",
        },
    )
    return resident.email, "password_changed"


def _trigger_email_changed(client, resident):
    sign_in(client, resident.email, TEST_PASSWORD)
    new = EmailAddress.objects.create(user=resident, email="hanako.new@example.jp", verified=False)
    client.post(reverse("account_confirm_email", args=[EmailConfirmationHMAC(new).key]))
    # The notice goes to the old address (the new one was just confirmed by its owner).
    return resident.email, "email_changed"


TRIGGERS = {
    "verification": _trigger_verification,
    "reset": _trigger_reset,
    "lock notice": _trigger_lock,
    "password changed": _trigger_password_changed,
    "email changed": _trigger_email_changed,
}


@pytest.mark.parametrize("what", TRIGGERS)
def test_account_email(
    what, municipality, resident, mailoutbox, django_capture_on_commit_callbacks
):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        if what == "verification":
            to, kind = TRIGGERS[what](client, municipality)
        else:
            to, kind = TRIGGERS[what](client, resident)
    matching = emails(to=to, kind=kind)
    assert len(matching) == 1, [(m.kind, m.recipient) for m in emails()]
    message = matching[0]
    # What the recipient gets (a link or code in it is kept only sealed: test_outbox_secrets.py).
    text = message.deliverable_body

    # Japanese first, English below, then the standard footer.
    body, _sep, footer = text.partition("\n-- \n")
    japanese, _sep, english = body.partition("\n----------\n")
    assert HIRAGANA.search(japanese), japanese
    # The recipient's name is theirs (Faker may give a hiragana one): the words around it are English.
    english_words = re.sub(r"(?m)^Dear .*$", "", english)
    assert english.strip() and not HIRAGANA.search(english_words), english
    subject_ja, _sep, subject_en = message.subject.partition(" / ")
    assert HIRAGANA.search(subject_ja) or re.search(r"[一-龯ァ-ヶ]", subject_ja)
    assert re.fullmatch(r"[ -~]+", subject_en), subject_en

    # The phishing warning and the official address to type in, in both languages.
    assert settings.SITE_URL in footer
    assert "We never ask for your password" in footer
    assert "パスワード" in footer

    # Plain text, no tracking: no HTML, no images, no query strings or redirectors on links.
    assert "<" not in text
    for url in re.findall(r"https?://\S+", text):
        assert "?" not in url and "utm_" not in url, url
        # The official address, or the host the request came to (allauth's links; ALLOWED_HOSTS).
        assert url.startswith((settings.SITE_URL, "https://testserver/")), url
    # Never a password.
    assert TEST_PASSWORD not in text and "Hinata-2026-kaede" not in text

    # Delivered by the worker, after the request's transaction committed.
    run_worker()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    [sent] = [m for m in mailoutbox if m.subject == message.subject]
    assert sent.to == [to]
    assert sent.body == text


def test_notices_say_when_and_from_where(client, resident):
    sign_in(client, resident.email, TEST_PASSWORD, HTTP_USER_AGENT="TestBrowser/1.0")
    client.post(
        reverse("account_change_password"),
        {
            "oldpassword": TEST_PASSWORD,
            "password1": "Hinata-2026-kaede",
            "password2": "Hinata-2026-kaede",
        },
        HTTP_USER_AGENT="TestBrowser/1.0",
    )
    [notice] = emails(kind="password_changed")
    assert "127.0.0.1" in notice.body
    assert "TestBrowser/1.0" in notice.body
    assert "/accounts/password/reset/" in notice.body  # what to do if it was not you


def test_emails_greet_the_person_by_name(client, resident):
    client.post(RESET_URL, {"email": resident.email})
    [mail] = emails(kind="password_reset_key")
    assert "山田 花子 様" in mail.body
    assert "Dear 山田 花子," in mail.body
