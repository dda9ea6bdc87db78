"""Statistics pages: the table with its chart, the dossiers behind one cell, and Excel downloads.

All figures come from ``cqs.onestop.statistics``; these views parse the query, check access and
lay the numbers out. Access: signed in and holding ``onestop.view_dossier`` on some unit (403
otherwise); a unit outside those grants is 403 too.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import numberformat, timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from cqs.core.exceptions import Forbidden, ServiceError
from cqs.onestop import statistics
from cqs.onestop.choices import Timeliness
from cqs.onestop.deadlines import timeliness
from cqs.orgs.models import OrgUnit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50

# (group, field, header). Count fields are drill-down buckets; the others are rates (%).
COLUMNS = [
    (gettext_lazy("Tiếp nhận"), "received_carried_over", gettext_lazy("Kỳ trước chuyển sang")),
    (gettext_lazy("Tiếp nhận"), "received_new", gettext_lazy("Mới tiếp nhận")),
    (gettext_lazy("Tiếp nhận"), "received_in_person", gettext_lazy("Trực tiếp")),
    (gettext_lazy("Tiếp nhận"), "received_online", gettext_lazy("Trực tuyến")),
    (gettext_lazy("Tiếp nhận"), "received_postal", gettext_lazy("Bưu chính công ích")),
    (gettext_lazy("Tiếp nhận"), "to_process", gettext_lazy("Tổng số phải giải quyết")),
    (gettext_lazy("Đã giải quyết"), "processed", gettext_lazy("Tổng số")),
    (gettext_lazy("Đã giải quyết"), "processed_early", gettext_lazy("Trước hạn")),
    (gettext_lazy("Đã giải quyết"), "processed_on_time", gettext_lazy("Đúng hạn")),
    (gettext_lazy("Đã giải quyết"), "processed_late", gettext_lazy("Quá hạn")),
    (gettext_lazy("Đang giải quyết"), "in_progress", gettext_lazy("Tổng số")),
    (gettext_lazy("Đang giải quyết"), "in_progress_within", gettext_lazy("Trong hạn")),
    (gettext_lazy("Đang giải quyết"), "in_progress_overdue", gettext_lazy("Quá hạn")),
    (gettext_lazy("Kết thúc khác"), "refused", gettext_lazy("Từ chối tiếp nhận")),
    (gettext_lazy("Kết thúc khác"), "withdrawn", gettext_lazy("Công dân rút")),
    (gettext_lazy("Kết thúc khác"), "stopped", gettext_lazy("Dừng xử lý")),
    (gettext_lazy("Trực tuyến"), "received_new_eligible", gettext_lazy("Mới tiếp nhận, TTHC có DVCTT")),
    (gettext_lazy("Trực tuyến"), "received_online_eligible", gettext_lazy("Trong đó nộp trực tuyến")),
    (gettext_lazy("Trực tuyến"), "fee_dossiers", gettext_lazy("Có phí, lệ phí")),
    (gettext_lazy("Trực tuyến"), "paid_online", gettext_lazy("Thanh toán trực tuyến")),
    (gettext_lazy("Tỷ lệ (%)"), "on_time_rate", gettext_lazy("Trước và đúng hạn")),
    (gettext_lazy("Tỷ lệ (%)"), "on_time_rate_due", gettext_lazy("Trước và đúng hạn trên số đến hạn")),
    (gettext_lazy("Tỷ lệ (%)"), "online_share", gettext_lazy("Nộp trực tuyến")),
    (gettext_lazy("Tỷ lệ (%)"), "online_share_eligible", gettext_lazy("Nộp trực tuyến, TTHC có DVCTT")),
    (gettext_lazy("Tỷ lệ (%)"), "online_payment_share", gettext_lazy("Thanh toán trực tuyến")),
]
COLUMN_LABELS = {name: (group, header) for group, name, header in COLUMNS}

# How each column is computed, for the "Công thức" sheet (docs/onestop-statistics.md has the sources).
FORMULAS = {
    "received_carried_over": gettext_lazy(
        "Tiếp nhận trước ngày đầu kỳ và chưa xử lý xong, chưa kết thúc vào đầu kỳ."
    ),
    "received_new": gettext_lazy("Ngày tiếp nhận trong kỳ."),
    "received_in_person": gettext_lazy("Mới tiếp nhận, hình thức nộp 1 (trực tiếp)."),
    "received_online": gettext_lazy("Mới tiếp nhận, hình thức nộp 2 (trực tuyến)."),
    "received_postal": gettext_lazy("Mới tiếp nhận, hình thức nộp 3 (dịch vụ bưu chính công ích)."),
    "to_process": gettext_lazy("Kỳ trước chuyển sang + mới tiếp nhận."),
    "processed": gettext_lazy("Ngày xử lý xong (trạng thái 9, kể cả hồ sơ sau đó đã trả kết quả) trong kỳ."),
    "processed_early": gettext_lazy(
        "Đã giải quyết, không quá một lần yêu cầu bổ sung, xong vào ngày (giờ Việt Nam) trước ngày hẹn trả."
    ),
    "processed_on_time": gettext_lazy(
        "Đã giải quyết, không quá một lần yêu cầu bổ sung, xong trong ngày hẹn trả, không muộn hơn giờ hẹn."
    ),
    "processed_late": gettext_lazy(
        "Đã giải quyết sau thời điểm hẹn trả, hoặc đã yêu cầu bổ sung hơn một lần (QĐ 766/QĐ-TTg)."
    ),
    "in_progress": gettext_lazy("Tiếp nhận trước cuối kỳ, chưa xử lý xong và chưa kết thúc vào cuối kỳ."),
    "in_progress_within": gettext_lazy("Đang giải quyết, ngày hẹn trả không trước cuối kỳ (hoặc hiện tại)."),
    "in_progress_overdue": gettext_lazy("Đang giải quyết, ngày hẹn trả trước cuối kỳ (hoặc hiện tại)."),
    "refused": gettext_lazy("Kết thúc trong kỳ với trạng thái 3 (không được tiếp nhận)."),
    "withdrawn": gettext_lazy("Kết thúc trong kỳ với trạng thái 7 (công dân rút hồ sơ)."),
    "stopped": gettext_lazy("Kết thúc trong kỳ với trạng thái 8 (dừng xử lý)."),
    "received_new_eligible": gettext_lazy(
        "Mới tiếp nhận, của phiên bản thủ tục có cung cấp dịch vụ công trực tuyến (toàn trình hoặc một phần)."
    ),
    "received_online_eligible": gettext_lazy("Trong số trên, nộp trực tuyến."),
    "fee_dossiers": gettext_lazy("Mới tiếp nhận, có tổng phí, lệ phí lớn hơn 0."),
    "paid_online": gettext_lazy("Trong số trên, đã thanh toán trực tuyến."),
    "on_time_rate": gettext_lazy("(Trước hạn + đúng hạn) / đã giải quyết × 100 (QĐ 766, chỉ số 2.1)."),
    "on_time_rate_due": gettext_lazy(
        "(Trước hạn + đúng hạn) / (đã giải quyết + đang giải quyết quá hạn) × 100 "
        "(cách tính của Kế hoạch 326/KH-UBND)."
    ),
    "online_share": gettext_lazy("Nộp trực tuyến / mới tiếp nhận × 100."),
    "online_share_eligible": gettext_lazy(
        "Nộp trực tuyến / mới tiếp nhận của TTHC có DVCTT × 100 (QĐ 766, chỉ số 3.3)."
    ),
    "online_payment_share": gettext_lazy("Thanh toán trực tuyến / có phí, lệ phí × 100."),
}


class StatsFilterForm(forms.Form):
    """The period and the unit; the page, the Excel files and the API share it."""

    date_from = forms.DateField(label=gettext_lazy("Từ ngày"), required=False)
    date_to = forms.DateField(label=gettext_lazy("Đến ngày"), required=False)
    unit = forms.IntegerField(label=gettext_lazy("Đơn vị"), min_value=1, required=False)

    def __init__(self, data=None, *args, **kwargs):
        # The query names are "from" and "to" (Python keywords, hence the field names).
        if data is not None:
            data = {
                "date_from": data.get("from", ""),
                "date_to": data.get("to", ""),
                "unit": data.get("unit", ""),
            }
        super().__init__(data, *args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        if "date_from" in cleaned and cleaned["date_from"] is None:
            cleaned["date_from"] = date(today.year, 1, 1)
        if "date_to" in cleaned and cleaned["date_to"] is None:
            cleaned["date_to"] = today
        if cleaned.get("date_from") and cleaned.get("date_to"):
            try:
                statistics.period_check(cleaned["date_from"], cleaned["date_to"])
            except ServiceError as error:
                self.add_error("date_to" if error.field == "to" else "date_from", error.detail)
        return cleaned

    def unit_object(self) -> OrgUnit | None:
        unit_id = self.cleaned_data.get("unit")
        if unit_id is None:
            return None
        unit = OrgUnit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise Http404
        return unit

    def query(self, **extra) -> str:
        """The query string of this period and unit, with ``extra`` parameters."""
        return _query(self, unit=self.cleaned_data.get("unit"), **extra)


def _query(form: StatsFilterForm, *, unit: int | None, **extra) -> str:
    """The query string of the form's period for ``unit`` (none: the user's whole scope)."""
    data = form.cleaned_data
    params = {"from": data["date_from"].isoformat(), "to": data["date_to"].isoformat()}
    if unit:
        params["unit"] = unit
    return urlencode(params | {key: value for key, value in extra.items() if value})


def _allowed(request) -> None:
    if not statistics.may_view_statistics(request.user):
        raise PermissionDenied


def _report(form: StatsFilterForm, user) -> statistics.StatsReport:
    try:
        return statistics.dossier_statistics(
            user=user,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
            unit=form.unit_object(),
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error


def _cells(row: statistics.StatsRow, form: StatsFilterForm) -> list[dict]:
    """The row's values in column order, each count with the address of its dossier list."""
    base = reverse("onestop:stats-dossiers")
    unit = row.unit_id if row.kind != "total" else form.cleaned_data.get("unit")
    cells = []
    for _group, name, _header in COLUMNS:
        value = getattr(row, name)
        url = None
        if name in statistics.BUCKETS and value:
            only = "1" if row.kind == "self" else ""
            url = f"{base}?{_query(form, unit=unit, bucket=name, only=only)}"
        is_rate = name in statistics.RATE_FIELDS
        cells.append(
            {"name": name, "value": value, "text": _number(value, rate=is_rate), "url": url, "rate": is_rate}
        )
    return cells


def _number(value, *, rate: bool = False) -> str:
    """1234 → "1.234", 90.84 → "90,84" in Vietnamese (the active language's separators; Django's
    "vi" locale sets no grouping, and a count of dossiers reads better grouped)."""
    if value is None:
        return "–"
    return numberformat.format(
        value,
        get_format("DECIMAL_SEPARATOR"),
        decimal_pos=2 if rate else 0,
        grouping=3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


def _chart(report: statistics.StatsReport) -> dict:
    series = [
        "processed_early",
        "processed_on_time",
        "processed_late",
        "in_progress_within",
        "in_progress_overdue",
    ]
    labels = {
        "processed_early": _("Giải quyết trước hạn"),
        "processed_on_time": _("Giải quyết đúng hạn"),
        "processed_late": _("Giải quyết quá hạn"),
        "in_progress_within": _("Đang giải quyết trong hạn"),
        "in_progress_overdue": _("Đang giải quyết quá hạn"),
    }
    return {
        "labels": [row.unit_name for row in report.rows],
        "datasets": [
            {
                "key": name,
                "label": labels[name],
                "stack": "processed" if name.startswith("processed") else "in_progress",
                "data": [getattr(row, name) for row in report.rows],
            }
            for name in series
        ],
        "title": _("Hồ sơ đã và đang giải quyết theo đơn vị"),
    }


def _summary(total: statistics.StatsRow) -> list[tuple[str, str, str]]:
    def percent(value):
        return f"{_number(value, rate=True)} %" if value is not None else "–"

    return [
        ("to_process", _("Tổng số phải giải quyết"), _number(total.to_process)),
        ("on_time_rate", _("Giải quyết trước và đúng hạn"), percent(total.on_time_rate)),
        ("online_share", _("Nộp trực tuyến"), percent(total.online_share)),
        ("online_payment_share", _("Thanh toán trực tuyến"), percent(total.online_payment_share)),
    ]


def _groups() -> list[tuple[str, int]]:
    groups: list[list] = []
    for group, _name, _header in COLUMNS:
        if groups and groups[-1][0] == group:
            groups[-1][1] += 1
        else:
            groups.append([group, 1])
    return [(str(group), span) for group, span in groups]


@login_required
@require_safe
def stats_page(request):
    _allowed(request)
    form = StatsFilterForm(request.GET)
    context = {"form": form, "columns": COLUMNS, "groups": _groups(), "report": None}
    if not form.is_valid():
        return render(request, "onestop/stats/stats.html", context, status=400)
    report = _report(form, request.user)
    rows = [
        {
            "row": row,
            "cells": _cells(row, form),
            "drill": (
                f"{reverse('onestop:stats')}?{_query(form, unit=row.unit_id)}"
                if row.kind == "unit" and row.has_children
                else None
            ),
        }
        for row in report.rows
    ]
    up = report.trail[-2].pk if len(report.trail) >= 2 else None
    context |= {
        "report": report,
        "rows": rows,
        "total": {"row": report.total, "cells": _cells(report.total, form)},
        "chart": _chart(report),
        "summary": _summary(report.total),
        "trail": [
            (unit, f"{reverse('onestop:stats')}?{_query(form, unit=unit.pk)}") for unit in report.trail
        ],
        "top_url": f"{reverse('onestop:stats')}?{_query(form, unit=None)}",
        "up_url": f"{reverse('onestop:stats')}?{_query(form, unit=up)}" if report.unit else None,
        "excel_url": f"{reverse('onestop:stats-excel')}?{form.query()}",
        "register_url": f"{reverse('onestop:stats-register')}?{form.query()}",
        "api_url": _api_url(form),
    }
    return render(request, "onestop/stats/stats.html", context)


def _api_url(form: StatsFilterForm) -> str | None:
    try:
        return f"{reverse('onestop-api-statistics-dossiers')}?{form.query()}"
    except NoReverseMatch:
        return None


def _dossier_url(dossier) -> str | None:
    # The dossier pages belong to another part of onestop; link to them when they are routed.
    try:
        return reverse("onestop:dossier-detail", args=[dossier.pk])
    except NoReverseMatch:
        return None


def _state(dossier, as_at: datetime) -> str:
    """Timeliness as the register prints it: early, on time or late when processed; in
    progress (within or overdue) otherwise; empty for a dossier that ended another way."""
    verdict = timeliness(
        completed_at=dossier.completed_at, due_at=dossier.due_at, supplement_count=dossier.supplement_count
    )
    if verdict is not None:
        return str(Timeliness(verdict).label)
    if dossier.ended_at is not None or dossier.received_at is None:
        return ""
    if dossier.due_at is not None and dossier.due_at < as_at:
        return _("Đang giải quyết, quá hạn")
    return _("Đang giải quyết, trong hạn")


@login_required
@require_safe
def stats_dossiers(request):
    _allowed(request)
    form = StatsFilterForm(request.GET)
    bucket = request.GET.get("bucket", "")
    if not form.is_valid() or bucket not in statistics.BUCKETS:
        return render(
            request, "onestop/stats/dossiers.html", {"form": form, "error": True, "page": None}, status=400
        )
    unit = form.unit_object()
    try:
        dossiers = statistics.dossier_statistics_dossiers(
            user=request.user,
            unit=unit,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
            bucket=bucket,
            only_unit=request.GET.get("only") == "1",
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    as_at = min(
        statistics.period_bounds(form.cleaned_data["date_from"], form.cleaned_data["date_to"])[1],
        timezone.now(),
    )
    items = [{"dossier": d, "url": _dossier_url(d), "state": _state(d, as_at)} for d in page.object_list]
    context = {
        "form": form,
        "page": page,
        "items": items,
        "unit": unit,
        "bucket_label": "{}: {}".format(*COLUMN_LABELS[bucket]),
        "count_text": _number(page.paginator.count),
        "bucket": bucket,
        "back_url": f"{reverse('onestop:stats')}?{form.query()}",
        "page_query": form.query(bucket=bucket, only=request.GET.get("only", "")),
    }
    return render(request, "onestop/stats/dossiers.html", context)


# --- Excel -----------------------------------------------------------------------------------


def _local(moment):
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def stats_workbook(report: statistics.StatsReport) -> bytes:
    """The table (two header rows: group and column) and a sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Thống kê")
    bold = Font(bold=True)
    scope = report.unit.name if report.unit else _("Toàn bộ đơn vị được xem")
    sheet.append([_("THỐNG KÊ TÌNH HÌNH GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH")])
    sheet.append(
        [
            _("Đơn vị: %(unit)s; kỳ từ %(start)s đến %(end)s")
            % {"unit": scope, "start": f"{report.date_from:%d/%m/%Y}", "end": f"{report.date_to:%d/%m/%Y}"}
        ]
    )
    sheet.append(
        [_("Số đang giải quyết tính tại %(moment)s") % {"moment": f"{_local(report.as_at):%d/%m/%Y %H:%M}"}]
    )
    sheet["A1"].font = bold
    sheet.append([_("Đơn vị"), *[str(group) for group, _name, _header in COLUMNS]])
    sheet.append(["", *[str(header) for _group, _name, header in COLUMNS]])
    for cell in (*sheet[4], *sheet[5]):
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in [*report.rows, report.total]:
        values = []
        for _group, name, _header in COLUMNS:
            value = getattr(row, name)
            values.append(float(value) if name in statistics.RATE_FIELDS and value is not None else value)
        sheet.append([row.unit_name, *values])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sheet.column_dimensions["A"].width = 40
    sheet.freeze_panes = "B6"

    formulas = book.create_sheet(_("Công thức"))
    formulas.append([_("Cột"), _("Nhóm"), _("Cách tính")])
    for cell in formulas[1]:
        cell.font = bold
    for group, name, header in COLUMNS:
        formulas.append([str(header), str(group), str(FORMULAS[name])])
    formulas.append([])
    formulas.append(
        [
            _("Ghi chú"),
            "",
            _(
                "Hồ sơ tính theo cơ quan tiếp nhận và mọi đơn vị trực thuộc; ngày giờ theo giờ Việt Nam; "
                "tỷ lệ làm tròn 2 chữ số thập phân. Chi tiết: docs/onestop-statistics.md."
            ),
        ]
    )
    formulas.column_dimensions["A"].width = 36
    formulas.column_dimensions["B"].width = 18
    formulas.column_dimensions["C"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@login_required
@require_safe
def stats_excel(request):
    _allowed(request)
    form = StatsFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            _("Kỳ thống kê không hợp lệ."), status=400, content_type="text/plain; charset=utf-8"
        )
    report = _report(form, request.user)
    data = stats_workbook(report)
    name = f"thong-ke-ho-so-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.xlsx"
    return _xlsx_response(data, name)


REGISTER_HEADERS = [
    gettext_lazy("STT"),
    gettext_lazy("Mã hồ sơ"),
    gettext_lazy("Tên thủ tục hành chính"),
    gettext_lazy("Chủ hồ sơ"),
    gettext_lazy("Cơ quan tiếp nhận"),
    gettext_lazy("Hình thức nộp"),
    gettext_lazy("Ngày tiếp nhận"),
    gettext_lazy("Ngày hẹn trả"),
    gettext_lazy("Ngày xử lý xong"),
    gettext_lazy("Ngày trả kết quả"),
    gettext_lazy("Trạng thái"),
    gettext_lazy("Tình trạng giải quyết"),
]


def register_workbook(dossiers, *, date_from: date, date_to: date, as_at: datetime) -> bytes:
    """Sổ theo dõi hồ sơ (TT 01/2018/TT-VPCP, Mẫu 06), written row by row so that a year of a
    province fits in memory. No personal numbers (CCCD, phone) are written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Sổ theo dõi hồ sơ"))
    for index, width in enumerate((6, 28, 50, 28, 30, 14, 17, 17, 17, 17, 24, 24)):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    title = WriteOnlyCell(sheet, value=_("SỔ THEO DÕI HỒ SƠ"))
    title.font = Font(bold=True)
    sheet.append([title])
    sheet.append(
        [
            _("Từ ngày %(start)s đến ngày %(end)s")
            % {"start": f"{date_from:%d/%m/%Y}", "end": f"{date_to:%d/%m/%Y}"}
        ]
    )
    header = []
    for text in REGISTER_HEADERS:
        cell = WriteOnlyCell(sheet, value=str(text))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for number, dossier in enumerate(dossiers.iterator(chunk_size=2000), start=1):
        sheet.append(
            [
                number,
                dossier.code,
                dossier.version.name,
                dossier.applicant_name,
                dossier.unit.name,
                dossier.get_channel_display(),
                _local(dossier.received_at),
                _local(dossier.due_at),
                _local(dossier.completed_at),
                _local(dossier.returned_at),
                dossier.get_status_display(),
                _state(dossier, as_at),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@login_required
@require_safe
def register_excel(request):
    _allowed(request)
    form = StatsFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            _("Kỳ thống kê không hợp lệ."), status=400, content_type="text/plain; charset=utf-8"
        )
    date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    try:
        dossiers = statistics.dossier_register(
            user=request.user, date_from=date_from, date_to=date_to, unit=form.unit_object()
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    as_at = min(statistics.period_bounds(date_from, date_to)[1], timezone.now())
    data = register_workbook(dossiers, date_from=date_from, date_to=date_to, as_at=as_at)
    return _xlsx_response(data, f"so-theo-doi-ho-so-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx")
