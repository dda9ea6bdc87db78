"""PAdES B-T: an RFC 3161 timestamp from CQS_TSA_URL, and what happens when the TSA fails."""

import datetime as dt
import re

import pytest

from cqs.core.exceptions import ServiceError
from cqs.core.signing import pdf_sign, pdf_verify, tsa_certificate_ensure
from cqs.core.tests.test_signing import BODY, make_unit, minimal_pdf
from cqs.fakes import tsa
from cqs.fakes.testing import running


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


@pytest.fixture
def tsa_url(data_dir, settings):
    with tsa.tsa_serving() as url:
        settings.CQS_TSA_URL = url
        yield url


def test_a_timestamped_signature_carries_a_trusted_timestamp(tsa_url):
    before = dt.datetime.now(dt.UTC)

    signed = pdf_sign(pdf=minimal_pdf(), unit=make_unit(), reason="Phát hành", timestamp=True)

    [check] = pdf_verify(pdf=signed)
    assert check.ok and check.intact and check.valid and check.trusted
    assert check.timestamp_valid is True
    assert before - dt.timedelta(seconds=5) <= check.timestamp_time <= dt.datetime.now(dt.UTC)


def test_the_tsa_certificate_is_for_timestamping_only_and_chains_to_the_demo_ca(data_dir):
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    from cqs.core.signing import pki_ensure_demo_ca

    _, cert = tsa_certificate_ensure()

    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    cert.verify_directly_issued_by(pki_ensure_demo_ca().cert)
    assert tsa_certificate_ensure()[1].serial_number == cert.serial_number


def test_one_changed_byte_in_the_signed_range_breaks_a_timestamped_signature(tsa_url):
    # Given a B-T signed PDF
    signed = pdf_sign(pdf=minimal_pdf(), unit=make_unit(), reason="Phát hành", timestamp=True)
    start, first_length, second_start, _ = map(
        int, re.search(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)", signed).groups()
    )
    where = signed.index(BODY) + len(BODY) - 1
    assert start <= where < start + first_length < second_start  # inside the first signed range

    # When one byte there is flipped
    tampered = bytearray(signed)
    tampered[where] ^= 0x01

    # Then verification says so
    [check] = pdf_verify(pdf=bytes(tampered))
    assert not check.intact
    assert not check.ok


def test_without_a_tsa_url_a_timestamp_request_gives_a_basic_signature(data_dir, settings):
    settings.CQS_TSA_URL = ""

    signed = pdf_sign(pdf=minimal_pdf(), unit=make_unit(), reason="Phát hành", timestamp=True)

    [check] = pdf_verify(pdf=signed)
    assert check.ok
    assert check.timestamp_time is None and check.timestamp_valid is None


def test_an_unreachable_tsa_refuses_to_sign(data_dir, settings):
    # Given a TSA URL where nothing listens
    with tsa.tsa_serving() as url:
        pass
    settings.CQS_TSA_URL = url

    # When a timestamped signature is asked for, then it is refused with a stable code
    with pytest.raises(ServiceError) as excinfo:
        pdf_sign(pdf=minimal_pdf(), unit=make_unit(), reason="Phát hành", timestamp=True)
    assert excinfo.value.error_code == "tsa_unavailable"
    assert "dấu thời gian" in excinfo.value.detail


def test_a_tsa_answering_with_an_error_refuses_to_sign(data_dir, settings):
    app = tsa.make_app_from_pki()
    app.fail_next(1, 500)
    with running(app) as fake:
        settings.CQS_TSA_URL = fake.url + "/"
        with pytest.raises(ServiceError) as excinfo:
            pdf_sign(pdf=minimal_pdf(), unit=make_unit(), reason="Phát hành", timestamp=True)
    assert excinfo.value.error_code == "tsa_unavailable"


def test_a_tsa_answering_garbage_refuses_to_sign(data_dir, settings):
    def garbage(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/timestamp-reply")])
        return [b"\x30\x03\x02\x01\x09 not a timestamp"]

    with running(garbage) as fake:
        settings.CQS_TSA_URL = fake.url + "/"
        with pytest.raises(ServiceError) as excinfo:
            pdf_sign(pdf=minimal_pdf(), unit=make_unit(), reason="Phát hành", timestamp=True)
    assert excinfo.value.error_code == "tsa_unavailable"


def test_a_timestamp_from_a_tsa_outside_our_ca_is_not_trusted(settings, tmp_path):
    # Given a TSA whose certificate another installation's CA issued
    settings.DATA_DIR = tmp_path / "elsewhere"
    from cryptography.hazmat.primitives import serialization

    key, cert = tsa_certificate_ensure()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    settings.DATA_DIR = tmp_path / "ours"
    with tsa.tsa_serving(key_pem=key_pem, cert_pem=cert.public_bytes(serialization.Encoding.PEM)) as url:
        settings.CQS_TSA_URL = url
        signed = pdf_sign(pdf=minimal_pdf(), unit=make_unit(), reason="Phát hành", timestamp=True)

    # When our installation verifies it, then the signature is fine but its timestamp is not
    [check] = pdf_verify(pdf=signed)
    assert check.intact and check.valid and check.trusted
    assert check.timestamp_time is not None
    assert check.timestamp_valid is False
    assert not check.ok
