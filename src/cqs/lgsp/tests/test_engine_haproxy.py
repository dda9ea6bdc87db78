"""The HAProxy engine: compile, ``haproxy -c``, atomic swap, hitless reload and rollback.

Real HAProxy, no mocks: skipped where it is not installed, failed under CI. The gateway's
behaviour itself (401/403/429/502/504, headers, log) is the conformance suite's
(``test_gateway_conformance.py``), which runs against this engine too.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from cqs.core.exceptions import ServiceError
from cqs.lgsp import errors, publish
from cqs.lgsp.choices import GenerationStatus
from cqs.lgsp.engines import EngineError, haproxy
from cqs.lgsp.services import access
from cqs.lgsp.services import registry as reg
from cqs.lgsp.snapshot import build_snapshot
from cqs.lgsp.testing import free_port, require_haproxy, running_gateway, upstream_server, wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _haproxy():
    require_haproxy()


@pytest.fixture
def upstream():
    with upstream_server() as server:
        yield server


@pytest.fixture
def lgsp_upstream_url(upstream):
    return upstream.url


@pytest.fixture
def engine_settings(tmp_path, settings):
    port = free_port()
    settings.CQS_LGSP_DIR = tmp_path / "lgsp"
    settings.CQS_LGSP_ENGINE = "haproxy"
    settings.CQS_LGSP_GATEWAY_URL = f"http://127.0.0.1:{port}"
    return port


def _key(registry, code="dvc") -> str:
    return registry.keys[code]


def _persons(registry) -> str:
    return f"/r1/{registry.persons.xroad_id}/persons"


# ------------------------------------------------------------------------------------------------
# Compile and validate
# ------------------------------------------------------------------------------------------------


def test_a_realistic_snapshot_renders_and_passes_haproxy_check(registry, engine_settings, tmp_path):
    snapshot = build_snapshot()
    assert snapshot["services"] and snapshot["grants"] and snapshot["api_keys"]
    files = haproxy.render(snapshot, base_dir=tmp_path / "gen")
    # One backend per service; maps for keys, tokens, grants and endpoint prefixes.
    config = files[haproxy.CONFIG_FILE]
    assert config.count("\nbackend svc") == len(snapshot["services"])
    assert f"127.0.0.1:{engine_settings}" in config
    assert "timeout server 5000ms" in config
    persons = next(sid for sid in snapshot["services"] if sid.endswith("/persons"))
    assert f"set-path /api/v1/%[path,bytes({len('/r1/' + persons + '/')})]" in config
    for sha, entry in snapshot["api_keys"].items():
        assert f"{sha} {entry['client']}\n" in files["apikeys.map"]
    motcua = f"{registry.motcua.xroad_id}|{registry.persons.xroad_id}"
    ghash = haproxy.grant_hash(motcua)
    assert f"{motcua} {ghash};10000;-1;1\n" in files["grants.map"]
    assert files["endpoints.map"] == f"{ghash}|GET|/persons/ 1\n"
    # Every gateway message is in the configuration, JSON-escaped.
    for error in errors.ALL:
        assert error.message.replace("%", "%%") in config
    haproxy.HaproxyEngine().validate(snapshot)


def test_https_upstreams_verify_the_certificate(registry, engine_settings, tmp_path):
    reg.service_update(service=registry.households, upstream_url="https://api.example.gov.vn:8443/v2")
    files = haproxy.render(build_snapshot(), base_dir=tmp_path)
    config = files[haproxy.CONFIG_FILE]
    assert "server upstream api.example.gov.vn:8443 ssl verify required ca-file" in config
    assert "set-header Host api.example.gov.vn:8443" in config
    haproxy.HaproxyEngine().validate(build_snapshot())


def test_validate_refuses_a_snapshot_haproxy_rejects(registry, engine_settings):
    snapshot = build_snapshot()
    service_id = next(iter(snapshot["services"]))
    # Handcrafted (the registry cannot produce it): an issuer that ends the ACL block early.
    snapshot["jwt"]["issuer"] = "}"
    with pytest.raises(EngineError) as caught:
        haproxy.HaproxyEngine().validate(snapshot)
    assert caught.value.message.startswith("haproxy -c: ")
    assert "parsing" in caught.value.message
    snapshot = build_snapshot()
    snapshot["services"][service_id]["upstream"] = "ftp://127.0.0.1/x"
    with pytest.raises(EngineError, match="not an http"):
        haproxy.HaproxyEngine().validate(snapshot)


def test_a_missing_binary_is_a_clear_engine_error(registry, engine_settings, settings):
    settings.CQS_LGSP_HAPROXY_BIN = "/nonexistent/haproxy"
    with pytest.raises(EngineError, match="HAProxy not found"):
        haproxy.HaproxyEngine().validate(build_snapshot())


def test_validate_or_refuse_rolls_back_a_service_update_the_engine_refuses(
    registry, engine_settings, settings
):
    """No registry input that passes the services' own checks makes an invalid HAProxy
    configuration (upstream URLs with quotes, spaces, ``|`` or ``#`` are refused first, with
    ``invalid_upstream_url``), so the engine's refusal is shown with HAProxy missing: the change
    is rolled back with ``invalid_gateway_config`` and nothing is published."""
    before = registry.households.timeout_ms
    with pytest.raises(ServiceError) as caught:
        reg.service_update(service=registry.households, upstream_url="http://127.0.0.1:8080/a'b")
    assert caught.value.code == "invalid_upstream_url"
    settings.CQS_LGSP_HAPROXY_BIN = "/nonexistent/haproxy"
    with pytest.raises(ServiceError) as caught:
        reg.service_update(service=registry.households, timeout_ms=before + 1)
    assert caught.value.code == "invalid_gateway_config"
    assert "HAProxy not found" in str(caught.value)
    registry.households.refresh_from_db()
    assert registry.households.timeout_ms == before


# ------------------------------------------------------------------------------------------------
# Apply: not running, running (reload), failed reload (rollback)
# ------------------------------------------------------------------------------------------------


def test_apply_without_a_running_master_switches_the_link(registry, engine_settings, settings):
    generation = publish.publish_now(reason="test", force=True)
    assert generation.status == GenerationStatus.ACTIVE
    assert generation.error == "HAProxy not running; loads at start"
    link = haproxy.current_link()
    assert link.is_symlink()
    assert link.resolve() == (settings.CQS_LGSP_DIR / "generations" / str(generation.number) / "haproxy")
    assert haproxy.current_config().exists()


def _gateway(engine_settings, settings):
    """The command in a subprocess, serving the published generation (it cannot reach the test
    database, so it runs the active files: ``--no-publish``)."""
    publish.publish_now(reason="test", force=True)
    return running_gateway(
        "haproxy",
        settings.CQS_LGSP_DIR,
        engine_settings,
        command=None,
        database_url=f"sqlite:///{settings.CQS_LGSP_DIR}/no-database/db.sqlite3",
    )


def test_publishing_to_a_running_gateway_reloads_it(registry, engine_settings, settings, upstream):
    with _gateway(engine_settings, settings) as gateway:
        assert (settings.CQS_LGSP_DIR / "haproxy" / "master.pid").exists()
        key = _key(registry)
        assert gateway.call("GET", _persons(registry), headers={"X-API-Key": key}).status == 200
        # A newly published service answers once its generation is applied.
        new = reg.service_create(
            subsystem=registry.provider,
            code="vehicles",
            name="Tra cứu phương tiện",
            upstream_url=f"{upstream.url}/v",
            legal_basis="Nghị định 47/2020/NĐ-CP",
            data_classification="personal",
            timeout_ms=5000,
            publish_now=True,
        )
        access.grant_create(service=new, client=registry.dvc, rate_per_minute=100)
        path = f"/r1/{new.xroad_id}/cars"
        assert gateway.call("GET", path, headers={"X-API-Key": key}).status == 404
        generation = publish.publish_now(reason="new service")
        assert generation.status == GenerationStatus.ACTIVE, generation.error
        assert generation.reload_ms > 0 and not generation.error
        response = gateway.call("GET", path, headers={"X-API-Key": key})
        assert response.status == 200
        assert upstream.find(response.header("X-Road-Id")).path == "/v/cars"
        # A revoked key is refused after the next publication.
        access.credential_revoke(credential=registry.credentials["dvc"])
        publish.publish_now(reason="revocation")
        assert gateway.call("GET", path, headers={"X-API-Key": key}).status == 401
        # The access log of the HAProxy engine is where the evidence reader looks for it.
        log = settings.CQS_LGSP_DIR / "logs" / "access-haproxy.jsonl"
        assert wait_for(lambda: '"engine": "haproxy"' in log.read_text(), 3.0)


def test_rate_counters_survive_a_reload(registry, engine_settings, settings):
    access.grant_create(service=registry.households, client=registry.baocao, rate_per_minute=3)
    with _gateway(engine_settings, settings) as gateway:
        key = _key(registry, "baocao")
        path = f"/r1/{registry.households.xroad_id}/x"
        # A cold-started worker owns its tables after the peers' resync timeout (about 5 s);
        # only from then on does it hand them over (HAProxy 2.6).
        time.sleep(haproxy.COLD_START_SYNC_SECONDS)
        assert [gateway.call("GET", path, headers={"X-API-Key": key}).status for _ in range(3)] == [200] * 3
        # Another change, another generation: the stick tables move to the new worker (peers).
        reg.service_update(service=registry.persons, timeout_ms=4000)
        generation = publish.publish_now(reason="reload")
        assert generation.status == GenerationStatus.ACTIVE, generation.error
        assert gateway.call("GET", path, headers={"X-API-Key": key}).status == 429


def test_a_failed_reload_is_rolled_back_and_the_old_config_still_serves(registry, engine_settings, settings):
    with _gateway(engine_settings, settings) as gateway:
        key = _key(registry)
        before = haproxy.current_link().resolve()
        # The next generation binds a port that another process holds: `haproxy -c` accepts it,
        # the reload fails when the new master binds, and the engine switches back.
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            settings.CQS_LGSP_GATEWAY_URL = f"http://127.0.0.1:{taken.getsockname()[1]}"
            reg.service_update(service=registry.persons, timeout_ms=4000)
            generation = publish.publish_now(reason="port taken")
        assert generation.status == GenerationStatus.ROLLED_BACK, (generation.status, generation.error)
        assert "previous one still serves" in generation.error
        assert haproxy.current_link().resolve() == before
        assert gateway.call("GET", _persons(registry), headers={"X-API-Key": key}).status == 200
        # And the gateway still takes the next good generation.
        settings.CQS_LGSP_GATEWAY_URL = f"http://127.0.0.1:{engine_settings}"
        generation = publish.publish_now(reason="fixed")
        assert generation.status == GenerationStatus.ACTIVE, generation.error
        assert gateway.call("GET", _persons(registry), headers={"X-API-Key": key}).status == 200


def test_reloads_under_load_lose_no_request(registry, engine_settings, settings):
    with _gateway(engine_settings, settings) as gateway:
        key = _key(registry)
        path = _persons(registry)
        results: list[int] = []
        failures: list[str] = []
        stop = threading.Event()

        def client():
            while not stop.is_set():
                try:
                    results.append(gateway.call("GET", path, headers={"X-API-Key": key}, timeout=10).status)
                except OSError as exc:  # a refused or reset connection is a lost request
                    failures.append(repr(exc))

        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            for number in range(5):
                time.sleep(0.3)
                reg.service_update(service=registry.persons, timeout_ms=4000 + number)
                generation = publish.publish_now(reason=f"reload {number}")
                assert generation.status == GenerationStatus.ACTIVE, generation.error
            time.sleep(0.3)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=15)
        assert not failures, failures[:3]
        assert len(results) > 50
        assert set(results) == {200}


def test_the_command_exits_with_a_clear_error_without_configuration(engine_settings, settings, tmp_path):
    """No database and no published files: nothing to serve, a message and a non-zero exit."""
    import subprocess
    import sys

    env = {
        "CQS_LGSP_DIR": str(settings.CQS_LGSP_DIR),
        "CQS_LGSP_ENGINE": "haproxy",
        "DATABASE_URL": f"sqlite:///{tmp_path}/missing/db.sqlite3",
    }
    import os

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "cqs.manage", "lgsp_gateway", "--port", str(engine_settings)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "HAProxy" in result.stderr
