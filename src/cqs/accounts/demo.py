"""Demo accounts, one per role, on real units of the demo tree (loaded by ``cqs demo`` after the
orgs and plans demo). All share ``DEMO_PASSWORD``; a second run changes nothing.

Most accounts sit on the units of the plan's tree, found by name and kind as they were on
30/06/2025 (its last day); two sit on today's tree (Phú Thọ since 1/7/2025), so that work done
today has officials on units in force. The identifiers below the province are assigned by the
orgs demo, not known here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from cqs.accounts.models import RoleGrant, User
from cqs.accounts.services import (
    role_definitions_load,
    role_grant,
    role_sync,
    user_create_citizen,
    user_create_official,
)
from cqs.core.exceptions import ServiceError

DEMO_PASSWORD = "demo-cqs-2026"  # noqa: S105 - published in the README, demo data only
UNITS_AS_OF = date(2025, 6, 30)
TODAY_TREE_FROM = date(2025, 7, 1)
PROVINCE_IDENTIFIER = "000.00.00.H62"
PHU_THO_IDENTIFIER = "000.00.00.H44"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str | None  # role code; None for a citizen
    unit_name: str  # "" for a citizen
    unit_identifier: str = ""  # looked up by identifier when given, else by name (and kind)
    unit_kind: str = ""
    position: str = ""
    superuser: bool = False
    cccd: str = ""
    phone: str = ""
    units_as_of: date = UNITS_AS_OF  # the tree the unit is looked up in

    @property
    def unit_label(self) -> str:
        return f"{self.unit_name} ({self.unit_identifier})" if self.unit_identifier else self.unit_name


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        username="admin",
        full_name="Quản trị hệ thống",
        role="quan-tri-he-thong",
        unit_name="UBND tỉnh Vĩnh Phúc",
        unit_identifier=PROVINCE_IDENTIFIER,
        position="Quản trị viên hệ thống",
        superuser=True,
    ),
    DemoAccount(
        username="quantri.stttt",
        full_name="Nguyễn Minh Quang",
        role="quan-tri-don-vi",
        unit_name="Sở Thông tin và Truyền thông",
        position="Quản trị hệ thống đơn vị",
    ),
    DemoAccount(
        username="lanhdao.ubnd",
        full_name="Trần Văn Hùng",
        role="lanh-dao",
        unit_name="UBND tỉnh Vĩnh Phúc",
        unit_identifier=PROVINCE_IDENTIFIER,
        position="Phó Chủ tịch UBND tỉnh",
    ),
    DemoAccount(
        username="vanthu.stttt",
        full_name="Lê Thị Thu",
        role="van-thu",
        unit_name="Sở Thông tin và Truyền thông",
        position="Văn thư",
    ),
    DemoAccount(
        username="chuyenvien.stttt",
        full_name="Phạm Thị Hoa",
        role="chuyen-vien",
        unit_name="Sở Thông tin và Truyền thông",
        position="Chuyên viên",
    ),
    DemoAccount(
        username="motcua.vinhyen",
        full_name="Hoàng Văn Nam",
        role="can-bo-mot-cua",
        unit_name="Thành phố Vĩnh Yên",
        unit_kind="huyen",
        position="Công chức tiếp nhận và trả kết quả",
    ),
    DemoAccount(
        username="lanhdao.phutho",
        full_name="Đỗ Quang Minh",
        role="lanh-dao",
        unit_name="Ủy ban nhân dân tỉnh Phú Thọ",
        unit_identifier=PHU_THO_IDENTIFIER,
        position="Phó Chủ tịch UBND tỉnh",
        units_as_of=TODAY_TREE_FROM,
    ),
    DemoAccount(
        username="motcua.vinhphuc",
        full_name="Vũ Thị Lan",
        role="can-bo-mot-cua",
        unit_name="Phường Vĩnh Phúc",
        unit_kind="xa",
        position="Công chức tiếp nhận và trả kết quả",
        units_as_of=TODAY_TREE_FROM,
    ),
    DemoAccount(
        username="chuyenvien.vinhphuc",
        full_name="Ngô Thị Mai",
        role="chuyen-vien",
        unit_name="Phường Vĩnh Phúc",
        unit_kind="xa",
        position="Công chức Tư pháp - Hộ tịch",
        units_as_of=TODAY_TREE_FROM,
    ),
    DemoAccount(
        username="lanhdao.vinhphuc",
        full_name="Bùi Văn Thành",
        role="lanh-dao",
        unit_name="Phường Vĩnh Phúc",
        unit_kind="xa",
        position="Phó Chủ tịch UBND phường",
        units_as_of=TODAY_TREE_FROM,
    ),
    DemoAccount(
        username="vanthu.phutho",
        full_name="Đinh Thị Ngọc",
        role="van-thu",
        unit_name="Ủy ban nhân dân tỉnh Phú Thọ",
        unit_identifier=PHU_THO_IDENTIFIER,
        position="Văn thư",
        units_as_of=TODAY_TREE_FROM,
    ),
    DemoAccount(
        username="vanthu.vinhphuc",
        full_name="Trịnh Thị Hương",
        role="van-thu",
        unit_name="Phường Vĩnh Phúc",
        unit_kind="xa",
        position="Văn thư",
        units_as_of=TODAY_TREE_FROM,
    ),
    DemoAccount(
        username="baocao.vinhphuc",
        full_name="Phan Thị Thảo",
        role="can-bo-bao-cao",
        unit_name="Phường Vĩnh Phúc",
        unit_kind="xa",
        position="Công chức Văn phòng - Thống kê",
        units_as_of=TODAY_TREE_FROM,
    ),
    DemoAccount(
        username="tonghop.phutho",
        full_name="Lê Văn Khánh",
        role="tong-hop-bao-cao",
        unit_name="Ủy ban nhân dân tỉnh Phú Thọ",
        unit_identifier=PHU_THO_IDENTIFIER,
        position="Chuyên viên tổng hợp",
        units_as_of=TODAY_TREE_FROM,
    ),
    DemoAccount(
        username="vanhanh.lgsp",
        full_name="Nguyễn Đức Long",
        role="van-hanh-lgsp",
        unit_name="Ủy ban nhân dân tỉnh Phú Thọ",
        unit_identifier=PHU_THO_IDENTIFIER,
        position="Kỹ sư vận hành nền tảng tích hợp, chia sẻ dữ liệu",
        units_as_of=TODAY_TREE_FROM,
    ),
    DemoAccount(
        username="ketnoi.phutho",
        full_name="Trần Thị Bích",
        role="quan-tri-ket-noi",
        unit_name="Ủy ban nhân dân tỉnh Phú Thọ",
        unit_identifier=PHU_THO_IDENTIFIER,
        position="Quản trị kết nối các hệ thống thông tin của tỉnh",
        units_as_of=TODAY_TREE_FROM,
    ),
    DemoAccount(
        username="congdan.demo",
        full_name="Nguyễn Văn An",
        role=None,
        unit_name="",
        cccd="026090001234",
        phone="0912345678",
    ),
)


def _find_unit(account: DemoAccount):
    from cqs.orgs.models import OrgUnit

    units = OrgUnit.objects.as_of(account.units_as_of)
    if account.unit_identifier:
        units = units.filter(identifier=account.unit_identifier)
    else:
        units = units.filter(name=account.unit_name)
        if account.unit_kind:
            units = units.filter(kind__code=account.unit_kind)
    found = list(units[:2])
    if len(found) != 1:
        raise ServiceError(
            "demo_unit_not_found",
            f"Không tìm thấy đúng một đơn vị “{account.unit_label}” còn hiệu lực ngày "
            f"{account.units_as_of:%d/%m/%Y} (thấy {len(found)}). Hãy nạp dữ liệu mẫu của orgs trước.",
        )
    return found[0]


def _ensure_account(account: DemoAccount) -> tuple[User, bool]:
    user = User.objects.filter(username=account.username).first()
    if account.role is None:
        if user is not None:
            return user, False
        user = user_create_citizen(
            username=account.username,
            password=DEMO_PASSWORD,
            full_name=account.full_name,
            cccd=account.cccd,
            phone=account.phone,
        )
        return user, True
    unit = _find_unit(account)
    created = user is None
    if created:
        user = user_create_official(
            username=account.username,
            password=DEMO_PASSWORD,
            full_name=account.full_name,
            unit=unit,
            position=account.position,
            is_staff=account.superuser,
            is_superuser=account.superuser,
        )
    if not RoleGrant.objects.filter(user=user, role__code=account.role, unit=unit).exists():
        role_grant(user=user, role=account.role, unit=unit)
        created = True
    return user, created


def load_demo(*, log: Callable[[str], None]) -> None:
    with transaction.atomic():
        result = role_sync(definitions=role_definitions_load())
        created = [account.username for account in DEMO_ACCOUNTS if _ensure_account(account)[1]]
    # The account list itself is printed once by ``cqs demo`` from DEMO_ACCOUNTS.
    log(
        f"accounts: vai trò {len(result.created)} mới, {len(result.updated)} cập nhật, "
        f"{len(result.unchanged)} không đổi; tài khoản minh họa {len(created)} mới"
        f"{' (' + ', '.join(created) + ')' if created else ''}."
    )
