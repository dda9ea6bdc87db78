"""What a signature looks like on the page: Decree 30/2020 Appendix I placement for ``pdf_sign``.

Three kinds (``SignatureStamp.kind``):

- ``person``: the signer's signature, blue text “Đã ký”, full name and signing time on a
  transparent background, in the box between the title (chức vụ) and the typed name (box 7c).
- ``seal``: the organisation's red round seal at actual size (36 mm = 102 pt), a transparent image
  overlapping about a third of the person box on its left (box 8).
- ``text``: the “invisible” organisation signature of separate-file appendices and electronic
  copies: text only, top right of page 1, the number/symbol and the ISO 8601 signing time in a
  Times-like 10 pt font.

Boxes are ``(x1, y1, x2, y2)`` in PDF points, origin bottom left. Callers that generate the PDF
know where the title and the name are and pass the real box; the defaults suit our A4 layouts.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import unicodedata
import uuid
from dataclasses import dataclass, field
from io import BytesIO
from zoneinfo import ZoneInfo

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils import content, layout
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec
from pyhanko.stamp import StaticStampStyle, TextStampStyle
from pyhanko.stamp.static import StaticContentStamp

from cqs.core.exceptions import ServiceError

STAMP_KINDS = ("person", "seal", "text")
# Where pyHanko's signing time is handed to the stamp: parsed back and shown in Vietnam time.
_PYHANKO_TS_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

PERSON_BLUE = (13, 51, 178)
SEAL_RED = (208, 16, 32)
SEAL_SIZE_PT = 102.0  # 36 mm, the usual diameter of a commune or department seal
SEAL_PIXELS = 420  # ~290 dpi at 36 mm: sharp on paper, small in the file
# Defaults on an A4 page (595 x 842 pt): the signature block sits in the right half, near the end.
DEFAULT_PERSON_BOX = (330.0, 90.0, 530.0, 150.0)
# The invisible signature: inside the 20 mm top margin, flush with the 15 mm right margin.
TEXT_BOX_WIDTH, TEXT_BOX_HEIGHT, TEXT_RIGHT_MARGIN, TEXT_TOP_GAP = 190.0, 30.0, 42.5, 14.0
A4 = (595.0, 842.0)

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class SignatureStamp:
    """Where and how a signature shows on the page (see the module docstring).

    ``page`` is 0-based, -1 the last page; ``None`` takes the kind's default (person and seal: the
    last page, text: the first). ``box`` ``None`` takes the kind's default place. ``text`` lines
    replace the default wording: the full name under “Đã ký” (person), the unit name on the seal
    (seal), the number/symbol lines above the signing time (text).
    """

    kind: str
    page: int | None = None
    box: Box | None = None
    text: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if self.kind not in STAMP_KINDS:
            raise ValueError(f"stamp kind must be one of {STAMP_KINDS}, not {self.kind!r}")
        if self.box is not None:
            x1, y1, x2, y2 = self.box
            if not (x1 < x2 and y1 < y2):
                raise ValueError("stamp box must be (x1, y1, x2, y2) with x1 < x2 and y1 < y2")
        object.__setattr__(self, "text", tuple(self.text))


def seal_box_for(person_box: Box) -> Box:
    """The seal's box for a person box: actual size, covering the left third of it (Appendix I)."""
    x1, y1, x2, y2 = person_box
    right = x1 + (x2 - x1) / 3
    middle = (y1 + y2) / 2
    half = SEAL_SIZE_PT / 2
    return (right - SEAL_SIZE_PT, middle - half, right, middle + half)


# --- fonts ---------------------------------------------------------------------------------------


def _font_path() -> str | None:
    """The regular Tinos (or Liberation Serif) file, or None when the server has neither."""
    from cqs.core.printing import font_files

    try:
        return str(font_files()[""])
    except ServiceError:
        return None


def _ascii(text: str) -> str:
    # The built-in PDF fonts have no Vietnamese letters: without Tinos, drop the diacritics
    # rather than print boxes. “Đ/đ” has no decomposition and is mapped by hand.
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "replace").decode()


class _PdfBytes(content.PdfContent):
    """The first page of a PDF held in memory, as a form XObject (pyHanko's ImportedPdfPage
    reads only from a file name)."""

    def __init__(self, data: bytes):
        self.data = data
        super().__init__()

    def render(self) -> bytes:
        writer = self._ensure_writer
        xobj = writer.import_page_as_xobject(PdfFileReader(BytesIO(self.data)), page_ix=0)
        name = "/Import" + uuid.uuid4().hex
        self.resources.xobject[name] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = layout.BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return name.encode() + b" Do"


def _text_pdf(lines: list[str], *, width: float, height: float, size: float, color, align: str, valign: str):
    """A page of ``width`` x ``height`` pt with ``lines`` in Tinos (Times if absent), vector text.

    fpdf2 embeds a subset of the TrueType font and needs no text shaping for Vietnamese (the
    letters are precomposed in Tinos), where pyHanko's own OpenType engine needs HarfBuzz
    (``uharfbuzz``, not installed).
    """
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_margin(0)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    path = _font_path()
    if path is not None:
        pdf.add_font("cqs-serif", "", path)
        pdf.set_font("cqs-serif", size=size)
    else:
        pdf.set_font("Times", size=size)
        lines = [_ascii(line) for line in lines]
    widest = max((pdf.get_string_width(line) for line in lines), default=0)
    if widest > width:  # a long name: a smaller font rather than text cut at the box edge
        size = max(5.0, size * width / widest)
        pdf.set_font_size(size)
    line_height = size * 1.2
    total = line_height * len(lines)
    pdf.set_y(max(0.0, (height - total) / 2) if valign == "middle" else 0.0)
    pdf.set_text_color(*color)
    for line in lines:
        pdf.cell(width, line_height, line, align=align, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _static_style(background) -> StaticStampStyle:
    return StaticStampStyle(
        background=background,
        background_opacity=1.0,
        border_width=0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
        ),
    )


@dataclass(frozen=True)
class _TextPageStampStyle(TextStampStyle):
    """Text lines and the signing time (in Vietnam time), drawn as a small imported PDF page.

    A ``TextStampStyle`` so that pyHanko hands over the signing time as ``%(ts)s``; the page is
    made by ``_text_pdf`` (see there why not pyHanko's own text box).
    """

    lines: tuple[str, ...] = ()
    color: tuple[int, int, int] = (0, 0, 0)
    size: float = 10
    align: str = "C"
    valign: str = "middle"
    display: str = "iso"  # "iso" (2025-07-01T09:30:00+07:00) or "vi" (09:30:00 01/07/2025)
    timestamp_format: str = _PYHANKO_TS_FORMAT

    def create_stamp(self, writer, box, text_params):
        moment = dt.datetime.strptime(text_params["ts"], _PYHANKO_TS_FORMAT)
        moment = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
        if self.display == "iso":
            shown = moment.isoformat(timespec="seconds")
        else:
            shown = moment.strftime("%H:%M:%S %d/%m/%Y")
        page = _text_pdf(
            [*self.lines, shown],
            width=box.width,
            height=box.height,
            size=self.size,
            color=self.color,
            align=self.align,
            valign=self.valign,
        )
        return StaticContentStamp(writer=writer, style=_static_style(_PdfBytes(page)), box=box)


# --- the seal image ------------------------------------------------------------------------------


def _pil_font(size: int):
    path = _font_path()
    if path is not None:
        return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size=size), False


def _star(draw: ImageDraw.ImageDraw, centre: float, radius: float, color) -> None:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.4
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((centre + r * math.cos(angle), centre + r * math.sin(angle)))
    draw.polygon(points, fill=color)


@functools.lru_cache(maxsize=64)
def seal_image(inscription: str) -> Image.Image:
    """A red round seal with ``inscription`` around the rim and a star in the middle (RGBA PNG).

    A demo drawing, not a facsimile of a real seal: real seal images are registered with the
    police (Decree 99/2016) and supplied by the unit.
    """
    size = SEAL_PIXELS
    ink = (*SEAL_RED, 255)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre = size / 2
    outer = size / 2 - 2
    rim = size * 0.025
    inner = outer * 0.66
    draw.ellipse(
        (centre - outer, centre - outer, centre + outer, centre + outer), outline=ink, width=round(rim)
    )
    draw.ellipse(
        (centre - inner, centre - inner, centre + inner, centre + inner), outline=ink, width=round(rim * 0.6)
    )
    _star(draw, centre, inner * 0.45, ink)

    # The inscription runs clockwise along the ring between the two circles, centred on the top.
    font_size = round((outer - inner) * 0.62)
    font, unicode_ok = _pil_font(font_size)
    text = (inscription if unicode_ok else _ascii(inscription)).upper()
    text_radius = (outer + inner) / 2 - font_size * 0.35
    available = text_radius * math.radians(320)
    width = font.getlength(text)
    if width > available:  # long names: a smaller font, never text over the bottom of the ring
        font_size = max(8, int(font_size * available / width))
        font, _ = _pil_font(font_size)
        width = font.getlength(text)
    angle = -width / text_radius / 2  # radians from the top, negative = left
    for char in text:
        advance = font.getlength(char)
        middle = angle + advance / text_radius / 2
        glyph = Image.new("RGBA", (font_size * 2, font_size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((font_size, font_size), char, font=font, fill=ink, anchor="mm")
        glyph = glyph.rotate(-math.degrees(middle), resample=Image.BICUBIC)
        x = centre + text_radius * math.sin(middle) - font_size
        y = centre - text_radius * math.cos(middle) - font_size
        image.alpha_composite(glyph, (round(x), round(y)))
        angle += advance / text_radius
    return image


# --- field and appearance ------------------------------------------------------------------------


def _page_size(writer, page: int) -> tuple[float, float]:
    try:
        page_ref = writer.find_page_for_modification(page)[0]
        x1, y1, x2, y2 = (float(v) for v in page_ref.get_object()["/MediaBox"])
        return x2 - x1, y2 - y1
    except (KeyError, IndexError, TypeError, ValueError):
        return A4


def field_appearance(
    *, writer, field_name: str, stamp: SignatureStamp | None, signer_name: str, unit_name: str
) -> tuple[SigFieldSpec | None, object | None]:
    """``(new_field_spec, stamp_style)`` for pyHanko's ``PdfSigner``; ``(None, None)``: invisible."""
    if stamp is None:
        return None, None
    if stamp.kind == "person":
        page = -1 if stamp.page is None else stamp.page
        box = stamp.box or DEFAULT_PERSON_BOX
        lines = ("Đã ký", *(stamp.text or (signer_name,)))
        style = _TextPageStampStyle(lines=lines, color=PERSON_BLUE, size=12, display="vi")
    elif stamp.kind == "seal":
        page = -1 if stamp.page is None else stamp.page
        box = stamp.box or seal_box_for(DEFAULT_PERSON_BOX)
        inscription = " ".join(stamp.text) or unit_name
        image = PdfImage(seal_image(inscription), box=layout.BoxConstraints(SEAL_PIXELS, SEAL_PIXELS))
        style = _static_style(image)
    else:
        page = 0 if stamp.page is None else stamp.page
        if stamp.box is not None:
            box = stamp.box
        else:
            width, height = _page_size(writer, page)
            x2, y2 = width - TEXT_RIGHT_MARGIN, height - TEXT_TOP_GAP
            box = (x2 - TEXT_BOX_WIDTH, y2 - TEXT_BOX_HEIGHT, x2, y2)
        style = _TextPageStampStyle(lines=stamp.text, size=10, align="R", valign="top", display="iso")
    spec = SigFieldSpec(sig_field_name=field_name, on_page=page, box=tuple(round(v) for v in box))
    return spec, style
