"""``/api/dataValueSets`` and ``/api/completeDataSetRegistrations``, as DHIS2 2.40 answers them.

Imports answer with DHIS2's WebMessage wrapping the import summary (since 2.38): HTTP 200 with
``status`` OK or WARNING, or HTTP 409 with ``status`` ERROR when nothing was imported. Bodies
that cannot be read get a 400 (or 413, 415) WebMessage, never a 500.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from cqs.core.exceptions import ServiceError
from cqs.reporting.choices import NUMERIC_TYPES
from cqs.reporting.dhis import exports, formats
from cqs.reporting.dhis.auth import dhis_error, dhis_view
from cqs.reporting.periods import period_parse
from cqs.reporting.services.imports import ImportSummary, datavalueset_import, registrations_complete

_SUFFIXES = {".json": formats.JSON, ".csv": formats.CSV, ".xml": formats.XML, ".adx": formats.ADX}
_TRUE = {"true", "1", "yes"}


def _suffix_format(request) -> str | None:
    path = request.path.rstrip("/")
    for suffix, fmt in _SUFFIXES.items():
        if path.endswith(suffix):
            return fmt
    return None


def _accept_format(request) -> str:
    for part in request.headers.get("Accept", "").split(","):
        fmt = formats.format_of(part)
        if fmt:
            return fmt
    return formats.JSON


def _flag(request, name: str, default: bool = False) -> bool:
    raw = request.GET.get(name)
    return default if raw is None else raw.strip().lower() in _TRUE


def _summary_response(summary: ImportSummary) -> JsonResponse:
    ok = summary.status != "ERROR"
    body = {
        "httpStatus": "OK" if ok else "Conflict",
        "httpStatusCode": 200 if ok else 409,
        "status": {"SUCCESS": "OK"}.get(summary.status, summary.status),
        "message": "Import was successful."
        if summary.status == "SUCCESS"
        else "One more conflicts encountered, please check import summary.",
        "response": summary.as_dhis(),
    }
    return JsonResponse(body, status=200 if ok else 409, json_dumps_params={"ensure_ascii": False})


def _read_body(request) -> bytes:
    # Read the stream ourselves: request.body stops at DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), far
    # below what a year of values weighs; the import has its own limit.
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > formats.MAX_BYTES:
        raise formats.FormatError(
            "Dữ liệu gửi lên lớn quá 50 MB; hãy chia thành nhiều lần gửi.",
            status=413,
            code="payload_too_large",
        )
    body = request.read(formats.MAX_BYTES + 1)
    if len(body) > formats.MAX_BYTES:
        raise formats.FormatError(
            "Dữ liệu gửi lên lớn quá 50 MB; hãy chia thành nhiều lần gửi.",
            status=413,
            code="payload_too_large",
        )
    return body


@dhis_view(methods=("GET", "POST"))
def data_value_sets(request, *args, **kwargs):
    if request.method == "POST":
        return _import(request)
    return _export(request)


def _import(request):
    fmt = formats.format_of(request.content_type) or (
        _suffix_format(request) if not request.content_type else None
    )
    if fmt is None:
        return dhis_error(
            415,
            "Content-Type phải là application/json, application/csv, application/xml hoặc "
            "application/adx+xml.",
            code="unsupported_media_type",
        )
    try:
        body = _read_body(request)
        payload = formats.parse(body, fmt, first_row_is_header=_flag(request, "firstRowIsHeader", True))
    except formats.FormatError as exc:
        return dhis_error(exc.status, str(exc), code=exc.code)
    params = request.GET
    # ADX names things by code (DHIS2 does the same); the other formats by uid.
    default_scheme = "CODE" if fmt == formats.ADX else "UID"
    try:
        summary = datavalueset_import(
            actor=request.user,
            values=payload.values,
            data_set=params.get("dataSet") or payload.data_set,
            complete_date=payload.complete_date or None,
            id_scheme=params.get("idScheme") or default_scheme,
            data_element_id_scheme=params.get("dataElementIdScheme"),
            org_unit_id_scheme=params.get("orgUnitIdScheme"),
            category_option_combo_id_scheme=params.get("categoryOptionComboIdScheme"),
            data_set_id_scheme=params.get("dataSetIdScheme"),
            dry_run=_flag(request, "dryRun"),
            import_strategy=params.get("importStrategy") or params.get("strategy") or "CREATE_AND_UPDATE",
            atomic_mode=params.get("atomicMode") or "ALL",
        )
    except ServiceError as exc:
        return dhis_error(409, exc.detail, code=exc.error_code)
    return _summary_response(summary)


def _dates(request) -> tuple[date | None, date | None, datetime | None]:
    start = parse_date(request.GET.get("startDate", "") or "")
    end = parse_date(request.GET.get("endDate", "") or "")
    raw = request.GET.get("lastUpdated", "") or ""
    updated = parse_datetime(raw)
    if updated is None and parse_date(raw):
        day = parse_date(raw)
        updated = datetime(day.year, day.month, day.day)
    if updated is not None and timezone.is_naive(updated):
        updated = timezone.make_aware(updated)
    return start, end, updated


def _resolve(request, *, need_period: bool = True):
    """The data sets, periods and units of a read, or an error response."""
    params = request.GET
    scheme = (params.get("idScheme") or "UID").upper()
    ds_idents = params.getlist("dataSet")
    ou_idents = params.getlist("orgUnit")
    if not ds_idents:
        return None, dhis_error(409, "Cần ít nhất một dataSet.", code="E2001")
    start, end, updated = _dates(request)
    periods = params.getlist("period")
    if need_period and not (periods or (start and end) or updated):
        return None, dhis_error(
            409, "Cần kỳ (period), khoảng ngày startDate/endDate hoặc lastUpdated.", code="E2002"
        )
    if periods and (start or end):
        return None, dhis_error(409, "Không dùng đồng thời period và startDate/endDate.", code="E2003")
    if start and end and start > end:
        return None, dhis_error(409, "startDate phải trước endDate.", code="E2004")
    if not ou_idents:
        return None, dhis_error(409, "Cần ít nhất một đơn vị (orgUnit).", code="E2006")
    regimes, missing = exports.regimes_find(ds_idents, scheme)
    if missing:
        return None, dhis_error(409, f"Không tìm thấy chế độ báo cáo: {', '.join(missing)}.", code="E1105")
    units, missing = exports.units_find(ou_idents, (params.get("orgUnitIdScheme") or scheme).upper())
    if missing:
        return None, dhis_error(409, f"Không tìm thấy đơn vị: {', '.join(missing)}.", code="E1102")
    isos, missing = exports.periods_find(periods)
    if missing:
        return None, dhis_error(409, f"Kỳ không hợp lệ: {', '.join(missing)}.", code="E1101")
    query = exports.ExportQuery(
        data_sets=ds_idents,
        periods=isos,
        start_date=start,
        end_date=end,
        org_units=ou_idents,
        children=_flag(request, "children"),
        last_updated=updated,
        id_scheme=scheme,
        data_element_id_scheme=(params.get("dataElementIdScheme") or "").upper(),
        org_unit_id_scheme=(params.get("orgUnitIdScheme") or "").upper(),
    )
    return (query, regimes, units), None


def _export(request):
    fmt = _suffix_format(request) or _accept_format(request)
    resolved, error = _resolve(request)
    if error is not None:
        return error
    query, regimes, units = resolved
    if fmt == formats.ADX:
        return _export_adx(request, query, regimes, units)
    rows = (
        row
        for row, _meta in exports.datavalue_rows(user=request.user, query=query, regimes=regimes, units=units)
    )
    data_set = regimes[0].uid if len(regimes) == 1 and query.id_scheme == "UID" else ""
    if fmt == formats.CSV:
        body = formats.write_csv(rows)
    elif fmt == formats.XML:
        body = formats.write_dxf2(rows, data_set=data_set)
    else:
        body = formats.write_json(rows, data_set=data_set)
    return HttpResponse(body, content_type=f"{formats.MEDIA_TYPES[fmt]}; charset=utf-8")


def _export_adx(request, query, regimes, units):
    # ADX is written with codes: data set, data element, unit (its identifier), categories.
    categories = exports.coc_categories()
    groups: dict[tuple, dict] = {}
    for row, meta in exports.datavalue_rows(user=request.user, query=query, regimes=regimes, units=units):
        key = (meta["dataSetCode"], row["period"], meta["unitCode"])
        group = groups.get(key)
        if group is None:
            group = groups[key] = {
                "dataSet": meta["dataSetCode"],
                "period": period_parse(row["period"]).adx,
                "orgUnit": meta["unitCode"],
                "values": [],
            }
        value = {"dataElement": meta["dataElementCode"], "categories": categories.get(meta["cocId"], {})}
        if meta["valueType"] in NUMERIC_TYPES:
            value["value"], value["annotation"] = row["value"], row["comment"]
        elif row["value"] in ("true", "false"):
            value["value"], value["annotation"] = ("1" if row["value"] == "true" else "0"), row["comment"]
        else:
            value["value"], value["annotation"] = "0", row["value"]
        group["values"].append(value)
    exported = timezone.now().replace(microsecond=0).isoformat()
    body = formats.write_adx(groups.values(), exported=exported)
    return HttpResponse(body, content_type=f"{formats.MEDIA_TYPES[formats.ADX]}; charset=utf-8")


@dhis_view(methods=("GET", "POST"))
def complete_registrations(request, *args, **kwargs):
    if request.method == "POST":
        if formats.format_of(request.content_type) != formats.JSON:
            return dhis_error(415, "Content-Type phải là application/json.", code="unsupported_media_type")
        try:
            data = json.loads(_read_body(request).decode("utf-8-sig"))
        except formats.FormatError as exc:
            return dhis_error(exc.status, str(exc), code=exc.code)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return dhis_error(400, f"JSON không đọc được: {exc}.", code="invalid_payload")
        items = data.get("completeDataSetRegistrations") if isinstance(data, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            return dhis_error(
                400, "JSON phải có mảng “completeDataSetRegistrations”.", code="invalid_payload"
            )
        try:
            summary = registrations_complete(
                actor=request.user, registrations=items, id_scheme=request.GET.get("idScheme") or "UID"
            )
        except ServiceError as exc:
            return dhis_error(409, exc.detail, code=exc.error_code)
        return _summary_response(summary)
    resolved, error = _resolve(request, need_period=False)
    if error is not None:
        return error
    query, regimes, units = resolved
    rows = exports.registrations(
        user=request.user,
        regimes=regimes,
        periods=query.periods,
        units=units,
        children=query.children,
        id_scheme=query.id_scheme,
    )
    return JsonResponse({"completeDataSetRegistrations": rows}, json_dumps_params={"ensure_ascii": False})
