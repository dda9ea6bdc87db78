"""Parsing a typed value: what DHIS2 accepts for each value type, with a Vietnamese message."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from cqs.reporting.choices import NUMERIC_TYPES, ValueType

_TRUE = {"true", "1", "yes", "có", "co", "x"}
_FALSE = {"false", "0", "no", "không", "khong"}
TEXT_MAX = 2000
SHORT_TEXT_MAX = 230
# What a numeric cell may hold: DataValue.number has 24 digits, 6 after the point.
NUMBER_LIMIT = Decimal("1e17")


class InvalidValue(ValueError):
    """A value that does not fit its type; ``code`` is stable, ``str()`` is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _number(raw: str) -> Decimal:
    text = raw.strip().replace(" ", "")
    # Vietnamese writes 1.234,5; DHIS2 and spreadsheets write 1234.5. A comma alone is a decimal mark.
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidValue("value_not_numeric", _("“%(value)s” không phải là số.") % {"value": raw}) from None
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise InvalidValue("value_not_numeric", _("“%(value)s” không phải là số hợp lệ.") % {"value": raw})
    return number


def value_parse(value_type: str, raw) -> tuple[str, Decimal | None]:
    """``(value as stored, number or None)``; raises ``InvalidValue`` when ``raw`` does not fit."""
    text = "" if raw is None else str(raw).strip()
    if value_type in NUMERIC_TYPES:
        number = _number(text)
        if (
            value_type != ValueType.NUMBER
            and value_type != ValueType.PERCENTAGE
            and number != number.to_integral()
        ):
            raise InvalidValue("value_not_integer", _("“%(value)s” phải là số nguyên.") % {"value": text})
        if value_type == ValueType.INTEGER_ZERO_OR_POSITIVE and number < 0:
            raise InvalidValue("value_negative", _("“%(value)s” không được âm.") % {"value": text})
        if value_type == ValueType.PERCENTAGE and not (0 <= number <= 100):
            raise InvalidValue(
                "value_not_percentage", _("Tỷ lệ phải từ 0 đến 100 (nhận được %(value)s).") % {"value": text}
            )
        if value_type in (ValueType.INTEGER, ValueType.INTEGER_ZERO_OR_POSITIVE):
            number = number.to_integral()
        normalised = format(number.normalize(), "f") if number != 0 else "0"
        return normalised, number
    if value_type == ValueType.BOOLEAN:
        lowered = text.lower()
        if lowered in _TRUE:
            return "true", Decimal(1)
        if lowered in _FALSE:
            return "false", Decimal(0)
        raise InvalidValue("value_not_boolean", _("“%(value)s” phải là Có hoặc Không.") % {"value": text})
    limit = SHORT_TEXT_MAX if value_type == ValueType.TEXT else TEXT_MAX
    if len(text) > limit:
        raise InvalidValue("value_too_long", _("Nội dung dài quá %(limit)s ký tự.") % {"limit": limit})
    return text, None
