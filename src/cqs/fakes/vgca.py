"""A stand-in for an official's VGCA USB token and its browser plug-in (``vgcaplugin.js``).

The real plug-in runs on the official's machine (a websocket at ``wss://127.0.0.1:8987``); the
token holds the personal key and never gives it out, it only signs. ``FakeUsbToken`` does the same
two things with the demo PKI's personal key (``cqs.core.signing.person_certificate_ensure``), so
tests and the browser demo can run ``external_sign_prepare`` → sign → ``external_sign_finish``
without hardware. Unlike the other fakes it needs Django (the key lives under ``DATA_DIR``).

The mapping of the plug-in's functions onto CQS is in docs/signing.md.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

SHA256_SIZE = 32


class FakeUsbToken:
    """The token of ``user``; ``unit`` defaults to the unit of the user's official profile."""

    def __init__(self, user, *, unit=None):
        from cqs.core.signing import person_certificate_ensure

        if unit is None:
            unit = user.official_profile.unit
        self._key, self._cert = person_certificate_ensure(user=user, unit=unit)

    def certificate_pem(self) -> bytes:
        return self._cert.public_bytes(serialization.Encoding.PEM)

    def sign(self, digest_or_bytes: bytes) -> bytes:
        """Sign with SHA-256: a 32-byte value is taken as the digest already made (as tokens that
        sign a hash do), anything longer as the data itself. ECDSA signatures come DER-encoded."""
        data = bytes(digest_or_bytes)
        prehashed = len(data) == SHA256_SIZE
        algorithm = utils.Prehashed(hashes.SHA256()) if prehashed else hashes.SHA256()
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(algorithm))
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), algorithm)
        raise TypeError("unsupported key type")
