"""Third-party front-end files, fetched from the npm registry without Node (``cqs assets``).

The manifest ``assets.json`` pins each package by version and by the registry's SRI integrity
hash of its tarball. A tarball whose hash differs is refused before anything is written; the
listed files are extracted into a temporary folder and swapped into place in one rename, so a
failed run leaves the previous files as they were. A stamp file records what was extracted and
the SHA-256 of each file, so that a second run with nothing to do is quick and offline.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MANIFEST_PATH = Path(__file__).with_name("assets.json")
STAMP_NAME = ".cqs-asset.json"
# Environment variables naming a registry mirror, first match wins. npm itself reads
# npm_config_registry (either case), so a machine set up for npm needs nothing more.
REGISTRY_ENV = ("CQS_NPM_REGISTRY", "npm_config_registry", "NPM_CONFIG_REGISTRY")
MAX_TARBALL_BYTES = 64 * 1024 * 1024
TIMEOUT_SECONDS = 60
_SRI_ALGORITHMS = ("sha512", "sha384", "sha256")


class AssetError(Exception):
    """A package could not be fetched or did not match its pinned integrity."""


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    tarball: str
    integrity: str
    files: tuple[str, ...]

    @property
    def stamp(self) -> dict:
        return {"name": self.name, "version": self.version, "integrity": self.integrity}


def load_manifest(path: Path = MANIFEST_PATH) -> tuple[str, list[Package]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    packages = []
    for entry in data["packages"]:
        if not _valid_package_name(entry["name"]):
            raise AssetError(f"tên gói không hợp lệ trong manifest: {entry['name']!r}")
        files = tuple(entry["files"])
        for name in files:
            pure = PurePosixPath(name)
            if pure.is_absolute() or ".." in pure.parts or not pure.parts:
                raise AssetError(f"{entry['name']}: đường dẫn tệp không hợp lệ trong manifest: {name!r}")
        packages.append(
            Package(
                name=entry["name"],
                version=entry["version"],
                tarball=entry["tarball"],
                integrity=entry["integrity"],
                files=files,
            )
        )
    return data.get("registry", "https://registry.npmjs.org"), packages


def _valid_package_name(name: str) -> bool:
    # "name" or npm's scoped "@scope/name"; either becomes a folder under the vendor directory.
    parts = name.split("/")
    if len(parts) == 2 and not parts[0].startswith("@"):
        return False
    return 1 <= len(parts) <= 2 and all(part and part not in (".", "..") for part in parts)


def registry_mirror(environ: dict | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    for name in REGISTRY_ENV:
        if value := environ.get(name, "").strip():
            return value.rstrip("/")
    return None


def tarball_url(package: Package, *, registry: str, mirror: str | None) -> str:
    """The tarball's address, on the mirror when one is configured (same path layout as npm)."""
    if mirror and package.tarball.startswith(registry.rstrip("/") + "/"):
        return mirror + package.tarball[len(registry.rstrip("/")) :]
    return package.tarball


def verify_integrity(data: bytes, integrity: str) -> None:
    """Check ``data`` against an SRI string (``sha512-<base64>``; several may be listed)."""
    expected = {}
    for token in integrity.split():
        algorithm, _, digest = token.partition("-")
        if algorithm in _SRI_ALGORITHMS and digest:
            expected.setdefault(algorithm, set()).add(digest.split("?")[0])
    for algorithm in _SRI_ALGORITHMS:  # the strongest one listed decides, as in the SRI spec
        if algorithm in expected:
            actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
            if actual not in expected[algorithm]:
                wanted = sorted(expected[algorithm])[0]
                raise AssetError(f"sai mã toàn vẹn: cần {algorithm}-{wanted}, nhận {algorithm}-{actual}")
            return
    raise AssetError(f"mã toàn vẹn không dùng được: {integrity!r}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_current(package: Package, dest: Path) -> bool:
    """True when ``dest`` holds exactly this version's files, unmodified."""
    try:
        stamp = json.loads((dest / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if {key: stamp.get(key) for key in package.stamp} != package.stamp:
        return False
    hashes = stamp.get("files", {})
    if sorted(hashes) != sorted(package.files):
        return False
    return all((dest / name).is_file() and _sha256(dest / name) == hashes[name] for name in package.files)


def download(url: str) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise AssetError(f"địa chỉ không được hỗ trợ: {url}")
    request = urllib.request.Request(url, headers={"User-Agent": "cqs-assets"})  # noqa: S310 - http(s) only
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            data = response.read(MAX_TARBALL_BYTES + 1)
    except OSError as exc:
        raise AssetError(f"không tải được {url}: {exc}") from exc
    if len(data) > MAX_TARBALL_BYTES:
        raise AssetError(f"{url} lớn hơn {MAX_TARBALL_BYTES // (1024 * 1024)} MB")
    return data


def _extract(package: Package, data: bytes, target: Path) -> dict[str, str]:
    """Write the listed files of the tarball into ``target``; returns their SHA-256."""
    wanted = set(package.files)
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive:
                # npm tarballs put everything under one top folder, usually "package/".
                parts = PurePosixPath(member.name).parts
                name = "/".join(parts[1:])
                if name in wanted and member.isfile():
                    found[name] = archive.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise AssetError(f"tệp nén hỏng: {exc}") from exc
    if missing := sorted(wanted - found.keys()):
        raise AssetError(f"thiếu tệp trong gói: {', '.join(missing)}")
    hashes = {}
    for name, content in found.items():
        path = target.joinpath(*PurePosixPath(name).parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        hashes[name] = hashlib.sha256(content).hexdigest()
    return hashes


def install(package: Package, *, vendor_dir: Path, url: str) -> None:
    """Download, verify and extract one package into ``vendor_dir/<name>``, replacing it whole."""
    data = download(url)
    verify_integrity(data, package.integrity)
    final = vendor_dir.joinpath(*package.name.split("/"))
    # A scoped package ("@scope/name") lives one folder deeper; staging sits beside its final
    # place so that the swap stays a rename within one folder.
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; these are public files
    try:
        hashes = _extract(package, data, staging)
        stamp = {**package.stamp, "files": hashes}
        (staging / STAMP_NAME).write_text(json.dumps(stamp, indent=2, sort_keys=True), encoding="utf-8")
        old = None
        if final.exists():
            old = final.parent / f".{final.name}.old"
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
        staging.rename(final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def sync(
    *,
    vendor_dir: Path,
    manifest: Path = MANIFEST_PATH,
    force: bool = False,
    environ: dict | None = None,
    log=print,
) -> int:
    """Bring ``vendor_dir`` in line with the manifest; returns the number of packages fetched."""
    registry, packages = load_manifest(manifest)
    mirror = registry_mirror(environ)
    fetched = 0
    for package in packages:
        label = f"{package.name}@{package.version}"
        if not force and is_current(package, vendor_dir / package.name):
            log(f"{label}: đã có, bỏ qua")
            continue
        url = tarball_url(package, registry=registry, mirror=mirror)
        try:
            install(package, vendor_dir=vendor_dir, url=url)
        except AssetError as exc:
            raise AssetError(f"{label}: {exc}") from exc
        fetched += 1
        log(f"{label}: đã tải từ {url}, đã kiểm tra mã toàn vẹn, {len(package.files)} tệp")
    return fetched
