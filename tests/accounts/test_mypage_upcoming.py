"""My Page's upcoming list on the demo (issue 12 item 10): 山田 花子 has things ahead in every
service; My Page shows three, what needs her action first, and a link to see all of each."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from kosodate.accounts.models import User
from kosodate.core import registry
from kosodate.core.demo import demo_data_load
from kosodate.core.selectors import municipality_get

pytestmark = pytest.mark.django_db


def test_the_demo_family_sees_three_things_what_needs_action_first(client):
    demo_data_load()
    hanako = User.objects.get(email="hanako@example.jp")
    items, total = registry.mypage_upcoming(SimpleNamespace(user=hanako), municipality_get())
    assert len(items) == 3 and total > 3
    # Her offered 一時預かり place and the ファミサポ report to confirm come before the rest.
    assert items[0].needs_action
    kinds = {str(item.kind) for item in items if item.needs_action}
    assert kinds, items

    everything = []
    for panel in registry.mypage_panels(municipality_get()):
        if panel.upcoming:
            everything += panel.upcoming(SimpleNamespace(user=hanako))
    by_kind = {str(item.kind) for item in everything}
    assert {"一時預かり", "講座・イベント", "ファミリー・サポート", "子育て相談"} <= by_kind, (
        by_kind
    )
    assert any(i.needs_action and str(i.kind) == "ファミリー・サポート" for i in everything)

    client.force_login(hanako)
    page = client.get(reverse("mypage")).content.decode()
    section = page.split('id="bookings-title"', 1)[1].split("</section>", 1)[0]
    assert section.count('<li class="card') == 3
    assert "手続きが必要です" in section
    for url in (
        "childcare:booking_list",
        "events:mine",
        "familysupport:home",
        "consultations:home",
    ):
        assert f'href="{reverse(url)}"' in section, url


def test_my_page_shows_three_health_notices_and_links_to_the_rest(client):
    demo_data_load()
    hanako = User.objects.get(email="hanako@example.jp")
    client.force_login(hanako)
    page = client.get(reverse("mypage")).content.decode()
    notices = page.split('id="health-notices-heading"', 1)[1].split("</section>", 1)[0]
    assert notices.count('class="card health-notice"') <= 3
    health = client.get(reverse("health_home")).content.decode()
    if health.count('class="card health-notice"') > 3:
        assert "すべて見る（ほか" in notices
        assert f'href="{reverse("health_home")}"' in notices
