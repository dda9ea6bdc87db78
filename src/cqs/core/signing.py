"""PAdES signing of PDF documents on behalf of an organisation unit, and their verification.

Used by the one-stop results (issue 3, item 7) and later by the documents module.

**Production note.** Real documents are signed with the unit's certificate issued by the
Government CA (Ban Cơ yếu Chính phủ, Government Information Security Commission), whose private
key lives on a token or HSM and never in a file. The demo root CA made here (“CQS Demo Root CA”)
and its unit certificates exist **only for the demo and the tests**: they are trusted by nothing
outside CQS (``pdfsig`` or Acrobat show “issuer isn't trusted”). The interface
(``pdf_sign(pdf=..., unit=..., reason=...)``, ``pdf_verify(pdf=...)``) stays when the key source
changes to a PKCS#11 signer.

Storage, under ``settings.DATA_DIR / "pki"`` (directory mode 0700, key files mode 0600)::

    ca.key.pem, ca.cert.pem                      the demo root CA
    units/<identifier>.key.pem, .cert.pem        one seal certificate per unit identifier
    persons/<user pk>.key.pem, .cert.pem         one personal certificate per official
    tsa.key.pem, tsa.cert.pem                    the local timestamp authority (``cqs.fakes.tsa``)
    pending/                                     documents waiting for a USB-token signature
                                                 (``cqs.core.signing_external``)

The certificate file is written last (atomic rename), so its presence means the pair is complete.
Creation runs under an exclusive file lock, so concurrent workers make one CA, not two.
Loaded keys are cached in memory, keyed by file path, inode and modification time: a reissued
pair (a new file, renamed into place) is read again.

Seal and personal certificates are told apart by a certificate policy under a private arc
(``SEAL_POLICY``, ``PERSON_POLICY``); ``pdf_verify`` reads it back as ``signer_kind``. What the
pages look like (person, seal, text stamps) is in ``cqs.core.signing_stamps``; the USB-token
(VGCA plug-in) flow is in ``cqs.core.signing_external``. See docs/signing.md.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from cqs.core.exceptions import ServiceError
from cqs.core.signing_stamps import SignatureStamp, field_appearance, seal_box_for
from cqs.orgs.validators import validate_identifier

CA_COMMON_NAME = "CQS Demo Root CA"
CA_ORGANIZATION = "CQS demo — không dùng cho văn bản thật"
CA_VALIDITY = dt.timedelta(days=3652)  # 10 years
UNIT_VALIDITY = dt.timedelta(days=3 * 365)
# Reissue a unit certificate this long before it expires, so a signature never uses an expired one.
UNIT_RENEW_BEFORE = dt.timedelta(days=30)
PERSON_VALIDITY = UNIT_VALIDITY
TSA_VALIDITY = UNIT_VALIDITY
TSA_COMMON_NAME = "CQS Demo Timestamp Authority"
TSA_TIMEOUT_SECONDS = 10
# A private OID arc (2.25 = a UUID, ITU-T X.667: no registration needed) for the demo policies
# that say what a certificate is for. Real VGCA certificates carry the CA's own policy OIDs.
CQS_POLICY_ARC = "2.25.134985592220245971987367905178792938258"
SEAL_POLICY = x509.ObjectIdentifier(f"{CQS_POLICY_ARC}.1")  # chữ ký số của cơ quan, tổ chức (con dấu)
PERSON_POLICY = x509.ObjectIdentifier(f"{CQS_POLICY_ARC}.2")  # chữ ký số cá nhân (người có thẩm quyền)
SIGNER_KINDS = {SEAL_POLICY.dotted_string: "seal", PERSON_POLICY.dotted_string: "person"}

__all__ = [
    "CA",
    "SignatureCheck",
    "SignatureStamp",
    "pdf_sign",
    "pdf_verify",
    "person_certificate_ensure",
    "pki_ensure_demo_ca",
    "seal_box_for",
    "tsa_certificate_ensure",
    "unit_certificate_ensure",
]


@dataclass(frozen=True)
class CA:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


@dataclass(frozen=True)
class SignatureCheck:
    """The result of verifying one signature of a PDF."""

    field_name: str
    signer_cn: str
    # The signed byte ranges hash to the value in the signature (no byte was changed).
    intact: bool
    # The signature value itself verifies with the signer's public key.
    valid: bool
    # The signer's certificate chains to our CA with the right key usage.
    trusted: bool
    # The signing time the signer reported (no timestamp authority in the demo).
    signing_time: dt.datetime | None
    # The signature covers the whole file: nothing was appended after it.
    covers_whole_file: bool
    # The time of the RFC 3161 timestamp (PAdES B-T), None without one (B-B).
    timestamp_time: dt.datetime | None = None
    # The timestamp token is intact, valid and from a trusted TSA; None without one.
    timestamp_valid: bool | None = None
    # "seal" (an organisation's certificate), "person" (an official's), "" (unknown).
    signer_kind: str = ""
    # The O of the signer's certificate: the unit, or the unit of the official.
    signer_organization: str = ""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.timestamp_valid is not False


# --- files -------------------------------------------------------------------------------------


def _pki_dir() -> Path:
    path = Path(settings.DATA_DIR) / "pki"
    (path / "units").mkdir(mode=0o700, parents=True, exist_ok=True)
    (path / "persons").mkdir(mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)
    return path


@contextmanager
def _pki_lock():
    path = _pki_dir() / ".lock"
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    # A temporary file in the same directory, then rename: a crash never leaves half a key.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _key_pem(key) -> bytes:
    # Unencrypted PKCS#8, protected by file mode only: acceptable for demo keys, never for real ones.
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _store_pair(key_path: Path, cert_path: Path, key, cert: x509.Certificate) -> None:
    _write_atomic(key_path, _key_pem(key), mode=0o600)
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)


_pair_cache: dict[tuple, tuple] = {}
_pair_cache_lock = threading.Lock()
PAIR_CACHE_SIZE = 512


def _file_version(path: Path) -> tuple | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _load_pair(key_path: Path, cert_path: Path):
    """The pair stored at these paths, or None; parsed once per file version (see module doc)."""
    versions = (_file_version(key_path), _file_version(cert_path))
    if None in versions:
        return None
    with _pair_cache_lock:
        pair = _pair_cache.get(versions)
    if pair is not None:
        return pair
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except FileNotFoundError:
        return None
    with _pair_cache_lock:
        if len(_pair_cache) >= PAIR_CACHE_SIZE:
            _pair_cache.clear()
        _pair_cache[versions] = (key, cert)
    return key, cert


# --- certificate authority -------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _make_ca() -> CA:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA_ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CA(key=key, cert=cert)


def pki_ensure_demo_ca() -> CA:
    """The demo root CA under ``DATA_DIR/pki``, created on the first call (idempotent)."""
    pki = _pki_dir()
    key_path, cert_path = pki / "ca.key.pem", pki / "ca.cert.pem"
    pair = _load_pair(key_path, cert_path)
    if pair is None:
        with _pki_lock():
            # Re-read under the lock: another worker may have created it meanwhile.
            pair = _load_pair(key_path, cert_path)
            if pair is None:
                ca = _make_ca()
                _store_pair(key_path, cert_path, ca.key, ca.cert)
                return ca
    return CA(key=pair[0], cert=pair[1])


# --- unit certificates -------------------------------------------------------------------------


def _unit_identifier(unit) -> str:
    identifier = (getattr(unit, "identifier", "") or "").strip()
    try:
        validate_identifier(identifier)
    except ValidationError:
        # The identifier names the key file and goes into the certificate: it must be well-formed.
        raise ServiceError(
            "unit_identifier_missing",
            _("Đơn vị “%(name)s” chưa có mã định danh điện tử hợp lệ nên không thể cấp chứng thư số.")
            % {"name": unit.name},
            field="unit",
        ) from None
    return identifier


def _unit_subject(unit, identifier: str) -> x509.Name:
    # serialNumber (X.520 2.5.4.5), not OU: it is the standard attribute for an identifier of the
    # subject and is read as such by validators; OU is a human-readable unit name and would show
    # the code where people expect a name. The identifier also keeps two units with the same name
    # (e.g. two communes called “Xã Thanh Lãng” in different provinces) distinct.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, unit.name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, identifier),
            x509.NameAttribute(NameOID.COMMON_NAME, unit.name),
        ]
    )


def _issue(ca: CA, subject: x509.Name, key, *, validity: dt.timedelta, policy=None, eku=None):
    """An end-entity certificate for ``key`` under the demo CA, never outliving the CA."""
    now = _now()
    not_after = min(now + validity, ca.cert.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    if policy is not None:
        builder = builder.add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(policy, None)]), critical=False
        )
    if eku is not None:
        # RFC 3161 §2.3: a TSA certificate has exactly one, critical, extended key usage.
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
    return builder.sign(ca.key, hashes.SHA256())


def _make_unit_certificate(ca: CA, subject: x509.Name):
    key = ec.generate_private_key(ec.SECP256R1())
    return key, _issue(ca, subject, key, validity=UNIT_VALIDITY, policy=SEAL_POLICY)


def _make_person_certificate(ca: CA, subject: x509.Name):
    key = ec.generate_private_key(ec.SECP256R1())
    return key, _issue(ca, subject, key, validity=PERSON_VALIDITY, policy=PERSON_POLICY)


def _policies(cert: x509.Certificate) -> set[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.CertificatePolicies)
    except x509.ExtensionNotFound:
        return set()
    return {info.policy_identifier.dotted_string for info in ext.value}


def _certificate_current(cert: x509.Certificate, subject: x509.Name, ca: CA, policy) -> bool:
    return (
        cert.subject == subject
        and cert.issuer == ca.cert.subject
        and cert.not_valid_after_utc - UNIT_RENEW_BEFORE > _now()
        # Seal certificates made before the policies existed are reissued once, with it.
        and (policy is None or policy.dotted_string in _policies(cert))
        and cert.verify_directly_issued_by(ca.cert) is None
    )


def _is_current(pair, subject: x509.Name, ca: CA, policy=None) -> bool:
    if pair is None:
        return False
    try:
        return _certificate_current(pair[1], subject, ca, policy)
    except (InvalidSignature, ValueError, TypeError):
        # Signed by another CA key (the CA was recreated): reissue.
        return False


def _ensure_pair(key_path: Path, cert_path: Path, subject: x509.Name, ca: CA, *, policy, make):
    pair = _load_pair(key_path, cert_path)
    if _is_current(pair, subject, ca, policy):
        return pair
    with _pki_lock():
        # Re-read under the lock: another worker may have reissued it meanwhile.
        pair = _load_pair(key_path, cert_path)
        if not _is_current(pair, subject, ca, policy):
            pair = make(ca, subject)
            _store_pair(key_path, cert_path, *pair)
    return pair


def unit_certificate_ensure(*, unit):
    """The signing ``(key, certificate)`` of ``unit``, issued by the demo CA on first use.

    Idempotent: the same pair is returned while the unit's name stays the same and the
    certificate is not about to expire; a renamed unit gets a new certificate with its new name.
    """
    identifier = _unit_identifier(unit)
    ca = pki_ensure_demo_ca()
    units = _pki_dir() / "units"
    key_path, cert_path = units / f"{identifier}.key.pem", units / f"{identifier}.cert.pem"
    subject = _unit_subject(unit, identifier)
    return _ensure_pair(key_path, cert_path, subject, ca, policy=SEAL_POLICY, make=_make_unit_certificate)


# --- personal certificates ---------------------------------------------------------------------


def _person_name(user) -> str:
    # CQS keeps the Vietnamese full name whole (``User.full_name``: family name first), not split
    # into Django's first/last name.
    name = getattr(user, "full_name", "") or user.get_full_name() or ""
    return name.strip() or user.get_username()


def person_certificate_ensure(*, user, unit):
    """The personal signing ``(key, certificate)`` of official ``user`` working for ``unit``.

    Subject CN = the person's full name, O = the unit's name; issued by the demo CA on first use,
    reissued when the name or the unit's name changes or it is about to expire (like units).
    In production the pair lives on the official's VGCA USB token (``cqs.core.signing_external``).
    """
    if getattr(user, "pk", None) is None:
        raise ServiceError(
            "person_unknown", _("Người ký chưa có tài khoản nên không thể cấp chứng thư số."), field="signer"
        )
    ca = pki_ensure_demo_ca()
    persons = _pki_dir() / "persons"
    key_path, cert_path = persons / f"{int(user.pk)}.key.pem", persons / f"{int(user.pk)}.cert.pem"
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, unit.name),
            x509.NameAttribute(NameOID.COMMON_NAME, _person_name(user)),
        ]
    )
    return _ensure_pair(key_path, cert_path, subject, ca, policy=PERSON_POLICY, make=_make_person_certificate)


# --- timestamp authority -----------------------------------------------------------------------


def _make_tsa_certificate(ca: CA, subject: x509.Name):
    # RSA: pyHanko's DummyTimeStamper, which the local TSA (cqs.fakes.tsa) is built on, signs
    # with RSA only.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, _issue(ca, subject, key, validity=TSA_VALIDITY, eku=ExtendedKeyUsageOID.TIME_STAMPING)


def tsa_certificate_ensure():
    """The ``(key, certificate)`` of the demo timestamp authority, issued by the demo CA."""
    ca = pki_ensure_demo_ca()
    pki = _pki_dir()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA_ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, TSA_COMMON_NAME),
        ]
    )
    return _ensure_pair(
        pki / "tsa.key.pem", pki / "tsa.cert.pem", subject, ca, policy=None, make=_make_tsa_certificate
    )


# --- signing and verification ----------------------------------------------------------------------


def _invalid_pdf() -> ServiceError:
    return ServiceError("invalid_pdf", _("Tệp không phải là tài liệu PDF hợp lệ."), field="pdf")


def _reader(pdf: bytes) -> PdfFileReader:
    if not isinstance(pdf, bytes | bytearray) or not bytes(pdf[:1024]).lstrip().startswith(b"%PDF-"):
        raise _invalid_pdf()
    try:
        # strict=False: real scanners write slightly broken PDFs that every viewer accepts.
        reader = PdfFileReader(BytesIO(bytes(pdf)), strict=False)
        reader.root  # noqa: B018 (parses the trailer and catalogue now, not later)
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        raise _invalid_pdf() from None
    return reader


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _outside_event_loop(func, /, *args, **kwargs):
    """Call one of pyHanko's synchronous functions, which wrap ``asyncio.run()``.

    ``asyncio.run()`` refuses to start inside a thread whose event loop is running (an ASGI
    server, or Playwright's sync API in the same test process); there the call goes to a worker
    thread of its own and this thread waits for it.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return func(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args, **kwargs).result()


class _TsaUnavailable(Exception):
    """The timestamp authority could not be reached or answered badly."""


class _Timestamper(RequestsHTTPTimeStamper):
    # pyHanko calls the TSA twice (a dummy token to size the signature, then the real one) and
    # lets transport, HTTP and ASN.1 errors through as they are: one exception type here lets
    # pdf_sign tell a TSA failure from a PDF failure.
    async def async_timestamp(self, message_digest, md_algorithm):
        try:
            return await super().async_timestamp(message_digest, md_algorithm)
        except Exception as exc:
            raise _TsaUnavailable(str(exc)) from exc


def _timestamper() -> _Timestamper | None:
    url = (getattr(settings, "CQS_TSA_URL", "") or "").strip()
    return _Timestamper(url, timeout=TSA_TIMEOUT_SECONDS) if url else None


def _tsa_unavailable() -> ServiceError:
    return ServiceError(
        "tsa_unavailable",
        _(
            "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA). "
            "Tài liệu chưa được ký, vui lòng thử lại sau."
        ),
    )


def _simple_signer(key, cert: x509.Certificate, ca: CA) -> signers.SimpleSigner:
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(ca.cert)]),
    )


def _bytes_reserved(cert: x509.Certificate, ca: CA) -> int:
    """Room for the signature container when no timestamp goes in: its size is known closely.

    pyHanko otherwise builds and encodes a whole dummy signature first to measure it, a third of
    the time of a signature (bench/bench_signing.py). The container holds both certificates, the
    signed attributes (~300 bytes) and the signature value (72 bytes ECDSA, up to 512 RSA-4096);
    2 KiB covers the rest with room to spare. Doubled: the PDF stores it in hexadecimal.
    """
    der = serialization.Encoding.DER
    return 2 * (len(cert.public_bytes(der)) + len(ca.cert.public_bytes(der)) + 2048)


def _sign_failed() -> ServiceError:
    return ServiceError(
        "pdf_sign_failed",
        _("Không ký được tài liệu PDF này (tệp bị mã hóa hoặc ô chữ ký đã được ký)."),
        field="pdf",
    )


def pdf_sign(
    *,
    pdf: bytes,
    unit,
    reason: str,
    location: str = "",
    field_name: str = "Signature1",
    signer=None,
    stamp: SignatureStamp | None = None,
    timestamp: bool = False,
) -> bytes:
    """Sign ``pdf`` with a PAdES signature; return the signed PDF.

    ``signer=None`` signs with the seal certificate of ``unit``; ``signer=<user>`` with that
    official's personal certificate (O = ``unit``). ``stamp`` makes the signature visible
    (``SignatureStamp``, Decree 30 Appendix I); without it the signature is invisible.
    ``timestamp=True`` adds an RFC 3161 timestamp from ``settings.CQS_TSA_URL`` (PAdES B-T; B-B
    when that setting is empty) and raises ``tsa_unavailable`` if the TSA fails, returning nothing.

    The signature is added as an incremental update, so the original bytes stay as they were:
    sign again with another ``field_name`` to add a second signature (person, then seal).
    """
    _reader(pdf)  # refuse a non-PDF before touching keys
    if signer is None:
        key, cert = unit_certificate_ensure(unit=unit)
        name = unit.name
    else:
        key, cert = person_certificate_ensure(user=signer, unit=unit)
        name = _person_name(signer)
    ca = pki_ensure_demo_ca()
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason or None,
        location=location or None,
        name=name,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    try:
        writer = IncrementalPdfFileWriter(BytesIO(bytes(pdf)), strict=False)
        field_spec, style = field_appearance(
            writer=writer, field_name=field_name, stamp=stamp, signer_name=name, unit_name=unit.name
        )
        timestamper = _timestamper() if timestamp else None
        pdf_signer = signers.PdfSigner(
            meta,
            signer=_simple_signer(key, cert, ca),
            timestamper=timestamper,
            stamp_style=style,
            new_field_spec=field_spec,
        )
        # With a timestamp the token's size is the TSA's business: let pyHanko measure it.
        reserved = None if timestamper is not None else _bytes_reserved(cert, ca)
        out = _outside_event_loop(pdf_signer.sign_pdf, writer, bytes_reserved=reserved)
    except _TsaUnavailable:
        raise _tsa_unavailable() from None
    except (PdfError, SigningError):
        # e.g. an encrypted PDF, or a field of that name that is already signed.
        raise _sign_failed() from None
    return out.getvalue()


def _signer_cn(cert: asn1_x509.Certificate | None) -> str:
    if cert is None:
        return ""
    return cert.subject.native.get("common_name", "") or ""


def _signer_organization(cert: asn1_x509.Certificate | None) -> str:
    if cert is None:
        return ""
    return cert.subject.native.get("organization_name", "") or ""


def _signer_kind(cert: asn1_x509.Certificate | None) -> str:
    if cert is None:
        return ""
    for info in cert.certificate_policies_value or ():
        kind = SIGNER_KINDS.get(info["policy_identifier"].dotted)
        if kind:
            return kind
    # Seal certificates issued before the policies existed: the unit's identifier is the subject's
    # serialNumber, which no personal certificate of ours carries.
    serial = cert.subject.native.get("serial_number", "")
    try:
        validate_identifier(serial)
    except ValidationError:
        return ""
    return "seal"


def pdf_verify(*, pdf: bytes) -> list[SignatureCheck]:
    """Check every signature of ``pdf`` against the demo CA as the only trust root.

    The signer's and the timestamp authority's certificates must both chain to it. An empty list
    means the PDF has no signature. Nothing is fetched from the network.
    """
    reader = _reader(pdf)
    ca = pki_ensure_demo_ca()
    results = []
    for embedded in reader.embedded_signatures:
        context = ValidationContext(trust_roots=[_asn1_cert(ca.cert)], allow_fetching=False)
        ts_context = ValidationContext(trust_roots=[_asn1_cert(ca.cert)], allow_fetching=False)
        try:
            status = _outside_event_loop(
                validate_pdf_signature,
                embedded,
                signer_validation_context=context,
                ts_validation_context=ts_context,
            )
        except (SignatureValidationError, PdfError, ValueError):
            # A signature too damaged to evaluate is reported as broken, not raised.
            cert = getattr(embedded, "signer_cert", None)
            results.append(
                SignatureCheck(
                    field_name=embedded.field_name,
                    signer_cn=_signer_cn(cert),
                    intact=False,
                    valid=False,
                    trusted=False,
                    signing_time=None,
                    covers_whole_file=False,
                    signer_kind=_signer_kind(cert),
                    signer_organization=_signer_organization(cert),
                )
            )
            continue
        token = status.timestamp_validity
        token_ok = None if token is None else bool(token.intact and token.valid and token.trusted)
        results.append(
            SignatureCheck(
                field_name=embedded.field_name,
                signer_cn=_signer_cn(status.signing_cert),
                intact=status.intact,
                valid=status.valid,
                trusted=status.trusted,
                signing_time=status.signer_reported_dt,
                covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                timestamp_time=token.timestamp if token is not None else None,
                timestamp_valid=token_ok,
                signer_kind=_signer_kind(status.signing_cert),
                signer_organization=_signer_organization(status.signing_cert),
            )
        )
    return results
