"""Dashboards of the reporting module: who reported (completeness and timeliness) and what one
indicator adds up to, through the organisation tree of a chosen date; Excel and CSV exports.

Access: signed in and holding ``reporting.view_report`` on some unit (403 otherwise). A user sees
the units under their grants only; a unit outside them is 403. The figures come from
``rates.reporting_rates`` and ``rollup.rollup``; these views parse the query and lay them out.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import numberformat, timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_safe

from cqs.accounts.permissions import granted_unit_paths, has_unit_permission
from cqs.core.exceptions import ServiceError
from cqs.orgs.models import OrgUnit
from cqs.orgs.selectors import unit_sort_key
from cqs.reporting.models import CategoryOptionCombo, Indicator, Regime, RegimeIndicator, RegimeVersion
from cqs.reporting.periods import PeriodSpec, periods_in_year
from cqs.reporting.rates import METRIC_LABELS, METRICS, CellState, RateRow, reporting_rates
from cqs.reporting.rollup import RollupResult, rollup
from cqs.reporting.selectors import regime_rows, regime_version_on
from cqs.reporting.services.reports import period_spec

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_PERIODS = 120
STATE_CLASSES = {
    CellState.ON_TIME: "table-success",
    CellState.LATE: "table-warning",
    CellState.MISSING: "table-danger",
    CellState.NOT_DUE: "table-secondary",
    CellState.NONE: "",
}

# What a cell of one unit says (the full wording is in its title and the legend).
STATE_SHORT = {
    CellState.ON_TIME: gettext_lazy("Đúng hạn"),
    CellState.LATE: gettext_lazy("Muộn"),
    CellState.MISSING: pgettext_lazy("report", "Chưa gửi"),
    CellState.NOT_DUE: gettext_lazy("Chưa đến hạn"),
    CellState.NONE: "–",
}


# --- the query -------------------------------------------------------------------------------


class DashboardForm(forms.Form):
    """Regime, periods (a year, or a range of periods), the date of the tree and the unit."""

    regime = forms.CharField(label=gettext_lazy("Chế độ báo cáo"), required=False, max_length=50)
    year = forms.IntegerField(label=gettext_lazy("Năm"), min_value=2000, max_value=2100, required=False)
    start = forms.CharField(label=gettext_lazy("Từ kỳ"), required=False, max_length=20)
    end = forms.CharField(label=gettext_lazy("Đến kỳ"), required=False, max_length=20)
    as_of = forms.DateField(label=gettext_lazy("Cây tổ chức ngày"), required=False)
    unit = forms.IntegerField(label=gettext_lazy("Đơn vị"), min_value=1, required=False)

    def __init__(self, data=None, *args, **kwargs):
        # The query says "from"/"to" (Python keywords, hence the field names).
        if data is not None:
            data = {
                "regime": data.get("regime", ""),
                "year": data.get("year", ""),
                "start": data.get("from", ""),
                "end": data.get("to", ""),
                "as_of": data.get("as_of", ""),
                "unit": data.get("unit", ""),
            }
        super().__init__(data, *args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        if cleaned.get("as_of") is None and "as_of" not in self.errors:
            cleaned["as_of"] = today
        if cleaned.get("year") is None and "year" not in self.errors:
            cleaned["year"] = today.year
        if bool(cleaned.get("start")) != bool(cleaned.get("end")):
            self.add_error("end", _("Chọn cả kỳ đầu và kỳ cuối."))
        return cleaned


@dataclass
class Selection:
    """What the page shows, resolved from the form and checked against the user's grants."""

    regimes: list[Regime]
    regime: Regime | None
    version: RegimeVersion | None
    periods: list[PeriodSpec]
    year: int
    start: str
    end: str
    as_of: date
    unit: OrgUnit | None
    roots: list[OrgUnit]
    trail: list[OrgUnit] = field(default_factory=list)

    def query(self, **extra) -> str:
        params = {"regime": self.regime.code if self.regime else "", "as_of": self.as_of.isoformat()}
        if self.start:
            params |= {"from": self.start, "to": self.end}
        else:
            params["year"] = self.year
        if self.unit is not None:
            params["unit"] = self.unit.pk
        params |= extra
        return urlencode({key: value for key, value in params.items() if value not in ("", None)})


class BadQuery(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _scope_q(user) -> Q | None:
    """Units the user may view (None: all of them)."""
    if user.is_superuser:
        return None
    paths = granted_unit_paths(user, "reporting", "view_report")
    if not paths:
        raise PermissionDenied
    query = Q()
    for path in paths:
        query |= Q(path__startswith=path)
    return query


def _roots(scope: Q | None, as_of: date) -> list[OrgUnit]:
    """The highest units in force on ``as_of`` the user may view."""
    units = OrgUnit.objects.as_of(as_of).select_related("kind")
    units = list(units.filter(parent__isnull=True) if scope is None else units.filter(scope))
    ids = {unit.pk for unit in units}
    tops = [unit for unit in units if not set(unit.ancestor_ids) & ids]
    return sorted(tops, key=unit_sort_key)


def _periods(form_data: dict, version: RegimeVersion | None) -> list[PeriodSpec]:
    if version is None:
        return []
    if not form_data.get("start"):
        return periods_in_year(version.period_type, form_data["year"])
    try:
        first, last = period_spec(form_data["start"]), period_spec(form_data["end"])
    except ServiceError as error:
        raise BadQuery(error.detail) from None
    if {first.period_type, last.period_type} != {version.period_type}:
        raise BadQuery(
            _("Chế độ này báo cáo %(frequency)s: chọn kỳ cùng loại.")
            % {"frequency": version.get_period_type_display().lower()}
        )
    if last.start < first.start:
        raise BadQuery(_("Kỳ cuối phải sau kỳ đầu."))
    periods = [first]
    while periods[-1].iso != last.iso:
        periods.append(periods[-1].next())
        if len(periods) > MAX_PERIODS:
            raise BadQuery(_("Chọn tối đa %(n)s kỳ.") % {"n": MAX_PERIODS})
    return periods


def _select(request) -> Selection:
    """The selection of the query; PermissionDenied, Http404 or BadQuery when it does not fit."""
    scope = _scope_q(request.user)
    form = DashboardForm(request.GET)
    if not form.is_valid():
        raise BadQuery(" ".join(str(message) for errors in form.errors.values() for message in errors))
    data = form.cleaned_data
    regimes = list(Regime.objects.order_by("code"))
    regime = None
    if data["regime"]:
        regime = next((r for r in regimes if r.code == data["regime"]), None)
        if regime is None:
            raise Http404
    elif regimes:
        regime = regimes[0]
    version = None
    if regime is not None:
        end = date(data["year"], 12, 31)
        if data.get("start"):
            try:
                end = period_spec(data["end"]).end
            except ServiceError as error:
                raise BadQuery(error.detail) from None
        version = regime_version_on(regime, end) or regime.versions.order_by("-valid_from").first()
    as_of = data["as_of"]
    roots = _roots(scope, as_of)
    if data["unit"]:
        unit = get_object_or_404(OrgUnit.objects.select_related("kind"), pk=data["unit"])
        if scope is not None and not OrgUnit.objects.filter(scope, pk=unit.pk).exists():
            raise PermissionDenied
        if not unit.is_valid_on(as_of):
            raise BadQuery(
                _("Đơn vị %(unit)s không có trong cây tổ chức ngày %(date)s.")
                % {"unit": unit, "date": f"{as_of:%d/%m/%Y}"}
            )
    else:
        unit = roots[0] if roots else None
    selection = Selection(
        regimes=regimes,
        regime=regime,
        version=version,
        periods=_periods(data, version),
        year=data["year"],
        start=data.get("start") or "",
        end=data.get("end") or "",
        as_of=as_of,
        unit=unit,
        roots=roots,
    )
    if unit is not None:
        top = {root.pk for root in roots}
        ancestors = OrgUnit.objects.in_bulk(unit.ancestor_ids)
        chain = [ancestors[pk] for pk in unit.ancestor_ids if pk in ancestors] + [unit]
        start = next((i for i, u in enumerate(chain) if u.pk in top), len(chain) - 1)
        selection.trail = chain[start:]
    return selection


def _bad(request, template: str, message: str, extra: dict | None = None) -> HttpResponse:
    context = {"error": message, "active": "dashboard"} | (extra or {})
    return render(request, template, context, status=400)


# --- formatting ------------------------------------------------------------------------------


def number_text(value, *, places: int | None = None) -> str:
    """1234 → "1.234", 85.5 → "85,5" (the active language's separators); "–" for nothing."""
    if value is None:
        return "–"
    if places is None:
        value = Decimal(value).normalize()
        exponent = value.as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 0
        places = min(places, 2)
    return numberformat.format(
        value,
        get_format("DECIMAL_SEPARATOR"),
        decimal_pos=places,
        grouping=3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


def _plain(value) -> str:
    """A number for CSV: digits and a dot, no grouping."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def _csv_response(rows: list[list], filename: str) -> HttpResponse:
    out = io.StringIO()
    # The BOM tells Excel the file is UTF-8, so Vietnamese letters open correctly.
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerows(rows)
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_response(sheets: list[tuple[str, list[list]]], filename: str) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title[:31])
        for row in rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
        for cell in sheet[1] if rows else []:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 40
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _report_url(pk: int) -> str | None:
    try:
        return reverse("reporting:report", args=[pk])
    except NoReverseMatch:
        return None


# --- completeness and timeliness -------------------------------------------------------------


def _rate_cell(row: RateRow, *, leaf: bool) -> dict:
    state = row.state
    if not row.expected:
        text = "–"
    elif leaf:
        text = str(STATE_SHORT[state])
    else:
        text = f"{row.actual}/{row.expected}"
    return {
        "state": state,
        "css": STATE_CLASSES[state],
        "text": text,
        "title": _("%(actual)s/%(expected)s đã gửi, %(on_time)s đúng hạn, %(missing)s quá hạn chưa gửi")
        % {
            "actual": row.actual,
            "expected": row.expected,
            "on_time": row.actual_on_time,
            "missing": row.missing,
        },
    }


def _matrix(rates, selection: Selection, *, may_unlock: bool = False) -> list[dict]:
    """Rows: the unit's own report (when it reports), then each child unit's subtree."""
    unit = selection.unit
    unlock = reverse("reporting:unlock-missing") if may_unlock else ""
    regime_code = selection.regime.code if selection.regime else ""
    rows = []
    if rates.own_total(unit).expected:
        cells = []
        for spec in rates.periods:
            cell = _rate_cell(rates.own(unit, spec.iso), leaf=True)
            reports = rates.reports(unit, spec.iso)
            cell["url"] = _report_url(reports[0]) if reports else None
            cells.append(cell)
        rows.append(
            {
                "unit": unit,
                "own": True,
                "cells": cells,
                "total": rates.own_total(unit),
                "drill": None,
            }
        )
    base = reverse("reporting:dashboard")
    for child in rates.children(unit):
        total = rates.total(child)
        if not total.expected:
            continue
        leaf = rates.tree.is_leaf(child)
        cells = []
        for spec in rates.periods:
            cell = _rate_cell(rates.row(child, spec.iso), leaf=leaf)
            reports = rates.reports(child, spec.iso) if leaf else []
            cell["url"] = _report_url(reports[0]) if reports else None
            if leaf and not reports and cell["state"] == CellState.MISSING and unlock:
                # Never started and locked: the reviewer may reopen it for the unit.
                query = urlencode({"regime": regime_code, "unit": child.pk, "period": spec.iso})
                cell["url"] = f"{unlock}?{query}"
            cells.append(cell)
        rows.append(
            {
                "unit": child,
                "own": False,
                "cells": cells,
                "total": total,
                "drill": None if leaf else f"{base}?{selection.query(unit=child.pk)}",
            }
        )
    for row in rows:
        row["rate_text"] = number_text(row["total"].reporting_rate, places=2)
        row["on_time_text"] = number_text(row["total"].reporting_rate_on_time, places=2)
    return rows


def _metric_rows(rates, unit) -> list[dict]:
    rows = []
    for name in METRICS:
        per_period = [rates.row(unit, spec.iso).metrics()[name] for spec in rates.periods]
        total = rates.total(unit).metrics()[name]
        places = 2 if name.startswith("REPORTING_RATE") else 0
        rows.append(
            {
                "name": name,
                "label": METRIC_LABELS[name],
                "values": [number_text(v, places=places) for v in per_period],
                "total": number_text(total, places=places),
            }
        )
    return rows


def _rate_chart(rates, unit) -> dict:
    children = [c for c in rates.children(unit) if rates.total(c).expected]
    return {
        "type": "bar",
        "title": _("Tỷ lệ gửi báo cáo theo đơn vị (%)"),
        "labels": [c.name for c in children],
        "max": 100,
        "datasets": [
            {
                "key": "REPORTING_RATE",
                "label": str(METRIC_LABELS["REPORTING_RATE"]),
                "data": [_float(rates.total(c).reporting_rate) for c in children],
            },
            {
                "key": "REPORTING_RATE_ON_TIME",
                "label": str(METRIC_LABELS["REPORTING_RATE_ON_TIME"]),
                "data": [_float(rates.total(c).reporting_rate_on_time) for c in children],
            },
        ],
    }


def _float(value) -> float | None:
    return None if value is None else float(value)


def _rates_export(rates, selection: Selection, matrix: list[dict], fmt: str) -> HttpResponse:
    periods = rates.periods
    long_rows = [
        [_("Đơn vị"), _("Mã định danh"), _("Kỳ"), *METRICS, pgettext("reporting state", "Tình trạng")]
    ]
    units = [(selection.unit, True)] + [(row["unit"], False) for row in matrix if not row["own"]]
    for unit, whole in units:
        for spec in periods:
            row = rates.row(unit, spec.iso)
            metrics = row.metrics()
            name = unit.name if not whole else _("%(unit)s (toàn bộ)") % {"unit": unit.name}
            long_rows.append(
                [
                    name,
                    unit.identifier,
                    spec.iso,
                    *[metrics[m] if fmt == "xlsx" else _plain(metrics[m]) for m in METRICS],
                    str(CellState(row.state).label),
                ]
            )
    stem = f"ty-le-bao-cao-{selection.regime.code}-{periods[0].iso}-{periods[-1].iso}" if periods else "ty-le"
    if fmt == "csv":
        return _csv_response(long_rows, f"{stem}.csv")
    wide = [[_("Đơn vị"), *[spec.label() for spec in periods], *[str(METRIC_LABELS[m]) for m in METRICS]]]
    for row in matrix:
        name = (
            _("%(unit)s (báo cáo của đơn vị)") % {"unit": row["unit"].name}
            if row["own"]
            else row["unit"].name
        )
        totals = row["total"].metrics()
        wide.append([name, *[cell["text"] for cell in row["cells"]], *[totals[m] for m in METRICS]])
    totals = rates.total(selection.unit).metrics()
    wide.append(
        [
            _("Tổng cộng"),
            *[
                f"{rates.row(selection.unit, s.iso).actual}/{rates.row(selection.unit, s.iso).expected}"
                for s in periods
            ],
            *[totals[m] for m in METRICS],
        ]
    )
    return _xlsx_response([(_("Tình hình gửi báo cáo"), wide), (_("Số liệu"), long_rows)], f"{stem}.xlsx")


@login_required
@require_safe
def dashboard(request):
    template = "reporting/dashboard.html"
    try:
        selection = _select(request)
    except BadQuery as error:
        return _bad(request, template, error.message)
    context = {"selection": selection, "active": "dashboard", "rates": None}
    if selection.unit is None or selection.regime is None or not selection.periods:
        return render(request, template, context)
    rates = reporting_rates(
        regime=selection.regime,
        periods=[spec.iso for spec in selection.periods],
        root=selection.unit,
        as_of=selection.as_of,
    )
    may_unlock = has_unit_permission(request.user, "reporting.grant_lock_exception", selection.unit)
    matrix = _matrix(rates, selection, may_unlock=may_unlock)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return _rates_export(rates, selection, matrix, fmt)
    dashboard_url = reverse("reporting:dashboard")
    context |= {
        "rates": rates,
        "heads": [(spec, rates.deadlines.get(spec.iso)) for spec in rates.periods],
        "matrix": matrix,
        "totals": [_rate_cell(rates.row(selection.unit, spec.iso), leaf=False) for spec in selection.periods],
        "metrics": _metric_rows(rates, selection.unit),
        "chart": _rate_chart(rates, selection.unit),
        "legend": [(STATE_CLASSES[s], CellState(s).label) for s in CellState.values if s != CellState.NONE],
        "trail": [(u, f"{dashboard_url}?{selection.query(unit=u.pk)}") for u in selection.trail],
        "csv_url": f"{dashboard_url}?{selection.query(format='csv')}",
        "xlsx_url": f"{dashboard_url}?{selection.query(format='xlsx')}",
        "indicators": [
            (
                row.indicator,
                reverse("reporting:indicator", args=[row.indicator.code]) + f"?{selection.query()}",
            )
            for row in regime_rows(selection.version)
        ]
        if selection.version
        else [],
        "unattributed": len(rates.attribution.unattributed),
    }
    return render(request, template, context)


# --- one indicator ---------------------------------------------------------------------------


def _indicator_table(result: RollupResult, indicator, unit, coc) -> list[dict]:
    rows = []
    for node, whole in [(unit, True)] + [(child, False) for child in result.children(unit)]:
        values = result.series(indicator, node, coc)
        total = result.total(indicator, node, coc)
        if not whole and total is None and all(v is None for v in values):
            continue
        rows.append({"unit": node, "whole": whole, "values": values, "total": total})
    return rows


def _indicator_charts(
    result: RollupResult, indicator, selection: Selection, coc, period: str
) -> tuple[dict, dict]:
    unit = selection.unit
    labels = [spec.label() for spec in selection.periods]
    datasets = [
        {
            "key": "total",
            "label": coc.name if coc else _("Tổng số"),
            "data": [_float(v) for v in result.series(indicator, unit, coc)],
        }
    ]
    combos = result.option_combos(indicator)
    if coc is None and len(combos) > 1:
        datasets += [
            {"key": c.code, "label": c.name, "data": [_float(v) for v in result.series(indicator, unit, c)]}
            for c in combos
        ]
    line = {
        "type": "line",
        "title": _("%(name)s theo kỳ, %(unit)s") % {"name": indicator.name, "unit": unit.name},
        "labels": labels,
        "datasets": datasets,
        "unitLabel": indicator.unit_label,
    }
    children = result.children(unit)
    label = next((s.label() for s in selection.periods if s.iso == period), period)
    bar = {
        "type": "bar",
        "title": _("%(name)s theo đơn vị trực thuộc, %(period)s") % {"name": indicator.name, "period": label},
        "labels": [c.name for c in children],
        "datasets": [
            {
                "key": "value",
                "label": label,
                "data": [_float(result.value(indicator, c, period, coc)) for c in children],
            }
        ],
        "unitLabel": indicator.unit_label,
    }
    return line, bar


def _indicator_export(result, selection, indicator, table, fmt) -> HttpResponse:
    header = [_("Đơn vị"), _("Mã định danh"), *[spec.iso for spec in selection.periods], _("Cả kỳ")]
    rows = [header]
    for row in table:
        name = _("%(unit)s (toàn bộ)") % {"unit": row["unit"].name} if row["whole"] else row["unit"].name
        values = [*row["values"], row["total"]]
        rows.append([name, row["unit"].identifier, *[v if fmt == "xlsx" else _plain(v) for v in values]])
    stem = f"{indicator.code}-{selection.periods[0].iso}-{selection.periods[-1].iso}"
    if fmt == "csv":
        return _csv_response(rows, f"{stem}.csv")
    return _xlsx_response([(indicator.code, rows)], f"{stem}.xlsx")


@login_required
@require_safe
def indicator(request, code: str):
    template = "reporting/dashboard_indicator.html"
    indicator = get_object_or_404(Indicator.objects.select_related("category_combo"), code=code)
    if not request.GET.get("regime"):
        # Default to a regime whose form has this indicator.
        row = RegimeIndicator.objects.filter(indicator=indicator).select_related("version__regime").first()
        if row is not None:
            request.GET = request.GET.copy()
            request.GET["regime"] = row.version.regime.code
    try:
        selection = _select(request)
    except BadQuery as error:
        return _bad(request, template, error.message, {"indicator": indicator})
    context = {"selection": selection, "indicator": indicator, "active": "dashboard", "result": None}
    if selection.unit is None or not selection.periods:
        return render(request, template, context)
    combos = list(CategoryOptionCombo.objects.filter(combo_id=indicator.category_combo_id))
    coc = None
    if request.GET.get("coc"):
        coc = next((c for c in combos if c.code == request.GET["coc"]), None)
        if coc is None:
            raise Http404
    result = rollup(
        regime=selection.regime,
        indicators=[indicator],
        periods=[spec.iso for spec in selection.periods],
        root=selection.unit,
        as_of=selection.as_of,
        depth=1,  # the page shows the unit and its children
    )
    isos = [spec.iso for spec in selection.periods]
    period = request.GET.get("period", "")
    if period not in isos:
        with_data = [iso for iso in isos if result.value(indicator, selection.unit, iso, coc) is not None]
        period = with_data[-1] if with_data else isos[-1]
    table = _indicator_table(result, indicator, selection.unit, coc)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return _indicator_export(result, selection, indicator, table, fmt)
    line, bar = _indicator_charts(result, indicator, selection, coc, period)
    here = reverse("reporting:indicator", args=[indicator.code])
    extra = {"coc": coc.code if coc else "", "period": period}
    context |= {
        "result": result,
        "coc": coc,
        "combos": combos if len(combos) > 1 else [],
        "period": period,
        "rows": [
            {
                **row,
                "texts": [number_text(v) for v in row["values"]],
                "total_text": number_text(row["total"]),
                "drill": (
                    f"{here}?{selection.query(unit=row['unit'].pk, **extra)}"
                    if not row["whole"] and not result.tree.is_leaf(row["unit"])
                    else None
                ),
            }
            for row in table
        ],
        "line": line,
        "bar": bar,
        "trail": [(u, f"{here}?{selection.query(unit=u.pk, **extra)}") for u in selection.trail],
        "csv_url": f"{here}?{selection.query(format='csv', **extra)}",
        "xlsx_url": f"{here}?{selection.query(format='xlsx', **extra)}",
        "back_url": f"{reverse('reporting:dashboard')}?{selection.query()}",
        "aggregation": indicator.get_aggregation_display(),
        "unattributed": len(result.attribution.unattributed),
    }
    return render(request, template, context)
