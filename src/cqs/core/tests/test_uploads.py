import hashlib
import io
import logging
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cqs.core import uploads
from cqs.core.exceptions import ServiceError
from cqs.core.testing import EICAR, sample_image, sample_pdf
from cqs.core.uploads import CheckedUpload, upload_check, upload_check_file

# The start of a Windows executable (DOS "MZ" header).
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\0" * 48 + b"This program cannot be run"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def pdf_without_pages() -> bytes:
    """A well-formed PDF whose page tree is empty."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 3\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def png_claiming_size(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` x ``height`` pixels, as a decompression bomb does."""
    png = bytearray(sample_image("png", size=(1, 1)))
    # IHDR: length (8..12), type (12..16), width and height (16..24), ..., CRC over type+data (29..33)
    png[16:24] = struct.pack(">II", width, height)
    png[29:33] = struct.pack(">I", zlib.crc32(png[12:29]))
    return bytes(png)


def refusal(**kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        upload_check(**kwargs)
    return caught.value


@pytest.fixture
def no_scan(settings):
    settings.CQS_CLAMD = ""


@pytest.fixture
def scanning(settings, clamd_address):
    settings.CQS_CLAMD = clamd_address


# Accepted files


def test_a_pdf_is_accepted_with_its_kind_size_and_hash(no_scan):
    # Given a real one-page PDF
    data = sample_pdf()

    # When it is checked
    checked = upload_check(name="Đơn đề nghị.pdf", data=data)

    # Then everything about it is known
    assert checked == CheckedUpload(
        name="Đơn đề nghị.pdf",
        kind="pdf",
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def test_a_png_is_accepted_as_png(no_scan):
    # Given a real PNG
    data = sample_image("png")

    # When it is checked
    checked = upload_check(name="ảnh-cccd.png", data=data)

    # Then it is a PNG
    assert (checked.kind, checked.content_type, checked.sha256) == (
        "png",
        "image/png",
        hashlib.sha256(data).hexdigest(),
    )


@pytest.mark.parametrize("name", ["ảnh.jpg", "ảnh.jpeg", "ẢNH.JPG"])
def test_a_jpeg_is_accepted_under_either_extension(no_scan, name):
    # Given a real JPEG
    data = sample_image("jpeg")

    # When it is checked under a usual name
    checked = upload_check(name=name, data=data)

    # Then it is a JPEG
    assert (checked.kind, checked.content_type) == ("jpeg", "image/jpeg")


# Names


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("C:\\Users\\An\\Giấy tờ\\Giấy khai sinh.PDF", "Giấy khai sinh.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("  .hidden .pdf", "hidden.pdf"),
        ("a\x00b\u202ec<d>.pdf", "abc_d_.pdf"),
        (".pdf", "tep.pdf"),
        # Decomposed "ế" (e + two combining marks) becomes one precomposed letter.
        ("Quye\u0302\u0301t đi\u0323nh.pdf", "Quyết định.pdf"),
    ],
)
def test_the_name_keeps_only_a_safe_last_part_and_the_extension(no_scan, given, expected):
    # Given a name as a browser or a crafted request may send it
    # When the file is checked
    checked = upload_check(name=given, data=sample_pdf())

    # Then the name has no path, no control or reserved characters, and a lower-case extension
    assert checked.name == expected


def test_a_long_name_is_cut_to_150_characters_keeping_the_extension(no_scan):
    # Given a 300-character name
    name = "Hồ sơ " * 50 + ".pdf"

    # When the file is checked
    checked = upload_check(name=name, data=sample_pdf())

    # Then it is cut to 150 characters, still ending in .pdf
    assert len(checked.name) <= 150
    assert checked.name.endswith(".pdf")
    assert checked.name.startswith("Hồ sơ Hồ sơ")


# Refused: size and type


def test_an_empty_file_is_refused(no_scan):
    # Given a file with no bytes
    # When it is checked
    error = refusal(name="hồ-sơ.pdf", data=b"")

    # Then it is refused as empty
    assert error.error_code == "upload_empty"


def test_a_file_over_the_given_limit_is_refused_naming_the_limit(no_scan):
    # Given a limit of 2.5 MB and a PDF just over it
    limit = int(2.5 * 1024 * 1024)
    data = sample_pdf() + b"\0" * limit

    # When it is checked
    error = refusal(name="hồ-sơ.pdf", data=data, max_bytes=limit)

    # Then it is refused, and the message says the limit in MB
    assert error.error_code == "upload_too_large"
    assert "2,5 MB" in error.detail


def test_the_default_limit_comes_from_the_setting(no_scan, settings):
    # Given uploads limited to 1 MB by configuration
    settings.CQS_UPLOAD_MAX_MB = 1

    # When a file of 1 MB and one byte is checked
    error = refusal(name="hồ-sơ.pdf", data=b"%PDF-" + b"\0" * (1024 * 1024 - 4))

    # Then it is refused as too large, naming 1 MB
    assert error.error_code == "upload_too_large"
    assert "1 MB" in error.detail


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("hồ-sơ.pdf", EXE),
        ("hồ-sơ.pdf", HTML),
        ("ảnh.png", sample_pdf()),
        ("hồ-sơ.pdf", sample_image("png")),
        ("hồ-sơ", sample_pdf()),
        ("ảnh.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ],
    ids=["exe-as-pdf", "html-as-pdf", "pdf-as-png", "png-as-pdf", "no-extension", "gif"],
)
def test_a_file_whose_content_and_name_disagree_or_are_not_allowed_is_refused(no_scan, name, data):
    # Given a file of another kind, or one whose extension is not its content's
    # When it is checked
    error = refusal(name=name, data=data)

    # Then it is refused, listing the kinds that are accepted
    assert error.error_code == "upload_type_not_allowed"
    assert "Chỉ nhận tệp PDF, JPG, PNG" in error.detail


def test_a_kind_left_out_by_the_caller_is_refused(no_scan):
    # Given a caller that takes only PDFs
    # When a PNG is checked
    error = refusal(name="ảnh.png", data=sample_image("png"), allowed=("pdf",))

    # Then it is refused, listing only PDF
    assert error.error_code == "upload_type_not_allowed"
    assert "Chỉ nhận tệp PDF;" in error.detail


def test_an_unknown_kind_from_the_caller_is_a_programming_error():
    # Given a caller asking for a kind that is not checked
    # When it checks a file
    # Then it fails loudly, not as a citizen's error
    with pytest.raises(ValueError, match="docx"):
        upload_check(name="a.pdf", data=sample_pdf(), allowed=("pdf", "docx"))


# Refused: content


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("hồ-sơ.pdf", sample_pdf()[:400]),
        ("hồ-sơ.pdf", b"%PDF-1.7\nthis is not a pdf at all\n%%EOF\n"),
        ("hồ-sơ.pdf", pdf_without_pages()),
        ("ảnh.png", sample_image("png")[:40]),
        ("ảnh.png", sample_image("png")[:33] + b"\0\0\0\x0dIDAT" + b"x" * 17),
        ("ảnh.jpg", sample_image("jpeg", size=(200, 150))[:300]),
    ],
    ids=["truncated-pdf", "garbage-pdf", "pdf-no-pages", "truncated-png", "bad-png-chunk", "truncated-jpeg"],
)
def test_a_file_that_does_not_open_is_refused_as_corrupt(no_scan, name, data):
    # Given a file with the right first bytes whose content is broken
    # When it is checked
    error = refusal(name=name, data=data)

    # Then it is refused as corrupt
    assert error.error_code == "upload_corrupt"


def test_an_image_over_50_megapixels_is_refused_before_it_is_decoded(no_scan):
    # Given a tiny PNG whose header claims 10 000 x 6 000 pixels
    data = png_claiming_size(10_000, 6_000)

    # When it is checked
    error = refusal(name="ảnh.png", data=data)

    # Then it is refused, saying how large an image may be
    assert error.error_code == "upload_corrupt"
    assert "50 triệu điểm ảnh" in error.detail


def test_an_encrypted_pdf_is_refused(no_scan):
    # Given a PDF protected by a password
    data = sample_pdf(user_password="matkhau")

    # When it is checked
    error = refusal(name="hồ-sơ.pdf", data=data)

    # Then it is refused as encrypted, asking for the password to be removed
    assert error.error_code == "upload_encrypted"
    assert "mật khẩu" in error.detail


# Virus scan


def test_a_file_carrying_malware_is_refused_without_naming_it(scanning):
    # Given a valid PNG with the EICAR test string after its end
    data = sample_image("png") + EICAR

    # When it is checked with clamd configured
    error = refusal(name="ảnh.png", data=data)

    # Then it is refused as infected, telling the citizen no more than that
    assert error.error_code == "upload_infected"
    assert error.detail == "Tệp có mã độc, không được tiếp nhận."


def test_the_scan_comes_before_the_content_is_parsed(scanning):
    # Given a broken PDF carrying the EICAR string, which no parser should read first
    data = b"%PDF-1.7\n" + EICAR

    # When it is checked
    error = refusal(name="hồ-sơ.pdf", data=data)

    # Then the scanner's verdict is what refuses it
    assert error.error_code == "upload_infected"


def test_a_clean_file_passes_the_scan(scanning):
    # Given a clean PDF
    # When it is checked with clamd configured
    checked = upload_check(name="hồ-sơ.pdf", data=sample_pdf())

    # Then it is accepted
    assert checked.kind == "pdf"


def test_the_log_of_an_infected_file_names_the_signature_but_not_the_file(scanning, caplog):
    # Given an infected file named after a citizen's CCCD number
    caplog.set_level(logging.INFO, logger="cqs.core.uploads")

    # When it is refused
    refusal(name="CCCD_001099012345.png", data=sample_image("png") + EICAR)

    # Then staff can see what was found, but the name (personal data) is not logged
    assert "cqs-eicar-body" in caplog.text
    assert "001099012345" not in caplog.text


def test_a_file_is_refused_when_the_configured_scanner_is_down(settings, tmp_path):
    # Given clamd configured but not running
    settings.CQS_CLAMD = str(tmp_path / "clamd.sock")

    # When a clean file is checked
    error = refusal(name="hồ-sơ.pdf", data=sample_pdf())

    # Then it is refused for now, as a temporary failure rather than the citizen's fault
    assert error.error_code == "upload_scan_unavailable"
    assert error.status == 503


def test_no_scan_happens_when_clamd_is_not_configured(no_scan, monkeypatch):
    # Given scanning switched off, and a scanner that would refuse everything
    def scan(*args, **kwargs):
        raise AssertionError("scanned although CQS_CLAMD is empty")

    monkeypatch.setattr(uploads, "clamav_scan", scan)

    # When a file is checked
    checked = upload_check(name="ảnh.png", data=sample_image("png"))

    # Then it is accepted without a scan
    assert checked.kind == "png"


# Django uploaded files


def test_an_uploaded_file_is_checked_and_its_bytes_returned(no_scan):
    # Given a PDF as Django hands it to a view
    data = sample_pdf()
    file = SimpleUploadedFile("C:\\tmp\\Tờ khai.pdf", data, content_type="text/plain")

    # When it is checked
    checked, read = upload_check_file(file=file)

    # Then the bytes are the file's, and the content type comes from the content, not the browser
    assert read == data
    assert (checked.name, checked.content_type) == ("Tờ khai.pdf", "application/pdf")


class ReadSpy(io.BytesIO):
    """A file that remembers how much each read asked for."""

    name = "hồ-sơ.pdf"

    def __init__(self, data: bytes):
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(size)
        return super().read(size)


def test_an_oversize_uploaded_file_is_read_only_up_to_the_limit(no_scan):
    # Given a 1 MB file and a 1 KB limit
    file = ReadSpy(b"%PDF-" + b"\0" * (1024 * 1024))

    # When it is checked
    with pytest.raises(ServiceError) as caught:
        upload_check_file(file=file, max_bytes=1024)

    # Then it is refused as too large after reading only one byte over the limit
    assert caught.value.error_code == "upload_too_large"
    assert file.reads == [1025]
