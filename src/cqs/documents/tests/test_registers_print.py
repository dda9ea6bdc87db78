"""The register books of Appendix IV, printed (PDF) and exported (Excel), and who may get them."""

import io
import shutil
import subprocess
import time
from datetime import date

import pytest
from django.urls import reverse

from cqs.documents import registers_print
from cqs.documents.choices import Direction, IncomingStatus, OutgoingState, Secrecy
from cqs.documents.models import Document, RegisterBook
from cqs.documents.services import (
    RecipientSpec,
    incoming_assign,
    incoming_register,
    outgoing_recall,
)
from cqs.documents.tests.test_flows import issued

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext") or "pdftotext"
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def pdf_text(pdf: bytes, *args: str) -> str:
    command = [PDFTOTEXT, "-raw", *args, "-", "-"]
    result = subprocess.run(command, input=pdf, capture_output=True, check=True)  # noqa: S603 - our own PDF
    return result.stdout.decode("utf-8")


def pdf_url(book) -> str:
    return reverse("documents:register-pdf", args=[book.pk])


def xlsx_url(book) -> str:
    return reverse("documents:register-xlsx", args=[book.pk])


def flat(text: str) -> str:
    return " ".join(text.split())


def workbook(data: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data))


def book_of(unit, direction=Direction.OUTGOING, *, secret=False):
    return RegisterBook.objects.get(unit=unit, direction=direction, secret=secret)


def filled_book(unit, lines: int, *, direction=Direction.OUTGOING, subject="Về việc thử") -> RegisterBook:
    """A book with ``lines`` numbered entries, written directly: the services are tested elsewhere."""
    book = RegisterBook.objects.create(
        unit=unit, year=2026, direction=direction, secret=False, last_number=lines
    )
    outgoing = direction == Direction.OUTGOING
    Document.objects.bulk_create(
        Document(
            unit=unit,
            direction=direction,
            state=OutgoingState.ISSUED if outgoing else "",
            status="" if outgoing else IncomingStatus.REGISTERED,
            register=book,
            ordinal=n,
            type_code="CV",
            type_name="Công văn",
            code_number=f"{n:02d}",
            code_notation="UBND-VP",
            issued_date=date(2026, 1, 5),
            organ_name=unit.name,
            subject=f"{subject} số {n}: đôn đốc triển khai kế hoạch chuyển đổi số năm 2026 của tỉnh",
            signer_name="Nguyễn Văn Chủ",
            to_places="Sở Nội vụ\nSở Tài chính",
            issued_amount=3,
        )
        for n in range(1, lines + 1)
    )
    return book


# ----- PDF ---------------------------------------------------------------------------------------


def test_the_columns_are_the_ten_of_appendix_iv_in_the_decrees_order():
    assert [str(c.title) for c in registers_print.OUTGOING_COLUMNS] == [
        "Số, ký hiệu văn bản",
        "Ngày tháng văn bản",
        "Tên loại và trích yếu nội dung văn bản",
        "Người ký",
        "Nơi nhận văn bản",
        "Đơn vị, người nhận bản lưu",
        "Số lượng bản",
        "Ngày chuyển",
        "Ký nhận",
        "Ghi chú",
    ]
    assert [str(c.title) for c in registers_print.INCOMING_COLUMNS] == [
        "Ngày đến",
        "Số đến",
        "Tác giả",
        "Số, ký hiệu văn bản",
        "Ngày tháng văn bản",
        "Tên loại và trích yếu nội dung văn bản",
        "Đơn vị hoặc người nhận",
        "Ngày chuyển",
        "Ký nhận",
        "Ghi chú",
    ]


def test_the_columns_fill_the_landscape_page_between_its_margins():
    room = (
        registers_print.PAGE_W_MM - registers_print.MARGINS_MM["left"] - registers_print.MARGINS_MM["right"]
    )
    for columns in (registers_print.OUTGOING_COLUMNS, registers_print.INCOMING_COLUMNS):
        assert sum(c.width_mm for c in columns) == room


@needs_pdftotext
def test_the_outgoing_book_has_the_decree_columns_and_each_issued_document(office):
    # given two documents issued by the province, the second one recalled
    first = issued(office, subject="Về việc giao chỉ tiêu thu ngân sách năm 2026")
    second = issued(office, type_code="CV", subject="V/v đôn đốc báo cáo chuyển đổi số")
    outgoing_recall(actor=office.clerk, document=second, reason="Sai nơi nhận")

    # when the book is printed
    text = flat(pdf_text(registers_print.register_pdf(book_of(office.province), printed_on=date(2026, 2, 1))))

    # then it has the heading, the ten columns in the decree's order, and one line per document
    assert (
        "UBND TỈNH THỬ" in text
        and "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in text
        and f"Năm: {first.issued_date.year}" in text
    )
    assert "In ngày 01/02/2026" in text
    for title in registers_print.OUTGOING_COLUMNS:
        assert all(word in text for word in str(title.title).split()), title.title
    assert "(1)" in text and "(10)" in text
    assert first.number_symbol in text and "giao chỉ tiêu thu ngân sách" in text
    assert first.signer_name in text and "Sở Nội vụ tỉnh Thử" in text
    assert "Đã thu hồi: Sai nơi nhận" in text
    assert f"Từ số {first.number_symbol} đến số {second.number_symbol}" in text


@needs_pdftotext
def test_the_incoming_book_gives_arrival_number_author_and_handler(office):
    # given a decision of the province, registered and assigned in the department
    sent = issued(office)
    copy = Document.objects.get(source=sent)
    incoming_register(actor=office.dept_clerk, document=copy)
    incoming_assign(actor=office.dept_leader, document=copy, lead=office.dept_specialist)

    text = flat(pdf_text(registers_print.register_pdf(book_of(office.department, Direction.INCOMING))))

    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in text
    for title in registers_print.INCOMING_COLUMNS:
        assert all(word in text for word in str(title.title).split()), title.title
    assert "UBND tỉnh Thử" in text and sent.number_symbol in text
    handler = office.dept_specialist
    assert (getattr(handler, "full_name", "") or handler.get_full_name() or handler.username) in text
    assert "Từ số 01 đến số 01" in text


@needs_pdftotext
def test_a_secret_book_says_it_is_the_secret_series(office):
    issued(office, secrecy=Secrecy.CONFIDENTIAL)

    text = flat(pdf_text(registers_print.register_pdf(book_of(office.province, secret=True))))

    assert "Sổ văn bản mật (dãy số riêng)" in text
    assert "Mật" in text  # the document's own line notes its secrecy


@needs_pdftotext
def test_an_empty_book_prints_its_heading_and_says_it_is_empty(office):
    book = RegisterBook.objects.create(unit=office.province, year=2026, direction=Direction.INCOMING)

    text = flat(pdf_text(registers_print.register_pdf(book)))

    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in text and "Sổ chưa có văn bản nào." in text


@needs_pdftotext
def test_a_book_of_a_thousand_lines_renders_quickly_on_landscape_pages_each_with_the_header(office):
    book = filled_book(office.province, 1000)

    started = time.monotonic()
    pdf = registers_print.register_pdf(book)
    elapsed = time.monotonic() - started

    assert elapsed < 15, f"{elapsed:.1f} s for 1,000 lines"  # about 1 s on an idle laptop
    assert 'width="841.89' in pdf_text(pdf, "-bbox", "-f", "1", "-l", "1")  # A4 landscape
    last_page = pdf_text(pdf, "-f", "2", "-l", "2")
    assert last_page.split()[0] == "2"  # numbered from page 2 on
    assert "Ngày tháng" in last_page and "(10)" in last_page  # the header repeats
    assert "1000/UBND-VP" in flat(pdf_text(pdf))


@needs_pdftotext
def test_a_word_wider_than_its_column_is_cut_not_lost(office):
    book = filled_book(office.province, 1, subject="Về việc " + "x" * 120)

    text = pdf_text(registers_print.register_pdf(book))

    assert text.count("x") >= 120


# ----- Excel -------------------------------------------------------------------------------------


def test_the_excel_book_has_the_same_columns_a_frozen_header_and_real_dates(office):
    first = issued(office, subject="Về việc giao chỉ tiêu thu ngân sách năm 2026")

    sheet = workbook(registers_print.register_xlsx(book_of(office.province))).active

    header = [cell.value for cell in sheet[1]]
    assert header == [str(c.title) for c in registers_print.OUTGOING_COLUMNS]
    assert header[0] == "Số, ký hiệu văn bản" and header[-1] == "Ghi chú" and len(header) == 10
    assert sheet.freeze_panes == "A2"
    row = list(sheet[2])
    assert row[0].value == first.number_symbol
    assert row[1].value.date() == first.issued_date and row[1].number_format == "DD/MM/YYYY"
    assert row[6].value == 1  # one recipient, one copy
    assert "Quyết định" in row[2].value and "giao chỉ tiêu" in row[2].value


def test_the_excel_incoming_book_keeps_the_arrival_number_as_a_number(office):
    book = filled_book(office.province, 3, direction=Direction.INCOMING)

    sheet = workbook(registers_print.register_xlsx(book)).active

    assert [sheet.cell(row=r, column=2).value for r in (2, 3, 4)] == [1, 2, 3]
    assert sheet.cell(row=1, column=3).value == "Tác giả"


def test_text_that_looks_like_a_formula_stays_text_in_excel(office):
    book = filled_book(office.province, 1)
    Document.objects.filter(register=book).update(subject='=HYPERLINK("http://example.invalid","x")')

    sheet = workbook(registers_print.register_xlsx(book)).active

    assert sheet.cell(row=2, column=3).data_type == "s"


def test_a_year_of_five_thousand_lines_exports_to_excel(office):
    book = filled_book(office.province, 5000)

    sheet = workbook(registers_print.register_xlsx(book)).active

    assert sheet.max_row == 5001


# ----- views -------------------------------------------------------------------------------------


def test_a_clerk_of_the_unit_gets_the_pdf_and_the_excel_of_its_book(client, office):
    book = filled_book(office.province, 2)
    client.force_login(office.clerk)

    pdf = client.get(pdf_url(book))
    xlsx = client.get(xlsx_url(book))

    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert f"so-van-ban-di-2026-{office.province.identifier}.pdf" in pdf["Content-Disposition"]
    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    assert workbook(xlsx.content).active.max_row == 3


def test_a_book_of_another_unit_is_not_found(client, office):
    book = filled_book(office.province, 1)
    client.force_login(office.other_clerk)

    assert client.get(pdf_url(book)).status_code == 404
    assert client.get(xlsx_url(book)).status_code == 404


def test_the_province_book_is_not_shown_to_the_department_below_it(client, office):
    # grants reach the units below, never the ones above
    book = filled_book(office.province, 1)
    client.force_login(office.dept_clerk)

    assert client.get(pdf_url(book)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, office):
    book = filled_book(office.province, 1)

    response = client.get(pdf_url(book))

    assert response.status_code == 302 and "login" in response.url


def test_a_recipient_unit_cannot_read_the_issuers_book_through_the_copy(client, office):
    # given a document delivered to the department, the province's outgoing book stays hidden
    sent = issued(office, recipients=[RecipientSpec(unit_id=office.department.pk)])
    client.force_login(office.dept_leader)

    assert client.get(reverse("documents:register-xlsx", args=[sent.register_id])).status_code == 404
