"""Which fakes the settings ask for, starting and stopping them, and ``cqs fakes`` itself."""

import logging
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

import cqs.fakes
from cqs.fakes import registry
from cqs.fakes.dvcqg import DvcqgFake
from cqs.fakes.paygov import PaygovFake
from cqs.fakes.sms import SmsFake
from cqs.onestop.laythutuc import parse_payload

START_TIMEOUT = 30


@pytest.fixture
def local_urls(settings):
    """Every outside system on this machine, on any free port."""
    settings.CQS_FAKES_HOST = "127.0.0.1"
    settings.CQS_PAYGOV_URL = "http://127.0.0.1:0"
    settings.CQS_DVCQG_URL = "http://localhost:0"
    settings.CQS_SMS_URL = "http://127.0.0.1:0/"
    settings.CQS_VNEID_ISSUER = ""
    settings.CQS_VDXP_URL = ""
    settings.CQS_TSA_URL = ""
    settings.CQS_RIS_URL = ""
    settings.CQS_DANCU_URL = settings.CQS_NDXP_URL = ""
    return settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_every_local_url_gets_its_fake(local_urls):
    apps = registry.fake_apps_from_settings()

    assert [(name, type(app), host, port) for name, app, host, port in apps] == [
        ("paygov", PaygovFake, "127.0.0.1", 0),
        ("dvcqg", DvcqgFake, "127.0.0.1", 0),
        ("sms", SmsFake, "127.0.0.1", 0),
    ]


def test_remote_and_empty_urls_get_no_fake(local_urls):
    local_urls.CQS_PAYGOV_URL = "https://paygov.vn/gateway"
    local_urls.CQS_DVCQG_URL = "http://10.0.0.5:8102"
    local_urls.CQS_SMS_URL = ""

    assert registry.fake_apps_from_settings() == []


def test_the_port_comes_from_the_url(local_urls):
    local_urls.CQS_SMS_URL = "http://127.0.0.1:8103"

    ports = {name: port for name, _app, _host, port in registry.fake_apps_from_settings()}

    assert ports["sms"] == 8103


def test_fakes_are_built_from_the_settings(local_urls):
    local_urls.CQS_PAYGOV_PARTNER_CODE = "PARTNER-X"
    local_urls.CQS_SMS_TOKEN = "token-y"

    apps = {name: app for name, app, _host, _port in registry.fake_apps_from_settings()}

    assert apps["paygov"].partner_code == "PARTNER-X"
    assert apps["sms"].token == "token-y"


def test_the_demo_portal_serves_the_demo_catalogue_importably(local_urls):
    apps = {name: app for name, app, _host, _port in registry.fake_apps_from_settings()}

    records = list(apps["dvcqg"].procedures.values())

    assert len(records) > 2
    assert [item.code for item in parse_payload(records)] == list(apps["dvcqg"].procedures)


def test_a_missing_vneid_fake_is_skipped_with_a_warning(local_urls, monkeypatch, caplog):
    local_urls.CQS_VNEID_ISSUER = "http://127.0.0.1:0"
    monkeypatch.delattr(cqs.fakes, "vneid", raising=False)
    monkeypatch.setitem(sys.modules, "cqs.fakes.vneid", None)

    with caplog.at_level(logging.WARNING, logger="cqs.fakes.registry"):
        names = [name for name, *_rest in registry.fake_apps_from_settings()]

    assert "vneid" not in names
    assert "VNeID" in caplog.text


def test_start_fakes_serves_them_until_stopped(local_urls):
    running = registry.start_fakes()
    try:
        urls = [fake.url for fake in running]
        assert requests.get(f"{urls[2]}/messages", timeout=5).json() == []
    finally:
        for fake in running:
            fake.stop()

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{urls[2]}/messages", timeout=5)


def test_start_fakes_stops_the_started_ones_when_a_port_is_taken(local_urls, monkeypatch):
    started = []
    serve = registry.serve_in_thread

    def serve_and_record(app, **kwargs):
        started.append(serve(app, **kwargs))
        return started[-1]

    monkeypatch.setattr(registry, "serve_in_thread", serve_and_record)

    # Given the SMS port already in use
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        local_urls.CQS_SMS_URL = f"http://127.0.0.1:{taken.getsockname()[1]}"

        # When the fakes start, then it fails as a whole
        with pytest.raises(OSError):
            registry.start_fakes()

    # and the two fakes started before it no longer serve
    assert len(started) == 2
    for fake in started:
        with pytest.raises(requests.ConnectionError):
            requests.get(fake.url, timeout=5)


def test_cqs_fakes_command_serves_until_sigterm(tmp_path):
    # Given three free ports in the settings
    ports = {name: free_port() for name in ("PAYGOV", "DVCQG", "SMS")}
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        CQS_DATA_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
        CQS_VNEID_ISSUER="",
        CQS_VDXP_URL="",
        CQS_TSA_URL="",
        CQS_RIS_URL="",
        **{f"CQS_{name}_URL": f"http://127.0.0.1:{port}" for name, port in ports.items()},
    )
    output = open(tmp_path / "fakes.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "cqs.manage", "fakes"], env=env, stdout=output, stderr=subprocess.STDOUT
    )
    try:
        # When it has started
        deadline = time.monotonic() + START_TIMEOUT
        while "đang chạy" not in (tmp_path / "fakes.log").read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "fakes.log").read_text()
            time.sleep(0.1)

        # Then each fake answers on its port
        sms = requests.get(f"http://127.0.0.1:{ports['SMS']}/messages", timeout=5)
        portal = requests.get(f"http://127.0.0.1:{ports['DVCQG']}/LayDanhSachTTHC", timeout=5)
        gateway = requests.get(f"http://127.0.0.1:{ports['PAYGOV']}/query", timeout=5)
        assert (sms.status_code, portal.status_code, gateway.status_code) == (200, 401, 400)

        # and SIGTERM stops it cleanly
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        output.close()
    assert "Đã dừng" in (tmp_path / "fakes.log").read_text()
