"""Writes of the shared kernel: the working-day calendar overrides."""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from cqs.audit.services import audit_record
from cqs.core.exceptions import NotFound, ServiceError
from cqs.core.models import CalendarOverride

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
