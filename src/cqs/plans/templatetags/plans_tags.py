from decimal import Decimal

from django import template

from cqs.plans.checks import format_number

register = template.Library()


@register.filter
def vn_number(value, places: int = 0) -> str:
    """``729340`` → ``729.340``; ``90.84`` with ``places=2`` → ``90,84``. The plan's figures are
    read in Vietnamese style whatever the interface language."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    if places == 0 and number != number.to_integral_value():
        places = 2
    return format_number(number, int(places))
