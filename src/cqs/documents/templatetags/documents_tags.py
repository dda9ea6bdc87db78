"""Small display helpers of the documents pages: badges, labels of history rows, form fields."""

from django import template
from django.utils.translation import gettext_lazy as _

from cqs.documents.choices import IncomingStatus, OutgoingState, Urgency

register = template.Library()

# The processing history (DocumentEvent.action) in words a clerk reads.
EVENT_LABELS = {
    "arrived": _("Văn bản đến"),
    "register": _("Vào sổ văn bản đến"),
    "reject": _("Từ chối tiếp nhận"),
    "assign": _("Phân công xử lý"),
    "opinion": _("Ý kiến xử lý"),
    "complete": _("Hoàn thành xử lý"),
    "recalled": _("Văn bản bị thu hồi"),
    "draft": _("Tạo dự thảo"),
    "file_added": _("Tải lên tệp"),
    "submit": _("Trình ký"),
    "return": _("Trả lại dự thảo"),
    "sign": _("Ký số"),
    "issue": _("Phát hành"),
    "recall": _("Thu hồi văn bản"),
    "supersede_started": _("Bắt đầu văn bản cập nhật, thay thế"),
    "superseded": _("Đã có văn bản cập nhật, thay thế"),
    "replaced": _("Văn bản bị thay thế"),
    "updated": _("Văn bản được cập nhật"),
    "status_received": _("Bên nhận báo trạng thái"),
}

STATE_BADGES = {
    OutgoingState.DRAFT: "secondary",
    OutgoingState.REVIEW: "warning",
    OutgoingState.SIGNED: "info",
    OutgoingState.ISSUED: "success",
    OutgoingState.RECALLED: "dark",
    IncomingStatus.ARRIVED: "info",
    IncomingStatus.REJECTED: "dark",
    IncomingStatus.REGISTERED: "primary",
    IncomingStatus.ASSIGNED: "primary",
    IncomingStatus.PROCESSING: "warning",
    IncomingStatus.COMPLETED: "success",
    IncomingStatus.RECALLED: "dark",
}


@register.filter
def event_label(action: str) -> str:
    return str(EVENT_LABELS.get(action, action))


@register.filter
def status_label(code: str) -> str:
    """The words of an edXML status code (a recipient's latest report)."""
    if code in IncomingStatus.values:
        return str(IncomingStatus(code).label)
    return code or ""


@register.filter
def state_badge(document) -> str:
    """Bootstrap colour of the document's state (outgoing) or status (incoming)."""
    return STATE_BADGES.get(document.status if document.is_incoming else document.state, "secondary")


@register.filter
def signatures_state(document) -> str:
    """ "ok" when every signature checked on arrival is intact, valid and trusted, "bad" when one
    is not, "" when nothing was checked (an outgoing document, a paper one without signature)."""
    report = [r for r in (document.signature_report or []) if isinstance(r, dict)]
    if not report:
        return ""
    good = all(r.get("intact") and r.get("valid") and r.get("trusted") for r in report)
    return "ok" if good else "bad"


@register.filter
def is_urgent(urgency) -> bool:
    """Khẩn, Thượng khẩn and Hỏa tốc are shown in red (Decree 30 Art. 8)."""
    return urgency is not None and int(urgency) >= Urgency.URGENT


@register.filter
def bs(field):
    """Render a form field with Bootstrap's class for its widget (forms stay free of styling)."""
    widget = field.field.widget
    kind = getattr(widget, "input_type", "")
    if kind == "checkbox":
        css = "form-check-input"
    elif kind == "select" or widget.__class__.__name__ in ("Select", "SelectMultiple"):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})
