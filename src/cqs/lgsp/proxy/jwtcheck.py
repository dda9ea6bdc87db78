"""Offline verification of the gateway's OAuth2 access tokens (ES256 JWTs, RFC 9068 style).

The control plane signs (``cqs.lgsp.tokens``); the proxy verifies with the public key in the
snapshot and never calls back. A verified token is cached for its lifetime, keyed by the token
itself, so the steady-state cost is a dict lookup; ``exp`` and the client's standing in the current
snapshot are checked on every call, so revocation does not wait for the token to expire.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import OrderedDict
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_pem_public_key

ALGORITHM = "ES256"
# Verified tokens remembered (a token lives 5 minutes; clients reuse theirs).
CACHE_SIZE = 10_000
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


class Claims(NamedTuple):
    sub: str
    cid: str
    exp: float


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


class TokenVerifier:
    """Checks signature, ``alg``, ``iss`` and ``aud``; returns the claims the gateway needs."""

    def __init__(self, *, public_key_pem: str, issuer: str, audience: str, cache_size: int = CACHE_SIZE):
        key = load_pem_public_key(public_key_pem.encode())
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise ValueError("the snapshot's JWT key is not a P-256 public key")
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.config = (public_key_pem, issuer, audience)
        self.cache_size = cache_size
        self._cache: OrderedDict[str, Claims] = OrderedDict()

    def claims(self, token: str) -> Claims | None:
        """The token's claims if it is genuine, else None. Expiry is the caller's check."""
        cached = self._cache.get(token)
        if cached is not None:
            self._cache.move_to_end(token)
            return cached
        claims = self._verify(token)
        if claims is not None:
            self._cache[token] = claims
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return claims

    def _verify(self, token: str) -> Claims | None:
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            header = json.loads(_b64url(header_b64))
            if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
                return None
            signature = _b64url(signature_b64)
            if len(signature) != 64:  # JWS ES256: R and S, 32 bytes each (RFC 7518 §3.4)
                return None
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            self.key.verify(der, f"{header_b64}.{payload_b64}".encode("ascii"), _ECDSA_SHA256)
            payload = json.loads(_b64url(payload_b64))
        except (ValueError, TypeError, binascii.Error, InvalidSignature, UnicodeError):
            return None
        if not isinstance(payload, dict):
            return None
        sub, cid, exp = payload.get("sub"), payload.get("cid"), payload.get("exp")
        if isinstance(cid, int) and not isinstance(cid, bool):
            cid = str(cid)
        if (
            payload.get("iss") != self.issuer
            or payload.get("aud") != self.audience
            or not isinstance(sub, str)
            or not isinstance(cid, str)
            or not isinstance(exp, int | float)
            or isinstance(exp, bool)
        ):
            return None
        return Claims(sub, cid, exp)
