"""XMLDSig on edXML packages: signed, read back, verified, and every way a check fails."""

import base64
import datetime as dt
import os
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from cqs.core.signing import unit_certificate_ensure
from cqs.documents.edxml import NS, VIETNAM_TZ, Attachment, EdxmlError, build, parse
from cqs.documents.edxml_signature import DS_NS, edxml_sign, edxml_verify
from cqs.documents.tests.test_edxml import PDF, new_document, status
from cqs.orgs.tests.factories import OrgUnitFactory

CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
PROVINCE = "UBND tỉnh Vĩnh Phúc"
SIGNED_AT = dt.datetime(2025, 3, 14, 8, 45, 12, tzinfo=VIETNAM_TZ)


@pytest.fixture
def data_dir(settings, tmp_path):
    # The demo CA and unit keys live under DATA_DIR/pki: each test gets its own.
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


@pytest.fixture
def province(data_dir):
    # Signing reads only the unit's name and identifier: a built (unsaved) unit is enough.
    return OrgUnitFactory.build(name=PROVINCE, identifier="000.00.00.H62")


@pytest.fixture
def signed(province) -> bytes:
    key, cert = unit_certificate_ensure(unit=province)
    return edxml_sign(build(new_document()), key=key, cert=cert, signed_at=SIGNED_AT)


def make_name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificate(subject_key, subject, issuer_key, issuer, *, ca=False, days=(-1, 30)):
    now = dt.datetime.now(dt.UTC)
    usage = dict.fromkeys(
        (
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=not ca, key_cert_sign=ca, crl_sign=ca, **usage), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
        .sign(issuer_key, hashes.SHA256())
    )


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def attachment_bytes(package: bytes) -> bytes:
    return parse(package).attachments[0].data


def with_attachment_bytes(package: bytes, data: bytes) -> bytes:
    old = base64.b64encode(attachment_bytes(package))
    return package.replace(old, base64.b64encode(data))


# --- Signing and verifying --------------------------------------------------------------------------


def test_a_signed_package_verifies_as_valid_and_trusted_with_the_units_name(signed):
    # Given a package signed with the province's demo certificate (fixture)
    # When it is verified against the default trust root (the demo CA)
    check = edxml_verify(signed)

    # Then it is present, intact and trusted, and names its signer and signing time
    assert check.present and check.valid and check.trusted and check.ok
    assert check.signer_cn == PROVINCE
    assert check.signer_organization == PROVINCE
    assert check.signer_identifier == "000.00.00.H62"
    assert check.signed_at == SIGNED_AT
    assert check.error_code == ""


def test_the_signed_package_still_parses_with_the_signature_in_the_header(signed):
    # Given a signed package
    # When the edXML parser reads it
    package = parse(signed)

    # Then the content is unchanged and the ds:Signature sits in edXMLHeader after TraceHeaderList
    assert replace(package, signature_xml=None) == parse(build(new_document()))
    assert package.signature_xml.startswith("<ds:Signature")
    header = etree.fromstring(signed).find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    assert [etree.QName(child).localname for child in header] == [
        "MessageHeader",
        "TraceHeaderList",
        "Signature",
    ]
    assert header[-1].tag == f"{{{DS_NS}}}Signature"


def test_the_signature_references_the_whole_document_with_exclusive_c14n_and_a_certificate(signed):
    # Given a signed package
    signature = etree.fromstring(signed).find(f".//{{{DS_NS}}}Signature")

    # When its SignedInfo and KeyInfo are read
    ds = {"ds": DS_NS}
    whole = signature.find("ds:SignedInfo/ds:Reference[@URI='']", ds)
    transforms = [t.get("Algorithm") for t in whole.iterfind("ds:Transforms/ds:Transform", ds)]

    # Then it is enveloped, exclusive-canonicalised, ECDSA-SHA256, with the X.509 certificate
    assert transforms == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ]
    assert signature.find("ds:SignedInfo/ds:SignatureMethod", ds).get("Algorithm").endswith("ecdsa-sha256")
    assert signature.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", ds) is not None


def test_building_the_parsed_signed_package_gives_the_same_bytes(signed):
    # Given a signed package written by build()
    # When it is parsed and built again (the signature is carried verbatim)
    rebuilt = build(parse(signed))

    # Then nothing changed, so the signature still holds
    assert rebuilt == signed
    assert edxml_verify(rebuilt).valid


def test_a_status_package_is_signed_after_its_message_header(province):
    # Given a status package and the province's certificate
    key, cert = unit_certificate_ensure(unit=province)

    # When it is signed
    signed = edxml_sign(build(status()), key=key, cert=cert)

    # Then it verifies and the signature follows MessageHeader
    assert edxml_verify(signed).ok
    header = etree.fromstring(signed).find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    assert [etree.QName(child).localname for child in header] == ["MessageHeader", "Signature"]


def test_re_signing_replaces_the_old_signature(signed, data_dir):
    # Given a package signed by the province, and another unit
    department = OrgUnitFactory.build(name="Sở Tài chính tỉnh Vĩnh Phúc", identifier="000.00.11.H62")
    key, cert = unit_certificate_ensure(unit=department)

    # When the other unit signs it again
    resigned = edxml_sign(signed, key=key, cert=cert)

    # Then there is one signature, the new one
    assert resigned.count(b"<ds:Signature ") == 1
    check = edxml_verify(resigned)
    assert check.ok
    assert check.signer_cn == "Sở Tài chính tỉnh Vĩnh Phúc"


def test_a_package_signed_with_another_units_certificate_names_that_unit(province):
    # Given a package from the province signed with a commune's certificate
    commune = OrgUnitFactory.build(name="UBND xã Đạo Trù", identifier="000.01.01.H62")
    key, cert = unit_certificate_ensure(unit=commune)
    signed = edxml_sign(build(new_document()), key=key, cert=cert)

    # When it is verified
    check = edxml_verify(signed)

    # Then it is valid and trusted, and the signer shown is the commune, not the sender
    assert check.ok
    assert check.signer_cn == "UBND xã Đạo Trù"
    assert check.signer_identifier == "000.01.01.H62"
    assert parse(signed).header.from_.organ_id == "000.00.00.H62"


def test_an_rsa_signature_chains_to_a_given_root_through_an_intermediate(data_dir):
    # Given an RSA root, an intermediate and a signer
    root_key, sub_key, signer_key = rsa_key(), rsa_key(), rsa_key()
    root = make_certificate(root_key, make_name("Gốc thử"), root_key, make_name("Gốc thử"), ca=True)
    sub = make_certificate(sub_key, make_name("Trung gian"), root_key, root.subject, ca=True)
    leaf = make_certificate(signer_key, make_name("Văn thư"), sub_key, sub.subject)

    # When the signer signs with the intermediate in the chain
    signed = edxml_sign(build(new_document()), key=signer_key, cert=leaf, chain=[sub])

    # Then it verifies against that root, with an RSA-SHA256 signature
    check = edxml_verify(signed, trust_roots=[root])
    assert check.ok
    assert check.signer_cn == "Văn thư"
    assert b"xmldsig-more#rsa-sha256" in signed


# --- What breaks a signature -------------------------------------------------------------------------


def test_a_changed_subject_makes_the_signature_invalid(signed):
    # Given a signed package
    # When one word of the subject is changed
    tampered = signed.replace("Kế hoạch chuyển đổi số".encode(), "Kế hoạch chuyển đổi xanh".encode())

    # Then the signature no longer holds, and the signer is still named
    assert tampered != signed
    check = edxml_verify(tampered)
    assert check.present and not check.valid and not check.trusted
    assert check.error_code == "signature_invalid"
    assert check.signer_cn == PROVINCE


def test_a_changed_attachment_byte_makes_the_signature_invalid(signed):
    # Given a signed package with a PDF attachment
    assert attachment_bytes(signed) == PDF

    # When one byte of the attachment is changed (and re-encoded in base64)
    tampered = with_attachment_bytes(signed, PDF.replace(b"1.7", b"1.6"))

    # Then the signature no longer holds, although the package still parses
    assert parse(tampered).attachments[0].data != PDF
    check = edxml_verify(tampered)
    assert not check.valid
    assert check.error_code == "signature_invalid"


def test_a_large_attachment_is_covered_too(province):
    # Given a package whose attachment is above libxml2's 10 MB text-node limit once encoded
    big = PDF + bytes(8 * 1024 * 1024)
    package = new_document(
        attachments=[Attachment(content_id="1", content_type="application/pdf", name="a.pdf", data=big)]
    )
    key, cert = unit_certificate_ensure(unit=province)
    signed = edxml_sign(build(package), key=key, cert=cert)

    # When it is verified as is, and with its last byte changed
    tampered = with_attachment_bytes(signed, big[:-1] + b"\x01")

    # Then the first holds and the second does not
    assert edxml_verify(signed).valid
    assert edxml_verify(tampered).error_code == "signature_invalid"


def test_a_signature_that_does_not_cover_the_whole_document_is_refused(signed):
    # Given a signed package whose main reference is pointed away from the whole document
    # When it is verified
    check = edxml_verify(signed.replace(b'URI=""', b'URI="#edXMLHeader"'))

    # Then it is refused before any digest is trusted
    assert not check.valid
    assert check.error_code == "signature_not_whole_document"


def test_a_sha1_signature_is_refused(signed):
    # Given a signed package whose SignedInfo claims rsa-sha1, as the public samples do
    sha1 = signed.replace(
        b"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", b"http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    )

    # When it is verified
    check = edxml_verify(sha1)

    # Then the algorithm is refused
    assert not check.valid
    assert check.error_code == "unsupported_algorithm"


def test_a_signature_moved_out_of_the_header_is_reported_as_misplaced(signed):
    # Given a signed package whose signature was moved to the end of the document
    root = etree.fromstring(signed)
    signature = root.find(f".//{{{DS_NS}}}Signature")
    root.append(signature)

    # When it is verified
    check = edxml_verify(etree.tostring(root))

    # Then it is present but not valid
    assert check.present and not check.valid
    assert check.error_code == "signature_misplaced"


# --- Trust --------------------------------------------------------------------------------------


def test_a_self_signed_certificate_gives_a_valid_but_untrusted_signature(data_dir):
    # Given a package signed with a self-signed certificate nobody vouches for
    key = ec.generate_private_key(ec.SECP256R1())
    name = make_name("Người lạ")
    cert = make_certificate(key, name, key, name)
    signed = edxml_sign(build(new_document()), key=key, cert=cert)

    # When it is verified against the demo CA
    check = edxml_verify(signed)

    # Then the content is intact but the signer is not trusted
    assert check.present and check.valid and not check.trusted
    assert check.error_code == "certificate_untrusted"
    assert check.signer_cn == "Người lạ"


def test_an_expired_certificate_gives_a_valid_but_untrusted_signature(data_dir):
    # Given a package signed with a certificate of a trusted root that has since expired
    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = make_certificate(root_key, make_name("Gốc"), root_key, make_name("Gốc"), ca=True, days=(-400, 400))
    cert = make_certificate(key, make_name("Hết hạn"), root_key, root.subject, days=(-300, -1))
    signed = edxml_sign(build(new_document()), key=key, cert=cert)

    # When it is verified now
    check = edxml_verify(signed, trust_roots=[root])

    # Then the bytes are intact but the certificate no longer counts
    assert check.valid and not check.trusted
    assert check.error_code == "certificate_expired"


def test_the_demo_ca_is_not_trusted_when_other_roots_are_given(signed):
    # Given a package signed with a demo unit certificate, and an unrelated root
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = make_certificate(other_key, make_name("Gốc khác"), other_key, make_name("Gốc khác"), ca=True)

    # When it is verified against that root only
    check = edxml_verify(signed, trust_roots=[other])

    # Then it is intact but not trusted
    assert check.valid and not check.trusted


# --- Packages without a usable signature, and refusals -----------------------------------------------


def test_an_unsigned_package_reports_no_signature(data_dir):
    # Given a package nobody signed
    # When it is verified
    check = edxml_verify(build(new_document()))

    # Then it is reported as unsigned, not raised
    assert not check.present and not check.valid and not check.trusted
    assert check.error_code == "unsigned"


def test_unsafe_xml_is_refused_like_the_parser_does(data_dir):
    # Given a package declaring an entity
    data = (
        b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x "boom">]>'
        b'<edXML xmlns="' + NS.encode() + b'"><edXMLEnvelope><edXMLHeader/></edXMLEnvelope></edXML>'
    )

    # When it is verified, Then it is refused with the parser's code
    with pytest.raises(EdxmlError) as error:
        edxml_verify(data)
    assert error.value.code == "unsafe_xml"


def test_a_key_that_does_not_match_the_certificate_is_refused(province):
    # Given the province's certificate and some other key
    _, cert = unit_certificate_ensure(unit=province)

    # When the package is signed with that pair, Then it is refused
    with pytest.raises(EdxmlError) as error:
        edxml_sign(build(new_document()), key=ec.generate_private_key(ec.SECP256R1()), cert=cert)
    assert error.value.code == "key_certificate_mismatch"


def test_a_package_the_parser_refuses_is_not_signed(province):
    # Given a document package without a subject
    data = build(new_document()).replace("<Subject>Kế hoạch chuyển đổi số năm 2025</Subject>".encode(), b"")
    key, cert = unit_certificate_ensure(unit=province)

    # When it is signed, Then the parser's error is raised
    with pytest.raises(EdxmlError) as error:
        edxml_sign(data, key=key, cert=cert)
    assert error.value.code == "missing_element"


# --- The public samples ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples() -> Path:
    folder = os.environ.get("CQS_CONFORMANCE_DIR")
    path = Path(folder) / "edxml" if folder else None
    if path is not None and path.is_dir():
        return path
    if CI or folder:
        pytest.fail(f"CQS_CONFORMANCE_DIR={folder!r}: không tìm thấy thư mục mẫu edxml/.")
    pytest.skip("CQS_CONFORMANCE_DIR chưa đặt: bỏ qua đối chiếu với các gói edXML mẫu.")


def test_the_samples_placeholder_signature_is_reported_as_not_xmldsig(samples, data_dir):
    # Given a public sample, whose Signature is in the edXML namespace with a truncated certificate
    # When it is verified
    check = edxml_verify((samples / "edoc_new.edxml").read_bytes())

    # Then it is present but not an XML signature
    assert check.present and not check.valid
    assert check.error_code == "signature_not_xmldsig"


def test_signing_a_sample_replaces_its_placeholder(samples, province):
    # Given a public sample with a placeholder Signature, and the province's certificate
    data = (samples / "multi_recipient_dc0bdef0.edxml").read_bytes()
    key, cert = unit_certificate_ensure(unit=province)

    # When it is signed
    signed = edxml_sign(data, key=key, cert=cert)

    # Then the placeholder is gone, the signature holds and the content reads the same
    header = etree.fromstring(signed).find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    assert [child.tag for child in header if etree.QName(child).localname == "Signature"] == [
        f"{{{DS_NS}}}Signature"
    ]
    assert edxml_verify(signed).ok
    assert replace(parse(signed), signature_xml=None) == replace(parse(data), signature_xml=None)
