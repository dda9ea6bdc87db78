"""Reading and writing DHIS2 data value sets: JSON, CSV, DXF2 XML and ADX XML.

Parsing gives a ``DataValueSet`` whose values are dicts with the DHIS2 keys the importer takes
(``cqs.reporting.services.imports.datavalueset_import``); attributes set on the root (JSON, DXF2)
or on an ADX group are copied to each value that does not set them. Nothing here touches the
database.

XML is parsed without entities, DTDs or network access (defusedxml refuses them), and any body
larger than ``MAX_BYTES`` is refused before parsing.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

MAX_BYTES = 50 * 1024 * 1024
TOO_LARGE = "Dữ liệu gửi lên lớn quá 50 MB; hãy chia thành nhiều lần gửi."
DXF2_NS = "http://dhis2.org/schema/dxf/2.0"
ADX_NS = "urn:ihe:qrph:adx:2015"

JSON = "json"
CSV = "csv"
XML = "xml"
ADX = "adx"
MEDIA_TYPES = {
    JSON: "application/json",
    CSV: "application/csv",
    XML: "application/xml",
    ADX: "application/adx+xml",
}
_CONTENT_TYPES = {
    "application/json": JSON,
    "text/json": JSON,
    "application/csv": CSV,
    "text/csv": CSV,
    "application/xml": XML,
    "text/xml": XML,
    "application/adx+xml": ADX,
}
# DHIS2's CSV columns, in order (``lastupdated`` is also written ``timestamp``).
CSV_COLUMNS = (
    "dataelement",
    "period",
    "orgunit",
    "categoryoptioncombo",
    "attributeoptioncombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
    "deleted",
)
_CSV_KEYS = {
    "dataelement": "dataElement",
    "period": "period",
    "orgunit": "orgUnit",
    "categoryoptioncombo": "categoryOptionCombo",
    "attributeoptioncombo": "attributeOptionCombo",
    "value": "value",
    "storedby": "storedBy",
    "lastupdated": "lastUpdated",
    "timestamp": "lastUpdated",
    "comment": "comment",
    "followup": "followup",
    "deleted": "deleted",
}
_INHERITED = ("period", "orgUnit", "attributeOptionCombo")
_VALUE_KEYS = (
    "dataElement",
    "period",
    "orgUnit",
    "categoryOptionCombo",
    "attributeOptionCombo",
    "value",
    "storedBy",
    "created",
    "lastUpdated",
    "comment",
    "followup",
    "deleted",
)
# ADX attributes that are not category codes.
_ADX_GROUP = {
    "dataSet",
    "period",
    "orgUnit",
    "completeDate",
    "dataSetComplete",
    "comment",
    "attributeOptionCombo",
}
_ADX_VALUE = {"dataElement", "value", "categoryOptionCombo", "attributeOptionCombo"}


class FormatError(ValueError):
    """A body that cannot be read: ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int = 400, code: str = "invalid_payload"):
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class DataValueSet:
    values: list[dict] = field(default_factory=list)
    data_set: str = ""
    complete_date: str = ""
    # ADX: the data sets of the groups, when they differ (each value then carries ``dataSet``).
    data_sets: set[str] = field(default_factory=set)


def format_of(content_type: str) -> str | None:
    """The format of a ``Content-Type`` or ``Accept`` value, or ``None``."""
    media = (content_type or "").split(";")[0].strip().lower()
    return _CONTENT_TYPES.get(media)


def check_size(body: bytes) -> None:
    if len(body) > MAX_BYTES:
        raise FormatError(
            "Dữ liệu gửi lên lớn quá 50 MB; hãy chia thành nhiều lần gửi.",
            status=413,
            code="payload_too_large",
        )


def parse(body: bytes, fmt: str, *, first_row_is_header: bool = True) -> DataValueSet:
    check_size(body)
    if fmt == JSON:
        return parse_json(body)
    if fmt == CSV:
        return parse_csv(body, first_row_is_header=first_row_is_header)
    if fmt == XML:
        return parse_dxf2(body)
    if fmt == ADX:
        return parse_adx(body)
    raise FormatError("Định dạng không được hỗ trợ.", status=415, code="unsupported_media_type")


def _inherit(values: list[dict], root: dict) -> None:
    for key in _INHERITED:
        if root.get(key):
            for value in values:
                if not value.get(key):
                    value[key] = root[key]


def _str(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def parse_json(body: bytes) -> DataValueSet:
    check_size(body)
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"JSON không đọc được: {exc}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("dataValues", []), list):
        raise FormatError("JSON phải là một đối tượng có mảng “dataValues”.")
    values = []
    for item in data.get("dataValues", []):
        if not isinstance(item, dict):
            raise FormatError("Mỗi phần tử của “dataValues” phải là một đối tượng.")
        value = {key: item[key] for key in _VALUE_KEYS if key in item}
        if "value" in value and value["value"] is not None and not isinstance(value["value"], str):
            value["value"] = _str(value["value"])
        values.append(value)
    root = {key: _str(data.get(key)) for key in _INHERITED}
    _inherit(values, root)
    return DataValueSet(
        values=values,
        data_set=_str(data.get("dataSet")),
        complete_date=_str(data.get("completeDate")),
    )


def parse_csv(body: bytes, *, first_row_is_header: bool = True) -> DataValueSet:
    check_size(body)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError("CSV phải mã hóa UTF-8.") from None
    reader = csv.reader(io.StringIO(text))
    columns = list(CSV_COLUMNS)
    values = []
    for number, row in enumerate(reader):
        if not row or all(not cell.strip() for cell in row):
            continue
        if number == 0 and first_row_is_header:
            header = [cell.strip().lower() for cell in row]
            if header and header[0] == "dataelement":
                columns = header
                continue
        value = {}
        for column, cell in zip(columns, row, strict=False):
            key = _CSV_KEYS.get(column)
            if key is not None:
                value[key] = cell
        # An empty value column is a deletion, as an absent JSON key is.
        values.append(value)
    return DataValueSet(values=values)


def _xml_root(body: bytes):
    check_size(body)
    try:
        return SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise FormatError("XML có khai báo DTD hoặc thực thể: không được chấp nhận.") from None
    except SafeET.ParseError as exc:
        raise FormatError(f"XML không đọc được: {exc}.") from None


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _sep, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def parse_dxf2(body: bytes) -> DataValueSet:
    root = _xml_root(body)
    namespace, name = _local(root.tag)
    if name != "dataValueSet" or namespace not in ("", DXF2_NS):
        raise FormatError("XML phải có phần tử gốc dataValueSet (http://dhis2.org/schema/dxf/2.0).")
    values = []
    for element in root:
        if _local(element.tag)[1] != "dataValue":
            continue
        value = {key: element.attrib[key] for key in _VALUE_KEYS if key in element.attrib}
        values.append(value)
    _inherit(values, dict(root.attrib))
    return DataValueSet(
        values=values,
        data_set=root.attrib.get("dataSet", ""),
        complete_date=root.attrib.get("completeDate", ""),
    )


def parse_adx(body: bytes) -> DataValueSet:
    """ADX (IHE QRPH): ``group`` elements carry dataSet, period (``2026-03-01/P1M``) and orgUnit;
    other attributes of a ``dataValue`` are category codes whose values are option codes (the
    importer finds the option combination); ``annotation`` is the comment, or the value itself
    for a text data element. Other attributes of a ``group`` name attribute categories, which
    this platform does not have: they are passed on so that the import refuses them."""
    root = _xml_root(body)
    namespace, name = _local(root.tag)
    if name != "adx" or namespace != ADX_NS:
        raise FormatError("ADX phải có phần tử gốc adx (urn:ihe:qrph:adx:2015).")
    result = DataValueSet()
    for group in root:
        if _local(group.tag)[1] != "group":
            continue
        attrs = dict(group.attrib)
        for required in ("period", "orgUnit"):
            if not attrs.get(required):
                raise FormatError(f"Mỗi group của ADX phải có thuộc tính {required}.")
        data_set = attrs.get("dataSet", "")
        result.data_sets.add(data_set)
        aoc = attrs.get("attributeOptionCombo", "")
        extra = {k: v for k, v in attrs.items() if k not in _ADX_GROUP}
        if extra and not aoc:
            aoc = " ".join(f"{k}={v}" for k, v in sorted(extra.items()))
        complete = attrs.get("completeDate", "")
        if not complete and attrs.get("dataSetComplete", "").lower() not in ("", "false"):
            complete = attrs["dataSetComplete"]
        if complete:
            result.complete_date = complete
        for element in group:
            if _local(element.tag)[1] != "dataValue":
                continue
            value_attrs = dict(element.attrib)
            value = {
                "dataElement": value_attrs.get("dataElement", ""),
                "period": attrs["period"],
                "orgUnit": attrs["orgUnit"],
                "dataSet": data_set,
                "adx": True,
            }
            if "value" in value_attrs:
                value["value"] = value_attrs["value"]
            if value_attrs.get("categoryOptionCombo"):
                value["categoryOptionCombo"] = value_attrs["categoryOptionCombo"]
            options = {k: v for k, v in value_attrs.items() if k not in _ADX_VALUE}
            if options:
                value["categoryOptions"] = options
            value_aoc = value_attrs.get("attributeOptionCombo") or aoc
            if value_aoc:
                value["attributeOptionCombo"] = value_aoc
            for child in element:
                if _local(child.tag)[1] == "annotation":
                    value["comment"] = (child.text or "").strip()
            result.values.append(value)
    if len(result.data_sets) == 1:
        result.data_set = next(iter(result.data_sets))
    return result


# --- writers -------------------------------------------------------------------------------
# Rows are dicts with the DHIS2 keys (dataElement, period, orgUnit, categoryOptionCombo,
# attributeOptionCombo, value, storedBy, created, lastUpdated, comment, followup), as written by
# the export selector.


def write_json(rows, *, data_set: str = "") -> bytes:
    body = {"dataValues": list(rows)}
    if data_set:
        body = {"dataSet": data_set, **body}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def write_csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.get("dataElement", ""),
                row.get("period", ""),
                row.get("orgUnit", ""),
                row.get("categoryOptionCombo", ""),
                row.get("attributeOptionCombo", ""),
                row.get("value", ""),
                row.get("storedBy", ""),
                row.get("lastUpdated", ""),
                row.get("comment", ""),
                _str(row.get("followup", False)),
                _str(row.get("deleted", False)),
            ]
        )
    return out.getvalue().encode()


def _attrs(pairs) -> str:
    return "".join(f" {name}={quoteattr(str(value))}" for name, value in pairs if value not in (None, ""))


def write_dxf2(rows, *, data_set: str = "") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<dataValueSet xmlns="{DXF2_NS}"{_attrs([("dataSet", data_set)])}>',
    ]
    for row in rows:
        pairs = [(key, _str(row.get(key)) if key == "followup" else row.get(key)) for key in _VALUE_KEYS]
        parts.append(f"<dataValue{_attrs(pairs)}/>")
    parts.append("</dataValueSet>")
    return "\n".join(parts).encode()


def write_adx(groups, *, exported: str) -> bytes:
    """``groups``: dicts ``{"dataSet", "period" (ADX form), "orgUnit", "values": [...]}``, each
    value a dict ``{"dataElement", "value", "categories": {code: option code}, "annotation"}``.
    ADX values are decimals: the caller puts a text value in ``annotation`` with value 0, as
    DHIS2 does."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<adx xmlns="{ADX_NS}"{_attrs([("exported", exported)])}>',
    ]
    for group in groups:
        head = [("dataSet", group.get("dataSet")), ("period", group["period"]), ("orgUnit", group["orgUnit"])]
        parts.append(f"<group{_attrs(head)}>")
        for value in group["values"]:
            pairs = [("dataElement", value["dataElement"]), *sorted(value.get("categories", {}).items())]
            pairs.append(("value", value["value"]))
            annotation = value.get("annotation")
            if annotation:
                parts.append(
                    f"<dataValue{_attrs(pairs)}><annotation>{_escape(annotation)}</annotation></dataValue>"
                )
            else:
                parts.append(f"<dataValue{_attrs(pairs)}/>")
        parts.append("</group>")
    parts.append("</adx>")
    return "\n".join(parts).encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
