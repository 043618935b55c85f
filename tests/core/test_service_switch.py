"""A municipality switches services on and off (Municipality.*_enabled): the top page, My Page
and the staff menu offer only what is on, and a switched-off service's pages answer 404."""

from datetime import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from kosodate.childcare import services as childcare_services
from kosodate.core.selectors import MUNICIPALITY_CACHE_KEY
from kosodate.events import services as event_services
from tests.childcare.support import FacilityFactory, bookable_day, family, registered
from tests.events.factories import EventFactory

pytestmark = pytest.mark.django_db


def _switch_off(municipality, *flags):
    for flag in flags:
        setattr(municipality, flag, False)
    municipality.save()
    cache.delete(MUNICIPALITY_CACHE_KEY)


def test_the_top_page_links_each_service_that_is_on_and_never_one_not_built(client, municipality):
    body = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{reverse("childcare:availability")}"' in body
    assert f'href="{reverse("events:list")}"' in body
    assert f'href="{reverse("health_home")}"' in body
    assert f'href="{reverse("consultations:home")}"' in body
    assert f'href="{reverse("familysupport:home")}"' in body

    _switch_off(municipality, "childcare_enabled")
    body = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("childcare:availability") not in body
    assert f'href="{reverse("events:list")}"' in body


def test_switched_off_consultations_answer_404(client, municipality, resident):
    _switch_off(municipality, "consultations_enabled")
    body = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("consultations:home") not in body
    client.force_login(resident)
    assert client.get(reverse("consultations:home")).status_code == 404
    assert client.get(reverse("consultations_staff:queue")).status_code == 404


def test_a_switched_off_service_answers_404_to_residents_and_staff(
    client, municipality, resident, municipal_staff
):
    _switch_off(municipality, "events_enabled", "health_info_enabled")
    assert client.get(reverse("events:list")).status_code == 404
    client.force_login(resident)
    assert client.get(reverse("health_home")).status_code == 404
    assert client.get(reverse("childcare:availability")).status_code == 200
    client.force_login(municipal_staff)
    assert client.get(reverse("events_staff:list")).status_code == 404
    assert client.get(reverse("staff_health_notice_list")).status_code == 404


def test_the_staff_menu_leaves_out_switched_off_services(client, municipality, municipal_staff):
    client.force_login(municipal_staff)
    _switch_off(municipality, "childcare_enabled")
    nav = (
        client.get(reverse("backoffice:dashboard"))
        .content.decode()
        .split('class="backoffice-nav"', 1)[1]
        .split("</nav>", 1)[0]
    )
    assert reverse("childcare_staff:index") not in nav
    assert reverse("events_staff:list") in nav


def test_my_page_lists_upcoming_childcare_bookings_and_event_applications(
    client, municipality, resident
):
    [child] = family(resident, first_name="さくら")
    facility = FacilityFactory(name="ひだまり保育園", requires_interview=False)
    registered(child, facility)
    [booking] = childcare_services.booking_request(
        user=resident,
        facility=facility,
        children=[child],
        day=bookable_day(),
        start=time(9),
        end=time(12),
        reason="work",
        pickup_person="山田花子(母)",
        notes="",
    )
    event = EventFactory(title="親子リトミック")
    application = event_services.application_create(
        event=event, user=resident, children=[child], adults=1
    )
    client.force_login(resident)

    body = client.get(reverse("mypage")).content.decode()
    section = body.split('id="bookings-title"', 1)[1].split("</section>", 1)[0]
    assert reverse("childcare:booking_detail", args=[booking.code]) in section
    assert "ひだまり保育園" in section
    assert reverse("events:application_detail", args=[application.pk]) in section
    assert "親子リトミック" in section
    assert "これからの予約はありません" not in section

    _switch_off(municipality, "events_enabled")
    section = client.get(reverse("mypage")).content.decode().split('id="bookings-title"', 1)[1]
    assert "親子リトミック" not in section.split("</section>", 1)[0]
    assert reverse("events:mine") not in section.split("</section>", 1)[0]


def test_my_page_says_so_when_nothing_is_booked(client, municipality, resident):
    client.force_login(resident)
    section = client.get(reverse("mypage"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    section = section.split('id="bookings-title"', 1)[1].split("</section>", 1)[0]
    assert "You have no upcoming bookings." in section
