"""Citizen sign-in through VNeID: the OpenID Connect client (authorization code flow + PKCE S256).

Authlib's Django client does the protocol: state and nonce kept in the session, the PKCE
verifier, the token request (client_secret_basic), the id_token's signature (RS256 from the
provider's JWKS), issuer, audience, expiry, nonce and at_hash. This module turns its many failure
modes into one ``VNeIDError`` with a Vietnamese message, and its claims into a ``VNeIDIdentity``.

What is standard OpenID Connect and what is our assumption about VNeID (the claim names of the
CCCD number and the phone number): docs/integrations/vneid.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.utils.translation import gettext as _
from joserfc.errors import JoseError

logger = logging.getLogger(__name__)

VNEID_PROVIDER = "vneid"

# How the current session was opened. A VNeID sign-in is a strong one for a citizen: the national
# identification system has proven who they are (Decree 69/2024/NĐ-CP, level 2 electronic
# identification account), which a password chosen at self-registration does not.
LOGIN_METHOD_SESSION_KEY = "cqs_login_method"
LOGIN_METHOD_PASSWORD = "password"  # noqa: S105 - the name of a sign-in method, not a secret
LOGIN_METHOD_VNEID = "vneid"

# Assumed claim names (VNeID's contract is not public): the CCCD number and the phone number.
CLAIM_CCCD = "citizen_id"
CLAIM_PHONE = "phone_number"  # standard OIDC claim
CLAIM_NAME = "name"  # standard OIDC claim
SCOPES = "openid profile phone"
HTTP_TIMEOUT = 10  # seconds for each call to the provider: a slow provider must not hang a worker


class VNeIDError(Exception):
    """A VNeID sign-in that cannot complete: ``code`` for tests and logs, ``message`` for people."""

    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class VNeIDIdentity:
    subject: str
    cccd: str
    full_name: str
    phone: str = ""


def vneid_enabled() -> bool:
    """VNeID sign-in is offered only when an issuer is configured (``CQS_VNEID_ISSUER``)."""
    return bool(settings.CQS_VNEID_ISSUER)


def vneid_client():
    """A client built from the settings of this moment (tests change them).

    Built per request: discovery is fetched at each step of a sign-in (two small GETs per
    sign-in), in exchange for never serving an issuer, secret or key set that has changed.
    """
    issuer = settings.CQS_VNEID_ISSUER.rstrip("/")
    oauth = OAuth()
    return oauth.register(
        name=VNEID_PROVIDER,
        client_id=settings.CQS_VNEID_CLIENT_ID,
        client_secret=settings.CQS_VNEID_CLIENT_SECRET,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": SCOPES,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
            "default_timeout": HTTP_TIMEOUT,
        },
    )


def _unavailable(exc: Exception) -> VNeIDError:
    logger.warning("VNeID unreachable: %s", type(exc).__name__)
    return VNeIDError("provider_unavailable", _("Không kết nối được VNeID, vui lòng thử lại sau."))


def vneid_authorize_redirect(request, *, redirect_uri: str):
    """The redirect that sends the browser to VNeID's sign-in page."""
    try:
        return vneid_client().authorize_redirect(request, redirect_uri)
    except requests.RequestException as exc:
        raise _unavailable(exc) from exc
    except (RuntimeError, ValueError, KeyError) as exc:
        # Discovery answered, but not with a usable OpenID configuration.
        logger.warning("VNeID discovery unusable: %s", type(exc).__name__)
        raise VNeIDError(
            "provider_unavailable", _("Không kết nối được VNeID, vui lòng thử lại sau.")
        ) from exc


def vneid_identity_from_callback(request) -> VNeIDIdentity:
    """Exchange the code VNeID sent back for validated claims, or raise ``VNeIDError``."""
    client = vneid_client()
    try:
        token = client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise VNeIDError(
                "bad_token", _("VNeID không trả về thông tin định danh hợp lệ, vui lòng thử lại.")
            )
        if not claims.get(CLAIM_CCCD) or not claims.get(CLAIM_NAME):
            # Some providers put only ``sub`` in the id_token and the rest behind /userinfo.
            extra = dict(client.userinfo(token=token))
            if extra.get("sub") != claims.get("sub"):  # OIDC Core 5.3.2: must be the same person
                raise VNeIDError("bad_token", _("VNeID trả về thông tin không khớp, vui lòng thử lại."))
            claims = extra | claims
    except MismatchingStateError as exc:
        raise VNeIDError(
            "state_mismatch", _("Phiên đăng nhập VNeID không hợp lệ hoặc đã hết hạn, vui lòng thử lại.")
        ) from exc
    except OAuthError as exc:
        if exc.error == "access_denied":
            raise VNeIDError("denied", _("Bạn đã hủy đăng nhập bằng VNeID.")) from exc
        logger.warning("VNeID refused the sign-in: %s", exc.error)
        raise VNeIDError("token_refused", _("VNeID từ chối yêu cầu đăng nhập, vui lòng thử lại.")) from exc
    except requests.RequestException as exc:
        raise _unavailable(exc) from exc
    except (JoseError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        # Signature, issuer, audience, expiry, nonce or at_hash wrong, or a malformed answer.
        logger.warning("VNeID id_token rejected: %s", type(exc).__name__)
        raise VNeIDError(
            "bad_token", _("VNeID không trả về thông tin định danh hợp lệ, vui lòng thử lại.")
        ) from exc

    subject, cccd, name = (str(claims.get(key) or "") for key in ("sub", CLAIM_CCCD, CLAIM_NAME))
    if not subject or not cccd or not name:
        raise VNeIDError(
            "missing_claims",
            _("VNeID không cung cấp đủ thông tin (số định danh cá nhân, họ và tên) để đăng nhập."),
        )
    return VNeIDIdentity(subject=subject, cccd=cccd, full_name=name, phone=str(claims.get(CLAIM_PHONE) or ""))


def session_login_method(request) -> str:
    """``LOGIN_METHOD_VNEID`` or ``LOGIN_METHOD_PASSWORD``; empty when nobody is signed in."""
    if not request.user.is_authenticated:
        return ""
    return request.session.get(LOGIN_METHOD_SESSION_KEY, LOGIN_METHOD_PASSWORD)


def session_is_strong_citizen_login(request) -> bool:
    """Whether a citizen's identity in this session was proven by VNeID (not only a password)."""
    return session_login_method(request) == LOGIN_METHOD_VNEID and request.user.is_citizen
