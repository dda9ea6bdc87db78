"""``cqs assets`` against a local HTTP server serving a small fake npm tarball (no internet)."""

import base64
import hashlib
import io
import json
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from cqs.core import assets

FILES = {
    "package/dist/css/fake.min.css": b"body{color:red}\n",
    "package/dist/js/fake.min.js": b"console.log('fake');\n",
    "package/README.md": b"not listed, not extracted\n",
}


def make_tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture
def registry():
    """A registry on 127.0.0.1 serving /fake/-/fake-1.0.0.tgz; counts the downloads."""
    tarball = make_tarball(FILES)
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            if self.path == "/fake/-/fake-1.0.0.tgz":
                self.send_response(200)
                self.send_header("Content-Length", str(len(tarball)))
                self.end_headers()
                self.wfile.write(tarball)
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.tarball = tarball
    server.hits = hits
    yield server
    server.shutdown()
    server.server_close()


def write_manifest(path, *, tarball_url, integrity, files=("dist/css/fake.min.css", "dist/js/fake.min.js")):
    path.write_text(
        json.dumps(
            {
                "registry": "https://registry.npmjs.org",
                "packages": [
                    {
                        "name": "fake",
                        "version": "1.0.0",
                        "tarball": tarball_url,
                        "integrity": integrity,
                        "files": list(files),
                    }
                ],
            }
        )
    )
    return path


def run(manifest, dest, **kwargs):
    out = io.StringIO()
    call_command("assets", manifest=manifest, dest=dest, stdout=out, **kwargs)
    return out.getvalue()


def test_good_integrity_extracts_the_listed_files_only(registry, tmp_path):
    # given a manifest pinning the tarball's real hash
    manifest = write_manifest(
        tmp_path / "assets.json",
        tarball_url=f"{registry.url}/fake/-/fake-1.0.0.tgz",
        integrity=sri(registry.tarball),
    )
    dest = tmp_path / "vendor"
    # when
    run(manifest, dest)
    # then the listed files are there, byte for byte, and nothing else
    assert (dest / "fake/dist/css/fake.min.css").read_bytes() == b"body{color:red}\n"
    assert (dest / "fake/dist/js/fake.min.js").read_bytes() == b"console.log('fake');\n"
    assert not (dest / "fake/README.md").exists()
    assert sorted(p.name for p in dest.iterdir()) == ["fake"]


def test_bad_integrity_is_refused_and_nothing_is_written(registry, tmp_path):
    manifest = write_manifest(
        tmp_path / "assets.json",
        tarball_url=f"{registry.url}/fake/-/fake-1.0.0.tgz",
        integrity=sri(b"some other content"),
    )
    dest = tmp_path / "vendor"
    with pytest.raises(CommandError, match="sai mã toàn vẹn"):
        run(manifest, dest)
    assert not dest.exists()


def test_bad_integrity_keeps_the_previous_files(registry, tmp_path):
    # given an earlier good install
    manifest = write_manifest(
        tmp_path / "assets.json",
        tarball_url=f"{registry.url}/fake/-/fake-1.0.0.tgz",
        integrity=sri(registry.tarball),
    )
    dest = tmp_path / "vendor"
    run(manifest, dest)
    before = {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    # when the manifest is changed to a hash the tarball does not have
    write_manifest(manifest, tarball_url=f"{registry.url}/fake/-/fake-1.0.0.tgz", integrity=sri(b"x"))
    with pytest.raises(CommandError):
        run(manifest, dest)
    # then the folder is exactly as it was
    assert {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()} == before


def test_a_second_run_downloads_nothing_and_a_tampered_file_is_restored(registry, tmp_path):
    manifest = write_manifest(
        tmp_path / "assets.json",
        tarball_url=f"{registry.url}/fake/-/fake-1.0.0.tgz",
        integrity=sri(registry.tarball),
    )
    dest = tmp_path / "vendor"
    run(manifest, dest)
    assert len(registry.hits) == 1

    output = run(manifest, dest)
    assert len(registry.hits) == 1
    assert "bỏ qua" in output

    (dest / "fake/dist/css/fake.min.css").write_bytes(b"tampered")
    run(manifest, dest)
    assert len(registry.hits) == 2
    assert (dest / "fake/dist/css/fake.min.css").read_bytes() == b"body{color:red}\n"


def test_a_file_missing_from_the_tarball_is_an_error_and_writes_nothing(registry, tmp_path):
    manifest = write_manifest(
        tmp_path / "assets.json",
        tarball_url=f"{registry.url}/fake/-/fake-1.0.0.tgz",
        integrity=sri(registry.tarball),
        files=("dist/css/fake.min.css", "dist/css/missing.css"),
    )
    dest = tmp_path / "vendor"
    with pytest.raises(CommandError, match=r"missing\.css"):
        run(manifest, dest)
    assert not (dest / "fake").exists()
    assert [p.name for p in dest.iterdir()] == []  # no staging folder left behind


def test_the_registry_mirror_variable_redirects_the_download(registry, tmp_path, monkeypatch):
    # given a manifest naming the public registry, and a mirror configured the npm way
    manifest = write_manifest(
        tmp_path / "assets.json",
        tarball_url="https://registry.npmjs.org/fake/-/fake-1.0.0.tgz",
        integrity=sri(registry.tarball),
    )
    monkeypatch.delenv("CQS_NPM_REGISTRY", raising=False)
    monkeypatch.setenv("npm_config_registry", registry.url + "/")
    run(manifest, tmp_path / "vendor")
    assert registry.hits == ["/fake/-/fake-1.0.0.tgz"]


def test_cqs_npm_registry_wins_over_npm_config_registry():
    environ = {"npm_config_registry": "http://a.example/", "CQS_NPM_REGISTRY": "http://b.example"}
    assert assets.registry_mirror(environ) == "http://b.example"
    assert assets.registry_mirror({}) is None


def test_an_unreachable_registry_is_a_clear_error(tmp_path):
    manifest = write_manifest(
        tmp_path / "assets.json", tarball_url="http://127.0.0.1:9/fake-1.0.0.tgz", integrity=sri(b"")
    )
    with pytest.raises(CommandError, match="không tải được"):
        run(manifest, tmp_path / "vendor")


def test_a_manifest_path_escaping_the_folder_is_refused(tmp_path):
    manifest = write_manifest(
        tmp_path / "assets.json", tarball_url="http://127.0.0.1:9/x.tgz", integrity="", files=("../evil",)
    )
    with pytest.raises(CommandError, match="không hợp lệ"):
        run(manifest, tmp_path / "vendor")


def test_the_committed_manifest_pins_bootstrap_with_its_registry_integrity():
    _, packages = assets.load_manifest()
    bootstrap = next(p for p in packages if p.name == "bootstrap")
    assert bootstrap.version == "5.3.8"
    assert bootstrap.tarball == "https://registry.npmjs.org/bootstrap/-/bootstrap-5.3.8.tgz"
    assert bootstrap.integrity.startswith("sha512-HP1SZDqaLDPwsNiqRqi5NcP0SSXciX2s9E+RyqJIIqGo")
    assert {"dist/css/bootstrap.min.css", "dist/js/bootstrap.bundle.min.js"} <= set(bootstrap.files)
    # the source maps ship too: the manifest static storage resolves sourceMappingURL comments
    assert {"dist/css/bootstrap.min.css.map", "dist/js/bootstrap.bundle.min.js.map"} <= set(bootstrap.files)
