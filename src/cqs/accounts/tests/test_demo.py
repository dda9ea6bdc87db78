"""Demo accounts: one per role on real unit names, idempotent."""

from datetime import date

import pytest

from cqs.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo
from cqs.accounts.models import User
from cqs.accounts.tests.conftest import db_state
from cqs.core.exceptions import ServiceError
from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_units(db):
    """The units the demo accounts need, named as the orgs demo names them; closed on 1/7/2025."""
    closed = date(2025, 7, 1)
    province = OrgUnitFactory(
        kind=OrgUnitKindFactory(province=True),
        name="UBND tỉnh Vĩnh Phúc",
        identifier="000.00.00.H62",
        valid_from=date(1997, 1, 1),
        valid_to=closed,
    )
    stttt = OrgUnitFactory(
        kind=OrgUnitKindFactory(department=True),
        name="Sở Thông tin và Truyền thông",
        identifier="000.00.01.H62",
        parent=province,
        valid_from=date(1997, 1, 1),
        valid_to=closed,
    )
    vinh_yen = OrgUnitFactory(
        kind=OrgUnitKindFactory(district=True),
        name="Thành phố Vĩnh Yên",
        identifier="000.00.40.H62",
        parent=province,
        valid_from=date(1997, 1, 1),
        valid_to=closed,
    )
    phu_tho = OrgUnitFactory(
        kind=OrgUnitKindFactory(province=True),
        name="Ủy ban nhân dân tỉnh Phú Thọ",
        identifier="000.00.00.H44",
        valid_from=closed,
    )
    phuong_vinh_phuc = OrgUnitFactory(
        kind=OrgUnitKindFactory(commune=True),
        name="Phường Vĩnh Phúc",
        identifier="000.00.41.H44",
        parent=phu_tho,
        valid_from=closed,
    )
    return {
        "province": province,
        "stttt": stttt,
        "vinh_yen": vinh_yen,
        "phu_tho": phu_tho,
        "phuong_vinh_phuc": phuong_vinh_phuc,
    }


def run_demo() -> list[str]:
    lines: list[str] = []
    load_demo(log=lines.append)
    return lines


def test_every_role_has_a_demo_account_with_the_documented_fields():
    by_username = {account.username: account for account in DEMO_ACCOUNTS}
    assert set(by_username) == {
        "admin",
        "quantri.stttt",
        "lanhdao.ubnd",
        "vanthu.stttt",
        "vanthu.phutho",
        "vanthu.vinhphuc",
        "chuyenvien.stttt",
        "motcua.vinhyen",
        "lanhdao.phutho",
        "motcua.vinhphuc",
        "chuyenvien.vinhphuc",
        "lanhdao.vinhphuc",
        "baocao.vinhphuc",
        "tonghop.phutho",
        "vanhanh.lgsp",
        "ketnoi.phutho",
        "congdan.demo",
    }
    assert by_username["admin"].role == "quan-tri-he-thong"
    assert by_username["admin"].unit_identifier == "000.00.00.H62"
    assert by_username["congdan.demo"].role is None
    assert all(account.full_name for account in DEMO_ACCOUNTS)


def test_the_demo_creates_the_accounts_on_their_units(demo_units):
    lines = run_demo()

    expected = {
        "admin": ("quan-tri-he-thong", demo_units["province"]),
        "quantri.stttt": ("quan-tri-don-vi", demo_units["stttt"]),
        "lanhdao.ubnd": ("lanh-dao", demo_units["province"]),
        "vanthu.stttt": ("van-thu", demo_units["stttt"]),
        "chuyenvien.stttt": ("chuyen-vien", demo_units["stttt"]),
        "motcua.vinhyen": ("can-bo-mot-cua", demo_units["vinh_yen"]),
        # today's tree: units in force since 1/7/2025
        "lanhdao.phutho": ("lanh-dao", demo_units["phu_tho"]),
        "motcua.vinhphuc": ("can-bo-mot-cua", demo_units["phuong_vinh_phuc"]),
        "chuyenvien.vinhphuc": ("chuyen-vien", demo_units["phuong_vinh_phuc"]),
        "lanhdao.vinhphuc": ("lanh-dao", demo_units["phuong_vinh_phuc"]),
        "baocao.vinhphuc": ("can-bo-bao-cao", demo_units["phuong_vinh_phuc"]),
        "tonghop.phutho": ("tong-hop-bao-cao", demo_units["phu_tho"]),
        "vanhanh.lgsp": ("van-hanh-lgsp", demo_units["phu_tho"]),
        "ketnoi.phutho": ("quan-tri-ket-noi", demo_units["phu_tho"]),
    }
    for username, (role, unit) in expected.items():
        user = User.objects.get(username=username)
        assert user.official_profile.unit == unit, username
        assert list(user.grants.values_list("role__code", "unit")) == [(role, unit.pk)], username
        assert user.check_password(DEMO_PASSWORD), username
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not User.objects.get(username="quantri.stttt").is_staff
    citizen = User.objects.get(username="congdan.demo")
    assert citizen.citizen_profile.cccd == "026090001234"
    assert citizen.citizen_profile.phone == "0912345678"
    assert any("chuyenvien.stttt" in line for line in lines), "the new accounts are named"
    assert not any("026090001234" in line for line in lines)


def test_a_second_run_changes_nothing(demo_units):
    run_demo()
    before = db_state()

    run_demo()

    assert db_state() == before


def test_the_demo_explains_when_the_org_tree_is_missing(db):
    with pytest.raises(ServiceError) as exc:
        run_demo()
    assert exc.value.error_code == "demo_unit_not_found"
    assert not User.objects.exists()


def test_the_demo_specialist_signs_in_without_a_second_factor(client, demo_units):
    run_demo()

    response = client.post("/accounts/login/", {"username": "chuyenvien.stttt", "password": DEMO_PASSWORD})

    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200


def test_the_demo_admin_is_sent_to_2fa_setup_on_first_login(client, demo_units):
    run_demo()

    response = client.post("/accounts/login/", {"username": "admin", "password": DEMO_PASSWORD})

    assert response.url.startswith("/accounts/2fa/setup/")
