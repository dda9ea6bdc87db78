import datetime as dt
import os
import shutil
import stat
import subprocess

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from cqs.core.exceptions import ServiceError
from cqs.core.signing import CA_COMMON_NAME, pdf_sign, pdf_verify, pki_ensure_demo_ca, unit_certificate_ensure
from cqs.orgs.models import OrgUnit

UNIT_NAME = "Ủy ban nhân dân xã Đạo Trù"
BODY = b"Giay hen tra ket qua"


def minimal_pdf(text: bytes = BODY) -> bytes:
    """A one-page PDF with an uncompressed content stream (so a test can change one byte of it)."""
    content = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_unit(name: str = UNIT_NAME, identifier: str = "000.00.00.H62") -> OrgUnit:
    # Signing reads only the name and the identifier: an unsaved unit is enough.
    return OrgUnit(name=name, identifier=identifier)


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


def test_a_signed_pdf_verifies_as_intact_and_trusted_with_the_units_name(data_dir):
    # Given a PDF and a unit with a Vietnamese name
    original = minimal_pdf()
    before = dt.datetime.now(dt.UTC)

    # When the unit signs it
    signed = pdf_sign(pdf=original, unit=make_unit(), reason="Phê duyệt kết quả", location="Phú Thọ")

    # Then the original bytes are kept (incremental update) and the signature checks out
    assert signed.startswith(original)
    [result] = pdf_verify(pdf=signed)
    assert result.field_name == "Signature1"
    assert result.signer_cn == UNIT_NAME
    assert result.intact and result.valid and result.trusted and result.ok
    assert result.covers_whole_file
    assert before - dt.timedelta(seconds=5) <= result.signing_time <= dt.datetime.now(dt.UTC)


def test_the_unit_certificate_names_the_unit_and_is_issued_by_the_demo_ca(data_dir):
    # When a certificate is made for a unit
    _, cert = unit_certificate_ensure(unit=make_unit())
    ca = pki_ensure_demo_ca()

    # Then the subject carries the name and the electronic identifier, and the CA issued it
    def attribute(oid):
        return [a.value for a in cert.subject.get_attributes_for_oid(oid)]

    assert attribute(NameOID.COMMON_NAME) == [UNIT_NAME]
    assert attribute(NameOID.ORGANIZATION_NAME) == [UNIT_NAME]
    assert attribute(NameOID.SERIAL_NUMBER) == ["000.00.00.H62"]
    assert cert.issuer == ca.cert.subject
    cert.verify_directly_issued_by(ca.cert)
    assert ca.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == CA_COMMON_NAME
    assert "Demo" in CA_COMMON_NAME
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment  # nonRepudiation
    assert not usage.key_cert_sign
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert ca.cert.not_valid_after_utc - ca.cert.not_valid_before_utc >= dt.timedelta(days=3650)


def test_changing_one_signed_byte_makes_the_signature_not_intact(data_dir):
    # Given a signed PDF
    signed = pdf_sign(pdf=minimal_pdf(), unit=make_unit(), reason="Phê duyệt")
    assert signed.count(BODY) == 1

    # When one byte of the signed page content is changed (same length, so the file still parses)
    tampered = signed.replace(BODY, b"Giay hen tra ket qux")

    # Then verification reports it
    [result] = pdf_verify(pdf=tampered)
    assert result.signer_cn == UNIT_NAME
    assert not result.intact
    assert not result.ok


def test_a_signature_from_another_ca_is_intact_but_not_trusted(settings, tmp_path):
    # Given a PDF signed under another CA (another data directory has its own demo CA)
    settings.DATA_DIR = tmp_path / "elsewhere"
    signed = pdf_sign(pdf=minimal_pdf(), unit=make_unit(), reason="Phê duyệt")
    other_serial = pki_ensure_demo_ca().cert.serial_number

    # When our installation verifies it
    settings.DATA_DIR = tmp_path / "ours"
    assert pki_ensure_demo_ca().cert.serial_number != other_serial
    [result] = pdf_verify(pdf=signed)

    # Then the bytes are intact but the signer is not trusted
    assert result.intact and result.valid
    assert not result.trusted
    assert not result.ok


@pytest.mark.parametrize(
    "payload",
    [b"", b"PK\x03\x04 a zip file", b"hello world", b"%PDF-1.7\nnot really a pdf", "%PDF-1.7 as text"],
)
def test_non_pdf_input_is_refused_without_creating_keys(data_dir, payload):
    for call in (
        lambda: pdf_sign(pdf=payload, unit=make_unit(), reason="Phê duyệt"),
        lambda: pdf_verify(pdf=payload),
    ):
        with pytest.raises(ServiceError) as excinfo:
            call()
        assert excinfo.value.error_code == "invalid_pdf"
        assert "PDF" in excinfo.value.detail
    # Refused before any key material was made.
    assert not (data_dir / "pki").exists()


def test_a_unit_without_identifier_gets_no_certificate(data_dir):
    with pytest.raises(ServiceError) as excinfo:
        unit_certificate_ensure(unit=make_unit(identifier=""))
    assert excinfo.value.error_code == "unit_identifier_missing"
    assert UNIT_NAME in excinfo.value.detail
    assert not (data_dir / "pki").exists()


def test_an_unsigned_pdf_has_no_signature_results(data_dir):
    assert pdf_verify(pdf=minimal_pdf()) == []


def test_ca_and_unit_certificate_are_created_once(data_dir):
    # Given a CA and a unit certificate
    ca = pki_ensure_demo_ca()
    key, cert = unit_certificate_ensure(unit=make_unit())

    # When they are asked for again
    ca_again = pki_ensure_demo_ca()
    key_again, cert_again = unit_certificate_ensure(unit=make_unit())

    # Then the same ones come back
    assert ca_again.cert.serial_number == ca.cert.serial_number
    assert cert_again.serial_number == cert.serial_number
    assert key_again.private_numbers() == key.private_numbers()
    # One certificate per unit identifier, another unit gets its own
    _, other = unit_certificate_ensure(unit=make_unit(name="Sở Tư pháp", identifier="000.00.12.H62"))
    assert other.serial_number != cert.serial_number
    assert sorted(p.name for p in (data_dir / "pki" / "units").iterdir()) == [
        "000.00.00.H62.cert.pem",
        "000.00.00.H62.key.pem",
        "000.00.12.H62.cert.pem",
        "000.00.12.H62.key.pem",
    ]


def test_a_renamed_unit_gets_a_certificate_with_its_new_name(data_dir):
    _, old = unit_certificate_ensure(unit=make_unit())
    _, new = unit_certificate_ensure(unit=make_unit(name="Ủy ban nhân dân xã Tam Đảo"))
    assert new.serial_number != old.serial_number
    assert new.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Ủy ban nhân dân xã Tam Đảo"


def test_key_files_are_readable_by_the_owner_only(data_dir):
    unit_certificate_ensure(unit=make_unit())
    pki = data_dir / "pki"
    for path in (pki / "ca.key.pem", pki / "units" / "000.00.00.H62.key.pem"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert stat.S_IMODE(os.stat(pki).st_mode) == 0o700


def test_poppler_pdfsig_independently_accepts_the_signature(data_dir, tmp_path):
    if shutil.which("pdfsig") is None:
        if os.environ.get("CI"):
            pytest.fail("pdfsig (Debian poppler-utils) is required in CI")
        pytest.skip("pdfsig (Debian poppler-utils) is not installed")
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf_sign(pdf=minimal_pdf(), unit=make_unit(), reason="Phê duyệt"))

    output = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout  # noqa: S603, S607

    assert "Signature is Valid" in output, output
    assert UNIT_NAME in output, output


def test_a_second_unit_can_countersign_but_a_signed_field_cannot_be_signed_again(data_dir):
    # Given a PDF signed by a commune
    signed = pdf_sign(pdf=minimal_pdf(), unit=make_unit(), reason="Đề xuất")

    # When the province countersigns in a second field
    both = pdf_sign(
        pdf=signed,
        unit=make_unit(name="Sở Tư pháp", identifier="000.00.12.H62"),
        reason="Phê duyệt",
        field_name="Signature2",
    )

    # Then both signatures verify; the first now covers its revision only
    first, second = pdf_verify(pdf=both)
    assert (first.signer_cn, second.signer_cn) == (UNIT_NAME, "Sở Tư pháp")
    assert first.ok and second.ok
    assert not first.covers_whole_file and second.covers_whole_file

    # And signing the already-signed field again is refused with a stable code
    with pytest.raises(ServiceError) as excinfo:
        pdf_sign(pdf=both, unit=make_unit(), reason="Phê duyệt", field_name="Signature1")
    assert excinfo.value.error_code == "pdf_sign_failed"


def test_signing_works_while_an_event_loop_runs_in_the_thread(data_dir):
    # given a thread whose asyncio event loop is running (an ASGI server, Playwright's sync API);
    # a thread of its own, because this test process may already run a loop in the main thread
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    unit = make_unit()

    async def sign_and_verify():
        # when a PDF is signed and verified from inside it
        signed = pdf_sign(pdf=minimal_pdf(), unit=unit, reason="Phát hành kết quả")
        return pdf_verify(pdf=signed)

    with ThreadPoolExecutor(max_workers=1) as pool:
        checks = pool.submit(asyncio.run, sign_and_verify()).result()
    # then pyHanko's own asyncio.run() does not collide with the running loop
    assert [check.ok for check in checks] == [True]
