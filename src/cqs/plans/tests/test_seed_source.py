"""The committed document against the seed itself.

Runs where ``CQS_SEED_DIR`` points to the folder holding the seed text; skipped elsewhere (a
clone has no seed), except in CI (``CI`` set), where a missing seed is a failure.
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from cqs.plans.seed import DATA_FILE, extract_file
from cqs.plans.tests.test_document import SEED_NAME

CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="module")
def seed_file() -> Path:
    folder = os.environ.get("CQS_SEED_DIR")
    path = Path(folder) / SEED_NAME if folder else None
    if path is not None and path.is_file():
        return path
    if CI or folder:
        pytest.fail(f"CQS_SEED_DIR={folder!r}: không tìm thấy văn bản gốc {SEED_NAME}.")
    pytest.skip("CQS_SEED_DIR chưa đặt: bỏ qua đối chiếu với văn bản gốc.")


def test_committed_document_is_what_the_extractor_makes_of_the_seed(seed_file, document):
    assert extract_file(seed_file) == document


def test_extract_command_writes_the_committed_file_byte_for_byte(seed_file, tmp_path):
    out = tmp_path / "plan.json"
    call_command("plans_extract", str(seed_file), str(out))
    assert out.read_bytes() == DATA_FILE.read_bytes()
