"""Signing with a key the server never holds: an official's USB token (VGCA plug-in).

In production the browser's ``vgcaplugin.js`` talks over a websocket to the plug-in on the
official's own machine (``wss://127.0.0.1:8987``), which asks the token to sign. CQS models that
as three steps (docs/signing.md):

1. ``external_sign_prepare``: the server adds the signature field (and its appearance) to the PDF
   as an incremental update, reserves room for the signature, hashes the signed byte ranges and
   builds the CMS signed attributes. It keeps that prepared PDF under ``DATA_DIR/pki/pending/``
   and returns an opaque, signed, time-limited token with the bytes the token must sign.
2. The client's token signs those bytes (``data_to_sign``, or its SHA-256 ``digest`` for tokens
   that sign a hash); in the tests ``cqs.fakes.vgca.FakeUsbToken`` stands in for it.
3. ``external_sign_finish``: the server checks that the certificate is the one prepared for and
   that the signature verifies, then embeds the CMS and returns the signed PDF. A token is used
   once; an unknown, tampered, used or expired one is refused.

pyHanko's interrupted signing (``PdfSigner.async_digest_doc_for_signing``,
``PdfTBSDocument.async_finish_signing``) does the PDF work.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from django.core import signing as django_signing
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko_certvalidator.registry import SimpleCertificateStore

from cqs.core.exceptions import ServiceError
from cqs.core.signing import (
    _asn1_cert,
    _outside_event_loop,
    _person_name,
    _pki_dir,
    _reader,
    _sign_failed,
    _timestamper,
    _tsa_unavailable,
    _TsaUnavailable,
    _write_atomic,
    person_certificate_ensure,
    pki_ensure_demo_ca,
)
from cqs.core.signing_stamps import SignatureStamp, field_appearance

# Long enough to plug in the token and type its PIN, short enough that a prepared document does
# not wait around for a signature.
PENDING_TTL = dt.timedelta(minutes=10)
TOKEN_SALT = "cqs.core.signing_external"  # noqa: S105 (a namespace for the signer, not a secret)
DIGEST_ALGORITHM = "sha256"
# Room reserved for the signature value: an RSA-4096 signature; ECDSA ones are far smaller.
SIGNATURE_PLACEHOLDER = 512


@dataclass(frozen=True)
class PreparedSigning:
    """What the client needs to have a document signed by its token."""

    token: str  # opaque; hand it back to external_sign_finish
    data_to_sign: bytes  # the DER-encoded CMS signed attributes
    digest: bytes  # SHA-256 of data_to_sign, for tokens that sign a hash
    digest_algorithm: str
    field_name: str
    expires_at: dt.datetime


def _pending_dir() -> Path:
    path = _pki_dir() / "pending"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _paths(pending_id: str) -> tuple[Path, Path]:
    folder = _pending_dir()
    return folder / f"{pending_id}.json", folder / f"{pending_id}.pdf"


def _sweep(folder: Path) -> None:
    # Prepared documents nobody came back for: kept twice the token's life, then removed.
    limit = time.time() - 2 * PENDING_TTL.total_seconds()
    for path in folder.glob("*.*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            continue


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _ca_store(ca) -> SimpleCertificateStore:
    return SimpleCertificateStore.from_certs([_asn1_cert(ca.cert)])


def external_sign_prepare(
    *,
    pdf: bytes,
    user,
    unit,
    reason: str,
    stamp: SignatureStamp | None = None,
    location: str = "",
    field_name: str = "Signature1",
    timestamp: bool = False,
) -> PreparedSigning:
    """Prepare ``pdf`` for a signature by ``user``'s token (see the module docstring).

    The certificate is the official's personal one (``person_certificate_ensure``); in production
    it is read from the token by the plug-in first and passed in its place.
    """
    _reader(pdf)
    _, cert = person_certificate_ensure(user=user, unit=unit)
    ca = pki_ensure_demo_ca()
    name = _person_name(user)
    timestamper = _timestamper() if timestamp else None
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason or None,
        location=location or None,
        name=name,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm=DIGEST_ALGORITHM,
    )
    placeholder = signers.ExternalSigner(
        signing_cert=_asn1_cert(cert),
        cert_registry=_ca_store(ca),
        signature_value=SIGNATURE_PLACEHOLDER,
    )

    async def prepare():
        writer = IncrementalPdfFileWriter(BytesIO(bytes(pdf)), strict=False)
        field_spec, style = field_appearance(
            writer=writer, field_name=field_name, stamp=stamp, signer_name=name, unit_name=unit.name
        )
        pdf_signer = signers.PdfSigner(
            meta, signer=placeholder, timestamper=timestamper, stamp_style=style, new_field_spec=field_spec
        )
        digest, tbs, output = await pdf_signer.async_digest_doc_for_signing(writer)
        attrs = await placeholder.signed_attrs(digest.document_digest, DIGEST_ALGORITHM, use_pades=True)
        return digest, tbs, output, attrs

    try:
        digest, _tbs, output, attrs = _outside_event_loop(asyncio.run, prepare())
    except _TsaUnavailable:
        raise _tsa_unavailable() from None
    except (PdfError, SigningError):
        raise _sign_failed() from None

    data_to_sign = attrs.dump()
    pending_id = secrets.token_urlsafe(18)
    meta_path, pdf_path = _paths(pending_id)
    _sweep(meta_path.parent)
    _write_atomic(pdf_path, output.getvalue(), mode=0o600)
    record = {
        "document_digest": digest.document_digest.hex(),
        "reserved_region_start": digest.reserved_region_start,
        "reserved_region_end": digest.reserved_region_end,
        "signed_attrs": base64.b64encode(data_to_sign).decode(),
        "certificate_sha256": _fingerprint(cert),
        "timestamp": bool(timestamper),
    }
    # The record last: its presence means the pending signature is complete.
    _write_atomic(meta_path, json.dumps(record).encode(), mode=0o600)
    token = django_signing.dumps({"id": pending_id}, salt=TOKEN_SALT)
    return PreparedSigning(
        token=token,
        data_to_sign=data_to_sign,
        digest=hashlib.sha256(data_to_sign).digest(),
        digest_algorithm=DIGEST_ALGORITHM,
        field_name=field_name,
        expires_at=dt.datetime.now(dt.UTC) + PENDING_TTL,
    )


def _refuse(code: str, message: str, field: str | None = None) -> ServiceError:
    return ServiceError(code, message, field=field)


def _unknown_token() -> ServiceError:
    return _refuse(
        "external_sign_unknown",
        _("Phiên ký số không tồn tại hoặc đã được dùng. Vui lòng thực hiện ký lại."),
        field="token",
    )


def _load_pending(token: str) -> tuple[str, dict]:
    try:
        payload = django_signing.loads(token, salt=TOKEN_SALT, max_age=PENDING_TTL)
    except django_signing.SignatureExpired:
        raise _refuse(
            "external_sign_expired",
            _("Phiên ký số đã hết hạn. Vui lòng thực hiện ký lại."),
            field="token",
        ) from None
    except django_signing.BadSignature:
        raise _unknown_token() from None
    pending_id = payload.get("id") if isinstance(payload, dict) else None
    if not isinstance(pending_id, str) or not pending_id.replace("-", "").replace("_", "").isalnum():
        raise _unknown_token()
    meta_path, _pdf_path = _paths(pending_id)
    try:
        return pending_id, json.loads(meta_path.read_text())
    except (FileNotFoundError, ValueError):
        raise _unknown_token() from None


def _normalised_signature(public_key, signature: bytes) -> bytes:
    """The signature as CMS wants it; some tokens give ECDSA as raw r||s instead of DER."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        size = (public_key.curve.key_size + 7) // 8
        if len(signature) == 2 * size:
            try:
                utils.decode_dss_signature(signature)
            except ValueError:
                r = int.from_bytes(signature[:size], "big")
                s = int.from_bytes(signature[size:], "big")
                return utils.encode_dss_signature(r, s)
    return signature


def _verify(public_key, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def external_sign_finish(*, token: str, signature: bytes, certificate_pem: bytes) -> bytes:
    """Embed the token's ``signature`` in the prepared PDF of ``token``; return the signed PDF.

    Refused (``ServiceError``): ``external_sign_unknown`` (unknown, tampered or used token),
    ``external_sign_expired``, ``external_sign_certificate_mismatch`` (not the certificate the
    document was prepared for), ``external_sign_bad_signature`` (does not verify);
    ``tsa_unavailable`` when a timestamp was asked for and the TSA fails (the token stays usable).
    """
    pending_id, record = _load_pending(token)
    try:
        cert = x509.load_pem_x509_certificate(bytes(certificate_pem))
    except (ValueError, TypeError):
        cert = None
    if cert is None or _fingerprint(cert) != record["certificate_sha256"]:
        raise _refuse(
            "external_sign_certificate_mismatch",
            _("Chứng thư số trên thiết bị ký không phải chứng thư đã dùng khi chuẩn bị ký."),
            field="certificate",
        )
    data_to_sign = base64.b64decode(record["signed_attrs"])
    value = _normalised_signature(cert.public_key(), bytes(signature))
    if not _verify(cert.public_key(), value, data_to_sign):
        raise _refuse(
            "external_sign_bad_signature",
            _("Chữ ký số từ thiết bị ký không hợp lệ với tài liệu đã chuẩn bị."),
            field="signature",
        )

    meta_path, pdf_path = _paths(pending_id)
    try:
        prepared = pdf_path.read_bytes()
    except FileNotFoundError:
        raise _unknown_token() from None
    ca = pki_ensure_demo_ca()
    signer = signers.ExternalSigner(
        signing_cert=_asn1_cert(cert), cert_registry=_ca_store(ca), signature_value=value
    )
    timestamper = _timestamper() if record.get("timestamp") else None
    attrs = cms.CMSAttributes.load(data_to_sign)
    digest = PreparedByteRangeDigest(
        document_digest=bytes.fromhex(record["document_digest"]),
        reserved_region_start=record["reserved_region_start"],
        reserved_region_end=record["reserved_region_end"],
    )
    output = BytesIO(prepared)

    async def finish():
        signed_cms = await signer.async_sign_prescribed_attributes(
            DIGEST_ALGORITHM, signed_attrs=attrs, timestamper=timestamper
        )
        await PdfTBSDocument.async_finish_signing(output, prepared_digest=digest, signature_cms=signed_cms)

    try:
        _outside_event_loop(asyncio.run, finish())
    except _TsaUnavailable:
        raise _tsa_unavailable() from None
    except (PdfError, SigningError, ValueError):
        raise _sign_failed() from None
    # Used once: a second finish with the same token finds nothing. Unlinking the record is the
    # claim; if another request claimed it first, this one fails rather than sign twice.
    try:
        os.unlink(meta_path)
    except FileNotFoundError:
        raise _unknown_token() from None
    pdf_path.unlink(missing_ok=True)
    return output.getvalue()
