"""Households for a fault test, made inside the production shape's own settings and database:

    python -m tests.faults.households PLACES HOUSEHOLDS   (with DJANGO_ENV_FILE=<state>/env)

prints JSON: the event (PLACES places, applications open now), and for each household its
session cookie (signed in, in the shape's Redis), its child's id and its own id. Run through
Shape.households().
"""

import json
import sys


def prepare(places: int, households: int) -> dict:
    import django

    django.setup()
    from datetime import timedelta

    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from kosodate.accounts import selectors as account_selectors
    from kosodate.accounts.models import Child, Household, TermsAcceptance, User
    from kosodate.events import services_staff
    from kosodate.events.models import Event

    today = timezone.localdate()
    homes = Household.objects.bulk_create(
        [
            Household(
                postal_code="1000001", prefecture="東京都", city="こもれび市", street=f"{n}-1"
            )
            for n in range(households)
        ]
    )
    users = []
    for n, home in enumerate(homes):
        user = User(
            username=f"fault{home.pk:06d}",
            email=f"fault{home.pk:06d}@example.jp",
            last_name="山田",
            first_name=f"{n}",
            household=home,
        )
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
    )
    terms = account_selectors.terms_current()
    if terms is not None:  # the demo publishes terms: these families have accepted them
        TermsAcceptance.objects.bulk_create([TermsAcceptance(user=u, terms=terms) for u in users])
    children = Child.objects.bulk_create(
        [
            Child(
                household=home,
                last_name="山田",
                first_name="さくら",
                last_name_kana="ヤマダ",
                first_name_kana="サクラ",
                birth_date=today - timedelta(days=500),
                sex=Child.Sex.FEMALE,
            )
            for home in homes
        ]
    )
    now = timezone.now()
    event = services_staff.event_create(
        actor=None,
        title="人気の親子講座（障害試験）",
        description="障害試験用の講座です。",
        category=Event.Category.CLASS,
        place="こもれび子育て支援センター",
        starts_at=now + timedelta(days=10),
        ends_at=now + timedelta(days=10, hours=1),
        min_age_months=0,
        max_age_months=36,
        capacity=places,
        applications_open_at=now - timedelta(minutes=1),
        applications_close_at=now + timedelta(days=9),
    )
    people = []
    for user, child in zip(users, children, strict=True):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        people.append(
            {
                "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "child": child.pk,
                "household": child.household_id,
            }
        )
    return {"event": event.pk, "cookie": settings.SESSION_COOKIE_NAME, "households": people}


if __name__ == "__main__":
    print(json.dumps(prepare(int(sys.argv[1]), int(sys.argv[2]))))
