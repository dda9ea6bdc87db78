"""Writes of the shared kernel: the working-day calendar overrides, the layouts of printed forms."""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from cqs.audit.services import audit_record
from cqs.core import printing
from cqs.core.exceptions import NotFound, ServiceError
from cqs.core.models import CalendarOverride, PrintTemplate

_AUDITED_FIELDS = ("date", "is_working_day", "reason", "legal_basis")


def _snapshot(override: CalendarOverride) -> dict:
    return {name: getattr(override, name) for name in _AUDITED_FIELDS}


def calendar_override_set(
    *, day: date, is_working_day: bool, reason: str, legal_basis: str, actor=None
) -> CalendarOverride:
    """Create or replace the override of ``day`` (one per date), citing the decision behind it."""
    reason, legal_basis = (reason or "").strip(), (legal_basis or "").strip()
    if not isinstance(day, date):
        raise ServiceError("calendar_override_date_invalid", _("Ngày không hợp lệ."), field="date")
    if not reason:
        raise ServiceError("calendar_override_reason_required", _("Cần ghi lý do."), field="reason")
    if not legal_basis:
        raise ServiceError(
            "calendar_override_legal_basis_required",
            _("Cần ghi căn cứ pháp lý (văn bản quyết định việc hoán đổi hoặc nghỉ thêm)."),
            field="legal_basis",
        )
    max_length = CalendarOverride._meta.get_field("reason").max_length
    if len(reason) > max_length or len(legal_basis) > max_length:
        raise ServiceError(
            "calendar_override_too_long",
            _("Lý do và căn cứ pháp lý không được dài quá %(max)d ký tự.") % {"max": max_length},
        )
    with transaction.atomic():
        override = CalendarOverride.objects.select_for_update().filter(date=day).first()
        before = _snapshot(override) if override else None
        if override is None:
            override = CalendarOverride(date=day)
        override.is_working_day = bool(is_working_day)
        override.reason = reason
        override.legal_basis = legal_basis
        override.save()
        audit_record(
            action="calendar_override.update" if before else "calendar_override.create",
            obj=override,
            before=before,
            after=_snapshot(override),
            actor=actor,
        )
    return override


def calendar_override_delete(*, day: date, actor=None) -> None:
    """Remove the override of ``day``: the national calendar applies again."""
    with transaction.atomic():
        override = CalendarOverride.objects.select_for_update().filter(date=day).first()
        if override is None:
            raise NotFound(
                "calendar_override_not_found",
                _("Không có ngày điều chỉnh lịch làm việc nào vào ngày %(day)s.")
                % {"day": f"{day:%d/%m/%Y}" if isinstance(day, date) else day},
            )
        before = _snapshot(override)
        audit_record(action="calendar_override.delete", obj=override, before=before, actor=actor)
        override.delete()


_PRINT_TEMPLATE_AUDITED = ("code", "name", "body")


def _print_template_snapshot(template: PrintTemplate) -> dict:
    return {name: getattr(template, name) for name in _PRINT_TEMPLATE_AUDITED}


def print_template_save(*, code: str, name: str, body: str, actor=None) -> PrintTemplate:
    """Create or replace the administrator's layout of the form ``code``.

    The layout must compile, render with an empty context and lay out as a PDF: a layout that
    cannot print is refused here rather than at the counter, with the line at fault.
    """
    code, name, body = (code or "").strip(), (name or "").strip(), body or ""
    printing.code_check(code)
    if not name:
        raise ServiceError("print_template_name_required", _("Cần nhập tên mẫu in."), field="name")
    max_length = PrintTemplate._meta.get_field("name").max_length
    if len(name) > max_length:
        raise ServiceError(
            "print_template_name_too_long",
            _("Tên mẫu in không được dài quá %(max)d ký tự.") % {"max": max_length},
            field="name",
        )
    if not body.strip():
        raise ServiceError("print_template_body_required", _("Cần nhập bố cục mẫu in."), field="body")
    printing.layout_check(body, code=code)
    with transaction.atomic():
        template = PrintTemplate.objects.select_for_update().filter(code=code).first()
        before = _print_template_snapshot(template) if template else None
        if template is None:
            template = PrintTemplate(code=code)
        template.name = name
        template.body = body
        template.updated_by = actor if actor is not None and actor.is_authenticated else None
        template.save()
        audit_record(
            action="print_template.update" if before else "print_template.create",
            obj=template,
            before=before,
            after=_print_template_snapshot(template),
            actor=actor,
        )
    return template


def print_template_delete(*, code: str, actor=None) -> None:
    """Remove the administrator's layout of ``code``: the shipped default applies again."""
    with transaction.atomic():
        template = PrintTemplate.objects.select_for_update().filter(code=code).first()
        if template is None:
            raise NotFound(
                "print_template_not_found",
                _("Không có mẫu in “%(code)s” do người quản trị lưu.") % {"code": code},
            )
        audit_record(
            action="print_template.delete",
            obj=template,
            before=_print_template_snapshot(template),
            actor=actor,
        )
        template.delete()
