"""Filters for printed forms (``{% load print_tags %}``): dates written the Vietnamese way.

The forms are legal documents in Vietnamese whatever the interface language, so these filters
do not follow the active locale.
"""

from datetime import date, datetime

from django import template
from django.utils import timezone

register = template.Library()


def _local(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def vn_date(value) -> str:
    """``05/01/2026``."""
    value = _local(value)
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return value or ""


@register.filter
def vn_time_date(value) -> str:
    """``08:30 ngày 05/01/2026``: short enough for a table cell."""
    value = _local(value)
    if isinstance(value, datetime):
        return f"{value:%H:%M} ngày {value:%d/%m/%Y}"
    return vn_date(value)


@register.filter
def vn_appointment(value) -> str:
    """``08 giờ 30 phút, ngày 05/01/2026``: the appointment of Circular 01/2018 forms."""
    value = _local(value)
    if isinstance(value, datetime):
        return f"{value:%H} giờ {value:%M} phút, ngày {value:%d/%m/%Y}"
    return vn_date(value)


@register.filter
def vn_long_date(value) -> str:
    """``ngày 05 tháng 01 năm 2026``, ``ngày 15 tháng 3 năm 2026``.

    Decree 30/2020 Appendix I: a day below 10 and the months 1 and 2 take a leading zero
    (so that nothing can be added in front of them); the other months do not.
    """
    value = _local(value)
    if not isinstance(value, date):
        return value or ""
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"
