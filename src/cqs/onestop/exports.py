"""The whole catalogue as LayThuTuc records (JSON) or as an Excel workbook, and Excel read back."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from cqs.core.exceptions import ServiceError
from cqs.onestop import selectors
from cqs.onestop.laythutuc import ImportedProcedure, export_record
from cqs.onestop.services import DOCUMENT_FIELDS, FEE_FIELDS, TEXT_FIELDS


def _current(procedure, as_of: date):
    return next((v for v in procedure.versions.all() if v.is_valid_on(as_of)), None)


def procedures_export_json(*, as_of: date) -> list[dict]:
    """Every procedure with a version in force on ``as_of``, in the LayThuTuc shape."""
    records = []
    for procedure in selectors.procedure_export_queryset():
        version = _current(procedure, as_of)
        if version is not None:
            records.append(export_record(procedure, version))
    return records


PROCEDURE_COLUMNS = [
    "code",
    "valid_from",
    "name",
    "sector_code",
    "sector_name",
    "levels",
    "online_level",
    "legacy_level",
    "channels",
    "processing_time",
    "processing_time_unit",
    *TEXT_FIELDS,
    "unit_identifiers",
]
DOCUMENT_COLUMNS = ["procedure_code", *DOCUMENT_FIELDS]
FEE_COLUMNS = ["procedure_code", *FEE_FIELDS]
SHEETS = {"procedures": "Thủ tục", "documents": "Thành phần hồ sơ", "fees": "Phí, lệ phí"}


def procedures_export_xlsx(*, as_of: date) -> bytes:
    """Three sheets: procedures (one row each), documents, fees; the first row names the columns."""
    from openpyxl import Workbook

    book = Workbook()
    sheets = {key: book.create_sheet(title) for key, title in SHEETS.items()}
    book.remove(book.active)
    sheets["procedures"].append(PROCEDURE_COLUMNS)
    sheets["documents"].append(DOCUMENT_COLUMNS)
    sheets["fees"].append(FEE_COLUMNS)
    for procedure in selectors.procedure_export_queryset():
        version = _current(procedure, as_of)
        if version is None:
            continue
        row = {
            "code": procedure.code,
            "valid_from": version.valid_from,
            "sector_code": procedure.sector.code,
            "sector_name": procedure.sector.name,
            "levels": ",".join(procedure.levels),
            "channels": ",".join(str(c) for c in version.channels),
            "processing_time": float(version.processing_time),
            "unit_identifiers": ",".join(u.identifier for u in procedure.units.all() if u.identifier),
        }
        sheets["procedures"].append(
            [row[column] if column in row else getattr(version, column) for column in PROCEDURE_COLUMNS]
        )
        for doc in version.documents.all():
            sheets["documents"].append([procedure.code, *(getattr(doc, f) for f in DOCUMENT_FIELDS)])
        for fee in version.fees.all():
            sheets["fees"].append([procedure.code, *(getattr(fee, f) for f in FEE_FIELDS)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rows(sheet, columns: list[str], title: str) -> list[tuple[int, dict]]:
    rows = sheet.iter_rows(values_only=True)
    header = [str(cell or "").strip() for cell in next(rows, [])]
    missing = [column for column in columns if column not in header]
    if missing:
        raise ServiceError(
            "invalid_payload",
            _("Trang “%(sheet)s” thiếu cột: %(columns)s.") % {"sheet": title, "columns": ", ".join(missing)},
            field=title,
        )
    result = []
    for number, values in enumerate(rows, start=2):
        if all(value in (None, "") for value in values):
            continue
        result.append((number, dict(zip(header, values, strict=False))))
    return result


def _split(value) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def procedures_read_xlsx(content: bytes) -> list[ImportedProcedure]:
    """Read a workbook written by ``procedures_export_xlsx`` into records for
    ``services.procedures_import``; a bad cell is named by sheet and row."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise ServiceError("invalid_payload", _("Tệp không phải bảng tính Excel (.xlsx).")) from error
    for title in SHEETS.values():
        if title not in book.sheetnames:
            raise ServiceError(
                "invalid_payload", _("Thiếu trang “%(sheet)s”.") % {"sheet": title}, field=title
            )
    records: dict[str, ImportedProcedure] = {}
    for number, row in _rows(book[SHEETS["procedures"]], PROCEDURE_COLUMNS, SHEETS["procedures"]):
        path = f"{SHEETS['procedures']}!{number}"
        valid_from = row["valid_from"]
        if hasattr(valid_from, "date"):
            valid_from = valid_from.date()
        legacy = row["legacy_level"]
        try:
            channels = [int(part) for part in _split(row["channels"])]
            legacy = int(legacy) if legacy not in (None, "") else None
        except ValueError:
            raise ServiceError(
                "invalid_payload", _("%(path)s: số không hợp lệ.") % {"path": path}, field=path
            ) from None
        data = {
            "name": str(row["name"] or ""),
            "sector_code": str(row["sector_code"] or ""),
            "sector_name": str(row["sector_name"] or ""),
            "levels": _split(row["levels"]),
            "online_level": row["online_level"],
            "legacy_level": legacy,
            "channels": channels,
            "processing_time": Decimal(str(row["processing_time"]))
            if row["processing_time"] is not None
            else None,
            "processing_time_unit": row["processing_time_unit"],
            **{key: str(row[key] or "") for key in TEXT_FIELDS},
            "fees": [],
            "documents": [],
        }
        records[str(row["code"])] = ImportedProcedure(
            code=str(row["code"]),
            data=data,
            valid_from=valid_from if isinstance(valid_from, date) else None,
            unit_identifiers=_split(row["unit_identifiers"]),
            path=path,
        )
    for key, columns in (("documents", DOCUMENT_COLUMNS), ("fees", FEE_COLUMNS)):
        for number, row in _rows(book[SHEETS[key]], columns, SHEETS[key]):
            record = records.get(str(row["procedure_code"]))
            if record is None:
                path = f"{SHEETS[key]}!{number}"
                raise ServiceError(
                    "invalid_payload",
                    _("%(path)s: mã thủ tục không có ở trang Thủ tục.") % {"path": path},
                    field=path,
                )
            item = {name: row[name] for name in columns if name != "procedure_code"}
            for text_key in ("code", "name", "form_name", "form_url", "description"):
                if text_key in item:
                    item[text_key] = str(item[text_key] or "")
            record.data[key].append(item)
    return list(records.values())
