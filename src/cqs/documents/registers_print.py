"""The register books printed for binding (Decree 30/2020 Art. 16 and 22): PDF and Excel.

A register kept in the system must still be printed and bound as the book of Appendix IV. The
columns are the decree's "at least 10 items", in its order and words, checked against a
transcription of Appendix IV (``ericphan28/van-ban-plus``, ``30.2020.NĐ-CP/Phuluc4.md``):

- outgoing book (Appendix IV.I.2): số, ký hiệu văn bản; ngày tháng văn bản; tên loại và trích
  yếu nội dung văn bản; người ký; nơi nhận văn bản; đơn vị, người nhận bản lưu; số lượng bản;
  ngày chuyển; ký nhận; ghi chú;
- incoming book (Appendix IV.VI.2): ngày đến; số đến; tác giả; số, ký hiệu văn bản; ngày tháng
  văn bản; tên loại và trích yếu nội dung văn bản; đơn vị hoặc người nhận; ngày chuyển; ký nhận;
  ghi chú.

The cover of the decree's model (an image in the gazette, not in the transcription) is shortened
to a heading: the unit, the title, the year, the first and last numbers and dates. "Ký nhận" is
left empty on purpose: it is signed by hand in the bound book.

Both formats come from the same lines (``register_lines``). The PDF is laid out directly with
fpdf2 (wrapping with cached word widths, drawing with ``text`` and ``rect``), not with
``write_html`` or fpdf2's ``table``: a year's book of 5,000 lines takes seconds this way, and a
minute or more with those.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqs.documents import selectors
from cqs.documents.choices import (
    BussinessDocType,
    Direction,
    IncomingStatus,
    OutgoingState,
    Secrecy,
    Urgency,
)
from cqs.documents.models import Document, RegisterBook


@dataclass(frozen=True)
class Column:
    title: str
    width_mm: float  # in the PDF; the Excel width follows from it
    align: str = "L"
    ordinal: bool = False  # a number in the register: printed with its leading zero


# Widths add up to 267 mm: A4 landscape (297 mm) less the margins below.
OUTGOING_COLUMNS = (
    Column(gettext_lazy("Số, ký hiệu văn bản"), 26),
    Column(gettext_lazy("Ngày tháng văn bản"), 19, "C"),
    Column(gettext_lazy("Tên loại và trích yếu nội dung văn bản"), 66),
    Column(gettext_lazy("Người ký"), 26),
    Column(gettext_lazy("Nơi nhận văn bản"), 38),
    Column(gettext_lazy("Đơn vị, người nhận bản lưu"), 24),
    Column(gettext_lazy("Số lượng bản"), 13, "C"),
    Column(gettext_lazy("Ngày chuyển"), 19, "C"),
    Column(gettext_lazy("Ký nhận"), 15),
    Column(gettext_lazy("Ghi chú"), 21),
)
INCOMING_COLUMNS = (
    Column(gettext_lazy("Ngày đến"), 19, "C"),
    Column(gettext_lazy("Số đến"), 12, "C", ordinal=True),
    Column(gettext_lazy("Tác giả"), 34),
    Column(gettext_lazy("Số, ký hiệu văn bản"), 25),
    Column(gettext_lazy("Ngày tháng văn bản"), 19, "C"),
    Column(gettext_lazy("Tên loại và trích yếu nội dung văn bản"), 66),
    Column(gettext_lazy("Đơn vị hoặc người nhận"), 30),
    Column(gettext_lazy("Ngày chuyển"), 19, "C"),
    Column(gettext_lazy("Ký nhận"), 17),
    Column(gettext_lazy("Ghi chú"), 26),
)

# A register is not an administrative document (Appendix I's margins are for those); the left
# margin is the wider one, for the binding.
MARGINS_MM = {"top": 15, "bottom": 15, "left": 20, "right": 10}
PAGE_W_MM, PAGE_H_MM = 297, 210
BODY_PT = 10
HEADING_PT = 9.5
LINE_MM = 4.4
PAD_MM = 1.2
CHUNK = 1000  # rows read from the database at a time


def register_columns(book: RegisterBook) -> tuple[Column, ...]:
    return OUTGOING_COLUMNS if book.direction == Direction.OUTGOING else INCOMING_COLUMNS


# ----- the lines ---------------------------------------------------------------------------------


def _person(user) -> str:
    if user is None:
        return ""
    return getattr(user, "full_name", "") or user.get_full_name() or user.get_username()


def _local_date(value: datetime | None) -> date | None:
    return timezone.localdate(value) if value is not None else None


def _type_and_subject(document: Document) -> str:
    return f"{document.type_name}: {document.subject}" if document.type_name else document.subject


def _common_notes(document: Document) -> list[str]:
    notes = []
    if document.urgency != Urgency.NORMAL:
        notes.append(str(Urgency(document.urgency).label))
    if document.secrecy != Secrecy.NONE:
        notes.append(str(Secrecy(document.secrecy).label))
    return notes


def _outgoing_line(document: Document) -> list:
    recipients = list(document.recipients.all())
    if recipients:
        places = "; ".join(r.organ_name for r in recipients)
    else:
        places = "; ".join(line.strip() for line in document.to_places.splitlines() if line.strip())
    sent = [r.sent_at for r in recipients if r.sent_at is not None]
    # The archived copy stays with the clerk (VT) and the drafting unit (Appendix I "Lưu: VT, …").
    kept = ", ".join(p for p in ("VT", document.drafting_abbr, _person(document.drafter)) if p)
    notes = _common_notes(document)
    if document.bussiness_doc_type in (BussinessDocType.UPDATE, BussinessDocType.REPLACE):
        label = str(BussinessDocType(document.bussiness_doc_type).label)
        target = document.replaces.number_symbol if document.replaces_id else ""
        notes.append(f"{label} {target}".strip())
    if document.state == OutgoingState.RECALLED:
        notes.append(
            _("Đã thu hồi: %(reason)s") % {"reason": document.bussiness_reason}
            if document.bussiness_reason
            else _("Đã thu hồi")
        )
    if document.description:
        notes.append(document.description)
    return [
        document.number_symbol,
        document.issued_date,
        _type_and_subject(document),
        document.signer_name,
        places,
        kept,
        document.issued_amount,
        _local_date(min(sent)) if sent else document.issued_date,
        "",
        "; ".join(notes),
    ]


def _incoming_line(document: Document) -> list:
    notes = _common_notes(document)
    if document.status in (IncomingStatus.REJECTED, IncomingStatus.RECALLED, IncomingStatus.COMPLETED):
        notes.append(str(IncomingStatus(document.status).label))
    if document.handling_due_date and document.status != IncomingStatus.COMPLETED:
        notes.append(_("Hạn xử lý %(date)s") % {"date": f"{document.handling_due_date:%d/%m/%Y}"})
    return [
        _local_date(document.arrival_date),
        document.ordinal,
        document.organ_name,
        document.number_symbol,
        document.issued_date,
        _type_and_subject(document),
        _person(document.lead_handler),
        _local_date(getattr(document, "forwarded_at", None)),
        "",
        "; ".join(notes),
    ]


def register_lines(book: RegisterBook) -> Iterator[list]:
    """The book's lines in number order: one list of values (str, date, int or None) per column."""
    entries = selectors.register_entries(book)
    if book.direction == Direction.OUTGOING:
        entries = entries.select_related("drafter", "replaces")
        make = _outgoing_line
    else:
        # "Ngày chuyển": when the document was first handed on to its handlers (Art. 23).
        entries = entries.annotate(forwarded_at=Min("assignments__assigned_at"))
        make = _incoming_line
    for document in entries.iterator(chunk_size=CHUNK):
        yield make(document)


def register_title(book: RegisterBook) -> str:
    if book.direction == Direction.OUTGOING:
        return _("SỔ ĐĂNG KÝ VĂN BẢN ĐI")
    return _("SỔ ĐĂNG KÝ VĂN BẢN ĐẾN")


def register_filename(book: RegisterBook, extension: str) -> str:
    kind = "di" if book.direction == Direction.OUTGOING else "den"
    secret = "-mat" if book.secret else ""
    unit = book.unit.identifier or f"don-vi-{book.unit_id}"
    return f"so-van-ban-{kind}{secret}-{book.year}-{unit}.{extension}"


def _text(value, *, ordinal: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, int):
        # Appendix I: register numbers below 10 take a leading zero; counts do not.
        return f"{value:02d}" if ordinal else str(value)
    # The font's widths are those of precomposed letters: "ế" as one character, not e + marks.
    return unicodedata.normalize("NFC", str(value))


def _number_of(book: RegisterBook, line: list) -> str:
    return line[0] if book.direction == Direction.OUTGOING else _text(line[1], ordinal=True)


def _date_of(book: RegisterBook, line: list) -> date | None:
    return line[1] if book.direction == Direction.OUTGOING else line[0]


# ----- PDF ---------------------------------------------------------------------------------------


class _Measure:
    """Text widths in one font style, from the font's own advance widths, each word measured once.

    fpdf2's ``get_string_width`` goes through its text-fragment machinery on every call; a year's
    book asks for tens of thousands of widths, and registers repeat their words a lot.
    """

    def __init__(self, pdf, style: str, size_pt: float):
        from cqs.core.printing import FONT_FAMILY

        pdf.set_font(FONT_FAMILY, style, size_pt)
        self.style, self.size_pt = style, size_pt
        self.advances = pdf.current_font.cw
        self.factor = size_pt * 0.001 / pdf.k  # font units to mm
        self.cache: dict[str, float] = {}
        self.space = self.width(" ")

    def use(self, pdf) -> None:
        from cqs.core.printing import FONT_FAMILY

        pdf.set_font(FONT_FAMILY, self.style, self.size_pt)

    def width(self, text: str) -> float:
        found = self.cache.get(text)
        if found is None:
            advances = self.advances
            found = self.cache[text] = sum(advances[ord(char)] for char in text) * self.factor
        return found

    def _pieces(self, word: str, room: float) -> list[str]:
        """A word wider than the column, cut where it must be (a long code or address)."""
        pieces, current = [], ""
        for char in word:
            if current and self.width(current + char) > room:
                pieces.append(current)
                current = char
            else:
                current += char
        return [*pieces, current]

    def wrap(self, text: str, room: float) -> list[str]:
        """Greedy word wrapping of ``text`` into lines at most ``room`` mm wide."""
        lines: list[str] = []
        for paragraph in text.split("\n"):
            words: list[str] = []
            used = 0.0
            for word in paragraph.split():
                width = self.width(word)
                if width > room:
                    *full, word = self._pieces(word, room)
                    if words:
                        lines.append(" ".join(words))
                    lines.extend(full)
                    words, used = [word], self.width(word)
                    continue
                if words and used + self.space + width > room:
                    lines.append(" ".join(words))
                    words, used = [word], width
                else:
                    used = used + self.space + width if words else width
                    words.append(word)
            lines.append(" ".join(words))
        return lines

    def cells(self, values: list[str], columns, *, centred: bool = False) -> tuple[list, float]:
        """Each value wrapped in its column, every line with its x offset; and the row's height."""
        cells = []
        for value, column in zip(values, columns, strict=True):
            room = column.width_mm - 2 * PAD_MM
            lines = self.wrap(value, room)
            if centred or column.align == "C":
                cells.append([(line, max((room - self.width(line)) / 2, 0)) for line in lines])
            else:
                cells.append([(line, 0.0) for line in lines])
        return cells, max(len(lines) for lines in cells) * LINE_MM + 2 * PAD_MM


def _new_pdf(fonts):
    from fpdf import FPDF
    from fpdf.enums import ResourceAccessPolicy

    from cqs.core.printing import FONT_FAMILY

    class RegisterPDF(FPDF):
        def header(self):
            if self.page_no() > 1:
                self.set_font(FONT_FAMILY, "", BODY_PT)
                self.set_y(MARGINS_MM["top"] / 2 - 2)
                self.cell(0, 4, str(self.page_no()), align="C")

    pdf = RegisterPDF(orientation="landscape", unit="mm", format="A4")
    pdf.resource_access_policy = ResourceAccessPolicy.NONE
    pdf.set_margins(left=MARGINS_MM["left"], top=MARGINS_MM["top"], right=MARGINS_MM["right"])
    pdf.set_auto_page_break(auto=False)  # rows are placed by hand, and never split
    pdf.set_creator("CQS")
    pdf.set_lang("vi")
    for style, path in fonts.items():
        pdf.add_font(FONT_FAMILY, style, str(path))
    return pdf


def _cover(pdf, book: RegisterBook, lines: list[list], printed_on: date) -> None:
    from cqs.core.printing import FONT_FAMILY

    width = PAGE_W_MM - MARGINS_MM["left"] - MARGINS_MM["right"]
    unit = book.unit
    pdf.set_xy(MARGINS_MM["left"], MARGINS_MM["top"])
    if unit.parent_id:
        pdf.set_font(FONT_FAMILY, "", 12)
        pdf.cell(110, 5.5, unit.parent.name.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "B", 12)
    pdf.multi_cell(110, 5.5, unit.name.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT_FAMILY, "B", 16)
    pdf.cell(width, 8, register_title(book), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 13)
    details = [_("Năm: %(year)s") % {"year": book.year}]
    if book.secret:
        details.append(_("Sổ văn bản mật (dãy số riêng)"))
    if lines:
        first, last = lines[0], lines[-1]
        details.append(
            _("Từ số %(first)s đến số %(last)s")
            % {"first": _number_of(book, first), "last": _number_of(book, last)}
        )
        dates = [d for d in (_date_of(book, first), _date_of(book, last)) if d is not None]
        if len(dates) == 2:
            details.append(
                _("Từ ngày %(first)s đến ngày %(last)s") % {"first": _text(dates[0]), "last": _text(dates[1])}
            )
    pdf.cell(width, 6.5, " – ".join(details), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "I", 10)
    printed = _("In ngày %(date)s") % {"date": _text(printed_on)}
    pdf.cell(width, 5, printed, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _draw_row(pdf, cells: list, columns, y: float, height: float) -> None:
    x = MARGINS_MM["left"]
    baseline = y + PAD_MM + LINE_MM * 0.75
    for lines, column in zip(cells, columns, strict=True):
        pdf.rect(x, y, column.width_mm, height)
        for index, (line, offset) in enumerate(lines):
            if line:
                pdf.text(x + PAD_MM + offset, baseline + index * LINE_MM, line)
        x += column.width_mm


class _Heading:
    """The column titles and their numbers (1)…(10) as the decree prints them, on every page."""

    def __init__(self, pdf, columns):
        self.bold = _Measure(pdf, "B", HEADING_PT)
        self.italic = _Measure(pdf, "I", HEADING_PT)
        self.columns = columns
        self.titles = self.bold.cells([str(c.title) for c in columns], columns, centred=True)
        numbers = [f"({n})" for n in range(1, len(columns) + 1)]
        self.numbers = self.italic.cells(numbers, columns, centred=True)

    def draw(self, pdf, y: float) -> float:
        """Draw at ``y``; the y below it."""
        for measure, (cells, height) in ((self.bold, self.titles), (self.italic, self.numbers)):
            measure.use(pdf)
            _draw_row(pdf, cells, self.columns, y, height)
            y += height
        return y


def register_pdf(book: RegisterBook, *, printed_on: date | None = None) -> bytes:
    """The book on A4 landscape: a heading, then the table, its header repeated on every page.

    Raises ``ServiceError("font_missing")`` when the server has no Vietnamese font.
    """
    from cqs.core.printing import FONT_FAMILY, font_files

    fonts = font_files()
    printed_on = printed_on or timezone.localdate()
    columns = register_columns(book)
    bottom = PAGE_H_MM - MARGINS_MM["bottom"]
    # The printed book is a Vietnamese record whatever language the clerk's interface uses.
    with translation.override("vi"):
        lines = list(register_lines(book))
        pdf = _new_pdf(fonts)
        pdf.add_page()
        _cover(pdf, book, lines, printed_on)
        heading = _Heading(pdf, columns)
        body = _Measure(pdf, "", BODY_PT)
        y = heading.draw(pdf, pdf.get_y())
        if not lines:
            pdf.set_font(FONT_FAMILY, "I", BODY_PT)
            pdf.text(MARGINS_MM["left"] + PAD_MM, y + LINE_MM + PAD_MM, _("Sổ chưa có văn bản nào."))
        body.use(pdf)
        for line in lines:
            texts = [
                _text(value, ordinal=column.ordinal) for value, column in zip(line, columns, strict=True)
            ]
            cells, height = body.cells(texts, columns)
            if y + height > bottom:
                pdf.add_page()
                y = heading.draw(pdf, MARGINS_MM["top"])
                body.use(pdf)
            _draw_row(pdf, cells, columns, y, height)
            y += height
        return bytes(pdf.output())


# ----- Excel -------------------------------------------------------------------------------------

MM_PER_EXCEL_CHAR = 2.0  # a register column 26 mm wide is about 13 characters of Calibri 11


def register_xlsx(book: RegisterBook) -> bytes:
    """The same columns on one sheet: the header row frozen, dates as dates, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    columns = register_columns(book)
    with translation.override("vi"):
        workbook = Workbook()
        sheet = workbook.active
        kind = _("Sổ đi") if book.direction == Direction.OUTGOING else _("Sổ đến")
        if book.secret:
            kind = _("%(kind)s mật") % {"kind": kind}
        sheet.title = f"{kind} {book.year}"[:31]
        workbook.properties.title = f"{register_title(book)} {book.year} – {book.unit.name}"
        workbook.properties.creator = "CQS"
        sheet.append([str(column.title) for column in columns])
        bold = Font(bold=True)
        for cell in sheet[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = round(
                column.width_mm / MM_PER_EXCEL_CHAR + 2
            )
        for row, line in enumerate(register_lines(book), start=2):
            sheet.append(line)
            for column, value in enumerate(line, start=1):
                if isinstance(value, date):
                    sheet.cell(row=row, column=column).number_format = "DD/MM/YYYY"
                elif isinstance(value, str) and value.startswith("="):
                    # A subject written by another agency is text, never a formula to run.
                    sheet.cell(row=row, column=column).data_type = "s"
        sheet.freeze_panes = "A2"
        sheet.print_title_rows = "1:1"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
