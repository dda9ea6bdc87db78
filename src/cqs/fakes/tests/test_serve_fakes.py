"""``cqs serve --fakes``: the demo's fake outside systems under the same supervision as the web server."""

import os
import re
import signal
import subprocess
import time

import pytest
import requests

from cqs.core.tests.test_serve import alive, cqs, free_port, serve_env

START_TIMEOUT = 60


@pytest.fixture
def data_dir(tmp_path):
    # Not migrated: `cqs serve` only warns about that, and nothing here touches the database.
    return tmp_path


def answers(url: str, proc: subprocess.Popen, log) -> int:
    """The HTTP status of ``url`` once something listens there (any status, even 500)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            return requests.get(url, timeout=5).status_code
        except requests.ConnectionError:
            time.sleep(0.3)
    raise AssertionError(log.read_text())


def test_serve_with_fakes_runs_them_and_stops_them_with_the_web_server(data_dir):
    # Given the outside systems on free local ports
    port, sms_port, paygov_port = free_port(), free_port(), free_port()
    env = serve_env(data_dir)
    env.update(
        CQS_SMS_URL=f"http://127.0.0.1:{sms_port}",
        CQS_PAYGOV_URL=f"http://127.0.0.1:{paygov_port}",
        CQS_DVCQG_URL="",
        CQS_VNEID_ISSUER="",
        CQS_VDXP_URL="",
        CQS_TSA_URL="",
        CQS_RIS_URL="",
        CQS_DANCU_URL="",
        CQS_NDXP_URL="",
    )
    log = data_dir / "serve-fakes.log"
    with open(log, "w") as output:
        proc = subprocess.Popen(  # noqa: S603
            cqs("serve", "--no-tasks", "--fakes", "--port", str(port)),
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
    try:
        # When it has started (the web server answers 500 here: its database is not migrated)
        answers(f"http://127.0.0.1:{port}/healthz", proc, log)

        # Then the fakes answer next to the web server
        assert answers(f"http://127.0.0.1:{sms_port}/messages", proc, log) == 200
        assert answers(f"http://127.0.0.1:{paygov_port}/query", proc, log) == 400
        fakes_pid = int(re.search(r"fakes pid (\d+)", log.read_text()).group(1))

        # and SIGTERM stops them together
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
        assert not alive(fakes_pid)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
