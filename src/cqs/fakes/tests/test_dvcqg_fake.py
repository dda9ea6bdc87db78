"""The fake national portal on its own: protocol errors, procedures, test hooks."""

import pytest
import requests

from cqs.fakes import dvcqg
from cqs.fakes.testing import running
from cqs.onestop.laythutuc import parse_payload

TOKEN = "portal-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def portal():
    app = dvcqg.make_app(token=TOKEN)
    with running(app) as fake:
        app.url = fake.url
        yield app


def test_missing_token_is_answered_401_in_json(portal):
    answer = requests.post(f"{portal.url}/DongBoHoSoMC", json={"data": []}, timeout=5)

    assert answer.status_code == 401
    assert answer.json()["error_code"] == 401


def test_a_body_that_is_not_json_is_an_invalid_payload(portal):
    answer = requests.post(f"{portal.url}/DongBoHoSoMC", data=b"not json", headers=AUTH, timeout=5)

    assert answer.status_code == 400
    assert answer.json()["error_code"] == dvcqg.INVALID_PAYLOAD


def test_an_empty_batch_is_an_invalid_payload(portal):
    answer = requests.post(f"{portal.url}/DongBoHoSoMC", json={"data": []}, headers=AUTH, timeout=5)

    assert answer.status_code == 400
    assert answer.json()["error_code"] == dvcqg.INVALID_PAYLOAD


def test_an_unknown_service_is_404(portal):
    answer = requests.get(f"{portal.url}/TraCuuKhac", headers=AUTH, timeout=5)

    assert answer.status_code == 404


def test_default_procedures_are_listed_and_each_is_importable(portal):
    listed = requests.get(f"{portal.url}/LayDanhSachTTHC", headers=AUTH, timeout=5).json()["data"]

    codes = [item["MATTHC"] for item in listed]
    assert codes == ["9.990901", "9.990902"]
    for code in codes:
        answer = requests.get(f"{portal.url}/LayThuTuc", params={"MaTTHC": code}, headers=AUTH, timeout=5)
        [imported] = parse_payload(answer.json())
        assert imported.code == code


def test_procedures_given_at_construction_replace_the_defaults():
    record = {**dvcqg.DEFAULT_PROCEDURES[0], "MATTHC": "1.000001"}
    app = dvcqg.make_app(token=TOKEN, procedures=[record])

    assert list(app.procedures) == ["1.000001"]


def test_fail_next_uses_the_status_given_then_recovers(portal):
    portal.fail_next(1, status=502)

    first = requests.get(f"{portal.url}/LayDanhSachTTHC", headers=AUTH, timeout=5)
    second = requests.get(f"{portal.url}/LayDanhSachTTHC", headers=AUTH, timeout=5)

    assert (first.status_code, second.status_code) == (502, 200)


def test_call_log_keeps_no_query_string(portal):
    requests.get(f"{portal.url}/LayThuTuc", params={"MaTTHC": "9.990901"}, headers=AUTH, timeout=5)

    assert portal.state.calls == [{"method": "GET", "path": "/LayThuTuc", "status": 200}]


def test_reset_forgets_dossiers_and_calls(portal):
    dossier = {"MaHoSo": "X", "MaTTHC": "9.990901", "NgayTiepNhan": "20260302093015", "TrangThaiHoSo": "2"}
    requests.post(f"{portal.url}/DongBoHoSoMC", json={"data": [dossier]}, headers=AUTH, timeout=5)
    assert "X" in portal.state.dossiers

    portal.reset()

    assert portal.state.dossiers == {}
    assert portal.state.calls == []
