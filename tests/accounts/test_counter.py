"""The counter (issue 3 items 12–14): finding a resident, the identity check that opens a pending
account, recovery (email change, a one-time reset link on paper, second-step reset) and unlock —
each with its audit entry, and only for municipal staff."""

from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kosodate.accounts.models import AccountLock, AuthEvent, IdentityCheck, User
from kosodate.core.models import AuditLog, OutboundMessage
from tests.factories import TEST_PASSWORD, ChildFactory, HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanako(resident):
    """A resident with a household, a child, a phone number and kana."""
    household = HouseholdFactory()
    resident.household = household
    resident.last_name_kana, resident.first_name_kana = "ヤマダ", "ハナコ"
    resident.phone = "+819012345678"
    resident.birth_date = "1990-04-01"
    resident.save()
    ChildFactory(
        household=household, first_name="さくら", first_name_kana="サクラ", birth_date="2022-05-05"
    )
    return resident


@pytest.fixture
def staff_client(client, municipal_staff):
    client.force_login(municipal_staff)
    return client


def record_recovery_check(resident, staff, *, when=None):
    return IdentityCheck.objects.create(
        user=resident,
        method=IdentityCheck.Method.MYNUMBER_CARD,
        purpose=IdentityCheck.Purpose.RECOVERY,
        checked_by=staff,
        checked_at=when or timezone.now(),
    )


def staff_urls(pk):
    return [
        ("get", reverse("staff_accounts_search")),
        ("get", reverse("staff_accounts_detail", args=[pk])),
        ("get", reverse("staff_accounts_identity_check", args=[pk])),
        ("post", reverse("staff_accounts_identity_check", args=[pk])),
        ("get", reverse("staff_accounts_email_change", args=[pk])),
        ("post", reverse("staff_accounts_email_change", args=[pk])),
        ("get", reverse("staff_accounts_reset_link", args=[pk])),
        ("post", reverse("staff_accounts_reset_link", args=[pk])),
        ("get", reverse("staff_accounts_second_step_reset", args=[pk])),
        ("post", reverse("staff_accounts_second_step_reset", args=[pk])),
        ("post", reverse("staff_accounts_unlock", args=[pk])),
    ]


# --- Who may use the counter pages ------------------------------------------------------------
def test_only_municipal_staff_may_use_the_counter(
    client, hanako, other_resident, facility_staff, municipal_staff, admin_user
):
    for method, url in staff_urls(hanako.pk):
        client.logout()
        assert getattr(client, method)(url).status_code == 302  # to the sign-in page
        for person in (hanako, other_resident, facility_staff):
            client.force_login(person)
            response = getattr(client, method)(url, {"method": "other", "purpose": "recovery"})
            assert response.status_code == 403, (person, method, url)
    assert not IdentityCheck.objects.exists()
    assert not AuditLog.objects.exists()
    for person in (municipal_staff, admin_user):
        client.force_login(person)
        assert client.get(reverse("staff_accounts_detail", args=[hanako.pk])).status_code == 200


def test_staff_accounts_are_not_managed_at_the_counter(staff_client, facility_staff):
    url = reverse("staff_accounts_detail", args=[facility_staff.pk])
    assert staff_client.get(url).status_code == 404


def test_counter_pages_never_show_or_ask_for_a_password(staff_client, hanako, municipal_staff):
    record_recovery_check(hanako, municipal_staff)
    for method, url in staff_urls(hanako.pk):
        if method == "get":
            page = staff_client.get(url).content.decode()
            assert 'type="password"' not in page
            assert "password1" not in page


# --- Finding a resident -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        {"name": "やまだ　はな"},  # hiragana, full-width space: finds the katakana
        {"name": "山田花子"},
        {"name": "ｻｸﾗ"},  # the child's name, half-width katakana
        {"birth_date": "2022-05-05"},  # the child's birth date
        {"birth_date": "１９９０／４／１"},  # the guardian's
        {"phone": "０９０－１２３４－５６７８"},
        {"email": "HANAKO@example.jp"},
    ],
)
def test_search_finds_the_resident(staff_client, hanako, other_resident, query):
    hanako.first_name, hanako.last_name = "花子", "山田"
    hanako.save()
    response = staff_client.get(reverse("staff_accounts_search"), query)
    assert response.status_code == 200
    assert response.context["results"] == [hanako]


def test_search_by_member_number(staff_client, hanako):
    response = staff_client.get(reverse("staff_accounts_search"), {"member_number": " user0 "})
    assert hanako.username == "user0" or response.context["results"] == []
    response = staff_client.get(
        reverse("staff_accounts_search"), {"member_number": hanako.username}
    )
    assert response.context["results"] == [hanako]


def test_empty_search_asks_for_something(staff_client, hanako):
    response = staff_client.get(reverse("staff_accounts_search"), {"name": ""})
    assert response.context["results"] is None
    assert response.context["form"].non_field_errors()


def test_search_does_not_list_staff_and_does_not_grow_with_results(
    staff_client, hanako, municipal_staff
):
    for _n in range(5):
        person = UserFactory(last_name="山田", household=HouseholdFactory())
        ChildFactory(household=person.household)
    url = reverse("staff_accounts_search")
    staff_client.get(url, {"name": "山田"})  # warm up: session and sessions-list rows
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url, {"name": "山田"})
    for _n in range(5):
        person = UserFactory(last_name="山田", household=HouseholdFactory())
        ChildFactory(household=person.household)
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(url, {"name": "山田"})
    assert len(response.context["results"]) == 11
    assert len(many) == len(few), [q["sql"][:150] for q in many.captured_queries]
    municipal_staff.last_name = "山田"
    municipal_staff.save()
    assert municipal_staff not in staff_client.get(url, {"name": "山田"}).context["results"]


# --- Looking at a resident --------------------------------------------------------------------
def test_opening_a_record_is_audit_logged(staff_client, hanako, municipal_staff):
    response = staff_client.get(reverse("staff_accounts_detail", args=[hanako.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    entry = AuditLog.objects.get(action="resident.view")
    assert entry.actor == municipal_staff and entry.subject_user == hanako
    assert entry.ip_address == "127.0.0.1"


# --- Identity check (item 12) -----------------------------------------------------------------
def test_identity_check_opens_a_pending_account(staff_client, hanako, municipal_staff):
    hanako.identity_status = User.IdentityStatus.PENDING
    hanako.save()
    url = reverse("staff_accounts_identity_check", args=[hanako.pk])
    assert staff_client.get(url).context["form"].initial["purpose"] == "activation"
    response = staff_client.post(url, {"method": "drivers_license", "purpose": "activation"})
    assert response.status_code == 302
    hanako.refresh_from_db()
    assert hanako.identity_status == User.IdentityStatus.VERIFIED
    check = IdentityCheck.objects.get(user=hanako)
    assert (check.method, check.checked_by) == ("drivers_license", municipal_staff)
    entry = AuditLog.objects.get(action="identity_check.record")
    assert entry.actor == municipal_staff and entry.subject_user == hanako
    assert entry.detail == {"method": "drivers_license", "purpose": "activation", "activated": True}
    mail = OutboundMessage.objects.get(kind="identity_verified")
    assert mail.recipient == hanako.email and "本人確認" in mail.subject


@pytest.mark.parametrize(
    "note",
    ["1234 5678 9018", "１２３４５６７８９０１８", "免許 123456789012", "住民票 12345678901"],
)
def test_identity_check_never_records_a_card_number(staff_client, hanako, note):
    url = reverse("staff_accounts_identity_check", args=[hanako.pk])
    response = staff_client.post(
        url, {"method": "other", "purpose": "recovery", "method_note": note}
    )
    assert response.status_code == 200
    assert "番号は記録しないでください" in str(response.context["form"].errors["method_note"])
    assert not IdentityCheck.objects.exists()


def test_identity_check_note_may_name_the_document(staff_client, hanako):
    url = reverse("staff_accounts_identity_check", args=[hanako.pk])
    response = staff_client.post(url, {"method": "other", "purpose": "recovery"})
    assert "method_note" in response.context["form"].errors  # "other" needs the document's name
    response = staff_client.post(
        url, {"method": "other", "purpose": "recovery", "method_note": "在留カード 2026-04-01"}
    )
    assert response.status_code == 302
    assert IdentityCheck.objects.get().method_note == "在留カード 2026-04-01"


def test_identity_check_service_refuses_a_card_number_too(hanako, municipal_staff):
    from django.core.exceptions import ValidationError

    from kosodate.accounts.services import identity_check_record

    with pytest.raises(ValidationError):
        identity_check_record(
            staff=municipal_staff,
            resident=hanako,
            method="other",
            purpose="recovery",
            note="123456789018",
        )


# --- Recovery (item 13) -----------------------------------------------------------------------
RECOVERY_URLS = (
    "staff_accounts_email_change",
    "staff_accounts_reset_link",
    "staff_accounts_second_step_reset",
)


def test_recovery_needs_an_identity_check_for_recovery_today(staff_client, hanako, municipal_staff):
    IdentityCheck.objects.create(
        user=hanako, method="mynumber_card", purpose="activation", checked_by=municipal_staff
    )
    record_recovery_check(hanako, municipal_staff, when=timezone.now() - timedelta(days=1))
    for name in RECOVERY_URLS:
        url = reverse(name, args=[hanako.pk])
        for response in (staff_client.get(url), staff_client.post(url, {"email": "a@b.jp"})):
            assert response.status_code == 302
            assert response.url == reverse("staff_accounts_identity_check", args=[hanako.pk])
    assert not AuditLog.objects.filter(action__startswith="recovery.").exists()
    assert not EmailAddress.objects.filter(email="a@b.jp").exists()


def test_counter_email_change_sends_a_link_and_waits_for_it(staff_client, hanako, municipal_staff):
    record_recovery_check(hanako, municipal_staff)
    url = reverse("staff_accounts_email_change", args=[hanako.pk])
    response = staff_client.post(url, {"email": "Ｈａｎａｋｏ.new@example.jp"})
    assert response.status_code == 302
    new = EmailAddress.objects.get(user=hanako, email="hanako.new@example.jp")
    assert not new.verified
    hanako.refresh_from_db()
    assert hanako.email == "hanako@example.jp"  # until the resident opens the link
    assert OutboundMessage.objects.filter(recipient="hanako.new@example.jp").exists()
    entry = AuditLog.objects.get(action="recovery.email_change")
    assert entry.actor == municipal_staff and entry.subject_user == hanako
    assert entry.detail == {"new_email": "hanako.new@example.jp"}


def test_counter_email_change_refuses_an_address_in_use(
    staff_client, hanako, other_resident, municipal_staff
):
    record_recovery_check(hanako, municipal_staff)
    url = reverse("staff_accounts_email_change", args=[hanako.pk])
    response = staff_client.post(url, {"email": other_resident.email})
    assert response.status_code == 200
    assert "別のアカウント" in str(response.context["form"].errors["email"])
    assert not AuditLog.objects.filter(action="recovery.email_change").exists()


def test_reset_link_on_paper_lets_the_resident_choose_a_password_once(
    staff_client, hanako, municipal_staff
):
    client = Client()  # the resident's own browser
    record_recovery_check(hanako, municipal_staff)
    url = reverse("staff_accounts_reset_link", args=[hanako.pk])
    assert 'type="password"' not in staff_client.get(url).content.decode()
    response = staff_client.post(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    link = response.context["url"]
    assert link.startswith("http://127.0.0.1:8000/accounts/password/reset/key/")
    page = response.content.decode()
    assert link in page and 'src="data:image/svg+xml' in page  # the QR code
    entry = AuditLog.objects.get(action="recovery.reset_link_issue")
    assert entry.actor == municipal_staff and entry.subject_user == hanako
    assert link.rsplit("/", 2)[-2] not in str(entry.detail)  # the key is not logged

    path = link.removeprefix("http://127.0.0.1:8000")
    response = client.get(path)
    assert response.status_code == 302  # allauth moves the key into the session
    form_url = response.url
    new = "Himawari-2027-kodomo"
    response = client.post(form_url, {"password1": new, "password2": new})
    assert response.status_code == 302
    hanako.refresh_from_db()
    assert hanako.check_password(new)
    # Single use: the link is void once the password changed.
    client.logout()
    response = client.get(path, follow=True)
    assert response.context["token_fail"]


def test_reset_link_expires_after_60_minutes(staff_client, hanako, municipal_staff):
    client = Client()
    record_recovery_check(hanako, municipal_staff)
    link = staff_client.post(reverse("staff_accounts_reset_link", args=[hanako.pk])).context["url"]
    path = link.removeprefix("http://127.0.0.1:8000")
    with time_machine.travel(timedelta(minutes=59)):
        response = Client().get(path, follow=True)
    assert 'name="password1"' in response.content.decode()  # still good at 59 minutes
    with time_machine.travel(timedelta(minutes=61)):
        response = client.get(path, follow=True)
    assert response.context["token_fail"]
    hanako.refresh_from_db()
    assert hanako.check_password(TEST_PASSWORD)


def test_second_step_reset_removes_every_method(staff_client, hanako, municipal_staff):
    Authenticator.objects.create(user=hanako, type=Authenticator.Type.TOTP, data={"secret": "x"})
    Authenticator.objects.create(
        user=hanako, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "y"}
    )
    other = UserFactory()
    Authenticator.objects.create(user=other, type=Authenticator.Type.TOTP, data={"secret": "z"})
    record_recovery_check(hanako, municipal_staff)
    url = reverse("staff_accounts_second_step_reset", args=[hanako.pk])
    assert staff_client.get(url).status_code == 200
    assert Authenticator.objects.filter(user=hanako).count() == 2  # looking removes nothing
    response = staff_client.post(url)
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=hanako).exists()
    assert Authenticator.objects.filter(user=other).exists()
    event = AuthEvent.objects.get(user=hanako, kind=AuthEvent.Kind.MFA_REMOVED)
    assert event.detail["by"] == "counter"
    entry = AuditLog.objects.get(action="recovery.second_step_reset")
    assert entry.actor == municipal_staff and entry.detail == {"types": ["recovery_codes", "totp"]}
    assert OutboundMessage.objects.filter(kind="second_step_reset", recipient=hanako.email).exists()


# --- Unlock (item 14) -------------------------------------------------------------------------
def test_unlock_a_locked_account(staff_client, hanako, municipal_staff):
    client = Client()
    AccountLock.objects.create(
        user=hanako, failed_count=5, locked_until=timezone.now() + timedelta(minutes=25)
    )
    detail = staff_client.get(reverse("staff_accounts_detail", args=[hanako.pk])).content.decode()
    assert reverse("staff_accounts_unlock", args=[hanako.pk]) in detail
    response = staff_client.post(reverse("staff_accounts_unlock", args=[hanako.pk]))
    assert response.status_code == 302
    lock = AccountLock.objects.get(user=hanako)
    assert lock.failed_count == 0 and lock.locked_until is None
    event = AuthEvent.objects.get(user=hanako, kind=AuthEvent.Kind.UNLOCKED)
    assert event.detail == {"by": "staff"}
    entry = AuditLog.objects.get(action="account.unlock")
    assert entry.actor == municipal_staff and entry.subject_user == hanako
    # The resident can sign in at once.
    response = client.post(
        reverse("account_login"), {"login": hanako.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("mypage")).status_code == 200


def test_unlock_when_not_locked_changes_and_logs_nothing(staff_client, hanako):
    AccountLock.objects.create(
        user=hanako, failed_count=5, locked_until=timezone.now() - timedelta(minutes=1)
    )
    response = staff_client.post(reverse("staff_accounts_unlock", args=[hanako.pk]), follow=True)
    assert response.status_code == 200
    assert not AuditLog.objects.filter(action="account.unlock").exists()
    assert not AuthEvent.objects.filter(kind=AuthEvent.Kind.UNLOCKED).exists()


def test_unlock_needs_post(staff_client, hanako):
    assert staff_client.get(reverse("staff_accounts_unlock", args=[hanako.pk])).status_code == 405


# --- The audit log itself ---------------------------------------------------------------------
def test_staff_cannot_edit_the_audit_log(rf, municipal_staff, admin_user):
    from django.contrib import admin

    model_admin = admin.site._registry[AuditLog]
    for person in (municipal_staff, admin_user):
        request = rf.get("/")
        request.user = person
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert not model_admin.has_add_permission(request)


def test_admin_shows_households_read_only_and_logs_each_look(client, admin_user, hanako):
    client.force_login(admin_user)
    household = hanako.household
    response = client.get(reverse("admin:accounts_household_change", args=[household.pk]))
    assert response.status_code == 200
    assert 'name="street"' not in response.content.decode()  # read-only
    entry = AuditLog.objects.get(action="admin.view")
    assert entry.actor == admin_user and entry.target_id == str(household.pk)
    assert client.get(reverse("admin:accounts_household_add")).status_code == 403
    for model in ("identitycheck", "accountlock", "authevent", "child"):
        assert client.get(reverse(f"admin:accounts_{model}_add")).status_code == 403
