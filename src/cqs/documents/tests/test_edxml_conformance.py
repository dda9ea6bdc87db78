"""The parser against the real public edXML samples (see their README in the conformance folder).

Runs where ``CQS_CONFORMANCE_DIR`` points to the folder holding ``edxml/``; skipped elsewhere (a
clone has no samples), except in CI (``CI`` set), where a missing folder is a failure.
"""

import os
from datetime import date
from pathlib import Path

import pytest

from cqs.documents.edxml import EdocPackage, EdxmlError, StatusPackage, build, parse

CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
BROKEN = "edoc.edxml"
DOCUMENTS = {
    # file: (BussinessDocType, number of To recipients)
    "edoc_new.edxml": (0, 1),
    "edoc-integrator_edoc_new.edxml": (0, 1),
    "multi_recipient_dc0bdef0.edxml": (0, 3),
    "edoc_revocation.edxml": (1, 3),
    "edoc_update.edxml": (2, 3),
    "edoc_replacement.edxml": (3, 3),
}
STATUSES = {
    "status_inbox_01.edxml": "01",
    "status_rejection_02.edxml": "02",
    "status_acceptance_03.edxml": "03",
    "status_assignment_04.edxml": "04",
    "status_processing_05.edxml": "05",
    "status_finish_06.edxml": "06",
    "status_cancellation_13.edxml": "13",
    "status_change-acceptance_15.edxml": "15",
    "status_change-rejection_16.edxml": "16",
}


@pytest.fixture(scope="module")
def samples() -> Path:
    folder = os.environ.get("CQS_CONFORMANCE_DIR")
    path = Path(folder) / "edxml" if folder else None
    if path is not None and path.is_dir():
        return path
    if CI or folder:
        pytest.fail(f"CQS_CONFORMANCE_DIR={folder!r}: không tìm thấy thư mục mẫu edxml/.")
    pytest.skip("CQS_CONFORMANCE_DIR chưa đặt: bỏ qua đối chiếu với các gói edXML mẫu.")


@pytest.fixture(scope="module")
def parsed(samples) -> dict:
    return {name: parse((samples / name).read_bytes()) for name in [*DOCUMENTS, *STATUSES]}


def test_every_sample_in_the_folder_is_covered(samples):
    assert {p.name for p in samples.glob("*.edxml")} == {BROKEN, *DOCUMENTS, *STATUSES}


def test_the_broken_sample_is_refused_as_not_xml(samples):
    with pytest.raises(EdxmlError) as error:
        parse((samples / BROKEN).read_bytes())

    assert error.value.code == "not_xml"


@pytest.mark.parametrize(("name", "expected"), DOCUMENTS.items())
def test_document_samples_have_their_business_type_and_recipients(parsed, name, expected):
    package = parsed[name]

    assert isinstance(package, EdocPackage)
    assert (package.bussiness.bussiness_doc_type, len(package.header.to)) == expected


@pytest.mark.parametrize("name", DOCUMENTS)
def test_document_samples_carry_a_zip_attachment(parsed, name):
    attachment = parsed[name].attachments[0]

    assert (attachment.content_id, attachment.content_type) == ("209", "application/zip")
    assert attachment.data.startswith(b"PK")


@pytest.mark.parametrize(("name", "code"), STATUSES.items())
def test_status_samples_have_their_status_code(parsed, name, code):
    package = parsed[name]

    assert isinstance(package, StatusPackage)
    assert package.status_code == code
    assert package.response_for.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"


def test_the_tay_ninh_dd_mm_yyyy_date_is_read(parsed):
    header = parsed["edoc-integrator_edoc_new.edxml"].header

    assert header.promulgation_info.promulgation_date == date(2020, 10, 30)
    assert header.from_.organ_add == ""
    assert header.signer_info.full_name == ""


def test_an_impossible_business_document_id_is_kept_as_text(parsed):
    assert parsed["edoc_new.edxml"].bussiness.document_id == "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"


def test_bussiness_before_trace_header_is_read(parsed):
    package = parsed["multi_recipient_dc0bdef0.edxml"]

    assert package.trace[0].organ_id == "000.00.00.G22"
    assert package.bussiness.staff_info.staff == "Nguyễn Thị Ngọc Trâm"


def test_update_and_replacement_details_are_read(parsed):
    receivers = parsed["edoc_update.edxml"].bussiness.document_info.receivers
    replacement = parsed["edoc_replacement.edxml"].bussiness.replacement_info

    assert [r.organ_id for r in receivers] == ["000.00.00.H41", "000.00.00.H14"]
    assert replacement[0].organ_ids == ("000.00.00.H41", "000.00.00.H14")


def test_the_placeholder_signature_is_kept_verbatim(samples, parsed):
    signature = parsed["edoc_new.edxml"].signature_xml

    assert signature.startswith("<Signature>")
    assert signature.encode() in (samples / "edoc_new.edxml").read_bytes()


@pytest.mark.parametrize("name", [*DOCUMENTS, *STATUSES])
def test_a_rebuilt_sample_reads_back_the_same(parsed, name):
    assert parse(build(parsed[name])) == parsed[name]
