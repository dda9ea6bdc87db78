"""A fake VNeID-style OpenID Connect provider (authorization code flow with PKCE S256).

Standard OpenID Connect Core 1.0 and OAuth 2.0 (RFC 6749, RFC 7636 PKCE, RFC 6750 bearer
tokens), with the claims we assume VNeID releases: ``citizen_id`` (the 12-digit CCCD number),
``phone_number``, ``name``, ``birthdate``. See docs/integrations/vneid.md for what is standard
and what is our assumption.

A plain WSGI application: standard library and joserfc only, no Django, state in memory.
``app.state`` shows what was issued and ``app.reset()`` forgets it (tests). ``app.issuer`` may be
set after the server starts, when the port is only known then::

    app = make_app(issuer="", client_id="cqs", client_secret="s")
    running = serve_in_thread(app)
    app.issuer = running.url
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit, urlunsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CODE_TTL = 60  # seconds an authorization code may wait for the token request
TOKEN_TTL = 600  # seconds an access token and an id_token stay valid
PENDING_TTL = 600  # seconds the sign-in page may stay open
CLAIMS_SUPPORTED = [
    *("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash"),
    *("name", "birthdate", "phone_number", "citizen_id"),
]
_CCCD_RE = re.compile(r"^\d{12}$")
# RFC 7636 section 4.1: 43 to 128 characters of [A-Z] [a-z] [0-9] - . _ ~
_VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


@dataclass(frozen=True)
class Identity:
    cccd: str
    name: str
    phone: str = ""
    birthdate: str = ""

    @property
    def subject(self) -> str:
        # Stable across restarts of the fake, so that a demo account stays linked; opaque, so
        # that the CCCD number is not readable from the subject.
        return "vneid-" + hashlib.sha256(f"cqs-fake-vneid:{self.cccd}".encode()).hexdigest()[:32]


# 026 is the province code of Vĩnh Phúc in CCCD numbers; the 4th digit is century and sex
# (0 man / 1 woman born in the 1900s, 2 man born in the 2000s), then the year of birth.
DEMO_IDENTITIES: tuple[Identity, ...] = (
    Identity(cccd="026090001234", name="Nguyễn Văn An", phone="0912345678", birthdate="1990-05-12"),
    Identity(cccd="026185004321", name="Trần Thị Bình", phone="0987654321", birthdate="1985-09-02"),
    Identity(cccd="026201007788", name="Lê Minh Cường", phone="0356789012", birthdate="2001-03-26"),
)


@dataclass
class FakeState:
    """Everything the fake has issued; tests read it, ``reset()`` empties it."""

    pending: dict[str, dict] = field(default_factory=dict)  # sign-in pages shown, by request id
    codes: dict[str, dict] = field(default_factory=dict)  # authorization codes not yet redeemed
    used_codes: dict[str, list[str]] = field(default_factory=dict)  # redeemed code -> its tokens
    tokens: dict[str, dict] = field(default_factory=dict)  # access tokens -> grant
    token_requests: list[dict] = field(default_factory=list)  # how each /token call authenticated


class OAuthFailure(Exception):
    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636 section 4.2)."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


class FakeVNeID:
    def __init__(self, *, issuer: str, client_id: str, client_secret: str, redirect_uris=None):
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = list(redirect_uris) if redirect_uris else None
        self.identities = list(DEMO_IDENTITIES)
        self.key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
        self.state = FakeState()
        self._lock = threading.Lock()
        self._routes = {
            "/.well-known/openid-configuration": self.discovery,
            "/jwks": self.jwks,
            "/authorize": self.authorize,
            "/token": self.token,
            "/userinfo": self.userinfo,
        }

    def reset(self) -> None:
        with self._lock:
            self.state = FakeState()

    # --- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        handler = self._routes.get(environ.get("PATH_INFO", ""))
        if handler is None:
            status, headers, body = self._json({"error": "not_found"}, 404)
        else:
            status, headers, body = handler(environ)
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    def _issuer(self, environ) -> str:
        if self.issuer:
            return self.issuer
        return f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', 'localhost')}"

    @staticmethod
    def _json(data, status: int = 200, extra_headers=()):
        body = json.dumps(data, ensure_ascii=False).encode()
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Pragma", "no-cache"),
            *extra_headers,
        ]
        return status, headers, body

    @staticmethod
    def _html(text: str, status: int = 200):
        body = text.encode()
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
        return status, headers, body

    @staticmethod
    def _redirect(url: str):
        return 302, [("Location", url), ("Content-Length", "0"), ("Cache-Control", "no-store")], b""

    @staticmethod
    def _form(environ) -> dict[str, str]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else ""
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    @staticmethod
    def _query(environ) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}

    # --- discovery ---------------------------------------------------------------------------

    def discovery(self, environ):
        issuer = self._issuer(environ)
        return self._json(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "userinfo_endpoint": f"{issuer}/userinfo",
                "jwks_uri": f"{issuer}/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "profile", "phone"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": CLAIMS_SUPPORTED,
            }
        )

    def jwks(self, environ):
        return self._json(KeySet([self.key]).as_dict(private=False))

    # --- authorization endpoint --------------------------------------------------------------

    def authorize(self, environ):
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            return self._authorize_page(environ)
        if method == "POST":
            return self._authorize_decision(environ)
        return self._json({"error": "invalid_request", "error_description": "method not allowed"}, 405)

    def _authorize_page(self, environ):
        params = self._query(environ)
        # RFC 6749 section 4.1.2.1: a bad client or redirect URI is shown, never redirected to.
        if params.get("client_id") != self.client_id:
            return self._error_page("Ứng dụng (client_id) không được đăng ký với VNeID.")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri or urlsplit(redirect_uri).scheme not in ("http", "https"):
            return self._error_page("Thiếu địa chỉ chuyển hướng (redirect_uri) hợp lệ.")
        if self.redirect_uris is not None and redirect_uri not in self.redirect_uris:
            return self._error_page("Địa chỉ chuyển hướng (redirect_uri) không được đăng ký.")

        state = params.get("state", "")

        def refuse(error: str, description: str):
            reply = {"error": error, "error_description": description}
            if state:
                reply["state"] = state
            return self._redirect(_with_query(redirect_uri, reply))

        if params.get("response_type") != "code":
            return refuse("unsupported_response_type", "only response_type=code is supported")
        scopes = params.get("scope", "").split()
        if "openid" not in scopes:
            return refuse("invalid_scope", "scope must contain openid")
        if not state:
            return refuse("invalid_request", "state is required")
        if not params.get("nonce"):
            return refuse("invalid_request", "nonce is required")
        if not params.get("code_challenge"):
            return refuse("invalid_request", "code_challenge is required (PKCE)")
        if params.get("code_challenge_method") != "S256":
            return refuse("invalid_request", "code_challenge_method must be S256")

        request_id = secrets.token_urlsafe(16)
        with self._lock:
            self.state.pending[request_id] = {
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "nonce": params["nonce"],
                "scopes": scopes,
                "code_challenge": params["code_challenge"],
                "expires_at": time.time() + PENDING_TTL,
            }
        return self._html(self._sign_in_page(request_id))

    def _authorize_decision(self, environ):
        form = self._form(environ)
        with self._lock:
            pending = self.state.pending.pop(form.get("request_id", ""), None)
        if pending is None or pending["expires_at"] < time.time():
            return self._error_page("Phiên đăng nhập đã hết hạn hoặc không tồn tại. Vui lòng thử lại từ đầu.")

        def back(params: dict[str, str]):
            return self._redirect(_with_query(pending["redirect_uri"], params | {"state": pending["state"]}))

        if form.get("action") == "deny":
            return back({"error": "access_denied", "error_description": "the citizen refused"})
        identity = self._chosen_identity(form)
        if identity is None:
            # Put the request back so that the person can correct the typed number.
            request_id = secrets.token_urlsafe(16)
            with self._lock:
                self.state.pending[request_id] = pending
            message = "Số định danh cá nhân phải gồm đúng 12 chữ số và phải nhập họ tên."
            return self._html(self._sign_in_page(request_id, error=message), 400)

        code = secrets.token_urlsafe(24)
        with self._lock:
            self.state.codes[code] = {
                "client_id": pending["client_id"],
                "redirect_uri": pending["redirect_uri"],
                "nonce": pending["nonce"],
                "scopes": pending["scopes"],
                "code_challenge": pending["code_challenge"],
                "identity": identity,
                "expires_at": time.time() + CODE_TTL,
            }
        return back({"code": code})

    def _chosen_identity(self, form: dict[str, str]) -> Identity | None:
        chosen = form.get("identity", "")
        for identity in self.identities:
            if chosen and chosen == identity.cccd:
                return identity
        cccd = form.get("cccd", "").strip()
        name = " ".join(form.get("name", "").split())
        if _CCCD_RE.match(cccd) and name:
            known = next((i for i in self.identities if i.cccd == cccd), None)
            if known is not None:
                return known
            return Identity(cccd=cccd, name=name, phone=form.get("phone", "").strip())
        return None

    def _sign_in_page(self, request_id: str, *, error: str = "") -> str:
        esc = html.escape
        rid = esc(request_id)
        buttons = "\n".join(
            f"""<form method="post" action="authorize"><input type="hidden" name="request_id" value="{rid}">
<button type="submit" name="identity" value="{esc(i.cccd)}">{esc(i.name)} — {esc(i.cccd)}</button>
</form>"""
            for i in self.identities
        )
        error_html = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
        return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>VNeID (giả lập)</title></head>
<body>
<h1>Đăng nhập bằng tài khoản định danh điện tử VNeID (giả lập)</h1>
<p>Đây là máy chủ giả lập dùng cho bản trình diễn và kiểm thử, không phải VNeID thật.</p>
{error_html}
<h2>Chọn một công dân mẫu</h2>
{buttons}
<h2>Hoặc nhập thông tin</h2>
<form method="post" action="authorize" id="typed-identity">
<input type="hidden" name="request_id" value="{rid}">
<label>Số định danh cá nhân (12 chữ số) <input name="cccd" inputmode="numeric" maxlength="12"></label>
<label>Họ và tên <input name="name"></label>
<label>Số điện thoại <input name="phone"></label>
<button type="submit">Đăng nhập</button>
</form>
<form method="post" action="authorize"><input type="hidden" name="request_id" value="{rid}">
<button type="submit" name="action" value="deny">Từ chối</button></form>
</body></html>"""

    def _error_page(self, message: str):
        page = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>VNeID (giả lập)</title></head>
<body><h1>Không thể đăng nhập</h1><p role="alert">{html.escape(message)}</p></body></html>"""
        return self._html(page, 400)

    # --- token endpoint ----------------------------------------------------------------------

    def _client_authenticated(self, environ, form: dict[str, str]) -> tuple[str, str, str] | None:
        header = environ.get("HTTP_AUTHORIZATION", "")
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
                raw_id, raw_secret = decoded.split(":", 1)
            except (ValueError, UnicodeDecodeError):
                return None
            # RFC 6749 section 2.3.1: both parts are form-urlencoded before base64.
            return "client_secret_basic", unquote_plus(raw_id), unquote_plus(raw_secret)
        if "client_secret" in form:
            return "client_secret_post", form.get("client_id", ""), form["client_secret"]
        return None

    def token(self, environ):
        if environ.get("REQUEST_METHOD") != "POST":
            return self._json({"error": "invalid_request", "error_description": "POST required"}, 405)
        form = self._form(environ)
        try:
            return self._json(self._exchange(environ, form))
        except OAuthFailure as failure:
            extra = [("WWW-Authenticate", 'Basic realm="vneid"')] if failure.status == 401 else []
            body = {"error": failure.error, "error_description": failure.description}
            return self._json(body, failure.status, extra)

    def _exchange(self, environ, form: dict[str, str]) -> dict:
        auth = self._client_authenticated(environ, form)
        if auth is None:
            raise OAuthFailure("invalid_client", "client authentication required", 401)
        method, client_id, secret = auth
        if not (
            secrets.compare_digest(client_id.encode(), self.client_id.encode())
            and secrets.compare_digest(secret.encode(), self.client_secret.encode())
        ):
            raise OAuthFailure("invalid_client", "unknown client or wrong secret", 401)
        with self._lock:
            self.state.token_requests.append({"auth_method": method, "client_id": client_id})
        if form.get("grant_type") != "authorization_code":
            raise OAuthFailure("unsupported_grant_type", "only authorization_code is supported")
        code = form.get("code", "")
        if not code:
            raise OAuthFailure("invalid_request", "code is required")
        with self._lock:
            grant = self.state.codes.pop(code, None)
            if grant is None:
                # RFC 6749 section 4.1.2: a code used twice revokes what it already issued.
                for token in self.state.used_codes.get(code, []):
                    self.state.tokens.pop(token, None)
                raise OAuthFailure("invalid_grant", "unknown, expired or already used code")
            self.state.used_codes[code] = []
        if grant["expires_at"] < time.time():
            raise OAuthFailure("invalid_grant", "code expired")
        if grant["client_id"] != client_id:
            raise OAuthFailure("invalid_grant", "code was issued to another client")
        if form.get("redirect_uri", "") != grant["redirect_uri"]:
            raise OAuthFailure("invalid_grant", "redirect_uri does not match the authorization request")
        verifier = form.get("code_verifier", "")
        if not _VERIFIER_RE.match(verifier):
            raise OAuthFailure("invalid_grant", "code_verifier is missing or malformed")
        if not secrets.compare_digest(s256(verifier), grant["code_challenge"]):
            raise OAuthFailure("invalid_grant", "code_verifier does not match code_challenge")

        identity: Identity = grant["identity"]
        access_token = secrets.token_urlsafe(32)
        now = int(time.time())
        claims = {
            "iss": self._issuer(environ),
            "aud": client_id,
            "sub": identity.subject,
            "iat": now,
            "exp": now + TOKEN_TTL,
            "auth_time": now,
            "nonce": grant["nonce"],
            # OIDC Core 3.1.3.6: left half of the SHA-256 of the access token.
            "at_hash": _b64url(hashlib.sha256(access_token.encode()).digest()[:16]),
            **self._identity_claims(identity, grant["scopes"]),
        }
        id_token = jwt.encode({"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}, claims, self.key)
        with self._lock:
            self.state.tokens[access_token] = {
                "identity": identity,
                "scopes": grant["scopes"],
                "expires_at": now + TOKEN_TTL,
            }
            self.state.used_codes[code].append(access_token)
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "id_token": id_token,
            "scope": " ".join(grant["scopes"]),
        }

    @staticmethod
    def _identity_claims(identity: Identity, scopes: list[str]) -> dict[str, str]:
        # citizen_id comes with "openid" itself: the CCCD number is what VNeID identifies.
        claims = {"citizen_id": identity.cccd}
        if "profile" in scopes:
            claims["name"] = identity.name
            if identity.birthdate:
                claims["birthdate"] = identity.birthdate
        if "phone" in scopes and identity.phone:
            claims["phone_number"] = identity.phone
        return claims

    # --- userinfo ----------------------------------------------------------------------------

    def userinfo(self, environ):
        header = environ.get("HTTP_AUTHORIZATION", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        with self._lock:
            grant = self.state.tokens.get(token) if token else None
        if grant is None or grant["expires_at"] < time.time():
            challenge = 'Bearer realm="vneid", error="invalid_token"'
            return self._json(
                {"error": "invalid_token", "error_description": "missing, unknown or expired access token"},
                401,
                [("WWW-Authenticate", challenge)],
            )
        identity: Identity = grant["identity"]
        return self._json({"sub": identity.subject, **self._identity_claims(identity, grant["scopes"])})


def make_app(*, issuer: str, client_id: str, client_secret: str, redirect_uris=None) -> FakeVNeID:
    """A fake provider for one registered client. ``issuer=""`` takes the issuer from each
    request's Host header; ``redirect_uris=None`` accepts any http(s) redirect URI."""
    return FakeVNeID(
        issuer=issuer, client_id=client_id, client_secret=client_secret, redirect_uris=redirect_uris
    )
