"""Signing with an official's USB token: prepare on the server, sign on the token, finish."""

import datetime as dt

import pytest

from cqs.core import signing_external
from cqs.core.exceptions import ServiceError
from cqs.core.signing import SignatureStamp, pdf_sign, pdf_verify
from cqs.core.signing_external import external_sign_finish, external_sign_prepare
from cqs.core.tests.test_signing import UNIT_NAME, make_unit, minimal_pdf
from cqs.core.tests.test_signing_person import FULL_NAME, make_user
from cqs.fakes import tsa
from cqs.fakes.vgca import FakeUsbToken


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.CQS_TSA_URL = ""
    return settings.DATA_DIR


def prepare(user=None, **kwargs):
    return external_sign_prepare(
        pdf=minimal_pdf(), user=user or make_user(), unit=make_unit(), reason="Ký duyệt", **kwargs
    )


def error_code(call) -> str:
    with pytest.raises(ServiceError) as excinfo:
        call()
    return excinfo.value.error_code


def test_a_document_signed_on_the_token_verifies_as_the_officials_signature(data_dir):
    # Given a document prepared for the leader's signature, with the person stamp
    user = make_user()
    prepared = prepare(user, stamp=SignatureStamp("person"), field_name="LanhDao")
    token = FakeUsbToken(user, unit=make_unit())

    # When the token signs what the server asked for and the server finishes
    signed = external_sign_finish(
        token=prepared.token,
        signature=token.sign(prepared.data_to_sign),
        certificate_pem=token.certificate_pem(),
    )

    # Then it is a valid personal signature of the official, and the pending files are gone
    [check] = pdf_verify(pdf=signed)
    assert (check.field_name, check.signer_cn, check.signer_kind) == ("LanhDao", FULL_NAME, "person")
    assert check.signer_organization == UNIT_NAME
    assert check.ok and check.covers_whole_file
    assert signed.startswith(minimal_pdf())
    assert list((data_dir / "pki" / "pending").iterdir()) == []


def test_a_token_that_signs_the_digest_gives_the_same_result(data_dir):
    user = make_user()
    prepared = prepare(user)
    token = FakeUsbToken(user, unit=make_unit())

    assert len(prepared.digest) == 32 and prepared.digest_algorithm == "sha256"
    signed = external_sign_finish(
        token=prepared.token, signature=token.sign(prepared.digest), certificate_pem=token.certificate_pem()
    )

    assert [c.ok for c in pdf_verify(pdf=signed)] == [True]


def test_the_seal_can_follow_a_token_signature(data_dir):
    user = make_user()
    prepared = prepare(user, stamp=SignatureStamp("person"), field_name="LanhDao")
    token = FakeUsbToken(user, unit=make_unit())
    signed = external_sign_finish(
        token=prepared.token,
        signature=token.sign(prepared.data_to_sign),
        certificate_pem=token.certificate_pem(),
    )

    sealed = pdf_sign(
        pdf=signed, unit=make_unit(), reason="Phát hành", stamp=SignatureStamp("seal"), field_name="Dau"
    )

    assert [(c.signer_kind, c.ok) for c in pdf_verify(pdf=sealed)] == [("person", True), ("seal", True)]


def test_a_token_signature_can_be_timestamped(data_dir, settings):
    user = make_user()
    with tsa.tsa_serving() as url:
        settings.CQS_TSA_URL = url
        prepared = prepare(user, timestamp=True)
        token = FakeUsbToken(user, unit=make_unit())
        signed = external_sign_finish(
            token=prepared.token,
            signature=token.sign(prepared.data_to_sign),
            certificate_pem=token.certificate_pem(),
        )

    [check] = pdf_verify(pdf=signed)
    assert check.ok and check.timestamp_valid is True


def test_another_officials_certificate_is_refused(data_dir):
    # Given a document prepared for one official
    prepared = prepare(make_user(pk=1))
    # When another official's token answers
    other = FakeUsbToken(make_user(pk=2, full_name="Trần Văn Bình"), unit=make_unit())

    code = error_code(
        lambda: external_sign_finish(
            token=prepared.token,
            signature=other.sign(prepared.data_to_sign),
            certificate_pem=other.certificate_pem(),
        )
    )

    # Then it is refused
    assert code == "external_sign_certificate_mismatch"


def test_a_signature_over_other_data_is_refused_and_the_token_stays_usable(data_dir):
    user = make_user()
    prepared = prepare(user)
    token = FakeUsbToken(user, unit=make_unit())

    code = error_code(
        lambda: external_sign_finish(
            token=prepared.token,
            signature=token.sign(b"something else entirely"),
            certificate_pem=token.certificate_pem(),
        )
    )

    assert code == "external_sign_bad_signature"
    # (the right signature still finishes it)
    signed = external_sign_finish(
        token=prepared.token,
        signature=token.sign(prepared.data_to_sign),
        certificate_pem=token.certificate_pem(),
    )
    assert [c.ok for c in pdf_verify(pdf=signed)] == [True]


def test_an_expired_token_is_refused(data_dir, monkeypatch):
    # Given a prepared document
    user = make_user()
    prepared = prepare(user)
    token = FakeUsbToken(user, unit=make_unit())

    # When the signature comes back after the token's lifetime
    monkeypatch.setattr(signing_external, "PENDING_TTL", dt.timedelta(seconds=-1))
    code = error_code(
        lambda: external_sign_finish(
            token=prepared.token,
            signature=token.sign(prepared.data_to_sign),
            certificate_pem=token.certificate_pem(),
        )
    )

    # Then it is refused as expired
    assert code == "external_sign_expired"


@pytest.mark.parametrize("mangle", [lambda t: t + "x", lambda t: "khong-phai-token", lambda t: t[::-1]])
def test_an_unknown_or_tampered_token_is_refused(data_dir, mangle):
    user = make_user()
    prepared = prepare(user)
    token = FakeUsbToken(user, unit=make_unit())

    code = error_code(
        lambda: external_sign_finish(
            token=mangle(prepared.token),
            signature=token.sign(prepared.data_to_sign),
            certificate_pem=token.certificate_pem(),
        )
    )

    assert code == "external_sign_unknown"


def test_a_token_is_used_once(data_dir):
    user = make_user()
    prepared = prepare(user)
    token = FakeUsbToken(user, unit=make_unit())
    signature = token.sign(prepared.data_to_sign)
    external_sign_finish(token=prepared.token, signature=signature, certificate_pem=token.certificate_pem())

    code = error_code(
        lambda: external_sign_finish(
            token=prepared.token, signature=signature, certificate_pem=token.certificate_pem()
        )
    )

    assert code == "external_sign_unknown"


@pytest.mark.django_db
def test_the_fake_token_takes_the_unit_of_the_officials_profile(data_dir):
    from cqs.accounts.tests.factories import OfficialFactory

    official = OfficialFactory(full_name="Lê Thị Mai")
    unit = official.official_profile.unit

    token = FakeUsbToken(official)

    from cryptography import x509

    cert = x509.load_pem_x509_certificate(token.certificate_pem())
    assert cert.subject.get_attributes_for_oid(x509.oid.NameOID.ORGANIZATION_NAME)[0].value == unit.name
    assert cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value == "Lê Thị Mai"
