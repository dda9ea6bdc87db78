"""Photos of a report: checked like every upload (type, size, antivirus), then re-encoded.

Re-encoding as JPEG at most ``PHOTO_MAX_SIDE`` pixels on the long side makes phone photos small
enough for the public map and drops the EXIF block, which holds the phone's GPS position and
model (personal data: the reporter's own whereabouts when anonymous).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps

from cqs.core.uploads import upload_check

PHOTO_MAX_SIDE = 1600
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTOS_MAX = 5
JPEG_QUALITY = 82


@dataclass(frozen=True)
class PreparedPhoto:
    name: str
    data: bytes
    width: int
    height: int
    sha256: str


def photo_prepare(*, name: str, data: bytes) -> PreparedPhoto:
    """Check ``data`` (JPEG or PNG) and return it resized and re-encoded; raises ``ServiceError``."""
    checked = upload_check(name=name, data=data, allowed=("jpeg", "png"), max_bytes=PHOTO_MAX_BYTES)
    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
        image = image.convert("RGB")
        image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        width, height = image.size
    encoded = out.getvalue()
    return PreparedPhoto(
        name=checked.name,
        data=encoded,
        width=width,
        height=height,
        sha256=hashlib.sha256(encoded).hexdigest(),
    )
