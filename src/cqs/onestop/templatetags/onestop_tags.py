from django import template

register = template.Library()


@register.filter
def vnd(amount) -> str:
    """50000 → "50.000 đ" (Vietnamese groups thousands with dots), whatever the active language."""
    if amount in (None, ""):
        return ""
    return f"{int(amount):,} đ".replace(",", ".")


@register.filter
def plain_number(value) -> str:
    """Decimal("15.00") → "15", Decimal("0.50") → "0,5"."""
    text = format(value.normalize(), "f") if value == value.to_integral() else str(value.normalize())
    return text.replace(".", ",")
