"""Where signatures show on the page (Decree 30/2020 Appendix I): person, seal, text stamps."""

import datetime as dt
import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from cqs.core import signing_stamps
from cqs.core.signing import SignatureStamp, pdf_sign, pdf_verify, seal_box_for
from cqs.core.signing_stamps import DEFAULT_PERSON_BOX, SEAL_SIZE_PT, seal_image
from cqs.core.tests.test_signing import UNIT_NAME, make_unit, minimal_pdf
from cqs.core.tests.test_signing_person import make_user


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.CQS_TSA_URL = ""
    return settings.DATA_DIR


def two_page_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    for number in (1, 2):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.cell(200, 20, f"Trang {number}")
    return bytes(pdf.output())


def widgets(pdf: bytes) -> dict[str, tuple[int, tuple[float, ...]]]:
    """Signature field name -> (page index, /Rect) of its widget."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    pages = [reader.find_page_for_modification(i)[0].idnum for i in range(reader.root["/Pages"]["/Count"])]
    found = {}
    for ref in reader.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        page = pages.index(field.raw_get("/P").idnum) if "/P" in field else None
        found[str(field["/T"])] = (page, tuple(float(v) for v in field["/Rect"]))
    return found


def test_the_seal_covers_the_left_third_of_the_person_box_at_actual_size():
    # Given the signer's box of the signature block
    person = (330, 90, 530, 150)

    # When the seal's box is placed for it
    x1, y1, x2, y2 = seal_box_for(person)

    # Then it is 36 mm wide and high, centred on the signature's height, its right edge a third in
    assert (x2 - x1, y2 - y1) == pytest.approx((SEAL_SIZE_PT, SEAL_SIZE_PT))
    assert x2 - person[0] == pytest.approx((person[2] - person[0]) / 3)
    assert (y1 + y2) / 2 == pytest.approx(120)


def test_person_and_seal_default_to_the_signature_block_of_the_last_page(data_dir):
    # Given a two-page document
    unit = make_unit()

    # When the leader signs and the clerk seals, both with default places
    signed = pdf_sign(
        pdf=two_page_pdf(),
        unit=unit,
        reason="Ký",
        signer=make_user(),
        stamp=SignatureStamp("person"),
        field_name="NguoiKy",
    )
    sealed = pdf_sign(
        pdf=signed, unit=unit, reason="Đóng dấu", stamp=SignatureStamp("seal"), field_name="ConDau"
    )

    # Then both widgets are on page 2, the seal overlapping the left of the person's box
    places = widgets(sealed)
    assert places["NguoiKy"] == (1, DEFAULT_PERSON_BOX)
    page, seal = places["ConDau"]
    assert page == 1
    assert seal == pytest.approx(tuple(round(v) for v in seal_box_for(DEFAULT_PERSON_BOX)))
    assert seal[0] < DEFAULT_PERSON_BOX[0] < seal[2] < DEFAULT_PERSON_BOX[2]
    assert all(check.ok for check in pdf_verify(pdf=sealed))


def test_a_caller_places_the_person_box_where_its_layout_has_it(data_dir):
    signed = pdf_sign(
        pdf=two_page_pdf(),
        unit=make_unit(),
        reason="Ký",
        signer=make_user(),
        stamp=SignatureStamp("person", page=0, box=(300, 400, 500, 460)),
    )

    assert widgets(signed)["Signature1"] == (0, (300, 400, 500, 460))


def test_the_text_stamp_of_an_attachment_is_top_right_of_page_one_with_the_iso_time(data_dir, monkeypatch):
    # Given the text of the stamp is recorded as it is drawn
    drawn = []
    real = signing_stamps._text_pdf
    monkeypatch.setattr(
        signing_stamps, "_text_pdf", lambda lines, **kw: drawn.append(lines) or real(lines, **kw)
    )

    # When an attachment gets the organisation's invisible signature
    signed = pdf_sign(
        pdf=two_page_pdf(),
        unit=make_unit(),
        reason="Phụ lục",
        stamp=SignatureStamp("text", text=("Số: 15/QĐ-UBND",)),
        field_name="PhuLuc",
    )

    # Then it sits in the top right corner of page 1 (A4: 595 x 842 pt)
    page, (x1, y1, x2, y2) = widgets(signed)["PhuLuc"]
    assert page == 0
    assert x1 > 595 / 2 and x2 <= 595 and y1 > 842 - 72 and y2 <= 842
    # And it reads the number/symbol and the signing time, ISO 8601 in Vietnam time
    [check] = pdf_verify(pdf=signed)
    [[number, shown]] = drawn
    assert number == "Số: 15/QĐ-UBND"
    assert dt.datetime.fromisoformat(shown) == check.signing_time
    assert shown.endswith("+07:00")
    assert check.ok and check.signer_kind == "seal"


def test_the_person_stamp_reads_signed_name_and_time(data_dir, monkeypatch):
    drawn = []
    real = signing_stamps._text_pdf
    monkeypatch.setattr(
        signing_stamps, "_text_pdf", lambda lines, **kw: drawn.append((lines, kw)) or real(lines, **kw)
    )

    pdf_sign(
        pdf=minimal_pdf(), unit=make_unit(), reason="Ký", signer=make_user(), stamp=SignatureStamp("person")
    )

    [(lines, options)] = drawn
    assert lines[:2] == ["Đã ký", "Nguyễn Thị Hồng Nhung"]
    dt.datetime.strptime(lines[2], "%H:%M:%S %d/%m/%Y")
    red, green, blue = options["color"]
    assert blue > 2 * max(red, green)  # blue ink


def test_the_seal_is_a_red_round_image_on_a_transparent_background():
    image = seal_image(UNIT_NAME)

    assert image.mode == "RGBA"
    assert image.width == image.height
    assert image.getpixel((0, 0))[3] == 0  # corners are transparent
    raw = image.tobytes()
    pixels = [raw[i : i + 4] for i in range(0, len(raw), 4)]
    inked = [p for p in pixels if p[3] > 200]
    assert len(inked) > len(pixels) // 20
    assert all(r > 150 and g < 80 and b < 80 for r, g, b, _ in inked)


def test_without_a_vietnamese_font_stamps_still_sign_with_plain_letters(data_dir, monkeypatch):
    # Given a server where `cqs assets` never ran and no Liberation font is installed
    monkeypatch.setattr(signing_stamps, "_font_path", lambda: None)
    signing_stamps.seal_image.cache_clear()

    # When visible signatures are made
    signed = pdf_sign(
        pdf=minimal_pdf(), unit=make_unit(), reason="Ký", signer=make_user(), stamp=SignatureStamp("person")
    )
    sealed = pdf_sign(
        pdf=signed, unit=make_unit(), reason="Dấu", stamp=SignatureStamp("seal"), field_name="S2"
    )
    signing_stamps.seal_image.cache_clear()

    # Then they verify, the text without diacritics
    assert [c.ok for c in pdf_verify(pdf=sealed)] == [True, True]
    assert signing_stamps._ascii("Ủy ban nhân dân xã Đạo Trù") == "Uy ban nhan dan xa Dao Tru"


@pytest.mark.parametrize("kwargs", [{"kind": "stamp"}, {"kind": "person", "box": (10, 10, 5, 20)}])
def test_a_malformed_stamp_is_a_programming_error(kwargs):
    with pytest.raises(ValueError):
        SignatureStamp(**kwargs)
