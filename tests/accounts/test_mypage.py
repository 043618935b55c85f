"""My Page (issue 3 items 4, 7, 11): the main menu, registration details, children, email, phone,
password, data download and account deletion, at the HTTP level with the personas."""

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kosodate.accounts.models import AuthEvent, Child, Household, User
from kosodate.core.models import AuditLog, OutboundMessage
from kosodate.core.services import municipality_save
from tests.factories import (
    TEST_PASSWORD,
    AnnouncementFactory,
    ChildFactory,
    HouseholdFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def reauthenticate(client, password=TEST_PASSWORD):
    """allauth asks for the password again before sensitive changes (SECURITY.md 7.5.1)."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


@pytest.fixture
def household_and_child(resident):
    """(household, child): the resident's household with kana names and one child, さくら."""
    household = HouseholdFactory()
    resident.household = household
    resident.last_name_kana, resident.first_name_kana = "ヤマダ", "ハナコ"
    resident.save()
    child = ChildFactory(household=household, first_name="さくら", first_name_kana="サクラ")
    return household, child


@pytest.fixture
def signed_in(client, resident, household_and_child):
    client.force_login(resident)
    return client


# --- The main menu ----------------------------------------------------------------------------
def test_mypage_needs_sign_in(client, municipality):
    response = client.get(reverse("mypage"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_sign_in_lands_on_mypage():
    assert reverse(settings.LOGIN_REDIRECT_URL) == "/mypage/"


def test_mypage_shows_member_number_children_bookings_notices_and_settings(
    signed_in, resident, household_and_child
):
    AnnouncementFactory(title="夏のイベントのお知らせ")
    response = signed_in.get(reverse("mypage"))
    page = response.content.decode()
    assert response.status_code == 200
    assert resident.member_number in page
    assert "山田 さくら" in page
    assert reverse("mypage_child_edit", args=[household_and_child[1].pk]) in page
    assert "これからの予約はありません" in page  # no fake bookings
    assert "夏のイベントのお知らせ" in page
    for name in ("mypage_details", "mypage_email", "mypage_phone", "account_change_password"):
        assert reverse(name) in page
    assert reverse("mypage_data") in page and reverse("mypage_delete") in page


def test_mypage_in_english(signed_in):
    response = signed_in.get(reverse("mypage"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "My Page" in page and "You have no upcoming bookings." in page


def test_staff_on_mypage_go_to_the_back_office(client, municipal_staff, facility_staff):
    for person in (municipal_staff, facility_staff):
        client.force_login(person)
        response = client.get(reverse("mypage"))
        assert response.status_code == 302
        assert response.url == reverse("backoffice:dashboard")


def test_identity_pending_banner_says_where_to_go(signed_in, resident, municipality):
    resident.identity_status = User.IdentityStatus.PENDING
    resident.save()
    municipality.identity_check_instructions = "マイナンバーカードをお持ちください。"
    municipality.save()
    page = signed_in.get(reverse("mypage")).content.decode()
    assert "窓口での本人確認" in page
    assert "マイナンバーカードをお持ちください。" in page
    assert municipality.counter_hours in page


def test_pending_email_change_is_shown(signed_in, resident):
    EmailAddress.objects.create(user=resident, email="new@example.jp", verified=False)
    page = signed_in.get(reverse("mypage")).content.decode()
    assert "new@example.jp" in page


# --- Keeping things current (item 11) ---------------------------------------------------------
def test_yearly_prompt_appears_after_a_year_and_confirming_records_it(signed_in, resident):
    assert "登録内容に変わりはありませんか" not in signed_in.get(reverse("mypage")).content.decode()

    resident.details_confirmed_at = timezone.now() - timedelta(days=366)
    resident.save()
    page = signed_in.get(reverse("mypage")).content.decode()
    assert "登録内容に変わりはありませんか" in page
    assert "千代田区" in page  # the address to check is shown with the question

    response = signed_in.post(reverse("mypage_details_confirm"))
    assert response.status_code == 302
    resident.refresh_from_db()
    assert timezone.now() - resident.details_confirmed_at < timedelta(minutes=1)
    assert "登録内容に変わりはありませんか" not in signed_in.get(reverse("mypage")).content.decode()


def test_yearly_prompt_counts_from_registration_when_never_confirmed(signed_in, resident):
    resident.date_joined = timezone.now() - timedelta(days=400)
    resident.details_confirmed_at = None
    resident.save()
    assert "登録内容に変わりはありませんか" in signed_in.get(reverse("mypage")).content.decode()


def test_confirm_needs_post(signed_in):
    assert signed_in.get(reverse("mypage_details_confirm")).status_code == 405


def test_password_reminder_is_off_by_default_and_never_forced(signed_in, resident, municipality):
    resident.password_changed_at = timezone.now() - timedelta(days=1000)
    resident.save()
    reminder = "パスワードを変更していません"
    assert municipality.password_change_reminder_days == 0
    assert reminder not in signed_in.get(reverse("mypage")).content.decode()

    municipality.password_change_reminder_days = 180
    municipality_save(municipality=municipality, actor=None)  # also drops the cached copy
    response = signed_in.get(reverse("mypage"))
    assert response.status_code == 200  # a notice on the page, not a redirect
    assert reminder in response.content.decode()

    resident.password_changed_at = timezone.now() - timedelta(days=10)
    resident.save()
    assert reminder not in signed_in.get(reverse("mypage")).content.decode()


# --- Guardian details -------------------------------------------------------------------------
DETAILS = {
    "last_name": "山田",
    "first_name": "花子",
    "birth_date": "１９９０年４月１日",
    "last_name_kana": "やまだ",  # hiragana is accepted and stored as katakana
    "first_name_kana": "ﾊﾅｺ",  # so is half-width katakana
    "postal_code": "〒１００－０００５",  # full-width, with 〒 and a full-width hyphen
    "town": "",
    "street": "１－９－１　こもれびハイツ１０１",
}


def test_details_page_shows_what_is_registered(signed_in, resident, household_and_child):
    page = signed_in.get(reverse("mypage_details")).content.decode()
    assert resident.member_number in page and "ヤマダ ハナコ" in page
    assert "〒100-0001" in page and "山田 さくら" in page


def test_edit_details_normalises_and_fills_the_address_from_the_postal_code(
    signed_in, resident, household_and_child
):
    response = signed_in.post(reverse("mypage_details_edit"), DETAILS)
    assert response.status_code == 302, response.content.decode()
    resident.refresh_from_db()
    household = resident.household
    assert (resident.last_name_kana, resident.first_name_kana) == ("ヤマダ", "ハナコ")
    assert household.postal_code == "1000005"
    assert (household.prefecture, household.city, household.town) == (
        "東京都",
        "千代田区",
        "丸の内",
    )
    assert household.street == "1-9-1 こもれびハイツ101"
    assert resident.details_confirmed_at is not None  # editing counts as confirming
    entry = AuditLog.objects.get(action="account.details_update")
    assert entry.subject_user == resident
    assert {"postal_code", "town", "street"} <= set(entry.detail["fields"])


def test_a_new_postal_code_replaces_the_old_town_unless_one_was_typed(
    signed_in, resident, household_and_child
):
    edit = {**DETAILS, "postal_code": "100-0005", "town": "千代田"}  # the old town, left as it was
    assert signed_in.post(reverse("mypage_details_edit"), edit).status_code == 302
    resident.refresh_from_db()
    assert resident.household.town == "丸の内"
    edit = {**DETAILS, "postal_code": "100-0005", "town": "丸の内二丁目"}
    assert signed_in.post(reverse("mypage_details_edit"), edit).status_code == 302
    resident.refresh_from_db()
    assert resident.household.town == "丸の内二丁目"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"postal_code": "530-0001"}, "postal_code", "こもれび市の外"),  # Osaka
        ({"birth_date": "2020-01-01"}, "birth_date", ""),  # a guardian aged 6
        ({"postal_code": "123"}, "postal_code", ""),
        ({"postal_code": "0000000"}, "postal_code", ""),
        ({"last_name_kana": "yamada"}, "last_name_kana", ""),
        ({"first_name": "花子2"}, "first_name", ""),
        ({"street": "あ" * 201}, "street", ""),
    ],
)
def test_bad_details_are_refused_with_a_message_and_kept(
    signed_in, resident, household_and_child, changes, field, message
):
    response = signed_in.post(reverse("mypage_details_edit"), {**DETAILS, **changes})
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    if message:
        assert message in str(form.errors[field])
    page = response.content.decode()
    typed = changes[field]
    assert f'value="{typed}"' in page  # what was typed is kept
    resident.refresh_from_db()
    assert resident.household.postal_code == "1000001"


def test_residence_code_is_stored_never_shown_and_a_my_number_refused(
    signed_in, resident, household_and_child, municipality
):
    municipality.ask_residence_code = True
    municipality_save(municipality=municipality, actor=None)
    url = reverse("mypage_details_edit")
    response = signed_in.post(url, {**DETAILS, "residence_code": "1234 5678 9018"})  # 12 digits
    assert "residence_code" in response.context["form"].errors
    assert "123456789018" not in response.content.decode().replace(" ", "")
    assert (
        signed_in.post(url, {**DETAILS, "residence_code": "１２３４５６７８９０１"}).status_code
        == 302
    )
    household = Household.objects.get(pk=household_and_child[0].pk)
    assert household.residence_code == "12345678901"
    assert signed_in.post(url, {**DETAILS, "residence_code": ""}).status_code == 302
    assert (
        Household.objects.get(pk=household_and_child[0].pk).residence_code == "12345678901"
    )  # kept
    for page_url in (url, reverse("mypage_details")):
        assert "12345678901" not in signed_in.get(page_url).content.decode()
    entry = AuditLog.objects.filter(action="account.details_update").first()
    assert "12345678901" not in str(entry.detail)


def test_a_child_cannot_be_older_than_the_guardian(signed_in, resident, household_and_child):
    resident.birth_date = date(2015, 1, 1)  # as recorded, even if mistyped
    resident.save()
    response = signed_in.post(reverse("mypage_child_add"), {**CHILD, "birth_date": "2014-06-01"})
    errors = response.context["form"].errors.as_data()["birth_date"]
    assert errors[0].code == "before_guardian"


def test_outside_address_allowed_when_the_municipality_allows_it(
    signed_in, resident, household_and_child, municipality
):
    municipality.allow_outside_residents = True
    municipality.save()
    response = signed_in.post(reverse("mypage_details_edit"), {**DETAILS, "postal_code": "5300001"})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.household.prefecture == "大阪府"


# --- Children ---------------------------------------------------------------------------------
CHILD = {
    "last_name": "山田",
    "first_name": "はると",
    "last_name_kana": "やまだ",
    "first_name_kana": "はると",
    "birth_date": "２０２３／４／１",
    "sex": "male",
    "allergies": "卵",
    "notes": "",
}


def test_add_a_child(signed_in, resident, household_and_child):
    response = signed_in.post(reverse("mypage_child_add"), CHILD)
    assert response.status_code == 302, response.content.decode()
    child = Child.objects.get(first_name="はると")
    assert child.household == household_and_child[0]
    assert child.first_name_kana == "ハルト"
    assert child.birth_date == date(2023, 4, 1)
    assert AuditLog.objects.filter(action="child.create", target_id=str(child.pk)).exists()


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [
        ((timezone.localdate() + timedelta(days=1)).isoformat(), "未来"),
        ("2001-01-01", "18歳"),
        ("2023-02-30", ""),
    ],
)
def test_impossible_birth_dates_are_refused(signed_in, household_and_child, birth_date, message):
    response = signed_in.post(reverse("mypage_child_add"), {**CHILD, "birth_date": birth_date})
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["birth_date"])  # "" for any message
    assert not Child.objects.filter(first_name="はると").exists()


def test_edit_a_child(signed_in, household_and_child):
    child = household_and_child[1]
    page = signed_in.get(reverse("mypage_child_edit", args=[child.pk])).content.decode()
    assert 'value="サクラ"' in page
    response = signed_in.post(
        reverse("mypage_child_edit", args=[child.pk]),
        {**CHILD, "first_name": "さくら", "first_name_kana": "さくら", "allergies": "小麦"},
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.allergies == "小麦" and child.first_name_kana == "サクラ"
    entry = AuditLog.objects.get(action="child.update")
    assert "allergies" in entry.detail["fields"]


def test_removing_a_child_asks_first(signed_in, household_and_child):
    child = household_and_child[1]
    url = reverse("mypage_child_remove", args=[child.pk])
    page = signed_in.get(url).content.decode()
    assert "山田 さくら" in page and 'method="post"' in page
    assert Child.objects.filter(pk=child.pk).exists()  # looking does not remove
    assert signed_in.post(url).status_code == 302
    assert not Child.objects.filter(pk=child.pk).exists()
    assert AuditLog.objects.filter(action="child.delete").exists()


# --- Email, phone, password -------------------------------------------------------------------
def test_change_email_asks_for_the_password_then_verifies_the_new_address(
    signed_in, resident, household_and_child
):
    url = reverse("mypage_email")
    response = signed_in.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))

    reauthenticate(signed_in)
    response = signed_in.post(url, {"email": "ｈａｎａｋｏ２＠example.jp", "action_add": ""})
    assert response.status_code == 302
    new = EmailAddress.objects.get(user=resident, email="hanako2@example.jp")
    assert not new.verified
    resident.refresh_from_db()
    assert resident.email == "hanako@example.jp"  # unchanged until verified
    link_mail = OutboundMessage.objects.get(recipient="hanako2@example.jp")

    # The key is signed with a timestamp, so it is read from the email, not computed again (a
    # second ticking between the two made them differ on a busy machine).
    key = re.search(r"/confirm-email/([^/\s]+)/", link_mail.deliverable_body).group(1)
    assert EmailConfirmationHMAC.from_key(key).email_address == new
    response = signed_in.post(reverse("account_confirm_email", args=[key]))
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.email == "hanako2@example.jp"
    assert list(EmailAddress.objects.filter(user=resident).values_list("email", flat=True)) == [
        "hanako2@example.jp"
    ]
    # The old address is told.
    assert OutboundMessage.objects.filter(recipient="hanako@example.jp").exists()


def test_allauths_own_email_page_asks_for_the_password_too(signed_in, resident):
    response = signed_in.post(
        reverse("account_email"), {"email": "sneaky@example.jp", "action_add": ""}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="sneaky@example.jp").exists()


def test_resend_of_the_email_link_needs_no_password(signed_in, resident):
    EmailAddress.objects.create(user=resident, email="new@example.jp", verified=False)
    response = signed_in.post(
        reverse("mypage_email"), {"email": "new@example.jp", "action_send": ""}
    )
    assert response.status_code == 302
    assert not response.url.startswith(reverse("account_reauthenticate"))
    assert OutboundMessage.objects.filter(recipient="new@example.jp").exists()


def test_change_phone_after_reauthentication(signed_in, resident):
    url = reverse("mypage_phone")
    assert signed_in.get(url).url.startswith(reverse("account_reauthenticate"))
    reauthenticate(signed_in)
    response = signed_in.post(url, {"phone": "０９０ー１２３４ー５６７８"})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert str(resident.phone) == "+819012345678"
    assert AuditLog.objects.filter(action="account.phone_change").exists()


def test_bad_phone_number_is_refused(signed_in, resident):
    reauthenticate(signed_in)
    response = signed_in.post(reverse("mypage_phone"), {"phone": "12-34"})
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert 'value="12-34"' in response.content.decode()


def test_change_password_asks_for_the_current_one_and_ends_other_sessions(
    resident, household_and_child
):
    this_browser, other_browser = Client(), Client()
    for browser in (this_browser, other_browser):
        browser.post(reverse("account_login"), {"login": resident.email, "password": TEST_PASSWORD})
        assert browser.get(reverse("mypage")).status_code == 200

    url = reverse("account_change_password")
    new = "Himawari-2027-kodomo"
    response = this_browser.post(
        url, {"oldpassword": "wrong-password-1", "password1": new, "password2": new}
    )
    assert response.status_code == 200
    assert "oldpassword" in response.context["form"].errors

    response = this_browser.post(
        url, {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new}
    )
    assert response.status_code == 302
    assert this_browser.get(reverse("mypage")).status_code == 200
    assert other_browser.get(reverse("mypage")).status_code == 302  # signed out
    resident.refresh_from_db()
    assert resident.check_password(new)


# --- Data download ----------------------------------------------------------------------------
def test_data_download_needs_the_password_again(signed_in):
    for name in ("mypage_data_json", "mypage_data_csv"):
        response = signed_in.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_reauthenticate"))


def test_download_json_has_everything_about_my_household(
    signed_in, resident, household_and_child, other_resident
):
    ChildFactory(first_name="よその子")  # another household's child
    AuthEvent.objects.create(user=resident, kind=AuthEvent.Kind.LOGIN_SUCCESS, ip_address="1.2.3.4")
    reauthenticate(signed_in)
    response = signed_in.get(reverse("mypage_data_json"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".json" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["guardian"]["member_number"] == resident.member_number
    assert data["household"]["postal_code"] == "1000001"
    assert [c["first_name"] for c in data["children"]] == ["さくら"]
    assert any(e["ip_address"] == "1.2.3.4" for e in data["sign_in_history"])
    assert "よその子" not in response.content.decode()
    assert other_resident.email not in response.content.decode()
    assert AuditLog.objects.filter(action="account.data_export", detail__format="json").exists()


def test_download_csv_opens_in_a_spreadsheet(signed_in, resident, household_and_child):
    reauthenticate(signed_in)
    response = signed_in.get(reverse("mypage_data_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 with the byte-order mark
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["section", "item", "field", "value"]
    assert ["children", "1", "first_name", "さくら"] in rows
    assert ["guardian", "", "member_number", resident.member_number] in rows


def test_download_csv_cannot_carry_a_formula(signed_in, resident, household_and_child):
    """What a resident typed reaches their spreadsheet as text, never a formula (issue 10.5)."""
    _, child = household_and_child
    child.allergies = "=1+cmd|' /C calc'!A0"
    child.save()
    resident.first_name = "@SUM(1+1)"
    resident.save()
    reauthenticate(signed_in)
    response = signed_in.get(reverse("mypage_data_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["children", "1", "allergies", "'=1+cmd|' /C calc'!A0"] in rows
    assert ["guardian", "", "first_name", "'@SUM(1+1)"] in rows
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)


# --- Deleting the account ---------------------------------------------------------------------
def test_delete_page_explains_what_is_erased_and_kept(signed_in):
    page = signed_in.get(reverse("mypage_delete")).content.decode()
    assert "削除されるもの" in page and "残るもの" in page
    assert "山田 さくら" in page
    assert 'type="password"' in page


def test_delete_needs_the_right_password(signed_in, resident):
    response = signed_in.post(reverse("mypage_delete"), {"password": "not-my-password-9"})
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert User.objects.filter(pk=resident.pk).exists()


def test_delete_erases_the_household_and_keeps_logs_unlinked(
    signed_in, resident, household_and_child
):
    household, child = household_and_child
    event = AuthEvent.objects.create(
        user=resident, kind=AuthEvent.Kind.LOGIN_FAILURE, detail={"identifier": "hanako"}
    )
    old_mail = OutboundMessage.objects.create(
        channel="email",
        recipient=resident.email,
        user=resident,
        body="x",
        status="sent",
        sent_at=timezone.now(),
    )
    pk = resident.pk
    response = signed_in.post(reverse("mypage_delete"), {"password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("mypage_deleted")

    assert not User.objects.filter(pk=pk).exists()
    assert not Household.objects.filter(pk=household.pk).exists()
    assert not Child.objects.filter(pk=child.pk).exists()
    assert not EmailAddress.objects.filter(user_id=pk).exists()
    event.refresh_from_db()
    assert event.user is None and event.detail == {}  # kept, unlinked
    entry = AuditLog.objects.get(action="account.delete")
    assert entry.target_id == str(pk) and entry.actor is None and entry.subject_user is None
    assert not OutboundMessage.objects.filter(pk=old_mail.pk).exists()
    confirmation = OutboundMessage.objects.get(kind="account_deleted")
    assert confirmation.recipient == "hanako@example.jp"
    # Signed out.
    assert signed_in.get(reverse("mypage")).status_code == 302
    assert signed_in.get(reverse("mypage_deleted")).status_code == 200


def test_delete_keeps_the_household_of_another_guardian(signed_in, resident, household_and_child):
    household, child = household_and_child
    partner = UserFactory(household=household)
    page = signed_in.get(reverse("mypage_delete")).content.decode()
    assert "他の保護者" in page
    signed_in.post(reverse("mypage_delete"), {"password": TEST_PASSWORD})
    assert not User.objects.filter(pk=resident.pk).exists()
    assert Household.objects.filter(pk=household.pk).exists()
    assert Child.objects.filter(pk=child.pk).exists()
    partner.refresh_from_db()
    assert partner.household_id == household.pk


def test_delete_password_tries_are_rate_limited(signed_in, resident):
    for _ in range(10):
        signed_in.post(reverse("mypage_delete"), {"password": "not-my-password-9"})
    response = signed_in.post(reverse("mypage_delete"), {"password": TEST_PASSWORD})
    assert response.status_code == 200
    assert User.objects.filter(pk=resident.pk).exists()
