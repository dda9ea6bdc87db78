import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CCCD_RE = re.compile(r"^\d{12}$")
# Vietnamese mobile and landline numbers: 0 followed by 9 or 10 digits, or +84 instead of the 0.
PHONE_RE = re.compile(r"^(?:0|\+84)\d{9,10}$")


def validate_cccd(value: str) -> None:
    """Căn cước công dân / căn cước: 12 digits (Law on Identification 2023)."""
    if not CCCD_RE.match(value or ""):
        raise ValidationError(_("Số căn cước phải gồm đúng 12 chữ số."), code="invalid_cccd")


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s.\-()]", "", value or "")


def validate_phone(value: str) -> None:
    if not PHONE_RE.match(normalize_phone(value)):
        raise ValidationError(
            _("Số điện thoại không hợp lệ (ví dụ 0912345678 hoặc +84912345678)."), code="invalid_phone"
        )
