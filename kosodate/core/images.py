"""Uploaded photos, for every app (consultations' attachments, ファミサポ's membership photo):
checked by their content (not their name), size-limited, and re-encoded, which keeps the pixels
and drops everything else (EXIF location included). Refusals are ValidationErrors with a message
for the person who uploaded (code "too_large" or "not_image")."""

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
# Larger photos are scaled down (a caller may ask for less): enough to see a rash or a meal, and
# a bounded size to keep.
MAX_SIDE = 2048
# A decompression bomb is refused before its pixels are decoded.
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    content_type: str
    width: int
    height: int


def photo_clean(upload, *, max_bytes: int, max_side: int = MAX_SIDE) -> CleanPhoto:
    """Check one uploaded file and return it re-encoded as JPEG (or PNG when it has
    transparency), no side longer than `max_side`; raises ValidationError with a message for the
    person who uploaded it."""
    name = getattr(upload, "name", "") or ""
    if upload.size > max_bytes:
        raise ValidationError(
            _("%(name)s is too large: a photo may be at most %(mb)s MB."),
            code="too_large",
            params={"name": name, "mb": f"{max_bytes / (1024 * 1024):g}"},
        )
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        if kind not in ACCEPTED_FORMATS:
            raise UnidentifiedImageError(kind)
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise UnidentifiedImageError("too many pixels")
            # Keep it upright once the EXIF is gone.
            image: Image.Image = ImageOps.exif_transpose(opened)
            image.thumbnail((max_side, max_side))
            keep_alpha = image.mode in ("RGBA", "LA", "P") and "transparency" in image.info
            out = io.BytesIO()
            if keep_alpha or image.mode in ("RGBA", "LA"):
                image = image.convert("RGBA")
                image.save(out, format="PNG", optimize=True)
                content_type = "image/png"
            else:
                image = image.convert("RGB")
                image.save(out, format="JPEG", quality=85)
                content_type = "image/jpeg"
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("%(name)s is not a photo we can read. Attach a JPEG, PNG or WebP picture."),
            code="not_image",
            params={"name": name},
        ) from None
    return CleanPhoto(out.getvalue(), content_type, width, height)
