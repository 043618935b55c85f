import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from kosodate.accounts.models import User
from kosodate.consultations.models import Profession, StaffMember, Topic
from tests.factories import ChildFactory, HouseholdFactory, UserFactory


@pytest.fixture
def make_family(municipality):
    counter = iter(range(1000))

    def make(months: int = 14):
        n = next(counter)
        household = HouseholdFactory()
        user = UserFactory(household=household, email=f"family{n}@example.jp")
        ChildFactory(
            household=household,
            first_name="はると",
            birth_date=timezone.localdate() - timedelta(days=int(months * 30.5) + 5),
        )
        return user

    return make


@pytest.fixture
def family(make_family):
    return make_family()


@pytest.fixture
def other_family(make_family):
    return make_family()


@pytest.fixture
def make_professional(municipality):
    counter = iter(range(1000))

    def make(profession=Profession.HEALTH):
        user = UserFactory(
            email=f"pro{next(counter)}@example.jp", role=User.Role.CONSULTANT, last_name="保健"
        )
        StaffMember.objects.create(user=user, profession=profession)
        return user

    return make


@pytest.fixture
def nurse(make_professional):
    return make_professional(Profession.HEALTH)


@pytest.fixture
def dietitian(make_professional):
    return make_professional(Profession.NUTRITION)


@pytest.fixture
def supervisor(municipality):
    user = UserFactory(email="kanri@example.jp", role=User.Role.MUNICIPAL_STAFF)
    StaffMember.objects.create(user=user, profession="")
    return user


@pytest.fixture
def facility_staff_user(municipality):
    return UserFactory(email="shisetsu@example.jp", role=User.Role.FACILITY_STAFF)


@pytest.fixture
def sleep_topic(db):
    return Topic.objects.get(code="sleep")


def jpeg_bytes(size=(40, 30), exif_gps=False) -> bytes:
    image = Image.new("RGB", size, (200, 100, 50))
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        gps = exif.get_ifd(0x8825)
        gps[1] = "N"
        gps[2] = (35.0, 41.0, 0.0)
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def upload(name="photo.jpg", content=None, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content if content is not None else jpeg_bytes(), content_type)
