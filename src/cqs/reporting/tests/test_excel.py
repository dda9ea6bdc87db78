"""The report's Excel template: what it holds, reading it back, uploading it through the page,
and the files refused (not a workbook, another report's, too large, damaged)."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from cqs.core.exceptions import ServiceError
from cqs.reporting import excel
from cqs.reporting.choices import ValueSource
from cqs.reporting.models import DataValue
from cqs.reporting.services import reports as svc
from cqs.reporting.tests.test_views import ONLINE_FULL, ONLINE_PARTIAL, RECEIVED, SIGNED, opened, values_of

TEXT = "GHI_CHU.default"


def rows_of(data: bytes) -> dict[str, list]:
    """The template's table: cell key → its row (STT, key, name, option, unit, value)."""
    sheet = load_workbook(io.BytesIO(data))[excel.DATA_SHEET]
    return {row[1]: list(row) for row in sheet.iter_rows(values_only=True) if row[1] and "." in str(row[1])}


def fill(data: bytes, values: dict[str, object], outline: str | None = None) -> bytes:
    """The template with ``values`` typed in the value column, as a person would in Excel."""
    book = load_workbook(io.BytesIO(data))
    sheet = book[excel.DATA_SHEET]
    for row in sheet.iter_rows():
        key = row[1].value
        if key in values:
            row[5].value = values[key]
    if outline is not None:
        book[excel.OUTLINE_SHEET]["A2"] = outline
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, report, data: bytes, name="bao-cao.xlsx"):
    return client.post(
        reverse("reporting:report-xlsx-upload", args=[report.pk]),
        {"xlsx-file": SimpleUploadedFile(name, data, excel.XLSX_MIME)},
    )


def error_code(report, data: bytes) -> str:
    with pytest.raises(ServiceError) as error:
        excel.report_values_from_xlsx(report, data)
    return error.value.error_code


# --- the template --------------------------------------------------------------------------------


def test_the_template_has_the_header_one_row_per_cell_and_the_current_values(land):
    report = opened(land)
    svc.report_values_save(
        actor=land.commune_officer, report=report, values={RECEIVED: "120", SIGNED: "87.5"}
    )

    data = excel.report_template_xlsx(report)

    book = load_workbook(io.BytesIO(data))
    header = " ".join(str(row[0]) for row in book[excel.DATA_SHEET].iter_rows(max_row=6, values_only=True))
    assert "BC_CNTT" in header and land.commune.name in header and "Số liệu từ ngày" in header
    rows = rows_of(data)
    assert list(rows) == [RECEIVED, ONLINE_PARTIAL, ONLINE_FULL, SIGNED, TEXT]
    assert rows[RECEIVED][2:] == ["Số hồ sơ tiếp nhận", None, "hồ sơ", 120]
    assert rows[ONLINE_PARTIAL][3] == "Một phần"
    assert rows[SIGNED][5] == 87.5
    assert book[excel.OUTLINE_SHEET]["A2"].value == land.version.outline_template


def test_the_template_carries_the_reports_uid(land):
    report = opened(land)

    sheet = load_workbook(io.BytesIO(excel.report_template_xlsx(report)))[excel.DATA_SHEET]

    assert [row[5] for row in sheet.iter_rows(values_only=True) if row[0] == excel.UID_LABEL] == [report.uid]


# --- reading it back -----------------------------------------------------------------------------


def test_a_filled_template_reads_back_as_typed_values_by_cell_key(land):
    report = opened(land)
    data = fill(
        excel.report_template_xlsx(report),
        {RECEIVED: 150, ONLINE_PARTIAL: 40.0, SIGNED: 92.5, TEXT: "Thiếu máy quét"},
    )

    values = excel.report_values_from_xlsx(report, data)

    assert values == {
        RECEIVED: "150",
        ONLINE_PARTIAL: "40",
        ONLINE_FULL: "",
        SIGNED: "92.5",
        TEXT: "Thiếu máy quét",
    }


def test_a_file_that_is_not_a_workbook_is_refused(land):
    report = opened(land)

    assert error_code(report, b"%PDF-1.7 not a workbook") == "not_xlsx"
    assert error_code(report, b"STT;Ma o;Gia tri\n1;HS_NHAN.default;5\n") == "not_xlsx"


def test_a_zip_that_is_not_a_workbook_is_refused(land):
    report = opened(land)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")

    assert error_code(report, buffer.getvalue()) == "not_xlsx"


def test_a_damaged_workbook_is_refused(land):
    report = opened(land)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<not-a-workbook")

    assert error_code(report, buffer.getvalue()) == "xlsx_unreadable"


def test_another_reports_template_is_refused(land):
    report = opened(land)
    other = opened(land, unit=land.commune2, officer=land.district_officer)

    assert error_code(report, excel.report_template_xlsx(other)) == "xlsx_wrong_report"


def test_a_file_over_five_megabytes_is_refused(land):
    report = opened(land)

    assert error_code(report, b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024)) == "file_too_large"


# --- uploading through the page ------------------------------------------------------------------


def test_the_officer_downloads_the_template(client, land):
    report = opened(land)
    client.force_login(land.commune_officer)

    response = client.get(reverse("reporting:report-xlsx", args=[report.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_MIME
    assert "attachment" in response["Content-Disposition"]
    assert RECEIVED in rows_of(response.content)


def test_another_unit_may_not_download_the_template(client, land):
    report = opened(land)
    client.force_login(land.commune3_officer)

    assert client.get(reverse("reporting:report-xlsx", args=[report.pk])).status_code == 404


def test_an_uploaded_template_is_saved_as_a_draft_from_excel(client, land):
    report = opened(land)
    client.force_login(land.commune_officer)
    data = fill(excel.report_template_xlsx(report), {RECEIVED: 150, ONLINE_PARTIAL: 40}, outline="1. Tốt")

    response = upload(client, report, data)

    assert response.status_code == 302
    assert values_of(report) == {RECEIVED: "150", ONLINE_PARTIAL: "40"}
    assert set(DataValue.objects.filter(report=report).values_list("source", flat=True)) == {
        ValueSource.EXCEL
    }
    report.refresh_from_db()
    assert report.outline_text == "1. Tốt"


def test_cells_left_as_they_were_keep_their_source(client, land):
    report = opened(land)
    svc.report_values_save(
        actor=land.commune_officer, report=report, values={RECEIVED: "80"}, source=ValueSource.PLATFORM
    )
    client.force_login(land.commune_officer)

    upload(client, report, fill(excel.report_template_xlsx(report), {ONLINE_PARTIAL: 10}))

    assert DataValue.objects.get(report=report, indicator__code="HS_NHAN").source == ValueSource.PLATFORM
    assert values_of(report) == {RECEIVED: "80", ONLINE_PARTIAL: "10"}


def test_an_invalid_value_in_the_file_saves_nothing_and_names_the_cell(client, land):
    report = opened(land)
    client.force_login(land.commune_officer)
    data = fill(excel.report_template_xlsx(report), {RECEIVED: 150, SIGNED: 140})

    response = upload(client, report, data)

    assert response.status_code == 200
    assert "TY_LE_KY_SO.default: Tỷ lệ phải từ 0 đến 100" in response.text
    assert not DataValue.objects.filter(report=report).exists()


def test_a_non_workbook_upload_is_refused_on_the_page(client, land):
    report = opened(land)
    client.force_login(land.commune_officer)

    response = upload(client, report, b"%PDF-1.7", name="bao-cao.xlsx")

    assert response.status_code == 200
    assert "Tệp không phải là tệp Excel (.xlsx)." in response.text


def test_an_upload_to_a_submitted_report_is_refused(client, land):
    report = opened(land)
    svc.report_values_save(
        actor=land.commune_officer,
        report=report,
        values={RECEIVED: "100", ONLINE_PARTIAL: "30", ONLINE_FULL: "20"},
    )
    data = fill(excel.report_template_xlsx(report), {RECEIVED: 150})
    svc.report_submit(actor=land.commune_officer, report=report)
    client.force_login(land.commune_officer)

    response = upload(client, report, data)

    assert "không sửa được" in response.text
    assert values_of(report)[RECEIVED] == "100"
