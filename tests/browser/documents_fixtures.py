"""Fixtures of the documents browser journeys: the ``office`` of the documents unit tests in the
live server's database, the fake national axis (VDXP) on a real port with the simulated UBND
tỉnh Nghệ An, and small PDFs on disk for the upload fields.

Import the fixtures into a test module (pytest finds fixtures only in conftest files and in the
module itself). Data is created after ``site``, so the live server's thread sees it; the
``settings`` changes are seen there too, as the thread shares Django's settings.
"""

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from cqs.documents.tests.conftest import office  # noqa: F401  (a fixture, used by documents_office)
from tests.browser.onestop_fixtures import person  # noqa: F401  (a fixture, re-exported)

# Our system on the axis and its organs' codes, as in the exchange tests (the office's province
# is 000.00.00.H98; Nghệ An is H41 in Decision 20/2020).
OUR_SYSTEM_ID = "000.00.00.H98"
OUR_SECRET = "vdxp-test-secret"


@pytest.fixture(scope="session")
def documents_data_dir(tmp_path_factory) -> Path:
    # One demo PKI for the whole run: the certificates are made once, not per journey.
    return tmp_path_factory.mktemp("documents-browser-data")


@pytest.fixture
def documents_office(site, settings, tmp_path, documents_data_dir, office) -> SimpleNamespace:  # noqa: F811
    """The ``office`` of the documents unit tests (UBND tỉnh Thử with clerk ``vanthu``, leader
    ``lanhdao``, specialists ``chuyenvien`` and ``chuyenvien2``; Sở Nội vụ with ``vanthu.snv``,
    ``lanhdao.snv``, ``chuyenvien.snv``), in the live server's database. Signatures carry no
    timestamp, uploads are not scanned, and files go to a temporary directory."""
    settings.DATA_DIR = documents_data_dir
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CQS_TSA_URL = ""
    settings.CQS_CLAMD = ""
    return office


@pytest.fixture
def axis(documents_office, settings) -> Iterator:
    """The fake axis on a free port, serving our system (the office's two units and any .H98
    code) and Nghệ An's; ``CQS_VDXP_*`` point at it for this test."""
    from cqs.fakes.vdxp import NGHE_AN, NGHE_AN_SYSTEM_ID, vdxp_serving

    province, department = documents_office.province, documents_office.department
    systems = {
        OUR_SYSTEM_ID: {
            "secret": OUR_SECRET,
            "organs": [
                {"id": province.identifier, "name": province.name},
                {"id": department.identifier, "name": department.name},
            ],
            "suffixes": [".H98"],
        },
        NGHE_AN_SYSTEM_ID: NGHE_AN,
    }
    with vdxp_serving(systems) as (url, app):
        settings.CQS_VDXP_URL = url
        settings.CQS_VDXP_SYSTEM_ID = OUR_SYSTEM_ID
        settings.CQS_VDXP_SECRET = OUR_SECRET
        yield app


@pytest.fixture
def nghe_an(documents_office):
    """UBND tỉnh Nghệ An, unsaved: it only names the certificate its system signs with, and must
    not exist in our database (documents to it would stay inside the platform)."""
    from cqs.orgs.models import OrgUnit

    return OrgUnit(name="UBND tỉnh Nghệ An", short_name="UBND", identifier="000.00.00.H41")


@pytest.fixture
def pdf_file(tmp_path):
    """``pdf_file(name, text)``: a small valid PDF on disk, for ``set_input_files``."""
    from cqs.documents.tests.conftest import pdf

    def make(name: str = "du-thao.pdf", text: str = "Du thao van ban") -> Path:
        path = tmp_path / name
        path.write_bytes(pdf(text))
        return path

    return make


@pytest.fixture
def issued_decision(documents_office):
    """A Quyết định of UBND tỉnh Thử to Sở Nội vụ, drafted, signed and issued (01/QĐ-UBND)."""
    from cqs.documents.tests.test_flows import issued

    return issued(documents_office, subject="Về việc ban hành quy chế quản lý văn bản điện tử")
