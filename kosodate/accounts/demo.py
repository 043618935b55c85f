"""Demo accounts, one per persona (registered as demo data in apps.py; `manage.py demo_data`)."""

from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.core.cache import cache

from kosodate.core.registry import DemoContext

from .middleware import TERMS_CURRENT_CACHE_KEY
from .models import TermsVersion, User

# Published in the README: these accounts exist only in a demo database.
DEMO_PASSWORD = "Kosodate-demo-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoAccount:
    label: str
    username: str  # the persona's key in context.users (and a staff account's username)
    email: str
    last_name: str
    first_name: str
    role: str
    is_superuser: bool = False
    # A resident signs in with a 9-digit 利用者番号 (member number) as the help page says; the
    # demo's residents have fixed, well-formed ones. Staff keep their names as usernames.
    member_number: str = ""


DEMO_ACCOUNTS = (
    DemoAccount(
        "Resident (guardian)",
        "hanako",
        "hanako@example.jp",
        "山田",
        "花子",
        User.Role.RESIDENT,
        member_number="123456782",
    ),
    DemoAccount(
        "Another resident",
        "taro",
        "taro@example.jp",
        "佐藤",
        "太郎",
        User.Role.RESIDENT,
        member_number="234567816",
    ),
    DemoAccount(
        "Facility staff", "hoiku", "hoiku@example.jp", "鈴木", "美咲", User.Role.FACILITY_STAFF
    ),
    DemoAccount(
        "Municipal staff",
        "shokuin",
        "shokuin@example.jp",
        "高橋",
        "健一",
        User.Role.MUNICIPAL_STAFF,
    ),
    DemoAccount(
        "System administrator",
        "admin",
        "admin@example.jp",
        "管理",
        "太郎",
        User.Role.MUNICIPAL_STAFF,
        is_superuser=True,
    ),
)


def accounts_demo_load(context: DemoContext) -> None:
    """Create the demo accounts that are missing and put every one into `context.users`."""
    context.password = DEMO_PASSWORD
    for account in DEMO_ACCOUNTS:
        username = account.member_number or account.username
        # By address too: a demo loaded before the residents had member numbers has "hanako".
        user = (
            User.objects.filter(username=username).first()
            or User.objects.filter(email__iexact=account.email).first()
        )
        if user is not None and user.username != username:
            user.username = username
            user.save(update_fields=["username"])
        if user is None:
            user = User(
                username=username,
                email=account.email,
                last_name=account.last_name,
                first_name=account.first_name,
                role=account.role,
                is_staff=account.is_superuser,
                is_superuser=account.is_superuser,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        # allauth signs in only with a verified address (ACCOUNT_EMAIL_VERIFICATION = mandatory).
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        context.users[account.username] = user
        context.accounts.append((account.label, account.email))


# The demo's published terms: without a version in effect, registration is closed (a fresh demo
# would refuse every family). Fictional, but shaped like a municipality's real 利用規約.
DEMO_TERMS_VERSION = "2026-04"
DEMO_TERMS_TITLE = "こもれび市 子育てサポートシステム 利用規約・個人情報の取扱い"
DEMO_TERMS_TITLE_EN = "Komorebi City Childcare Support: terms of use and privacy policy"
DEMO_TERMS_BODY = """\
第1条(目的)
この規約は、こもれび市(以下「市」といいます。)が提供する子育てサポートシステム(以下「本システム」といいます。)の利用について必要な事項を定めます。

第2条(利用者)
本システムを利用できるのは、市内に住所を有し、お子さんを養育している保護者の方です。利用登録は、この規約に同意したうえで、ご本人が行ってください。

第3条(利用者番号とパスワード)
利用者は、登録時に発行される利用者番号とパスワードを自らの責任で管理し、第三者に利用させてはなりません。市の職員が電話やメールでパスワードをお聞きすることはありません。

第4条(予約・申し込み)
一時預かりの予約や講座・イベントの申し込みは、施設または市の確認をもって確定します。キャンセルは各施設・講座の定める期限までに本システムから行ってください。

第5条(個人情報の取扱い)
市は、登録された個人情報(保護者とお子さんの氏名、住所、連絡先、生年月日、アレルギー等)を、子育て支援サービスの提供、予約の管理、予防接種・健診のご案内、ご連絡のためにのみ利用し、こもれび市個人情報保護条例に基づき適正に管理します。法令に基づく場合を除き、本人の同意なく第三者に提供しません。

第6条(禁止事項)
虚偽の情報の登録、他人になりすました利用、本システムの運営を妨げる行為を禁止します。

第7条(サービスの停止)
市は、保守点検や災害等のため、事前にお知らせしたうえで(緊急の場合は事後に)本システムを停止することがあります。

第8条(規約の変更)
市は、必要に応じてこの規約を変更します。変更後の規約は、次回のログイン時に改めて同意をお願いします。

お問い合わせ: こども家庭課 子育て支援係(市役所2階 5番窓口)"""
DEMO_TERMS_BODY_EN = """\
Article 1 (Purpose)
These terms set out how Komorebi City ("the City") provides the Childcare Support system ("the system") and how it may be used.

Article 2 (Who may use it)
Guardians who live in the City and bring up a child may use the system. Register yourself, after agreeing to these terms.

Article 3 (Member number and password)
Keep the member number issued at registration and your password to yourself. City staff never ask for your password by phone or email.

Article 4 (Bookings and applications)
A booking of temporary childcare or an application for an event is final when the facility or the City confirms it. Cancel in the system before the deadline each facility or event sets.

Article 5 (Personal information)
The City uses the personal information you register (names, address, contact details, dates of birth, allergies and the like of the guardian and the children) only to provide childcare support services, manage bookings, tell you about immunisations and health checkups, and contact you, and keeps it under the Komorebi City Personal Information Protection Ordinance. It is not given to anyone else without your consent, except where the law requires.

Article 6 (What is not allowed)
Registering false information, using the system as someone else, and anything that disrupts its operation.

Article 7 (Suspension)
The City may suspend the system for maintenance or in a disaster, announcing it beforehand (or afterwards in an emergency).

Article 8 (Changes)
The City may change these terms. You are asked to accept the new terms the next time you sign in.

Questions: Childcare Support Section, Children and Families Division (City Hall, 2nd floor, counter 5)"""


def terms_demo_load(context: DemoContext) -> None:
    """Publish the demo's terms once (in effect from the day before the demo was first loaded),
    so that a fresh demo takes registrations; the demo personas have accepted them (a newcomer
    who registers accepts them on the way)."""
    from . import services

    terms = TermsVersion.objects.filter(version=DEMO_TERMS_VERSION).first()
    if terms is None:
        terms = TermsVersion.objects.create(
            version=DEMO_TERMS_VERSION,
            title=DEMO_TERMS_TITLE,
            title_en=DEMO_TERMS_TITLE_EN,
            body=DEMO_TERMS_BODY,
            body_en=DEMO_TERMS_BODY_EN,
            effective_at=context.now - timedelta(days=1),
        )
        cache.delete(TERMS_CURRENT_CACHE_KEY)
    for user in context.users.values():
        services.terms_accept(user=user, terms=terms)
