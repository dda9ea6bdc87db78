"""Test support shared by apps: small valid upload samples, and a throw-away clamd.

The official ClamAV databases cannot be downloaded in CI (and are 200+ MB), so the daemon loads
two signatures made here with ``sigtool`` from the EICAR anti-virus test string:

- an MD5 signature (``.hdb``), which matches a file that *is* exactly the EICAR string, as the
  official ``Win.Test.EICAR_HDB-1`` does;
- a body signature (``.ndb``) on the same bytes, which matches the string anywhere in a file, so
  a test can hide it in a valid PNG or PDF that passes the type checks before the scan.

With two signatures clamd starts in well under a second.
"""

import contextlib
import io
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cqs.core.clamav import clamav_ping

# Assembled from pieces so this source file is not itself flagged by a virus scanner.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!" + b"$H+H*"
# The names clamd reports for the two signatures (it adds ".UNOFFICIAL" to local ones).
EICAR_MD5_SIGNATURE = "cqs-eicar-md5.UNOFFICIAL"
EICAR_BODY_SIGNATURE = "cqs-eicar-body.UNOFFICIAL"

START_TIMEOUT = 30
# Unix socket paths are limited to 108 bytes (sun_path); pytest's temp dirs can be longer.
_SOCKET_PATH_MAX = 100


def sample_pdf(*, text: str = "Giay to kem theo ho so", user_password: str | None = None) -> bytes:
    """A real one-page PDF (fpdf2); encrypted when ``user_password`` is given."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    # The core fonts cover Latin-1 only, not Vietnamese: other letters become "?".
    pdf.cell(text=text.encode("latin-1", "replace").decode("latin-1"))
    if user_password is not None:
        pdf.set_encryption(owner_password=user_password + "-owner", user_password=user_password)
    return bytes(pdf.output())


def sample_image(kind: str = "png", *, size: tuple[int, int] = (16, 12)) -> bytes:
    """A real PNG or JPEG (Pillow) of ``size`` pixels."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(buffer, format=kind.upper())
    return buffer.getvalue()


def _missing(message: str) -> None:
    import pytest

    # CI installs clamav-daemon: there a missing binary is a broken job, not a reason to skip.
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _sigtool(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> str:
    command = [shutil.which("sigtool") or "sigtool", *args]
    return subprocess.run(  # noqa: S603 - test-only, fixed arguments
        command, input=stdin, cwd=cwd, capture_output=True, check=True, timeout=30
    ).stdout.decode()


def write_test_database(directory: Path) -> None:
    """Write the EICAR signatures (``.hdb`` by MD5, ``.ndb`` by body) into ``directory``."""
    sample = directory / EICAR_MD5_SIGNATURE.removesuffix(".UNOFFICIAL")
    sample.write_bytes(EICAR)
    # "--md5 FILE" prints "md5:size:FILE", the .hdb line format, naming the signature after the
    # file as given: hence a bare name, run inside the directory.
    (directory / "cqs-test.hdb").write_text(_sigtool("--md5", sample.name, cwd=directory).strip() + "\n")
    sample.unlink()
    body = "".join(_sigtool("--hex-dump", stdin=EICAR).split())
    # .ndb: Name:TargetType:Offset:HexSignature; target 0 = any file, offset * = anywhere.
    name = EICAR_BODY_SIGNATURE.removesuffix(".UNOFFICIAL")
    (directory / "cqs-test.ndb").write_text(f"{name}:0:*:{body}\n")


@contextlib.contextmanager
def clamd_running(tmp_path: Path, *, options: dict[str, str] | None = None) -> Iterator[str]:
    """Run clamd on a unix socket with the test database; yield the socket's address.

    ``options`` are extra clamd.conf lines, e.g. ``{"StreamMaxLength": "1M"}``.
    """
    clamd = shutil.which("clamd") or next(
        (p for p in ("/usr/sbin/clamd", "/usr/local/sbin/clamd") if os.access(p, os.X_OK)), None
    )
    if clamd is None or shutil.which("sigtool") is None:
        _missing("clamd/sigtool not installed (Debian: apt-get install clamav clamav-daemon)")

    tmp_path = Path(tmp_path)
    database = tmp_path / "db"
    database.mkdir(parents=True, exist_ok=True)
    write_test_database(database)

    socket_dir = tmp_path
    short_dir = None
    if len(str(tmp_path / "clamd.sock")) > _SOCKET_PATH_MAX:
        short_dir = tempfile.mkdtemp(prefix="cqs-clamd-")
        socket_dir = Path(short_dir)
    socket_path = socket_dir / "clamd.sock"
    config = tmp_path / "clamd.conf"
    # No "User": clamd keeps the invoking user, root or not. No PidFile and no LogFile, so it
    # needs no /run/clamav; it writes its start-up lines to the log captured below.
    config.write_text(
        f"LocalSocket {socket_path}\n"
        f"DatabaseDirectory {database}\n"
        f"TemporaryDirectory {tmp_path}\n"
        "Foreground yes\n"
        "LogTime yes\n" + "".join(f"{key} {value}\n" for key, value in (options or {}).items())
    )
    log_path = tmp_path / "clamd.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - the installed clamd, our own config
            [clamd, f"--config-file={config}"], stdout=log, stderr=subprocess.STDOUT
        )
    address = str(socket_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not clamav_ping(address, timeout=2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"clamd did not start; its log:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.05)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if short_dir:
            shutil.rmtree(short_dir, ignore_errors=True)
