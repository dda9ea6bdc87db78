"""The national-portal adapter against the fake portal, over real HTTP."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cqs.core.outbox import DeliveryError
from cqs.fakes import dvcqg as fake_dvcqg
from cqs.fakes.testing import running
from cqs.onestop.dvcqg import (
    dvcqg_datetime,
    dvcqg_fetch_procedure,
    dvcqg_push_dossiers,
    dvcqg_push_progress,
)
from cqs.onestop.laythutuc import parse_payload

TOKEN = "portal-test-token"
CCCD = "001234567890"


@pytest.fixture
def portal(settings):
    app = fake_dvcqg.make_app(token=TOKEN)
    with running(app) as fake:
        settings.CQS_DVCQG_URL = fake.url
        settings.CQS_DVCQG_TOKEN = TOKEN
        yield app


def dossier(code="000.00.53.H62-260302-0001", **changes) -> dict:
    data = {
        "MaHoSo": code,
        "MaTTHC": "9.990001",
        "MaLinhVuc": "DEMO-HOTICH",
        "ChuHoSo": "Nguyễn Văn A",
        "LoaiDoiTuong": "1",
        "NgayTiepNhan": "20260302093015",
        "NgayHenTra": "20260303170000",
        "TrangThaiHoSo": 2,
        "NgayKetThucXuLy": "",
        "NgayTra": "",
        "HinhThuc": 2,
        "DonViXuLy": "000.00.53.H62",
        "TaiLieuNop": [{"TepDinhKemId": "1", "TenTepDinhKem": "to-khai.pdf"}],
        "DanhSachLePhi": [],
        "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": [],
        "SoGiayToChuHoSo": CCCD,
    }
    return {**data, **changes}


def progress(code="000.00.53.H62-260302-0001", status=4) -> dict:
    return {
        "MaHoSo": code,
        "NguoiXuLy": "Cán bộ một cửa",
        "ThoiDiemXuLy": "20260302100000",
        "NoiDungXuLy": "Chuyển xử lý",
        "TrangThai": status,
    }


def test_push_stores_the_dossier_at_the_portal(portal):
    dvcqg_push_dossiers(dossiers=[dossier()])

    assert portal.state.dossiers["000.00.53.H62-260302-0001"]["TrangThaiHoSo"] == 2
    assert portal.state.pushes["000.00.53.H62-260302-0001"] == 1


def test_repeat_push_replaces_the_dossier_instead_of_adding_one(portal):
    # Given a dossier already pushed (the outbox delivers at least once)
    dvcqg_push_dossiers(dossiers=[dossier()])

    # When it is pushed again with a new status
    dvcqg_push_dossiers(dossiers=[dossier(TrangThaiHoSo=4)])

    # Then the portal holds one dossier, in its latest state
    assert list(portal.state.dossiers) == ["000.00.53.H62-260302-0001"]
    assert portal.state.dossiers["000.00.53.H62-260302-0001"]["TrangThaiHoSo"] == 4
    assert portal.state.pushes["000.00.53.H62-260302-0001"] == 2


def test_invalid_dossier_raises_delivery_error_without_personal_data(portal):
    # Given a dossier with a status the portal does not know
    bad = dossier(TrangThaiHoSo=11)

    # When it is pushed, then the error names the field, not the citizen
    with pytest.raises(DeliveryError) as error:
        dvcqg_push_dossiers(dossiers=[bad])
    message = str(error.value)
    assert "TrangThaiHoSo" in message
    assert "error_code 1" in message
    assert CCCD not in message and "Nguyễn" not in message
    assert portal.state.dossiers == {}


@pytest.mark.parametrize(
    "changes",
    [
        {"MaHoSo": ""},
        {"NgayTiepNhan": "02/03/2026"},
        {"NgayHenTra": "20261345000000"},
        {"TrangThaiHoSo": 0},
        {"TaiLieuNop": "to-khai.pdf"},
    ],
)
def test_portal_refuses_a_dossier_breaking_a_rule(portal, changes):
    with pytest.raises(DeliveryError, match="refused"):
        dvcqg_push_dossiers(dossiers=[dossier(**changes)])
    assert portal.state.dossiers == {}


def test_a_batch_with_one_invalid_dossier_stores_none(portal):
    with pytest.raises(DeliveryError):
        dvcqg_push_dossiers(dossiers=[dossier(code="A"), dossier(code="B", MaTTHC="")])

    assert portal.state.dossiers == {}


def test_wrong_token_raises_delivery_error(portal, settings):
    settings.CQS_DVCQG_TOKEN = "wrong"

    with pytest.raises(DeliveryError, match="HTTP 401"):
        dvcqg_push_dossiers(dossiers=[dossier()])
    assert portal.state.calls[-1]["status"] == 401


def test_portal_failure_raises_delivery_error_then_a_retry_succeeds(portal):
    # Given a portal that fails the next two calls
    portal.fail_next(2, status=503)

    # When the outbox tries three times
    for _attempt in range(2):
        with pytest.raises(DeliveryError, match="HTTP 503"):
            dvcqg_push_dossiers(dossiers=[dossier()])
    dvcqg_push_dossiers(dossiers=[dossier()])

    # Then the third attempt lands
    assert portal.state.pushes["000.00.53.H62-260302-0001"] == 1
    assert [call["status"] for call in portal.state.calls] == [503, 503, 200]


def test_unreachable_portal_raises_delivery_error(settings):
    settings.CQS_DVCQG_URL = "http://127.0.0.1:9"

    with pytest.raises(DeliveryError, match="unreachable"):
        dvcqg_push_dossiers(dossiers=[dossier()])


def test_progress_is_appended_to_the_dossier(portal):
    dvcqg_push_dossiers(dossiers=[dossier()])

    dvcqg_push_progress(updates=[progress(status=4)])
    dvcqg_push_progress(updates=[progress(status=9)])

    entries = portal.state.progress["000.00.53.H62-260302-0001"]
    assert [entry["TrangThai"] for entry in entries] == [4, 9]


def test_progress_of_an_unknown_dossier_raises_delivery_error(portal):
    with pytest.raises(DeliveryError, match="error_code 2"):
        dvcqg_push_progress(updates=[progress(code="never-pushed")])
    assert portal.state.progress == {}


def test_empty_batches_call_nobody(portal):
    dvcqg_push_dossiers(dossiers=[])
    dvcqg_push_progress(updates=[])

    assert portal.state.calls == []


def test_fetched_procedure_is_importable(portal):
    record = dvcqg_fetch_procedure(code="9.990901")

    [imported] = parse_payload(record)
    assert imported.code == "9.990901"
    assert imported.data["fees"][0]["amount"] == 8000


def test_fetching_an_unknown_procedure_raises_delivery_error(portal):
    with pytest.raises(DeliveryError, match="error_code 3"):
        dvcqg_fetch_procedure(code="1.000000")


def test_dvcqg_datetime_is_vietnam_time():
    moment = dt.datetime(2026, 3, 2, 2, 30, 15, tzinfo=dt.UTC)

    assert dvcqg_datetime(moment) == "20260302093015"
    assert dvcqg_datetime(moment.astimezone(ZoneInfo("Europe/Paris"))) == "20260302093015"
    assert dvcqg_datetime(None) == ""


def test_dvcqg_datetime_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        dvcqg_datetime(dt.datetime(2026, 3, 2, 9, 30))
