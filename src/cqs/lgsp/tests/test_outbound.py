"""The platform's own integrations through the gateway (``cqs.lgsp.outbound``) and the adapters.

End to end: the real built-in proxy (``cqs.lgsp.proxy.serve``) in a subprocess, on a free port,
serving the snapshot the test publishes; the fake DVCQG and VDXP in threads on free ports.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from cqs.core.outbox import DeliveryError
from cqs.documents.vdxp import VdxpError, client_from_settings
from cqs.fakes import dvcqg as dvcqg_fake
from cqs.fakes import vdxp as vdxp_fake
from cqs.fakes.testing import running
from cqs.lgsp import outbound, publish
from cqs.lgsp.services import access, registry
from cqs.onestop.dvcqg import dvcqg_fetch_procedure

pytestmark = pytest.mark.django_db

OURS = "000.00.00.H44"
VDXP_SECRET = "vdxp-test-secret"
DVCQG_TOKEN = "dvcqg-test-token"
START_TIMEOUT = 30


@pytest.fixture
def lgsp_dir(settings, tmp_path):
    settings.CQS_LGSP_DIR = tmp_path / "lgsp"
    settings.CQS_LGSP_ENGINE = "builtin"
    settings.CQS_LGSP_PLATFORM_KEY = ""
    settings.CQS_LGSP_ROUTE = []
    settings.CQS_LGSP_GATEWAY_URL = "http://127.0.0.1:9"
    return settings.CQS_LGSP_DIR


def national(*, dvcqg_url="http://127.0.0.1:9", vdxp_url="http://127.0.0.1:9", ris=False):
    """The province's platform subsystem, the Government Office's systems, their services and
    grants, the platform's key written where ``route()`` reads it."""
    province = registry.member_create(member_class="GOV", code=OURS, name="UBND tỉnh Phú Thọ")
    office = registry.member_create(member_class="GOV", code="000.00.00.G22", name="Văn phòng Chính phủ")
    platform = registry.subsystem_create(member=province, code="CQS", name="Nền tảng CQS")
    common = {"legal_basis": "Nghị định 47/2020/NĐ-CP", "data_classification": "shared", "timeout_ms": 5000}
    services = {}
    for code, url in (("dvcqg", dvcqg_url), ("vdxp", vdxp_url)) + (
        (("ris", "http://127.0.0.1:9"),) if ris else ()
    ):
        subsystem = registry.subsystem_create(member=office, code=code.upper(), name=code.upper())
        services[code] = registry.service_create(
            subsystem=subsystem, code=code, name=code, upstream_url=url, publish_now=True, **common
        )
        access.grant_create(service=services[code], client=platform, rate_per_minute=1000)
    issued = access.api_key_issue(subsystem=platform, label="nền tảng")
    outbound.write_platform_key(issued.secret)
    return platform, services, issued


# --- route() -----------------------------------------------------------------------------------


def test_given_routing_off_when_routed_then_the_direct_url_and_no_header(lgsp_dir):
    assert outbound.route("dvcqg", "http://portal.example/api") == ("http://portal.example/api", {})


def test_given_routing_on_when_routed_then_the_gateway_service_with_key_and_client(lgsp_dir, settings):
    platform, services, issued = national()
    settings.CQS_LGSP_ROUTE = ["dvcqg"]
    settings.CQS_LGSP_GATEWAY_URL = "http://gw.example:8200/"

    base, headers = outbound.route("dvcqg", "http://portal.example/api")

    assert base == f"http://gw.example:8200/r1/{services['dvcqg'].xroad_id}"
    assert headers == {"X-API-Key": issued.secret, "X-Road-Client": platform.xroad_id}
    # Only the named integrations are routed.
    assert outbound.route("vdxp", "http://axis.example") == ("http://axis.example", {})


def test_the_key_file_is_private_and_the_setting_wins_over_it(lgsp_dir, settings):
    national()
    mode = stat.S_IMODE(outbound.key_file().stat().st_mode)
    settings.CQS_LGSP_PLATFORM_KEY = "lgsp_from_the_environment"

    assert mode == 0o600
    assert outbound.platform_key() == "lgsp_from_the_environment"


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("no_gateway", "CQS_LGSP_GATEWAY_URL is empty"),
        ("no_service", "no published service DVCQG/dvcqg"),
        ("retired_service", "no published service DVCQG/dvcqg"),
        ("no_key", "no platform key"),
        ("revoked_key", "unknown, revoked or expired"),
        ("unknown_key", "unknown, revoked or expired"),
    ],
)
def test_routing_asked_but_impossible_is_a_clear_delivery_error(lgsp_dir, settings, breakage, message):
    settings.CQS_LGSP_ROUTE = ["dvcqg"]
    if breakage != "no_service":
        _platform, services, issued = national()
    if breakage == "no_gateway":
        settings.CQS_LGSP_GATEWAY_URL = ""
    elif breakage == "retired_service":
        registry.service_set_status(service=services["dvcqg"], status="retired")
    elif breakage == "no_key":
        outbound.key_file().unlink()
    elif breakage == "revoked_key":
        access.credential_revoke(credential=issued.credential)
    elif breakage == "unknown_key":
        settings.CQS_LGSP_PLATFORM_KEY = "lgsp_never_issued"

    with pytest.raises(outbound.RouteUnavailable, match=message) as raised:
        outbound.route("dvcqg", "http://portal.example")

    assert isinstance(raised.value, DeliveryError)


def test_an_unknown_integration_name_is_a_programming_error(lgsp_dir):
    with pytest.raises(ValueError, match="unknown integration"):
        outbound.route("sms", "http://sms.example")


# --- the adapters never go around the gateway ---------------------------------------------------


def recording(app, seen: list[dict]):
    """``app`` that also keeps the headers of every request it receives."""

    def wrapped(environ, start_response):
        seen.append(
            {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key[:5] == "HTTP_"}
        )
        return app(environ, start_response)

    return wrapped


@pytest.fixture
def portal():
    seen: list[dict] = []
    app = dvcqg_fake.make_app(token=DVCQG_TOKEN)
    with running(recording(app, seen)) as fake:
        app.url, app.seen = fake.url, seen
        yield app


def test_given_routing_on_but_no_service_the_dvcqg_adapter_raises_and_sends_nothing(
    lgsp_dir, settings, portal
):
    settings.CQS_DVCQG_URL, settings.CQS_DVCQG_TOKEN = portal.url, DVCQG_TOKEN
    settings.CQS_LGSP_ROUTE = ["dvcqg"]

    with pytest.raises(DeliveryError, match="LGSP routing of dvcqg"):
        dvcqg_fetch_procedure(code="9.990901")

    assert portal.seen == []


def test_given_routing_on_but_no_key_the_ris_push_raises(lgsp_dir, settings):
    from cqs.core.outbox import OutboxMessage
    from cqs.reporting.ris import ris_push_handler

    settings.CQS_RIS_URL = "http://127.0.0.1:9"
    settings.CQS_LGSP_ROUTE = ["ris"]
    national(ris=True)
    outbound.key_file().unlink()

    with pytest.raises(DeliveryError, match="no platform key"):
        ris_push_handler(OutboxMessage(topic="reporting.ris.push", payload={"report_id": 0}))


def test_given_routing_on_but_no_service_the_vdxp_client_raises_a_retryable_error(lgsp_dir, settings):
    settings.CQS_VDXP_URL = "http://127.0.0.1:9"
    settings.CQS_LGSP_ROUTE = ["vdxp"]

    with pytest.raises(VdxpError) as raised:
        client_from_settings().agencies()

    assert raised.value.code == "unreachable" and raised.value.retryable
    assert "LGSP routing of vdxp" in raised.value.message


def test_without_routing_the_dvcqg_adapter_calls_the_portal_directly(lgsp_dir, settings, portal):
    settings.CQS_DVCQG_URL, settings.CQS_DVCQG_TOKEN = portal.url, DVCQG_TOKEN

    record = dvcqg_fetch_procedure(code="9.990901")

    assert record["MATTHC"] == "9.990901"
    assert "x-road-client" not in portal.seen[-1]


# --- through the real built-in gateway ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def builtin_gateway(lgsp_dir: Path):
    """``cqs.lgsp.proxy.serve`` in its own process on a free port (it reads only ``lgsp_dir``)."""
    port = free_port()
    code = (
        "import sys; from pathlib import Path; from cqs.lgsp.proxy import serve; "
        "serve(host='127.0.0.1', port=int(sys.argv[1]), lgsp_dir=Path(sys.argv[2]))"
    )
    output = lgsp_dir / "gateway.out"
    with output.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own code, fixed arguments
            [sys.executable, "-c", code, str(port), str(lgsp_dir)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, output.read_text(errors="replace")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert time.monotonic() < deadline, output.read_text(errors="replace")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def access_lines(lgsp_dir: Path, service_id: str, expected: int) -> list[dict]:
    """The gateway's access-log lines for ``service_id`` once there are ``expected`` (it flushes
    every half second)."""
    import json

    path = lgsp_dir / "logs" / "access-builtin.jsonl"
    deadline = time.monotonic() + 5
    while True:
        lines = []
        if path.exists():
            lines = [json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines() if raw.strip()]
        lines = [line for line in lines if line["service"] == service_id]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


@pytest.fixture
def axis():
    seen: list[dict] = []
    app = vdxp_fake.make_app(
        systems={OURS: {"secret": VDXP_SECRET, "organs": [{"id": OURS, "name": "UBND tỉnh Phú Thọ"}]}}
    )
    with running(recording(app, seen)) as fake:
        app.url, app.seen = fake.url, seen
        yield app


def test_given_routing_on_the_adapters_call_through_the_gateway(lgsp_dir, settings, portal, axis):
    # Given the registry published to the gateway, and the adapters routed through it
    platform, services, issued = national(dvcqg_url=portal.url, vdxp_url=axis.url)
    publish.publish_now(reason="test")
    settings.CQS_DVCQG_URL, settings.CQS_DVCQG_TOKEN = "http://127.0.0.1:9", DVCQG_TOKEN  # never used
    settings.CQS_VDXP_URL, settings.CQS_VDXP_SYSTEM_ID, settings.CQS_VDXP_SECRET = (
        "http://127.0.0.1:9",
        OURS,
        VDXP_SECRET,
    )
    settings.CQS_LGSP_ROUTE = ["dvcqg", "vdxp"]
    with builtin_gateway(lgsp_dir) as gateway:
        settings.CQS_LGSP_GATEWAY_URL = gateway

        # When the document module asks the axis for its agencies
        agencies = client_from_settings().agencies()

        # Then the answer came through the gateway: the axis saw the platform as X-Road-Client,
        # never the platform's key
        assert [agency.code for agency in agencies] == [OURS]
        received = axis.seen[-1]
        assert received["x-road-client"] == platform.xroad_id
        assert received["x-road-service"] == services["vdxp"].xroad_id
        assert "x-api-key" not in received
        [line] = access_lines(lgsp_dir, services["vdxp"].xroad_id, 1)
        assert (line["client"], line["method"], line["status"], line["error"]) == (
            platform.xroad_id,
            "POST",
            200,
            "",
        )
        assert issued.secret not in (lgsp_dir / "logs" / "access-builtin.jsonl").read_text()

        # When the one-stop module fetches a procedure from the portal
        with contextlib.suppress(DeliveryError):
            # The portal's bearer token does not reach it: the gateway strips Authorization
            # before forwarding (common contract), so the fake portal answers 401 until the
            # gateway can hold provider credentials (reported to the lead).
            dvcqg_fetch_procedure(code="9.990901")

        # Then the portal received the call from the gateway, as the platform
        received = portal.seen[-1]
        assert received["x-road-client"] == platform.xroad_id
        assert received["x-road-service"] == services["dvcqg"].xroad_id
        assert "x-api-key" not in received
        [line] = access_lines(lgsp_dir, services["dvcqg"].xroad_id, 1)
        assert (line["client"], line["method"]) == (platform.xroad_id, "GET")


def test_a_revoked_platform_key_is_refused_by_the_gateway_itself(lgsp_dir, settings, axis):
    # Given a routed axis and a key revoked after route() read it: the gateway is the last word
    _platform, _services, issued = national(vdxp_url=axis.url)
    publish.publish_now(reason="test")
    settings.CQS_LGSP_ROUTE = ["vdxp"]
    with builtin_gateway(lgsp_dir) as gateway:
        settings.CQS_LGSP_GATEWAY_URL = gateway
        base, headers = outbound.route("vdxp", "http://127.0.0.1:9")
        access.credential_revoke(credential=issued.credential)
        publish.publish_now(reason="test")
        time.sleep(0.6)  # the proxy checks the snapshot every quarter of a second

        answer = requests.post(f"{base}/getAgenciesList", headers=headers, timeout=5)

    assert answer.status_code == 401
    assert answer.headers["X-Road-Error"] == "Client.Unauthorized"
    assert axis.seen == []
