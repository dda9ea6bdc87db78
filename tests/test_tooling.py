"""Checks of the repository's own tooling: Makefile, CI script, dependency pins, README, docs."""

import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def read(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


# --- Makefile -------------------------------------------------------------------------------


def test_makefile_has_the_documented_targets():
    targets = set(re.findall(r"^([a-z][a-z-]*):", read("Makefile"), flags=re.MULTILINE))
    assert {"install", "assets", "run", "test", "bench", "lint", "format", "lock", "clean"} <= targets


def test_make_test_runs_every_check_in_order():
    # make -n prints the recipe without running it
    env = {**os.environ, "MAKEFLAGS": ""}
    result = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", "test"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    expected = [
        "pip install",
        "cqs assets",
        "cqs collectstatic",
        "ruff check .",
        "ruff format --check .",
        "cqs check --deploy --fail-level WARNING",
        "cqs makemigrations --check --dry-run",
        "cqs spectacular --validate --fail-on-warn --file build/openapi.yaml",
        "diff -u docs/api/openapi.yaml build/openapi.yaml",
        "pytest",
    ]
    positions = [result.stdout.find(command) for command in expected]
    assert -1 not in positions, result.stdout
    assert positions == sorted(positions), result.stdout


@pytest.fixture
def sandbox(tmp_path):
    """A copy of the Makefile and dependency files, with a fake virtualenv whose python logs
    its arguments instead of installing anything."""
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    fake = bin_dir / "python"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/pip.log\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return tmp_path


def make_install(sandbox: Path) -> None:
    subprocess.run(["make", "install"], cwd=sandbox, check=True, capture_output=True)  # noqa: S607


def installs(sandbox: Path) -> int:
    log = sandbox / "pip.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_make_install_installs_once_and_again_only_when_the_pins_change(sandbox):
    make_install(sandbox)
    assert installs(sandbox) == 1
    assert "-c requirements.lock -e .[dev]" in (sandbox / "pip.log").read_text()
    make_install(sandbox)
    assert installs(sandbox) == 1
    # when the lock file changes, the next install runs pip again
    stamp = sandbox / ".venv" / ".installed"
    os.utime(stamp, (stamp.stat().st_mtime - 10, stamp.stat().st_mtime - 10))
    (sandbox / "requirements.lock").touch()
    make_install(sandbox)
    assert installs(sandbox) == 2


# --- CI script ------------------------------------------------------------------------------


def test_ci_script_is_executable_strict_bash_and_runs_both_databases():
    script = ROOT / ".ci" / "run"
    assert script.stat().st_mode & stat.S_IXUSR
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in text
    subprocess.run(["bash", "-n", str(script)], check=True)  # noqa: S603, S607
    assert re.search(r'DATABASE_URL="postgres://cqs:[^"]+@127\.0\.0\.1:5432/cqs" make test', text)
    assert "env -u DATABASE_URL make test" in text
    for package in ("postgresql", "chromium", "fonts-liberation"):
        assert re.search(rf"^\s+{package}$", text, flags=re.MULTILINE), package
    for variable in ("CQS_REQUIRE_BROWSER=1", "CQS_SEED_DIR=", "CQS_CONFORMANCE_DIR=", "CI=1"):
        assert variable in text


# --- dependency pins ------------------------------------------------------------------------


def locked_versions() -> dict[str, str]:
    pins = {}
    for line in read("requirements.lock").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.lock line is not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version
    return pins


def test_every_dependency_is_pinned_in_the_lock_within_its_range():
    project = tomllib.loads(read("pyproject.toml"))["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins = locked_versions()
    problems = []
    for text in requirements:
        requirement = Requirement(text)
        version = pins.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name}: not in requirements.lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}: locked {version} outside {requirement.specifier}")
    assert not problems


# --- README and docs ------------------------------------------------------------------------


def test_readme_starts_with_the_two_commands():
    head = read("README.md")[:1500]
    assert "make run" in head
    assert "make test" in head
    assert head.index("make run") < head.index("make test")


def test_readme_documents_every_environment_variable_the_settings_read():
    settings = read("src/cqs/settings.py")
    names = set(re.findall(r"""(?:environ\.get|env_bool|env_list)\(\s*["']([A-Z_]+)["']""", settings))
    names |= set(
        re.findall(r"""environ\.get\(["']([A-Z_]+)["']""", read("src/cqs/core/management/commands/serve.py"))
    )
    assert {"CQS_DATA_DIR", "CQS_SECRET_KEY", "CQS_DEBUG"} <= names
    readme = read("README.md")
    missing = sorted(name for name in names | {"DATABASE_URL", "PORT"} if name not in readme)
    assert not missing, f"README.md does not mention {missing}"


def test_readme_lists_the_demo_accounts():
    readme = read("README.md")
    for username in (
        "admin",
        "quantri.stttt",
        "lanhdao.ubnd",
        "vanthu.stttt",
        "chuyenvien.stttt",
        "motcua.vinhyen",
        "congdan.demo",
    ):
        assert f"`{username}`" in readme
    assert "demo-cqs-2026" in readme


@pytest.mark.parametrize(
    "path",
    [
        "docs/adr/0001-django-modular-monolith.md",
        "docs/adr/0002-sqlite-default-postgresql-production.md",
        "docs/adr/0003-versioned-org-tree.md",
        "docs/adr/0004-hash-chained-audit.md",
        "docs/adr/0005-frontend-assets-from-npm-registry-without-node.md",
        "docs/adr/0006-roles-as-data-unit-scoped.md",
        "docs/glossary.md",
        "docs/operations.md",
        "docs/api/openapi.yaml",
    ],
)
def test_the_documents_exist(path):
    text = read(path)
    assert len(text) > 100


def test_adrs_have_status_context_decision_and_consequences():
    for adr in sorted((ROOT / "docs" / "adr").glob("[0-9][0-9][0-9][0-9]-*.md")):
        text = adr.read_text(encoding="utf-8")
        for heading in ("## Status", "## Context", "## Decision", "## Consequences"):
            assert heading in text, f"{adr.name} lacks {heading}"


def test_links_between_the_docs_resolve():
    broken = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert not broken


# --- benchmarks -----------------------------------------------------------------------------


def test_the_benchmark_runs_and_prints_ratios(tmp_path):
    # A smoke run, so that `make bench` does not rot between the times someone runs it.
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--results", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"add_working_days x 1000 .* \d+\.\dx", result.stdout)
    assert re.search(r"GET /api/v1/org-units/\?as_of=2025-07-01 .* \d+\.\dx", result.stdout)
    assert len(list(tmp_path.glob("*.json"))) == 1
