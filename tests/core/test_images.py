"""core.images.photo_clean, the one upload check every app uses (consultations' attachments,
ファミサポ's membership photo): bad files are refused with a message naming the file."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from kosodate.core.images import photo_clean


def _jpeg(size=(400, 300), gps=False) -> bytes:
    image = Image.new("RGB", size, (200, 100, 50))
    out = io.BytesIO()
    exif = Image.Exif()
    if gps:
        exif.get_ifd(0x8825)[1] = "N"
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _upload(content: bytes, name="face.jpg"):
    return SimpleUploadedFile(name, content, "image/jpeg")


def test_a_photo_is_re_encoded_without_exif_and_scaled_down():
    clean = photo_clean(_upload(_jpeg(gps=True)), max_bytes=10**6, max_side=100)
    assert clean.content_type == "image/jpeg" and (clean.width, clean.height) == (100, 75)
    with Image.open(io.BytesIO(clean.content)) as image:
        assert not image.getexif().get_ifd(0x8825)


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"this is not a picture", "not_image", "JPEG, PNG or WebP"),
        (b"GIF89a" + b"\x00" * 20, "not_image", "JPEG, PNG or WebP"),
        (_jpeg(), "too_large", "at most"),
    ],
    ids=["text-named-jpg", "broken-gif", "too-large"],
)
def test_bad_files_are_refused_with_a_message_naming_the_file(content, code, words):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        photo_clean(
            _upload(content, name="bad.jpg"), max_bytes=100 if code == "too_large" else 10**6
        )
    assert caught.value.code == code
    with translation.override("en"):
        assert "bad.jpg" in caught.value.messages[0] and words in caught.value.messages[0]
    with translation.override("ja"):  # and in Japanese, from core's catalogue
        assert "bad.jpg" in caught.value.messages[0]
        assert ("読み取れる写真ではありません" if code == "not_image" else "大きすぎます") in (
            caught.value.messages[0]
        )
