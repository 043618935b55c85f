from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from kosodate.events.models import Event


class EventFactory(DjangoModelFactory):
    """A first-come class for 0–36 months, a week ahead, applications open now."""

    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"親子ふれあい講座 {n}")
    title_en = factory.Sequence(lambda n: f"Parent and child class {n}")
    description = "手遊びと絵本の読み聞かせをします。"
    description_en = "Finger plays and picture books."
    category = Event.Category.CLASS
    place = "こもれび子育て支援センター"
    place_en = "Komorebi family support centre"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))
    min_age_months = 0
    max_age_months = 36
    capacity = 2
    per_family_limit = 4
    fee = 0
    bring = "飲み物、タオル"
    applications_open_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    applications_close_at = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=1))
    mode = Event.Mode.FIRST_COME
