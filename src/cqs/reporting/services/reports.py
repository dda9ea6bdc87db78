"""A unit's report: open, enter values (drafts), check, submit, return or approve, unlock.

Permissions (granted on a unit, covering its subtree):
* ``reporting.submit_report`` on the reporting unit: open, enter, fill from the platform, submit;
* ``reporting.approve_report`` on the reviewing unit: return or approve;
* ``reporting.grant_lock_exception`` on the reviewing unit: reopen entry after the lock date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.accounts.permissions import has_unit_permission
from cqs.audit.services import audit_record
from cqs.core.calendar import add_working_days
from cqs.core.exceptions import Conflict, Forbidden, NotFound, ServiceError
from cqs.orgs.models import OrgUnit
from cqs.reporting.choices import NUMERIC_TYPES, ReportAction, ReportStatus, ValueSource
from cqs.reporting.models import (
    CategoryOptionCombo,
    DataValue,
    LockException,
    Period,
    Regime,
    RegimeVersion,
    Report,
    ReportEvent,
)
from cqs.reporting.periods import PeriodError, PeriodSpec, period_parse
from cqs.reporting.rules import ExpressionError, Finding, outlier_check, rule_check
from cqs.reporting.selectors import is_assigned, regime_rows, regime_version_for, reviewer_for
from cqs.reporting.values import InvalidValue, value_parse

EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)
OUTLINE_MAX = 50_000
REASON_MAX = 2000
HISTORY_PERIODS = 12


def may(user, permission: str, unit: OrgUnit) -> bool:
    return user is not None and user.is_active and has_unit_permission(user, f"reporting.{permission}", unit)


def _require(user, permission: str, unit: OrgUnit, message: str) -> None:
    if not may(user, permission, unit):
        raise Forbidden("report_forbidden", message)


# --- periods -------------------------------------------------------------------------------


def period_spec(iso: str) -> PeriodSpec:
    try:
        return period_parse(iso)
    except PeriodError:
        raise ServiceError(
            "invalid_period", _("Kỳ báo cáo “%(period)s” không hợp lệ.") % {"period": iso}, field="period"
        ) from None


def period_ensure(spec: PeriodSpec) -> Period:
    period, _created = Period.objects.get_or_create(
        iso=spec.iso, defaults={"period_type": spec.period_type, "start": spec.start, "end": spec.end}
    )
    return period


def report_dates(version: RegimeVersion, spec: PeriodSpec) -> dict:
    """Window, deadline (working days after the cut-off) and lock date of a period."""
    window_start, window_end = spec.window(version.cutoff_day)
    deadline = add_working_days(window_end, version.deadline_working_days)
    lock_date = deadline + timedelta(days=version.expiry_days + 1) if version.expiry_days else None
    return {
        "window_start": window_start,
        "window_end": window_end,
        "deadline": deadline,
        "lock_date": lock_date,
    }


# --- locks ---------------------------------------------------------------------------------


def lock_exception_active(report: Report, today: date) -> LockException | None:
    return report.lock_exceptions.filter(until__gte=today).order_by("-until").first()


def report_is_locked(report: Report, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    if report.lock_date is None or today < report.lock_date:
        return False
    return lock_exception_active(report, today) is None


def _locked_error(report: Report) -> ServiceError:
    return Conflict(
        "period_locked",
        _(
            "Kỳ %(period)s đã khóa nhập từ ngày %(date)s. Đề nghị đơn vị duyệt (%(reviewer)s) mở khóa "
            "nếu cần nhập bổ sung."
        )
        % {
            "period": report.period.iso,
            "date": f"{report.lock_date:%d/%m/%Y}",
            "reviewer": report.reviewer_unit,
        },
    )


# --- opening -------------------------------------------------------------------------------


def _event(report: Report, action: str, actor, note: str = "") -> None:
    ReportEvent.objects.create(report=report, action=action, actor=actor, note=note)


def report_prepare(*, regime: Regime, unit: OrgUnit, spec: PeriodSpec) -> tuple[RegimeVersion, dict]:
    """The version and dates a report would have; raises when the unit or period does not fit."""
    version = regime_version_for(regime, spec)
    if version is None:
        raise ServiceError(
            "regime_not_in_force",
            _("Chế độ báo cáo %(code)s không có hiệu lực cho kỳ %(period)s.")
            % {"code": regime.code, "period": spec.iso},
            field="period",
        )
    if spec.period_type != version.period_type:
        raise ServiceError(
            "period_type_mismatch",
            _("Chế độ %(code)s báo cáo %(frequency)s; kỳ %(period)s không phù hợp.")
            % {
                "code": regime.code,
                "frequency": version.get_period_type_display().lower(),
                "period": spec.iso,
            },
            field="period",
        )
    if not is_assigned(version, unit, spec.end):
        raise ServiceError(
            "unit_not_assigned",
            _("%(unit)s không phải đối tượng thực hiện chế độ báo cáo %(code)s kỳ %(period)s.")
            % {"unit": unit, "code": regime.code, "period": spec.iso},
            field="unit",
        )
    dates = report_dates(version, spec)
    dates["reviewer_unit"] = reviewer_for(version, unit, spec.end)
    return version, dates


@transaction.atomic
def report_open(*, actor, regime: Regime, unit: OrgUnit, period: str, now=None) -> Report:
    """The unit's report for this regime and period, created as a draft the first time."""
    _require(actor, "submit_report", unit, _("Bạn không có quyền lập báo cáo của đơn vị này."))
    spec = period_spec(period)
    existing = Report.objects.filter(regime=regime, unit=unit, period__iso=spec.iso).first()
    if existing is not None:
        return existing
    version, dates = report_prepare(regime=regime, unit=unit, spec=spec)
    today = timezone.localdate(now)
    if today < spec.window(version.cutoff_day)[0]:
        raise ServiceError(
            "period_not_started",
            _("Kỳ %(period)s chưa bắt đầu.") % {"period": spec.iso},
            field="period",
        )
    if dates["lock_date"] is not None and today >= dates["lock_date"]:
        # A lock exception needs a report row to hang on: the reviewer opens it (lock_exception_grant).
        raise Conflict(
            "period_locked",
            _("Kỳ %(period)s đã khóa nhập từ ngày %(date)s.")
            % {"period": spec.iso, "date": f"{dates['lock_date']:%d/%m/%Y}"},
        )
    report = Report.objects.create(
        regime=regime, version=version, unit=unit, period=period_ensure(spec), **dates
    )
    _event(report, ReportAction.CREATED, actor)
    audit_record(action="reporting.report_open", obj=report, actor=actor, after={"period": spec.iso})
    return report


def _locked_row(report: Report) -> Report:
    row = (
        Report.objects.select_for_update(of=("self",))
        .select_related("regime", "version", "unit", "period", "reviewer_unit")
        .filter(pk=report.pk)
        .first()
    )
    if row is None:
        raise NotFound("report_not_found", _("Không tìm thấy báo cáo."))
    return row


def _require_editable(report: Report, today: date) -> None:
    if report.status not in EDITABLE:
        raise Conflict(
            "report_not_editable",
            _("Báo cáo đang ở trạng thái “%(status)s”, không sửa được.")
            % {"status": report.get_status_display()},
        )
    if report_is_locked(report, today):
        raise _locked_error(report)


# --- values --------------------------------------------------------------------------------


@dataclass
class SaveResult:
    saved: int = 0
    deleted: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def cell_key(indicator_code: str, option_code: str) -> str:
    """The name of a form cell (and of an error): ``INDICATOR.OPTION_COMBO``."""
    return f"{indicator_code}.{option_code}"


def form_cells(version: RegimeVersion) -> dict[str, tuple]:
    """Every cell of the version's form: key → (indicator, option combo)."""
    combos: dict[int, list[CategoryOptionCombo]] = {}
    cells = {}
    for row in regime_rows(version):
        indicator = row.indicator
        options = combos.get(indicator.category_combo_id)
        if options is None:
            options = list(CategoryOptionCombo.objects.filter(combo_id=indicator.category_combo_id))
            combos[indicator.category_combo_id] = options
        for option in options:
            cells[cell_key(indicator.code, option.code)] = (indicator, option)
    return cells


def _write_values(
    report: Report, parsed: dict, *, source: str, stored_by: str, now, notes: dict
) -> tuple[int, int]:
    existing = {(v.indicator_id, v.option_combo_id): v for v in DataValue.objects.filter(report=report)}
    creates, updates, deletes = [], [], []
    for (indicator, option), result in parsed.items():
        current = existing.get((indicator.pk, option.pk))
        if result is None:
            if current is not None:
                deletes.append(current.pk)
            continue
        text, number = result
        note = notes.get((indicator.pk, option.pk), "")
        if current is None:
            creates.append(
                DataValue(
                    report=report,
                    indicator=indicator,
                    option_combo=option,
                    unit_id=report.unit_id,
                    period_id=report.period_id,
                    value=text,
                    number=number,
                    source=source,
                    source_note=note,
                    stored_by=stored_by,
                    updated_at=now,
                )
            )
        elif current.value != text or current.source != source or current.source_note != note:
            current.value, current.number, current.source = text, number, source
            current.source_note, current.stored_by, current.updated_at = note, stored_by, now
            updates.append(current)
    DataValue.objects.bulk_create(creates)
    DataValue.objects.bulk_update(
        updates, ["value", "number", "source", "source_note", "stored_by", "updated_at"]
    )
    DataValue.objects.filter(pk__in=deletes).delete()
    return len(creates) + len(updates), len(deletes)


@transaction.atomic
def report_values_save(
    *,
    actor,
    report: Report,
    values: dict[str, object],
    outline_text: str | None = None,
    source: str = ValueSource.TYPED,
    notes: dict[str, str] | None = None,
    now=None,
) -> SaveResult:
    """Save a draft: ``values`` maps cell keys (``cell_key``) to raw input; empty input clears a
    cell. Every cell is checked first: one invalid cell saves nothing, and ``errors`` names each
    invalid cell (raised as ``ServiceError('invalid_values')`` with the details attached)."""
    report = _locked_row(report)
    _require(actor, "submit_report", report.unit, _("Bạn không có quyền nhập báo cáo của đơn vị này."))
    now = now or timezone.now()
    _require_editable(report, timezone.localdate(now))
    cells = form_cells(report.version)
    parsed, errors = {}, {}
    for key, raw in values.items():
        cell = cells.get(key)
        if cell is None:
            errors[key] = _("Ô “%(cell)s” không có trong biểu mẫu.") % {"cell": key}
            continue
        if raw is None or str(raw).strip() == "":
            parsed[cell] = None
            continue
        try:
            parsed[cell] = value_parse(cell[0].value_type, raw)
        except InvalidValue as exc:
            errors[key] = str(exc)
    if outline_text is not None and len(outline_text) > OUTLINE_MAX:
        errors["outline_text"] = _("Phần thuyết minh dài quá %(limit)s ký tự.") % {"limit": OUTLINE_MAX}
    if errors:
        error = ServiceError("invalid_values", _("Có %(n)s ô nhập chưa đúng.") % {"n": len(errors)})
        error.details = errors
        raise error
    keyed_notes = {}
    for key, note in (notes or {}).items():
        if key in cells:
            indicator, option = cells[key]
            keyed_notes[(indicator.pk, option.pk)] = note[:300]
    saved, deleted = _write_values(
        report, parsed, source=source, stored_by=actor.get_username(), now=now, notes=keyed_notes
    )
    if outline_text is not None and outline_text != report.outline_text:
        report.outline_text = outline_text
        report.save(update_fields=["outline_text", "updated_at"])
    if saved or deleted or outline_text is not None:
        action = ReportAction.FILLED if source == ValueSource.PLATFORM else ReportAction.SAVED
        _event(
            report,
            action,
            actor,
            _("%(saved)s ô lưu, %(deleted)s ô xóa") % {"saved": saved, "deleted": deleted},
        )
    return SaveResult(saved=saved, deleted=deleted)


def report_cells(report: Report) -> dict[tuple[str, str | None], Decimal | None]:
    """Numbers of the report by (indicator code, option code) and totals by (indicator code, None)."""
    cells: dict[tuple[str, str | None], Decimal | None] = {}
    rows = DataValue.objects.filter(report=report, number__isnull=False).values_list(
        "indicator__code", "option_combo__code", "number"
    )
    for code, option, number in rows:
        cells[(code, option)] = number
        cells[(code, None)] = (cells.get((code, None)) or Decimal(0)) + number
    return cells


# --- checks --------------------------------------------------------------------------------


def _history(report: Report) -> dict[tuple[int, int], list[Decimal]]:
    """This unit's earlier submitted or approved numbers, per cell, for the last periods."""
    earlier = (
        DataValue.objects.filter(
            unit_id=report.unit_id,
            report__regime_id=report.regime_id,
            report__status__in=(ReportStatus.SUBMITTED, ReportStatus.APPROVED),
            period__start__lt=report.period.start,
            number__isnull=False,
        )
        .order_by("-period__start")
        .values_list("indicator_id", "option_combo_id", "number")
    )
    history: dict[tuple[int, int], list[Decimal]] = {}
    for indicator_id, option_id, number in earlier[: HISTORY_PERIODS * 400]:
        points = history.setdefault((indicator_id, option_id), [])
        if len(points) < HISTORY_PERIODS:
            points.append(number)
    return history


def report_check(report: Report) -> list[Finding]:
    """Compulsory cells, validation rules and outliers, in form order; errors block submission."""
    findings: list[Finding] = []
    rows = regime_rows(report.version)
    present = set(DataValue.objects.filter(report=report).values_list("indicator_id", flat=True))
    for row in rows:
        if row.compulsory and row.indicator_id not in present:
            findings.append(
                Finding(
                    "compulsory_missing",
                    "error",
                    _("Chỉ tiêu bắt buộc chưa nhập: %(name)s.") % {"name": row.indicator.name},
                    row.indicator.code,
                )
            )
    cells = report_cells(report)
    for rule in report.version.rules.all():
        try:
            finding = rule_check(rule, cells)
        except ExpressionError:
            finding = Finding(
                "rule_broken", "warning", _("Quy tắc “%(name)s” viết sai, bỏ qua.") % {"name": rule.name}
            )
        if finding:
            findings.append(finding)
    history = _history(report)
    indicators = {row.indicator_id: row.indicator for row in rows}
    values = DataValue.objects.filter(report=report, number__isnull=False).select_related("option_combo")
    for value in values:
        indicator = indicators.get(value.indicator_id)
        if indicator is None or indicator.value_type not in NUMERIC_TYPES:
            continue
        why = outlier_check(
            value=value.number,
            history=history.get((value.indicator_id, value.option_combo_id), []),
            minimum=indicator.min_value,
            maximum=indicator.max_value,
        )
        if why:
            findings.append(
                Finding(
                    "outlier",
                    "warning",
                    _("%(name)s = %(value)s: %(why)s.")
                    % {"name": indicator.name, "value": value.value, "why": why},
                    indicator.code,
                    value.option_combo.code,
                )
            )
    return findings


# --- workflow ------------------------------------------------------------------------------


@transaction.atomic
def report_submit(*, actor, report: Report, confirm_warnings: bool = False, now=None) -> Report:
    """Send the report to its reviewer. Errors block; warnings must be confirmed. A report sent
    after its deadline is accepted and flagged late."""
    report = _locked_row(report)
    _require(actor, "submit_report", report.unit, _("Bạn không có quyền gửi báo cáo của đơn vị này."))
    now = now or timezone.now()
    _require_editable(report, timezone.localdate(now))
    findings = report_check(report)
    errors = [f for f in findings if f.blocking]
    if errors:
        error = ServiceError(
            "validation_failed", _("Báo cáo còn %(n)s lỗi phải sửa trước khi gửi.") % {"n": len(errors)}
        )
        error.details = [f.message for f in errors]
        raise error
    warnings = [f for f in findings if not f.blocking]
    if warnings and not confirm_warnings:
        error = ServiceError(
            "warnings_unconfirmed",
            _("Báo cáo có %(n)s cảnh báo: kiểm tra lại hoặc xác nhận số liệu đúng rồi gửi.")
            % {"n": len(warnings)},
        )
        error.details = [f.message for f in warnings]
        raise error
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = now
    report.submitted_by = actor
    report.late = timezone.localdate(now) > report.deadline
    report.return_reason = ""
    report.save(
        update_fields=["status", "submitted_at", "submitted_by", "late", "return_reason", "updated_at"]
    )
    note = _("Gửi muộn (hạn %(date)s)") % {"date": f"{report.deadline:%d/%m/%Y}"} if report.late else ""
    if warnings:
        note = "; ".join(filter(None, [note, _("Xác nhận %(n)s cảnh báo") % {"n": len(warnings)}]))
    _event(report, ReportAction.SUBMITTED, actor, note)
    audit_record(
        action="reporting.report_submit",
        obj=report,
        actor=actor,
        after={"late": report.late, "warnings": len(warnings)},
    )
    return report


def _require_reviewer(actor, report: Report) -> None:
    _require(
        actor,
        "approve_report",
        report.reviewer_unit,
        _("Chỉ %(unit)s được duyệt báo cáo này.") % {"unit": report.reviewer_unit},
    )
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict(
            "report_not_submitted",
            _("Báo cáo đang ở trạng thái “%(status)s”, không duyệt được.")
            % {"status": report.get_status_display()},
        )


@transaction.atomic
def report_return(*, actor, report: Report, reason: str, now=None) -> Report:
    report = _locked_row(report)
    _require_reviewer(actor, report)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason_required", _("Cần ghi lý do trả lại."), field="reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(
            "reason_too_long", _("Lý do dài quá %(n)s ký tự.") % {"n": REASON_MAX}, field="reason"
        )
    report.status = ReportStatus.RETURNED
    report.decided_at = now or timezone.now()
    report.decided_by = actor
    report.return_reason = reason
    report.save(update_fields=["status", "decided_at", "decided_by", "return_reason", "updated_at"])
    _event(report, ReportAction.RETURNED, actor, reason)
    audit_record(action="reporting.report_return", obj=report, actor=actor, after={"reason": reason})
    return report


@transaction.atomic
def report_approve(*, actor, report: Report, now=None) -> Report:
    """Approve, issue the report as a PDF signed with the reviewing unit's seal (when the regime
    asks for it), and queue the push to the Government reporting system (when it asks for that)."""
    from cqs.reporting.pdf import report_pdf_signed
    from cqs.reporting.ris import ris_enqueue

    report = _locked_row(report)
    _require_reviewer(actor, report)
    report.status = ReportStatus.APPROVED
    report.decided_at = now or timezone.now()
    report.decided_by = actor
    report.return_reason = ""
    fields = ["status", "decided_at", "decided_by", "return_reason", "updated_at"]
    _event(report, ReportAction.APPROVED, actor)
    if report.version.signature_required:
        report_pdf_signed(report=report, actor=actor)
        fields.append("signed_pdf")
        _event(report, ReportAction.SIGNED, actor)
    report.save(update_fields=fields)
    if report.version.push_to_ris:
        ris_enqueue(report)
    audit_record(action="reporting.report_approve", obj=report, actor=actor)
    return report


@transaction.atomic
def lock_exception_grant(*, actor, report: Report, until: date, reason: str, now=None) -> LockException:
    report = _locked_row(report)
    _require(
        actor,
        "grant_lock_exception",
        report.reviewer_unit,
        _("Chỉ %(unit)s được mở khóa báo cáo này.") % {"unit": report.reviewer_unit},
    )
    today = timezone.localdate(now)
    if until < today:
        raise ServiceError("until_in_past", _("Ngày mở khóa đến phải từ hôm nay trở đi."), field="until")
    if until > today + timedelta(days=60):
        raise ServiceError("until_too_far", _("Chỉ mở khóa tối đa 60 ngày."), field="until")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason_required", _("Cần ghi lý do mở khóa."), field="reason")
    exception = LockException.objects.create(
        report=report, until=until, reason=reason[:500], granted_by=actor
    )
    _event(
        report,
        ReportAction.SAVED,
        actor,
        _("Mở khóa nhập đến %(date)s: %(reason)s") % {"date": f"{until:%d/%m/%Y}", "reason": reason},
    )
    audit_record(
        action="reporting.lock_exception", obj=report, actor=actor, after={"until": until.isoformat()}
    )
    return exception


@transaction.atomic
def report_open_locked(
    *, actor, regime: Regime, unit: OrgUnit, period: str, until: date, reason: str, now=None
) -> Report:
    """For the reviewer: create a missing report after its lock date with a lock exception, so
    that the unit can still report."""
    spec = period_spec(period)
    version, dates = report_prepare(regime=regime, unit=unit, spec=spec)
    _require(
        actor,
        "grant_lock_exception",
        dates["reviewer_unit"],
        _("Chỉ %(unit)s được mở khóa báo cáo này.") % {"unit": dates["reviewer_unit"]},
    )
    report, created = Report.objects.get_or_create(
        regime=regime, unit=unit, period=period_ensure(spec), defaults={"version": version, **dates}
    )
    if created:
        _event(report, ReportAction.CREATED, actor)
    lock_exception_grant(actor=actor, report=report, until=until, reason=reason, now=now)
    return report
