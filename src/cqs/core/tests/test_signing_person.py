"""Personal certificates of officials, and a person's signature with the unit's seal on one PDF."""

import datetime as dt
import os

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from cqs.accounts.models import User
from cqs.core import signing
from cqs.core.exceptions import ServiceError
from cqs.core.signing import (
    PERSON_POLICY,
    SEAL_POLICY,
    SignatureStamp,
    pdf_sign,
    pdf_verify,
    person_certificate_ensure,
    pki_ensure_demo_ca,
    unit_certificate_ensure,
)
from cqs.core.tests.test_signing import UNIT_NAME, make_unit, minimal_pdf

FULL_NAME = "Nguyễn Thị Hồng Nhung"


def make_user(pk: int = 41, full_name: str = FULL_NAME) -> User:
    # Signing reads the primary key, the full name and the username: an unsaved user is enough.
    return User(pk=pk, username=f"lanhdao{pk}", full_name=full_name)


def name_attribute(cert: x509.Certificate, oid) -> list[str]:
    return [a.value for a in cert.subject.get_attributes_for_oid(oid)]


def policies(cert: x509.Certificate) -> set[str]:
    ext = cert.extensions.get_extension_for_class(x509.CertificatePolicies)
    return {p.policy_identifier.dotted_string for p in ext.value}


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.CQS_TSA_URL = ""
    return settings.DATA_DIR


def test_a_personal_certificate_names_the_official_and_their_unit(data_dir):
    # When an official of the commune gets a certificate
    _, cert = person_certificate_ensure(user=make_user(), unit=make_unit())

    # Then CN is the person, O the unit, the demo CA issued it and its policy says "person"
    assert name_attribute(cert, NameOID.COMMON_NAME) == [FULL_NAME]
    assert name_attribute(cert, NameOID.ORGANIZATION_NAME) == [UNIT_NAME]
    cert.verify_directly_issued_by(pki_ensure_demo_ca().cert)
    assert policies(cert) == {PERSON_POLICY.dotted_string}
    assert sorted(p.name for p in (data_dir / "pki" / "persons").iterdir()) == ["41.cert.pem", "41.key.pem"]


def test_a_user_without_full_name_is_named_by_username(data_dir):
    _, cert = person_certificate_ensure(user=make_user(full_name=""), unit=make_unit())

    assert name_attribute(cert, NameOID.COMMON_NAME) == ["lanhdao41"]


def test_the_personal_certificate_is_kept_until_the_name_changes(data_dir):
    # Given an official's certificate
    _, first = person_certificate_ensure(user=make_user(), unit=make_unit())

    # When it is asked for again, then after the official's name changed
    _, again = person_certificate_ensure(user=make_user(), unit=make_unit())
    _, renamed = person_certificate_ensure(user=make_user(full_name="Nguyễn Thị Nhung"), unit=make_unit())

    # Then the same one comes back first, and a new one with the new name after
    assert again.serial_number == first.serial_number
    assert renamed.serial_number != first.serial_number
    assert name_attribute(renamed, NameOID.COMMON_NAME) == ["Nguyễn Thị Nhung"]


def test_a_personal_certificate_about_to_expire_is_renewed(data_dir, monkeypatch):
    # Given a certificate, and a clock moved to 10 days before it expires
    _, cert = person_certificate_ensure(user=make_user(), unit=make_unit())
    later = cert.not_valid_after_utc - dt.timedelta(days=10)
    monkeypatch.setattr(signing, "_now", lambda: later)

    # When it is asked for
    _, renewed = person_certificate_ensure(user=make_user(), unit=make_unit())

    # Then it was reissued
    assert renewed.serial_number != cert.serial_number


def test_an_unsaved_user_gets_no_certificate(data_dir):
    with pytest.raises(ServiceError) as excinfo:
        person_certificate_ensure(user=User(username="chua-luu"), unit=make_unit())
    assert excinfo.value.error_code == "person_unknown"


def test_seal_certificates_carry_the_seal_policy(data_dir):
    _, cert = unit_certificate_ensure(unit=make_unit())

    assert policies(cert) == {SEAL_POLICY.dotted_string}


def test_the_leader_signs_then_the_clerk_seals_and_both_verify(data_dir):
    # Given a result the leader signs with their personal certificate, visibly
    unit = make_unit()
    approved = pdf_sign(
        pdf=minimal_pdf(),
        unit=unit,
        reason="Ký duyệt",
        signer=make_user(),
        stamp=SignatureStamp("person"),
        field_name="LanhDaoKy",
    )

    # When the clerical office seals it with the unit's certificate, in a second field
    issued = pdf_sign(
        pdf=approved, unit=unit, reason="Phát hành", stamp=SignatureStamp("seal"), field_name="DongDau"
    )

    # Then each is an incremental update and both signatures verify, person first, seal second
    assert issued.startswith(approved)
    person, seal = pdf_verify(pdf=issued)
    assert (person.field_name, person.signer_cn, person.signer_kind) == ("LanhDaoKy", FULL_NAME, "person")
    assert (seal.field_name, seal.signer_cn, seal.signer_kind) == ("DongDau", UNIT_NAME, "seal")
    assert person.signer_organization == seal.signer_organization == UNIT_NAME
    assert person.ok and seal.ok
    assert seal.covers_whole_file and not person.covers_whole_file
    assert person.timestamp_time is None and person.timestamp_valid is None


def test_a_seal_certificate_without_the_policy_is_still_read_as_a_seal(data_dir):
    # Given a unit certificate issued before the policies existed (serialNumber = identifier only)
    unit = make_unit()
    ca = pki_ensure_demo_ca()
    key = signing.ec.generate_private_key(signing.ec.SECP256R1())
    subject = signing._unit_subject(unit, unit.identifier)
    old = signing._issue(ca, subject, key, validity=dt.timedelta(days=365))
    units = data_dir / "pki" / "units"
    signing._store_pair(units / f"{unit.identifier}.key.pem", units / f"{unit.identifier}.cert.pem", key, old)
    signed = pdf_sign(pdf=minimal_pdf(), unit=unit, reason="Phê duyệt")
    # (signing reissues it with the policy; the PDF signed with the old one must still read right)
    legacy = signing._signer_kind(signing._asn1_cert(old))

    # Then the old certificate counts as a seal, and the reissued one carries the policy
    assert legacy == "seal"
    [check] = pdf_verify(pdf=signed)
    assert check.signer_kind == "seal" and check.ok


def test_loaded_keys_are_reused_until_the_file_is_replaced(data_dir):
    # Given a unit pair, made and then loaded once from disk
    unit = make_unit()
    unit_certificate_ensure(unit=unit)
    key, _ = unit_certificate_ensure(unit=unit)

    # When it is loaded again, then after the files were rewritten
    same, _ = unit_certificate_ensure(unit=unit)
    path = data_dir / "pki" / "units" / f"{unit.identifier}.cert.pem"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    reread, _ = unit_certificate_ensure(unit=unit)

    # Then the first reload is the cached object, the one after the change is read from disk
    assert same is key
    assert reread is not key
    assert reread.private_numbers() == key.private_numbers()
