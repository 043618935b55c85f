"""In-app notifications (core.services.notification_send): a row for the person, an email through
the outbox in their language, the /notifications/ page, and marking read (own ones only)."""

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy

from kosodate.core.models import Notification, OutboundMessage
from kosodate.core.services import notification_send

pytestmark = pytest.mark.django_db


def test_send_creates_the_row_and_the_email(resident):
    notification = notification_send(
        user=resident, kind="test.kind", title="件名", body="本文", url="/childcare/"
    )
    assert notification.user == resident and not notification.is_read
    message = OutboundMessage.objects.get(kind="test.kind")
    assert message.recipient == resident.email
    assert message.subject == "件名"
    assert "本文" in message.body and "/childcare/" in message.body


def test_lazy_strings_in_the_persons_language(resident):
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    notification_send(
        user=resident, kind="k", title=gettext_lazy("Notifications"), body="", email=False
    )
    assert Notification.objects.get().title == "Notifications"
    assert not OutboundMessage.objects.exists()


def test_page_lists_only_my_notifications_and_marks_read(client, resident, other_resident):
    mine = notification_send(
        user=resident, kind="k", title="わたしのお知らせ", body="", url="/childcare/"
    )
    theirs = notification_send(user=other_resident, kind="k", title="ほかの人のお知らせ", body="")
    client.force_login(resident)
    html = client.get(reverse("notification_list")).content.decode()
    assert "わたしのお知らせ" in html and "ほかの人のお知らせ" not in html
    # Someone else's id changes nothing.
    client.post(reverse("notification_read", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert not theirs.is_read
    response = client.post(reverse("notification_read", args=[mine.pk]), {"next": "/childcare/"})
    assert response.url == "/childcare/"
    mine.refresh_from_db()
    assert mine.is_read


def test_open_redirects_only_to_this_site(client, resident):
    mine = notification_send(user=resident, kind="k", title="t", body="")
    client.force_login(resident)
    response = client.post(
        reverse("notification_read", args=[mine.pk]), {"next": "https://evil.example/"}
    )
    assert response.url == reverse("notification_list")


def test_read_all(client, resident):
    for n in range(3):
        notification_send(user=resident, kind="k", title=f"t{n}", body="", email=False)
    client.force_login(resident)
    client.post(reverse("notification_read_all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_sign_in_required(client):
    response = client.get(reverse("notification_list"))
    assert response.status_code == 302


def test_the_menu_links_the_notifications_with_the_unread_count(client, resident, other_resident):
    import re

    for title in ("一通目", "二通目"):
        notification_send(user=resident, kind="k", title=title, body="", email=False)
    notification_send(user=other_resident, kind="k", title="ほかの人", body="", email=False)
    client.force_login(resident)

    def menu_item() -> str:
        page = client.get(reverse("mypage")).content.decode()
        nav = page.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
        match = re.search(r'<a href="/notifications/"[^>]*>(.*?)</a>', nav, re.S)
        assert match, "the menu has no link to the notifications"
        return match.group(1)

    assert re.sub(r"<[^>]+>", "", menu_item()) == "通知 2 件の未読"
    client.post(reverse("notification_read_all"))
    assert menu_item() == "通知"


def test_staff_menu_has_no_notifications_link(client, municipal_staff):
    client.force_login(municipal_staff)
    page = client.get(reverse("home")).content.decode()
    assert 'href="/notifications/"' not in page.split('class="site-nav"', 1)[1].split("</nav>")[0]
