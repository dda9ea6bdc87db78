"""OAuth 2.0 client credentials (RFC 6749 §4.4) for the gateway: who may get a token, and the token.

A client subsystem authenticates with the ``client_id`` and secret of one of its OAuth
credentials (HTTP Basic, RFC 6749 §2.3.1, or both in the form body) and gets a short-lived
access token: a JWT after RFC 9068 (header ``typ: at+jwt``), signed ES256 with the gateway key
(``tokens.py``). Both data-plane engines verify it offline with the public key in the compiled
snapshot, and look its ``cid`` (the credential id) up in the snapshot's ``oauth_clients``: a
revoked credential stops working with the next generation, within seconds, even though tokens
already issued have not expired.

Signing uses ``joserfc``, the JOSE library of the Authlib project (Authlib 1.9 depends on it and
deprecates its own ``authlib.jose`` in its favour), so no JWT code is written here.

Brute force: wrong secrets are counted per client address and ``client_id`` (and per address
alone), with the limits of the login page (``AXES_FAILURE_LIMIT`` failures locks for
``AXES_COOLOFF_TIME`` hours, django-axes' settings); django-axes itself guards Django's own
``authenticate()``, which a client secret does not go through. The counters live in the default
cache: per process with the local-memory cache, shared with a shared cache.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.jwk import ECKey

from cqs.core import context
from cqs.lgsp import tokens
from cqs.lgsp.choices import CredentialKind
from cqs.lgsp.models import Credential

GRANT_TYPE = "client_credentials"
TOKEN_TYPE = "Bearer"  # noqa: S105 (the RFC 6750 token type, not a secret)
# Short: a token cannot be recalled, only its credential; five minutes bounds what a leaked token
# is worth, and the gateways drop a revoked credential's tokens at once anyway.
TOKEN_LIFETIME_SECONDS = 300
JWT_TYPE = "at+jwt"  # RFC 9068 §2.1
# Failures per address alone may be this many times the per-client limit (several clients behind
# one NAT mistyping their secrets should not lock each other out at once).
ADDRESS_FAILURE_FACTOR = 4
_FAILURE_PREFIX = "cqs:lgsp:oauth:failures"


class TokenError(Exception):
    """An RFC 6749 §5.2 error: ``error`` code, description for people, HTTP status."""

    def __init__(self, error: str, description: str, *, status: int = 400, retry_after: int | None = None):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.retry_after = retry_after

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class ClientAuth:
    client_id: str
    client_secret: str
    method: str  # "client_secret_basic" or "client_secret_post"


# --- tokens ------------------------------------------------------------------------------------


def _signing_key() -> ECKey:
    return ECKey.import_key(tokens.signing_key().private_pem)


def issue_access_token(credential: Credential, *, now=None) -> tuple[str, int]:
    """A signed access token for ``credential`` (an OAuth client) and its lifetime in seconds.

    The token never outlives its credential: one expiring in two minutes gets a two-minute token.
    """
    now = now or timezone.now()
    issued_at = int(now.timestamp())
    expires = issued_at + TOKEN_LIFETIME_SECONDS
    if credential.expires_at is not None:
        expires = min(expires, math.floor(credential.expires_at.timestamp()))
    expires_in = max(expires - issued_at, 0)
    jwt_config = tokens.jwt_snapshot()
    claims = {
        "iss": jwt_config["issuer"],
        "aud": jwt_config["audience"],
        "sub": credential.subsystem.xroad_id,
        "cid": str(credential.pk),
        "client_id": credential.client_id,
        "iat": issued_at,
        "exp": expires,
        "jti": str(uuid.uuid4()),
    }
    header = {"alg": tokens.ALGORITHM, "typ": JWT_TYPE}
    return jwt.encode(header, claims, _signing_key(), algorithms=[tokens.ALGORITHM]), expires_in


def decode_access_token(token: str) -> dict:
    """The claims of a token this platform signed (signature checked, nothing else): for tests
    and for the pages that show what a client got."""
    public = ECKey.import_key(tokens.signing_key().public_pem)
    return dict(jwt.decode(token, public, algorithms=[tokens.ALGORITHM]).claims)


# --- client authentication ---------------------------------------------------------------------


def client_auth_from(*, authorization: str, form: dict) -> ClientAuth | None:
    """The client's credentials from the Authorization header or the form, None if absent.

    RFC 6749 §2.3: a client uses one method per request; both at once is ``invalid_request``.
    """
    in_body = "client_id" in form or "client_secret" in form
    scheme, _space, value = authorization.partition(" ")
    if scheme.lower() == "basic":
        if in_body:
            raise TokenError("invalid_request", _("Chỉ dùng một cách xác thực ứng dụng trong một yêu cầu."))
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise TokenError(
                "invalid_client", _("Tiêu đề Authorization không đúng dạng Basic."), status=401
            ) from None
        raw_id, colon, raw_secret = decoded.partition(":")
        if not colon:
            raise TokenError("invalid_client", _("Tiêu đề Authorization không đúng dạng Basic."), status=401)
        # §2.3.1: both are form-urlencoded before base64.
        return ClientAuth(unquote_plus(raw_id), unquote_plus(raw_secret), "client_secret_basic")
    if authorization.strip():
        raise TokenError("invalid_client", _("Chỉ hỗ trợ xác thực ứng dụng bằng client_secret."), status=401)
    if not in_body:
        return None
    return ClientAuth(
        str(form.get("client_id", "")), str(form.get("client_secret", "")), "client_secret_post"
    )


def _address() -> str:
    return context.current().ip or "unknown"


def _failure_keys(client_id: str, address: str) -> tuple[str, str]:
    client = hashlib.sha256(client_id.encode()).hexdigest()[:32]
    return f"{_FAILURE_PREFIX}:{address}:{client}", f"{_FAILURE_PREFIX}:{address}"


def failure_limit() -> int:
    return max(int(getattr(settings, "AXES_FAILURE_LIMIT", 5)), 1)


def cooloff_seconds() -> int:
    return max(int(float(getattr(settings, "AXES_COOLOFF_TIME", 0.25)) * 3600), 1)


def _count_failure(key: str) -> None:
    if cache.add(key, 1, cooloff_seconds()):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, cooloff_seconds())


def _check_not_locked(client_id: str, address: str) -> None:
    pair, address_only = _failure_keys(client_id, address)
    if (cache.get(pair) or 0) >= failure_limit() or (
        cache.get(address_only) or 0
    ) >= failure_limit() * ADDRESS_FAILURE_FACTOR:
        raise TokenError(
            "temporarily_unavailable",
            _("Sai thông tin xác thực quá nhiều lần; vui lòng thử lại sau."),
            status=429,
            retry_after=cooloff_seconds(),
        )


def authenticate_client(auth: ClientAuth, *, now=None) -> Credential:
    """The live OAuth credential ``auth`` names, or ``TokenError("invalid_client")`` (401).

    An unknown id, a wrong secret, a revoked or expired credential and an inactive subsystem all
    answer the same, so that the answer tells a guesser nothing.
    """
    now = now or timezone.now()
    address = _address()
    _check_not_locked(auth.client_id, address)
    credential = (
        Credential.objects.select_related("subsystem__member")
        .filter(kind=CredentialKind.OAUTH_CLIENT, client_id=auth.client_id)
        .first()
        if auth.client_id
        else None
    )
    presented = hashlib.sha256(auth.client_secret.encode()).hexdigest()
    # Compared even for an unknown id, so that timing does not tell known ids apart.
    expected = credential.secret_sha256 if credential is not None else secrets.token_hex(32)
    matches = hmac.compare_digest(presented, expected)
    live = (
        credential is not None
        and matches
        and credential.revoked_at is None
        and (credential.expires_at is None or credential.expires_at > now)
        and credential.subsystem.active
    )
    pair, address_only = _failure_keys(auth.client_id, address)
    if not live:
        _count_failure(pair)
        _count_failure(address_only)
        raise TokenError("invalid_client", _("Xác thực ứng dụng không thành công."), status=401)
    cache.delete(pair)
    return credential


def token_grant(*, authorization: str, form: dict) -> dict:
    """Answer a token request (RFC 6749 §4.4.2): the §5.1 body, or ``TokenError`` (§5.2)."""
    auth = client_auth_from(authorization=authorization, form=form)
    if auth is None:
        raise TokenError("invalid_client", _("Thiếu thông tin xác thực ứng dụng."), status=401)
    credential = authenticate_client(auth)
    grant_type = str(form.get("grant_type", ""))
    if not grant_type:
        raise TokenError("invalid_request", _("Thiếu tham số grant_type."))
    if grant_type != GRANT_TYPE:
        raise TokenError("unsupported_grant_type", _("Chỉ hỗ trợ grant_type=client_credentials."))
    token, expires_in = issue_access_token(credential)
    return {"access_token": token, "token_type": TOKEN_TYPE, "expires_in": expires_in}
