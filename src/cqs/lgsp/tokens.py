"""The gateway's OAuth2 signing key: ES256, created under ``CQS_LGSP_DIR`` on first use.

Tokens are signed here (the control plane) and verified offline by both data-plane engines with
the public half, which the compiled configuration carries (``snapshot.py``): no call back to
Django on the hot path. HAProxy's ``jwt_verify`` reads a certificate, so a self-signed one wraps
the public key.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

ALGORITHM = "ES256"
AUDIENCE = "lgsp"
KEY_FILE = "jwt-signing-key.pem"
CERT_FILE = "jwt-signing-cert.pem"
LOCK_FILE = "jwt-signing-key.lock"
# Threads of one process (a request and the background publisher), then processes (web, worker,
# gateway): one creator at a time, and the others read what it made.
_create_lock = threading.Lock()


@dataclass(frozen=True)
class SigningKey:
    private_pem: bytes
    public_pem: str
    certificate_pem: str


def _key_dir() -> Path:
    path = Path(settings.CQS_LGSP_DIR) / "keys"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _create(directory: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CQS LGSP token signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    _write(directory / CERT_FILE, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    _write(
        directory / KEY_FILE,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


def _write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``path`` whole or not at all, through a temporary file of this writer."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _ensure(directory: Path) -> None:
    """Create the key and its certificate unless both exist, under a thread and a file lock, so
    that two first users never make two keys (and a certificate that does not match the key)."""
    if (directory / KEY_FILE).exists() and (directory / CERT_FILE).exists():
        return
    with _create_lock, open(directory / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            if not ((directory / KEY_FILE).exists() and (directory / CERT_FILE).exists()):
                _create(directory)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@cache
def _load(directory: str) -> SigningKey:
    path = Path(directory)
    _ensure(path)
    private_pem = (path / KEY_FILE).read_bytes()
    key = serialization.load_pem_private_key(private_pem, password=None)
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return SigningKey(private_pem, public_pem, (path / CERT_FILE).read_text())


def signing_key() -> SigningKey:
    return _load(str(_key_dir()))


def jwt_snapshot() -> dict:
    """What a data-plane engine needs to verify tokens: algorithm, issuer, audience, public key."""
    key = signing_key()
    return {
        "alg": ALGORITHM,
        "issuer": settings.CQS_SITE_URL.rstrip("/") + "/lgsp",
        "audience": AUDIENCE,
        "public_key_pem": key.public_pem,
        "certificate_pem": key.certificate_pem,
    }
