import socket
import socketserver
import struct
import threading
import time

import pytest

from cqs.core.clamav import ScannerUnavailable, ScanResult, clamav_ping, clamav_scan
from cqs.core.testing import EICAR, EICAR_BODY_SIGNATURE, EICAR_MD5_SIGNATURE, clamd_running, sample_pdf


class FakeClamd(socketserver.ThreadingTCPServer):
    """A TCP server speaking just enough clamd to test the client's framing and error handling."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, reply: bytes | None, *, delay: float = 0):
        self.reply, self.delay = reply, delay
        self.commands: list[bytes] = []
        self.chunks: list[bytes] = []
        super().__init__(("127.0.0.1", 0), FakeClamdHandler)

    @property
    def address(self) -> str:
        return f"tcp://127.0.0.1:{self.server_address[1]}"


class FakeClamdHandler(socketserver.BaseRequestHandler):
    def handle(self):
        server: FakeClamd = self.server
        stream = self.request.makefile("rb")
        command = b""
        while not command.endswith(b"\0"):
            command += stream.read(1)
        server.commands.append(command)
        if command == b"zINSTREAM\0":
            while length := struct.unpack("!L", stream.read(4))[0]:
                server.chunks.append(stream.read(length))
        time.sleep(server.delay)
        if server.reply is not None:
            self.request.sendall(server.reply)


@pytest.fixture
def fake_clamd(request):
    reply, delay = request.param if isinstance(request.param, tuple) else (request.param, 0)
    server = FakeClamd(reply, delay=delay)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# With a real clamd and the test signatures


def test_clean_data_is_reported_clean(clamd_address):
    # Given a real PDF
    data = sample_pdf()

    # When clamd scans it
    result = clamav_scan(data, address=clamd_address)

    # Then it is clean, with no signature
    assert result == ScanResult(clean=True, signature="")


def test_the_eicar_test_file_is_reported_with_its_signature(clamd_address):
    # Given the EICAR anti-virus test file itself
    # When clamd scans it
    result = clamav_scan(EICAR, address=clamd_address)

    # Then it is infected, and the signature that matched is named
    assert result.clean is False
    assert result.signature in {EICAR_BODY_SIGNATURE, EICAR_MD5_SIGNATURE}


def test_eicar_hidden_in_a_large_file_is_found_across_chunks(clamd_address):
    # Given the EICAR string in the middle of 300 KB, so it is sent over several stream chunks
    data = b"\0" * 150_000 + EICAR + b"\0" * 150_000

    # When clamd scans it
    result = clamav_scan(data, address=clamd_address)

    # Then the body signature matches
    assert result == ScanResult(clean=False, signature=EICAR_BODY_SIGNATURE)


def test_the_address_defaults_to_the_setting(clamd_address, settings):
    # Given CQS_CLAMD pointing at the running clamd
    settings.CQS_CLAMD = clamd_address

    # When a scan names no address
    result = clamav_scan(EICAR)

    # Then the configured clamd answered
    assert result.clean is False


def test_ping_answers_true_for_a_running_clamd(clamd_address):
    # Given a running clamd
    # When it is pinged
    # Then it answers
    assert clamav_ping(clamd_address) is True


def test_a_stream_over_clamds_limit_is_not_reported_clean(tmp_path):
    # Given a clamd that accepts streams of at most 1 MB
    with clamd_running(tmp_path, options={"StreamMaxLength": "1M"}) as address:
        data = b"\0" * (2 * 1024 * 1024)

        # When 2 MB are sent
        with pytest.raises(ScannerUnavailable, match="size limit") as caught:
            clamav_scan(data, address=address)

    # Then there is no verdict, rather than a "clean" one
    assert "ERROR" in str(caught.value)


# Without clamd


def test_a_missing_socket_makes_the_scanner_unavailable(tmp_path):
    # Given no clamd listening on the socket path
    address = str(tmp_path / "absent.sock")

    # When a scan is asked for
    # Then it fails as unavailable, never as clean
    with pytest.raises(ScannerUnavailable):
        clamav_scan(b"data", address=address)


def test_ping_answers_false_when_nothing_listens(tmp_path):
    # Given no clamd
    # When it is pinged
    # Then the answer is no
    assert clamav_ping(str(tmp_path / "absent.sock")) is False


def test_no_configured_address_makes_the_scanner_unavailable(settings):
    # Given scanning switched off
    settings.CQS_CLAMD = ""

    # When a scan is asked for anyway
    # Then it cannot be done
    with pytest.raises(ScannerUnavailable):
        clamav_scan(b"data")


@pytest.mark.parametrize("fake_clamd", [b"stream: OK\0"], indirect=True)
def test_a_tcp_address_gets_the_instream_framing(fake_clamd):
    # Given a clamd on TCP
    data = bytes(range(256)) * 1000  # 256 000 bytes, more than one chunk

    # When data is scanned
    result = clamav_scan(data, address=fake_clamd.address)

    # Then the command and length-prefixed chunks carried the data, and the verdict is clean
    assert result.clean is True
    assert fake_clamd.commands == [b"zINSTREAM\0"]
    assert len(fake_clamd.chunks) > 1
    assert b"".join(fake_clamd.chunks) == data


@pytest.mark.parametrize(
    "fake_clamd",
    [b"INSTREAM size limit exceeded. ERROR\0", b"stream: Can't allocate memory ERROR\0", b"", b"nonsense\0"],
    indirect=True,
)
def test_an_error_or_unknown_reply_makes_the_scanner_unavailable(fake_clamd):
    # Given a clamd answering with an error, nothing, or something unknown
    # When data is scanned
    # Then there is no verdict
    with pytest.raises(ScannerUnavailable):
        clamav_scan(b"data", address=fake_clamd.address)


@pytest.mark.parametrize("fake_clamd", [(b"stream: OK\0", 2.0)], indirect=True)
def test_a_slow_clamd_times_out_as_unavailable(fake_clamd):
    # Given a clamd that takes 2 s to answer
    started = time.monotonic()

    # When the scan allows 0.3 s
    # Then it gives up as unavailable, in about that time
    with pytest.raises(ScannerUnavailable):
        clamav_scan(b"data", address=fake_clamd.address, timeout=0.3)
    assert time.monotonic() - started < 1.5


def test_a_tcp_address_without_a_port_is_unavailable():
    # Given a malformed TCP address
    # When a scan is asked for
    # Then it fails as unavailable
    with pytest.raises(ScannerUnavailable):
        clamav_scan(b"data", address="tcp://127.0.0.1")


def test_a_refused_tcp_connection_is_unavailable():
    # Given a TCP port where nothing listens
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    # When a scan is asked for
    # Then it fails as unavailable
    with pytest.raises(ScannerUnavailable):
        clamav_scan(b"data", address=f"tcp://127.0.0.1:{port}", timeout=2)


# The test support itself


@pytest.fixture
def clamd_not_installed(monkeypatch):
    monkeypatch.setattr("cqs.core.testing.shutil.which", lambda name: None)
    monkeypatch.setattr("cqs.core.testing.os.access", lambda path, mode: False)


def test_without_clamd_the_clamd_tests_are_skipped_locally(clamd_not_installed, monkeypatch, tmp_path):
    # Given no clamd binary, outside CI
    monkeypatch.delenv("CI", raising=False)

    # When a test asks for a running clamd
    # Then that test is skipped
    with pytest.raises(pytest.skip.Exception), clamd_running(tmp_path):
        pass


def test_without_clamd_the_clamd_tests_fail_in_ci(clamd_not_installed, monkeypatch, tmp_path):
    # Given no clamd binary in CI, which is meant to install it
    monkeypatch.setenv("CI", "true")

    # When a test asks for a running clamd
    # Then that test fails instead of passing silently as skipped
    with pytest.raises(pytest.fail.Exception), clamd_running(tmp_path):
        pass
