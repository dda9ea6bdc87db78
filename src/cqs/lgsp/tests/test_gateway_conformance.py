"""One behaviour, two engines: the gateway conformance suite (docs/lgsp.md, "The gateway behaviour").

Every test runs against the built-in proxy and against HAProxy, each started as the real
``cqs lgsp_gateway`` command in a subprocess (one per engine for the module). Each test builds
the registry (``conftest.registry``), publishes it with ``publish.publish_now()`` exactly as the
control plane does, waits until the gateway serves that generation, then calls the gateway over
HTTP and checks what the client got, what reached the provider (a recording upstream) and what
the access log says. The assertions are the same for both engines: that is the point.

The gateway subprocess starts with ``--no-publish`` and a database it cannot open: engines never
read the database, and the registry of a test lives in that test's transaction, so what the
gateway serves is only what the test published.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid

import pytest
from django.test import override_settings

from cqs.lgsp import errors, publish
from cqs.lgsp.services import access
from cqs.lgsp.services import registry as registry_services
from cqs.lgsp.snapshot import gateway_token
from cqs.lgsp.testing import (
    access_token,
    big_body,
    body_hash,
    free_port,
    require_haproxy,
    running_gateway,
    sign_token,
    upstream_server,
    wait_for,
)

pytestmark = pytest.mark.django_db

ENGINES = ["builtin", "haproxy"]
INSTANCE = "XROADVN"
ERROR_CONTENT_TYPE = "application/json;charset=utf-8"
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
# How long a publication may take to be served (the built-in proxy checks every 0.25 s).
LOAD_TIMEOUT = 5.0
REVOCATION_SECONDS = 3.0


# ------------------------------------------------------------------------------------------------
# Fixtures: one upstream, one control plane and one gateway per engine for the module
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upstream():
    with upstream_server() as server:
        yield server


@pytest.fixture(scope="module")
def control_plane():
    """Stands in for Django's metaservice views: records what the gateway forwards there."""
    with upstream_server() as server:
        yield server


def _settings_for(engine: str, lgsp_dir, port: int, control_plane) -> dict:
    return {
        "CQS_LGSP_DIR": lgsp_dir,
        "CQS_LGSP_ENGINE": engine,
        "CQS_LGSP_GATEWAY_URL": f"http://127.0.0.1:{port}",
        "CQS_SITE_URL": control_plane.url,
    }


@pytest.fixture(scope="module", params=ENGINES)
def gateway(request, tmp_path_factory, django_db_setup, django_db_blocker, control_plane):
    engine = request.param
    if engine == "haproxy":
        require_haproxy()
    lgsp_dir = tmp_path_factory.mktemp(f"lgsp-{engine}")
    port = free_port()
    overrides = _settings_for(engine, lgsp_dir, port, control_plane)
    # An empty generation, applied before start (the command does not publish, see the module
    # docstring); each test then publishes its registry.
    from cqs.lgsp import engines
    from cqs.lgsp.snapshot import build_snapshot

    with override_settings(**overrides), django_db_blocker.unblock():
        directory = lgsp_dir / "generations" / "0"
        directory.mkdir(parents=True)
        engines.get(engine).apply(directory, build_snapshot())
    unreachable = f"sqlite:///{lgsp_dir}/no-database-here/db.sqlite3"
    with running_gateway(engine, lgsp_dir, port, database_url=unreachable, publish=False) as running:
        running.overrides = overrides
        yield running


@pytest.fixture(autouse=True)
def _gateway_settings(gateway, settings):
    for name, value in gateway.overrides.items():
        setattr(settings, name, value)


@pytest.fixture
def lgsp_upstream_url(upstream):
    return upstream.url


class Live:
    """The gateway of this test, with the registry published to it."""

    def __init__(self, gateway, registry, upstream, control_plane):
        self.gateway = gateway
        self.engine = gateway.engine
        self.url = gateway.url
        self.reg = registry
        self.upstream = upstream
        self.control_plane = control_plane

    def publish(self):
        """Publish the registry as it stands and wait until the gateway serves it: a fresh API key
        is issued with it, and the generation is live when that key is known (404, not 401)."""
        probe = access.api_key_issue(subsystem=self.reg.baocao, label="probe").secret
        generation = publish.publish_now(reason="conformance", force=True)
        assert generation is not None and generation.status == "active", generation and (
            generation.status,
            generation.error,
        )
        path = f"/r1/{INSTANCE}/GOV/probe/probe/probe"
        served = wait_for(
            lambda: self.gateway.call("GET", path, headers={"X-API-Key": probe}).status == 404,
            LOAD_TIMEOUT,
        )
        assert served, f"the {self.engine} gateway did not serve generation {generation.number}"

    def request(
        self,
        method: str,
        service,
        rest: str = "",
        *,
        key: str | None = None,
        token: str | None = None,
        request_id: str | None = None,
        headers: dict | None = None,
        body: bytes | None = None,
    ):
        sent = dict(headers or {})
        if key is not None:
            sent[errors.API_KEY_HEADER] = key
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if request_id is not None:
            sent["X-Road-Id"] = request_id
        service_id = service if isinstance(service, str) else service.xroad_id
        return self.gateway.call(method, f"/r1/{service_id}{rest}", headers=sent, body=body)

    def log_line(self, request_id: str) -> dict:
        line = wait_for(lambda: self.gateway.log_line(request_id), 3.0)
        assert line, f"no access log line for {request_id} in {self.gateway.access_log}"
        return line


@pytest.fixture
def live(gateway, registry, upstream, control_plane):
    """The registry published to the engine's gateway (extra setup first, then ``.publish()``)."""
    return Live(gateway, registry, upstream, control_plane)


@pytest.fixture
def gw(live):
    live.publish()
    return live


def new_id() -> str:
    return f"conf-{uuid.uuid4().hex}"


def assert_gateway_error(response, error: errors.GatewayError, *, request_id: str | None = None):
    """The gateway's own error: status, X-Road-Error, JSON body {type, message, detail}."""
    assert response.status == error.status, (response.status, response.body[:300])
    assert response.header("Content-Type") == ERROR_CONTENT_TYPE
    assert response.header("X-Road-Error") == error.type
    response_id = response.header("X-Road-Id")
    assert response_id
    if request_id is not None:
        assert response_id == request_id
    assert response.json() == {"type": error.type, "message": error.message, "detail": response_id}


def assert_uuid4(value: str | None):
    assert value is not None
    parsed = uuid.UUID(value)
    assert parsed.version == 4 and str(parsed) == value.lower()


class Cases:
    """Several cases in one test (one publication per test keeps HAProxy reloads few); every case
    is checked and the failures are reported together, each under its name."""

    def __init__(self):
        self.failures: list[str] = []

    @contextlib.contextmanager
    def case(self, name: str):
        try:
            yield
        except (AssertionError, ValueError, KeyError, TypeError) as exc:
            self.failures.append(f"{name}: {exc!r}"[:1500])

    def check(self):
        assert not self.failures, "\n".join(self.failures)


def seconds_to_local_midnight() -> float:
    local = time.time() + errors.LOCAL_UTC_OFFSET_SECONDS
    return 86400 - local % 86400


# ------------------------------------------------------------------------------------------------
# Forwarding
# ------------------------------------------------------------------------------------------------


def test_get_with_query_reaches_the_upstream_under_its_base_path(gw):
    rid = new_id()
    query = "ho_ten=Nguy%E1%BB%85n+V%C4%83n+A&ngay_sinh=1990-01-02&x=1"
    response = gw.request(
        "GET",
        gw.reg.persons,
        f"/persons/001203004005?{query}",
        key=gw.reg.keys["dvc"],
        request_id=rid,
        headers={"X-Road-Client": gw.reg.dvc.xroad_id, "Accept": "application/json"},
    )

    assert response.status == 200, response.body[:300]
    assert response.header("X-Road-Error") is None
    assert response.header("X-Upstream") == "echo"  # the provider's own headers pass through
    received = gw.upstream.find(rid)
    assert received is not None
    assert (received.method, received.path, received.query) == ("GET", "/api/v1/persons/001203004005", query)
    assert received.header("X-Road-Client") == gw.reg.dvc.xroad_id
    assert received.header("X-Road-Service") == gw.reg.persons.xroad_id
    assert received.header("X-Road-Request-Hash") == body_hash(b"")
    assert received.header("Accept") == "application/json"
    assert response.json()["path"] == "/api/v1/persons/001203004005"
    assert response.header("X-Road-Id") == rid
    assert response.header("X-Road-Client") == gw.reg.dvc.xroad_id
    assert response.header("X-Road-Service") == gw.reg.persons.xroad_id
    assert response.header("X-Road-Request-Hash") == body_hash(b"")


def test_post_body_is_forwarded_unchanged_and_hashed(gw):
    rid = new_id()
    body = json.dumps(
        {"so_dinh_danh": "001203004005", "ho_ten": "Trần Thị Bình"}, ensure_ascii=False
    ).encode()
    response = gw.request(
        "POST",
        gw.reg.persons,
        "/persons/search?page=2",
        key=gw.reg.keys["dvc"],
        request_id=rid,
        headers={"Content-Type": "application/json; charset=utf-8"},
        body=body,
    )

    assert response.status == 200, response.body[:300]
    received = gw.upstream.find(rid)
    assert (received.method, received.path, received.query) == ("POST", "/api/v1/persons/search", "page=2")
    assert received.body == body
    assert received.header("Content-Type") == "application/json; charset=utf-8"
    assert received.header("X-Road-Request-Hash") == body_hash(body)
    assert response.header("X-Road-Request-Hash") == body_hash(body)


def test_upstream_without_base_path_gets_the_rest_path_as_is(gw):
    # motcua holds households through its group nhom-tinh.
    rid = new_id()
    response = gw.request(
        "DELETE", gw.reg.households, "/ho/42/thanh-vien", key=gw.reg.keys["motcua"], request_id=rid
    )

    assert response.status == 200, response.body[:300]
    received = gw.upstream.find(rid)
    assert (received.method, received.path) == ("DELETE", "/ho/42/thanh-vien")
    assert received.header("X-Road-Client") == gw.reg.motcua.xroad_id


def test_service_root_is_the_upstream_root(gw):
    rid = new_id()
    response = gw.request("GET", gw.reg.persons, "", key=gw.reg.keys["dvc"], request_id=rid)

    assert response.status == 200, response.body[:300]
    assert gw.upstream.find(rid).path == "/api/v1/"


def test_a_valid_x_road_id_is_kept(gw):
    rid = "Abc.123_x:y-" + "9" * 52  # 64 characters of the allowed set
    response = gw.request("GET", gw.reg.persons, "/persons", key=gw.reg.keys["dvc"], request_id=rid)

    assert response.status == 200
    assert response.header("X-Road-Id") == rid
    assert gw.upstream.find(rid) is not None


def test_a_missing_or_invalid_x_road_id_is_replaced_by_a_uuid4(gw):
    cases = Cases()
    for sent in (None, "", "có dấu", "a b", "a" * 65, "x/y", "x;y"):
        with cases.case(repr(sent)):
            headers = {"X-Forwarded-Marker": new_id()}
            if sent is not None:
                headers["X-Road-Id"] = sent.encode("utf-8").decode("latin-1")  # raw UTF-8 bytes
            response = gw.request("GET", gw.reg.persons, "/persons", key=gw.reg.keys["dvc"], headers=headers)
            assert response.status == 200, response.body[:300]
            generated = response.header("X-Road-Id")
            assert_uuid4(generated)
            received = gw.upstream.find(generated)
            assert received is not None
            assert received.header("X-Forwarded-Marker") == headers["X-Forwarded-Marker"]
    cases.check()


def test_the_gateway_credential_never_reaches_the_provider(gw):
    rid_key, rid_token = new_id(), new_id()
    by_key = gw.request(
        "GET",
        gw.reg.persons,
        "/persons",
        key=gw.reg.keys["dvc"],
        request_id=rid_key,
        headers={"X-CQS-Gateway-Token": "forged"},
    )
    by_token = gw.request(
        "GET",
        gw.reg.persons,
        "/persons",
        token=access_token(gw.reg.oauth),
        request_id=rid_token,
        headers={"X-CQS-Gateway-Token": "forged"},
    )

    assert (by_key.status, by_token.status) == (200, 200), (by_key.body[:300], by_token.body[:300])
    for rid in (rid_key, rid_token):
        received = gw.upstream.find(rid)
        assert not received.has_header(errors.API_KEY_HEADER)
        assert not received.has_header("Authorization")
        assert not received.has_header(errors.GATEWAY_TOKEN_HEADER)
        assert received.header("X-Road-Client") == gw.reg.dvc.xroad_id


def test_the_providers_own_authorization_passes_next_to_an_api_key(gw):
    # With X-API-Key as the gateway credential, Authorization is the provider's (docs/lgsp.md).
    rid = new_id()
    response = gw.request(
        "GET",
        gw.reg.persons,
        "/persons",
        key=gw.reg.keys["dvc"],
        request_id=rid,
        headers={"Authorization": "Bearer dancu-provider-token"},
    )

    assert response.status == 200, response.body[:300]
    received = gw.upstream.find(rid)
    assert received.header("Authorization") == "Bearer dancu-provider-token"
    assert not received.has_header(errors.API_KEY_HEADER)


# ------------------------------------------------------------------------------------------------
# 400, 401, 403 Client.InvalidClient, 404
# ------------------------------------------------------------------------------------------------


MALFORMED_PATHS = [
    "/",
    "/health",
    f"/r2/{INSTANCE}/GOV/000.00.00.H62/csdl-dancu/persons/persons",
    f"/r1/{INSTANCE}/GOV/000.00.00.H62/csdl-dancu",
    f"/r1/{INSTANCE}/GOV/000.00.00.H62/csdl-dancu/",
    f"/r1/{INSTANCE}//000.00.00.H62/csdl-dancu/persons",
    f"/r1/{INSTANCE}/GOV/-bad/csdl-dancu/persons",
    f"/r1/{INSTANCE}/GOV/000.00.00.H62/csdl%20dancu/persons",
]


def test_a_path_not_of_the_r1_form_is_a_bad_request(gw):
    cases = Cases()
    sent = {}
    for path in MALFORMED_PATHS:
        for with_key in (True, False):
            name = f"{path} {'with' if with_key else 'without'} a key"
            with cases.case(name):
                rid = new_id()
                headers = {"X-Road-Id": rid}
                if with_key:
                    headers[errors.API_KEY_HEADER] = gw.reg.keys["dvc"]
                response = gw.gateway.call("GET", path, headers=headers)
                sent[name] = rid
                assert_gateway_error(response, errors.BAD_REQUEST, request_id=rid)
    gw.log_line(rid)  # the last one: the built-in proxy writes its log every half second
    for name, rid in sent.items():
        with cases.case(f"{name} (log)"):
            line = gw.gateway.log_line(rid)
            assert line is not None
            assert (line["status"], line["error"], line["service"]) == (400, errors.BAD_REQUEST.type, "")
    cases.check()


MISSING_OR_UNKNOWN = {
    "none": {},
    "unknown-key": {"X-API-Key": "lgsp_not-a-key-of-anyone"},
    "empty-key": {"X-API-Key": ""},
    "garbage-bearer": {"Authorization": "Bearer not.a.jwt"},
    "empty-bearer": {"Authorization": "Bearer "},
    "basic": {"Authorization": "Basic ZHZjOnNlY3JldA=="},
}


def test_missing_or_unknown_credentials_are_unauthorized(gw):
    cases = Cases()
    for name, headers in MISSING_OR_UNKNOWN.items():
        with cases.case(name):
            rid = new_id()
            response = gw.request("GET", gw.reg.persons, "/persons", request_id=rid, headers=headers)
            assert_gateway_error(response, errors.UNAUTHORIZED, request_id=rid)
            assert response.header("WWW-Authenticate") == 'Bearer realm="lgsp"'
            assert gw.upstream.find(rid) is None
    cases.check()


def test_authentication_comes_before_the_service_lookup(gw):
    rid = new_id()
    response = gw.request(
        "GET", f"{INSTANCE}/GOV/000.00.00.H62/csdl-dancu/no-such-service", "/x", request_id=rid
    )

    assert_gateway_error(response, errors.UNAUTHORIZED, request_id=rid)


def seconds_until(check, change, *, limit: float) -> float | None:
    """Seconds from the start of ``change()`` (a revocation and its publication) until ``check()``
    holds, polled from a thread meanwhile (publishing may return after the gateway has switched);
    None if it does not within ``limit``."""
    seen: list[float] = []
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            if check():
                seen.append(time.monotonic())
                return
            time.sleep(0.05)

    started = time.monotonic()
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        change()
        poller.join(timeout=max(limit - (time.monotonic() - started), 0) + 0.2)
    finally:
        stop.set()
        poller.join(timeout=5)
    return seen[0] - started if seen else None


def revoke_and_publish(revoke):
    def change():
        revoke()
        publish.publish_now(reason="revocation")

    return change


def test_a_revoked_api_key_is_refused_within_seconds(gw):
    key = gw.reg.keys["dvc"]
    assert gw.request("GET", gw.reg.persons, "/persons", key=key).status == 200

    elapsed = seconds_until(
        lambda: gw.request("GET", gw.reg.persons, "/persons", key=key).status == 401,
        revoke_and_publish(lambda: access.credential_revoke(credential=gw.reg.credentials["dvc"])),
        limit=REVOCATION_SECONDS,
    )

    assert elapsed is not None and elapsed <= REVOCATION_SECONDS, f"refused after {elapsed} s"
    assert_gateway_error(gw.request("GET", gw.reg.persons, "/persons", key=key), errors.UNAUTHORIZED)


def test_a_revoked_grant_is_refused_within_seconds(gw):
    key = gw.reg.keys["dvc"]
    assert gw.request("GET", gw.reg.persons, "/persons", key=key).status == 200

    elapsed = seconds_until(
        lambda: gw.request("GET", gw.reg.persons, "/persons", key=key).status == 403,
        revoke_and_publish(
            lambda: access.grant_revoke(grant=gw.reg.grants["dvc"], reason="Hết thời hạn thử nghiệm")
        ),
        limit=REVOCATION_SECONDS,
    )

    assert elapsed is not None and elapsed <= REVOCATION_SECONDS, f"refused after {elapsed} s"
    assert_gateway_error(gw.request("GET", gw.reg.persons, "/persons", key=key), errors.ACCESS_DENIED)


# --- OAuth2 access tokens -------------------------------------------------------------------------


def test_a_valid_access_token_is_accepted(gw):
    rid = new_id()
    response = gw.request(
        "GET", gw.reg.persons, "/persons?ma=1", token=access_token(gw.reg.oauth), request_id=rid
    )

    assert response.status == 200, response.body[:300]
    assert response.header("X-Road-Client") == gw.reg.dvc.xroad_id
    assert gw.upstream.find(rid).header("X-Road-Client") == gw.reg.dvc.xroad_id


def _other_key_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_an_invalid_access_token_is_unauthorized(gw):
    reg = gw.reg
    valid = {"client": reg.dvc.xroad_id, "credential_id": reg.oauth.pk}
    variants = {
        "expired": {"lifetime": -30},
        "audience": {"audience": "not-lgsp"},
        "issuer": {"issuer": "https://attacker.example/lgsp"},
        "other-key": {"private_pem": _other_key_pem()},
        "unknown-cid": {"credential_id": 987654321},
        "sub-mismatch": {"client": reg.motcua.xroad_id},
        "api-key-cid": {"credential_id": reg.credentials["dvc"].pk},  # an API key is no OAuth client
    }
    cases = Cases()
    for name, changes in variants.items():
        with cases.case(name):
            rid = new_id()
            token = sign_token(**{**valid, **changes})
            response = gw.request("GET", reg.persons, "/persons", token=token, request_id=rid)
            assert_gateway_error(response, errors.UNAUTHORIZED, request_id=rid)
            assert response.header("WWW-Authenticate") == 'Bearer realm="lgsp"'
    cases.check()


def test_a_token_signed_here_with_the_platform_key_is_accepted(gw):
    # The control of the suite itself: the claims built by sign_token() are the valid ones.
    token = sign_token(client=gw.reg.dvc.xroad_id, credential_id=gw.reg.oauth.pk)

    assert gw.request("GET", gw.reg.persons, "/persons", token=token).status == 200


def test_tokens_of_a_revoked_oauth_client_are_refused_within_seconds(gw):
    token = access_token(gw.reg.oauth)
    assert gw.request("GET", gw.reg.persons, "/persons", token=token).status == 200

    elapsed = seconds_until(
        lambda: gw.request("GET", gw.reg.persons, "/persons", token=token).status == 401,
        revoke_and_publish(lambda: access.credential_revoke(credential=gw.reg.oauth)),
        limit=REVOCATION_SECONDS,
    )

    assert elapsed is not None and elapsed <= REVOCATION_SECONDS, f"refused after {elapsed} s"


# --- X-Road-Client, unknown services --------------------------------------------------------------


def test_an_x_road_client_other_than_the_authenticated_one_is_refused(gw):
    rid = new_id()
    response = gw.request(
        "GET",
        gw.reg.persons,
        "/persons",
        key=gw.reg.keys["dvc"],
        request_id=rid,
        headers={"X-Road-Client": gw.reg.motcua.xroad_id},
    )

    assert_gateway_error(response, errors.INVALID_CLIENT, request_id=rid)
    assert gw.upstream.find(rid) is None


def test_the_client_check_comes_before_the_service_lookup(gw):
    response = gw.request(
        "GET",
        f"{INSTANCE}/GOV/000.00.00.H62/csdl-dancu/no-such-service",
        key=gw.reg.keys["dvc"],
        headers={"X-Road-Client": gw.reg.motcua.xroad_id},
    )

    assert_gateway_error(response, errors.INVALID_CLIENT)


def test_an_unknown_service_is_not_found(gw):
    rid = new_id()
    response = gw.request(
        "GET",
        f"{INSTANCE}/GOV/000.00.00.H62/csdl-dancu/no-such-service",
        "/x",
        key=gw.reg.keys["dvc"],
        request_id=rid,
    )

    assert_gateway_error(response, errors.UNKNOWN_SERVICE, request_id=rid)


def test_a_draft_service_is_not_found(live):
    draft = registry_services.service_create(
        subsystem=live.reg.provider,
        code="draft",
        name="Dịch vụ đang soạn",
        upstream_url=live.upstream.url,
        legal_basis="Nghị định 47/2020/NĐ-CP",
        data_classification="shared",
    )
    access.grant_create(service=draft, client=live.reg.dvc)
    live.publish()

    assert_gateway_error(live.request("GET", draft, "/x", key=live.reg.keys["dvc"]), errors.UNKNOWN_SERVICE)


# ------------------------------------------------------------------------------------------------
# Access rights
# ------------------------------------------------------------------------------------------------


def test_a_client_without_a_grant_is_denied(gw):
    rid = new_id()
    response = gw.request("GET", gw.reg.persons, "/persons", key=gw.reg.keys["baocao"], request_id=rid)

    assert_gateway_error(response, errors.ACCESS_DENIED, request_id=rid)
    assert gw.upstream.find(rid) is None


ENDPOINT_CASES = [
    ("GET", "/persons", 200),
    ("GET", "/persons/", 200),
    ("GET", "/persons/001203004005", 200),
    ("GET", "/persons?ma=1", 200),
    ("GET", "/personsX", 403),
    ("GET", "/persons-search", 403),
    ("GET", "/person", 403),
    ("GET", "/", 403),
    ("GET", "", 403),
    ("GET", "/other/persons", 403),
    ("POST", "/persons", 403),
    ("POST", "/persons/search", 403),
    ("DELETE", "/persons/001203004005", 403),
]


def test_an_endpoint_grant_allows_that_method_and_path_prefix_only(gw):
    # motcua holds GET /persons of the persons service, nothing else.
    cases = Cases()
    for method, rest, status in ENDPOINT_CASES:
        with cases.case(f"{method} {rest or '(none)'}"):
            rid = new_id()
            body = None if method == "GET" else b"{}"
            response = gw.request(
                method, gw.reg.persons, rest, key=gw.reg.keys["motcua"], request_id=rid, body=body
            )
            if status == 200:
                assert response.status == 200, response.body[:300]
                assert gw.upstream.find(rid) is not None
            else:
                assert_gateway_error(response, errors.ACCESS_DENIED, request_id=rid)
                assert gw.upstream.find(rid) is None
    cases.check()


def test_an_any_method_root_endpoint_grant_allows_everything(live):
    service = registry_services.service_create(
        subsystem=live.reg.provider,
        code="open-all",
        name="Dịch vụ thử",
        upstream_url=f"{live.upstream.url}/mo",
        legal_basis="Nghị định 47/2020/NĐ-CP",
        data_classification="open",
        publish_now=True,
    )
    root = registry_services.endpoint_create(service=service, method="*", path="/")
    access.grant_create(service=service, client=live.reg.baocao, endpoint=root)
    live.publish()

    for method, rest in (("GET", ""), ("POST", "/a/b"), ("PUT", "/x"), ("DELETE", "/y/z")):
        response = live.request(
            method, service, rest, key=live.reg.keys["baocao"], body=None if method == "GET" else b"{}"
        )
        assert response.status == 200, (method, rest, response.body[:300])


# ------------------------------------------------------------------------------------------------
# Rate limits and daily quotas
# ------------------------------------------------------------------------------------------------


def _limited_service(live, *, rate: int, quota: int | None, endpoint_only: bool = False):
    """A fresh service (so no counter of an earlier test applies) granted to baocao."""
    service = registry_services.service_create(
        subsystem=live.reg.provider,
        code=f"limited-{uuid.uuid4().hex[:10]}",
        name="Dịch vụ có giới hạn",
        upstream_url=f"{live.upstream.url}/limited",
        legal_basis="Nghị định 47/2020/NĐ-CP",
        data_classification="shared",
        publish_now=True,
    )
    endpoint = None
    if endpoint_only:
        endpoint = registry_services.endpoint_create(service=service, method="GET", path="/allowed")
    access.grant_create(
        service=service, client=live.reg.baocao, endpoint=endpoint, rate_per_minute=rate, daily_quota=quota
    )
    live.publish()
    return service


def test_the_rate_limit_counts_accepted_calls_only_and_answers_429(live):
    service = _limited_service(live, rate=3, quota=None, endpoint_only=True)
    key = live.reg.keys["baocao"]

    # Refused calls on the same grant do not count.
    for _ in range(5):
        assert live.request("GET", service, "/denied", key=key).status == 403
    accepted = [live.request("GET", service, "/allowed", key=key).status for _ in range(3)]
    rid = new_id()
    refused = live.request("GET", service, "/allowed", key=key, request_id=rid)

    assert accepted == [200, 200, 200]
    assert_gateway_error(refused, errors.RATE_LIMITED, request_id=rid)
    assert refused.header("Retry-After") == str(errors.RATE_WINDOW_SECONDS)
    assert live.upstream.find(rid) is None
    forwarded = [r for r in live.upstream.requests if r.header("X-Road-Service") == service.xroad_id]
    assert len(forwarded) == 3
    assert live.request("GET", service, "/allowed", key=key).status == 429


def test_the_rate_limit_is_per_client(live):
    service = _limited_service(live, rate=2, quota=None)
    access.grant_create(service=service, client=live.reg.dvc, rate_per_minute=2)
    live.publish()

    statuses = [live.request("GET", service, "/x", key=live.reg.keys["baocao"]).status for _ in range(3)]
    other = live.request("GET", service, "/x", key=live.reg.keys["dvc"]).status

    assert statuses == [200, 200, 429]
    assert other == 200


def test_the_daily_quota_answers_429_until_local_midnight(live):
    service = _limited_service(live, rate=10_000, quota=2)
    key = live.reg.keys["baocao"]

    accepted = [live.request("GET", service, "/x", key=key).status for _ in range(2)]
    rid = new_id()
    refused = live.request("GET", service, "/x", key=key, request_id=rid)

    assert accepted == [200, 200]
    assert_gateway_error(refused, errors.QUOTA_EXCEEDED, request_id=rid)
    retry_after = int(refused.header("Retry-After"))
    assert 0 < retry_after <= 86400
    assert abs(retry_after - seconds_to_local_midnight()) <= 3


# ------------------------------------------------------------------------------------------------
# Upstream failures and the provider's own answers
# ------------------------------------------------------------------------------------------------


def _service_at(live, *, upstream_url: str, timeout_ms: int = 5000):
    service = registry_services.service_create(
        subsystem=live.reg.provider,
        code=f"svc-{uuid.uuid4().hex[:10]}",
        name="Dịch vụ thử lỗi",
        upstream_url=upstream_url,
        timeout_ms=timeout_ms,
        legal_basis="Nghị định 47/2020/NĐ-CP",
        data_classification="shared",
        publish_now=True,
    )
    access.grant_create(service=service, client=live.reg.dvc)
    live.publish()
    return service


def test_a_closed_upstream_port_is_502_service_failed(live):
    service = _service_at(live, upstream_url=f"http://127.0.0.1:{free_port()}/api")
    rid = new_id()

    response = live.request("GET", service, "/persons", key=live.reg.keys["dvc"], request_id=rid)

    assert_gateway_error(response, errors.SERVICE_FAILED, request_id=rid)
    assert response.elapsed < 3
    line = live.log_line(rid)
    assert (line["status"], line["error"], line["client"]) == (
        502,
        errors.SERVICE_FAILED.type,
        live.reg.dvc.xroad_id,
    )


def test_a_slow_upstream_is_504_service_timeout_within_the_timeout(live):
    service = _service_at(live, upstream_url=live.upstream.url, timeout_ms=300)
    rid = new_id()

    response = live.request("GET", service, "/slow?ms=3000", key=live.reg.keys["dvc"], request_id=rid)

    assert_gateway_error(response, errors.SERVICE_TIMEOUT, request_id=rid)
    assert response.elapsed < 0.3 + 1.5
    assert response.elapsed >= 0.25
    # The gateway is still serving after it gave up on the upstream.
    assert live.request("GET", service, "/slow?ms=10", key=live.reg.keys["dvc"]).status == 200


def test_the_providers_own_errors_pass_through_unchanged(gw):
    cases = Cases()
    for status in (400, 404, 500, 502, 503, 504):
        with cases.case(str(status)):
            rid = new_id()
            response = gw.request(
                "GET", gw.reg.persons, f"/status/{status}", key=gw.reg.keys["dvc"], request_id=rid
            )
            assert response.status == status
            assert response.header("X-Road-Error") is None
            assert response.header("Content-Type") == "application/json"
            assert response.header("X-Upstream") == "echo"
            assert response.json()["upstream_status"] == status
            assert response.header("X-Road-Id") == rid
            line = gw.log_line(rid)
            assert (line["status"], line["error"]) == (status, "")
    cases.check()


# ------------------------------------------------------------------------------------------------
# Large bodies (hash limit)
# ------------------------------------------------------------------------------------------------


def test_a_request_body_over_the_hash_limit_goes_through_unhashed(gw):
    rid = new_id()
    body = big_body(errors.HASH_BODY_LIMIT // 1024 + 44)  # 44 KiB over
    response = gw.request(
        "POST",
        gw.reg.persons,
        "/persons/upload",
        key=gw.reg.keys["dvc"],
        request_id=rid,
        headers={"Content-Type": "application/octet-stream"},
        body=body,
    )

    assert response.status == 200, response.body[:300]
    assert response.json()["body_sha512"] == body_hash(body)
    received = gw.upstream.find(rid)
    assert received.body == body
    assert not received.has_header("X-Road-Request-Hash")
    assert response.header("X-Road-Request-Hash") is None
    line = gw.log_line(rid)
    assert line["hash_complete"] is False
    assert line["bytes_in"] >= len(body)


def test_a_request_body_at_the_hash_limit_is_hashed(gw):
    rid = new_id()
    body = big_body(errors.HASH_BODY_LIMIT // 1024)
    response = gw.request(
        "POST", gw.reg.persons, "/persons/upload", key=gw.reg.keys["dvc"], request_id=rid, body=body
    )

    assert response.status == 200, response.body[:300]
    assert gw.upstream.find(rid).header("X-Road-Request-Hash") == body_hash(body)
    assert response.header("X-Road-Request-Hash") == body_hash(body)
    assert gw.log_line(rid)["request_hash"] == body_hash(body)


def test_a_response_over_the_hash_limit_goes_through_whole(gw):
    rid = new_id()
    response = gw.request("GET", gw.reg.persons, "/big?kb=600", key=gw.reg.keys["dvc"], request_id=rid)

    assert response.status == 200
    assert response.body == big_body(600)
    line = gw.log_line(rid)
    assert line["hash_complete"] is False
    assert line["bytes_out"] >= 600 * 1024


# ------------------------------------------------------------------------------------------------
# The access log
# ------------------------------------------------------------------------------------------------


def test_the_access_log_line_of_a_call_has_the_evidence_and_nothing_private(gw):
    rid = new_id()
    cccd = "0012030" + str(uuid.uuid4().int)[:5]
    body = json.dumps({"so_dinh_danh": cccd, "marker": rid[::-1]}).encode()
    before = time.time()
    response = gw.request(
        "POST",
        gw.reg.persons,
        f"/persons/search?so_dinh_danh={cccd}",
        key=gw.reg.keys["dvc"],
        request_id=rid,
        body=body,
    )
    after = time.time()
    assert response.status == 200

    line = gw.log_line(rid)
    assert set(line) == LOG_FIELDS
    assert line["engine"] == gw.engine
    assert before - 1 <= line["ts"] <= after + 1
    assert round(line["ts"], 3) == pytest.approx(line["ts"], abs=1e-6)  # millisecond precision
    assert line["request_id"] == rid
    assert line["client"] == gw.reg.dvc.xroad_id
    assert line["service"] == gw.reg.persons.xroad_id
    assert (line["method"], line["status"], line["error"]) == ("POST", 200, "")
    assert (
        isinstance(line["latency_ms"], int | float)
        and 0 <= line["latency_ms"] <= (after - before) * 1000 + 50
    )
    assert isinstance(line["bytes_in"], int) and line["bytes_in"] >= len(body)
    assert isinstance(line["bytes_out"], int) and line["bytes_out"] >= len(response.body)
    assert line["request_hash"] == body_hash(body)
    assert line["response_hash"] == body_hash(response.body)
    assert line["hash_complete"] is True
    raw = gw.gateway.raw_log()
    for secret in (cccd, rid[::-1], gw.reg.keys["dvc"], "/persons/search", "so_dinh_danh"):
        assert secret not in raw


def test_the_access_log_line_of_a_refusal(gw):
    rid_unauth, rid_denied = new_id(), new_id()
    gw.request("GET", gw.reg.persons, "/persons?x=1", key="lgsp_wrong-key-zz9", request_id=rid_unauth)
    gw.request("GET", gw.reg.persons, "/persons", key=gw.reg.keys["baocao"], request_id=rid_denied)

    unauth = gw.log_line(rid_unauth)
    denied = gw.log_line(rid_denied)
    assert set(unauth) == set(denied) == LOG_FIELDS
    assert (unauth["client"], unauth["service"], unauth["status"], unauth["error"]) == (
        "",
        gw.reg.persons.xroad_id,
        401,
        errors.UNAUTHORIZED.type,
    )
    assert (denied["client"], denied["status"], denied["error"]) == (
        gw.reg.baocao.xroad_id,
        403,
        errors.ACCESS_DENIED.type,
    )
    assert "lgsp_wrong-key-zz9" not in gw.gateway.raw_log()


# ------------------------------------------------------------------------------------------------
# Metaservices
# ------------------------------------------------------------------------------------------------


def test_metaservices_are_forwarded_to_the_control_plane(gw):
    provider = gw.reg.provider.xroad_id
    cases = Cases()
    for metaservice in ("listMethods", "allowedMethods", "getOpenAPI"):
        with cases.case(metaservice):
            rid = new_id()
            query = "serviceCode=persons" if metaservice == "getOpenAPI" else ""
            response = gw.gateway.call(
                "GET",
                f"/r1/{provider}/{metaservice}" + (f"?{query}" if query else ""),
                headers={
                    "X-API-Key": gw.reg.keys["baocao"],
                    "X-Road-Id": rid,
                    "X-CQS-Gateway-Token": "forged",
                },
            )
            # No grant is needed: baocao holds none.
            assert response.status == 200, response.body[:300]
            received = gw.control_plane.find(rid)
            assert received is not None
            assert (received.method, received.path, received.query) == (
                "GET",
                f"/lgsp/meta/r1/{provider}/{metaservice}",
                query,
            )
            assert received.header("X-Road-Client") == gw.reg.baocao.xroad_id
            sent = [
                value
                for name, value in received.headers
                if name.lower() == errors.GATEWAY_TOKEN_HEADER.lower()
            ]
            assert sent == [gateway_token()]
            assert not received.has_header(errors.API_KEY_HEADER)
            assert not received.has_header("Authorization")
    cases.check()


def test_list_clients_is_forwarded_to_the_control_plane(gw):
    rid = new_id()
    response = gw.gateway.call(
        "GET",
        "/r1/listClients",
        headers={"Authorization": f"Bearer {access_token(gw.reg.oauth)}", "X-Road-Id": rid},
    )

    assert response.status == 200, response.body[:300]
    received = gw.control_plane.find(rid)
    assert received.path == "/lgsp/meta/r1/listClients"
    assert received.header("X-Road-Client") == gw.reg.dvc.xroad_id
    assert received.header(errors.GATEWAY_TOKEN_HEADER) == gateway_token()
    assert not received.has_header("Authorization")


def test_metaservices_need_authentication(gw):
    rid = new_id()
    response = gw.gateway.call(
        "GET", f"/r1/{gw.reg.provider.xroad_id}/listMethods", headers={"X-Road-Id": rid}
    )
    listing = gw.gateway.call("GET", "/r1/listClients")

    assert_gateway_error(response, errors.UNAUTHORIZED, request_id=rid)
    assert_gateway_error(listing, errors.UNAUTHORIZED)
    assert gw.control_plane.find(rid) is None


def test_a_metaservice_of_an_unknown_subsystem_is_not_found(gw):
    rid = new_id()
    response = gw.gateway.call(
        "GET",
        f"/r1/{INSTANCE}/GOV/000.00.00.H62/no-such-system/listMethods",
        headers={"X-API-Key": gw.reg.keys["dvc"], "X-Road-Id": rid},
    )

    assert_gateway_error(response, errors.UNKNOWN_SERVICE, request_id=rid)
    assert gw.control_plane.find(rid) is None
