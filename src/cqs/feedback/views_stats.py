"""Statistics of citizen feedback: the tables with their chart, the reports behind one number,
and the Excel download.

All figures come from ``cqs.feedback.statistics``; these views parse the query, check access and
lay the numbers out. Access: signed in and holding ``feedback.view_feedback_statistics`` on some
unit (403 otherwise); a unit outside those grants is 403 too. The reports behind a number are
listed on the same page (``?bucket=…``), each linking to the staff page of the report.
"""

from __future__ import annotations

import io
from datetime import date
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
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_safe

from cqs.core.exceptions import Forbidden, ServiceError
from cqs.feedback import statistics as stats
from cqs.feedback.models import Category
from cqs.orgs.models import OrgUnit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50

# (group, field, header). Count fields are drill-down buckets; the others are rates.
COLUMNS = [
    (gettext_lazy("Tiếp nhận"), "received", gettext_lazy("Tổng số")),
    (gettext_lazy("Tiếp nhận"), "acknowledged_on_time", gettext_lazy("Thông báo thụ lý đúng hạn")),
    (gettext_lazy("Tiếp nhận"), "forwarded", gettext_lazy("Đã chuyển đơn vị khác")),
    (gettext_lazy("Đã trả lời"), "answered", gettext_lazy("Tổng số")),
    (gettext_lazy("Đã trả lời"), "answered_on_time", gettext_lazy("Đúng hạn")),
    (gettext_lazy("Đã trả lời"), "answered_late", gettext_lazy("Quá hạn")),
    (pgettext_lazy("feedback status", "Đang xử lý"), "open_now", gettext_lazy("Tổng số")),
    (pgettext_lazy("feedback status", "Đang xử lý"), "overdue_now", gettext_lazy("Quá hạn")),
    (gettext_lazy("Kết thúc khác"), "rejected", gettext_lazy("Không thụ lý")),
    (gettext_lazy("Kết thúc khác"), "transferred", gettext_lazy("Chuyển cơ quan ngoài")),
    (gettext_lazy("Kết thúc khác"), "duplicates", gettext_lazy("Trùng")),
    (gettext_lazy("Kết thúc khác"), "closed_other", gettext_lazy("Đóng khác")),
    (gettext_lazy("Hài lòng"), "surveyed", gettext_lazy("Số được đánh giá")),
    (gettext_lazy("Hài lòng"), "satisfied", gettext_lazy("Hài lòng (4–5)")),
    (gettext_lazy("Hài lòng"), "rating_average", gettext_lazy("Điểm trung bình")),
    (gettext_lazy("Tỷ lệ (%)"), "answered_rate", gettext_lazy("Đã trả lời")),
    (gettext_lazy("Tỷ lệ (%)"), "on_time_rate", gettext_lazy("Trả lời đúng hạn")),
    (gettext_lazy("Tỷ lệ (%)"), "acknowledged_rate", gettext_lazy("Thông báo thụ lý đúng hạn")),
    (gettext_lazy("Tỷ lệ (%)"), "satisfaction_rate", gettext_lazy("Hài lòng")),
]
COLUMN_LABELS = {name: (group, header) for group, name, header in COLUMNS}

# How each column is computed, for the "Công thức" sheet.
FORMULAS = {
    "received": gettext_lazy("Phản ánh gửi trong kỳ (theo thời điểm gửi, giờ Việt Nam)."),
    "acknowledged_on_time": gettext_lazy(
        "Đã thông báo thụ lý, chuyển hoặc không thụ lý trong 10 ngày làm việc (Luật 42/2013, Điều 28)."
    ),
    "forwarded": gettext_lazy("Đã chuyển đơn vị có thẩm quyền trong hệ thống ít nhất một lần (NĐ 20/2008)."),
    "answered": gettext_lazy("Đã trả lời và không mở lại sau đó (không tính phản ánh trùng)."),
    "answered_on_time": gettext_lazy("Đã trả lời, thời điểm trả lời không muộn hơn hạn trả lời."),
    "answered_late": gettext_lazy("Đã trả lời sau hạn trả lời."),
    "open_now": gettext_lazy("Đang xử lý tại thời điểm xem (kể cả đã mở lại)."),
    "overdue_now": gettext_lazy("Đang xử lý và đã quá hạn trả lời tại thời điểm xem."),
    "rejected": gettext_lazy("Không thụ lý."),
    "transferred": gettext_lazy("Đã chuyển cơ quan ngoài hệ thống."),
    "duplicates": gettext_lazy("Đã đóng vì trùng với phản ánh khác."),
    "closed_other": gettext_lazy(
        "Đã đóng cách khác: tách thành phản ánh khác, người phản ánh không bổ sung."
    ),
    "surveyed": gettext_lazy("Người phản ánh đã đánh giá (lần đánh giá gần nhất)."),
    "satisfied": gettext_lazy("Lần đánh giá gần nhất đạt 4 hoặc 5 điểm."),
    "rating_average": gettext_lazy("Trung bình điểm lần đánh giá gần nhất (1–5)."),
    "answered_rate": gettext_lazy("Đã trả lời / tiếp nhận × 100."),
    "on_time_rate": gettext_lazy("Trả lời đúng hạn / đã trả lời × 100."),
    "acknowledged_rate": gettext_lazy("Thông báo thụ lý đúng hạn / tiếp nhận × 100."),
    "satisfaction_rate": gettext_lazy("Hài lòng / số được đánh giá × 100."),
}
NOT_LINKED = {"rating_average", *stats.RATE_FIELDS}


class StatsFilterForm(forms.Form):
    """The period (``period`` = 2026, 2026-03 or 2026-Q1, else ``from``/``to``), the unit and the
    category; the page, the Excel file and the API share it."""

    period = forms.CharField(label=gettext_lazy("Kỳ"), required=False, max_length=10)
    date_from = forms.DateField(label=gettext_lazy("Từ ngày"), required=False)
    date_to = forms.DateField(label=gettext_lazy("Đến ngày"), required=False)
    unit = forms.IntegerField(label=gettext_lazy("Đơn vị"), min_value=1, required=False)
    category = forms.IntegerField(
        label=pgettext_lazy("feedback category", "Lĩnh vực"), min_value=1, required=False
    )

    def __init__(self, data=None, *args, **kwargs):
        # The query names are "from" and "to" (Python keywords, hence the field names).
        if data is not None:
            data = {
                "period": data.get("period", ""),
                "date_from": data.get("from", ""),
                "date_to": data.get("to", ""),
                "unit": data.get("unit", ""),
                "category": data.get("category", ""),
            }
        super().__init__(data, *args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period"):
            try:
                cleaned["date_from"], cleaned["date_to"] = stats.period_parse(cleaned["period"])
            except ServiceError as error:
                self.add_error("period", error.detail)
                return cleaned
        today = timezone.localdate()
        if "date_from" in cleaned and cleaned["date_from"] is None:
            cleaned["date_from"] = date(today.year, 1, 1)
        if "date_to" in cleaned and cleaned["date_to"] is None:
            cleaned["date_to"] = today
        if cleaned.get("date_from") and cleaned.get("date_to"):
            try:
                stats.period_check(cleaned["date_from"], cleaned["date_to"])
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

    def category_object(self) -> Category | None:
        category_id = self.cleaned_data.get("category")
        if category_id is None:
            return None
        category = Category.objects.filter(pk=category_id).first()
        if category is None:
            raise Http404
        return category

    def query(self, **extra) -> str:
        """The query string of this period, unit and category, with ``extra`` parameters
        (``unit=None`` drops the unit)."""
        data = self.cleaned_data
        params = {
            "from": data["date_from"].isoformat(),
            "to": data["date_to"].isoformat(),
            "unit": data.get("unit"),
            "category": data.get("category"),
        }
        params |= extra
        return urlencode({key: value for key, value in params.items() if value})


def _allowed(request) -> None:
    if not stats.may_view_statistics(request.user):
        raise PermissionDenied


def _report(form: StatsFilterForm, user) -> stats.StatsReport:
    try:
        return stats.feedback_statistics(
            user=user,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
            unit=form.unit_object(),
            category=form.category_object(),
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error


def number(value, *, decimals: int = 0) -> str:
    """1234 → "1.234", 90.84 → "90,84" with the active language's separators."""
    if value is None:
        return "–"
    return numberformat.format(
        value,
        get_format("DECIMAL_SEPARATOR"),
        decimal_pos=decimals,
        grouping=3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


def _cells(row: stats.StatsRow, form: StatsFilterForm) -> list[dict]:
    """The row's values in column order, each count with the address of its report list."""
    base = reverse("feedback:stats")
    extra = {}
    if row.kind in ("unit", "self"):
        extra["unit"] = row.key
    if row.kind == "self":
        extra["only"] = "1"
    if row.kind == "category":
        extra["category"] = row.key
    cells = []
    for _group, name, _header in COLUMNS:
        value = getattr(row, name)
        url = None
        if name not in NOT_LINKED and value:
            url = f"{base}?{form.query(bucket=name, **extra)}"
        is_rate = name in NOT_LINKED
        cells.append(
            {
                "name": name,
                "value": value,
                "text": number(value, decimals=2 if is_rate else 0),
                "url": url,
                "rate": is_rate,
            }
        )
    return cells


def _groups() -> list[tuple[str, int]]:
    groups: list[list] = []
    for group, _name, _header in COLUMNS:
        if groups and groups[-1][0] == group:
            groups[-1][1] += 1
        else:
            groups.append([group, 1])
    return [(str(group), span) for group, span in groups]


def _chart(report: stats.StatsReport) -> dict:
    return {
        "labels": [f"{month:%m/%Y}" for month, _received, _answered in report.months],
        "datasets": [
            {"key": "received", "label": _("Tiếp nhận"), "data": [m[1] for m in report.months]},
            {"key": "answered", "label": _("Trong đó đã trả lời"), "data": [m[2] for m in report.months]},
        ],
        "title": _("Phản ánh tiếp nhận và đã trả lời theo tháng gửi"),
    }


def _summary(total: stats.StatsRow) -> list[tuple[str, str, str]]:
    def percent(value):
        return f"{number(value, decimals=2)} %" if value is not None else "–"

    return [
        ("received", _("Phản ánh tiếp nhận"), number(total.received)),
        ("on_time_rate", _("Trả lời đúng hạn"), percent(total.on_time_rate)),
        ("overdue_now", _("Đang quá hạn"), number(total.overdue_now)),
        ("satisfaction_rate", _("Hài lòng"), percent(total.satisfaction_rate)),
    ]


def _staff_url(report) -> str | None:
    try:
        return reverse("feedback:staff-detail", args=[report.code])
    except NoReverseMatch:
        return None


@login_required
@require_safe
def statistics(request):
    _allowed(request)
    form = StatsFilterForm(request.GET)
    if request.GET.get("bucket"):
        return _reports_page(request, form)
    context = {
        "form": form,
        "columns": COLUMNS,
        "groups": _groups(),
        "report": None,
        "categories": Category.objects.filter(active=True).select_related("parent").order_by("order", "name"),
    }
    if not form.is_valid():
        return render(request, "feedback/stats/stats.html", context, status=400)
    report = _report(form, request.user)
    page = reverse("feedback:stats")
    rows = [
        {
            "row": row,
            "cells": _cells(row, form),
            "drill": f"{page}?{form.query(unit=row.key)}"
            if row.kind == "unit" and row.has_children
            else None,
        }
        for row in report.rows
    ]
    up = report.trail[-2].pk if len(report.trail) >= 2 else None
    context |= {
        "report": report,
        "rows": rows,
        "total": {"row": report.total, "cells": _cells(report.total, form)},
        "category_rows": [{"row": row, "cells": _cells(row, form)} for row in report.categories],
        "chart": _chart(report),
        "summary": _summary(report.total),
        "trail": [(unit, f"{page}?{form.query(unit=unit.pk)}") for unit in report.trail],
        "top_url": f"{page}?{form.query(unit=None)}",
        "up_url": f"{page}?{form.query(unit=up)}" if report.unit else None,
        "excel_url": f"{reverse('feedback:stats-excel')}?{form.query()}",
        "api_url": f"{reverse('feedback-api-statistics')}?{form.query()}",
    }
    return render(request, "feedback/stats/stats.html", context)


def _reports_page(request, form: StatsFilterForm):
    bucket = request.GET.get("bucket", "")
    if not form.is_valid() or bucket not in stats.COUNT_FIELDS:
        return render(request, "feedback/stats/reports.html", {"form": form, "error": True}, status=400)
    unit = form.unit_object()
    try:
        reports = stats.feedback_statistics_reports(
            user=request.user,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
            bucket=bucket,
            unit=unit,
            only_unit=request.GET.get("only") == "1",
            category=form.category_object(),
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    items = [
        {"report": r, "url": _staff_url(r), "overdue": r.is_open and r.due_at < now} for r in page.object_list
    ]
    context = {
        "form": form,
        "page": page,
        "items": items,
        "unit": unit,
        "category": form.category_object(),
        "bucket_label": "{}: {}".format(*COLUMN_LABELS[bucket]),
        "count_text": number(page.paginator.count),
        "back_url": f"{reverse('feedback:stats')}?{form.query()}",
        "page_query": form.query(bucket=bucket, only=request.GET.get("only", "")),
    }
    return render(request, "feedback/stats/reports.html", context)


# --- Excel -----------------------------------------------------------------------------------


def _text(value) -> str:
    """A text cell: a spreadsheet runs a cell starting with = + - @ as a formula (unit and
    category names are typed by people)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _table(sheet, title: str, rows: list[stats.StatsRow], bold, first_header: str) -> None:
    from openpyxl.styles import Alignment

    sheet.append([])
    sheet.append([title])
    sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append([first_header, *[str(group) for group, _name, _header in COLUMNS]])
    sheet.append(["", *[str(header) for _group, _name, header in COLUMNS]])
    for cell in (*sheet[sheet.max_row - 1], *sheet[sheet.max_row]):
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        values = []
        for _group, name, _header in COLUMNS:
            value = getattr(row, name)
            values.append(float(value) if name in NOT_LINKED and value is not None else value)
        sheet.append([_text(row.name), *values])
        for index, (_group, name, _header) in enumerate(COLUMNS, start=2):
            sheet.cell(row=sheet.max_row, column=index).number_format = (
                "0.00" if name in NOT_LINKED else "#,##0"
            )
        if row.kind == "total":
            for cell in sheet[sheet.max_row]:
                cell.font = bold


def stats_workbook(report: stats.StatsReport) -> bytes:
    """The table by unit and the table by category (two header rows: group and column), and a
    sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Thống kê")
    bold = Font(bold=True)
    scope = report.unit.name if report.unit else _("Toàn bộ đơn vị được xem")
    sheet.append([_("THỐNG KÊ TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ")])
    sheet["A1"].font = bold
    line = _("Đơn vị: %(unit)s; phản ánh gửi từ %(start)s đến %(end)s") % {
        "unit": scope,
        "start": f"{report.date_from:%d/%m/%Y}",
        "end": f"{report.date_to:%d/%m/%Y}",
    }
    if report.category is not None:
        line += "; " + _("lĩnh vực: %(category)s") % {"category": report.category.name}
    sheet.append([_text(line)])
    moment = timezone.localtime(report.as_at)
    sheet.append([_("Tình trạng xử lý tính tại %(moment)s") % {"moment": f"{moment:%d/%m/%Y %H:%M}"}])
    _table(sheet, _("Theo đơn vị"), [*report.rows, report.total], bold, _("Đơn vị"))
    _table(sheet, _("Theo lĩnh vực"), report.categories, bold, pgettext("feedback category", "Lĩnh vực"))
    sheet.column_dimensions["A"].width = 40

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
                "Tính trên các phản ánh gửi trong kỳ, theo đơn vị đang xử lý và mọi đơn vị trực thuộc; "
                "tình trạng tính tại thời điểm xuất; tỷ lệ làm tròn 2 chữ số thập phân."
            ),
        ]
    )
    formulas.column_dimensions["A"].width = 30
    formulas.column_dimensions["B"].width = 18
    formulas.column_dimensions["C"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@login_required
@require_safe
def statistics_excel(request):
    _allowed(request)
    form = StatsFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            _("Kỳ thống kê không hợp lệ."), status=400, content_type="text/plain; charset=utf-8"
        )
    report = _report(form, request.user)
    response = HttpResponse(stats_workbook(report), content_type=XLSX)
    name = f"thong-ke-phan-anh-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
