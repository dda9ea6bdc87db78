"""One report's page: its header, the data-entry form generated from the regime version, the
checks, submission, the reviewer's decision and lock exceptions, the history, the Excel template
and the signed PDF.

Which parts are shown is worked out here from the status and the user's grants, only to draw the
page; every action's service checks the same rules again and is the one that decides. A report
the user may not see is a 404, so that its existence does not leak.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cqs.accounts.permissions import grant_paths_prime
from cqs.core.exceptions import ServiceError
from cqs.reporting import excel
from cqs.reporting.choices import Importance, ReportStatus, ValueSource, ValueType
from cqs.reporting.forms import (
    LockExceptionForm,
    ReportEntryForm,
    ReturnForm,
    XlsxUploadForm,
    error_to_form,
)
from cqs.reporting.models import DataValue, Report
from cqs.reporting.periods import period_parse
from cqs.reporting.selectors import regime_rows, report_get
from cqs.reporting.services import reports as svc
from cqs.reporting.sources import SOURCES
from cqs.reporting.values import InvalidValue, value_parse
from cqs.reporting.views import may_review, require_reporting

ENTRY_ACTIONS = ("save", "check", "submit", "fill")
REVIEW_ACTIONS = ("approve", "return", "unlock")
FINDINGS_SHOWN_ON = ("validation_failed", "warnings_unconfirmed")


def _display(indicator, value: DataValue | None) -> str:
    if value is None:
        return ""
    if indicator.value_type == ValueType.BOOLEAN:
        return _("Có") if value.value == "true" else _("Không")
    return value.value


def report_visible(request, pk: int) -> Report:
    """The report, if the user may view it on its unit or on its reviewing unit; else 404."""
    require_reporting(request)
    report = report_get(pk=pk)
    user = request.user
    if report is None or not (
        svc.may(user, "view_report", report.unit) or svc.may(user, "view_report", report.reviewer_unit)
    ):
        raise Http404
    return report


def _raise_for(error: ServiceError) -> None:
    if error.status == 403:
        raise PermissionDenied(error.detail) from error
    if error.status == 404:
        raise Http404 from error


class Page:
    """What the page shows, computed once per request."""

    def __init__(self, request, report: Report):
        user = request.user
        grant_paths_prime(user, "reporting")
        self.request = request
        self.report = report
        self.today = timezone.localdate()
        self.cells = svc.form_cells(report.version)
        self.stored = {
            svc.cell_key(v.indicator.code, v.option_combo.code): v
            for v in DataValue.objects.filter(report=report).select_related("indicator", "option_combo")
        }
        self.locked = report.status in svc.EDITABLE and svc.report_is_locked(report, self.today)
        self.may_submit = svc.may(user, "submit_report", report.unit)
        self.editable = self.may_submit and report.status in svc.EDITABLE and not self.locked
        self.may_decide = report.status == ReportStatus.SUBMITTED and svc.may(
            user, "approve_report", report.reviewer_unit
        )
        self.may_unlock = self.locked and svc.may(user, "grant_lock_exception", report.reviewer_unit)

    def initial(self) -> dict[str, str]:
        initial = {key: value.value for key, value in self.stored.items()}
        initial["outline_text"] = self.report.outline_text or self.report.version.outline_template
        return initial

    def entry_form(self, data=None) -> ReportEntryForm:
        return ReportEntryForm(data, cells=self.cells, initial=self.initial())

    def sections(self, form: ReportEntryForm, findings: list) -> list[dict]:
        """The form's rows grouped by section, each with its cells (bound field, stored value)."""
        flagged = {f.indicator_code for f in findings} | {
            svc.cell_key(f.indicator_code, f.option_code) for f in findings if f.option_code
        }
        by_indicator: dict[int, list] = {}
        for key, (indicator, option) in self.cells.items():
            by_indicator.setdefault(indicator.pk, []).append((key, option))
        sections: list[dict] = []
        for row in regime_rows(self.report.version):
            indicator = row.indicator
            source = SOURCES.get(indicator.source) if indicator.source else None
            cells = []
            for key, option in by_indicator.get(indicator.pk, []):
                field = form[key]
                if field.errors:
                    attrs = form.fields[key].widget.attrs
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                    attrs["aria-describedby"] = f"err-{key}"
                value = self.stored.get(key)
                cells.append(
                    {
                        "key": key,
                        "option": option,
                        "disaggregated": option.code != "default",
                        "field": field,
                        "value": value,
                        "display": _display(indicator, value),
                        "flagged": key in flagged,
                    }
                )
            if not sections or sections[-1]["name"] != row.section:
                sections.append({"name": row.section, "rows": []})
            sections[-1]["rows"].append(
                {
                    "row": row,
                    "indicator": indicator,
                    "source": (getattr(source, "hint", None) or source.label) if source else "",
                    "source_available": bool(source and source.available),
                    "cells": cells,
                    "flagged": indicator.code in flagged,
                }
            )
        return sections

    def fillable(self) -> bool:
        return self.editable and any(
            SOURCES.get(indicator.source) and SOURCES[indicator.source].available
            for indicator, _option in self.cells.values()
            if indicator.source
        )

    def render(
        self,
        *,
        form=None,
        findings=None,
        confirm=False,
        return_form=None,
        lock_form=None,
        upload_form=None,
        checked=False,
    ):
        report = self.report
        findings = findings or []
        form = form or self.entry_form()
        spec = period_parse(report.period.iso)
        context = {
            "report": report,
            "label": spec.label(),
            "page": self,
            "form": form,
            "sections": self.sections(form, findings),
            "errors": [
                {"finding": f, "anchor": self.anchor(f)} for f in findings if f.importance == Importance.ERROR
            ],
            "warnings": [
                {"finding": f, "anchor": self.anchor(f)} for f in findings if f.importance != Importance.ERROR
            ],
            "checked": checked,
            "confirm": confirm,
            "fillable": self.fillable(),
            "return_form": return_form or ReturnForm(prefix="return"),
            "lock_form": lock_form or LockExceptionForm(prefix="lock"),
            "upload_form": upload_form or XlsxUploadForm(prefix="xlsx"),
            "lock_exception": svc.lock_exception_active(report, self.today) if report.lock_date else None,
            "events": list(report.events.select_related("actor")),
            "reviewer": may_review(self.request.user),
            "active": "report",
        }
        return render(self.request, "reporting/report.html", context)

    def anchor(self, finding) -> str:
        if finding.indicator_code and finding.option_code:
            return "cell-" + svc.cell_key(finding.indicator_code, finding.option_code)
        if finding.indicator_code:
            return "row-" + finding.indicator_code
        return ""


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_page(request, pk: int):
    report = report_visible(request, pk)
    page = Page(request, report)
    if request.method != "POST":
        return page.render()
    action = request.POST.get("action", "")
    if action in ENTRY_ACTIONS:
        return _entry(request, page, action)
    if action in REVIEW_ACTIONS:
        return _review(request, page, action)
    raise Http404


def _save(request, page: Page, form: ReportEntryForm) -> bool:
    """Save the cells the person changed (a cell absent from the post is never cleared); False,
    with the errors next to the cells, when one is invalid."""
    form.is_valid()
    values = {key: value for key, value in form.changed_values().items() if key in request.POST}
    outline = form.changed_outline() if "outline_text" in request.POST else None
    if not values and outline is None:
        return True
    try:
        svc.report_values_save(actor=request.user, report=page.report, values=values, outline_text=outline)
    except ServiceError as error:
        _raise_for(error)
        details = getattr(error, "details", None) or {}
        for key, message in details.items():
            form.add_error(key if key in form.fields else None, message)
        if not details:
            form.add_error(None, error.detail)
        messages.error(request, error.detail)
        return False
    return True


def _entry(request, page: Page, action: str):
    report = page.report
    form = page.entry_form(request.POST)
    if not _save(request, page, form):
        return page.render(form=form)
    if action == "save":
        messages.success(request, _("Đã lưu nháp báo cáo."))
        return redirect("reporting:report", pk=report.pk)
    if action == "fill":
        from cqs.reporting.services.fill import report_fill_from_platform

        try:
            filled = report_fill_from_platform(actor=request.user, report=report)
        except ServiceError as error:
            _raise_for(error)
            messages.error(request, error.detail)
        else:
            messages.success(request, _("Đã lấy %(n)s số liệu từ nền tảng.") % {"n": filled})
        return redirect("reporting:report", pk=report.pk)
    page = Page(request, report_get(pk=report.pk))
    if action == "check":
        findings = svc.report_check(page.report)
        if not findings:
            messages.success(request, _("Không phát hiện lỗi hay cảnh báo nào."))
        return page.render(findings=findings, checked=True, confirm=_has_warnings(findings))
    try:
        svc.report_submit(
            actor=request.user,
            report=page.report,
            confirm_warnings=request.POST.get("confirm_warnings") in ("1", "on", "true"),
        )
    except ServiceError as error:
        _raise_for(error)
        messages.error(request, error.detail)
        if error.error_code in FINDINGS_SHOWN_ON:
            findings = svc.report_check(page.report)
            return page.render(findings=findings, checked=True, confirm=_has_warnings(findings))
        return page.render()
    report = report_get(pk=report.pk)
    if report.late:
        messages.warning(
            request,
            _("Đã gửi báo cáo sau hạn %(date)s: báo cáo được ghi nhận là gửi muộn.")
            % {"date": f"{report.deadline:%d/%m/%Y}"},
        )
    else:
        messages.success(request, _("Đã gửi báo cáo tới %(unit)s.") % {"unit": report.reviewer_unit})
    return redirect("reporting:report", pk=report.pk)


def _has_warnings(findings) -> bool:
    return any(f.importance != Importance.ERROR for f in findings) and not any(
        f.importance == Importance.ERROR for f in findings
    )


def _review(request, page: Page, action: str):
    report = page.report
    user = request.user
    if action == "approve":
        try:
            done = svc.report_approve(actor=user, report=report)
        except ServiceError as error:
            _raise_for(error)
            messages.error(request, error.detail)
            return page.render()
        if done.signed_pdf:
            messages.success(request, _("Đã duyệt báo cáo; bản báo cáo đã được ký số."))
        else:
            messages.success(request, _("Đã duyệt báo cáo."))
        return redirect("reporting:report", pk=report.pk)
    if action == "return":
        form = ReturnForm(request.POST, prefix="return")
        if form.is_valid():
            try:
                svc.report_return(actor=user, report=report, reason=form.cleaned_data["reason"])
            except ServiceError as error:
                _raise_for(error)
                error_to_form(form, error)
            else:
                messages.success(request, _("Đã trả lại báo cáo cho %(unit)s.") % {"unit": report.unit})
                return redirect("reporting:report", pk=report.pk)
        return page.render(return_form=form)
    form = LockExceptionForm(request.POST, prefix="lock")
    if form.is_valid():
        try:
            svc.lock_exception_grant(
                actor=user,
                report=report,
                until=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            _raise_for(error)
            error_to_form(form, error)
        else:
            messages.success(
                request,
                _("Đã mở khóa nhập số liệu đến hết ngày %(date)s.")
                % {"date": f"{form.cleaned_data['until']:%d/%m/%Y}"},
            )
            return redirect("reporting:report", pk=report.pk)
    return page.render(lock_form=form)


# --- files -----------------------------------------------------------------------------------


def _file_name(report: Report, extension: str) -> str:
    return f"{report.regime.code}-{report.period.iso}-{report.unit_id}.{extension}"


@login_required
@require_safe
def report_signed_pdf(request, pk: int):
    """The approved report signed with the reviewing unit's seal: its unit's and its reviewer's
    viewers only (the same check as the page)."""
    report = report_visible(request, pk)
    if not report.signed_pdf:
        raise Http404
    try:
        handle = report.signed_pdf.open("rb")
    except OSError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, _file_name(report, "pdf"))
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def report_xlsx(request, pk: int):
    """The Excel template of the report, prefilled with its current values."""
    report = report_visible(request, pk)
    response = HttpResponse(excel.report_template_xlsx(report), content_type=excel.XLSX_MIME)
    response["Content-Disposition"] = content_disposition_header(True, _file_name(report, "xlsx"))
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _changed(page: Page, values: dict[str, str]) -> dict[str, str]:
    """The cells of the file that differ from what is stored, compared as the service would
    store them, so that a value left as it was keeps its source (typed, platform)."""
    changed = {}
    for key, raw in values.items():
        current = page.stored.get(key)
        cell = page.cells.get(key)
        if cell is None:
            changed[key] = raw  # the service names the unknown cell
            continue
        if raw.strip() == "":
            if current is not None:
                changed[key] = raw
            continue
        try:
            text = value_parse(cell[0].value_type, raw)[0]
        except InvalidValue:
            changed[key] = raw
            continue
        if current is None or current.value != text:
            changed[key] = raw
    return changed


@login_required
@require_POST
def report_xlsx_upload(request, pk: int):
    """A filled template, saved as a draft through the same checks as the form (all or nothing)."""
    report = report_visible(request, pk)
    page = Page(request, report)
    form = XlsxUploadForm(request.POST, request.FILES, prefix="xlsx")
    if not form.is_valid():
        return page.render(upload_form=form)
    upload = form.cleaned_data["file"]
    try:
        excel.xlsx_check_size(upload.size)
        content = excel.report_xlsx_read(report, upload.read())
        values = _changed(page, content.values)
        outline = content.outline_text
        if (
            outline is not None
            and outline.strip() == (report.outline_text or report.version.outline_template).strip()
        ):
            outline = None
        if not values and outline is None:
            messages.info(request, _("Tệp Excel không có số liệu nào khác với báo cáo."))
            return redirect("reporting:report", pk=report.pk)
        result = svc.report_values_save(
            actor=request.user, report=report, values=values, outline_text=outline, source=ValueSource.EXCEL
        )
    except ServiceError as error:
        _raise_for(error)
        details = getattr(error, "details", None) or {}
        for key, message in details.items():
            form.add_error("file", f"{key}: {message}")
        if not details:
            error_to_form(form, error, default="file")
        messages.error(request, error.detail)
        return page.render(upload_form=form)
    messages.success(
        request,
        _("Đã nhập từ tệp Excel: %(saved)s ô lưu, %(deleted)s ô xóa.")
        % {"saved": result.saved, "deleted": result.deleted},
    )
    return redirect("reporting:report", pk=report.pk)
