"""お知らせ: what visitors see on the top page and each announcement's page, and how municipal
staff publish, edit and unpublish them in the back office (audit-logged)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kosodate.core import services
from kosodate.core.models import Announcement, AuditLog

from ..factories import AnnouncementFactory, UserFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}


def _local(value):
    """The value a datetime-local input sends, in Japan time."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


# --- Public pages -----------------------------------------------------------------------------
@pytest.fixture
def announcements(municipality):
    now = timezone.now()
    return {
        "current": AnnouncementFactory(title="現在のお知らせ"),
        "open_ended": AnnouncementFactory(title="期限なしのお知らせ", ends_at=None),
        "future": AnnouncementFactory(title="来週のお知らせ", starts_at=now + timedelta(days=7)),
        "ended": AnnouncementFactory(
            title="終わったお知らせ",
            starts_at=now - timedelta(days=10),
            ends_at=now - timedelta(days=1),
        ),
        "unpublished": AnnouncementFactory(title="取り下げたお知らせ", published=False),
    }


def test_the_top_page_shows_only_current_announcements(client, announcements):
    body = client.get("/").content.decode()
    assert "現在のお知らせ" in body
    assert "期限なしのお知らせ" in body
    assert "来週のお知らせ" not in body
    assert "終わったお知らせ" not in body
    assert "取り下げたお知らせ" not in body
    listing = client.get(reverse("announcement_list")).content.decode()
    assert "現在のお知らせ" in listing
    assert "終わったお知らせ" not in listing


@pytest.mark.parametrize(("key", "status"), [("current", 200), ("ended", 200)])
def test_an_announcement_has_its_own_page(client, announcements, key, status):
    announcement = announcements[key]
    response = client.get(reverse("announcement_detail", args=[announcement.pk]))
    assert response.status_code == status
    assert announcement.title in response.content.decode()


@pytest.mark.parametrize("key", ["future", "unpublished"])
def test_unpublished_and_not_yet_started_announcements_are_404(client, announcements, key):
    response = client.get(reverse("announcement_detail", args=[announcements[key].pk]))
    assert response.status_code == 404


def test_english_readers_see_the_english_version_or_the_japanese_one(client, municipality):
    translated = AnnouncementFactory(title="予約開始", title_en="Booking opens", body_en="Details")
    untranslated = AnnouncementFactory(title="日本語のみ", title_en="", body_en="")
    page = client.get(reverse("announcement_detail", args=[translated.pk]), **EN)
    assert "Booking opens" in page.content.decode()
    page = client.get(reverse("announcement_detail", args=[untranslated.pk]), **EN)
    assert "日本語のみ" in page.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_public_lists_query_count_does_not_grow_with_announcements(client, municipality):
    AnnouncementFactory.create_batch(2)
    client.get("/")  # warm the municipality cache
    few_home, few_list = _queries(client, "/"), _queries(client, reverse("announcement_list"))
    AnnouncementFactory.create_batch(25, importance=Announcement.Importance.IMPORTANT)
    assert _queries(client, "/") == few_home
    assert _queries(client, reverse("announcement_list")) == few_list


# --- Back office: who may manage -------------------------------------------------------------
STAFF_PAGES = [
    ("get", "backoffice:announcement_list", False),
    ("get", "backoffice:announcement_create", False),
    ("get", "backoffice:announcement_edit", True),
    ("post", "backoffice:announcement_unpublish", True),
    ("post", "backoffice:announcement_publish", True),
]


@pytest.mark.parametrize(("method", "name", "with_pk"), STAFF_PAGES)
def test_visitors_are_sent_to_sign_in(client, municipality, method, name, with_pk):
    announcement = AnnouncementFactory()
    url = reverse(name, args=[announcement.pk] if with_pk else [])
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("persona", ["resident", "facility_staff"])
@pytest.mark.parametrize(("method", "name", "with_pk"), STAFF_PAGES)
def test_residents_and_facility_staff_get_403(client, persona, method, name, with_pk, request):
    announcement = AnnouncementFactory(title="変更されないお知らせ")
    client.force_login(request.getfixturevalue(persona))
    url = reverse(name, args=[announcement.pk] if with_pk else [])
    response = getattr(client, method)(url)
    assert response.status_code == 403
    announcement.refresh_from_db()
    assert announcement.published
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("persona", ["municipal_staff", "admin_user"])
def test_municipal_staff_and_system_administrators_manage(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("backoffice:announcement_list")).status_code == 200


def test_an_unknown_announcement_is_404_for_staff(client, municipal_staff):
    client.force_login(municipal_staff)
    assert client.get(reverse("backoffice:announcement_edit", args=[999])).status_code == 404
    assert client.post(reverse("backoffice:announcement_unpublish", args=[999])).status_code == 404


def test_unpublish_needs_a_post(client, municipal_staff):
    announcement = AnnouncementFactory()
    client.force_login(municipal_staff)
    url = reverse("backoffice:announcement_unpublish", args=[announcement.pk])
    assert client.get(url).status_code == 405


# --- Back office: publishing -----------------------------------------------------------------
def test_staff_publish_an_announcement(client, municipal_staff):
    client.force_login(municipal_staff)
    starts_at = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    response = client.post(
        reverse("backoffice:announcement_create"),
        {
            "title": "夏祭りのお知らせ",
            "title_en": "Summer festival",
            "body": "7月20日に開催します。\r\n雨天中止です。",
            "body_en": "",
            "importance": "important",
            "starts_at": _local(starts_at),
            "ends_at": _local(starts_at + timedelta(days=14)),
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("backoffice:announcement_list")
    announcement = Announcement.objects.get()
    assert announcement.starts_at == starts_at
    assert announcement.ends_at == starts_at + timedelta(days=14)
    assert announcement.body == "7月20日に開催します。\n雨天中止です。"
    assert announcement.created_by == municipal_staff
    entry = AuditLog.objects.get(action="announcement.create")
    assert entry.actor == municipal_staff
    assert entry.target_id == str(announcement.pk)
    assert entry.ip_address == "127.0.0.1"

    client.logout()
    assert "夏祭りのお知らせ" in client.get("/").content.decode()
    detail = client.get(reverse("announcement_detail", args=[announcement.pk])).content.decode()
    assert "雨天中止です。" in detail


def test_the_title_is_normalised(client, municipal_staff):
    client.force_login(municipal_staff)
    client.post(
        reverse("backoffice:announcement_create"),
        {
            "title": "  ＡＢＣ保育園　ｶﾞｲﾄﾞ  ",
            "body": "本文",
            "importance": "normal",
            "starts_at": _local(timezone.now()),
        },
    )
    assert Announcement.objects.get().title == "ABC保育園 ガイド"


def test_an_end_before_the_start_is_explained_and_input_kept(client, municipal_staff):
    client.force_login(municipal_staff)
    starts_at = timezone.now() + timedelta(days=1)
    data = {
        "title": "入力を残すタイトル",
        "body": "本文",
        "importance": "normal",
        "starts_at": _local(starts_at),
        "ends_at": _local(starts_at - timedelta(hours=2)),
    }
    response = client.post(reverse("backoffice:announcement_create"), data, **EN)
    assert response.status_code == 200
    start = timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")
    assert response.context["form"].errors["ends_at"] == [
        f"The end must be after the start ({start})."
    ]
    body = response.content.decode()
    assert "入力を残すタイトル" in body
    assert _local(starts_at) in body
    assert not Announcement.objects.exists()

    response = client.post(reverse("backoffice:announcement_create"), data, **JA)
    assert response.context["form"].errors["ends_at"] == [
        f"終了日時は開始日時（{start}）より後にしてください。"
    ]


def test_required_fields_are_explained(client, municipal_staff):
    client.force_login(municipal_staff)
    response = client.post(
        reverse("backoffice:announcement_create"),
        {"title": "", "body": "", "importance": "normal", "starts_at": ""},
        **EN,
    )
    errors = response.context["form"].errors
    assert set(errors) == {"title", "body", "starts_at"}


def test_staff_edit_an_announcement(client, municipal_staff):
    announcement = AnnouncementFactory(title="旧タイトル")
    client.force_login(municipal_staff)
    url = reverse("backoffice:announcement_edit", args=[announcement.pk])
    page = client.get(url).content.decode()
    assert "旧タイトル" in page
    assert _local(announcement.starts_at) in page  # datetime-local shows Japan time

    response = client.post(
        url,
        {
            "title": "新タイトル",
            "title_en": announcement.title_en,
            "body": announcement.body,
            "body_en": announcement.body_en,
            "importance": "urgent",
            "starts_at": _local(announcement.starts_at),
            "ends_at": "",
        },
    )
    assert response.status_code == 302
    announcement.refresh_from_db()
    assert announcement.title == "新タイトル"
    assert announcement.importance == "urgent"
    entry = AuditLog.objects.get(action="announcement.update")
    # starts_at lost its seconds in the form: that counts as a change too.
    assert {"title", "importance"} <= set(entry.detail["fields"])
    assert "body" not in entry.detail["fields"]


def test_unpublishing_takes_it_off_the_site_and_publishing_puts_it_back(client, municipal_staff):
    announcement = AnnouncementFactory(title="取り下げるお知らせ")
    client.force_login(municipal_staff)
    unpublish = reverse("backoffice:announcement_unpublish", args=[announcement.pk])
    response = client.post(unpublish, follow=True)
    assert "取り下げるお知らせ" in response.content.decode()  # the success message names it
    client.post(unpublish)  # a second press changes nothing
    assert AuditLog.objects.filter(action="announcement.unpublish").count() == 1

    client.logout()
    assert "取り下げるお知らせ" not in client.get("/").content.decode()
    assert client.get(reverse("announcement_detail", args=[announcement.pk])).status_code == 404

    client.force_login(municipal_staff)
    client.post(reverse("backoffice:announcement_publish", args=[announcement.pk]))
    assert AuditLog.objects.filter(action="announcement.publish").count() == 1
    client.logout()
    assert "取り下げるお知らせ" in client.get("/").content.decode()


def test_the_staff_list_shows_every_state_with_a_constant_number_of_queries(
    client, municipal_staff, announcements
):
    client.force_login(municipal_staff)
    url = reverse("backoffice:announcement_list")
    client.get(url)
    body = client.get(url, **EN).content.decode()
    for state in ("Showing", "Scheduled", "Ended", "Unpublished"):
        assert state in body
    few = _queries(client, url)
    author = UserFactory(role="municipal_staff")
    AnnouncementFactory.create_batch(30, created_by=author)
    assert _queries(client, url) == few


# --- Services ---------------------------------------------------------------------------------
def test_the_service_refuses_an_end_before_the_start(municipal_staff):
    now = timezone.now()
    with pytest.raises(ValidationError):
        services.announcement_create(
            actor=municipal_staff, title="t", body="b", starts_at=now, ends_at=now
        )
    announcement = AnnouncementFactory()
    with pytest.raises(ValidationError):
        services.announcement_update(
            announcement=announcement, actor=municipal_staff, ends_at=announcement.starts_at
        )
    with pytest.raises(TypeError):
        services.announcement_update(
            announcement=announcement, actor=municipal_staff, published=False
        )


def test_an_update_without_changes_writes_nothing(municipal_staff):
    announcement = AnnouncementFactory()
    services.announcement_update(
        announcement=announcement, actor=municipal_staff, title=announcement.title
    )
    assert not AuditLog.objects.exists()


# --- Django admin (system administrators) ----------------------------------------------------
def test_the_admin_goes_through_the_services(client, admin_user):
    client.force_login(admin_user)
    starts_at = timezone.localtime(timezone.now() - timedelta(hours=1))
    response = client.post(
        reverse("admin:core_announcement_add"),
        {
            "title": "管理画面から",
            "title_en": "",
            "body": "本文",
            "body_en": "",
            "importance": "normal",
            "starts_at_0": starts_at.strftime("%Y-%m-%d"),
            "starts_at_1": starts_at.strftime("%H:%M:%S"),
            "ends_at_0": "",
            "ends_at_1": "",
            "published": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    announcement = Announcement.objects.get()
    assert announcement.created_by == admin_user
    assert AuditLog.objects.filter(action="announcement.create", actor=admin_user).exists()

    response = client.post(
        reverse("admin:core_announcement_delete", args=[announcement.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Announcement.objects.exists()
    assert AuditLog.objects.get(action="announcement.delete").detail["title"] == "管理画面から"


def test_an_announcement_saved_unpublished_in_the_admin_stays_off_the_site(client, admin_user):
    client.force_login(admin_user)
    starts_at = timezone.localtime(timezone.now() - timedelta(hours=1))
    response = client.post(
        reverse("admin:core_announcement_add"),
        {
            "title": "下書き",
            "body": "本文",
            "importance": "normal",
            "starts_at_0": starts_at.strftime("%Y-%m-%d"),
            "starts_at_1": starts_at.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302
    assert not Announcement.objects.get().published
    assert AuditLog.objects.filter(action="announcement.unpublish").exists()
    client.logout()
    assert "下書き" not in client.get("/").content.decode()
