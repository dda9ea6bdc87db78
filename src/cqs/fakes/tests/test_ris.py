"""The fake Government reporting information system on its own, over real HTTP."""

import base64

import pytest
import requests

from cqs.fakes import ris
from cqs.fakes.testing import running

TOKEN = "ris-test-token"


@pytest.fixture
def system():
    app = ris.make_app(token=TOKEN)
    with running(app) as fake:
        app.url = fake.url
        yield app


def a_report(**changes) -> dict:
    report = {
        "reportId": "a1B2c3D4e5F",
        "regimeCode": "BC_CNTT",
        "regimeVersion": 1,
        "period": "202603",
        "orgUnit": "000.01.40.H62",
        "orgUnitName": "Xã Một",
        "receiver": "000.00.00.H62",
        "submittedAt": "2026-03-16T09:00:00+07:00",
        "approvedAt": "2026-03-18T10:00:00+07:00",
        "late": False,
        "outline": "1. Kết quả nổi bật",
        "dataValues": [{"dataElement": "HS_NHAN", "categoryOptionCombo": "default", "value": "120"}],
    }
    return report | changes


def post(system, report=None, *, key="a1B2c3D4e5F", token=TOKEN):
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return requests.post(
        f"{system.url}/api/v1/reports", json=report or a_report(), headers=headers, timeout=5
    )


def test_given_a_valid_report_when_posted_then_a_receipt_is_issued_and_it_is_listed(system):
    answer = post(system)

    assert answer.status_code == 201
    receipt = answer.json()
    assert receipt["receiptId"].startswith("RIS-") and receipt["receivedAt"]
    listed = requests.get(
        f"{system.url}/api/v1/reports", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    ).json()["reports"]
    assert [(r["receiptId"], r["report"]["period"]) for r in listed] == [(receipt["receiptId"], "202603")]


def test_given_the_same_key_and_body_when_posted_again_then_the_same_receipt_and_no_duplicate(system):
    first = post(system).json()

    again = post(system)

    assert again.status_code == 200
    assert again.json() == first
    assert len(system.state.reports) == 1


def test_given_a_used_key_when_another_report_is_posted_with_it_then_refused(system):
    post(system)

    answer = post(system, a_report(period="202604"))

    assert answer.status_code == 422
    assert answer.json()["error"] == "idempotency_key_reused"
    assert len(system.state.reports) == 1


def test_given_a_wrong_token_when_posting_or_listing_then_401_and_nothing_stored(system):
    assert post(system, token="wrong").status_code == 401
    listing = requests.get(f"{system.url}/api/v1/reports", headers={"Authorization": "Bearer x"}, timeout=5)
    assert listing.status_code == 401
    assert system.state.reports == []


def test_given_no_idempotency_key_then_400(system):
    answer = post(system, key=None)

    assert answer.status_code == 400
    assert answer.json()["error"] == "idempotency_key_missing"


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"regimeCode": None}, "invalid_type", "regimeCode"),
        ({"regimeVersion": "1"}, "invalid_type", "regimeVersion"),
        ({"late": "no"}, "invalid_type", "late"),
        ({"period": "2026-03"}, "invalid_period", "period"),
        ({"approvedAt": None}, "invalid_value", "approvedAt"),
        ({"dataValues": [{"dataElement": "HS_NHAN", "value": "1"}]}, "invalid_type", None),
        ({"signedPdf": base64.b64encode(b"not a pdf").decode()}, "invalid_value", "signedPdf"),
    ],
)
def test_given_an_invalid_report_then_422_names_the_field(system, change, error, field):
    answer = post(system, a_report(**change))

    assert answer.status_code == 422
    assert answer.json()["error"] == error
    if field:
        assert answer.json()["field"] == field
    assert system.state.reports == []


def test_given_a_missing_key_then_422_missing_field(system):
    report = a_report()
    del report["orgUnit"]

    answer = post(system, report)

    assert (answer.status_code, answer.json()["error"], answer.json()["field"]) == (
        422,
        "missing_field",
        "orgUnit",
    )


def test_given_a_signed_pdf_then_the_listing_gives_its_size_not_its_bytes(system):
    post(system, a_report(signedPdf=base64.b64encode(b"%PDF-1.7 demo").decode()))

    listed = requests.get(
        f"{system.url}/api/v1/reports", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    ).json()["reports"][0]["report"]

    assert listed["signedPdfBytes"] == len(b"%PDF-1.7 demo")
    assert "signedPdf" not in listed


def test_healthz_answers_ok_without_a_token(system):
    answer = requests.get(f"{system.url}/healthz", timeout=5)

    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_the_page_lists_reports_escaped(system):
    post(system, a_report(orgUnitName="<b>Xã Một</b>"))

    page = requests.get(f"{system.url}/", timeout=5)

    assert "&lt;b&gt;Xã Một&lt;/b&gt;" in page.text
