from django import template
from django.utils.translation import gettext_lazy as _

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


@register.filter
def bs(field):
    """Render a form field with Bootstrap's class for its widget (forms stay free of styling)."""
    widget = field.field.widget
    kind = getattr(widget, "input_type", "")
    css = {"select": "form-select", "checkbox": "form-check-input", "radio": "form-check-input"}.get(
        kind, "form-select" if widget.__class__.__name__ == "Select" else "form-control"
    )
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})


@register.filter
def status_badge(status) -> str:
    """Bootstrap colour of a dossier status badge."""
    return {
        0: "secondary",
        1: "info",
        2: "primary",
        3: "danger",
        4: "primary",
        5: "warning",
        6: "warning",
        7: "secondary",
        8: "danger",
        9: "success",
        10: "success",
    }.get(int(status), "secondary")


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


EVENT_LABELS = {
    "intake": _("Tiếp nhận hồ sơ trực tiếp"),
    "overdue": _("Hồ sơ quá hạn xử lý"),
    "paid": _("Đã thanh toán phí, lệ phí trực tuyến"),
}


@register.filter
def action_label(action: str) -> str:
    """The Vietnamese name of a history row's action (workflow table, then events of its own)."""
    from cqs.onestop.workflow import TRANSITIONS

    if action in TRANSITIONS:
        return str(TRANSITIONS[action].label)
    return str(EVENT_LABELS.get(action, action))
