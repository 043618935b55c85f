import functools

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from factory.django import DjangoModelFactory

from kosodate.accounts.models import Child, Household, TermsVersion, User
from kosodate.core.models import Announcement, MaintenanceWindow, Municipality

TEST_PASSWORD = "Sakura-2026-yoyaku"


class MunicipalityFactory(DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("id",)

    id = Municipality.SINGLETON_ID
    name = "こもれび市"
    name_en = "Komorebi City"
    code = "131016"
    counter_name = "こども家庭課"
    counter_name_en = "Children and Families Division"
    counter_address = "こもれび市役所 2階 5番窓口"
    counter_address_en = "Komorebi City Hall, 2F, counter 5"
    counter_phone = "03-0000-1234"
    counter_email = "kosodate@city.komorebi.example.jp"
    counter_hours = "平日 8:30〜17:15"
    counter_hours_en = "Weekdays 8:30–17:15"


@functools.cache
def test_password_hash() -> str:
    """TEST_PASSWORD hashed once per run: a real Argon2 hash (signing in checks it as usual), without
    paying Argon2's deliberate ~0.1 s for every user a test creates."""
    return make_password(TEST_PASSWORD)


class UserFactory(DjangoModelFactory):
    """A person who can sign in: like every real account, the email address is verified (allauth
    refuses sign-in otherwise). UserFactory(verified_email=False) for one who has not confirmed."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    first_name = factory.Faker("first_name", locale="ja_JP")
    last_name = factory.Faker("last_name", locale="ja_JP")
    role = User.Role.RESIDENT
    password = factory.LazyFunction(test_password_hash)

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create and obj.email and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )

    @factory.post_generation
    def second_step(obj, create, extracted, **kwargs):
        """Back-office accounts must have an authenticator app (issue 4): staff personas get
        one, so they reach the back office. UserFactory(second_step=False) for one without."""
        if create and obj.is_back_office and extracted is not False:
            from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

            TOTP.activate(obj, generate_totp_secret())


class AnnouncementFactory(DjangoModelFactory):
    class Meta:
        model = Announcement

    title = factory.Sequence(lambda n: f"お知らせ {n}")
    title_en = factory.Sequence(lambda n: f"Announcement {n}")
    body = "本文です。"
    body_en = "This is the body."
    starts_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(hours=1))


class MaintenanceWindowFactory(DjangoModelFactory):
    class Meta:
        model = MaintenanceWindow

    starts_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(minutes=5))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timezone.timedelta(hours=2))
    announce_from = factory.LazyAttribute(lambda o: o.starts_at - timezone.timedelta(days=3))
    message = "システムの更新を行います。"
    message_en = "We are updating the system."


class HouseholdFactory(DjangoModelFactory):
    """A household in こもれび市 (municipality code 131016 in MunicipalityFactory)."""

    class Meta:
        model = Household

    postal_code = "1000001"
    prefecture = "東京都"
    city = "千代田区"
    town = "千代田"
    street = "1-1"
    municipality_code = "13101"


class ChildFactory(DjangoModelFactory):
    class Meta:
        model = Child

    household = factory.SubFactory(HouseholdFactory)
    last_name = "山田"
    first_name = factory.Sequence(lambda n: ["さくら", "はると", "ゆい", "そうた"][n % 4])
    last_name_kana = "ヤマダ"
    first_name_kana = factory.Sequence(lambda n: ["サクラ", "ハルト", "ユイ", "ソウタ"][n % 4])
    birth_date = factory.LazyFunction(lambda: timezone.localdate() - timezone.timedelta(days=800))
    sex = Child.Sex.FEMALE


class TermsVersionFactory(DjangoModelFactory):
    """A terms version already in effect (the newest in effect is the current one)."""

    class Meta:
        model = TermsVersion

    version = factory.Sequence(lambda n: f"2026.{n + 1}")
    title = "利用規約・プライバシーポリシー"
    title_en = "Terms of use and privacy policy"
    body = "第1条 この規約は、子育てサポートの利用について定めます。"
    body_en = "Article 1. These terms govern the use of the childcare support service."
    effective_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))
