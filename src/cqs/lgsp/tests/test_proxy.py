"""The built-in proxy (``cqs.lgsp.proxy``): its pieces, then whole calls through a running proxy.

The behaviour both engines share is pinned by ``test_gateway_conformance.py``; this file tests
what is particular to the built-in engine (snapshot reloading, the rate counter's arithmetic,
token caching, streaming, shutdown) and the checks end to end against real snapshots built from
the registry by ``build_snapshot()`` and written by ``publish.publish_now()``.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey

from cqs.lgsp import errors, publish, tokens
from cqs.lgsp.proxy import Gateway
from cqs.lgsp.proxy.accesslog import AccessLog, format_line
from cqs.lgsp.proxy.gateway import EMPTY_HASH, body_hash
from cqs.lgsp.proxy.jwtcheck import TokenVerifier
from cqs.lgsp.proxy.limits import FreqCounter, local_day, seconds_to_local_midnight
from cqs.lgsp.proxy.tables import SnapshotWatcher, compile_snapshot, endpoint_allowed
from cqs.lgsp.services import access
from cqs.lgsp.services import registry as reg
from cqs.lgsp.snapshot import build_snapshot

LOG_FIELDS = {
    "ts",
    "engine",
    "request_id",
    "client",
    "service",
    "method",
    "status",
    "error",
    "latency_ms",
    "bytes_in",
    "bytes_out",
    "request_hash",
    "response_hash",
    "hash_complete",
}


def b64sha512(data: bytes) -> str:
    return base64.b64encode(hashlib.sha512(data).digest()).decode()


# ------------------------------------------------------------------------------------------------
# The rate counter: HAProxy freq_ctr arithmetic
# ------------------------------------------------------------------------------------------------


class TestFreqCounter:
    def test_counts_events_in_the_current_period(self):
        counter = FreqCounter()
        assert counter.read(1_000) == 0
        for _ in range(3):
            counter.add(1_000)
        assert counter.read(1_000) == 3
        assert counter.read(60_999) == 3

    def test_previous_period_weighs_by_the_part_still_in_the_window(self):
        counter = FreqCounter()
        for _ in range(10):
            counter.add(0)
        # A quarter into the next period: three quarters of the previous count remain (floor).
        assert counter.read(60_000 + 15_000) == 7
        assert counter.read(60_000 + 30_000) == 5
        counter.add(60_000 + 30_000)
        assert counter.read(60_000 + 30_000) == 6  # 10 * 0.5 + 1

    def test_two_idle_periods_start_afresh(self):
        counter = FreqCounter()
        counter.add(0)
        counter.add(0)
        assert counter.read(120_000) == 0
        counter.add(130_000)
        assert (counter.tick, counter.curr, counter.prev) == (130_000, 1, 0)
        assert counter.read(130_000) == 1

    def test_rotation_keeps_the_period_grid(self):
        counter = FreqCounter()
        counter.add(0)
        counter.add(70_000)  # the second period starts at 60 000, not at 70 000
        assert (counter.tick, counter.curr, counter.prev) == (60_000, 1, 1)


class TestLocalDay:
    def test_day_changes_at_local_midnight(self):
        before = 1_767_200_399  # 2025-12-31 16:59:59 UTC = 23:59:59 in Hà Nội
        assert local_day(before + 1) == local_day(before) + 1
        assert seconds_to_local_midnight(before) == 1
        assert seconds_to_local_midnight(before + 1) == 86_400


# ------------------------------------------------------------------------------------------------
# Endpoint grants
# ------------------------------------------------------------------------------------------------


class TestEndpointMatching:
    GRANTS = (("GET", "/persons"), ("*", "/households"))

    @pytest.mark.parametrize(
        ("method", "path", "allowed"),
        [
            ("GET", "/persons", True),
            ("GET", "/persons/001", True),
            ("GET", "/personsX", False),
            ("POST", "/persons", False),
            ("DELETE", "/households/5", True),
            ("GET", "/", False),
            ("GET", "/persons/../admin", False),
            ("GET", "/persons/%2e%2e/admin", False),
            ("GET", "/persons/x%2F..%2Fadmin", False),
            ("GET", "/persons/a.b", True),
        ],
    )
    def test_method_and_prefix_at_a_segment_boundary(self, method, path, allowed):
        assert endpoint_allowed(self.GRANTS, method, path) is allowed

    def test_root_prefix_allows_every_path(self):
        assert endpoint_allowed((("GET", "/"),), "GET", "/anything/below")


# ------------------------------------------------------------------------------------------------
# Tokens
# ------------------------------------------------------------------------------------------------


def _p256() -> tuple[bytes, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


def _run_in_thread(coro):
    """``asyncio.run`` on a thread of its own: the suite's earlier tests may leave a running loop
    in the main thread, where ``asyncio.run`` refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _sign(private: bytes, *, alg: str = "ES256", **claims) -> str:
    payload = {"iss": "https://cqs.test/lgsp", "aud": "lgsp", "sub": "XROADVN/GOV/C/dvc", "cid": "7"}
    payload["exp"] = int(time.time()) + 300
    payload.update(claims)
    return jwt.encode({"alg": alg, "typ": "at+jwt"}, payload, ECKey.import_key(private), algorithms=[alg])


@pytest.fixture(scope="module")
def keys():
    return _p256()


class TestTokenVerifier:
    @pytest.fixture
    def verifier(self, keys):
        return TokenVerifier(public_key_pem=keys[1], issuer="https://cqs.test/lgsp", audience="lgsp")

    def test_genuine_token_gives_its_claims(self, keys, verifier):
        claims = verifier.claims(_sign(keys[0]))
        assert (claims.sub, claims.cid) == ("XROADVN/GOV/C/dvc", "7")

    @pytest.mark.parametrize(
        "claims", [{"aud": "other"}, {"aud": ["lgsp"]}, {"iss": "https://evil/lgsp"}, {"cid": None}]
    )
    def test_wrong_audience_issuer_or_claims_are_refused(self, keys, verifier, claims):
        assert verifier.claims(_sign(keys[0], **claims)) is None

    def test_token_of_another_key_is_refused(self, verifier):
        assert verifier.claims(_sign(_p256()[0])) is None

    def test_tampered_payload_is_refused(self, keys, verifier):
        header, _payload, signature = _sign(keys[0]).split(".")
        forged = base64.urlsafe_b64encode(
            json.dumps(
                {"iss": "https://cqs.test/lgsp", "aud": "lgsp", "sub": "X/Y/Z/admin", "cid": "7"}
            ).encode()
        )
        assert verifier.claims(f"{header}.{forged.decode().rstrip('=')}.{signature}") is None

    @pytest.mark.parametrize("token", ["", "a.b", "a.b.c", "....", "eyJhbGciOiJub25lIn0.e30."])
    def test_garbage_and_alg_none_are_refused(self, verifier, token):
        assert verifier.claims(token) is None

    def test_hs256_with_the_public_key_as_secret_is_refused(self, keys, verifier):
        def part(data: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

        signing_input = f"{part({'alg': 'HS256'})}.{part({'aud': 'lgsp', 'iss': 'https://cqs.test/lgsp'})}"
        mac = hmac.new(keys[1].encode(), signing_input.encode(), hashlib.sha256).digest()
        token = f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
        assert verifier.claims(token) is None

    def test_expiry_is_left_to_the_caller_and_cached_tokens_skip_the_signature(
        self, keys, verifier, monkeypatch
    ):
        token = _sign(keys[0], exp=int(time.time()) - 10)
        first = verifier.claims(token)
        assert first is not None and first.exp < time.time()  # the gateway compares exp on every call
        monkeypatch.setattr(verifier, "_verify", lambda token: pytest.fail("verified twice"))
        assert verifier.claims(token) is first

    def test_cache_is_bounded(self, keys):
        verifier = TokenVerifier(
            public_key_pem=keys[1], issuer="https://cqs.test/lgsp", audience="lgsp", cache_size=2
        )
        for n in range(3):
            verifier.claims(_sign(keys[0], jti=str(n)))
        assert len(verifier._cache) == 2


# ------------------------------------------------------------------------------------------------
# Hashing and the access log
# ------------------------------------------------------------------------------------------------


def test_request_hash_is_base64_sha512_of_the_body():
    assert body_hash(b'{"cccd": "001099012345"}') == b64sha512(b'{"cccd": "001099012345"}')
    assert b64sha512(b"") == EMPTY_HASH


def test_log_line_is_one_json_object_with_the_common_fields():
    line = format_line(
        ts=1_767_200_000.1234,
        request_id="abc",
        client="XROADVN/GOV/C/dvc",
        service="XROADVN/GOV/P/S/persons",
        method="GET",
        status=200,
        error="",
        latency_ms=1.23456,
        bytes_in=0,
        bytes_out=10,
        request_hash=EMPTY_HASH,
        response_hash="",
        hash_complete=False,
    )
    assert line.endswith("\n") and line.count("\n") == 1
    entry = json.loads(line)
    assert set(entry) == LOG_FIELDS
    assert entry["ts"] == 1_767_200_000.123 and entry["engine"] == "builtin"
    assert entry["hash_complete"] is False and entry["status"] == 200


def test_access_log_appends_whole_lines_and_follows_rotation(tmp_path):
    path = tmp_path / "logs" / "access-builtin.jsonl"
    log = AccessLog(path)
    log.write('{"n": 1}\n')
    assert not path.exists()  # buffered until the flush
    log.flush()
    path.rename(tmp_path / "rotated.jsonl")
    log.write('{"n": 2}\n')
    log.close()
    assert (tmp_path / "rotated.jsonl").read_text() == '{"n": 1}\n'
    assert path.read_text() == '{"n": 2}\n'


# ------------------------------------------------------------------------------------------------
# Snapshot compiling and reloading (real snapshots from the registry)
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def lgsp_dir(settings, tmp_path):
    settings.CQS_LGSP_DIR = tmp_path / "lgsp"
    settings.CQS_LGSP_ENGINE = "builtin"
    return settings.CQS_LGSP_DIR


def test_compiled_tables_answer_the_gateway_questions(lgsp_dir, registry):
    tables = compile_snapshot(build_snapshot())
    persons = registry.persons.xroad_id
    upstream = tables.services[persons]
    assert upstream.key == ("http", "127.0.0.1", urlsplit(registry.persons.upstream_url).port)
    assert upstream.base_path == "/api/v1" and upstream.timeout == 5.0
    key_digest = hashlib.sha256(registry.keys["dvc"].encode()).hexdigest()
    assert tables.api_keys[key_digest] == registry.dvc.xroad_id
    assert tables.oauth_clients[str(registry.oauth.pk)] == registry.dvc.xroad_id
    assert tables.grants[f"{registry.dvc.xroad_id}|{persons}"].endpoints is None
    assert tables.grants[f"{registry.motcua.xroad_id}|{persons}"].endpoints == (("GET", "/persons"),)
    # the group grant is expanded to its member
    assert f"{registry.motcua.xroad_id}|{registry.households.xroad_id}" in tables.grants
    assert f"{registry.provider.xroad_id}/listMethods" in tables.metaservices
    assert tables.verifier is not None


def test_verifier_and_its_cache_survive_a_reload_with_the_same_key(lgsp_dir, registry):
    first = compile_snapshot(build_snapshot())
    second = compile_snapshot(build_snapshot(), previous=first)
    assert second.verifier is first.verifier


@pytest.mark.parametrize(
    "breakage",
    [
        lambda s: s.update(version=2),
        lambda s: next(iter(s["services"].values())).update(upstream="ftp://x"),
        lambda s: s["grants"].update({"a|b": {"daily_quota": None}}),
    ],
)
def test_broken_snapshot_is_refused(lgsp_dir, registry, breakage):
    snapshot = build_snapshot()
    breakage(snapshot)
    with pytest.raises((ValueError, KeyError)):
        compile_snapshot(snapshot)


def test_watcher_reloads_a_new_file_and_keeps_the_tables_when_it_is_broken(lgsp_dir, registry):
    publish.publish_now(reason="test")
    watcher = SnapshotWatcher(lgsp_dir / "active" / "snapshot.json")
    assert watcher.check() is True
    good = watcher.tables
    assert watcher.check() is False  # unchanged file: nothing to do
    (lgsp_dir / "active" / "snapshot.json").write_text("{ not json")
    assert watcher.check() is False
    assert watcher.tables is good and "JSONDecodeError" in watcher.error
    publish.publish_now(reason="again", force=True)
    assert watcher.check() is True and watcher.error == ""


# ------------------------------------------------------------------------------------------------
# End to end: a proxy and a provider on free ports, in a background event loop
# ------------------------------------------------------------------------------------------------


class Provider:
    """A provider that echoes what reached it; ``/slow`` waits, ``/status/N`` answers N,
    ``/big?kb=N`` sends N KiB."""

    def __init__(self):
        self.received: list[dict] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.received.append(
            {
                "method": request.method,
                "path": request.raw_path,
                "headers": dict(request.headers),
                "body": body,
            }
        )
        if request.path.endswith("/slow"):
            await asyncio.sleep(float(request.query.get("s", "2")))
        if "/status/" in request.path:
            status = int(request.path.rsplit("/", 1)[1])
            return web.json_response({"provider": "error"}, status=status)
        if request.path.endswith("/big"):
            return web.Response(body=b"x" * 1024 * int(request.query["kb"]), content_type="text/plain")
        return web.json_response(
            {
                "method": request.method,
                "path": request.raw_path,
                "length": len(body),
                "sha512": b64sha512(body),
            },
            headers={"Connection": "X-Hop", "X-Hop": "1", "X-Kept": "yes"},
        )


class Harness:
    """A provider and a ``Gateway`` on uvloop in a thread; calls are made with ``requests``."""

    def __init__(self):
        import uvloop

        self.loop = uvloop.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.provider = Provider()
        self.gateway: Gateway | None = None
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.provider.handle)
        self.provider_runner = web.AppRunner(app)

        async def start_provider():
            await self.provider_runner.setup()
            site = web.TCPSite(self.provider_runner, "127.0.0.1", 0)
            await site.start()
            return self.provider_runner.addresses[0][1]

        self.provider_url = f"http://127.0.0.1:{self.run(start_provider())}"

    def run(self, coro, timeout: float = 15):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start_gateway(self, lgsp_dir: Path) -> None:
        self.gateway = Gateway(lgsp_dir)
        port = self.run(self.gateway.start("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{port}"

    def reload(self) -> None:
        """Pick up the snapshot now instead of within the next quarter second."""

        async def reload():
            self.gateway.reload()

        self.run(reload())

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        timeout = kwargs.pop("timeout", 10)
        return requests.request(method, self.url + path, allow_redirects=False, timeout=timeout, **kwargs)

    def log(self) -> list[dict]:
        async def flush():
            self.gateway.log.flush()

        self.run(flush())
        path = self.gateway.log.path
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def close(self) -> None:
        if self.gateway is not None:
            self.run(self.gateway.stop())
        self.run(self.provider_runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def harness():
    harness = Harness()
    yield harness
    harness.close()


@pytest.fixture
def lgsp_upstream_url(harness):
    return harness.provider_url


@pytest.fixture
def live(lgsp_dir, settings, harness, registry):
    """The registry published and served: metaservices go to the provider too (as control plane)."""
    settings.CQS_SITE_URL = harness.provider_url
    publish.publish_now(reason="test")
    harness.start_gateway(lgsp_dir)
    return harness


def _path(service, rest: str = "") -> str:
    return f"/r1/{service.xroad_id}{rest}"


def _error_of(response: requests.Response, error: errors.GatewayError) -> dict:
    assert response.status_code == error.status, response.text
    assert response.headers["X-Road-Error"] == error.type
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    body = response.json()
    assert body == {"type": error.type, "message": error.message, "detail": response.headers["X-Road-Id"]}
    return body


@pytest.mark.django_db
class TestThroughTheProxy:
    def test_call_reaches_the_provider_with_gateway_headers_and_without_the_key(self, live, registry):
        response = live.call(
            "POST",
            _path(registry.persons, "/persons/search?ho=Nguy%E1%BB%85n&x=1"),
            headers={
                "X-API-Key": registry.keys["dvc"],
                "X-Road-Id": "req-42",
                "Connection": "X-Drop",
                "X-Drop": "1",
            },
            data=b'{"cccd": "001099012345"}',
        )
        assert response.status_code == 200
        received = live.provider.received[-1]
        assert received["path"] == "/api/v1/persons/search?ho=Nguy%E1%BB%85n&x=1"
        forwarded = {name.lower(): value for name, value in received["headers"].items()}
        assert "x-api-key" not in forwarded and "authorization" not in forwarded and "x-drop" not in forwarded
        assert forwarded["host"] == live.provider_url.removeprefix("http://")
        assert forwarded["x-road-client"] == registry.dvc.xroad_id
        assert forwarded["x-road-service"] == registry.persons.xroad_id
        assert forwarded["x-road-id"] == "req-42"
        assert forwarded["x-road-request-hash"] == b64sha512(b'{"cccd": "001099012345"}')
        assert "x-cqs-gateway-token" not in forwarded
        # the answer: the provider's, with the gateway's headers and without hop-by-hop ones
        assert response.json()["sha512"] == b64sha512(b'{"cccd": "001099012345"}')
        assert response.headers["X-Road-Id"] == "req-42"
        assert response.headers["X-Road-Client"] == registry.dvc.xroad_id
        assert response.headers["X-Road-Request-Hash"] == b64sha512(b'{"cccd": "001099012345"}')
        assert response.headers["X-Kept"] == "yes" and "X-Hop" not in response.headers
        assert "X-Road-Error" not in response.headers
        entry = live.log()[-1]
        assert set(entry) == LOG_FIELDS
        assert entry["request_id"] == "req-42" and entry["status"] == 200 and entry["error"] == ""
        assert entry["client"] == registry.dvc.xroad_id and entry["service"] == registry.persons.xroad_id
        assert entry["bytes_in"] == 24 and entry["bytes_out"] == len(response.content)
        assert entry["response_hash"] == b64sha512(response.content) and entry["hash_complete"] is True
        raw = live.gateway.log.path.read_text()
        for secret in ("persons/search", "Nguy", "001099012345", registry.keys["dvc"]):
            assert secret not in raw

    def test_invalid_request_id_is_replaced_by_a_uuid(self, live, registry):
        response = live.call(
            "GET",
            _path(registry.persons, "/persons"),
            headers={"X-API-Key": registry.keys["dvc"], "X-Road-Id": "a b"},
        )
        assert response.status_code == 200
        assert len(response.headers["X-Road-Id"]) == 36 and response.headers["X-Road-Id"] != "a b"

    def test_oauth_token_authenticates_its_client(self, live, registry):
        from cqs.lgsp.oauth import issue_access_token

        token, _ = issue_access_token(registry.oauth)
        response = live.call(
            "GET", _path(registry.persons, "/persons"), headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        assert live.provider.received[-1]["headers"].get("Authorization") is None

    def test_authorization_passes_when_the_call_is_authenticated_by_api_key(self, live, registry):
        """Next to an API key, Authorization is the provider's own credential (e.g. DVCQG's bearer
        token): it reaches the provider unchanged. Only the API key itself is removed."""
        from cqs.lgsp.oauth import issue_access_token

        for authorization in ("Bearer token-of-the-provider.abc", "Basic dXNlcjpwYXNz"):
            response = live.call(
                "GET",
                _path(registry.persons, "/persons"),
                headers={"X-API-Key": registry.keys["dvc"], "Authorization": authorization},
            )
            assert response.status_code == 200
            forwarded = {name.lower(): value for name, value in live.provider.received[-1]["headers"].items()}
            assert forwarded["authorization"] == authorization
            assert "x-api-key" not in forwarded
        # a gateway access token next to an API key is not the gateway credential either: the key
        # authenticated the call, the header is passed as the client sent it
        token, _ = issue_access_token(registry.oauth)
        response = live.call(
            "GET",
            _path(registry.persons, "/persons"),
            headers={"X-API-Key": registry.keys["dvc"], "Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
        assert live.provider.received[-1]["headers"]["Authorization"] == f"Bearer {token}"

    def test_authorization_is_removed_when_it_carried_the_gateway_token(self, live, registry):
        from cqs.lgsp.oauth import issue_access_token

        token, _ = issue_access_token(registry.oauth)
        for name in ("Authorization", "authorization"):
            response = live.call(
                "POST",
                _path(registry.persons, "/persons/search"),
                headers={name: f"Bearer {token}", "X-Road-Id": "tok-1"},
                data=b"{}",
            )
            assert response.status_code == 200
            forwarded = {key.lower() for key in live.provider.received[-1]["headers"]}
            assert "authorization" not in forwarded and "x-api-key" not in forwarded
            assert live.provider.received[-1]["headers"]["X-Road-Client"] == registry.dvc.xroad_id
        # the metaservice forward to the control plane: the token is removed there too
        response = live.call(
            "GET",
            f"/r1/{registry.provider.xroad_id}/listMethods",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
        assert "Authorization" not in live.provider.received[-1]["headers"]

    @pytest.mark.parametrize(
        "token",
        [
            "expired",
            "wrong_audience",
            "wrong_key",
            "unknown_cid",
            "sub_not_of_cid",
        ],
    )
    def test_bad_tokens_get_401(self, live, registry, token):
        private = tokens.signing_key().private_pem
        issuer = tokens.jwt_snapshot()["issuer"]
        claims = {"iss": issuer, "sub": registry.dvc.xroad_id, "cid": str(registry.oauth.pk)}
        claims.update(
            {
                "expired": {"exp": int(time.time()) - 1},
                "wrong_audience": {"aud": "api"},
                "unknown_cid": {"cid": "999999"},
                "sub_not_of_cid": {"sub": registry.motcua.xroad_id},
            }.get(token, {})
        )
        if token == "wrong_key":
            private = _p256()[0]
        response = live.call(
            "GET",
            _path(registry.persons, "/persons"),
            headers={"Authorization": f"Bearer {_sign(private, **claims)}"},
        )
        _error_of(response, errors.UNAUTHORIZED)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="lgsp"'

    def test_refusals_in_order(self, live, registry):
        key = {"X-API-Key": registry.keys["dvc"]}
        _error_of(live.call("GET", "/r1/XROADVN/GOV/only-three"), errors.BAD_REQUEST)
        _error_of(live.call("GET", "/r1/XROADVN/GOV/M/S/bad code"), errors.BAD_REQUEST)
        _error_of(live.call("GET", _path(registry.persons)), errors.UNAUTHORIZED)
        _error_of(
            live.call("GET", _path(registry.persons), headers={"X-API-Key": "lgsp_nope"}), errors.UNAUTHORIZED
        )
        _error_of(
            live.call(
                "GET", _path(registry.persons), headers={**key, "X-Road-Client": registry.motcua.xroad_id}
            ),
            errors.INVALID_CLIENT,
        )
        _error_of(
            live.call("GET", f"/r1/{registry.provider.xroad_id}/nothing", headers=key), errors.UNKNOWN_SERVICE
        )
        _error_of(
            live.call("GET", _path(registry.persons), headers={"X-API-Key": registry.keys["baocao"]}),
            errors.ACCESS_DENIED,
        )
        assert not live.provider.received
        entries = live.log()
        assert [e["status"] for e in entries] == [400, 400, 401, 401, 403, 404, 403]
        assert entries[0]["service"] == "" and entries[2]["client"] == ""
        assert entries[5]["client"] == registry.dvc.xroad_id

    def test_endpoint_grant_allows_only_its_method_and_path(self, live, registry):
        key = {"X-API-Key": registry.keys["motcua"]}
        assert live.call("GET", _path(registry.persons, "/persons/001"), headers=key).status_code == 200
        _error_of(live.call("GET", _path(registry.persons, "/personsX"), headers=key), errors.ACCESS_DENIED)
        _error_of(
            live.call("POST", _path(registry.persons, "/persons/search"), headers=key), errors.ACCESS_DENIED
        )
        _error_of(
            live.call("GET", _path(registry.persons, "/persons/%2e%2e/admin"), headers=key),
            errors.ACCESS_DENIED,
        )

    def test_rate_limit_counts_only_accepted_calls(self, live, registry):
        access.grant_create(service=registry.households, client=registry.dvc, rate_per_minute=3)
        publish.publish_now(reason="test")
        live.reload()
        key = {"X-API-Key": registry.keys["dvc"]}
        _error_of(
            live.call("GET", _path(registry.households), headers={**key, "X-Road-Client": "x"}),
            errors.INVALID_CLIENT,
        )
        statuses = [
            live.call("GET", _path(registry.households, "/h"), headers=key).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        refused = live.call("GET", _path(registry.households, "/h"), headers=key)
        _error_of(refused, errors.RATE_LIMITED)
        assert refused.headers["Retry-After"] == "60"
        _error_of(live.call("GET", _path(registry.households, "/h"), headers=key), errors.RATE_LIMITED)
        assert len(live.provider.received) == 3

    def test_daily_quota_answers_429_until_local_midnight(self, live, registry):
        access.grant_create(service=registry.households, client=registry.baocao, daily_quota=2)
        publish.publish_now(reason="test")
        live.reload()
        key = {"X-API-Key": registry.keys["baocao"]}
        assert [live.call("GET", _path(registry.households), headers=key).status_code for _ in range(2)] == [
            200,
            200,
        ]
        refused = live.call("GET", _path(registry.households), headers=key)
        _error_of(refused, errors.QUOTA_EXCEEDED)
        assert abs(int(refused.headers["Retry-After"]) - seconds_to_local_midnight(int(time.time()))) <= 1

    def test_provider_errors_pass_through(self, live, registry):
        response = live.call(
            "GET", _path(registry.persons, "/status/500"), headers={"X-API-Key": registry.keys["dvc"]}
        )
        assert response.status_code == 500 and response.json() == {"provider": "error"}
        assert "X-Road-Error" not in response.headers
        assert live.log()[-1]["error"] == ""

    def test_unreachable_provider_is_502(self, live, registry, lgsp_dir):
        reg.service_update(service=registry.households, upstream_url="http://127.0.0.1:9")
        publish.publish_now(reason="test")
        live.reload()
        response = live.call(
            "GET", _path(registry.households), headers={"X-API-Key": registry.keys["motcua"]}
        )
        _error_of(response, errors.SERVICE_FAILED)
        assert response.headers["X-Road-Client"] == registry.motcua.xroad_id
        assert live.log()[-1]["error"] == errors.SERVICE_FAILED.type

    def test_slow_provider_is_504_on_time(self, live, registry):
        reg.service_update(service=registry.persons, timeout_ms=300)
        publish.publish_now(reason="test")
        live.reload()
        started = time.monotonic()
        response = live.call(
            "GET", _path(registry.persons, "/slow?s=1.5"), headers={"X-API-Key": registry.keys["dvc"]}
        )
        assert time.monotonic() - started < 1.3
        _error_of(response, errors.SERVICE_TIMEOUT)

    def test_bodies_beyond_the_hash_limit_are_streamed_unhashed(self, live, registry):
        big = os.urandom(errors.HASH_BODY_LIMIT + 1)
        response = live.call(
            "PUT", _path(registry.persons, "/upload"), headers={"X-API-Key": registry.keys["dvc"]}, data=big
        )
        assert response.status_code == 200
        assert response.json()["sha512"] == b64sha512(big)  # arrived whole
        assert "X-Road-Request-Hash" not in live.provider.received[-1]["headers"]
        assert "X-Road-Request-Hash" not in response.headers
        entry = live.log()[-1]
        assert (
            entry["hash_complete"] is False and entry["request_hash"] == "" and entry["bytes_in"] == len(big)
        )

        response = live.call(
            "GET", _path(registry.persons, "/big?kb=300"), headers={"X-API-Key": registry.keys["dvc"]}
        )
        assert response.status_code == 200 and response.content == b"x" * 300 * 1024
        entry = live.log()[-1]
        assert (
            entry["response_hash"] == ""
            and entry["hash_complete"] is False
            and entry["bytes_out"] == 300 * 1024
        )

    def test_chunked_request_bodies_are_hashed_or_streamed(self, live, registry):
        headers = {"X-API-Key": registry.keys["dvc"]}
        response = live.call(
            "POST", _path(registry.persons, "/x"), headers=headers, data=iter([b'{"a": ', b"1}"])
        )
        assert response.status_code == 200
        assert live.provider.received[-1]["headers"]["X-Road-Request-Hash"] == b64sha512(b'{"a": 1}')

        big = [os.urandom(100_000) for _ in range(3)]  # chunked and over the hash limit
        response = live.call("POST", _path(registry.persons, "/x"), headers=headers, data=iter(big))
        assert response.json()["sha512"] == b64sha512(b"".join(big))
        assert "X-Road-Request-Hash" not in live.provider.received[-1]["headers"]

    def test_metaservices_go_to_the_control_plane_with_the_gateway_token(self, live, registry):
        from cqs.lgsp.snapshot import gateway_token

        key = {"X-API-Key": registry.keys["baocao"], "X-CQS-Gateway-Token": "forged"}
        response = live.call(
            "GET", f"/r1/{registry.provider.xroad_id}/getOpenAPI?serviceCode=persons", headers=key
        )
        assert response.status_code == 200
        received = live.provider.received[-1]
        assert (
            received["path"] == f"/lgsp/meta/r1/{registry.provider.xroad_id}/getOpenAPI?serviceCode=persons"
        )
        assert received["headers"]["X-CQS-Gateway-Token"] == gateway_token()
        assert received["headers"]["X-Road-Client"] == registry.baocao.xroad_id
        assert live.call("GET", "/r1/listClients", headers=key).status_code == 200
        assert live.provider.received[-1]["path"] == "/lgsp/meta/r1/listClients"
        _error_of(live.call("GET", f"/r1/{registry.provider.xroad_id}/listMethods"), errors.UNAUTHORIZED)

    def test_revocation_takes_effect_within_a_second(self, live, registry):
        key = {"X-API-Key": registry.keys["dvc"]}
        assert live.call("GET", _path(registry.persons), headers=key).status_code == 200
        access.credential_revoke(credential=registry.credentials["dvc"])
        publish.publish_now(reason="test")
        revoked = time.monotonic()
        while live.call("GET", _path(registry.persons), headers=key).status_code != 401:
            assert time.monotonic() - revoked < 1.0
            time.sleep(0.02)

    def test_broken_snapshot_keeps_serving_the_previous_one(self, live, registry, lgsp_dir):
        (lgsp_dir / "active" / "snapshot.json").write_bytes(b"garbage")
        live.reload()
        assert live.gateway.watcher.error
        response = live.call("GET", _path(registry.persons), headers={"X-API-Key": registry.keys["dvc"]})
        assert response.status_code == 200

    def test_client_hanging_up_does_not_break_the_proxy(self, live, registry):
        with pytest.raises(requests.exceptions.Timeout):
            live.call(
                "GET",
                _path(registry.persons, "/slow?s=1"),
                headers={"X-API-Key": registry.keys["dvc"]},
                timeout=0.2,
            )
        time.sleep(1.2)
        response = live.call("GET", _path(registry.persons), headers={"X-API-Key": registry.keys["dvc"]})
        assert response.status_code == 200


@pytest.mark.django_db
def test_serve_runs_until_sigterm_and_flushes_the_log(lgsp_dir, registry):
    publish.publish_now(reason="test")
    script = (
        "import sys; from pathlib import Path; from cqs.lgsp.proxy import serve; "
        "serve(host='127.0.0.1', port=0, lgsp_dir=Path(sys.argv[1]), ready=lambda p: print(p, flush=True))"
    )
    process = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script, str(lgsp_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(process.stdout.readline())
        response = requests.get(f"http://127.0.0.1:{port}{_path(registry.persons)}", timeout=5)
        assert response.status_code == 401
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = (lgsp_dir / "logs" / "access-builtin.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["status"] == 401
    assert "django" not in process.stderr.read().lower()  # runs without Django set up


# ------------------------------------------------------------------------------------------------
# The provider client (upstream.py) against scripted byte streams
# ------------------------------------------------------------------------------------------------


def _scripted(answers: list[bytes], *, close_after: bool = False):
    """A TCP server answering each request (read up to the blank line) with the next script."""
    seen: list[bytes] = []
    connections: list[int] = []

    async def handle(reader, writer):
        connections.append(1)
        while answers:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                break  # the client closed this connection
            seen.append(head)
            writer.write(answers.pop(0))
            await writer.drain()
            if close_after:
                break
        writer.close()

    return handle, seen, connections


async def _ask(
    answers: list[bytes],
    *,
    method: str | list[str] = "GET",
    close_after: bool = False,
    calls: int = 1,
    headers: dict | None = None,
    timeout: float = 2,
):
    """Make ``calls`` calls through one pool; each result is (status, headers, body, complete) where
    ``body`` is the whole body (the prefix, then the chunks) and ``complete`` says whether the
    prefix was all of it."""
    from cqs.lgsp.proxy.upstream import UpstreamPool

    handle, seen, connections = _scripted(answers, close_after=close_after)
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = UpstreamPool()
    methods = method if isinstance(method, list) else [method] * calls
    results = []
    try:
        for verb in methods:
            answer = await pool.request(
                method=verb,
                key=("http", "127.0.0.1", port),
                host_header=f"127.0.0.1:{port}",
                target="/p?q=1",
                headers=headers or {"X-Road-Id": "r1"},
                body=None,
                stream=None,
                stream_length=None,
                timeout=timeout,
            )
            try:
                body, complete = await answer.read_prefix(errors.HASH_BODY_LIMIT)
                if not complete:
                    body += b"".join([chunk async for chunk in answer.chunks()])
            finally:
                answer.release()
            results.append((answer.status, dict(answer.headers), body, complete))
            await asyncio.sleep(0.05)
    finally:
        pool.close()
        server.close()
    return results, seen, len(connections)


class TestUpstreamClient:
    def test_chunked_body_with_extensions_and_trailers(self):
        answer = (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n"
        )
        results, seen, _ = _run_in_thread(_ask([answer]))
        assert results[0][2:] == (b"Wikipedia", True)
        assert seen[0].startswith(b"GET /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:")
        assert b"X-Road-Id: r1\r\n" in seen[0]

    def test_body_until_close_and_head_without_body(self):
        results, _, _ = _run_in_thread(_ask([b"HTTP/1.0 200 OK\r\n\r\nuntil the end"], close_after=True))
        assert results[0][2] == b"until the end"
        head = b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"
        results, _, _ = _run_in_thread(_ask([head], method="HEAD"))
        assert results[0][0] == 200 and results[0][2] == b""

    def test_keep_alive_connection_is_reused(self):
        ok = b"HTTP/1.1 204 No Content\r\n\r\n"
        results, seen, connections = _run_in_thread(_ask([ok, ok], calls=2))
        assert [r[0] for r in results] == [204, 204] and len(seen) == 2
        assert connections == 1

    def test_idle_connection_closed_by_the_provider_is_not_reused(self):
        ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        # the server closes after each answer without saying so in a Connection header
        results, _, connections = _run_in_thread(_ask([ok, ok], close_after=True, calls=2))
        assert [r[2] for r in results] == [b"ok", b"ok"] and connections == 2

    @pytest.mark.parametrize(
        "answer",
        [
            b"SSH-2.0-OpenSSH\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",  # cut in a chunk
            # what response splitting and smuggling are made of
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nokk",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
            b"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nBad Name: 1\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
            b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
            # the gateway never forwards Upgrade: switching protocols is a broken answer
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n" + b"X-Many: 1\r\n" * 7_000 + b"\r\n",
            b"HTTP/1.1 100 Continue\r\n\r\n" * 5_000,
        ],
    )
    def test_broken_answers_are_upstream_errors(self, answer):
        from cqs.lgsp.proxy.upstream import UpstreamError

        with pytest.raises(UpstreamError):
            _run_in_thread(_ask([answer], close_after=True))

    def test_informational_answers_are_skipped(self):
        answer = (
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
            b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-Final: 1\r\n\r\nok"
        )
        results, _, _ = _run_in_thread(_ask([answer]))
        status, headers, body, complete = results[0]
        assert (status, body, complete) == (201, b"ok", True)
        assert headers == {"Content-Length": "2", "X-Final": "1"}  # not the hints' Link

    def test_head_answer_announcing_a_body_leaves_the_connection_usable(self):
        head = b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"
        ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        results, seen, connections = _run_in_thread(_ask([head, ok], method=["HEAD", "GET"]))
        assert [(r[0], r[2]) for r in results] == [(200, b""), (200, b"ok")]
        assert seen[0].startswith(b"HEAD ") and connections == 1

    def test_no_body_for_204_and_304_whatever_they_announce(self):
        no_content = b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
        not_modified = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"
        results, _, connections = _run_in_thread(_ask([no_content, not_modified], calls=2))
        assert [(r[0], r[2]) for r in results] == [(204, b""), (304, b"")] and connections == 1

    def test_bytes_beyond_the_answer_close_the_connection(self):
        """A second answer glued to the first (response splitting) is not read as the answer of
        the next call: the connection is closed and the next call opens a new one."""
        smuggled = (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"
        )
        ok = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood"
        results, _, connections = _run_in_thread(_ask([smuggled, ok], calls=2))
        assert [r[2] for r in results] == [b"ok", b"good"] and connections == 2

    def test_connection_close_and_http_1_0_are_not_reused(self):
        close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
        old = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
        results, _, connections = _run_in_thread(_ask([close, old, close], calls=3))
        assert [r[2] for r in results] == [b"ok"] * 3 and connections == 3

    def test_large_chunked_body_is_streamed_whole(self):
        body = os.urandom(700_000)
        pieces = [body[i : i + 65_000] for i in range(0, len(body), 65_000)]
        answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(
            b"%x\r\n%b\r\n" % (len(piece), piece) for piece in pieces
        )
        results, _, _ = _run_in_thread(_ask([answer + b"0\r\n\r\n"]))
        assert results[0][2] == body and results[0][3] is False
        results, _, _ = _run_in_thread(_ask([b"HTTP/1.1 200 OK\r\n\r\n" + body], close_after=True))
        assert results[0][2] == body  # read until close, also beyond the high-water mark

    def test_header_values_are_kept_as_sent(self):
        answer = "HTTP/1.1 200 OK\r\nX-Name: Nguyễn\r\nContent-Length: 0\r\n\r\n".encode()
        results, _, _ = _run_in_thread(_ask([answer + b"", b"HTTP/1.1 200 OK\r\nX-Raw: \xff\r\n\r\n"]))
        assert results[0][1]["X-Name"] == "Nguyễn"
        results, _, _ = _run_in_thread(_ask([b"HTTP/1.1 200 OK\r\nX-Raw: \xff\r\n\r\n"], close_after=True))
        assert results[0][1]["X-Raw"].encode("latin-1") == b"\xff"

    def test_slow_body_times_out(self):
        async def go():
            from cqs.lgsp.proxy.upstream import UpstreamPool

            async def handle(reader, writer):
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
                await asyncio.sleep(3)
                writer.close()

            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            pool = UpstreamPool()
            started = time.monotonic()
            try:
                answer = await pool.request(
                    method="GET",
                    key=("http", "127.0.0.1", port),
                    host_header="h",
                    target="/",
                    headers={},
                    body=None,
                    stream=None,
                    stream_length=None,
                    timeout=0.3,
                )
                with pytest.raises(TimeoutError):
                    await answer.read_prefix(1024)
                answer.release()
            finally:
                pool.close()
                server.close()
            return time.monotonic() - started

        assert _run_in_thread(go()) < 1.0

    @pytest.mark.parametrize(
        "headers",
        [
            {"X-A": "1\r\nX-Injected: 1"},
            {"X-A": "1\nX-Injected: 1"},
            {"X-A": "1\rX-Injected: 1"},
            {"X-A\r\nX-Injected": "1"},
            {"X-A": "nul\0"},
        ],
    )
    def test_line_breaks_are_never_written_into_the_request_head(self, headers):
        from cqs.lgsp.proxy.upstream import UpstreamError

        with pytest.raises(UpstreamError, match="line break"):
            _run_in_thread(_ask([b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"], headers=headers))
