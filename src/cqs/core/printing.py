"""Printed forms as PDF: a Django template for the layout, fpdf2 for the page (ADR 0008).

``pdf_render(template_code=..., context=...)`` takes the layout an administrator saved
(``PrintTemplate``) or else the shipped file ``templates/print/<code>.html``, renders it with
Django's template engine into simple HTML, and lays that out on A4 with fpdf2's ``write_html``
with the margins of Decree 30/2020 and a Times-compatible font that has Vietnamese glyphs.

Everything that goes wrong with a layout (syntax, rendering, markup fpdf2 cannot lay out, an
image that is not embedded) is a ``ServiceError("template_invalid")``, never a 500. Layouts
may only embed images given inline (``data:`` URIs, such as ``{{ qr_img }}``): fpdf2 is told
to read no local file and no URL, so a layout cannot leak a server file into a PDF or make the
server fetch an address.
"""

from __future__ import annotations

import base64
import functools
import io
import logging
import re
from datetime import datetime
from pathlib import Path

import qrcode
from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from fontTools.ttLib import TTFont, TTLibError
from fpdf import FPDF, FontFace, TextStyle
from fpdf.enums import ResourceAccessPolicy
from fpdf.html import HTML2FPDF

from cqs.core.exceptions import NotFound, ServiceError
from cqs.core.models import PrintTemplate

logger = logging.getLogger(__name__)

FONT_FAMILY = "cqs-serif"
FONT_SIZE_PT = 13  # Decree 30/2020 Appendix I: body text 13 to 14 pt
# Decree 30/2020 Appendix I: A4 portrait; top and bottom 20 mm, left 30 mm, right 15 mm.
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
QR_SIZE_PT = 85  # 30 mm: an <img> width in write_html is in points

# Fonts in the order tried. Tinos (Google's Chrome OS core font, metric-compatible with Times
# New Roman) comes from the npm registry with `cqs assets`; Liberation Serif 2 (Debian's
# fonts-liberation2, same metrics) is the fallback. Debian 12's fonts-liberation (1.07) has no
# Vietnamese letters and is skipped by the coverage check, rather than print boxes.
TINOS_DIR = Path("vendor") / "@expo-google-fonts" / "tinos"
TINOS_FILES = {
    "": "400Regular/Tinos_400Regular.ttf",
    "B": "700Bold/Tinos_700Bold.ttf",
    "I": "400Regular_Italic/Tinos_400Regular_Italic.ttf",
    "BI": "700Bold_Italic/Tinos_700Bold_Italic.ttf",
}
SYSTEM_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
)
LIBERATION_FILES = {
    "": "LiberationSerif-Regular.ttf",
    "B": "LiberationSerif-Bold.ttf",
    "I": "LiberationSerif-Italic.ttf",
    "BI": "LiberationSerif-BoldItalic.ttf",
}
# Every letter of the Vietnamese alphabet that is not plain ASCII (uppercase and lowercase).
VIETNAMESE_LETTERS = (
    "ĂÂĐÊÔƠƯăâđêôơư" + "".join(chr(c) for c in range(0x1EA0, 0x1EFA)) + "ÀÁÃÈÉÌÍÒÓÕÙÚÝàáãèéìíòóõùúý"
)

_CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
MAX_LAYOUT_CHARS = 200_000

# Forms are black and white: headings black, bold, in the text font.
TAG_STYLES = {
    "h1": TextStyle(
        font_family=FONT_FAMILY, font_style="B", font_size_pt=14, color=0, t_margin=4, b_margin=2
    ),
    "h2": TextStyle(
        font_family=FONT_FAMILY, font_style="B", font_size_pt=13, color=0, t_margin=3, b_margin=1
    ),
    "h3": TextStyle(
        font_family=FONT_FAMILY, font_style="BI", font_size_pt=13, color=0, t_margin=2, b_margin=1
    ),
    # fpdf2 sets these in Courier, which has no Vietnamese letters.
    "code": FontFace(family=FONT_FAMILY),
    "pre": TextStyle(font_family=FONT_FAMILY, t_margin=2, b_margin=2),
}


# ----- fonts -------------------------------------------------------------------------------------


def font_candidates() -> list[dict[str, Path]]:
    """The font sets tried, in order: Tinos fetched by ``cqs assets``, then Debian's."""
    vendor_roots = [Path(settings.BASE_DIR) / "build" / "static", Path(settings.STATIC_ROOT)]
    candidates = [
        {style: root / TINOS_DIR / name for style, name in TINOS_FILES.items()} for root in vendor_roots
    ]
    candidates += [
        {style: folder / name for style, name in LIBERATION_FILES.items()} for folder in SYSTEM_FONT_DIRS
    ]
    return candidates


@functools.lru_cache(maxsize=32)
def _covers_vietnamese(path: str, mtime_ns: int, size: int) -> bool:
    try:
        with TTFont(path, lazy=True) as font:
            cmap = font.getBestCmap() or {}
    except (OSError, TTLibError, AssertionError, KeyError):
        return False
    return all(ord(letter) in cmap for letter in VIETNAMESE_LETTERS)


def _usable(path: Path) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    return path.is_file() and _covers_vietnamese(str(path), stat.st_mtime_ns, stat.st_size)


def font_files() -> dict[str, Path]:
    """Regular, bold, italic and bold italic files of the first complete, Vietnamese-capable set."""
    for candidate in font_candidates():
        if all(_usable(path) for path in candidate.values()):
            return candidate
    logger.error("printing: no font with Vietnamese glyphs found; run `cqs assets`")
    raise ServiceError(
        "font_missing",
        _(
            "Máy chủ chưa có phông chữ tiếng Việt để in biểu mẫu (Tinos hoặc Liberation Serif). "
            "Người quản trị cần chạy lệnh “cqs assets” để tải phông chữ, "
            "hoặc cài gói fonts-liberation2."
        ),
    )


# ----- layouts -----------------------------------------------------------------------------------


def _invalid(exc: Exception, *, code: str) -> ServiceError:
    """``template_invalid`` naming the line of the layout when Django knows it."""
    token = getattr(exc, "token", None)
    line = getattr(token, "lineno", None) or (getattr(exc, "template_debug", None) or {}).get("line")
    # Exception texts of Django and fpdf2 name tags and attributes, not the printed data.
    detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    logger.warning("printing: layout %s is invalid (%s, line %s)", code, type(exc).__name__, line)
    if line:
        message = _("Bố cục mẫu in “%(code)s” không hợp lệ ở dòng %(line)s: %(detail)s") % {
            "code": code,
            "line": line,
            "detail": detail,
        }
    else:
        message = _("Bố cục mẫu in “%(code)s” không hợp lệ: %(detail)s") % {"code": code, "detail": detail}
    error = ServiceError("template_invalid", message, field="body")
    error.line = line
    return error


def code_check(template_code: str) -> None:
    if not isinstance(template_code, str) or not _CODE_PATTERN.match(template_code):
        raise ServiceError(
            "print_template_code_invalid",
            _("Mã mẫu in chỉ gồm chữ thường không dấu, chữ số, dấu gạch ngang và gạch dưới."),
            field="code",
        )


def layout_compile(body: str, *, code: str = "?"):
    """Compile an administrator's layout; ``template_invalid`` with the line if it does not."""
    if len(body) > MAX_LAYOUT_CHARS:
        raise ServiceError(
            "template_invalid",
            _("Bố cục mẫu in dài quá %(max)d ký tự.") % {"max": MAX_LAYOUT_CHARS},
            field="body",
        )
    try:
        return engines["django"].from_string(body)
    except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
        raise _invalid(exc, code=code) from exc


def default_layout_name(template_code: str) -> str:
    return f"print/{template_code}.html"


def default_layout_source(template_code: str) -> str | None:
    """The shipped layout of ``template_code`` as text (to start an administrator's copy)."""
    code_check(template_code)
    try:
        template = get_template(default_layout_name(template_code), using="django")
    except (TemplateDoesNotExist, TemplateSyntaxError):
        return None
    return template.template.source


def _layout(template_code: str):
    body = PrintTemplate.objects.filter(code=template_code).values_list("body", flat=True).first()
    if body is not None:
        return layout_compile(body, code=template_code)
    try:
        return get_template(default_layout_name(template_code), using="django")
    except TemplateDoesNotExist as exc:
        raise NotFound(
            "print_template_not_found",
            _("Không có mẫu in “%(code)s”.") % {"code": template_code},
        ) from exc
    except TemplateSyntaxError as exc:
        raise _invalid(exc, code=template_code) from exc


# ----- QR code -----------------------------------------------------------------------------------


def qr_data_uri(text: str) -> str:
    """A PNG QR code of ``text`` as a ``data:`` URI, the one image source layouts may use."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    qr.add_data(text)
    try:
        qr.make(fit=True)
    except qrcode.exceptions.DataOverflowError as exc:
        raise ServiceError("qr_text_too_long", _("Nội dung mã QR quá dài.")) from exc
    buffer = io.BytesIO()
    qr.make_image().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _with_qr(context: dict) -> dict:
    context = dict(context)
    text = context.get("qr_text")
    if text:
        uri = qr_data_uri(str(text))
        context["qr_data_uri"] = uri
        context["qr_img"] = format_html('<img src="{}" width="{}" height="{}">', uri, QR_SIZE_PT, QR_SIZE_PT)
    else:
        context.setdefault("qr_data_uri", "")
        context.setdefault("qr_img", "")
    return context


# ----- PDF ---------------------------------------------------------------------------------------


class _FormHTML2FPDF(HTML2FPDF):
    def handle_endtag(self, tag):
        if tag == "table" and self.table is not None:
            # fpdf2 draws a table when it closes, in the document's current font: that is the
            # font of whatever text came last (a bold "Mẫu số 01" would make the whole header
            # bold). Cells without <b>/<i> take the style in force around the table instead.
            self.pdf.set_font(self.font_family, self.font_emphasis.style, self.font_size_pt)
        super().handle_endtag(tag)


class _FormPDF(FPDF):
    HTML2FPDF_CLASS = _FormHTML2FPDF

    def header(self):
        # Decree 30/2020 Appendix I: page numbers centred in the top margin, from page 2 on.
        if self.page_no() > 1:
            self.set_y(MARGINS_MM["top"] / 2)
            self.set_font(FONT_FAMILY, "", FONT_SIZE_PT)
            self.cell(0, 5, str(self.page_no()), align="C")
            self.set_y(self.t_margin)


def html_to_pdf(html: str, *, code: str = "?", fonts: dict[str, Path] | None = None) -> bytes:
    """Lay out simple HTML on A4 portrait with Decree 30/2020 margins."""
    fonts = fonts or font_files()
    pdf = _FormPDF(orientation="portrait", unit="mm", format="A4")
    pdf.resource_access_policy = ResourceAccessPolicy.NONE
    pdf.set_margins(left=MARGINS_MM["left"], top=MARGINS_MM["top"], right=MARGINS_MM["right"])
    pdf.set_auto_page_break(auto=True, margin=MARGINS_MM["bottom"])
    pdf.set_creator("CQS")
    pdf.set_lang("vi")
    for style, path in fonts.items():
        pdf.add_font(FONT_FAMILY, style, str(path))
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, "", FONT_SIZE_PT)
    try:
        pdf.write_html(html, font_family=FONT_FAMILY, tag_styles=TAG_STYLES, warn_on_tags_not_matching=False)
        return bytes(pdf.output())
    except Exception as exc:  # whatever fpdf2 cannot lay out is the layout's fault, not a 500
        raise _invalid(exc, code=code) from exc


def html_render(*, template_code: str, context: dict) -> str:
    """The layout of ``template_code`` rendered with ``context`` (plus ``qr_img``) as HTML."""
    code_check(template_code)
    template = _layout(template_code)
    context = _with_qr(context)
    # The forms are Vietnamese legal documents whatever language the officer's interface uses.
    with translation.override("vi"):
        try:
            return template.render(context)
        except ServiceError:
            raise
        except Exception as exc:  # a tag or filter failing at render time, in an admin's layout
            raise _invalid(exc, code=template_code) from exc


def layout_check(body: str, *, code: str) -> None:
    """Refuse a layout that does not compile, render with an empty context, or lay out."""
    template = layout_compile(body, code=code)
    context = _with_qr({})
    with translation.override("vi"):
        try:
            html = template.render(context)
        except Exception as exc:  # reported to the administrator on the form, not a 500
            raise _invalid(exc, code=code) from exc
        html_to_pdf(html, code=code)


def pdf_render(*, template_code: str, context: dict) -> bytes:
    """The form ``template_code`` filled in with ``context``, as PDF bytes.

    ``context`` holds plain values (strings, dates, lists, dicts); ``qr_text``, when present,
    becomes ``{{ qr_img }}`` (an ``<img>`` tag, 30 mm square) and ``{{ qr_data_uri }}``.
    Raises ``ServiceError`` with code ``template_invalid``, ``print_template_not_found`` or
    ``font_missing``.
    """
    fonts = font_files()  # first, so that a missing font is reported before any other work
    html = html_render(template_code=template_code, context=context)
    with translation.override("vi"):
        return html_to_pdf(html, code=template_code, fonts=fonts)


def sample_context() -> dict:
    """Made-up data in the shape of the one-stop forms' context, for previews of a layout."""
    tz = timezone.get_current_timezone()
    received = datetime(2026, 1, 5, 8, 30, tzinfo=tz)
    due = datetime(2026, 1, 12, 16, 0, tzinfo=tz)
    lookup_url = f"{settings.CQS_SITE_URL.rstrip('/')}/tra-cuu/000.00.01.H62-260105-0001"
    return {
        "unit_name": "Bộ phận Một cửa Thành phố Vĩnh Yên",
        "parent_unit_name": "UBND tỉnh Vĩnh Phúc",
        "place": "Vĩnh Phúc",
        "printed_on": received.date(),
        "officer_name": "Trần Thị Bình",
        "dossier": {
            "code": "000.00.01.H62-260105-0001",
            "procedure_code": "1.001193",
            "procedure_name": "Thủ tục đăng ký khai sinh",
            "applicant_name": "Nguyễn Văn An",
            "applicant_address": "Số 1 đường Hùng Vương, phường Ngô Quyền, Vĩnh Yên",
            "applicant_phone": "0900000000",
            "applicant_email": "nguyenvanan@example.invalid",
            "channel_label": "Trực tiếp",
            "received_at": received,
            "due_at": due,
            "documents": [
                {"name": "Tờ khai đăng ký khai sinh", "original_count": 1, "copy_count": 0},
                {"name": "Giấy chứng sinh", "original_count": 1, "copy_count": 0},
            ],
            "lookup_url": lookup_url,
        },
        "reason": "Giấy chứng sinh chưa có xác nhận của cơ sở y tế.",
        "supplement_items": ["Giấy chứng sinh có xác nhận của cơ sở y tế nơi sinh"],
        "old_due_at": due,
        "new_due_at": datetime(2026, 1, 15, 16, 0, tzinfo=tz),
        "steps": [
            {
                "from_unit": "Bộ phận Một cửa",
                "from_person": "Trần Thị Bình",
                "to_unit": "Phòng Tư pháp",
                "to_person": "Lê Văn Cường",
                "handed_at": received,
                "deadline": datetime(2026, 1, 9, 16, 0, tzinfo=tz),
                "result_label": "Đúng hạn",
                "note": "",
            }
        ],
        "qr_text": lookup_url,
    }
