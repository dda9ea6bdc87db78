"""The report as an Excel workbook to fill offline, and reading the filled workbook back.

Sheet "Số liệu": the report's header, then one row per indicator × disaggregation with its cell
key in column B ("Mã ô"), which is what is read back: rows may be moved or styled freely. The
report's uid is written in the header and checked on the way back, so a workbook of another unit
or period is refused instead of being saved into this one. Sheet "Thuyết minh": the text part.

A workbook is a zip: the upload is checked to be one, and its unpacked size bounded, before
openpyxl opens it (read-only) — a small file may unpack to gigabytes.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal

import filetype
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from cqs.core.exceptions import ServiceError
from cqs.reporting.choices import NUMERIC_TYPES, ValueType
from cqs.reporting.models import DataValue, Report
from cqs.reporting.periods import period_parse
from cqs.reporting.services.reports import form_cells

XLSX_MAX_BYTES = 5 * 1024 * 1024
UNPACKED_MAX_BYTES = 50 * 1024 * 1024
ROWS_MAX = 20_000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Markers read back from the file: the same in every language of the page.
DATA_SHEET = "Số liệu"
OUTLINE_SHEET = "Thuyết minh"
UID_LABEL = "Mã báo cáo (không sửa):"
KEY_HEADER = "Mã ô"
KEY_COLUMN, VALUE_COLUMN = 1, 5  # 0-based: B and F
VALUE_FILL = PatternFill("solid", start_color="FFF2CC")


@dataclass
class XlsxContent:
    values: dict[str, str]
    outline_text: str | None


def _cell_value(indicator, value: DataValue | None):
    """What to write in the value column: numbers as numbers, yes/no as words, text as text."""
    if value is None:
        return None
    if indicator.value_type in NUMERIC_TYPES and value.number is not None:
        if indicator.value_type in (ValueType.INTEGER, ValueType.INTEGER_ZERO_OR_POSITIVE):
            return int(value.number)
        return value.number.normalize()
    if indicator.value_type == ValueType.BOOLEAN:
        return "Có" if value.value == "true" else "Không"
    return value.value


def report_template_xlsx(report: Report) -> bytes:
    """The report's workbook, prefilled with its current values."""
    spec = period_parse(report.period.iso)
    version = report.version
    stored = {(v.indicator_id, v.option_combo_id): v for v in DataValue.objects.filter(report=report)}
    book = Workbook()
    sheet = book.active
    sheet.title = DATA_SHEET
    header = [
        (f"{report.regime.code} — {version.name}", True),
        (_("Đơn vị báo cáo: %(unit)s") % {"unit": report.unit.name}, False),
        (_("Kỳ báo cáo: %(label)s (%(iso)s)") % {"label": spec.label(), "iso": spec.iso}, False),
        (
            _("Số liệu từ ngày %(start)s đến ngày %(end)s; hạn gửi %(deadline)s")
            % {
                "start": f"{report.window_start:%d/%m/%Y}",
                "end": f"{report.window_end:%d/%m/%Y}",
                "deadline": f"{report.deadline:%d/%m/%Y}",
            },
            False,
        ),
        (_("Đơn vị nhận, duyệt: %(unit)s") % {"unit": report.reviewer_unit.name}, False),
    ]
    for text, bold in header:
        sheet.append([text])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=bold, size=13 if bold else 11)
    sheet.append([UID_LABEL, None, None, None, None, report.uid])
    sheet.append(
        [_("Chỉ điền cột “Giá trị”; để trống ô không có số liệu. Số thập phân dùng dấu phẩy hoặc chấm.")]
    )
    sheet.append([])
    headers = [_("STT"), KEY_HEADER, _("Chỉ tiêu"), _("Phân tổ"), _("Đơn vị tính"), _("Giá trị")]
    sheet.append(headers)
    for column in range(1, len(headers) + 1):
        sheet.cell(row=sheet.max_row, column=column).font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(row=sheet.max_row + 1, column=1)

    sections = dict(version.rows.values_list("indicator_id", "section"))
    booleans = DataValidation(type="list", formula1='"Có,Không"', allow_blank=True)
    sheet.add_data_validation(booleans)
    section = None
    for number, (key, (indicator, option)) in enumerate(form_cells(version).items(), start=1):
        row_section = sections.get(indicator.pk, "")
        if row_section and row_section != section:
            sheet.append([None, None, row_section])
            sheet.cell(row=sheet.max_row, column=3).font = Font(bold=True)
        section = row_section
        sheet.append(
            [
                number,
                key,
                indicator.name,
                None if option.code == "default" else option.name,
                indicator.unit_label,
                _cell_value(indicator, stored.get((indicator.pk, option.pk))),
            ]
        )
        cell = sheet.cell(row=sheet.max_row, column=VALUE_COLUMN + 1)
        cell.fill = VALUE_FILL
        if indicator.value_type == ValueType.BOOLEAN:
            booleans.add(cell.coordinate)
        elif indicator.value_type in (ValueType.TEXT, ValueType.LONG_TEXT):
            cell.number_format = "@"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=sheet.max_row, column=3).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEF", (5, 4, 60, 18, 12, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    # The key column is for the machine: narrow and grey, but visible so that a moved row keeps it.
    for row in sheet.iter_rows(min_col=2, max_col=2):
        row[0].font = Font(color="999999", size=8)

    outline = book.create_sheet(OUTLINE_SHEET)
    outline.append([_("Phần thuyết minh (đề cương báo cáo)")])
    outline["A1"].font = Font(bold=True)
    outline.append([report.outline_text or version.outline_template or ""])
    outline["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    outline.column_dimensions["A"].width = 110
    outline.row_dimensions[2].height = 300

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _raw(value) -> str:
    """A cell's content as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
        return str(number.to_integral()) if number == number.to_integral() else format(number, "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value).strip()


def _refuse(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, field="file")


def xlsx_check_size(size: int) -> None:
    """Refuse a file above the limit before reading it."""
    if size > XLSX_MAX_BYTES:
        raise _refuse("file_too_large", _("Tệp lớn quá %(n)s MB.") % {"n": XLSX_MAX_BYTES // (1024 * 1024)})


def _open(data: bytes):
    xlsx_check_size(len(data))
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ("application/zip", XLSX_MIME):
        raise _refuse("not_xlsx", _("Tệp không phải là tệp Excel (.xlsx)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > UNPACKED_MAX_BYTES:
                raise _refuse("file_too_large", _("Tệp Excel chứa quá nhiều dữ liệu."))
            if "xl/workbook.xml" not in archive.namelist():
                raise _refuse("not_xlsx", _("Tệp không phải là tệp Excel (.xlsx)."))
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ServiceError:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged file; none may become a 500.
        raise _refuse(
            "xlsx_unreadable", _("Không đọc được tệp Excel; hãy tải lại mẫu và điền lại.")
        ) from None


def report_xlsx_read(report: Report, data: bytes) -> XlsxContent:
    """The values (cell key → text as typed) and the text part of a filled workbook of ``report``."""
    book = _open(data)
    try:
        sheet = book[DATA_SHEET] if DATA_SHEET in book.sheetnames else book.worksheets[0]
        uid, values, in_table = None, {}, False
        for index, row in enumerate(sheet.iter_rows(values_only=True)):
            if index >= ROWS_MAX:
                raise _refuse("file_too_large", _("Tệp Excel có quá nhiều dòng."))
            cells = list(row) + [None] * (VALUE_COLUMN + 1 - len(row))
            if not in_table:
                if cells[0] == UID_LABEL:
                    uid = _raw(cells[VALUE_COLUMN])
                elif cells[KEY_COLUMN] == KEY_HEADER:
                    in_table = True
                continue
            key = _raw(cells[KEY_COLUMN])
            if key:
                values[key] = _raw(cells[VALUE_COLUMN])
        if uid != report.uid:
            raise _refuse(
                "xlsx_wrong_report",
                _("Tệp Excel này không phải của báo cáo %(regime)s kỳ %(period)s của %(unit)s.")
                % {"regime": report.regime.code, "period": report.period.iso, "unit": report.unit.name},
            )
        if not in_table:
            raise _refuse("xlsx_unreadable", _("Không tìm thấy bảng số liệu trong tệp Excel."))
        outline_text = None
        if OUTLINE_SHEET in book.sheetnames:
            rows = book[OUTLINE_SHEET].iter_rows(min_row=2, max_row=2, values_only=True)
            first = next(rows, None)
            if first:
                outline_text = _raw(first[0]).replace("\r\n", "\n")
        return XlsxContent(values=values, outline_text=outline_text)
    finally:
        book.close()


def report_values_from_xlsx(report: Report, data: bytes) -> dict[str, str]:
    """Cell key → raw value of a filled workbook of ``report`` (see ``report_xlsx_read``)."""
    return report_xlsx_read(report, data).values
