"""Personal numbers shown or recorded in part only: ``026090001234`` becomes ``0260******34``.

Used wherever a CCCD or phone number leaves the profile tables: audit events, API responses,
pages. Logs are masked separately by ``cqs.core.logging``.
"""


def mask_digits(value: str | None, *, keep_start: int = 4, keep_end: int = 2) -> str:
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_cccd(value: str | None) -> str:
    return mask_digits(value, keep_start=4, keep_end=2)


def mask_phone(value: str | None) -> str:
    return mask_digits(value, keep_start=4, keep_end=2)
