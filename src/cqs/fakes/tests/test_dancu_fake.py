"""The fake national population database on its own, over real HTTP."""

import pytest
import requests

from cqs.fakes import dancu, registry
from cqs.fakes.testing import running

TOKEN = "dancu-test-token"
# Vĩnh Phúc (026), a man born in 1985 (digit 0, year 85), in the demo population (99....).
KNOWN = "026085991234"


@pytest.fixture
def population():
    app = dancu.make_app(token=TOKEN)
    with running(app) as fake:
        app.url = fake.url
        yield app


def lookup(population, number=KNOWN, *, token=TOKEN, **extra):
    body = {"MaYeuCau": "YC-1", "MaDonVi": "000.00.00.H44", "MaCanBo": "cb01", "SoDinhDanh": number} | extra
    return requests.post(
        f"{population.url}{dancu.PATH}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )


def test_given_a_number_of_the_demo_population_when_looked_up_then_its_citizen_answers(population):
    answer = lookup(population)

    assert answer.status_code == 200
    body = answer.json()
    assert body["MaYeuCau"] == "YC-1"
    citizen = body["CongDan"]
    assert citizen["SoDinhDanh"] == KNOWN
    assert citizen["GioiTinh"] == 1
    assert citizen["NgayThangNamSinh"]["NgayThangNam"].startswith("1985-")
    assert citizen["NoiDangKyKhaiSinh"] == {
        "MaDonViHanhChinh": "26",
        "ChiTiet": "Tỉnh Vĩnh Phúc",
        "QuocGia": "VN",
    }
    assert set(citizen["HoVaTen"]) == {"Ho", "ChuDem", "Ten"}
    assert citizen["QuocTich"] == "VN"
    assert "giả lập" in citizen["GhiChu"]
    assert population.state.lookups == 1


def test_the_same_number_always_answers_the_same_person_and_sex_follows_the_century_digit(population):
    first, again = lookup(population).json(), lookup(population).json()
    woman = lookup(population, "025301990001").json()["CongDan"]

    assert first == again
    assert woman["GioiTinh"] == 2
    assert woman["NgayThangNamSinh"]["NgayThangNam"].startswith("2001-")


def test_a_valid_number_outside_the_demo_population_is_not_found(population):
    answer = lookup(population, "026085123456")

    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"


@pytest.mark.parametrize(
    "number",
    [
        "02608599123",  # 11 digits
        "0260859912345",  # 13 digits
        "02608599123a",
        "003085991234",  # 003 is no province code
        "097085991234",  # beyond the 63 provinces
        "026985991234",  # born 2485: in the future
        12345678901,
    ],
)
def test_invalid_numbers_are_refused_with_400(population, number):
    answer = lookup(population, number)

    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_number",
        "message": answer.json()["message"],
        "field": "SoDinhDanh",
    }
    assert population.state.lookups == 0


def test_a_wrong_token_is_refused_and_nothing_is_answered(population):
    answer = lookup(population, token="wrong")

    assert answer.status_code == 401
    assert "CongDan" not in answer.json()


def test_the_caller_must_say_who_asks(population):
    body = {"MaYeuCau": "YC-1", "MaDonVi": "000.00.00.H44", "SoDinhDanh": KNOWN}
    answer = requests.post(
        f"{population.url}{dancu.PATH}", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    )

    assert answer.status_code == 400
    assert answer.json()["field"] == "MaCanBo"


def test_name_and_birth_date_sent_by_the_caller_are_compared(population):
    citizen = lookup(population).json()["CongDan"]
    name = dancu.full_name(citizen)
    born = citizen["NgayThangNamSinh"]["NgayThangNam"]

    matching = lookup(population, HoVaTen=name.upper(), NgayThangNamSinh=born[:4]).json()
    wrong = lookup(population, HoVaTen="Ai Đó Khác", NgayThangNamSinh="1900-01-01").json()

    assert matching["KetQuaDoiChieu"] == {"HoVaTen": True, "NgayThangNamSinh": True}
    assert wrong["KetQuaDoiChieu"] == {"HoVaTen": False, "NgayThangNamSinh": False}


def test_the_call_log_never_holds_the_number(population):
    lookup(population)

    assert population.state.calls == [{"method": "POST", "path": dancu.PATH, "status": 200}]
    assert KNOWN not in repr(population.state.calls)


def test_health_and_page(population):
    assert requests.get(f"{population.url}/healthz", timeout=5).json() == {"status": "ok"}
    page = requests.get(f"{population.url}/", timeout=5)
    assert page.status_code == 200
    assert "giả lập" in page.text


def test_failures_on_demand(population):
    population.fail_next(1, 503)

    assert lookup(population).status_code == 503
    assert lookup(population).status_code == 200


def test_the_registry_runs_it_on_its_local_url(settings):
    for name in ("PAYGOV", "DVCQG", "SMS", "TSA", "RIS", "VDXP", "NDXP"):
        setattr(settings, f"CQS_{name}_URL", "")
    settings.CQS_VNEID_ISSUER = ""
    settings.CQS_DANCU_URL = "http://127.0.0.1:8108"
    settings.CQS_DANCU_TOKEN = "from-settings"

    [(name, app, _host, port)] = registry.fake_apps_from_settings()

    assert (name, type(app), port, app.token) == ("dancu", dancu.DancuFake, 8108, "from-settings")
