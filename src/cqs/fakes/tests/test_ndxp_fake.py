"""The fake NDXP business registration lookup on its own, over real HTTP."""

import pytest
import requests

from cqs.fakes import ndxp, registry
from cqs.fakes.testing import running

TOKEN = "ndxp-test-token"


@pytest.fixture
def platform():
    app = ndxp.make_app(token=TOKEN)
    with running(app) as fake:
        app.url = fake.url
        yield app


def lookup(platform, code, *, token=TOKEN):
    return requests.get(
        f"{platform.url}{ndxp.PREFIX}{code}", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )


def test_given_a_code_in_the_demo_range_when_looked_up_then_the_enterprise_answers(platform):
    answer = lookup(platform, "9901234560")

    assert answer.status_code == 200
    enterprise = answer.json()["DoanhNghiep"]
    assert enterprise["MaSoDoanhNghiep"] == "9901234560"
    assert enterprise["TinhTrangHoatDong"] == ndxp.ACTIVE
    assert enterprise["LoaiHinhDoanhNghiep"] in ndxp.KINDS
    assert set(enterprise["NguoiDaiDienTheoPhapLuat"]) == {"HoVaTen", "ChucDanh"}
    assert "giả lập" in enterprise["GhiChu"]
    assert lookup(platform, "9901234560").json() == answer.json()
    assert platform.state.lookups == 2


def test_a_branch_has_13_digits_with_or_without_a_dash_and_names_its_enterprise(platform):
    dashed = lookup(platform, "9901234560-001").json()["DoanhNghiep"]
    plain = lookup(platform, "9901234560001").json()["DoanhNghiep"]

    assert dashed == plain
    assert dashed["MaSoDoanhNghiep"] == "9901234560-001"
    assert dashed["MaSoDoanhNghiepChuQuan"] == "9901234560"
    assert dashed["TenDoanhNghiep"].startswith("CHI NHÁNH 001")


def test_codes_ending_in_9_have_stopped_trading(platform):
    assert lookup(platform, "9901234569").json()["DoanhNghiep"]["TinhTrangHoatDong"] == ndxp.STOPPED


@pytest.mark.parametrize(
    "code", ["990123456", "99012345601", "99012345a0", "9901234560-01", "9901234560--001"]
)
def test_malformed_codes_are_refused_with_400(platform, code):
    answer = lookup(platform, code)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_code"


def test_a_valid_code_outside_the_demo_range_is_not_found(platform):
    answer = lookup(platform, "0101234567")

    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"


def test_a_wrong_token_is_refused(platform):
    answer = lookup(platform, "9901234560", token="wrong")

    assert answer.status_code == 401
    assert platform.state.lookups == 0


def test_health_page_and_failures_on_demand(platform):
    assert requests.get(f"{platform.url}/healthz", timeout=5).json() == {"status": "ok"}
    assert "giả lập" in requests.get(f"{platform.url}/", timeout=5).text
    platform.fail_next(1, 502)

    assert lookup(platform, "9901234560").status_code == 502
    assert lookup(platform, "9901234560").status_code == 200


def test_the_registry_runs_it_on_its_local_url(settings):
    for name in ("PAYGOV", "DVCQG", "SMS", "TSA", "RIS", "VDXP", "DANCU"):
        setattr(settings, f"CQS_{name}_URL", "")
    settings.CQS_VNEID_ISSUER = ""
    settings.CQS_NDXP_URL = "http://localhost:8109"
    settings.CQS_NDXP_TOKEN = "from-settings"

    [(name, app, _host, port)] = registry.fake_apps_from_settings()

    assert (name, type(app), port, app.token) == ("ndxp", ndxp.NdxpFake, 8109, "from-settings")
