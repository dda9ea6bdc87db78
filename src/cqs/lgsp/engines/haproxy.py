"""The HAProxy engine: the snapshot compiled into an HAProxy 2.6 configuration (docs/lgsp.md#engines).

``render()`` turns a snapshot into ``haproxy.cfg`` and map files; the gateway's whole behaviour
(authentication, X-Road-Client, service lookup and metaservices, grants and endpoint prefixes,
rate limit and daily quota, forwarding, error bodies, hashes, the access log) is plain HAProxy
configuration: map lookups, stick tables and variables, no Lua.

Layout of a generation (``generations/<n>/haproxy/``)::

    haproxy.cfg        global/defaults, the ``lgsp`` frontend, one backend per service, ``meta``
    apikeys.map        sha256(key) hex       → client
    oauth.map          credential id (cid)   → client
    services.map       service id            → backend name
    subsystems.map     subsystem id          → 1 (metaservice targets)
    grants.map         "client|service"      → "<grant hash>;<rate/min>;<quota or -1>;<0|1 endpoints>"
    endpoints.map      "<grant hash>|<METHOD or *>|<prefix>/" (map_beg) → 1
    jwt-public.pem     the token signer's public key (HAProxy 2.6's jwt_verify takes the public
                       key PEM; the self-signed certificate is refused as "file not found")

``CQS_LGSP_DIR/haproxy/current`` is a symlink to the live generation's directory; the master is
started with ``-f current/haproxy.cfg`` and its CLI on ``haproxy/master.sock``, so applying a
generation is: render, ``haproxy -c``, swap the symlink, ``reload`` on the master CLI, check that
a new worker came up, otherwise swap back and reload again (rolled back).

Stick tables live in a ``peers`` section whose only peer is the local process (over a UNIX
socket), so that on a reload the old worker hands its rate and quota counters to the new one.
Counter keys are a hash of the grant key, stable across generations.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from cqs.lgsp import errors
from cqs.lgsp.engines import Applied, EngineError
from cqs.lgsp.engines.builtin import check_snapshot
from cqs.lgsp.identifiers import METASERVICES

CONFIG_FILE = "haproxy.cfg"
SUBDIR = "haproxy"
CURRENT_LINK = "current"
MASTER_SOCKET = "master.sock"
MASTER_PID = "master.pid"
PEER_SOCKET = "peers.sock"
CA_FILE = "/etc/ssl/certs/ca-certificates.crt"
# A request body up to HASH_BODY_LIMIT must fit in one buffer with the headers and the rewrite
# reserve, so that "option http-buffer-request" holds all of it for req.body. 96 KiB buffers stay
# in HAProxy 2.6's per-thread pool cache (512 KiB); 288 KiB ones went back to malloc at each call,
# with page faults (measured: 4.8 faults and +45 % CPU per call).
BUFSIZE = errors.HASH_BODY_LIMIT + 32 * 1024
# How long `apply` waits for the master to show a new worker after "reload".
RELOAD_WAIT_SECONDS = 10.0
# How long a reload waits for the new worker to take over the rate and quota counters.
PEERS_SYNC_SECONDS = 3.0
PEERS_RESYNC_LOCAL_DONE = 0x1
COLD_START_SYNC_SECONDS = 6.0  # PEERS_F_RESYNC_LOCAL in HAProxy's peers.c
# Old workers finish their requests in flight, then stop (at the latest after this).
HARD_STOP_AFTER = "30s"
PART = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
SERVICE_PATH_REGEX = f"^/r1/{PART}/{PART}/{PART}/{PART}/{PART}(/|$)"
REST_PREFIX_REGEX = "^/r1/[^/]*/[^/]*/[^/]*/[^/]*/[^/]*"
CLIENT_ID_REGEX = "^[A-Za-z0-9._:-]{1,64}$"
NO_QUOTA = -1


def _lf_escape(text: str) -> str:
    """Text for a single-quoted log-format string: '%' doubled; a single quote cannot appear."""
    return text.replace("%", "%%").replace("'", "\\u0027")


def error_body_format(error: errors.GatewayError) -> str:
    """The JSON error body as an HAProxy log-format string (the detail is the X-Road-Id)."""
    body = json.dumps(
        {"type": error.type, "message": error.message, "detail": "@@DETAIL@@"}, ensure_ascii=False
    )
    return _lf_escape(body).replace("@@DETAIL@@", "%[var(txn.rid)]")


def _return(error: errors.GatewayError, condition: str, *, extra: str = "") -> list[str]:
    return [
        f"    http-request return status {error.status} content-type "
        f"\"application/json;charset=utf-8\" lf-string '{error_body_format(error)}' "
        f"hdr X-Road-Error {error.type}{extra} if {condition}",
    ]


def grant_hash(key: str) -> str:
    """A short, stable stick-table key for a grant (the same grant keeps its counters)."""
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def _backend_name(index: int) -> str:
    return f"svc{index}"


def _hostport(parts) -> tuple[str, int, str]:
    """(address for the server line, port, Host header) of an upstream URL."""
    host = parts.hostname
    default = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port or default
    except ValueError as exc:
        raise EngineError(f"{parts.geturl()!r}: {exc}") from exc
    shown = f"[{host}]" if ":" in host else host
    header = shown if port == default else f"{shown}:{port}"
    address = f"ipv6@{host}:{port}" if ":" in host else f"{host}:{port}"
    return address, port, header


def _config_value(text: str) -> str:
    """A value for an unquoted config word: the characters HAProxy's parser treats specially."""
    for char in " \t#'\"\\":
        if char in text:
            raise EngineError(f"value {text!r} cannot be written into the HAProxy configuration")
    return text


def _backend(name: str, service_id: str, service: dict) -> list[str]:
    parts = urlsplit(service["upstream"])
    address, _port, host_header = _hostport(parts)
    timeout = int(service["timeout_ms"])
    prefix = _config_value(parts.path.rstrip("/").replace("%", "%%"))
    server = f"    server upstream {_config_value(address)}"
    if parts.scheme == "https":
        server += (
            f" ssl verify required ca-file {CA_FILE} sni str({parts.hostname}) verifyhost {parts.hostname}"
        )
    return [
        f"backend {name}",
        f"    timeout connect {timeout}ms",
        f"    timeout server {timeout}ms",
        # The rest of the path after /r1/<service id>/ (the query string is kept by set-path).
        f"    http-request set-path {prefix}/%[path,bytes({len(f'/r1/{service_id}/'.encode())})]",
        f"    http-request set-header Host {_config_value(host_header)}",
        f"    http-response wait-for-body time {timeout}ms",
        server,
        "",
    ]


def _listen_address() -> tuple[str, int]:
    parts = urlsplit(settings.CQS_LGSP_GATEWAY_URL)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _bind(host: str, port: int) -> str:
    return f"ipv6@{host}:{port}" if ":" in host else f"{host}:{port}"


def render(
    snapshot: dict, *, listen_host: str | None = None, listen_port: int | None = None, base_dir=None
) -> dict[str, str]:
    """The files of one generation: ``haproxy.cfg`` and what it refers to.

    ``base_dir`` is where the files will be written (absolute paths in the configuration, as
    HAProxy resolves jwt_verify's key path at start); ``None`` for the directory of the link
    ``CQS_LGSP_DIR/haproxy/current``.
    """
    default_host, default_port = _listen_address()
    host = listen_host or default_host
    port = listen_port or default_port
    base = Path(base_dir) if base_dir else Path(settings.CQS_LGSP_DIR) / SUBDIR / CURRENT_LINK
    runtime = Path(settings.CQS_LGSP_DIR) / SUBDIR
    services = snapshot["services"]
    backends = {service_id: _backend_name(i) for i, service_id in enumerate(services, start=1)}

    files: dict[str, str] = {}
    files["apikeys.map"] = "".join(
        f"{sha} {entry['client']}\n" for sha, entry in snapshot["api_keys"].items()
    )
    files["oauth.map"] = "".join(f"{cid} {client}\n" for cid, client in snapshot["oauth_clients"].items())
    files["services.map"] = "".join(f"{sid} {name}\n" for sid, name in backends.items())
    files["subsystems.map"] = "".join(f"{sid} 1\n" for sid in snapshot["subsystems"])
    grant_lines, endpoint_lines = [], []
    for key, grant in snapshot["grants"].items():
        ghash = grant_hash(key)
        quota = NO_QUOTA if grant["daily_quota"] is None else int(grant["daily_quota"])
        restricted = 0 if grant["endpoints"] is None else 1
        grant_lines.append(f"{key} {ghash};{int(grant['rate_per_minute'])};{quota};{restricted}\n")
        for method, prefix in grant["endpoints"] or []:
            if any(char.isspace() for char in prefix):
                raise EngineError(f"{key}: endpoint path {prefix!r} contains white space")
            pattern = "/" if prefix == "/" else prefix + "/"
            endpoint_lines.append(f"{ghash}|{method.upper()}|{pattern} 1\n")
    files["grants.map"] = "".join(grant_lines)
    files["endpoints.map"] = "".join(endpoint_lines)
    files["jwt-public.pem"] = snapshot["jwt"]["public_key_pem"]

    def path(name: str) -> str:
        return str(base / name)

    jwt = snapshot["jwt"]
    control = urlsplit(snapshot["control_plane"]["url"])
    if control.scheme not in ("http", "https") or not control.hostname:
        raise EngineError(f"control plane URL {snapshot['control_plane']['url']!r} is not an http(s) URL")
    issuer = _config_value(jwt["issuer"])
    token = _config_value(snapshot["control_plane"]["token"])
    control_prefix = _config_value(control.path.rstrip("/").replace("%", "%%"))
    meta_pattern = " ".join(METASERVICES)
    unauthorized = errors.UNAUTHORIZED
    # Missing variables log as "" (quoted) or their default (var(name,default)), so that no rule
    # has to give them a value first. The values written unescaped cannot hold '"' or '\': the
    # X-Road-Id matches CLIENT_ID_REGEX or is a UUID, the client comes from our map, the service
    # matched SERVICE_PATH_REGEX, hashes are base64; the method is escaped.
    log_format = (
        '{"ts": %Ts.%ms, "engine": "haproxy", '
        '"request_id": %{+Q}[var(txn.rid)], '
        '"client": %{+Q}[var(txn.client)], '
        '"service": %{+Q}[var(txn.service)], '
        '"method": %{+Q}[method,json(utf8s)], '
        '"status": %ST, '
        '"error": %{+Q}[var(txn.err)], '
        '"latency_ms": %Ta, '
        '"bytes_in": %[var(txn.bytes_in,0)], "bytes_out": %[var(txn.bytes_out,0)], '
        '"request_hash": %{+Q}[var(txn.reqhash)], '
        '"response_hash": %{+Q}[var(txn.reshash)], '
        '"hash_complete": %[var(txn.hc,true)]}'
    )
    # Headers the gateway writes itself (and removes from what clients and providers send), in one
    # pass over the header list (names are lower case in HAProxy).
    own_headers = "^(x-road-(client|service|id|request-hash)|x-api-key|x-cqs-gateway-token)$"
    own_response_headers = "^x-road-(client|service)$"
    lines = [
        "# Generated by cqs.lgsp.engines.haproxy from a registry snapshot: do not edit.",
        "global",
        "    log stdout len 8192 format raw local0",
        f"    tune.bufsize {BUFSIZE}",
        "    tune.maxrewrite 8192",
        f"    hard-stop-after {HARD_STOP_AFTER}",
        "    localpeer lgsp",
        "",
        "peers lgsp_peers",
        f"    peer lgsp unix@{runtime / PEER_SOCKET}",
        "    table rate type string len 24 size 1m expire 3m store gpc0,gpc0_rate(60s)",
        "    table quota type string len 32 size 1m expire 25h store gpc0",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option dontlognull",
        "    option http-buffer-request",
        "    retries 0",
        "    timeout client 60s",
        "    timeout http-request 30s",
        "    timeout http-keep-alive 60s",
        "    timeout connect 10s",
        "    timeout server 60s",
        "    default-server init-addr last,libc,none",
        *(
            f'    http-error status {status} content-type "application/json;charset=utf-8" '
            f"lf-string '{error_body_format(error)}' hdr X-Road-Error {error.type}"
            for status, error in (
                (400, errors.BAD_REQUEST),
                (502, errors.SERVICE_FAILED),
                (503, errors.SERVICE_FAILED),
                (504, errors.SERVICE_TIMEOUT),
            )
        ),
        "",
        # Rules are evaluated one after the other for every call, and an ACL is evaluated again
        # each time a rule names it: the path is matched once into variables, and later rules test
        # variables (txn.service: a service path; txn.meta: forwarded to the control plane;
        # txn.be: a published service).
        "frontend lgsp",
        f"    bind {_bind(host, port)}",
        f"    log-format '{log_format}'",
        # --- the request's id
        f"    http-request set-var(txn.rid) req.fhdr(X-Road-Id) "
        f"if {{ req.fhdr(X-Road-Id) -m reg {CLIENT_ID_REGEX} }}",
        "    http-request set-var(txn.rid) uuid(4) unless { var(txn.rid) -m found }",
        # --- 1. the path
        f"    http-request set-var(txn.service) path,field(3,/,5) if {{ path -m reg {SERVICE_PATH_REGEX} }}",
        "    acl p_svc var(txn.service) -m found",
        "    acl p_list var(txn.list) -m found",
        "    http-request set-var(txn.list) bool(1) if !p_svc { path /r1/listClients }",
        *_return(errors.BAD_REQUEST, "!p_svc !p_list"),
        "    http-request set-var(txn.service) str(listClients) if p_list",
        # --- 2. authentication: an API key, else an OAuth2 bearer token (ES256, aud, iss, exp, cid)
        "    acl has_key req.fhdr(X-API-Key) -m found",
        "    http-request set-var(txn.client) req.fhdr(X-API-Key),sha2(256),hex,lower,"
        f"map({path('apikeys.map')}) if has_key",
        "    http-request set-var(txn.jwt) http_auth_bearer if !has_key",
        "    acl has_jwt var(txn.jwt) -m found",
        "    http-request set-var(txn.now) date if has_jwt",
        "    http-request set-var(txn.jsub) var(txn.jwt),jwt_payload_query('$.sub') if has_jwt",
        "    http-request set-var(txn.jcl) var(txn.jwt),jwt_payload_query('$.cid'),"
        f"map({path('oauth.map')}) if has_jwt",
        "    http-request set-var(txn.client) var(txn.jcl) if { var(txn.jcl) -m found } "
        "{ var(txn.jcl),strcmp(txn.jsub) eq 0 } "
        f"{{ var(txn.jwt),jwt_header_query('$.alg') -m str {jwt['alg']} }} "
        f"{{ var(txn.jwt),jwt_payload_query('$.aud') -m str {_config_value(jwt['audience'])} }} "
        f"{{ var(txn.jwt),jwt_payload_query('$.iss') -m str {issuer} }} "
        "{ var(txn.jwt),jwt_payload_query('$.exp','int'),sub(txn.now) gt 0 } "
        f'{{ var(txn.jwt),jwt_verify("{jwt["alg"]}","{path("jwt-public.pem")}") -m int 1 }}',
        *_return(
            unauthorized,
            "!{ var(txn.client) -m found }",
            extra=" hdr WWW-Authenticate 'Bearer realm=\"lgsp\"'",
        ),
        # --- 3. X-Road-Client, when sent, must be the authenticated client
        *_return(
            errors.INVALID_CLIENT,
            "{ req.fhdr(X-Road-Client) -m found } !{ req.fhdr(X-Road-Client),strcmp(txn.client) eq 0 }",
        ),
        # --- 4. the service, or a metaservice of an active subsystem
        f"    http-request set-var(txn.be) var(txn.service),map({path('services.map')}) if p_svc",
        "    acl known var(txn.be) -m found",
        "    acl meta var(txn.meta) -m found",
        "    http-request set-var(txn.meta) bool(1) if p_list",
        "    http-request set-var(txn.meta) bool(1) if p_svc !known "
        f"{{ var(txn.service),field(5,/) -m str {meta_pattern} }} "
        f"{{ var(txn.service),field(1,/,4),map({path('subsystems.map')}) -m found }}",
        *_return(errors.UNKNOWN_SERVICE, "!known !meta"),
        # --- 5. the grant, and its endpoints when it has a list
        "    http-request set-var(txn.grant) var(txn.client),concat(|,txn.service),"
        f"map({path('grants.map')}) if known",
        *_return(errors.ACCESS_DENIED, "known !{ var(txn.grant) -m found }"),
        # txn.grant is "<grant hash>;<rate/min>;<quota or -1>;<0|1 endpoints>" (grants.map)
        "    http-request set-var(txn.rate) var(txn.grant),field(2,;) if known",
        "    acl restricted var(txn.grant),field(4,;) -m str 1",
        f"    http-request set-var(txn.rest) path,regsub({REST_PREFIX_REGEX},) if known restricted",
        "    http-request set-var(txn.rest) str(/) if known restricted !{ var(txn.rest) -m len gt 0 }",
        "    http-request set-var(txn.meth) method if known restricted",
        f"    acl ep_method var(txn.grant),field(1,;),concat(|,txn.meth,|),concat(,txn.rest,/),"
        f"map_beg({path('endpoints.map')}) -m found",
        "    acl ep_any var(txn.grant),field(1,;),concat(|*|,txn.rest,/),"
        f"map_beg({path('endpoints.map')}) -m found",
        *_return(errors.ACCESS_DENIED, "known restricted !ep_method !ep_any"),
        # --- 6. rate limit over the accepted calls of a sliding 60 s window
        "    http-request track-sc0 var(txn.grant),field(1,;) table lgsp_peers/rate if known",
        *_return(
            errors.RATE_LIMITED,
            "known { sc_gpc0_rate(0),sub(txn.rate) ge 0 }",
            extra=f" hdr Retry-After {errors.RATE_WINDOW_SECONDS}",
        ),
        # --- 7. daily quota, per local day
        "    acl has_quota var(txn.grant),field(3,;) -m int ge 0",
        "    http-request set-var(txn.quota) var(txn.grant),field(3,;) if known has_quota",
        "    http-request set-var-fmt(txn.qkey) %[var(txn.grant),field(1,;)]."
        f"%[date,add({errors.LOCAL_UTC_OFFSET_SECONDS}),div(86400)] if known has_quota",
        "    http-request track-sc1 var(txn.qkey) table lgsp_peers/quota if known has_quota",
        *_return(
            errors.QUOTA_EXCEEDED,
            "known has_quota { sc_get_gpc0(1),sub(txn.quota) ge 0 }",
            extra=" hdr Retry-After "
            f"%[date,add({errors.LOCAL_UTC_OFFSET_SECONDS}),mod(86400),neg,add(86400)]",
        ),
        "    http-request sc-inc-gpc0(0) if known",
        "    http-request sc-inc-gpc0(1) if known has_quota",
        # --- 8. forward: request hash, the gateway's headers, no credentials
        "    http-request set-var(txn.bytes_in) req.body_len",
        "    http-request set-var(txn.reqhash) req.body,sha2(512),base64 if "
        f"{{ var(txn.bytes_in) -m int le {errors.HASH_BODY_LIMIT} }} "
        "{ req.body_size,sub(txn.bytes_in) eq 0 }",
        "    acl req_hashed var(txn.reqhash) -m found",
        "    http-request set-var(txn.hc) str(false) if !req_hashed",
        "    http-request set-var(txn.bytes_in) req.body_size if !req_hashed",
        # Authorization is the gateway credential only when no API key was sent; otherwise it is the
        # provider's own (a bearer token of DVCQG, the reporting system…) and passes, as in X-Road.
        "    http-request del-header Authorization if !has_key",
        f"    http-request del-header {own_headers} -m reg",
        "    http-request add-header X-Road-Client %[var(txn.client)]",
        "    http-request add-header X-Road-Service %[var(txn.service)] if p_svc",
        "    http-request add-header X-Road-Id %[var(txn.rid)]",
        "    http-request add-header X-Road-Request-Hash %[var(txn.reqhash)] if req_hashed",
        "    use_backend meta if meta",
        "    use_backend %[var(txn.be)]",
        # --- the provider's answer: passed through, hashed for the log
        "    http-response set-var(txn.bytes_out) res.body_len",
        "    http-response set-var(txn.reshash) res.body,sha2(512),base64 if "
        f"{{ var(txn.bytes_out) -m int le {errors.HASH_BODY_LIMIT} }} "
        "{ res.body_size,sub(txn.bytes_out) eq 0 }",
        "    acl res_hashed var(txn.reshash) -m found",
        "    http-response set-var(txn.hc) str(false) if !res_hashed",
        "    http-response set-var(txn.bytes_out) res.body_size if !res_hashed",
        f"    http-response del-header {own_response_headers} -m reg",
        "    http-response add-header X-Road-Client %[var(txn.client)]",
        "    http-response add-header X-Road-Service %[var(txn.service)]",
        "    http-response set-header X-Road-Request-Hash %[var(txn.reqhash)] if req_hashed",
        # --- every answer, also the gateway's own errors (txn.bytes_out: the provider answered;
        # txn.bytes_in: the call was sent to it)
        "    acl forwarded var(txn.bytes_out) -m found",
        "    http-after-response set-status 502 if !forwarded { status 503 }",
        "    http-after-response set-var(txn.err) res.hdr(X-Road-Error) if !forwarded",
        # a forwarded call the provider did not answer (502/504): the forwarded call's headers
        "    acl sent var(txn.bytes_in) -m found",
        "    http-after-response set-header X-Road-Client %[var(txn.client)] if !forwarded sent",
        "    http-after-response set-header X-Road-Service %[var(txn.service)] if !forwarded sent",
        "    http-after-response set-header X-Road-Request-Hash %[var(txn.reqhash)] "
        "if !forwarded sent req_hashed",
        "    http-after-response set-var(txn.bytes_out) res.body_len if !forwarded",
        "    http-after-response set-header X-Road-Id %[var(txn.rid)] if { var(txn.rid) -m found }",
        "",
        "backend meta",
        "    timeout connect 10s",
        "    timeout server 30s",
        "    acl list_clients var(txn.list) -m found",
        f"    http-request set-path {control_prefix}/lgsp/meta/r1/listClients if list_clients",
        f"    http-request set-path {control_prefix}/lgsp/meta/r1/%[var(txn.service)] if !list_clients",
        "    http-response wait-for-body time 30s",
        f"    http-request set-header {errors.GATEWAY_TOKEN_HEADER} {token}",
        f"    http-request set-header Host {_config_value(_hostport(control)[2])}",
        f"    server control {_config_value(_hostport(control)[0])}"
        + (
            f" ssl verify required ca-file {CA_FILE} sni str({control.hostname})"
            if control.scheme == "https"
            else ""
        ),
        "",
    ]
    for service_id, name in backends.items():
        lines.extend(_backend(name, service_id, services[service_id]))
    files[CONFIG_FILE] = "\n".join(lines)
    return files


# --------------------------------------------------------------------------------------------
# The running master: its CLI socket, reloads
# --------------------------------------------------------------------------------------------


def runtime_dir() -> Path:
    path = Path(settings.CQS_LGSP_DIR) / SUBDIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def current_link() -> Path:
    return runtime_dir() / CURRENT_LINK


def current_config() -> Path:
    return current_link() / CONFIG_FILE


def master_socket() -> Path:
    return runtime_dir() / MASTER_SOCKET


def haproxy_binary() -> str:
    binary = settings.CQS_LGSP_HAPROXY_BIN
    found = shutil.which(binary)
    if found is None:
        raise EngineError(
            f"HAProxy not found ({binary!r}, CQS_LGSP_HAPROXY_BIN): install the Debian package "
            "haproxy or set CQS_LGSP_ENGINE=builtin"
        )
    return found


def master_command(command: str, *, timeout: float = 5.0, read: bool = True) -> str | None:
    """One command on the master CLI; None when no master listens on the socket.

    A master that is re-executing itself (just after a reload) accepts a connection and drops it:
    the command is sent again until ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return _master_command_once(command, timeout=timeout, read=read)
        except (BrokenPipeError, ConnectionResetError):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _master_command_once(command: str, *, timeout: float, read: bool) -> str | None:
    path = master_socket()
    if not path.exists():
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            return None
        sock.sendall(command.encode() + b"\n")
        if not read:
            return ""
        data = b""
        try:
            # An answer ends with an empty line; the master does not always close the connection.
            while not data.endswith(b"\n\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return data.decode(errors="replace")


def parse_show_proc(text: str) -> dict:
    """The master CLI's ``show proc``: the master's failed reloads, current and old workers."""
    result = {"master": None, "failed": 0, "workers": [], "old": []}
    section = "master"
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if "old workers" in stripped:
                section = "old"
            elif "workers" in stripped:
                section = "workers"
            continue
        fields = stripped.split()
        if len(fields) < 2 or not fields[0].isdigit():
            continue
        if fields[1] == "master":
            result["master"] = int(fields[0])
            if "[failed:" in stripped:
                result["failed"] = int(stripped.split("[failed:", 1)[1].split("]", 1)[0].strip())
        elif fields[1] == "worker":
            result[section if section in ("workers", "old") else "workers"].append(int(fields[0]))
    return result


def _swap_link(target: Path) -> None:
    link = current_link()
    tmp = link.with_name(f".{CURRENT_LINK}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _check(config: Path) -> None:
    try:
        result = subprocess.run(  # noqa: S603 - the configured HAProxy binary
            [haproxy_binary(), "-c", "-f", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired as exc:
        raise EngineError("haproxy -c did not answer within 60 s") from exc
    if result.returncode != 0:
        raise EngineError(f"haproxy -c: {_first_error(result.stderr + result.stdout)}")


def _first_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if "[ALERT]" in line and "Fatal errors" not in line and "Error(s) found" not in line:
            return line.split(":", 1)[-1].strip() if "] :" in line else line
    return lines[0] if lines else "invalid configuration"


def write_files(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = directory / name
        tmp = path.with_name(f".{name}.tmp")
        # The configuration holds the control plane's gateway token: owner only.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)


def reload_master(*, wait: float = RELOAD_WAIT_SECONDS) -> bool | None:
    """``reload`` on the master CLI and wait for a new worker; None when no master runs.

    True when a worker that was not there before is the current one, False when the master
    counted a failed reload or no new worker came up in time.
    """
    before_text = master_command("show proc")
    if before_text is None:
        return None
    before = parse_show_proc(before_text)
    known = set(before["workers"]) | set(before["old"])
    # A worker only hands its counters over once it has its own (from its predecessor, or after
    # the peers' resync timeout of a cold start, about 5 s): a reload sooner would lose them.
    for pid in before["workers"][:1]:
        _wait_for_counters(pid, deadline=time.monotonic() + COLD_START_SYNC_SECONDS)
    master_command("reload", timeout=2.0, read=False)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(0.02)
        text = master_command("show proc", timeout=2.0)
        if text is None:
            continue  # the master is re-executing itself
        state = parse_show_proc(text)
        if state["failed"] > before["failed"]:
            return False
        new = [pid for pid in state["workers"] if pid not in known]
        if new:
            _wait_for_counters(new[0], deadline=time.monotonic() + PEERS_SYNC_SECONDS)
            return True
    return False


def _wait_for_counters(pid: int, *, deadline: float) -> None:
    """Until the new worker has learnt the stick tables from the old one (the peers section's
    "resync from local" flag), so that no call slips through between two counters."""
    while time.monotonic() < deadline:
        text = master_command(f"@!{pid} show peers", timeout=1.0) or ""
        for line in text.splitlines():
            if "id=lgsp_peers" in line and " flags=0x" in line:
                flags = int(line.split(" flags=0x", 1)[1].split()[0], 16)
                if flags & PEERS_RESYNC_LOCAL_DONE:
                    return
        time.sleep(0.02)


class HaproxyEngine:
    name = "haproxy"

    def render(self, snapshot: dict, *, listen_host=None, listen_port=None, base_dir=None) -> dict[str, str]:
        return render(snapshot, listen_host=listen_host, listen_port=listen_port, base_dir=base_dir)

    def validate(self, snapshot: dict) -> None:
        check_snapshot(snapshot)
        haproxy_binary()
        with tempfile.TemporaryDirectory(prefix="cqs-lgsp-haproxy-") as tmp:
            directory = Path(tmp)
            write_files(directory, render(snapshot, base_dir=directory))
            _check(directory / CONFIG_FILE)

    def apply(self, directory: Path, snapshot: dict) -> Applied:
        check_snapshot(snapshot)
        haproxy_binary()
        target = (Path(directory) / SUBDIR).resolve()
        write_files(target, render(snapshot, base_dir=target))
        _check(target / CONFIG_FILE)
        started = time.monotonic()
        link = current_link()
        previous = Path(os.readlink(link)) if link.is_symlink() else None
        _swap_link(target)
        reloaded = reload_master()
        if reloaded is None:
            return Applied(note="HAProxy not running; loads at start")
        if reloaded:
            return Applied(reload_ms=int((time.monotonic() - started) * 1000))
        if previous is not None:
            _swap_link(previous)
            reload_master()
        raise EngineError(
            "HAProxy did not start a worker with the new configuration; the previous one still serves"
            " (logs/haproxy.err)",
            rolled_back=True,
        )
