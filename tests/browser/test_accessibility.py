"""axe-core (WCAG 2.1 A and AA) on every page: in Japanese on a 360 px phone and in English on a
desktop, anonymous and as each persona a page is for.

The list is checked against Django's URL resolver (allauth's patterns included): a URL pattern that
is neither scanned (PAGES) nor excluded with a reason (NOT_PAGES) fails
`test_every_url_pattern_is_scanned_or_excluded`, so a new page cannot be forgotten. To add a page,
add a Scan: its URL name, who looks at it (a persona fixture from tests/conftest.py, or None for
anonymous), `args` for the URL when it takes an id, and `setup` for a special state."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.factories import (
    TEST_PASSWORD,
    AnnouncementFactory,
    MaintenanceWindowFactory,
)

from .fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class World:
    """What pages need, made on demand: the personas (tests/conftest.py fixtures) and objects."""

    def __init__(self, request):
        self._request = request

    def persona(self, name: str):
        return self._request.getfixturevalue(name)

    @property
    def resident(self):
        return self.persona("resident")

    @cached_property
    def announcements(self):
        now = timezone.now()
        return [
            AnnouncementFactory(
                importance=importance,
                title=f"{label}のお知らせ",
                title_en=f"{label_en} announcement",
                starts_at=now - timedelta(hours=index + 1),
            )
            for index, (importance, label, label_en) in enumerate(
                [
                    ("urgent", "緊急", "Urgent"),
                    ("important", "重要", "Important"),
                    ("normal", "", "A"),
                ]
            )
        ]

    @property
    def announcement(self):
        return self.announcements[1]

    @cached_property
    def upcoming_maintenance(self):
        starts_at = timezone.now() + timedelta(days=7)
        return MaintenanceWindowFactory(
            starts_at=starts_at, announce_from=timezone.now() - timedelta(days=1)
        )

    @cached_property
    def outbox_message(self):
        from kosodate.core import services

        return services.message_email_send(
            to=self.resident.email, subject="ようこそ", body="本文です。", user=self.resident
        )

    def resident_with_totp(self):
        """The resident with an authenticator app (TOTP) and recovery codes set up."""
        from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        TOTP.activate(self.resident, generate_totp_secret())
        RecoveryCodes.activate(self.resident)
        return self.resident


@dataclass(frozen=True)
class Scan:
    name: str  # the URL pattern's name, with its namespace ("backoffice:dashboard")
    as_: str | None = None  # a persona fixture name; None: anonymous
    args: Callable[[World], list] | None = None
    setup: Callable[[World], None] | None = None
    # For a state reached through a flow (a form submitted first): visit(page, world, path)
    # drives the browser there, ending on this pattern's page.
    visit: Callable[..., None] | None = None
    # When the URL redirects on purpose: the path it must land on, from the URL's args.
    lands_on: Callable[[list], str] | None = None
    debug: bool = False  # pages only DEBUG serves (the dev outbox)
    # Pages that change the second step ask for the password again first (allauth).
    reauthenticated: bool = False
    variant: str = ""  # tells two scans of one page apart in the test id

    @property
    def id(self) -> str:
        return "-".join(
            filter(None, [self.name.replace(":", "."), self.as_ or "anon", self.variant])
        )


def _content(world: World) -> None:
    """Every page is scanned with something to show: announcements of each importance and an
    announced maintenance window (the top page's banners)."""
    world.announcements  # noqa: B018 (made on demand)
    world.upcoming_maintenance  # noqa: B018


def _sign_in_with_the_form(page, world: World, path: str) -> None:
    user = world.resident_with_totp()
    page.goto(page.base_url + reverse("account_login"))
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


def _wrong_password(page, world: World, path: str) -> None:
    page.goto(page.base_url + path)
    page.fill("input[name=login]", world.resident.email)
    page.fill("input[name=password]", "not-the-password-1")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


def _submit_empty(page, world: World, path: str) -> None:
    page.goto(page.base_url + path)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


def _email_confirmation_key(world: World) -> list:
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    address = EmailAddress.objects.create(
        user=world.resident, email="new-address@example.jp", verified=False, primary=False
    )
    return [EmailConfirmationHMAC(address).key]


def _password_reset_key(world: World) -> list:
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    user = world.resident
    return [user_pk_to_url_str(user), default_token_generator.make_token(user)]


def _no_usable_password(world: World) -> None:
    world.resident.set_unusable_password()
    world.resident.save(update_fields=["password"])


# --- My Page and the counter (kosodate.accounts.views_mypage, staff_views) ---
def _family(world: World):
    """The resident's household with a child (made once per test)."""
    if not hasattr(world, "_family_child"):
        from tests.factories import ChildFactory, HouseholdFactory

        resident = world.resident
        resident.household = HouseholdFactory()
        resident.last_name_kana, resident.first_name_kana = "ヤマダ", "ハナコ"
        resident.save()
        world._family_child = ChildFactory(household=resident.household, allergies="卵")
    return world._family_child


def _child_pk(world: World) -> list:
    return [_family(world).pk]


def _mypage_with_every_notice(world: World) -> None:
    """Every banner My Page can show: identity check pending, a new email address waiting for
    its link, the yearly "still right?" prompt and the password reminder."""
    from allauth.account.models import EmailAddress

    from kosodate.accounts.models import User
    from kosodate.core.services import municipality_save

    _family(world)
    resident = world.resident
    resident.identity_status = User.IdentityStatus.PENDING
    resident.details_confirmed_at = timezone.now() - timedelta(days=400)
    resident.password_changed_at = timezone.now() - timedelta(days=400)
    resident.save()
    EmailAddress.objects.create(user=resident, email="new-address@example.jp", verified=False)
    municipality = world.persona("municipality")
    municipality.password_change_reminder_days = 180
    municipality.identity_check_instructions = "マイナンバーカードをお持ちください。"
    municipality_save(municipality=municipality, actor=None)


def _pending_email(world: World) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=world.resident, email="new-address@example.jp")


def _details_outside(page, world: World, path: str) -> None:
    page.goto(page.base_url + path)
    page.fill("#id_postal_code", "530-0001")  # outside the municipality
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


def _resident_pk(world: World) -> list:
    _family(world)
    return [world.resident.pk]


def _recovery_ready_pk(world: World) -> list:
    """A locked resident with today's identity check for recovery and a second step."""
    from kosodate.accounts.models import AccountLock, IdentityCheck

    world.resident_with_totp()
    AccountLock.objects.get_or_create(
        user=world.resident,
        defaults={"failed_count": 5, "locked_until": timezone.now() + timedelta(minutes=20)},
    )
    IdentityCheck.objects.create(
        user=world.resident,
        method=IdentityCheck.Method.MYNUMBER_CARD,
        purpose=IdentityCheck.Purpose.RECOVERY,
        checked_by=world.persona("municipal_staff"),
    )
    return _resident_pk(world)


def _search_results(page, world: World, path: str) -> None:
    _family(world)
    page.goto(page.base_url + path + "?name=%E3%82%84%E3%81%BE%E3%81%A0")  # やまだ
    page.wait_for_load_state()


def _show_reset_link(page, world: World, path: str) -> None:
    page.goto(page.base_url + path)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


def _registration_at(step: str, *, submit: bool = False):
    """Visit: the registration wizard filled in over HTTP up to `step` ("done": registered), its
    session handed to the browser; submit=True then presses the step's main button with the
    step's text fields emptied, to show its errors."""

    def visit(page, world: World, path: str) -> None:
        from django.conf import settings
        from django.test import Client

        from tests.accounts.register_support import register_until

        client = Client()
        register_until(client, step)
        session = client.cookies.get(settings.SESSION_COOKIE_NAME)
        if session is not None:  # none before the first step
            page.context.add_cookies(
                [{"name": session.key, "value": session.value, "url": page.base_url}]
            )
        page.goto(page.base_url + path)
        if submit:
            fields = page.locator("main form input[type=text], main form input[type=email]")
            for field in fields.all():
                if field.get_attribute("readonly") is None:
                    field.fill("")
            page.locator("main form .actions .button--primary").click()
            page.wait_for_load_state()

    return visit


# --- Sign-in help and the terms stage (kosodate.accounts.views_signin) ---
def _terms(world: World):
    from kosodate.accounts.models import TermsVersion

    return TermsVersion.objects.create(
        version="2026.1",
        title="利用規約・プライバシーポリシー",
        title_en="Terms of use and privacy policy",
        body="第1条 この規約は、子育てサポートの利用について定めます。\n\n第2条 …",
        body_en="Article 1. These terms govern the use of the service.\n\nArticle 2. …",
        effective_at=timezone.now() - timedelta(minutes=1),
    )


def _terms_at_sign_in(*, submit: bool = False):
    """Visit: sign in with the form while the current terms are not accepted yet; the sign-in
    stops at the terms (submit=True: then presses Accept without the tick)."""

    def visit(page, world: World, path: str) -> None:
        _terms(world)
        page.goto(page.base_url + reverse("account_login"))
        page.fill("input[name=login]", world.resident.email)
        page.fill("input[name=password]", TEST_PASSWORD)
        page.locator("main form [type=submit]").first.click()
        page.wait_for_load_state()
        if submit:
            page.locator("main form .actions .button--primary").click()
            page.wait_for_load_state()

    return visit


def _maintenance_now(world: World) -> None:
    MaintenanceWindowFactory()


# --- Child health (kosodate.health) ---
def _health_family(world: World):
    """The resident's household with a baby and a toddler, doses ticked off, notices and
    checkup sessions (the health demo data)."""
    if not hasattr(world, "_health_baby"):
        from kosodate.accounts.models import Child
        from kosodate.health.demo import health_demo_load

        _family(world)
        health_demo_load(resident=world.resident)
        world._health_baby = Child.objects.get(
            household=world.resident.household, first_name="はると"
        )
    return world._health_baby


def _health_child_pk(world: World) -> list:
    return [_health_family(world).pk]


def _health_dose_pk(world: World) -> list:
    from kosodate.health.models import DoseRecord

    baby = _health_family(world)
    return [baby.pk, DoseRecord.objects.filter(child=baby).first().pk]


def _health_notice_pk(world: World) -> list:
    from kosodate.health.models import HealthNotice

    _health_family(world)
    return [HealthNotice.objects.first().pk]


def _health_rule_pk(world: World) -> list:
    from kosodate.health.models import ScheduleRule

    _health_family(world)
    return [ScheduleRule.objects.get(vaccine__code="pcv", band_from="2m", dose_number=2).pk]


def _health_rule_malformed(page, world: World, path: str) -> None:
    page.goto(page.base_url + path)
    page.fill("#id_last_until", "24 months")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


def _health_dose_too_early(page, world: World, path: str) -> None:
    """A dose date earlier than the minimum age: the warning with its confirmation box."""
    baby = _health_family(world)
    page.goto(page.base_url + path + "?vaccine=pcv")
    page.fill("#id_given_on", baby.birth_date.isoformat())
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


# --- 講座・イベント (kosodate.events) ---
def _event(world: World):
    """An open first-come event for the resident's child's age."""
    if not hasattr(world, "_event_obj"):
        from tests.events.factories import EventFactory

        world._event_obj = EventFactory(title="親子ふれあい講座", title_en="Parent and child class")
    return world._event_obj


def _event_pk(world: World) -> list:
    return [_event(world).pk]


def _event_application_pk(world: World) -> list:
    """The resident's application to the event (made once per test)."""
    if not hasattr(world, "_event_application"):
        from kosodate.events import services

        child = _family(world)
        world._event_application = services.application_create(
            event=_event(world), user=world.resident, children=[child], adults=1
        )
    return [world._event_application.pk]


def _event_with_application(world: World) -> None:
    _event_application_pk(world)


def _event_pk_with_application(world: World) -> list:
    """The event, with the resident's application on its participants list."""
    _event_application_pk(world)
    return _event_pk(world)


# --- 一時預かり (kosodate.childcare) ---
def _childcare(world: World) -> dict:
    """A facility with the facility-staff persona on it, the resident's child registered, their
    bookings requested, on the waiting list and offered a place, a sibling waiting for an
    interview, and the notifications all that sent (made once per test)."""
    if not hasattr(world, "_childcare_objects"):
        from tests.childcare.support import childcare_page_world

        world._childcare_objects = childcare_page_world(
            resident=world.resident,
            facility_staff=world.persona("facility_staff"),
            child=_family(world),
        )
    return world._childcare_objects


def _childcare_facility_pk(world: World) -> list:
    return [_childcare(world)["facility"].pk]


def _childcare_code(state: str):
    return lambda world: [_childcare(world)[state].code]


def _childcare_day(world: World) -> list:
    return [_childcare(world)["day"].isoformat()]


def _childcare_roster(world: World) -> list:
    return [*_childcare_facility_pk(world), *_childcare_day(world)]


def _childcare_registration_pk(world: World) -> list:
    return [_childcare(world)["registration"].pk]


def _childcare_confirm(page, world: World, path: str) -> None:
    """The booking form filled in and sent: the fee estimate and confirmation page."""
    from datetime import timedelta

    day = _childcare(world)["day"] + timedelta(days=7)
    page.goto(page.base_url + path)
    page.fill("#id_date", day.isoformat())
    page.select_option("#id_start", "09:00")
    page.select_option("#id_end", "12:00")
    page.check(f"input[name=children][value='{_family(world).pk}']")
    page.check("input[name=reason][value=work]")
    page.fill("#id_pickup_person", "山田花子")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


# --- ファミサポ (kosodate.familysupport) ---
def _fs(world: World) -> dict:
    """The resident a confirmed family, other_resident its matched supporter (one activity
    settled, one ahead, an open request offered), a request in the advisor's queue, sessions, an
    applicant, and municipal_staff the centre's advisor (made once per test)."""
    if not hasattr(world, "_fs_objects"):
        from tests.familysupport.support import page_world

        _family(world)
        world._fs_objects = page_world(
            family_user=world.resident,
            supporter_user=world.persona("other_resident"),
            advisor_user=world.persona("municipal_staff"),
        )
    return world._fs_objects


def _fs_pk(key: str):
    return lambda world: [_fs(world)[key].pk]


def _fs_member_pk(world: World) -> list:
    return [_fs(world)["applicant"].pk]


def _fs_sessions_only(world: World) -> None:
    from tests.familysupport.support import centre, district, orientation

    centre()
    district()
    orientation()


def _fs_request_confirm(page, world: World, path: str) -> None:
    """The request form filled in and sent: the fee estimate before anything is sent."""
    from tests.familysupport.support import next_weekday

    _fs(world)
    page.goto(page.base_url + path)
    page.fill("#id_first_date", next_weekday(1, after_days=14).isoformat())
    page.fill("#id_starts", "15:00")
    page.fill("#id_ends", "17:00")
    page.fill("#id_place", "こもれび保育園")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


STAFF = ("municipal_staff", "admin_user")


# --- Second step and sessions (issue 4) ---


def _passkey(world: World):
    """A structurally valid passkey (a real P-256 key, attestation "none") registered for the
    resident, so the passkey pages have one to show; tests/browser/test_second_step.py registers
    real ones through a virtual authenticator."""
    import hashlib
    import json
    import os

    from allauth.mfa.webauthn.internal.auth import WebAuthn
    from cryptography.hazmat.primitives.asymmetric import ec
    from fido2.cose import ES256
    from fido2.utils import websafe_encode
    from fido2.webauthn import Aaguid, AttestationObject, AttestedCredentialData, AuthenticatorData

    key = ec.generate_private_key(ec.SECP256R1())
    credential_id = os.urandom(32)
    flags = AuthenticatorData.FLAG
    auth_data = AuthenticatorData.create(
        hashlib.sha256(b"localhost").digest(),
        flags.UP | flags.UV | flags.AT,
        0,
        AttestedCredentialData.create(
            Aaguid.NONE, credential_id, ES256.from_cryptography_key(key.public_key())
        ),
    )
    client_data = {"type": "webauthn.create", "challenge": "", "origin": "http://localhost"}
    credential = {
        "type": "public-key",
        "id": websafe_encode(credential_id),
        "rawId": websafe_encode(credential_id),
        "response": {
            "clientDataJSON": websafe_encode(json.dumps(client_data).encode()),
            "attestationObject": websafe_encode(
                bytes(AttestationObject.create("none", auth_data, {}))
            ),
        },
        "clientExtensionResults": {"credProps": {"rk": True}},
    }
    return WebAuthn.add(world.resident, "スマートフォン", credential).instance


def _passkey_pk(world: World) -> list:
    return [_passkey(world).pk]


def _every_second_step(world: World) -> None:
    from kosodate.accounts.models import SecondStepMethod

    world.resident_with_totp()
    _passkey(world)
    SecondStepMethod.objects.create(user=world.resident, kind="sms", phone="+819012345678")
    SecondStepMethod.objects.create(user=world.resident, kind="email")


def _email_method(world: World) -> list:
    from kosodate.accounts.models import SecondStepMethod

    SecondStepMethod.objects.create(user=world.resident, kind="email")
    return ["email"]


def _sign_in_to_email_code(page, world: World, path: str) -> None:
    """Password first: the resident's only second step is an email code, whose page follows."""
    from kosodate.accounts.models import SecondStepMethod

    SecondStepMethod.objects.create(user=world.resident, kind="email")
    page.goto(page.base_url + reverse("account_login"))
    page.fill("input[name=login]", world.resident.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


def _sign_in_to_trust(page, world: World, path: str) -> None:
    """Password and an app code: allauth then asks whether to trust this browser."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from tests.totp import Totp

    secret = generate_totp_secret()
    TOTP.activate(world.resident, secret)
    page.goto(page.base_url + reverse("account_login"))
    page.fill("input[name=login]", world.resident.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    page.fill("input[name=code]", Totp(secret).now())
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


def _auth_events(world: World) -> None:
    from kosodate.accounts.models import AuthEvent

    for kind in ("login_failure", "locked", "unlocked", "mfa_added", "login_success"):
        AuthEvent.objects.create(
            user=world.resident,
            kind=kind,
            ip_address="192.0.2.10",
            user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
            detail={"method": "totp"} if kind == "mfa_added" else {},
        )


# --- 子育て相談 (kosodate.consultations) ---
def _consultation(world: World):
    """A sleep consultation by the resident about their child, answered once (made once)."""
    if not hasattr(world, "_consultation_obj"):
        from kosodate.consultations import selectors, services
        from kosodate.consultations.models import Topic

        services.defaults_ensure()  # the migration's rows are gone after a flush
        child = _family(world)
        consultation = services.consultation_ask(
            user=world.resident,
            child=child,
            topic=Topic.objects.get(code="sleep"),
            body="夜に何度も起きます。どうしたらよいでしょうか。",
        )
        services.consultation_answer(
            member=selectors.staff_member_for(world.persona("consultant")),
            consultation=consultation,
            body="寝る前の過ごし方を見直してみましょう。",
        )
        world._consultation_obj = consultation
    return world._consultation_obj


def _consultation_topics(world: World) -> None:
    from kosodate.consultations import services

    services.defaults_ensure()
    _family(world)


def _consultation_pk(world: World) -> list:
    return [_consultation(world).pk]


def _consultation_slot(world: World):
    if not hasattr(world, "_consultation_slot_obj"):
        from kosodate.consultations.models import Profession, Slot

        start = timezone.now() + timedelta(days=1)
        world._consultation_slot_obj = Slot.objects.create(
            profession=Profession.HEALTH, starts_at=start, ends_at=start + timedelta(minutes=10)
        )
    return world._consultation_slot_obj


def _consultation_slot_pk(world: World) -> list:
    from kosodate.consultations import services

    services.defaults_ensure()  # the booking form lists the topics
    _family(world)
    return [_consultation_slot(world).pk]


def _consultation_session_pk(world: World) -> list:
    from kosodate.consultations import services
    from kosodate.consultations.models import Topic

    services.defaults_ensure()
    booking = services.booking_create(
        user=world.resident,
        slot=_consultation_slot(world),
        child=_family(world),
        topic=Topic.objects.get(code="feeding"),
        body="離乳食の進め方",
    )
    return [booking.consultation_id]


PAGES: list[Scan] = [
    # --- Public pages (kosodate.core) ---
    Scan("home"),
    Scan("home", as_="resident"),
    Scan("home", as_="municipal_staff"),
    Scan("announcement_list"),
    Scan("announcement_detail", args=lambda w: [w.announcement.pk]),
    Scan("dev_outbox", debug=True, setup=lambda w: w.outbox_message),
    Scan("dev_outbox_detail", debug=True, args=lambda w: [w.outbox_message.pk]),
    # --- Back office (kosodate.backoffice, kosodate.core.staff_views) ---
    Scan("backoffice:dashboard", as_="municipal_staff"),
    Scan("backoffice:dashboard", as_="facility_staff"),
    Scan("backoffice:dashboard", as_="admin_user"),
    Scan("backoffice:announcement_list", as_="municipal_staff"),
    Scan("backoffice:announcement_create", as_="municipal_staff"),
    Scan(
        "backoffice:announcement_create",
        as_="municipal_staff",
        visit=_submit_empty,
        variant="errors",
    ),
    Scan("backoffice:announcement_edit", as_="municipal_staff", args=lambda w: [w.announcement.pk]),
    Scan("backoffice:maintenance_list", as_="municipal_staff"),
    Scan("backoffice:audit_list", as_="municipal_staff"),
    Scan("backoffice:maintenance_create", as_="municipal_staff"),
    Scan(
        "backoffice:maintenance_create",
        as_="municipal_staff",
        visit=_submit_empty,
        variant="errors",
    ),
    # --- allauth: sign-in, sign-up, password ---
    Scan("account_login"),
    Scan("account_login", visit=_wrong_password, variant="errors"),
    Scan("account_logout", as_="resident"),
    Scan("account_inactive"),
    # allauth's sign-up page is replaced by the registration wizard (kosodate.accounts.urls).
    Scan("account_signup", lands_on=lambda args: reverse("register_start")),
    Scan("account_reauthenticate", as_="resident"),
    Scan("account_email", as_="resident"),
    Scan("account_email_verification_sent"),
    Scan("account_confirm_email", args=_email_confirmation_key),
    Scan("account_change_password", as_="resident"),
    Scan("account_set_password", as_="resident", setup=_no_usable_password),
    Scan("account_reset_password"),
    Scan("account_reset_password_done"),
    Scan(
        "account_reset_password_from_key",
        args=_password_reset_key,
        # allauth moves the key into the session and redirects to a URL without it.
        lands_on=lambda args: reverse(
            "account_reset_password_from_key", args=[args[0], "set-password"]
        ),
    ),
    Scan("account_reset_password_from_key_done"),
    Scan("signin_help"),
    Scan("signin_help", setup=_maintenance_now, variant="maintenance"),
    Scan("signin_terms", visit=_terms_at_sign_in()),
    Scan("signin_terms", visit=_terms_at_sign_in(submit=True), variant="errors"),
    Scan("signin_terms", as_="resident", setup=_terms, variant="new-version"),
    # --- allauth: second step (mfa) and sessions ---
    Scan("mfa_index", as_="resident"),
    Scan("mfa_authenticate", visit=_sign_in_with_the_form),
    Scan("mfa_reauthenticate", as_="resident", setup=lambda w: w.resident_with_totp()),
    Scan("mfa_activate_totp", as_="resident", reauthenticated=True),
    Scan(
        "mfa_deactivate_totp",
        as_="resident",
        reauthenticated=True,
        setup=lambda w: w.resident_with_totp(),
    ),
    Scan(
        "mfa_view_recovery_codes",
        as_="resident",
        reauthenticated=True,
        setup=lambda w: w.resident_with_totp(),
    ),
    Scan(
        "mfa_generate_recovery_codes",
        as_="resident",
        reauthenticated=True,
        setup=lambda w: w.resident_with_totp(),
    ),
    Scan("usersessions_list", as_="resident"),
    Scan("mfa_trust", visit=_sign_in_to_trust),
    Scan("mfa_list_webauthn", as_="resident", setup=_passkey),
    Scan("mfa_add_webauthn", as_="resident", reauthenticated=True),
    Scan("mfa_edit_webauthn", as_="resident", reauthenticated=True, args=_passkey_pk),
    Scan("mfa_remove_webauthn", as_="resident", reauthenticated=True, args=_passkey_pk),
    Scan("mfa_reauthenticate_webauthn", as_="resident", setup=_passkey),
    # --- Security settings (kosodate.accounts.views_security) ---
    Scan("mypage_security", as_="resident"),
    Scan("mypage_security", as_="resident", setup=_every_second_step, variant="methods"),
    Scan("mypage_security_email", as_="resident", reauthenticated=True),
    Scan("mypage_security_sms", as_="resident", reauthenticated=True),
    Scan("mypage_security_remove", as_="resident", reauthenticated=True, args=_email_method),
    Scan("mypage_security_sessions", as_="resident"),
    Scan("signin_second_step_code", args=lambda w: ["email"], visit=_sign_in_to_email_code),
    # --- My Page (kosodate.accounts.views_mypage) ---
    Scan("mypage", as_="resident", setup=_family),
    Scan("mypage", as_="resident", setup=_mypage_with_every_notice, variant="notices"),
    Scan("mypage_details", as_="resident", setup=_family),
    Scan("mypage_details_edit", as_="resident", setup=_family),
    Scan(
        "mypage_details_edit",
        as_="resident",
        setup=_family,
        visit=_details_outside,
        variant="errors",
    ),
    Scan("mypage_child_add", as_="resident", setup=_family),
    Scan("mypage_child_add", as_="resident", setup=_family, visit=_submit_empty, variant="errors"),
    Scan("mypage_child_edit", as_="resident", args=_child_pk),
    Scan("mypage_child_remove", as_="resident", args=_child_pk),
    Scan("mypage_email", as_="resident", reauthenticated=True, setup=_pending_email),
    Scan("mypage_phone", as_="resident", reauthenticated=True),
    Scan("mypage_data", as_="resident"),
    Scan("mypage_delete", as_="resident", setup=_family),
    Scan("mypage_delete", as_="resident", setup=_family, visit=_submit_empty, variant="errors"),
    Scan("mypage_deleted"),
    # --- The counter (kosodate.accounts.staff_views) ---
    Scan("staff_accounts_search", as_="municipal_staff"),
    Scan(
        "staff_accounts_search",
        as_="municipal_staff",
        visit=_search_results,
        variant="results",
    ),
    Scan("staff_accounts_detail", as_="municipal_staff", args=_recovery_ready_pk),
    Scan("staff_accounts_identity_check", as_="municipal_staff", args=_resident_pk),
    Scan(
        "staff_accounts_identity_check",
        as_="municipal_staff",
        args=_resident_pk,
        visit=_submit_empty,
        variant="errors",
    ),
    Scan("staff_accounts_email_change", as_="municipal_staff", args=_recovery_ready_pk),
    Scan("staff_accounts_reset_link", as_="municipal_staff", args=_recovery_ready_pk),
    Scan(
        "staff_accounts_reset_link",
        as_="municipal_staff",
        args=_recovery_ready_pk,
        visit=_show_reset_link,
        variant="link",
    ),
    Scan("staff_accounts_second_step_reset", as_="municipal_staff", args=_recovery_ready_pk),
    Scan("staff_accounts_auth_events", as_="municipal_staff", setup=_auth_events),
    # --- Registration (kosodate.accounts.views_register) ---
    Scan("register_start"),
    Scan("register_step", args=lambda w: ["guardian"]),
    Scan(
        "register_step",
        args=lambda w: ["guardian"],
        visit=_registration_at("guardian", submit=True),
        variant="guardian-errors",
    ),
    *(
        Scan(
            "register_step",
            args=lambda w, step=step: [step],
            visit=_registration_at(step, submit=submit),
            variant=f"{step}-errors" if submit else step,
        )
        for step in ("address", "children", "password", "review")
        for submit in (False, True)
    ),
    Scan("register_done", visit=_registration_at("done")),
    Scan("register_identity_check", as_="resident"),
    # --- Child health (kosodate.health) ---
    Scan("health_home", as_="resident", setup=_health_family),
    Scan("health_preferences", as_="resident", setup=_health_family),
    Scan("health_child", as_="resident", args=_health_child_pk),
    Scan("health_child_print", as_="resident", args=_health_child_pk),
    Scan("health_dose_add", as_="resident", args=_health_child_pk),
    Scan("health_dose_delete", as_="resident", args=_health_dose_pk),
    Scan(
        "health_dose_add",
        as_="resident",
        args=_health_child_pk,
        visit=_health_dose_too_early,
        variant="warning",
    ),
    Scan("staff_health_notice_list", as_="municipal_staff", setup=_health_family),
    Scan("staff_health_notice_create", as_="municipal_staff"),
    Scan(
        "staff_health_notice_create",
        as_="municipal_staff",
        visit=_submit_empty,
        variant="errors",
    ),
    Scan("staff_health_notice_edit", as_="municipal_staff", args=_health_notice_pk),
    Scan("staff_health_schedule", as_="municipal_staff", setup=_health_family),
    Scan("staff_health_rule_edit", as_="municipal_staff", args=_health_rule_pk),
    Scan(
        "staff_health_rule_edit",
        as_="municipal_staff",
        args=_health_rule_pk,
        visit=_health_rule_malformed,
        variant="errors",
    ),
    Scan("staff_health_session_create", as_="municipal_staff", setup=_health_family),
    Scan(
        "staff_health_session_create",
        as_="municipal_staff",
        visit=_submit_empty,
        variant="errors",
    ),
    # --- 講座・イベント (kosodate.events) ---
    Scan("events:list", setup=_event),
    Scan("events:list", as_="resident", setup=_event_with_application),
    Scan("events:detail", args=_event_pk),
    Scan("events:calendar", setup=_event),
    Scan("events:apply", as_="resident", args=_event_pk, setup=_family),
    Scan(
        "events:apply",
        as_="resident",
        args=_event_pk,
        setup=_family,
        visit=_submit_empty,
        variant="errors",
    ),
    Scan("events:mine", as_="resident", setup=_event_with_application),
    Scan("events:application_detail", as_="resident", args=_event_application_pk),
    Scan("events:application_cancel", as_="resident", args=_event_application_pk),
    Scan("events_staff:list", as_="municipal_staff", setup=_event),
    Scan("events_staff:create", as_="municipal_staff"),
    Scan("events_staff:create", as_="municipal_staff", visit=_submit_empty, variant="errors"),
    Scan("events_staff:copy", as_="municipal_staff", args=_event_pk),
    Scan("events_staff:detail", as_="municipal_staff", args=_event_pk_with_application),
    Scan("events_staff:edit", as_="municipal_staff", args=_event_pk),
    Scan("events_staff:cancel", as_="municipal_staff", args=_event_pk),
    Scan("events_staff:message", as_="municipal_staff", args=_event_pk),
    # --- 一時預かり (kosodate.childcare) ---
    Scan("childcare:availability", setup=_childcare),
    Scan("childcare:availability", as_="resident", setup=_childcare),
    Scan("childcare:day", args=_childcare_day),
    Scan("childcare:day", as_="resident", args=_childcare_day),
    Scan("childcare:facility_list", setup=_childcare),
    Scan("childcare:facility_detail", args=_childcare_facility_pk),
    Scan("childcare:facility_detail", as_="resident", args=_childcare_facility_pk),
    Scan("childcare:registration_create", as_="resident", args=_childcare_facility_pk),
    Scan(
        "childcare:registration_create",
        as_="resident",
        args=_childcare_facility_pk,
        visit=_submit_empty,
        variant="errors",
    ),
    Scan("childcare:registration_list", as_="resident", setup=_childcare),
    Scan("childcare:booking_create", as_="resident", args=_childcare_facility_pk),
    Scan(
        "childcare:booking_create",
        as_="resident",
        args=_childcare_facility_pk,
        visit=_submit_empty,
        variant="errors",
    ),
    Scan(
        "childcare:booking_create",
        as_="resident",
        args=_childcare_facility_pk,
        visit=_childcare_confirm,
        variant="confirm",
    ),
    Scan("childcare:booking_list", as_="resident", setup=_childcare),
    *(
        Scan("childcare:booking_detail", as_="resident", args=_childcare_code(state), variant=state)
        for state in ("pending", "waitlisted", "offered")
    ),
    Scan("childcare:booking_cancel", as_="resident", args=_childcare_code("pending")),
    Scan("notification_list", as_="resident", setup=_childcare),
    Scan("childcare_staff:index", as_="facility_staff", setup=_childcare),
    Scan("childcare_staff:index", as_="municipal_staff", setup=_childcare),
    Scan("childcare_staff:booking_detail", as_="facility_staff", args=_childcare_code("pending")),
    Scan("childcare_staff:booking_decline", as_="facility_staff", args=_childcare_code("pending")),
    Scan(
        "childcare_staff:booking_decline",
        as_="facility_staff",
        args=_childcare_code("pending"),
        visit=_submit_empty,
        variant="errors",
    ),
    Scan(
        "childcare_staff:registration_detail",
        as_="facility_staff",
        args=_childcare_registration_pk,
    ),
    Scan("childcare_staff:facility", as_="facility_staff", args=_childcare_facility_pk),
    Scan("childcare_staff:roster", as_="facility_staff", args=_childcare_roster),
    Scan("childcare_staff:capacity", as_="facility_staff", args=_childcare_facility_pk),
    Scan("childcare_staff:closures", as_="facility_staff", args=_childcare_facility_pk),
    Scan(
        "childcare_staff:closures",
        as_="facility_staff",
        args=_childcare_facility_pk,
        visit=_submit_empty,
        variant="errors",
    ),
    Scan("childcare_staff:rules", as_="facility_staff", args=_childcare_facility_pk),
    Scan("childcare_staff:utilisation", as_="municipal_staff", setup=_childcare),
    # --- 子育て相談 (kosodate.consultations) ---
    Scan("consultations:home", as_="resident", setup=_consultation),
    Scan("consultations:ask", as_="resident", setup=_consultation_topics),
    Scan(
        "consultations:ask",
        as_="resident",
        setup=_consultation_topics,
        visit=_submit_empty,
        variant="errors",
    ),
    Scan("consultations:detail", as_="resident", args=_consultation_pk),
    Scan("consultations:detail", as_="resident", args=_consultation_session_pk, variant="session"),
    Scan("consultations:sessions", as_="resident", setup=_consultation_slot),
    Scan("consultations:book", as_="resident", args=_consultation_slot_pk),
    Scan(
        "consultations:book",
        as_="resident",
        args=_consultation_slot_pk,
        visit=_submit_empty,
        variant="errors",
    ),
    Scan("consultations_staff:queue", as_="consultant", setup=_consultation),
    Scan("consultations_staff:detail", as_="consultant", args=_consultation_pk),
    Scan("consultations_staff:slots", as_="consultant", setup=_consultation_slot),
    Scan("consultations_staff:slots", as_="consultant", visit=_submit_empty, variant="errors"),
    Scan("consultations_staff:report", as_="consultant", setup=_consultation),
    # --- ファミサポ (kosodate.familysupport) ---
    Scan("familysupport:home", as_="resident", setup=_fs),
    Scan("familysupport:home", as_="other_resident", setup=_fs),
    Scan("familysupport:join", as_="resident", setup=_fs_sessions_only),
    Scan(
        "familysupport:join",
        as_="resident",
        setup=_fs_sessions_only,
        visit=_submit_empty,
        variant="errors",
    ),
    Scan("familysupport:profile", as_="other_resident", setup=_fs),
    Scan("familysupport:search", as_="resident", setup=_fs),
    Scan("familysupport:request_new", as_="resident", setup=_fs),
    Scan(
        "familysupport:request_new",
        as_="resident",
        setup=_fs,
        visit=_submit_empty,
        variant="errors",
    ),
    Scan(
        "familysupport:request_new",
        as_="resident",
        visit=_fs_request_confirm,
        variant="confirm",
    ),
    Scan("familysupport:request_detail", as_="resident", args=_fs_pk("open_request")),
    Scan("familysupport:request_cancel", as_="resident", args=_fs_pk("open_request")),
    Scan("familysupport:offer_detail", as_="other_resident", args=_fs_pk("offer")),
    Scan("familysupport:activity_detail", as_="resident", args=_fs_pk("confirmed")),
    Scan(
        "familysupport:activity_detail",
        as_="other_resident",
        args=_fs_pk("confirmed"),
        variant="supporter",
    ),
    Scan(
        "familysupport:activity_detail",
        as_="resident",
        args=_fs_pk("settled"),
        variant="settled",
    ),
    Scan("familysupport:activity_cancel", as_="resident", args=_fs_pk("confirmed")),
    Scan("familysupport:report_file", as_="other_resident", args=_fs_pk("confirmed")),
    Scan("familysupport:statement", as_="other_resident", setup=_fs),
    Scan("familysupport_staff:index", as_="municipal_staff", setup=_fs),
    Scan("familysupport_staff:members", as_="municipal_staff", setup=_fs),
    Scan("familysupport_staff:member", as_="municipal_staff", args=_fs_member_pk),
    Scan("familysupport_staff:sessions", as_="municipal_staff", setup=_fs),
    Scan(
        "familysupport_staff:sessions",
        as_="municipal_staff",
        setup=_fs,
        visit=_submit_empty,
        variant="errors",
    ),
    Scan("familysupport_staff:session", as_="municipal_staff", args=_fs_pk("session")),
    Scan("familysupport_staff:queue", as_="municipal_staff", setup=_fs),
    Scan("familysupport_staff:request", as_="municipal_staff", args=_fs_pk("queued")),
    Scan("familysupport_staff:meetings", as_="municipal_staff", setup=_fs),
    Scan("familysupport_staff:meeting", as_="municipal_staff", args=_fs_pk("meeting")),
    Scan("familysupport_staff:activity", as_="municipal_staff", args=_fs_pk("confirmed")),
    Scan("familysupport_staff:reports", as_="municipal_staff", setup=_fs),
    Scan("familysupport_staff:report", as_="municipal_staff", args=_fs_pk("settled")),
    Scan("familysupport_staff:month", as_="municipal_staff", setup=_fs),
]

# URL patterns that render no page of their own, with the reason.
NOT_PAGES: dict[str, str] = {
    "familysupport:training_book": "POST-only; redirects to the family-support home",
    "familysupport:request_send": "POST-only; its errors are the request form's "
    "(scanned as familysupport:request_new)",
    "familysupport:request_ask": "POST-only; redirects to the request",
    "familysupport:offer_accept": "POST-only; redirects to the activity or the offer",
    "familysupport:offer_decline": "POST-only; redirects to the family-support home",
    "familysupport:report_confirm": "POST-only; redirects to the activity",
    "familysupport:report_dispute": "POST-only; its errors are the activity page's",
    "familysupport:payment_record": "POST-only; redirects to the activity",
    "familysupport:no_show": "POST-only; redirects to the activity",
    "familysupport:activity_ics": "an iCalendar file download",
    "familysupport_staff:member_confirm": "POST-only; redirects to the member",
    "familysupport_staff:member_photo": "the membership photo itself (an image, shown on the "
    "member's page)",
    "familysupport_staff:supporter_approve": "POST-only; redirects to the member",
    "familysupport_staff:insurance": "POST-only; redirects to the member",
    "familysupport_staff:propose": "POST-only; redirects to the request",
    "familysupport_staff:activity_supporter": "POST-only; redirects to the activity",
    "familysupport_staff:meeting_held": "POST-only; redirects to the meeting",
    "familysupport_staff:meeting_waive": "POST-only; its errors are the meeting page's",
    "familysupport_staff:month_csv": "a CSV download",
    "childcare:booking_send": "POST-only; redirects to the booking (its errors are the booking "
    "form's, scanned as childcare:booking_create)",
    "childcare:booking_accept": "POST-only; redirects to the booking",
    "childcare:booking_ics": "an iCalendar file download",
    "childcare_staff:booking_approve": "POST-only; redirects to the booking",
    "childcare_staff:booking_attended": "POST-only; redirects to the booking or the roster",
    "childcare_staff:booking_no_show": "POST-only; redirects to the booking or the roster",
    "childcare_staff:registration_interview": "POST-only; redirects to the registration (its "
    "errors show on the registration page, scanned)",
    "childcare_staff:registration_complete": "POST-only; redirects to the registration",
    "childcare_staff:registration_decline": "POST-only; redirects to the registration (its "
    "errors show on the registration page, scanned)",
    "childcare_staff:capacity_day": "POST-only; redirects to the capacity page",
    "childcare_staff:closure_reopen": "POST-only; redirects to the closures page",
    "notification_read": "POST-only; redirects to the notification's link or the list",
    "notification_read_all": "POST-only; redirects to the notifications list",
    "manifest": "JSON (the web app manifest)",
    "healthz": "JSON for load balancers and monitoring",
    "healthz_serving": "JSON for the load balancer (the database only)",
    "metrics": "Prometheus text for monitoring (loopback or token only)",
    "set_language": "POST-only; redirects back",
    "backoffice:announcement_unpublish": "POST-only; redirects to the list",
    "backoffice:announcement_publish": "POST-only; redirects to the list",
    "backoffice:maintenance_end": "POST-only; redirects to the list",
    "mfa_download_recovery_codes": "a plain-text file download",
    "register_resend": "POST-only; redirects to the “check your email” page",
    "register_back": "POST-only (the wizard's Back button); redirects to the previous step",
    "register_address_lookup": "POST-only (住所を検索); redirects to the address step",
    "register_child_add": "POST-only (add a child row); redirects to the children step",
    "register_child_remove": "POST-only (remove a child row); redirects to the children step",
    "accounts/signup/": "redirects to the registration wizard (register_start)",
    "mypage_details_confirm": "POST-only; redirects to My Page",
    "health_child_ics": "an iCalendar (.ics) file download",
    "health_dose_restore": "POST-only (undo a removed dose); redirects to the child's schedule",
    "health_child_hepb": "POST-only (the HBIG answer on the child's page); redirects to it",
    "staff_health_session_delete": "POST-only (remove a checkup date); redirects to the schedule",
    "mypage_data_json": "a JSON file download",
    "mypage_data_csv": "a CSV file download",
    "staff_accounts_unlock": "POST-only; redirects to the resident's page",
    "signin_logout_everywhere": "POST-only (sign out on all devices); redirects to sign-in",
    "mypage_security_default": "POST-only (the default second step); redirects to the security "
    "settings",
    "mfa_login_webauthn": "the passkey sign-in's POST target (the button on account_login, "
    "scanned); a plain GET redirects to the sign-in page",
    "events:offer_accept": "POST-only; redirects to the application's page",
    "events:application_ics": "an iCalendar (.ics) file download",
    "events_staff:participants_csv": "a CSV file download",
    "events_staff:attendance": "POST-only; redirects to the event's page",
    "consultations:check_words": "an htmx fragment (the emergency notice, also rendered on "
    "consultations:ask with errors, scanned)",
    "consultations:thread": "an htmx fragment (the messages, part of consultations:detail)",
    "consultations:reply": "POST-only; redirects to the consultation (its errors render "
    "consultations:detail, scanned)",
    "consultations:close": "POST-only; redirects to the consultation",
    "consultations:reopen": "POST-only; redirects to the consultation",
    "consultations:cancel": "POST-only; redirects to the consultation",
    "consultations:photo": "an image",
    "consultations_staff:thread": "an htmx fragment (part of consultations_staff:detail)",
    "consultations_staff:answer": "POST-only; redirects (its errors render "
    "consultations_staff:detail, scanned)",
    "consultations_staff:chat": "POST-only; redirects to the consultation",
    "consultations_staff:note": "POST-only; redirects to the consultation",
    "consultations_staff:take": "POST-only; redirects to the consultation",
    "consultations_staff:assign": "POST-only; redirects to the consultation",
    "consultations_staff:handover": "POST-only; redirects to the queue",
    "consultations_staff:outcome": "POST-only; redirects to the consultation",
    "consultations_staff:photo": "an image",
    "consultations_staff:report_csv": "a CSV file download",
    "account_confirm_login_code": "only inside a sign-in by emailed code, which is not enabled "
    "(ACCOUNT_LOGIN_BY_CODE_ENABLED is off); otherwise it redirects to the sign-in page",
}
# Whole namespaces that are not part of the site's own pages.
NOT_PAGE_NAMESPACES: dict[str, str] = {
    "admin": "Django's admin, for system administrators; its markup is Django's own",
}


def _url_patterns(patterns=None, namespace: str = "", route: str = ""):
    """(key, route, namespace) for every URL pattern: key is the namespaced name, or the route
    if the pattern has no name."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _url_patterns(pattern.url_patterns, inner, route + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            full_route = route + str(pattern.pattern)
            if pattern.name:
                key = f"{namespace}:{pattern.name}" if namespace else pattern.name
            else:
                key = full_route
            yield key, full_route, namespace


def _excluded(key: str, namespace: str) -> bool:
    return key in NOT_PAGES or namespace.split(":")[0] in NOT_PAGE_NAMESPACES


def test_every_url_pattern_is_scanned_or_excluded():
    scanned = {scan.name for scan in PAGES}
    forgotten = sorted(
        f"{key}  ({route})"
        for key, route, namespace in _url_patterns()
        if key not in scanned and not _excluded(key, namespace)
    )
    assert not forgotten, (
        "These URL patterns are neither scanned for accessibility nor excluded: add a Scan to "
        "PAGES (or, if it renders no page, an entry to NOT_PAGES with the reason) in "
        "tests/browser/test_accessibility.py:\n  " + "\n  ".join(forgotten)
    )


def test_every_scan_and_exclusion_names_a_url_pattern():
    known = {key for key, _, _ in _url_patterns()}
    stale = sorted({scan.name for scan in PAGES} - known) + sorted(set(NOT_PAGES) - known)
    assert not stale, f"No such URL pattern (renamed or removed?): {stale}"
    both = sorted({scan.name for scan in PAGES} & set(NOT_PAGES))
    assert not both, f"Both scanned and excluded: {both}"


def test_scan_ids_are_unique():
    ids = [scan.id for scan in PAGES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


LANGUAGES = [
    pytest.param("ja", id="ja-360px"),
    pytest.param("en", id="en-desktop"),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("scan", PAGES, ids=lambda scan: scan.id)
def test_page_is_accessible(scan, language, request, new_page, municipality, settings):
    world = World(request)
    _content(world)
    if scan.debug:
        settings.DEBUG = True
    if scan.setup:
        scan.setup(world)
    page = new_page(locale=language, mobile=language == "ja")
    if scan.as_:
        login(page, world.persona(scan.as_), reauthenticated=scan.reauthenticated)
    args = scan.args(world) if scan.args else []
    path = reverse(scan.name, args=args)
    who = scan.as_ or "anonymous"
    if scan.visit:
        scan.visit(page, world, path)
    else:
        response = page.goto(page.base_url + path)
        assert response is not None and response.status == 200, (
            f"GET {path} as {who}: {response and response.status}"
        )
    expected = scan.lands_on(args) if scan.lands_on else path
    assert urlsplit(page.url).path == expected, f"{path} as {who} ended on {page.url}"
    assert page.locator("html").get_attribute("lang", timeout=2_000) == language
    assert_accessible(page)
