"""Maintenance mode: what is refused with a 503 during a window, what stays open, who gets through,
how windows are scheduled (admin, back office) and how the cached lookup follows changes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kosodate.core import selectors, services
from kosodate.core.models import AuditLog, MaintenanceWindow
from tests.totp import Totp

from ..factories import AnnouncementFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}


def _window(*, actor=None, starts_in=timedelta(minutes=-5), lasts=timedelta(hours=2), **kwargs):
    """A window scheduled through the service, as staff and the admin do (invalidates the cache)."""
    starts_at = timezone.now() + starts_in
    return services.maintenance_window_create(
        actor=actor,
        starts_at=starts_at,
        ends_at=starts_at + lasts,
        message=kwargs.pop("message", "システムの更新を行います。"),
        message_en=kwargs.pop("message_en", "We are updating the system."),
        **kwargs,
    )


@pytest.fixture
def window(municipality):
    return _window()


# --- What is refused --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/login/code/"),
        ("get", "/accounts/signup/"),
        ("post", "/accounts/signup/"),
        ("get", "/accounts/password/reset/"),
        ("post", "/accounts/password/reset/"),
        ("get", "/accounts/password/reset/key/1-set-password/"),
        ("get", "/register/"),
        ("post", "/"),
        ("post", "/announcements/"),
        ("put", "/mypage/"),
        ("delete", "/mypage/"),
    ],
)
def test_registration_reset_and_every_change_get_the_503_page(client, window, method, path):
    response = getattr(client, method)(path, **JA)
    assert response.status_code == 503
    assert "メンテナンス中" in response.content.decode()
    assert response.templates[0].name == "core/maintenance_503.html"


def test_the_503_says_when_to_retry_and_is_never_cached(client, window):
    response = client.get("/accounts/password/reset/")
    retry_after = int(response["Retry-After"])
    seconds_left = (window.ends_at - timezone.now()).total_seconds()
    assert seconds_left - 5 <= retry_after <= seconds_left + 1
    assert "no-store" in response["Cache-Control"]


def test_the_503_page_in_japanese_and_english(client, window):
    ja = client.get("/accounts/password/reset/", **JA).content.decode()
    assert "<h1>メンテナンス中</h1>" in ja
    assert "ログイン、新規登録、予約・申し込みなどの変更はできません" in ja
    assert window.message in ja
    assert '<html lang="ja">' in ja

    en = client.get("/accounts/password/reset/", **EN).content.decode()
    assert "<h1>Under maintenance</h1>" in en
    assert "you cannot sign in, register or make changes" in en
    assert window.message_en in en
    assert '<html lang="en">' in en


# --- What stays open --------------------------------------------------------------------------
def test_the_top_page_and_announcements_still_show(client, window):
    announcement = AnnouncementFactory(title="保育園の入園説明会")
    home = client.get("/", **JA)
    assert home.status_code == 200
    assert "保育園の入園説明会" in home.content.decode()
    assert client.get(reverse("announcement_list")).status_code == 200
    detail = client.get(reverse("announcement_detail", args=[announcement.pk]))
    assert detail.status_code == 200


def test_the_language_switch_health_check_and_admin_stay_open(client, window):
    switched = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert switched.status_code == 302
    assert client.get("/", **EN).status_code == 200
    assert client.get(reverse("healthz")).status_code != 503
    # The admin's sign-in is allauth's (config/urls.py), which stays open for staff.
    assert client.get("/admin/login/").status_code == 302


def test_a_system_administrator_signs_in_to_the_admin_and_ends_the_window(
    client, window, admin_user
):
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator

    from ..factories import TEST_PASSWORD

    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    login = client.get("/admin/login/?next=/admin/")
    assert login["Location"].startswith(reverse("account_login"))
    page = client.get(login["Location"]).content.decode()
    assert "only staff can sign in now" in page or "職員" in page
    client.post(
        login["Location"], {"login": admin_user.email, "password": TEST_PASSWORD, "next": "/admin/"}
    )
    # The second step, as for every staff sign-in (the factory gave the persona an app).
    totp = Authenticator.objects.get(user=admin_user, type="totp")
    code = Totp(get_adapter().decrypt(totp.data["secret"])).now()
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    if response["Location"] == reverse("mfa_trust"):
        response = client.post(reverse("mfa_trust"), {"action": "skip"})
    assert response["Location"] == "/admin/"
    change_url = reverse("admin:core_maintenancewindow_change", args=[window.pk])
    assert client.get(change_url).status_code == 200

    response = client.post(
        reverse("admin:core_maintenancewindow_delete", args=[window.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not MaintenanceWindow.objects.exists()
    assert AuditLog.objects.filter(action="maintenance.delete", actor=admin_user).exists()
    client.logout()
    assert client.get("/accounts/password/reset/").status_code != 503


@pytest.mark.parametrize("url_name", ["account_logout", "signin_logout_everywhere"])
def test_signing_out_still_works(client, window, resident, url_name):
    client.force_login(resident)
    response = client.post(reverse(url_name))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_sign_in_help_page_stays_readable(client, window):
    # Where people look up what to do; its forms (if any) are refused like every change.
    assert client.get(reverse("signin_help")).status_code == 200


def test_the_sign_in_page_opens_and_says_only_staff_can_sign_in(client, window):
    response = client.get("/accounts/login/", **EN)
    assert response.status_code == 200
    assert "only staff can sign in now" in response.content.decode()


def test_a_resident_with_the_right_password_gets_the_503_page(client, window, resident):
    from ..factories import TEST_PASSWORD

    response = client.post(
        "/accounts/login/", {"login": resident.email, "password": TEST_PASSWORD}, **JA
    )
    assert response.status_code == 503
    assert "メンテナンス中" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_signed_in_resident_can_read_but_not_change(client, window, resident):
    client.force_login(resident)
    assert client.get("/").status_code == 200
    assert client.post("/accounts/email/", {"email": "new@example.jp"}).status_code == 503


@pytest.mark.parametrize("persona", ["municipal_staff", "facility_staff", "admin_user"])
def test_staff_already_signed_in_get_through(client, window, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/accounts/password/reset/").status_code != 503
    assert client.get(reverse("backoffice:dashboard")).status_code == 200


def test_municipal_staff_end_the_window_from_the_back_office(client, window, municipal_staff):
    client.force_login(municipal_staff)
    response = client.post(reverse("backoffice:maintenance_end", args=[window.pk]), follow=True)
    assert response.status_code == 200
    window.refresh_from_db()
    assert window.ends_at <= timezone.now()
    assert AuditLog.objects.filter(
        action="maintenance.end", actor=municipal_staff, target_id=str(window.pk)
    ).exists()
    client.logout()
    # The service dropped the cached lookup: the next request is served at once.
    assert client.get("/accounts/password/reset/").status_code != 503


# --- Before and after a window ----------------------------------------------------------------
def test_nothing_is_refused_without_a_window(client, municipality):
    assert client.get("/accounts/password/reset/").status_code != 503
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 302


def test_the_top_page_announces_an_upcoming_window_from_its_announce_date(client, municipality):
    soon = _window(
        starts_in=timedelta(days=2),
        announce_from=timezone.now() - timedelta(hours=1),
        message="サーバーを入れ替えます。",
    )
    later = _window(
        starts_in=timedelta(days=20),
        announce_from=timezone.now() + timedelta(days=10),
        message="まだ告知しない作業です。",
    )
    body = client.get("/", **JA).content.decode()
    start = timezone.localtime(soon.starts_at).strftime("%Y-%m-%d %H:%M")
    assert start in body
    assert "サーバーを入れ替えます。" in body
    assert "まだ告知しない作業です。" not in body
    assert timezone.localtime(later.starts_at).strftime("%Y-%m-%d %H:%M") not in body
    # Announced, not yet in force: signing in still works.
    assert client.get("/accounts/password/reset/").status_code != 503


def test_a_window_starts_and_ends_on_time_even_while_cached(
    client, municipality, time_machine, django_assert_num_queries
):
    # The cache holds the windows that have not ended; whether one is on is decided at each
    # request, so a cached list never delays a start or an end (all within the cache timeout).
    time_machine.move_to(timezone.now(), tick=False)
    window = _window(starts_in=timedelta(seconds=10), lasts=timedelta(seconds=10))
    assert client.get("/accounts/password/reset/").status_code != 503  # fills the cache

    time_machine.shift(timedelta(seconds=12))
    with django_assert_num_queries(0):
        assert selectors.maintenance_active() == window
    assert client.get("/accounts/password/reset/").status_code == 503

    time_machine.shift(timedelta(seconds=10))
    assert timezone.now() > window.ends_at
    with django_assert_num_queries(0):
        assert selectors.maintenance_active() is None
    assert client.get("/accounts/password/reset/").status_code != 503


def test_the_window_lookup_is_cached(municipality, django_assert_num_queries):
    _window()
    with django_assert_num_queries(1):
        assert selectors.maintenance_active() is not None
    with django_assert_num_queries(0):
        assert selectors.maintenance_active() is not None
        assert selectors.maintenance_upcoming() == []


def test_scheduling_through_the_service_shows_at_once_despite_the_cache(client, municipality):
    assert client.get("/accounts/password/reset/").status_code != 503  # caches "no window"
    _window()
    assert client.get("/accounts/password/reset/").status_code == 503


def test_overlapping_windows_retry_after_the_later_end(client, municipality):
    _window(lasts=timedelta(hours=1))
    longer = _window(lasts=timedelta(hours=3))
    assert selectors.maintenance_active() == longer
    retry_after = int(client.get("/accounts/password/reset/")["Retry-After"])
    assert retry_after > 2 * 3600


# --- Scheduling in the Django admin -----------------------------------------------------------
def _split(value):
    local = timezone.localtime(value)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")


def _admin_form(starts_at, ends_at, announce_from=None, message="定期メンテナンス"):
    data = {"message": message, "message_en": ""}
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        data[f"{name}_0"], data[f"{name}_1"] = _split(value)
    if announce_from is not None:
        data["announce_from_0"], data["announce_from_1"] = _split(announce_from)
    else:
        data["announce_from_0"] = data["announce_from_1"] = ""
    return data


def test_a_system_administrator_schedules_a_window_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/").status_code == 200  # caches "no window"
    starts_at = timezone.now().replace(microsecond=0) + timedelta(days=3)
    response = client.post(
        reverse("admin:core_maintenancewindow_add"),
        _admin_form(starts_at, starts_at + timedelta(hours=2)),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    window = MaintenanceWindow.objects.get()
    assert window.starts_at == starts_at
    assert window.created_by == admin_user
    assert window.announce_from <= timezone.now()  # left empty: announced from now
    assert AuditLog.objects.filter(
        action="maintenance.create", actor=admin_user, target_id=str(window.pk)
    ).exists()
    client.logout()
    assert "定期メンテナンス" in client.get("/").content.decode()


def test_the_admin_explains_wrong_times_in_plain_words(client, admin_user):
    client.force_login(admin_user)
    starts_at = timezone.now() + timedelta(days=3)
    response = client.post(
        reverse("admin:core_maintenancewindow_add"),
        _admin_form(starts_at, starts_at - timedelta(hours=1)),
        **EN,
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["ends_at"] == ["The end must be after the start."]
    assert "__all__" not in form.errors  # no "Constraint … is violated" on top

    response = client.post(
        reverse("admin:core_maintenancewindow_add"),
        _admin_form(
            starts_at, starts_at + timedelta(hours=1), announce_from=starts_at + timedelta(days=1)
        ),
        **EN,
    )
    form = response.context["adminform"].form
    assert form.errors["announce_from"] == [
        "The announcement must start before the maintenance does."
    ]
    assert "__all__" not in form.errors
    assert not MaintenanceWindow.objects.exists()


def test_the_admin_messages_in_japanese(client, admin_user):
    client.force_login(admin_user)
    starts_at = timezone.now() + timedelta(days=3)
    response = client.post(
        reverse("admin:core_maintenancewindow_add"),
        _admin_form(starts_at, starts_at - timedelta(hours=1)),
        **JA,
    )
    assert response.context["adminform"].form.errors["ends_at"] == [
        "終了日時は開始日時より後にしてください。"
    ]


def test_editing_a_window_in_the_admin_is_logged_and_seen_at_once(client, admin_user):
    window = _window(starts_in=timedelta(days=1))
    client.force_login(admin_user)
    new_start = timezone.now().replace(microsecond=0) - timedelta(minutes=1)
    data = _admin_form(new_start, window.ends_at, announce_from=window.announce_from)
    data["announce_from_0"], data["announce_from_1"] = _split(new_start - timedelta(days=1))
    response = client.post(reverse("admin:core_maintenancewindow_change", args=[window.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditLog.objects.get(action="maintenance.update")
    assert "starts_at" in entry.detail["fields"]
    client.logout()
    assert client.get("/accounts/password/reset/").status_code == 503


# --- Scheduling in the back office ------------------------------------------------------------
def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_municipal_staff_schedule_a_window_in_the_back_office(client, municipal_staff):
    client.force_login(municipal_staff)
    starts_at = (timezone.now() + timedelta(days=7)).replace(second=0, microsecond=0)
    response = client.post(
        reverse("backoffice:maintenance_create"),
        {
            "starts_at": _local(starts_at),
            "ends_at": _local(starts_at + timedelta(hours=3)),
            "announce_from": _local(starts_at - timedelta(days=3)),
            "message": "システム更新のため",
            "message_en": "",
        },
    )
    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.starts_at == starts_at
    assert window.announce_from == starts_at - timedelta(days=3)
    assert AuditLog.objects.filter(action="maintenance.create", actor=municipal_staff).exists()
    listing = client.get(reverse("backoffice:maintenance_list")).content.decode()
    assert "システム更新のため" in listing


def test_the_back_office_form_keeps_input_and_explains_errors(client, municipal_staff):
    client.force_login(municipal_staff)
    past = timezone.now() - timedelta(days=2)
    response = client.post(
        reverse("backoffice:maintenance_create"),
        {
            "starts_at": _local(past),
            "ends_at": _local(past + timedelta(hours=1)),
            "message": "メッセージ",
        },
        **EN,
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ends_at"] == ["The end must be in the future."]
    assert "メッセージ" in response.content.decode()
    assert not MaintenanceWindow.objects.exists()


def test_cancelling_a_scheduled_window(client, municipal_staff):
    window = _window(starts_in=timedelta(days=1))
    client.force_login(municipal_staff)
    client.post(reverse("backoffice:maintenance_end", args=[window.pk]))
    assert not MaintenanceWindow.objects.exists()
    assert AuditLog.objects.filter(action="maintenance.cancel", target_id=str(window.pk)).exists()
    assert selectors.maintenance_scheduled() == []


def test_ending_twice_logs_once(client, window, municipal_staff):
    client.force_login(municipal_staff)
    url = reverse("backoffice:maintenance_end", args=[window.pk])
    client.post(url)
    client.post(url)
    assert AuditLog.objects.filter(action__startswith="maintenance.e").count() == 1


@pytest.mark.parametrize("persona", ["resident", "facility_staff"])
def test_only_municipal_staff_manage_maintenance_in_the_back_office(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("backoffice:maintenance_list")).status_code == 403
    assert client.get(reverse("backoffice:maintenance_create")).status_code == 403


def test_the_service_refuses_impossible_windows(municipality):
    from django.core.exceptions import ValidationError

    now = timezone.now()
    with pytest.raises(ValidationError):
        services.maintenance_window_create(actor=None, starts_at=now, ends_at=now)
    with pytest.raises(ValidationError):
        services.maintenance_window_create(
            actor=None,
            starts_at=now,
            ends_at=now + timedelta(hours=1),
            announce_from=now + timedelta(minutes=1),
        )
