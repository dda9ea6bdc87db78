"""XML signatures (XMLDSig) on edXML packages: ``edxml_sign`` and ``edxml_verify``.

The signature is *enveloped*: one ``ds:Signature`` at ``edXMLEnvelope/edXMLHeader/Signature``,
right after ``TraceHeaderList`` (after ``MessageHeader`` in a status package), as QCVN 102:2016
places it. Its main reference is ``URI=""`` with the enveloped-signature and exclusive c14n
transforms, so it covers the whole ``edXML`` document, ``AttachmentEncoded`` included: changing
one byte of an attachment breaks it. ``KeyInfo`` carries the signer's X.509 certificate (and any
chain given).

The signing time goes in a ``ds:Object/ds:SignatureProperties`` element (an ``xades:SigningTime``
value) covered by a second reference, so it cannot be changed without breaking the signature. It is
the time the signer's own clock claimed, not a trusted timestamp.

Verification separates two questions, as ``cqs.core.signing.pdf_verify`` does for PDFs: is the
package unchanged since it was signed (``valid``), and does the certificate chain to a root we
trust (``trusted``; by default the demo CA of ``cqs.core.signing``). SHA-1 is refused: the public
samples use rsa-sha1, but SHA-1 signatures can be forged with chosen-prefix collisions.

Unsafe XML is refused exactly as ``edxml.parse`` refuses it (``EdxmlError`` ``unsafe_xml``): no
DTD, no entities, no network, size capped.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import verification
from cryptography.x509.oid import NameOID
from defusedxml import DefusedXmlException
from django.utils.translation import gettext_lazy as _
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    InvalidCertificate,
    InvalidInput,
    InvalidSignature,
    SignatureConfiguration,
    SignatureConstructionMethod,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)

from cqs.core.signing import pki_ensure_demo_ca
from cqs.documents.edxml import DEFAULT_MAX_BYTES, NS, VIETNAM_TZ, EdxmlError, parse

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
# The reference Type XMLDSig defines for a SignatureProperties object (xmldsig-core §5.2).
SIGNATURE_PROPERTIES_TYPE = "http://www.w3.org/2000/09/xmldsig#SignatureProperties"

_EXC_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
_ENVELOPED = SignatureConstructionMethod.enveloped.value
_SIGNATURE_METHODS = frozenset(
    {
        SignatureMethod.RSA_SHA256,
        SignatureMethod.RSA_SHA384,
        SignatureMethod.RSA_SHA512,
        SignatureMethod.ECDSA_SHA256,
        SignatureMethod.ECDSA_SHA384,
        SignatureMethod.ECDSA_SHA512,
    }
)
_DIGEST_METHODS = frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512})
_HEADER_PATH = f"./{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader/"


@dataclass(frozen=True)
class EdxmlSignatureCheck:
    """What ``edxml_verify`` found; ``error_code`` is stable, ``error_message`` is for people."""

    present: bool
    # Nothing covered by the signature changed since it was made (digests and signature value).
    valid: bool = False
    # The signer's certificate is in force now and chains to a trusted root.
    trusted: bool = False
    signer_cn: str = ""
    signer_organization: str = ""
    # The certificate's serialNumber attribute: the unit identifier in CQS certificates.
    signer_identifier: str = ""
    # The signing time the signer claimed (covered by the signature), when the signature has one.
    signed_at: datetime | None = None
    error_code: str = ""
    error_message: str = ""
    certificate: x509.Certificate | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.present and self.valid and self.trusted


class _Refused(Exception):
    def __init__(self, code: str, message):
        self.code = code
        self.message = str(message)
        super().__init__(code)


# --- reading --------------------------------------------------------------------------------------


def _lxml_parser() -> etree.XMLParser:
    # huge_tree: one base64 attachment can exceed libxml2's 10 MB text limit. It is safe because the
    # document has already been refused if it carries a DTD, so there is no entity to expand.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, remove_blank_text=False
    )


def _read(data: bytes, max_bytes: int) -> tuple[etree._Element, etree._Element]:
    """The root and the ``edXMLHeader`` of a package, refused as ``edxml.parse`` refuses it."""
    if len(data) > max_bytes:
        raise EdxmlError(
            "too_large",
            _("Gói tin vượt quá dung lượng cho phép (%(limit)s byte).") % {"limit": max_bytes},
        )
    data = data.lstrip()
    try:
        SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise EdxmlError(
            "unsafe_xml", _("Gói tin chứa khai báo DTD hoặc thực thể (entity): không được phép.")
        ) from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise EdxmlError(
            "not_xml", _("Gói tin không phải XML hợp lệ (lỗi ở dòng %(line)s).") % {"line": line}
        ) from None
    try:
        root = etree.fromstring(data, _lxml_parser())
    except etree.XMLSyntaxError:
        raise EdxmlError(
            "not_xml", _("Gói tin không phải XML hợp lệ (lỗi ở dòng %(line)s).") % {"line": "?"}
        ) from None
    if root.tag != f"{{{NS}}}edXML":
        raise EdxmlError(
            "wrong_root", _("Phần tử gốc của gói tin phải là edXML."), etree.QName(root).localname
        )
    header = root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    if header is None:
        path = "edXMLEnvelope/edXMLHeader"
        raise EdxmlError("missing_element", _("Thiếu phần tử bắt buộc %(path)s.") % {"path": path}, path)
    return root, header


def _is_signature(element) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).localname == "Signature"


# --- signing --------------------------------------------------------------------------------------


def _remove_signatures(header: etree._Element) -> None:
    for old in [child for child in header if _is_signature(child)]:
        previous = old.getprevious()
        # Keep the whitespace that followed the old signature, so re-signing lays out the same.
        if previous is not None:
            previous.tail = old.tail
        else:
            header.text = old.tail
        header.remove(old)


def _insert_placeholder(header: etree._Element) -> None:
    """An empty ``ds:Signature Id="placeholder"``, which signxml fills in where it stands."""
    anchor = header.find(f"{{{NS}}}TraceHeaderList")
    if anchor is None:
        anchor = header.find(f"{{{NS}}}MessageHeader")
    if anchor is None:
        path = "edXMLEnvelope/edXMLHeader/MessageHeader"
        raise EdxmlError("missing_element", _("Thiếu phần tử bắt buộc %(path)s.") % {"path": path}, path)
    placeholder = etree.Element(f"{{{DS_NS}}}Signature", nsmap={"ds": DS_NS}, Id="placeholder")
    # Indented like its siblings, as edxml.build writes it: build(parse(signed)) keeps it valid.
    placeholder.tail = anchor.tail
    anchor.tail = header.text if (header.text or "").strip() == "" else None
    anchor.addnext(placeholder)


class _Signer(XMLSigner):
    """signxml's enveloped signer plus a signed ``SignatureProperties`` object with the time."""

    def __init__(self, *, signature_algorithm: SignatureMethod, signed_at: datetime):
        super().__init__(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=signature_algorithm,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=_EXC_C14N,
        )
        self._parser = _lxml_parser()
        self._signed_at = signed_at
        self.signature_annotators.append(self._add_signing_time)

    def _add_signing_time(self, sig_root, signing_settings) -> None:
        # Random ids: the reference is resolved by Id across the whole document, so it must be unique.
        signature_id = f"edxml-signature-{secrets.token_hex(6)}"
        sig_root.set("Id", signature_id)
        ds_object = etree.SubElement(sig_root, f"{{{DS_NS}}}Object", Id=f"{signature_id}-properties")
        properties = etree.SubElement(ds_object, f"{{{DS_NS}}}SignatureProperties")
        prop = etree.SubElement(properties, f"{{{DS_NS}}}SignatureProperty", Target=f"#{signature_id}")
        signing_time = etree.SubElement(prop, f"{{{XADES_NS}}}SigningTime", nsmap={"xades": XADES_NS})
        signing_time.text = self._signed_at.astimezone(VIETNAM_TZ).isoformat(timespec="seconds")

        signed_info = sig_root.find(f"{{{DS_NS}}}SignedInfo")
        reference = etree.SubElement(
            signed_info,
            f"{{{DS_NS}}}Reference",
            URI=f"#{ds_object.get('Id')}",
            Type=SIGNATURE_PROPERTIES_TYPE,
        )
        transforms = etree.SubElement(reference, f"{{{DS_NS}}}Transforms")
        # Explicit, so a verifier never has to guess the canonicalisation of this reference.
        etree.SubElement(transforms, f"{{{DS_NS}}}Transform", Algorithm=_EXC_C14N.value)
        etree.SubElement(reference, f"{{{DS_NS}}}DigestMethod", Algorithm=self.digest_alg.value)
        digest = self._get_digest(self._c14n(self.get_root(ds_object), algorithm=_EXC_C14N), self.digest_alg)
        etree.SubElement(reference, f"{{{DS_NS}}}DigestValue").text = base64.b64encode(digest).decode()


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _signature_method(key) -> SignatureMethod:
    if isinstance(key, rsa.RSAPrivateKey):
        return SignatureMethod.RSA_SHA256
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return SignatureMethod.ECDSA_SHA256
    raise EdxmlError("unsupported_key", _("Chỉ ký được bằng khóa RSA hoặc ECDSA."))


def edxml_sign(
    data: bytes,
    *,
    key,
    cert: x509.Certificate,
    chain: Iterable[x509.Certificate] = (),
    signed_at: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> bytes:
    """``data`` with an enveloped XMLDSig by ``key``; a signature already there is replaced.

    The package must be one ``edxml.parse`` accepts (its errors are raised as they are). ``cert``
    goes into ``KeyInfo``, followed by ``chain`` (intermediates; the root is not needed).
    """
    parse(data, max_bytes=max_bytes)
    if _public_der(key.public_key()) != _public_der(cert.public_key()):
        raise EdxmlError("key_certificate_mismatch", _("Khóa ký không khớp với chứng thư số đã cho."))
    signed_at = signed_at or datetime.now(UTC)
    if signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=VIETNAM_TZ)
    signer = _Signer(signature_algorithm=_signature_method(key), signed_at=signed_at)
    root, header = _read(data, max_bytes)
    _remove_signatures(header)
    _insert_placeholder(header)
    try:
        signed = signer.sign(root, key=key, cert=[cert, *chain])
    except InvalidInput:
        # e.g. the package already holds an element that looks like signxml's placeholder.
        raise EdxmlError("sign_failed", _("Không ký được gói tin này.")) from None
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(signed, encoding="UTF-8") + b"\n"


# --- verification ---------------------------------------------------------------------------------


def _certificates(signature: etree._Element) -> list[x509.Certificate]:
    texts = signature.findall(f"{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate")
    if not texts:
        raise _Refused("certificate_missing", _("Chữ ký không kèm chứng thư số (X509Certificate)."))
    try:
        return [
            x509.load_der_x509_certificate(base64.b64decode("".join((el.text or "").split()), validate=True))
            for el in texts
        ]
    except (binascii.Error, ValueError):
        raise _Refused("certificate_malformed", _("Chứng thư số kèm theo chữ ký không đọc được.")) from None


def _leaf(certificates: list[x509.Certificate]) -> x509.Certificate:
    # XMLDSig implies no order in X509Data: the signer's certificate is the one that issued no other.
    issuers = {cert.issuer for cert in certificates if cert.issuer != cert.subject}
    return next((cert for cert in certificates if cert.subject not in issuers), certificates[0])


def _name_attribute(name: x509.Name, oid) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _check_algorithms(signature: etree._Element) -> None:
    methods = [el.get("Algorithm", "") for el in signature.iter(f"{{{DS_NS}}}SignatureMethod")]
    digests = [el.get("Algorithm", "") for el in signature.iter(f"{{{DS_NS}}}DigestMethod")]
    known_methods = {method.value for method in _SIGNATURE_METHODS}
    known_digests = {digest.value for digest in _DIGEST_METHODS}
    if not set(methods) <= known_methods or not set(digests) <= known_digests:
        raise _Refused(
            "unsupported_algorithm",
            _(
                "Chữ ký dùng thuật toán không được chấp nhận "
                "(chỉ nhận RSA/ECDSA với SHA-256 trở lên, không nhận SHA-1)."
            ),
        )


def _check_whole_document(signature: etree._Element) -> None:
    """Exactly one reference to the whole document, enveloped: nothing else would be 'signed'."""
    whole = [
        reference
        for reference in signature.findall(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}Reference")
        if reference.get("URI") == ""
    ]
    enveloped = len(whole) == 1 and any(
        transform.get("Algorithm") == _ENVELOPED for transform in whole[0].iter(f"{{{DS_NS}}}Transform")
    )
    if not enveloped:
        raise _Refused(
            "signature_not_whole_document",
            _('Chữ ký không bao trùm toàn bộ gói tin (cần một tham chiếu URI="" kiểu enveloped).'),
        )


def _signing_time(signature: etree._Element, results) -> datetime | None:
    # Read from what signxml returns as verified (the canonical bytes of each reference), never
    # from the tree: an unreferenced SigningTime elsewhere would not be covered by the signature.
    references = signature.findall(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}Reference")
    for reference, result in zip(references, results, strict=False):
        if reference.get("URI") == "" or result.signed_xml is None:
            continue
        element = result.signed_xml
        found = (
            element
            if element.tag == f"{{{XADES_NS}}}SigningTime"
            else element.find(f".//{{{XADES_NS}}}SigningTime")
        )
        if found is None:
            continue
        try:
            value = datetime.fromisoformat((found.text or "").strip())
        except ValueError:
            return None
        return value if value.tzinfo else value.replace(tzinfo=VIETNAM_TZ)
    return None


def _trust(leaf: x509.Certificate, others: list[x509.Certificate], roots: list[x509.Certificate]):
    """``(trusted, error_code, error_message)`` for the signer's certificate, judged now."""
    now = datetime.now(UTC)
    if now < leaf.not_valid_before_utc:
        return False, "certificate_not_yet_valid", str(_("Chứng thư số của người ký chưa có hiệu lực."))
    if now > leaf.not_valid_after_utc:
        return False, "certificate_expired", str(_("Chứng thư số của người ký đã hết hạn."))
    # The same extension policy as signxml's own chain check: any extensions, but the signer's
    # certificate must allow digitalSignature; the CA rules are the usual Web PKI ones.
    ee_policy = verification.ExtensionPolicy.permit_all().require_present(
        x509.KeyUsage, verification.Criticality.AGNOSTIC, _allows_signing
    )
    try:
        verifier = (
            verification.PolicyBuilder()
            .store(verification.Store(roots))
            .time(now)
            .extension_policies(
                ee_policy=ee_policy, ca_policy=verification.ExtensionPolicy.webpki_defaults_ca()
            )
            .build_client_verifier()
        )
        verifier.verify(leaf, [cert for cert in others if cert is not leaf])
    except (verification.VerificationError, ValueError):
        return (
            False,
            "certificate_untrusted",
            str(_("Chứng thư số của người ký không được cấp bởi tổ chức chứng thực tin cậy.")),
        )
    return True, "", ""


def _allows_signing(policy, cert, key_usage) -> None:
    if not key_usage.digital_signature:
        raise ValueError("KeyUsage does not allow digitalSignature")


def edxml_verify(
    data: bytes,
    *,
    trust_roots: Iterable[x509.Certificate] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> EdxmlSignatureCheck:
    """Check the package's signature; a missing or broken one is reported, not raised.

    Raises ``EdxmlError`` only for a package that cannot be read at all (the codes of ``parse``).
    ``trust_roots`` defaults to the demo CA of ``cqs.core.signing``. Nothing is fetched.
    """
    root, header = _read(data, max_bytes)
    signatures = [child for child in header if _is_signature(child)]
    if not signatures:
        if root.find(f".//{{{DS_NS}}}Signature") is not None:
            return EdxmlSignatureCheck(
                present=True,
                error_code="signature_misplaced",
                error_message=str(_("Chữ ký số không nằm ở vị trí edXMLEnvelope/edXMLHeader/Signature.")),
            )
        return EdxmlSignatureCheck(
            present=False, error_code="unsigned", error_message=str(_("Gói tin không có chữ ký số."))
        )
    if len(signatures) > 1:
        return EdxmlSignatureCheck(
            present=True,
            error_code="multiple_signatures",
            error_message=str(_("Gói tin có nhiều hơn một chữ ký số trong edXMLHeader.")),
        )
    signature = signatures[0]
    if signature.tag != f"{{{DS_NS}}}Signature":
        # The public samples carry a Signature in the edXML namespace with a truncated certificate.
        return EdxmlSignatureCheck(
            present=True,
            error_code="signature_not_xmldsig",
            error_message=str(_("Phần tử Signature không phải chữ ký XMLDSig (chỉ là phần giữ chỗ).")),
        )
    leaf = None
    try:
        certificates = _certificates(signature)
        leaf = _leaf(certificates)
        _check_algorithms(signature)
        _check_whole_document(signature)
        results = XMLVerifier().verify(
            root,
            x509_cert=leaf,
            parser=_lxml_parser(),
            expect_config=SignatureConfiguration(
                location=_HEADER_PATH,
                expect_references=True,
                signature_methods=_SIGNATURE_METHODS,
                digest_algorithms=_DIGEST_METHODS,
                # Integrity does not depend on the validity period, which _trust judges on its own.
                verification_time=leaf.not_valid_before_utc,
            ),
        )
    except _Refused as refused:
        return _failed(leaf, refused.code, refused.message)
    except InvalidCertificate:
        return _failed(leaf, "certificate_malformed", _("Chứng thư số kèm theo chữ ký không đọc được."))
    except InvalidSignature:
        return _failed(
            leaf, "signature_invalid", _("Chữ ký số không khớp: gói tin đã bị thay đổi sau khi ký.")
        )
    except (InvalidInput, etree.DocumentInvalid, etree.XMLSyntaxError, ValueError, TypeError):
        return _failed(leaf, "signature_malformed", _("Chữ ký số không đúng cấu trúc XMLDSig."))
    roots = list(trust_roots) if trust_roots is not None else [pki_ensure_demo_ca().cert]
    trusted, error_code, error_message = _trust(leaf, certificates, roots)
    return EdxmlSignatureCheck(
        present=True,
        valid=True,
        trusted=trusted,
        signed_at=_signing_time(signature, results),
        error_code=error_code,
        error_message=error_message,
        **_signer(leaf),
    )


def _signer(cert: x509.Certificate | None) -> dict:
    if cert is None:
        return {}
    return {
        "signer_cn": _name_attribute(cert.subject, NameOID.COMMON_NAME),
        "signer_organization": _name_attribute(cert.subject, NameOID.ORGANIZATION_NAME),
        "signer_identifier": _name_attribute(cert.subject, NameOID.SERIAL_NUMBER),
        "certificate": cert,
    }


def _failed(leaf: x509.Certificate | None, code: str, message) -> EdxmlSignatureCheck:
    return EdxmlSignatureCheck(present=True, error_code=code, error_message=str(message), **_signer(leaf))
